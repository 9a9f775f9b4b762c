//! Showing and saving the place editor: `/staff/places/new` (blank, or `?kind=KEY` filled from
//! the kind's template), `/staff/places/{id}/edit`. 「下書き保存」 and 「公開する」 validate and
//! save with the version the form was read at; 「掲載を終了する」 archives. Every write is audited.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::Vocabulary;
use kosodate_places::{Facility, Place, PlaceKind, PlacesError, Status, Weekday, place_template};
use kosodate_registry::Visibility;
use serde::Deserialize;
use strum::VariantArray;

use super::form::{self, PlaceForm};
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestContext};
use crate::pages::events::show;
use crate::pages::staff::StaffChrome;
use crate::pages::staff::form_fields::{FieldMessages, field};
use crate::pages::staff::records::{self, Review, Stored, View, back_to, check_writable};
use crate::pages::visitor::{SignedInStaff, StaffForm};
use crate::path_ids::{self, RecordId};
use crate::places::audited;
use crate::state::AppState;

/// Where a place's editor lives.
const EDITOR: &str = "/staff/places";

#[derive(Template)]
#[template(path = "staff/place_editor.html")]
pub struct PlaceEditorPage {
    chrome: StaffChrome,
    action: String,
    place: Option<Stored>,
    form: PlaceForm,
    messages: FieldMessages,
    notice: Option<String>,
    owners: Vec<(String, String)>,
    review: Review,
}

impl PlaceEditorPage {
    fn message(&self, control: &str) -> Option<&str> {
        self.messages.get(control).map(String::as_str)
    }

    fn invalid(&self, control: &str) -> &'static str {
        if self.messages.contains_key(control) {
            "true"
        } else {
            "false"
        }
    }

    fn row_message(&self, row: &usize, part: &str) -> Option<&str> {
        self.message(&format!("hours-{row}-{part}"))
    }

    fn row_invalid(&self, row: &usize, part: &str) -> &'static str {
        self.invalid(&format!("hours-{row}-{part}"))
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        form::kinds()
    }

    fn weekdays(&self) -> Vec<(&'static str, &'static str)> {
        Weekday::VARIANTS
            .iter()
            .map(|day| (day.id(), day.label_ja()))
            .collect()
    }

    fn facilities(&self) -> Vec<(&'static str, &'static str, bool)> {
        Facility::VARIANTS
            .iter()
            .map(|facility| {
                let id = facility.id();
                (
                    id,
                    facility.label_ja(),
                    self.form.facilities.iter().any(|ticked| ticked == id),
                )
            })
            .collect()
    }
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct EditQuery {
    saved: Option<String>,
}

pub async fn new_place(
    State(state): State<AppState>,
    staff: SignedInStaff,
    ApiQuery(query): ApiQuery<NewQuery>,
) -> Result<Response, ApiError> {
    let kind = match query.kind.as_deref() {
        None | Some("") => PlaceKind::Other,
        Some(key) => PlaceKind::parse(key).ok_or_else(|| {
            ApiError::not_found(
                format!("施設の種類「{key}」はありません。一覧から選んでください"),
                format!("no place kind {key}"),
            )
        })?,
    };
    let owners = owners(&state, &staff).await?;
    let owner = owners.first().map(|(code, _)| code.clone()).unwrap_or_default();
    let form = PlaceForm::new(&owner, kind, place_template(kind));
    let view = view("/staff/places/new".to_owned(), None);
    render(
        &state,
        &staff,
        owners,
        form,
        FieldMessages::new(),
        view,
        StatusCode::OK,
    )
    .await
}

pub async fn edit_place(
    State(state): State<AppState>,
    staff: SignedInStaff,
    RecordId(id): RecordId<path_ids::Place>,
    ApiQuery(query): ApiQuery<EditQuery>,
) -> Result<Response, ApiError> {
    let place = load_writable(&state, &staff, id).await?;
    let owners = owners(&state, &staff).await?;
    let mut view = view(format!("/staff/places/{}/edit", place.id), Some(&place));
    view.notice = query.saved.as_deref().and_then(saved_notice).map(str::to_owned);
    let form = PlaceForm::from_place(&place);
    render(
        &state,
        &staff,
        owners,
        form,
        FieldMessages::new(),
        view,
        StatusCode::OK,
    )
    .await
}

fn saved_notice(what: &str) -> Option<&'static str> {
    match what {
        "draft" => Some("下書きを保存しました。公開するまで住民には表示されません。"),
        "review" => Some(records::REVIEW_REQUESTED),
        "published" => Some("公開しました。住民向けの施設のページに表示されます。"),
        "archived" => Some("掲載を終了しました。住民には表示されなくなりました。"),
        _ => None,
    }
}

async fn owners(state: &AppState, staff: &SignedInStaff) -> Result<Vec<(String, String)>, ApiError> {
    let places = crate::pages::places::Places::load(state).await?;
    Ok(crate::pages::staff::owners(&staff.identity.role, &places))
}

/// A place the staff member may change (others see that it is not theirs).
/// `/staff/places/{id}/preview`: the place's page as parents will see it, drafts too.
pub async fn preview(
    State(state): State<AppState>,
    staff: SignedInStaff,
    RecordId(id): RecordId<path_ids::Place>,
) -> Result<Response, ApiError> {
    let place = load_writable(&state, &staff, id).await?;
    let banner = records::preview(place.status, format!("/staff/places/{id}/edit"));
    show::place_page(&state, place, Some(banner)).await
}

async fn load_writable(state: &AppState, staff: &SignedInStaff, id: Uuid) -> Result<Place, ApiError> {
    let place = state.places.place(id, Visibility::Staff).await?;
    check_writable(staff, place.content.owner)?;
    Ok(place)
}

fn view(action: String, place: Option<&Place>) -> View {
    View::new(
        action,
        place.map(|place| Stored::new(place.id, place.status, place.version)),
    )
}

async fn render(
    state: &AppState,
    staff: &SignedInStaff,
    owners: Vec<(String, String)>,
    form: PlaceForm,
    messages: FieldMessages,
    view: View,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let request = match &view.stored {
        Some(stored) => state.places.place_review_request(stored.id).await?,
        None => None,
    };
    let review = Review::of_record(state, staff, &form.owner, view.stored.as_ref(), request).await?;
    let page = PlaceEditorPage {
        chrome: StaffChrome::load(state, staff, "/staff/places").await,
        review,
        action: view.action,
        place: view.stored,
        form,
        messages,
        notice: view.notice,
        owners,
    };
    Ok(crate::pages::html(status, &page))
}

pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let view = view("/staff/places/new".to_owned(), None);
    submit(&state, &context, form, view, None).await
}

pub async fn update(
    State(state): State<AppState>,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Place>,
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let place = load_writable(&state, &form.staff, id).await?;
    let view = view(format!("/staff/places/{}/edit", place.id), Some(&place));
    submit(&state, &context, form, view, Some(place)).await
}

async fn submit(
    state: &AppState,
    context: &RequestContext,
    posted: StaffForm<Vec<(String, String)>>,
    view: View,
    place: Option<Place>,
) -> Result<Response, ApiError> {
    let StaffForm { staff, fields } = posted;
    let action = field(&fields, "action");
    let identity = &staff.identity;
    if let Some(place) = &place
        && action == "archive"
    {
        let result = state.places.archive_place(identity, place.id).await;
        let archived = audited(state, identity, context, "place.archive", Some(place.id), result).await?;
        return Ok(back_to(EDITOR, archived.id, "archived"));
    }
    if let Some(place) = &place
        && action == "approve"
    {
        let result = state.places.publish_place(identity, place.id).await;
        let published = audited(state, identity, context, "place.publish", Some(place.id), result).await?;
        return Ok(back_to(EDITOR, published.id, "published"));
    }
    let form = PlaceForm::from_fields(&fields);
    let (input, typed, rows) = form.to_input();
    let messages = match input.validate() {
        Ok(_) => typed,
        Err(invalid) => form::messages(typed, &invalid.0, &rows),
    };
    if !messages.is_empty() || action == "check" {
        let status = match action {
            "check" => StatusCode::OK,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let owners = owners(state, &staff).await?;
        return render(state, &staff, owners, form, messages, view, status).await;
    }
    let version = form.version.trim().parse::<i32>().ok();
    let (verb, saved) = match &place {
        Some(place) => (
            "place.update",
            state
                .places
                .update_place(identity, place.id, &input, version)
                .await,
        ),
        None => ("place.create", state.places.create_place(identity, &input).await),
    };
    if let Err(PlacesError::Invalid(invalid)) = &saved {
        let messages = form::messages(FieldMessages::new(), &invalid.0, &rows);
        let owners = owners(state, &staff).await?;
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(state, &staff, owners, form, messages, view, status).await;
    }
    let target = place.as_ref().map(|place| place.id);
    let saved = audited(state, identity, context, verb, target, saved).await?;
    if action == "request_review" {
        let result = state.places.request_place_review(identity, saved.id).await;
        let asked = audited(
            state,
            identity,
            context,
            "place.review_request",
            Some(saved.id),
            result.map(|_| saved),
        )
        .await?;
        return Ok(back_to(EDITOR, asked.id, "review"));
    }
    if action != "publish" || saved.status == Status::Published {
        let what = if action == "publish" { "published" } else { "draft" };
        return Ok(back_to(EDITOR, saved.id, what));
    }
    let result = state.places.publish_place(identity, saved.id).await;
    let published = audited(state, identity, context, "place.publish", Some(saved.id), result).await?;
    Ok(back_to(EDITOR, published.id, "published"))
}
