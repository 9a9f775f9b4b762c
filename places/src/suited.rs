//! Which events suit a household's children over some days: the one answer the parents' page and
//! the weekly notice share. Reading the area's events is one query; deciding for each household is
//! pure, so that a caller deciding for many households reads the events once.

use chrono::NaiveDate;
use kosodate_registry::Visibility;
use kosodate_registry::page::PageRequest;

use crate::error::PlacesError;
use crate::model::{ChildDate, Event, Occurrence};
use crate::reading::{Area, EventFilter};
use crate::store::Places;

/// Events read per page while gathering an area's span.
const EVENTS_PAGE: u64 = 500;

/// A published event and its days within the span asked for.
#[derive(Debug, Clone)]
pub struct EventDays {
    pub event: Event,
    pub occurrences: Vec<Occurrence>,
}

/// An event that suits at least one of the children on at least one of its days.
#[derive(Debug, Clone)]
pub struct SuitedEvent {
    pub event: Event,
    /// The days within the span on which it suits one of the children, in order.
    pub occurrences: Vec<Occurrence>,
    /// Which children (their positions in the list given) it suits on one of those days.
    pub children: Vec<usize>,
}

impl Places {
    /// Every published event of `area` with a day from `from` to `to` (both included), with those
    /// days, in the order of their first day.
    pub async fn events_between(
        &self,
        area: &Area,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<EventDays>, PlacesError> {
        let filter = EventFilter {
            area: area.clone(),
            from: Some(from),
            to: Some(to),
            ..EventFilter::default()
        };
        let mut found = Vec::new();
        let mut page = PageRequest {
            limit: Some(EVENTS_PAGE),
            cursor: None,
        };
        loop {
            let events = self.list_events(&filter, Visibility::Public, &page).await?;
            found.extend(events.items.into_iter().filter_map(|event| {
                let occurrences = event.occurrences_between(from, to);
                (!occurrences.is_empty()).then_some(EventDays { event, occurrences })
            }));
            match events.next_cursor {
                Some(cursor) => page.cursor = Some(cursor),
                None => break,
            }
        }
        found.sort_by_key(|days| days.occurrences.first().copied());
        Ok(found)
    }
}

/// The events among `events` that are meant for some children (pregnancy, an age or a school
/// year) and suit one of `children` on one of their days. Events for everybody are left out: a
/// notice about "events for your child's age" that lists every festival would teach parents to
/// ignore it.
pub fn suited_events(events: &[EventDays], children: &[ChildDate]) -> Vec<SuitedEvent> {
    events
        .iter()
        .filter(|days| days.event.content.audience.names_someone())
        .filter_map(|days| suited(days, children))
        .collect()
}

fn suited(days: &EventDays, children: &[ChildDate]) -> Option<SuitedEvent> {
    let audience = &days.event.content.audience;
    let mut suited_children = Vec::new();
    let occurrences: Vec<Occurrence> = days
        .occurrences
        .iter()
        .filter(|occurrence| {
            let on = occurrence.date.date();
            let suiting: Vec<usize> = (0..children.len())
                .filter(|&child| audience.suits(children[child], on))
                .collect();
            suited_children.extend(suiting.iter().copied());
            !suiting.is_empty()
        })
        .copied()
        .collect();
    if occurrences.is_empty() {
        return None;
    }
    suited_children.sort_unstable();
    suited_children.dedup();
    Some(SuitedEvent {
        event: days.event.clone(),
        occurrences,
        children: suited_children,
    })
}
