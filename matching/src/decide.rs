//! What to announce for one (household, program) pair, given what the household's stored state
//! said and what the matcher says now, and when to look at the pair again. Pure, so that the
//! rules for change events are tested without a database.

use chrono::{Days, NaiveDate};
use kosodate_domain::{NoticeKind, ProgramId};
use kosodate_households::match_store::ChangeEvent;
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
    /// "The deadline is tomorrow" fires this many days before the deadline; within this many days
    /// it replaces "near", so that a household does not hear both on one day.
    pub deadline_imminent_days: u32,
}

impl MatchPolicy {
    /// The last day windows are computed for.
    pub fn horizon(self, today: NaiveDate) -> NaiveDate {
        today + Days::new(u64::from(self.horizon_days))
    }
}

impl Default for MatchPolicy {
    fn default() -> Self {
        Self {
            horizon_days: 366,
            opens_soon_days: 30,
            deadline_near_days: 7,
            deadline_imminent_days: 1,
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

/// The matcher's answer for one (household, program) pair on the reference date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramMatch {
    pub program_id: ProgramId,
    pub program_version: i32,
    pub eligibility: Eligibility,
    pub detail: ResultDetail,
    pub next_change: Option<NaiveDate>,
}

impl ProgramMatch {
    /// Whether there is anything to tell the household within the horizon.
    pub fn matters(&self) -> bool {
        !self.detail.windows.is_empty()
    }
}

/// What the household's stored state says about one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The household has no stored state: its first results are one `FirstMatch` event, whose
    /// notice lists the programs with their windows and deadlines, instead of one event each.
    Never,
    Before {
        was_eligible: bool,
        /// How the program relates to the one the stored state was computed with.
        program: ProgramSeen,
        /// The day of the stored evaluation when neither the household nor the program has
        /// changed since: events that were already due then were recorded then. `None`: record
        /// every event that is due (the unique keys drop the ones already recorded).
        unchanged_since: Option<NaiveDate>,
    },
}

/// The program as the household's stored state knew it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramSeen {
    /// The same program, or changed in nothing a parent is told.
    Known,
    /// Published since the stored state was computed.
    New,
    /// Changed what it gives, when or how to apply (`Program::material_version`).
    MateriallyChanged,
}

/// The events one pair gives rise to.
pub fn pair_events(
    policy: MatchPolicy,
    today: NaiveDate,
    seen: Seen,
    fresh: &ProgramMatch,
) -> Vec<ChangeEvent> {
    let Seen::Before {
        was_eligible,
        program,
        unchanged_since,
    } = seen
    else {
        return Vec::new();
    };
    let is_eligible = fresh.eligibility == Eligibility::Eligible;
    let event = |kind, anchor_on, period: Option<&ApplicationPeriod>| ChangeEvent {
        program_id: Some(fresh.program_id),
        kind,
        anchor_on,
        opens_on: period.map(|period| period.opens),
        closes_on: period.and_then(|period| period.closes),
    };
    let current_period = fresh.detail.periods.iter().find(|period| period.opens <= today);
    let mut events = Vec::new();
    if is_eligible && !was_eligible {
        let kind = match program {
            ProgramSeen::New => NoticeKind::NewProgram,
            ProgramSeen::Known | ProgramSeen::MateriallyChanged => NoticeKind::NewlyEligible,
        };
        events.push(event(kind, today, current_period));
    }
    if is_eligible && was_eligible && program == ProgramSeen::MateriallyChanged {
        events.push(event(NoticeKind::ProgramChanged, today, current_period));
    }
    if !is_eligible && was_eligible {
        events.push(event(NoticeKind::NoLongerEligible, today, None));
    }
    let new_since = |became_due: Option<NaiveDate>| {
        unchanged_since.is_none_or(|since| became_due.is_none_or(|due| due > since))
    };
    for period in &fresh.detail.periods {
        let opens_in = (period.opens - today).num_days();
        let opens_soon_from = period
            .opens
            .checked_sub_days(Days::new(u64::from(policy.opens_soon_days)));
        if opens_in > 0 && opens_in <= i64::from(policy.opens_soon_days) && new_since(opens_soon_from) {
            events.push(event(NoticeKind::WindowOpensSoon, period.opens, Some(period)));
        }
        let Some(closes) = period.closes else {
            continue;
        };
        let closes_in = (closes - today).num_days();
        let imminent_days = i64::from(policy.deadline_imminent_days);
        let due_from = |days: u32| {
            closes
                .checked_sub_days(Days::new(u64::from(days)))
                .map(|from| from.max(period.opens))
        };
        if period.opens > today {
            continue;
        }
        if (imminent_days + 1..=i64::from(policy.deadline_near_days)).contains(&closes_in)
            && new_since(due_from(policy.deadline_near_days))
        {
            events.push(event(NoticeKind::DeadlineNear, closes, Some(period)));
        }
        if (0..=imminent_days).contains(&closes_in) && new_since(due_from(policy.deadline_imminent_days)) {
            events.push(event(NoticeKind::DeadlineImminent, closes, Some(period)));
        }
    }
    events
}

/// The days ahead on which the reminders about an eligible program fall due, with their kind, as
/// [`pair_events`] will raise them: for the parent's page that says what will be sent and when.
pub fn reminder_schedule(
    policy: MatchPolicy,
    today: NaiveDate,
    fresh: &ProgramMatch,
) -> Vec<(NaiveDate, NoticeKind)> {
    let before = |date: NaiveDate, days: u32| {
        date.checked_sub_days(Days::new(u64::from(days)))
            .filter(|due| *due > today)
    };
    let mut schedule = Vec::new();
    for period in &fresh.detail.periods {
        if let Some(due) = before(period.opens, policy.opens_soon_days) {
            schedule.push((due, NoticeKind::WindowOpensSoon));
        }
        let Some(closes) = period.closes else {
            continue;
        };
        let reminders = [
            (policy.deadline_near_days, NoticeKind::DeadlineNear),
            (policy.deadline_imminent_days, NoticeKind::DeadlineImminent),
        ];
        for (days, kind) in reminders {
            if let Some(due) = before(closes, days).map(|due| due.max(period.opens)) {
                schedule.push((due, kind));
            }
        }
    }
    schedule.sort();
    schedule.dedup();
    schedule
}

/// The first day after `today` on which the pair's answer may change or one of its events
/// becomes due; `None`: only when the program or the household changes.
pub fn pair_next_check(policy: MatchPolicy, today: NaiveDate, fresh: &ProgramMatch) -> Option<NaiveDate> {
    let before = |date: NaiveDate, days: u32| date.checked_sub_days(Days::new(u64::from(days)));
    // Windows are computed only up to the horizon: whatever may start or end after it is looked
    // at again early enough for "opens soon" to fire in time.
    let horizon_refresh = today
        + Days::new(u64::from(
            policy.horizon_days.saturating_sub(policy.opens_soon_days).max(1),
        ));
    if !fresh.matters() {
        return fresh.next_change.map(|_| horizon_refresh);
    }
    let mut candidates = vec![fresh.next_change];
    for period in &fresh.detail.periods {
        candidates.push(before(period.opens, policy.opens_soon_days));
        for days in [policy.deadline_near_days, policy.deadline_imminent_days] {
            candidates.push(period.closes.and_then(|closes| before(closes, days)));
        }
    }
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

    fn fresh(
        eligibility: Eligibility,
        windows: Vec<Window>,
        periods: Vec<ApplicationPeriod>,
    ) -> ProgramMatch {
        ProgramMatch {
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

    fn before(was_eligible: bool, unchanged_since: Option<NaiveDate>) -> Seen {
        Seen::Before {
            was_eligible,
            program: ProgramSeen::Known,
            unchanged_since,
        }
    }

    fn kinds(events: &[ChangeEvent]) -> Vec<NoticeKind> {
        events.iter().map(|event| event.kind).collect()
    }

    #[test]
    fn eligibility_is_announced_when_it_changes_and_not_on_first_results() {
        let today = d("2026-11-21");
        let fresh = fresh(
            Eligibility::Eligible,
            vec![window("2026-11-21", Some("2027-02-28"))],
            vec![ApplicationPeriod {
                opens: today,
                closes: Some(d("2027-02-28")),
            }],
        );
        let policy = MatchPolicy::default();
        assert!(pair_events(policy, today, Seen::Never, &fresh).is_empty());
        assert_eq!(
            kinds(&pair_events(policy, today, before(false, None), &fresh)),
            [NoticeKind::NewlyEligible]
        );
        assert!(pair_events(policy, today, before(true, None), &fresh).is_empty());
        assert_eq!(pair_next_check(policy, today, &fresh), Some(d("2027-02-21")));
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
        let events = |seen| -> Vec<_> {
            pair_events(MatchPolicy::default(), today, seen, &fresh)
                .iter()
                .map(|event| (event.kind, event.anchor_on))
                .collect()
        };
        let both = [
            (NoticeKind::WindowOpensSoon, d("2026-12-10")),
            (NoticeKind::DeadlineNear, d("2026-11-25")),
        ];
        assert_eq!(events(before(true, None)), both);
        // Evaluated unchanged yesterday: "opens soon" (due since 11-10) was recorded then, and
        // "deadline near" (due since 11-18) too.
        assert_eq!(events(before(true, Some(d("2026-11-20")))), []);
        // Evaluated unchanged on 11-15: only the deadline became due since.
        assert_eq!(events(before(true, Some(d("2026-11-15")))), both[1..]);
    }

    #[test]
    fn new_and_materially_changed_programs_and_the_last_day_have_their_own_events() {
        let today = d("2026-11-21");
        let period = ApplicationPeriod {
            opens: d("2026-10-01"),
            closes: Some(d("2026-11-22")),
        };
        let fresh = fresh(
            Eligibility::Eligible,
            vec![window("2026-10-01", None)],
            vec![period],
        );
        let policy = MatchPolicy::default();
        let seen = |was_eligible, program| Seen::Before {
            was_eligible,
            program,
            unchanged_since: None,
        };
        // The deadline is tomorrow: "imminent", not also "near".
        assert_eq!(
            kinds(&pair_events(policy, today, seen(false, ProgramSeen::New), &fresh)),
            [NoticeKind::NewProgram, NoticeKind::DeadlineImminent]
        );
        assert_eq!(
            kinds(&pair_events(
                policy,
                today,
                seen(true, ProgramSeen::MateriallyChanged),
                &fresh
            )),
            [NoticeKind::ProgramChanged, NoticeKind::DeadlineImminent]
        );
        assert_eq!(
            kinds(&pair_events(
                policy,
                today,
                seen(false, ProgramSeen::MateriallyChanged),
                &fresh
            )),
            [NoticeKind::NewlyEligible, NoticeKind::DeadlineImminent]
        );
        // Eight days ahead of the deadline nothing is due; the check dates include both lead times.
        let early = d("2026-11-14");
        assert_eq!(
            kinds(&pair_events(
                policy,
                early,
                seen(true, ProgramSeen::Known),
                &fresh
            )),
            []
        );
        assert_eq!(pair_next_check(policy, early, &fresh), Some(d("2026-11-15")));
        assert_eq!(
            pair_next_check(policy, d("2026-11-16"), &fresh),
            Some(d("2026-11-21"))
        );
    }

    #[test]
    fn losing_eligibility_says_so_and_nothing_ahead_waits_for_the_horizon() {
        let today = d("2026-11-21");
        let mut gone = fresh(Eligibility::NotEligible, Vec::new(), Vec::new());
        let policy = MatchPolicy::default();
        assert_eq!(
            kinds(&pair_events(policy, today, before(true, Some(today)), &gone)),
            [NoticeKind::NoLongerEligible]
        );
        assert_eq!(pair_next_check(policy, today, &gone), Some(d("2027-10-23")));
        gone.next_change = None;
        assert_eq!(pair_next_check(policy, today, &gone), None);
    }
}
