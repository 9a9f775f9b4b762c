//! Evaluating one batch of households, free of the database so that it runs on the rayon pool:
//! for each household, every applicable program from the catalogue, compared with what its
//! stored state said, giving the new state, the change events and the next day to look again.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use kosodate_domain::ProgramId;
use kosodate_households::StoredHousehold;
use kosodate_households::match_store::{ChangeEvent, MatchState, StateWrite, StoredState};
use kosodate_matcher::{Eligibility, PreparedHousehold, Truth};

use crate::catalogue::{Catalogue, CatalogueEntry};
use crate::decide::{
    MatchPolicy, ProgramMatch, ProgramSeen, ResultDetail, Seen, pair_events, pair_next_check,
};
use crate::error::MatchingError;
use crate::fingerprint::{fingerprint, household_hash};

/// How a stored snapshot relates to the current catalogue.
#[derive(Debug, Default)]
pub(crate) struct SnapshotMap {
    /// Old position → current position.
    to_new: Vec<Option<u32>>,
    /// Current position → the program's version in the old snapshot.
    old_versions: Vec<Option<i32>>,
}

impl SnapshotMap {
    pub(crate) fn new(old: &[(ProgramId, i32)], catalogue: &Catalogue) -> Self {
        let mut map = SnapshotMap {
            to_new: Vec::with_capacity(old.len()),
            old_versions: vec![None; catalogue.len()],
        };
        for (id, version) in old {
            let position = catalogue.position(*id);
            if let Some(position) = position {
                map.old_versions[position as usize] = Some(*version);
            }
            map.to_new.push(position);
        }
        map
    }
}

/// One batch's evaluation, free of the database so that it runs on the rayon pool.
pub(crate) struct Evaluation {
    pub catalogue: Arc<Catalogue>,
    pub catalogue_id: i64,
    pub translations: HashMap<i64, Arc<SnapshotMap>>,
    pub policy: MatchPolicy,
    pub today: NaiveDate,
}

/// The new state of one household, or `write: None` when the stored one is still right.
#[derive(Debug)]
pub(crate) struct HouseholdOutcome {
    pub evaluated: u64,
    pub household: kosodate_households::HouseholdId,
    pub write: Option<StateWrite>,
    pub events: Vec<ChangeEvent>,
}

impl Evaluation {
    pub(crate) fn household(
        &self,
        stored: &StoredHousehold,
        previous: Option<&StoredState>,
    ) -> Result<HouseholdOutcome, MatchingError> {
        let (policy, today) = (self.policy, self.today);
        let municipality = stored.household.municipality;
        let applicable = || self.catalogue.applicable(municipality);
        let household_hash = household_hash(policy, &stored.household);
        let fingerprint = fingerprint(household_hash, self.catalogue.applicable_hash(municipality));
        let mut outcome = HouseholdOutcome {
            household: stored.id,
            evaluated: 0,
            write: None,
            events: Vec::new(),
        };
        if previous.is_some_and(|row| {
            row.fingerprint == fingerprint && row.next_check.is_none_or(|next| next > today)
        }) {
            return Ok(outcome);
        }
        let previous = previous.map(|row| self.previous(row)).transpose()?;
        let prepared = PreparedHousehold::new(&stored.household);
        let horizon = policy.horizon(today);
        let mut state = MatchState {
            household: household_hash,
            ..MatchState::default()
        };
        let mut next_check: Option<NaiveDate> = None;
        for (position, entry) in applicable() {
            outcome.evaluated += 1;
            let fresh = assess(entry, &prepared, today, horizon, policy, Detail::ForEvents);
            match fresh.eligibility {
                Eligibility::Eligible => state.eligible.push(position),
                Eligibility::Unknown => state.unknown.push(position),
                Eligibility::NotEligible => {}
            }
            let seen = previous.as_ref().map_or(Seen::Never, |previous| {
                previous.seen(position, entry, household_hash)
            });
            outcome.events.extend(pair_events(policy, today, seen, &fresh));
            next_check = [next_check, pair_next_check(policy, today, &fresh)]
                .into_iter()
                .flatten()
                .min();
        }
        state.eligible.sort_unstable();
        state.unknown.sort_unstable();
        if previous.is_none() && !state.is_empty() {
            outcome.events.push(ChangeEvent::first_match(today));
        }
        outcome.write = Some(StateWrite {
            household: stored.id,
            fingerprint,
            state,
            next_check,
        });
        Ok(outcome)
    }

    fn previous<'a>(&'a self, row: &StoredState) -> Result<Previous<'a>, MatchingError> {
        let state = MatchState::decode(&row.state)?;
        if row.catalogue_id == self.catalogue_id {
            return Ok(Previous {
                state,
                evaluated_on: row.evaluated_on,
                snapshot: None,
            });
        }
        let snapshot = self.translations.get(&row.catalogue_id).ok_or_else(|| {
            MatchingError::Corrupt(format!("match catalogue {} not loaded", row.catalogue_id))
        })?;
        Ok(Previous {
            state: state.translate(&snapshot.to_new),
            evaluated_on: row.evaluated_on,
            snapshot: Some(snapshot),
        })
    }
}

/// A household's stored state, in the current catalogue's positions.
struct Previous<'a> {
    state: MatchState,
    evaluated_on: NaiveDate,
    /// `None` when stored against the current catalogue.
    snapshot: Option<&'a SnapshotMap>,
}

impl Previous<'_> {
    fn seen(&self, position: u32, entry: &CatalogueEntry, household_hash: u64) -> Seen {
        let old_version = match self.snapshot {
            None => Some(entry.version),
            Some(snapshot) => snapshot.old_versions.get(position as usize).copied().flatten(),
        };
        let program = match old_version {
            None => ProgramSeen::New,
            Some(old) if old < entry.material_version => ProgramSeen::MateriallyChanged,
            Some(_) => ProgramSeen::Known,
        };
        let unchanged = old_version == Some(entry.version) && self.state.household == household_hash;
        Seen::Before {
            was_eligible: self.state.is_eligible(position),
            program,
            unchanged_since: unchanged.then_some(self.evaluated_on),
        }
    }
}

/// How much of an answer to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Everything a parent sees, including the facts that would settle an unknown answer and
    /// where a window ends past the horizon.
    Full,
    /// What events and check dates need: a batch run never shows missing facts, and its events
    /// all fall within the horizon.
    ForEvents,
}

/// The fast path decides most pairs from one evaluation; only pairs that matter within the
/// horizon get their windows computed.
pub(crate) fn assess(
    entry: &CatalogueEntry,
    prepared: &PreparedHousehold<'_>,
    today: NaiveDate,
    horizon: NaiveDate,
    policy: MatchPolicy,
    detail: Detail,
) -> ProgramMatch {
    let quick = entry.rule.evaluate(prepared, today);
    let nothing_ahead = quick.truth == Truth::False && quick.next_change.is_none_or(|next| next >= horizon);
    if nothing_ahead {
        return ProgramMatch {
            program_id: entry.id,
            program_version: entry.version,
            eligibility: Eligibility::NotEligible,
            detail: ResultDetail::default(),
            next_change: quick.next_change,
        };
    }
    // A parent is shown where a window ends even past the horizon; a batch run records only
    // events within it, and is spared following each run to its end.
    let assessment = match detail {
        Detail::Full => entry.rule.assess_with_ends(prepared, today, policy.horizon_days),
        Detail::ForEvents => entry.rule.assess(prepared, today, policy.horizon_days),
    };
    let missing = match (assessment.eligibility, detail) {
        (Eligibility::Unknown, Detail::Full) => entry.rule.rule.missing_facts(prepared, today),
        _ => Vec::new(),
    };
    ProgramMatch {
        program_id: entry.id,
        program_version: entry.version,
        eligibility: assessment.eligibility,
        detail: ResultDetail {
            windows: assessment.windows,
            periods: assessment.application_periods,
            missing,
        },
        next_change: assessment.next_change,
    }
}
