//! The parents' community under `/community`, in the parents' look: the questions (`list`),
//! joining with the community consent and a display name (`join`), asking with similar questions
//! shown first and personal data caught before anything is stored (`ask`), a question with its
//! answers, related programs and where to ask in person (`question`), and the member's own page
//! (`mine`). Everything they change goes through `crate::community`, the same operations as the
//! JSON API; every form works without script.

mod ask;
mod edit;
mod join;
mod list;
mod mine;
mod question;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use kosodate_community::{CommunityError, FieldFinding, Masking, Member, QuestionCategory, Region};
use kosodate_domain::{AgeBand, Vocabulary};
use strum::VariantArray;

use super::me::see_other;
use super::places::Places;
use super::visitor::SignedInParent;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/community", get(list::page))
        .route("/community/join", get(join::page).post(join::join))
        .route("/community/ask", get(ask::page).post(ask::post))
        .route("/community/questions/{id}", get(question::page))
        .route("/community/questions/{id}/answers", post(question::answer))
        .route("/community/questions/{id}/edit", get(edit::page).post(edit::save))
        .route("/community/questions/{id}/history", get(edit::history))
        .route(
            "/community/questions/{id}/answers/{answer}/edit",
            get(edit::answer_page).post(edit::save_answer),
        )
        .route("/community/answers/{id}/helpful", post(question::helpful))
        .route("/community/answers/{id}/accept", post(question::accept))
        .route(
            "/community/report",
            get(question::report_page_get).post(question::report),
        )
        .route("/community/mine", get(mine::page))
        .route("/community/mine/settings", post(mine::settings))
        .route("/community/mine/expert", post(mine::request_expert))
        .route("/community/mine/leave", post(mine::leave))
}

/// The community's own tabs; `current` is the path of the page showing them.
#[derive(Debug)]
pub struct CommunityTabs {
    pub current: &'static str,
}

impl CommunityTabs {
    pub const ALL: [(&'static str, &'static str); 3] = [
        ("/community", "質問一覧"),
        ("/community/ask", "質問する"),
        ("/community/mine", "自分の投稿"),
    ];

    pub fn is_current(&self, href: &str) -> bool {
        href == self.current
    }
}

/// The member behind a page that posts, or the join page when the parent has not joined (or
/// withdrew the community consent).
pub async fn member_or_join(
    state: &AppState,
    parent: &SignedInParent,
) -> Result<Result<Member, Response>, ApiError> {
    let standing = crate::community::standing(state, parent.account).await?;
    Ok(standing
        .posting_member()
        .cloned()
        .ok_or_else(|| see_other("/community/join")))
}

/// One choice of the place tag: a region (its id) or a municipality (its code).
#[derive(Debug, Clone)]
pub struct PlaceChoice {
    pub value: String,
    pub label: String,
}

/// A region and its municipalities, for a `<select>` with one group per region.
#[derive(Debug, Clone)]
pub struct PlaceGroup {
    pub name: String,
    pub choices: Vec<PlaceChoice>,
}

/// The place tags: each region as a whole, then its municipalities.
pub async fn place_groups(state: &AppState) -> Result<Vec<PlaceGroup>, ApiError> {
    let places = Places::load(state).await?;
    Ok(places
        .regions
        .into_iter()
        .map(|region| {
            let whole = Region::VARIANTS
                .iter()
                .find(|known| known.label_ja() == region.name)
                .map(|known| PlaceChoice {
                    value: known.id().to_owned(),
                    label: format!("{}地域（全体）", region.name),
                });
            let choices = whole
                .into_iter()
                .chain(region.places.into_iter().map(|place| PlaceChoice {
                    value: place.code,
                    label: place.name,
                }))
                .collect();
            PlaceGroup {
                name: region.name,
                choices,
            }
        })
        .collect())
}

/// The place tag a form sent: a municipality's code, or a region's id.
pub fn place_tag(value: &str) -> (Option<String>, Option<Region>) {
    let value = value.trim();
    match value.chars().all(|character| character.is_ascii_digit()) && !value.is_empty() {
        true => (Some(value.to_owned()), None),
        false => (None, Region::parse(value)),
    }
}

/// What the personal-data check found, as a page shows it: each finding's kind and the text as
/// it would be stored.
#[derive(Debug, Clone)]
pub struct FoundView {
    pub kinds: Vec<&'static str>,
    pub masked_title: Option<String>,
    pub masked_body: String,
}

impl FoundView {
    pub fn of(findings: &[FieldFinding], masked_title: Option<String>, masked_body: String) -> Self {
        let mut kinds: Vec<&'static str> = findings.iter().map(|finding| finding.kind.label_ja()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        Self {
            kinds,
            masked_title,
            masked_body,
        }
    }
}

/// What a post form shows again when the community refused the post: the personal data found,
/// the wrong fields, or the rate limit; with the status of the page. Any other refusal is no
/// form's and is answered as an error.
#[derive(Debug, Default, Clone)]
pub struct Refusal {
    pub errors: FieldMessages,
    pub found: Option<FoundView>,
    pub message: Option<String>,
}

impl Refusal {
    pub fn of(refusal: CommunityError) -> Result<(StatusCode, Self), ApiError> {
        let mut shown = Self::default();
        let status = match &refusal {
            CommunityError::PersonalData {
                findings,
                masked_title,
                masked_body,
            } => {
                shown.found = Some(FoundView::of(findings, masked_title.clone(), masked_body.clone()));
                StatusCode::UNPROCESSABLE_ENTITY
            }
            CommunityError::Invalid(errors) => {
                shown.errors = FieldMessages::of(errors);
                StatusCode::UNPROCESSABLE_ENTITY
            }
            CommunityError::RateLimited { .. } => {
                shown.message = Some(refusal.message_ja());
                StatusCode::TOO_MANY_REQUESTS
            }
            _ => return Err(refusal.into()),
        };
        Ok((status, shown))
    }
}

/// The masking the post form's button asked for: 「伏せ字にして投稿」 is `mask`.
pub fn masking(action: &str) -> Masking {
    match action {
        "mask" => Masking::Accept,
        _ => Masking::Ask,
    }
}

/// The categories and age bands as a form's `<select>` lists them: id and label.
pub fn category_choices() -> Vec<(&'static str, &'static str)> {
    QuestionCategory::VARIANTS
        .iter()
        .map(|category| (category.id(), category.label_ja()))
        .collect()
}

pub fn age_choices() -> Vec<(&'static str, &'static str)> {
    AgeBand::VARIANTS
        .iter()
        .map(|age| (age.id(), age.label_ja()))
        .collect()
}

/// A form's problems by field, for the page to show beside each control.
#[derive(Debug, Default, Clone)]
pub struct FieldMessages(pub Vec<(String, String)>);

impl FieldMessages {
    pub fn of(errors: &kosodate_community::InputErrors) -> Self {
        Self(
            errors
                .0
                .iter()
                .map(|error| {
                    (
                        error.pointer.trim_start_matches('/').to_owned(),
                        error.detail.clone(),
                    )
                })
                .collect(),
        )
    }

    /// The message for a field, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
