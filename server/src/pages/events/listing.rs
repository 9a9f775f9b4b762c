//! `/events`: the days of published events, by date, as a plain GET form narrows them.

use std::ops::RangeInclusive;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use kosodate_domain::{MunicipalityCode, Vocabulary};
use kosodate_places::{Area, ChildDate, Event, EventFilter, EventKind, Grade};
use kosodate_registry::Visibility;
use kosodate_registry::page::PageRequest;
use strum::VariantArray;

use super::{EventDay, window};
use crate::error::ApiError;
use crate::pages::places::Places;
use crate::state::AppState;

/// Enough published events of an area for eight weeks; more is read page by page.
const BATCH: u64 = 200;
/// Days listed at most, so that a prefecture-wide list stays readable.
const MAX_DAYS: usize = 300;
/// A parent's page looks four weeks ahead.
const PARENT_DAYS: u64 = 28;

/// The form as sent, kept as typed so that it is shown again.
#[derive(Debug, Clone, Default)]
struct EventsForm {
    /// A municipality's code, or `region:東青`.
    area: String,
    age: String,
    grade: String,
    kind: String,
}

impl EventsForm {
    fn parse(raw: Option<&str>) -> Self {
        let mut form = Self::default();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let value = value.trim().to_owned();
            match &*name {
                "area" => form.area = value,
                "age" => form.age = value,
                "grade" => form.grade = value,
                "kind" => form.kind = value,
                _ => {}
            }
        }
        form
    }

    fn area(&self) -> Area {
        match self.area.strip_prefix("region:") {
            Some(region) => Area {
                region: Some(region.to_owned()),
                ..Area::default()
            },
            None => Area {
                municipality: MunicipalityCode::parse(&self.area).ok(),
                ..Area::default()
            },
        }
    }

    fn filter(&self) -> EventFilter {
        let (from, to) = window();
        EventFilter {
            area: self.area(),
            kind: EventKind::parse(&self.kind),
            from: Some(from),
            to: Some(to),
            age_months: kosodate_domain::japan::half_width(&self.age)
                .parse()
                .ok()
                .map(|months: i32| months..=months),
            ..EventFilter::default()
        }
    }

    fn suits_grade(&self, event: &Event) -> bool {
        let Some(grade) = Grade::parse(&self.grade) else {
            return true;
        };
        let audience = &event.content.audience;
        match audience.grades {
            Some(range) => range.from <= grade && grade <= range.to,
            None => !audience.pregnancy && audience.age_months.is_none(),
        }
    }
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    form: EventsForm,
    places: Places,
    kinds: Vec<(&'static str, &'static str)>,
    grades: Vec<(String, String)>,
    days: Vec<EventDay>,
}

pub async fn page(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let form = EventsForm::parse(raw.as_deref());
    let events = published(&state, &form.filter()).await?;
    let (from, to) = window();
    let mut days = days_of(events.iter().filter(|event| form.suits_grade(event)), from, to);
    days.truncate(MAX_DAYS);
    let page = EventsPage {
        places: Places::load(&state).await?,
        kinds: EventKind::VARIANTS
            .iter()
            .map(|kind| (kind.id(), kind.label_ja()))
            .collect(),
        grades: (kosodate_places::GRADE_MIN..=kosodate_places::GRADE_MAX)
            .map(|grade| (grade.to_string(), Grade(grade).name_ja()))
            .collect(),
        form,
        days,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

/// Every published event the filter keeps, page after page.
pub async fn published(state: &AppState, filter: &EventFilter) -> Result<Vec<Event>, ApiError> {
    let mut events = Vec::new();
    let mut cursor = None;
    loop {
        let request = PageRequest {
            limit: Some(BATCH),
            cursor,
        };
        let page = state
            .places
            .list_events(filter, Visibility::Public, &request)
            .await?;
        events.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(events),
        }
    }
}

/// The days of these events from `from` to `to`, by date and time.
pub fn days_of<'a>(events: impl Iterator<Item = &'a Event>, from: NaiveDate, to: NaiveDate) -> Vec<EventDay> {
    let days: Vec<(EventDay, kosodate_places::ClockTime)> = events
        .flat_map(|event| {
            event
                .occurrences_between(from, to)
                .into_iter()
                .map(move |occurrence| (EventDay::of(event, &occurrence), occurrence.start))
        })
        .collect();
    sorted(days)
}

/// By date, start and title.
fn sorted(mut days: Vec<(EventDay, kosodate_places::ClockTime)>) -> Vec<EventDay> {
    days.sort_by(|(a, a_start), (b, b_start)| (a.date, a_start, &a.title).cmp(&(b.date, b_start, &b.title)));
    days.into_iter().map(|(day, _)| day).collect()
}

/// The days in the next four weeks of published events in the household's municipality and
/// region (and the prefecture's) that suit one of its children on that day (by months of age,
/// 学年, or pregnancy before the birth), for the parent's own page: the same events the weekly
/// notice tells (`kosodate_places::suited_events`).
pub async fn for_household(
    state: &AppState,
    household: &kosodate_matcher::Household,
    today: NaiveDate,
) -> Result<Vec<EventDay>, ApiError> {
    let children: Vec<ChildDate> = household
        .children
        .iter()
        .map(|child| child.birth.into())
        .collect();
    if children.is_empty() {
        return Ok(Vec::new());
    }
    let region = state.registry.municipality(household.municipality).await?.region;
    let area = Area::around(household.municipality, region);
    let to = today + chrono::Days::new(PARENT_DAYS);
    let events = state.places.events_between(&area, today, to).await?;
    let days = kosodate_places::suited_events(&events, &children)
        .iter()
        .flat_map(|suited| {
            suited
                .occurrences
                .iter()
                .map(|occurrence| (EventDay::of(&suited.event, occurrence), occurrence.start))
        })
        .collect();
    Ok(sorted(days))
}

/// At most this many events beside a search's programs.
const SEARCH_EVENTS: usize = 5;

/// The published events of the next eight weeks whose words hold `text`, in `municipality`
/// (and the prefecture's) when one is chosen, for a child of some age in `age_months` when one
/// is given, each once at its next day: for the search page.
pub async fn matching(
    state: &AppState,
    text: &str,
    municipality: Option<MunicipalityCode>,
    age_months: Option<RangeInclusive<i32>>,
) -> Result<Vec<EventDay>, ApiError> {
    let (from, to) = window();
    let filter = EventFilter {
        area: Area {
            municipality,
            ..Area::default()
        },
        from: Some(from),
        to: Some(to),
        text: Some(text.to_owned()),
        age_months,
        ..EventFilter::default()
    };
    let events = published(state, &filter).await?;
    let mut days = days_of(events.iter(), from, to);
    let mut seen = std::collections::HashSet::new();
    days.retain(|day| seen.insert(day.id.clone()));
    days.truncate(SEARCH_EVENTS);
    Ok(days)
}
