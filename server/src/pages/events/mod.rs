//! The public pages of children's events and places: `/events` (upcoming days of published
//! events in a municipality or region, narrowed by a child's age in months or 学年 and by kind,
//! listed by date), `/events/{id}` (details, next dates, place, sign-up) and `/places/{id}` (a
//! place with its opening hours, facilities such as 授乳室 and its upcoming events; the page
//! `pages/places.rs` is something else: the list of municipalities). Nothing here is personal.

mod attend;
mod listing;
pub mod show;

use axum::Router;
use axum::routing::get;
use chrono::NaiveDate;
use kosodate_domain::japan;
use kosodate_places::{Event, Occurrence};

use crate::state::AppState;

pub use attend::attended_days;
pub use listing::{for_household, matching};

/// How far ahead the list and a detail page look.
const HORIZON_DAYS: u64 = 8 * 7;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(listing::page))
        .route("/events/{id}", get(show::event))
        .route("/events/{id}/attend", axum::routing::post(attend::attend))
        .route("/places/{id}", get(show::place))
}

/// One day of an event as lists show it.
#[derive(Debug, Clone)]
pub struct EventDay {
    pub date: NaiveDate,
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    /// 「2026年12月8日（火）」.
    pub day: String,
    /// 「10:00〜11:30」.
    pub time: String,
}

impl EventDay {
    pub fn of(event: &Event, occurrence: &Occurrence) -> Self {
        use kosodate_domain::Vocabulary;
        Self {
            date: occurrence.date.date(),
            id: event.id.to_string(),
            title: event.content.title.clone(),
            kind: event.content.kind.label_ja(),
            day: japan::format_date_with_weekday(occurrence.date.date()),
            time: time_of(occurrence),
        }
    }
}

pub fn time_of(occurrence: &Occurrence) -> String {
    match occurrence.end {
        Some(end) => format!("{}〜{end}", occurrence.start),
        None => format!("{}〜", occurrence.start),
    }
}

/// Today in Japan and the last day the pages look at.
fn window() -> (NaiveDate, NaiveDate) {
    let today = japan::date_of(chrono::Utc::now());
    (today, today + chrono::Days::new(HORIZON_DAYS))
}
