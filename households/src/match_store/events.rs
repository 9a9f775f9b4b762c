//! Change events as the matcher records them and the planner reads them.

use chrono::NaiveDate;
use kosodate_domain::{NoticeKind, ProgramId};
use uuid::Uuid;

use crate::entity::match_event;
use crate::error::HouseholdError;

/// A change the notifier turns into notices. `(household, program, kind, anchor_on)` is unique,
/// so deciding the same change twice stores it once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// `None` for an event about the household as a whole.
    pub program_id: Option<ProgramId>,
    /// A change event's kind: never `Digest` or `ChannelDisabled`.
    pub kind: NoticeKind,
    pub anchor_on: NaiveDate,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
}

impl ChangeEvent {
    /// A household's first results, as one event.
    pub fn first_match(today: NaiveDate) -> Self {
        Self {
            program_id: None,
            kind: NoticeKind::FirstMatch,
            anchor_on: today,
            opens_on: None,
            closes_on: None,
        }
    }
}

/// A recorded event waiting to be planned into notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub id: Uuid,
    pub household_id: String,
    pub event: ChangeEvent,
    /// The day it was recorded on: the reference date for what the notice says.
    pub occurs_on: NaiveDate,
}

impl RecordedEvent {
    pub(crate) fn of(row: match_event::Model) -> Result<Self, HouseholdError> {
        let corrupt = |what: &str| HouseholdError::Corrupt(format!("match event {}: {what}", row.id));
        let program_id = row
            .program_id
            .as_deref()
            .map(ProgramId::parse)
            .transpose()
            .map_err(|_| corrupt("program id"))?;
        Ok(Self {
            id: Uuid::parse_str(&row.id).map_err(|_| corrupt("id"))?,
            household_id: row.household_id,
            event: ChangeEvent {
                program_id,
                kind: NoticeKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
                anchor_on: row.anchor_on,
                opens_on: row.opens_on,
                closes_on: row.closes_on,
            },
            occurs_on: row.occurs_on,
        })
    }
}
