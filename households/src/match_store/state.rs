//! The one row stored per household: which programs were eligible or unknown, named by position
//! in a catalogue snapshot, and a fingerprint of everything the answer depends on.
//!
//! Positions are stored as gaps between sorted positions, in postcard's variable-length integers:
//! a household eligible for 75 of 2,500 programs costs about 90 bytes instead of 75 rows.

use serde::{Deserialize, Serialize};

use crate::error::HouseholdError;

/// Sorted, distinct catalogue positions, and the hash of the household they were computed for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchState {
    pub eligible: Vec<u32>,
    pub unknown: Vec<u32>,
    /// The hash of the household the state was computed for (the runner's `household_hash`).
    pub household: u64,
}

#[derive(Serialize, Deserialize)]
struct Encoded {
    eligible: Vec<u32>,
    unknown: Vec<u32>,
    household: u64,
}

impl MatchState {
    pub fn is_empty(&self) -> bool {
        self.eligible.is_empty() && self.unknown.is_empty()
    }

    pub fn is_eligible(&self, position: u32) -> bool {
        self.eligible.binary_search(&position).is_ok()
    }

    pub fn encode(&self) -> Vec<u8> {
        let encoded = Encoded {
            eligible: gaps(&self.eligible),
            unknown: gaps(&self.unknown),
            household: self.household,
        };
        // Serialising plain integer vectors into memory cannot fail.
        postcard::to_allocvec(&encoded).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, HouseholdError> {
        let encoded: Encoded =
            postcard::from_bytes(bytes).map_err(|error| HouseholdError::corrupt("match state", error))?;
        Ok(Self {
            eligible: ungaps(&encoded.eligible),
            unknown: ungaps(&encoded.unknown),
            household: encoded.household,
        })
    }

    /// The same state in another snapshot's positions; programs the other snapshot lacks drop.
    pub fn translate(&self, to_new: &[Option<u32>]) -> Self {
        let translate = |positions: &[u32]| {
            let mut translated: Vec<u32> = positions
                .iter()
                .filter_map(|position| to_new.get(*position as usize).copied().flatten())
                .collect();
            translated.sort_unstable();
            translated
        };
        Self {
            eligible: translate(&self.eligible),
            unknown: translate(&self.unknown),
            household: self.household,
        }
    }
}

fn gaps(positions: &[u32]) -> Vec<u32> {
    let mut previous = 0;
    positions
        .iter()
        .map(|position| {
            let gap = position - previous;
            previous = *position;
            gap
        })
        .collect()
}

fn ungaps(gaps: &[u32]) -> Vec<u32> {
    let mut position = 0u32;
    gaps.iter()
        .map(|gap| {
            position = position.saturating_add(*gap);
            position
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_compactly() {
        let state = MatchState {
            eligible: (0..2_500).step_by(33).collect(),
            unknown: vec![7, 2_499],
            household: u64::MAX,
        };
        let bytes = state.encode();
        assert!(bytes.len() < 100, "{} bytes", bytes.len());
        assert_eq!(MatchState::decode(&bytes).ok(), Some(state));
        assert!(MatchState::decode(&[0xff, 0xff]).is_err());
    }

    #[test]
    fn translation_follows_programs_and_drops_the_gone() {
        let state = MatchState {
            eligible: vec![0, 1, 2],
            unknown: vec![3],
            household: 1,
        };
        let translated = state.translate(&[Some(5), None, Some(1), Some(0)]);
        assert_eq!(translated.eligible, [1, 5]);
        assert_eq!(translated.unknown, [0]);
    }
}
