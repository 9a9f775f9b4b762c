//! Showing and saving the event editor: `/staff/events/new` (blank, or `?template=KEY`),
//! `/staff/events/{id}/edit`. 「下書き保存」 and 「公開する」 validate and save with the version
//! the form was read at; 「終了する」 archives. Every write is audited.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{CalendarDate, Vocabulary, japan};
use kosodate_places::{
    Event, EventInput, PlaceFilter, PlacesError, SignUpMethod, Status, Weekday, event_template,
};
use kosodate_registry::Visibility;
use kosodate_registry::page::PageRequest;
use serde::Deserialize;
use strum::VariantArray;

use super::Lookup;
use super::form::{self, EventForm, FieldMessages, field};
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestContext};
use crate::pages::events::show;
use crate::pages::staff::StaffChrome;
use crate::pages::staff::records::{self, Review, Stored, View, back_to, check_writable};
use crate::pages::visitor::{SignedInStaff, StaffForm};
use crate::path_ids::{self, RecordId};
use crate::places::audited;
use crate::state::AppState;

/// Where an event's editor lives.
const EDITOR: &str = "/staff/events";

#[derive(Template)]
#[template(path = "staff/event_editor.html")]
pub struct EventEditorPage {
    chrome: StaffChrome,
    action: String,
    event: Option<Stored>,
    form: EventForm,
    messages: FieldMessages,
    notice: Option<String>,
    owners: Vec<(String, String)>,
    places: Vec<(String, String)>,
    review: Review,
}

impl EventEditorPage {
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

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        form::kinds()
    }

    fn weekdays(&self) -> Vec<(&'static str, &'static str, bool)> {
        Weekday::VARIANTS
            .iter()
            .map(|day| {
                (
                    day.id(),
                    day.label_ja(),
                    self.form.weekdays.iter().any(|id| id == day.id()),
                )
            })
            .collect()
    }

    fn methods(&self) -> Vec<(&'static str, &'static str)> {
        SignUpMethod::VARIANTS
            .iter()
            .map(|method| (method.id(), method.label_ja()))
            .collect()
    }

    fn grades(&self) -> Vec<(String, String)> {
        (kosodate_places::GRADE_MIN..=kosodate_places::GRADE_MAX)
            .map(|grade| (grade.to_string(), kosodate_places::Grade(grade).name_ja()))
            .collect()
    }
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    template: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct EditQuery {
    saved: Option<String>,
}

pub async fn new_event(
    State(state): State<AppState>,
    staff: SignedInStaff,
    ApiQuery(query): ApiQuery<NewQuery>,
) -> Result<Response, ApiError> {
    let lookup = Lookup::load(&state, &staff).await?;
    let template = match query.template.as_deref() {
        None | Some("") => None,
        Some(key) => Some(event_template(key).ok_or_else(|| {
            ApiError::not_found(
                format!("イベントのひな形「{key}」はありません。一覧から選んでください"),
                format!("no event template {key}"),
            )
        })?),
    };
    let owner = lookup
        .owners
        .first()
        .map(|(code, _)| code.clone())
        .unwrap_or_default();
    let form = EventForm::new(&owner, template.as_ref());
    let view = view("/staff/events/new".to_owned(), None);
    render(
        &state,
        &staff,
        &lookup,
        form,
        FieldMessages::new(),
        view,
        StatusCode::OK,
    )
    .await
}

pub async fn edit_event(
    State(state): State<AppState>,
    staff: SignedInStaff,
    RecordId(id): RecordId<path_ids::Event>,
    ApiQuery(query): ApiQuery<EditQuery>,
) -> Result<Response, ApiError> {
    let event = load_writable(&state, &staff, id).await?;
    let lookup = Lookup::load(&state, &staff).await?;
    let mut view = view(format!("/staff/events/{}/edit", event.id), Some(&event));
    view.notice = query.saved.as_deref().and_then(saved_notice).map(str::to_owned);
    let form = EventForm::from_event(&event);
    render(
        &state,
        &staff,
        &lookup,
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
        "published" => Some("公開しました。住民のイベント一覧に表示されます。"),
        "archived" => Some("終了しました。住民には表示されなくなりました。"),
        _ => None,
    }
}

fn view(action: String, event: Option<&Event>) -> View {
    View::new(
        action,
        event.map(|event| Stored::new(event.id, event.status, event.version)),
    )
}

/// An event the staff member may change (others see that it is not theirs).
/// `/staff/events/{id}/preview`: the event's page as parents will see it, drafts too.
pub async fn preview(
    State(state): State<AppState>,
    staff: SignedInStaff,
    RecordId(id): RecordId<path_ids::Event>,
) -> Result<Response, ApiError> {
    let event = load_writable(&state, &staff, id).await?;
    let banner = records::preview(event.status, format!("/staff/events/{id}/edit"));
    show::event_page(&state, event, show::Going::SignIn, Some(banner)).await
}

async fn load_writable(state: &AppState, staff: &SignedInStaff, id: Uuid) -> Result<Event, ApiError> {
    let event = state.places.event(id, Visibility::Staff).await?;
    check_writable(staff, event.content.owner)?;
    Ok(event)
}

async fn render(
    state: &AppState,
    staff: &SignedInStaff,
    lookup: &Lookup,
    form: EventForm,
    messages: FieldMessages,
    view: View,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let places = places_of(state, &form.owner).await?;
    let request = match &view.stored {
        Some(stored) => state.places.event_review_request(stored.id).await?,
        None => None,
    };
    let review = Review::of_record(state, staff, &form.owner, view.stored.as_ref(), request).await?;
    let page = EventEditorPage {
        chrome: StaffChrome::load(state, staff, "/staff/events").await,
        review,
        action: view.action,
        event: view.stored,
        form,
        messages,
        notice: view.notice,
        owners: lookup.owners.clone(),
        places,
    };
    Ok(crate::pages::html(status, &page))
}

/// The places an event of `owner` may be held at: its own and the prefecture's.
async fn places_of(state: &AppState, owner: &str) -> Result<Vec<(String, String)>, ApiError> {
    let filter = PlaceFilter {
        area: kosodate_places::Area {
            municipality: kosodate_domain::MunicipalityCode::parse(owner).ok(),
            ..kosodate_places::Area::default()
        },
        ..PlaceFilter::default()
    };
    let request = PageRequest {
        limit: Some(200),
        cursor: None,
    };
    let page = state
        .places
        .list_places(&filter, Visibility::Staff, &request)
        .await?;
    Ok(page
        .items
        .into_iter()
        .filter(|place| place.status != Status::Archived)
        .map(|place| (place.id.to_string(), place.content.name))
        .collect())
}

pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let view = view("/staff/events/new".to_owned(), None);
    submit(&state, &context, form, view, None).await
}

pub async fn update(
    State(state): State<AppState>,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Event>,
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let event = load_writable(&state, &form.staff, id).await?;
    let view = view(format!("/staff/events/{}/edit", event.id), Some(&event));
    submit(&state, &context, form, view, Some(event)).await
}

async fn submit(
    state: &AppState,
    context: &RequestContext,
    posted: StaffForm<Vec<(String, String)>>,
    view: View,
    event: Option<Event>,
) -> Result<Response, ApiError> {
    let StaffForm { staff, fields } = posted;
    let action = field(&fields, "action");
    if let Some(event) = &event
        && action == "archive"
    {
        let result = state.places.archive_event(&staff.identity, event.id).await;
        let archived = audited(
            state,
            &staff.identity,
            context,
            "event.archive",
            Some(event.id),
            result,
        )
        .await?;
        return Ok(back_to(EDITOR, archived.id, "archived"));
    }
    if let Some(event) = &event
        && action == "approve"
    {
        let result = state.places.publish_event(&staff.identity, event.id).await;
        let published = audited(
            state,
            &staff.identity,
            context,
            "event.publish",
            Some(event.id),
            result,
        )
        .await?;
        return Ok(back_to(EDITOR, published.id, "published"));
    }
    let lookup = Lookup::load(state, &staff).await?;
    let form = EventForm::from_fields(&fields);
    let (input, messages) = checked(&form)?;
    if !messages.is_empty() || action == "check" {
        let status = match action {
            "check" => StatusCode::OK,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        return render(state, &staff, &lookup, form, messages, view, status).await;
    }
    let version = form.version.trim().parse::<i32>().ok();
    let saved = match &event {
        Some(event) => {
            state
                .places
                .update_event(&staff.identity, event.id, &input, version)
                .await
        }
        None => state.places.create_event(&staff.identity, &input).await,
    };
    let saved = match saved {
        Err(PlacesError::Invalid(invalid)) => {
            let messages = form::messages(FieldMessages::new(), &invalid.0);
            return render(
                state,
                &staff,
                &lookup,
                form,
                messages,
                view,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        other => other,
    };
    let verb = if event.is_some() {
        "event.update"
    } else {
        "event.create"
    };
    let target = event.as_ref().map(|event| event.id);
    let saved = audited(state, &staff.identity, context, verb, target, saved).await?;
    if action == "request_review" {
        let result = state.places.request_event_review(&staff.identity, saved.id).await;
        let asked = audited(
            state,
            &staff.identity,
            context,
            "event.review_request",
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
    let result = state.places.publish_event(&staff.identity, saved.id).await;
    let published = audited(
        state,
        &staff.identity,
        context,
        "event.publish",
        Some(saved.id),
        result,
    )
    .await?;
    Ok(back_to(EDITOR, published.id, "published"))
}

/// The input of a form and every message for it: what the form could not read and what
/// validation refused.
fn checked(form: &EventForm) -> Result<(EventInput, FieldMessages), ApiError> {
    let today =
        CalendarDate::try_from(japan::date_of(chrono::Utc::now())).map_err(|_| ApiError::internal())?;
    let (input, form_errors) = form.to_input(today);
    let messages = match input.validate() {
        Ok(_) => form_errors,
        Err(invalid) => form::messages(form_errors, &invalid.0),
    };
    Ok((input, messages))
}
