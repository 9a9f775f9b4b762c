//! 「行く」: a signed-in parent with a household says it will go to an event (or no longer),
//! which puts its days into the household's calendar feed. Stored only under the household's
//! consent to matching; nothing about it is logged.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use kosodate_domain::japan;
use kosodate_households::HouseholdId;
use kosodate_places::{PlacesError, Venue};
use kosodate_registry::Visibility;
use serde::Deserialize;

use crate::error::ApiError;
use crate::pages::calendar_feed::EventDay;
use crate::pages::visitor::ParentForm;
use crate::parent;
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

/// How far ahead the calendar feed carries an event's days.
const FEED_DAYS: u64 = 180;

#[derive(Debug, Deserialize)]
pub struct AttendForm {
    /// `yes` or `no`.
    going: String,
}

pub async fn attend(
    State(state): State<AppState>,
    RecordId(id): RecordId<path_ids::Event>,
    form: ParentForm<AttendForm>,
) -> Result<Response, ApiError> {
    let household = parent::require_household(&state, form.parent.account).await?;
    match form.fields.going.as_str() {
        "yes" => {
            // Only a published event can be gone to.
            state.places.event(id, Visibility::Public).await?;
            state.households.attend_event(household, id).await?;
        }
        _ => state.households.leave_event(household, id).await?,
    }
    let location = format!("/events/{id}#going");
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}

/// The days from `today` of the published events the household goes to, for its feed.
pub async fn attended_days(
    state: &AppState,
    household: HouseholdId,
    today: NaiveDate,
) -> Result<Vec<EventDay>, ApiError> {
    let to = today + chrono::Days::new(FEED_DAYS);
    let mut days = Vec::new();
    for (id, _) in state.households.attended_events(household).await? {
        let event = match state.places.event(id, Visibility::Public).await {
            Ok(event) => event,
            // Archived or withdrawn since: no longer in the feed.
            Err(PlacesError::EventNotFound(_)) => continue,
            Err(error) => return Err(error.into()),
        };
        let location = match &event.content.venue {
            Venue::Text { text } => Some(text.clone()),
            Venue::Place { place_id } => state
                .places
                .place(*place_id, Visibility::Public)
                .await
                .ok()
                .map(|place| format!("{} {}", place.content.name, place.content.address)),
        };
        for occurrence in event.occurrences_between(today, to) {
            let date = occurrence.date.date();
            days.push(EventDay {
                event_id: event.id,
                title: event.content.title.clone(),
                location: location.clone(),
                starts: japan::at(date, occurrence.start.time()),
                ends: occurrence.end.map(|end| japan::at(date, end.time())),
            });
        }
    }
    Ok(days)
}
