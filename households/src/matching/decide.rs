//! What to keep and what to announce for one (household, program) pair, given what was stored
//! before and what the matcher says now. Pure, so that the rules for change events are tested
//! without a database.

use chrono::{Days, NaiveDate};
use kosodate_domain::ProgramId;
use kosodate_matcher::{ApplicationPeriod, Eligibility, MissingFact, Window};
use serde::{Deserialize, Serialize};

/// How far ahead the matcher looks, and how early events fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchPolicy {
    /// Windows are computed this many days ahead of the reference date.
    pub horizon_days: u32,
    /// "A window opens soon" fires this many days before it opens.
    pub opens_soon_days: u32,
    /// "The deadline is near" fires this many days before the deadline.
    pub deadline_near_days: u32,
}

impl Default for MatchPolicy {
    fn default() -> Self {
        Self {
            horizon_days: 366,
            opens_soon_days: 30,
            deadline_near_days: 7,
        }
    }
}

/// The stored part of an assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ResultDetail {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<Window>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub periods: Vec<ApplicationPeriod>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<MissingFact>,
}

/// One stored (household, program) result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairResult {
    pub program_id: ProgramId,
    pub program_version: i32,
    pub eligibility: Eligibility,
    pub detail: ResultDetail,
    /// The day this pair must be looked at again; `None`: only when the program or household
    /// changes.
    pub next_check: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    NewlyEligible,
    WindowOpensSoon,
    DeadlineNear,
    NoLongerEligible,
}

impl EventKind {
    pub const ALL: [EventKind; 4] = [
        Self::NewlyEligible,
        Self::WindowOpensSoon,
        Self::DeadlineNear,
        Self::NoLongerEligible,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::NewlyEligible => "newly_eligible",
            Self::WindowOpensSoon => "window_opens_soon",
            Self::DeadlineNear => "deadline_near",
            Self::NoLongerEligible => "no_longer_eligible",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Self::NewlyEligible => "新たに対象",
            Self::WindowOpensSoon => "申請期間がまもなく開始",
            Self::DeadlineNear => "申請期限が近い",
            Self::NoLongerEligible => "対象外になった",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.id() == text)
    }
}

/// A change the notifier turns into notices. `(household, program, kind, anchor_on)` is unique,
/// so deciding the same change twice stores it once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    pub program_id: ProgramId,
    pub kind: EventKind,
    pub anchor_on: NaiveDate,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
}

/// The matcher's answer for one pair, as the runner hands it over.
#[derive(Debug, Clone)]
pub struct Fresh {
    pub program_id: ProgramId,
    pub program_version: i32,
    pub eligibility: Eligibility,
    pub detail: ResultDetail,
    pub next_change: Option<NaiveDate>,
}

/// The decision for one pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What to store; `None` removes the pair (nothing to say within the horizon).
    pub store: Option<PairResult>,
    pub events: Vec<ChangeEvent>,
    /// For a pair not stored: the day its household must be rescanned because the pair may start
    /// to matter after the horizon.
    pub rescan_on: Option<NaiveDate>,
}

pub fn decide(
    policy: MatchPolicy,
    today: NaiveDate,
    previous: Option<&PairResult>,
    fresh: Fresh,
) -> Decision {
    let events = events(policy, today, previous, &fresh);
    if fresh.detail.windows.is_empty() {
        let rescan_on = fresh.next_change.map(|_| {
            let days = policy.horizon_days.saturating_sub(policy.opens_soon_days).max(1);
            today + Days::new(u64::from(days))
        });
        return Decision {
            store: None,
            events,
            rescan_on,
        };
    }
    let next_check = next_check(policy, today, &fresh);
    let store = PairResult {
        program_id: fresh.program_id,
        program_version: fresh.program_version,
        eligibility: fresh.eligibility,
        detail: fresh.detail,
        next_check,
    };
    Decision {
        store: Some(store),
        events,
        rescan_on: None,
    }
}

fn events(
    policy: MatchPolicy,
    today: NaiveDate,
    previous: Option<&PairResult>,
    fresh: &Fresh,
) -> Vec<ChangeEvent> {
    let was_eligible = previous.is_some_and(|previous| previous.eligibility == Eligibility::Eligible);
    let is_eligible = fresh.eligibility == Eligibility::Eligible;
    let event = |kind, anchor_on, period: Option<&ApplicationPeriod>| ChangeEvent {
        program_id: fresh.program_id,
        kind,
        anchor_on,
        opens_on: period.map(|period| period.opens),
        closes_on: period.and_then(|period| period.closes),
    };
    let current_period = fresh.detail.periods.iter().find(|period| period.opens <= today);
    let mut events = Vec::new();
    if is_eligible && !was_eligible {
        events.push(event(EventKind::NewlyEligible, today, current_period));
    }
    if was_eligible && !is_eligible {
        events.push(event(EventKind::NoLongerEligible, today, None));
    }
    for period in &fresh.detail.periods {
        let opens_in = (period.opens - today).num_days();
        if opens_in > 0 && opens_in <= i64::from(policy.opens_soon_days) {
            events.push(event(EventKind::WindowOpensSoon, period.opens, Some(period)));
        }
        if let Some(closes) = period.closes {
            let closes_in = (closes - today).num_days();
            if period.opens <= today && (0..=i64::from(policy.deadline_near_days)).contains(&closes_in) {
                events.push(event(EventKind::DeadlineNear, closes, Some(period)));
            }
        }
    }
    events
}

/// The first day after `today` on which the answer may change or an event becomes due.
fn next_check(policy: MatchPolicy, today: NaiveDate, fresh: &Fresh) -> Option<NaiveDate> {
    let before = |date: NaiveDate, days: u32| date.checked_sub_days(Days::new(u64::from(days)));
    let horizon_refresh = today
        + Days::new(u64::from(
            policy.horizon_days.saturating_sub(policy.opens_soon_days).max(1),
        ));
    let mut candidates = vec![fresh.next_change];
    for period in &fresh.detail.periods {
        candidates.push(before(period.opens, policy.opens_soon_days));
        candidates.push(
            period
                .closes
                .and_then(|closes| before(closes, policy.deadline_near_days)),
        );
    }
    // A window lasting past the horizon may close after it; look again before it could.
    if fresh.detail.windows.iter().any(|window| window.until.is_none()) && fresh.next_change.is_some() {
        candidates.push(Some(horizon_refresh));
    }
    candidates
        .into_iter()
        .flatten()
        .filter(|date| *date > today)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap_or_default()
    }

    fn fresh(eligibility: Eligibility, windows: Vec<Window>, periods: Vec<ApplicationPeriod>) -> Fresh {
        Fresh {
            program_id: ProgramId::new(),
            program_version: 1,
            eligibility,
            detail: ResultDetail {
                windows,
                periods,
                missing: Vec::new(),
            },
            next_change: Some(d("2027-03-01")),
        }
    }

    fn window(from: &str, until: Option<&str>) -> Window {
        Window {
            from: d(from),
            until: until.map(d),
            eligibility: Eligibility::Eligible,
        }
    }

    #[test]
    fn first_eligibility_is_announced_once() {
        let today = d("2026-11-21");
        let fresh = fresh(
            Eligibility::Eligible,
            vec![window("2026-11-21", Some("2027-02-28"))],
            vec![ApplicationPeriod {
                opens: today,
                closes: Some(d("2027-02-28")),
            }],
        );
        let first = decide(MatchPolicy::default(), today, None, fresh.clone());
        let kinds: Vec<_> = first.events.iter().map(|event| event.kind).collect();
        assert_eq!(kinds, [EventKind::NewlyEligible]);
        let stored = first.store.unwrap();
        assert_eq!(stored.next_check, Some(d("2027-02-21")));
        let second = decide(MatchPolicy::default(), today, Some(&stored), fresh);
        assert!(second.events.is_empty());
    }

    #[test]
    fn upcoming_window_and_deadline_fire_at_their_lead_times() {
        let today = d("2026-11-21");
        let periods = vec![
            ApplicationPeriod {
                opens: d("2026-12-10"),
                closes: Some(d("2027-01-31")),
            },
            ApplicationPeriod {
                opens: d("2026-10-01"),
                closes: Some(d("2026-11-25")),
            },
        ];
        let fresh = fresh(Eligibility::Eligible, vec![window("2026-10-01", None)], periods);
        let previous = PairResult {
            program_id: fresh.program_id,
            program_version: 1,
            eligibility: Eligibility::Eligible,
            detail: ResultDetail::default(),
            next_check: None,
        };
        let decision = decide(MatchPolicy::default(), today, Some(&previous), fresh);
        let events: Vec<_> = decision
            .events
            .iter()
            .map(|event| (event.kind, event.anchor_on))
            .collect();
        assert_eq!(
            events,
            [
                (EventKind::WindowOpensSoon, d("2026-12-10")),
                (EventKind::DeadlineNear, d("2026-11-25"))
            ]
        );
    }

    #[test]
    fn losing_eligibility_removes_the_pair_and_says_so() {
        let today = d("2026-11-21");
        let previous = PairResult {
            program_id: ProgramId::new(),
            program_version: 1,
            eligibility: Eligibility::Eligible,
            detail: ResultDetail::default(),
            next_check: Some(today),
        };
        let mut gone = fresh(Eligibility::NotEligible, Vec::new(), Vec::new());
        gone.program_id = previous.program_id;
        gone.next_change = None;
        let decision = decide(MatchPolicy::default(), today, Some(&previous), gone);
        assert_eq!(decision.store, None);
        assert_eq!(decision.rescan_on, None);
        assert_eq!(decision.events[0].kind, EventKind::NoLongerEligible);
    }
}
