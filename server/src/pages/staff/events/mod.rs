//! The staff pages of children's events, under `/staff/events`: the organisation's events with
//! their state and next day, the templates of the common kinds (離乳食教室, 両親学級 …) to start
//! from, and the event editor (`editor`, with the form ↔ `EventInput` in `form`), whose
//! schedule a clerk enters as they would say it: once, on listed days, every week or every other
//! week (隔週) on ticked weekdays, 第2火曜, or 毎月15日, with the days off; and each event's versions
//! compared field by field (`history`). Writing goes through the places crate, which decides who
//! may and keeps every version.

mod editor;
mod form;
mod history;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{Vocabulary, japan};
use kosodate_places::{EventFilter, event_templates};
use kosodate_registry::Visibility;
use kosodate_registry::page::PageRequest;
use uuid::Uuid;

use super::StaffChrome;
use crate::error::ApiError;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

/// More than an organisation runs at once, so that one page holds them all.
const LIST_LIMIT: u64 = 500;

pub fn router() -> Router<AppState> {
    use axum::routing::get;
    Router::new()
        .route("/staff/events", get(list))
        .route("/staff/events/new", get(editor::new_event).post(editor::create))
        .route(
            "/staff/events/{id}/edit",
            get(editor::edit_event).post(editor::update),
        )
        .route("/staff/events/{id}/preview", get(editor::preview))
        .route("/staff/events/{id}/history", get(history::page))
}

/// What the editor needs from the registry: whom the staff member may enter events for.
pub struct Lookup {
    owners: Vec<(String, String)>,
}

impl Lookup {
    async fn load(state: &AppState, staff: &SignedInStaff) -> Result<Self, ApiError> {
        let places = crate::pages::places::Places::load(state).await?;
        Ok(Self {
            owners: super::owners(&staff.identity.role, &places),
        })
    }
}

#[derive(Template)]
#[template(path = "staff/events.html")]
struct EventsPage {
    chrome: StaffChrome,
    events: Vec<EventRow>,
    templates: Vec<(&'static str, &'static str, &'static str)>,
}

struct EventRow {
    id: Uuid,
    title: String,
    kind: &'static str,
    status: &'static str,
    next: String,
}

async fn list(State(state): State<AppState>, staff: SignedInStaff) -> Result<Response, ApiError> {
    let filter = EventFilter {
        area: super::records::own_area(&staff.identity.role),
        ..EventFilter::default()
    };
    let request = PageRequest {
        limit: Some(LIST_LIMIT),
        cursor: None,
    };
    let today = japan::date_of(chrono::Utc::now());
    let horizon = today + chrono::Days::new(366);
    let events = state
        .places
        .list_events(&filter, Visibility::Staff, &request)
        .await?
        .items
        .into_iter()
        .map(|event| EventRow {
            id: event.id,
            kind: event.content.kind.label_ja(),
            status: event.status.label_ja(),
            next: event.occurrences_between(today, horizon).first().map_or_else(
                || "予定なし".to_owned(),
                |day| japan::format_date_with_weekday(day.date.date()),
            ),
            title: event.content.title,
        })
        .collect();
    let page = EventsPage {
        chrome: StaffChrome::load(&state, &staff, "/staff/events").await,
        events,
        templates: event_templates()
            .into_iter()
            .map(|template| (template.key, template.title, template.summary))
            .collect(),
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}
