//! A program as the matcher sees it (where it applies, its rule, when one applies) and the
//! assessment of a household against it: the answer on the reference date, the dates ahead on
//! which the household is eligible, the application periods inside them, and the next date on
//! which anything about this pair can change.

use chrono::NaiveDate;
use kosodate_domain::MunicipalityCode;
use serde::{Deserialize, Serialize};

use crate::date;
use crate::eval::{Outcome, PreparedHousehold, Truth};
use crate::household::Birth;
use crate::rule::Rule;

/// Where a program applies: national programs everywhere, the prefecture's in all its
/// municipalities, a municipality's only to its residents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    National,
    Prefecture(MunicipalityCode),
    Municipality(MunicipalityCode),
}

impl Area {
    /// The area of a program owned by `owner` (`None` = national).
    pub fn of_owner(owner: Option<MunicipalityCode>) -> Self {
        match owner {
            None => Area::National,
            Some(code) if code.is_prefecture() => Area::Prefecture(code),
            Some(code) => Area::Municipality(code),
        }
    }

    pub fn includes(self, municipality: MunicipalityCode) -> bool {
        match self {
            Area::National => true,
            Area::Prefecture(prefecture) => municipality.prefecture() == prefecture,
            Area::Municipality(code) => code == municipality,
        }
    }
}

/// When an eligible household may apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Application {
    /// 随時: whenever eligible.
    Always,
    /// A fixed period, both days included.
    Between { opens: NaiveDate, closes: NaiveDate },
    /// Within N days of a child's birth (the birth day and N days after it).
    AfterBirth { within_days: u32 },
    /// Within N days of an event the matcher does not know the date of (pregnancy report,
    /// moving in); treated as "whenever eligible" and the notice names the limit.
    AfterOtherEvent { within_days: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramRule {
    pub area: Area,
    pub rule: Rule,
    pub application: Application,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    utoipa::ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Eligibility {
    Eligible,
    NotEligible,
    Unknown,
}

kosodate_domain::vocabulary_deserialize!(Eligibility);

impl From<Truth> for Eligibility {
    fn from(truth: Truth) -> Self {
        match truth {
            Truth::True => Eligibility::Eligible,
            Truth::False => Eligibility::NotEligible,
            Truth::Unknown => Eligibility::Unknown,
        }
    }
}

/// A run of days with one answer. `until` is the last day (inclusive). `None` means it never
/// ends, or, from [`ProgramRule::assess`], that it lasts beyond the horizon that was asked about
/// ([`ProgramRule::assess_with_ends`] looks for the end wherever the rule puts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Window {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub eligibility: Eligibility,
}

/// Days on which an eligible household may apply; `closes` is the deadline (inclusive), `None`
/// when the period has no end (or lasts beyond the horizon, as its window does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApplicationPeriod {
    pub opens: NaiveDate,
    pub closes: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub eligibility: Eligibility,
    /// Windows in which the answer is `eligible` or `unknown`, from the reference date to the
    /// horizon.
    pub windows: Vec<Window>,
    pub application_periods: Vec<ApplicationPeriod>,
    /// The first day after the reference date on which the answer may change; `None` if never.
    pub next_change: Option<NaiveDate>,
}

impl Rule {
    /// The answer on every day of `[from, until)`, as runs of equal answers. The last run may
    /// extend past `until`; its end is then the first day the answer may change.
    pub fn timeline(
        &self,
        household: &PreparedHousehold<'_>,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Vec<Segment> {
        let mut segments: Vec<Segment> = Vec::new();
        let mut day = from;
        while day < until {
            let Outcome { truth, next_change } = self.evaluate(household, day);
            match segments.last_mut() {
                Some(last) if last.truth == truth => last.end = next_change,
                _ => segments.push(Segment {
                    start: day,
                    end: next_change,
                    truth,
                }),
            }
            let Some(next) = next_change else { break };
            day = next;
        }
        segments
    }
}

/// Steps a run is followed past the horizon before its end is given up as unknown. Every step
/// crosses a boundary of some child's date interval, and a household has few of those.
const MAX_STEPS_PAST_HORIZON: u32 = 256;

impl Rule {
    /// The first day from `from` on whose answer is not `truth`, following the run through every
    /// date on which the answer may change; `None` when it never changes.
    fn run_end(&self, household: &PreparedHousehold<'_>, truth: Truth, from: NaiveDate) -> Option<NaiveDate> {
        let mut day = from;
        for _ in 0..MAX_STEPS_PAST_HORIZON {
            let outcome = self.evaluate(household, day);
            if outcome.truth != truth {
                return Some(day);
            }
            day = outcome.next_change?;
        }
        None
    }
}

/// How far [`ProgramRule`]'s assessment looks for the end of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WindowEnds {
    /// Within the horizon only: what batch matching needs, since every event it records falls
    /// within the horizon.
    WithinHorizon,
    /// Wherever the rule puts it, as a parent is shown (児童手当 until the 31 March after the
    /// 18th birthday).
    Exact,
}

/// Answer `truth` on `[start, end)`; `end` `None` means for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub truth: Truth,
}

impl ProgramRule {
    pub fn applies_to(&self, household: &PreparedHousehold<'_>) -> bool {
        self.area.includes(household.household.municipality)
    }

    /// The fast path: the answer on one day and when it may change.
    pub fn evaluate(&self, household: &PreparedHousehold<'_>, on: NaiveDate) -> Outcome {
        if !self.applies_to(household) {
            return Outcome {
                truth: Truth::False,
                next_change: None,
            };
        }
        self.rule.evaluate(household, on)
    }

    /// The full answer for `[on, on + horizon_days)`; a window lasting past the horizon has no
    /// `until`.
    pub fn assess(&self, household: &PreparedHousehold<'_>, on: NaiveDate, horizon_days: u32) -> Assessment {
        self.assess_until(household, on, horizon_days, WindowEnds::WithinHorizon)
    }

    /// [`ProgramRule::assess`] with the end of the last window wherever the rule puts it, also
    /// past the horizon: `until` is `None` only for a window that never ends.
    pub fn assess_with_ends(
        &self,
        household: &PreparedHousehold<'_>,
        on: NaiveDate,
        horizon_days: u32,
    ) -> Assessment {
        self.assess_until(household, on, horizon_days, WindowEnds::Exact)
    }

    fn assess_until(
        &self,
        household: &PreparedHousehold<'_>,
        on: NaiveDate,
        horizon_days: u32,
        ends: WindowEnds,
    ) -> Assessment {
        if !self.applies_to(household) {
            return Assessment {
                eligibility: Eligibility::NotEligible,
                windows: Vec::new(),
                application_periods: Vec::new(),
                next_change: None,
            };
        }
        let horizon = date::add_days(on, u64::from(horizon_days));
        let mut segments = self.rule.timeline(household, on, horizon);
        if ends == WindowEnds::Exact {
            self.follow_last_run(household, &mut segments, horizon);
        }
        // A zero-day horizon has no timeline, yet the answer on the reference date still stands.
        let first = segments.first().copied().unwrap_or_else(|| {
            let Outcome { truth, next_change } = self.rule.evaluate(household, on);
            Segment {
                start: on,
                end: next_change,
                truth,
            }
        });
        let windows: Vec<Window> = segments
            .iter()
            .filter(|segment| segment.truth != Truth::False)
            .map(|segment| Window {
                from: segment.start,
                until: segment
                    .end
                    .filter(|end| ends == WindowEnds::Exact || *end <= horizon)
                    .and_then(|end| end.pred_opt()),
                eligibility: segment.truth.into(),
            })
            .collect();
        let application_periods = self.application_periods(household, &windows);
        Assessment {
            eligibility: first.truth.into(),
            windows,
            application_periods,
            next_change: first.end,
        }
    }

    /// The timeline stops at the horizon, and the end it gives its last run is only the first
    /// day the answer may change: follow a window's run to the day it really does.
    fn follow_last_run(
        &self,
        household: &PreparedHousehold<'_>,
        segments: &mut [Segment],
        horizon: NaiveDate,
    ) {
        let Some(last) = segments.last_mut() else {
            return;
        };
        if last.truth == Truth::False {
            return;
        }
        if let Some(end) = last.end.filter(|end| *end >= horizon) {
            last.end = self.rule.run_end(household, last.truth, end);
        }
    }

    fn application_periods(
        &self,
        household: &PreparedHousehold<'_>,
        windows: &[Window],
    ) -> Vec<ApplicationPeriod> {
        let limits: Vec<(NaiveDate, Option<NaiveDate>)> = match self.application {
            Application::Always | Application::AfterOtherEvent { .. } => vec![(NaiveDate::MIN, None)],
            // An open end is stored as the largest date; it is no deadline.
            Application::Between { opens, closes } => {
                vec![(opens, Some(closes).filter(|closes| *closes != NaiveDate::MAX))]
            }
            Application::AfterBirth { within_days } => household
                .children
                .iter()
                .filter_map(|child| match child.birth {
                    Birth::BirthDate(birth) => {
                        Some((birth, Some(date::add_days(birth, u64::from(within_days)))))
                    }
                    Birth::DueDate(_) => None,
                })
                .collect(),
        };
        let mut periods: Vec<ApplicationPeriod> = windows
            .iter()
            .filter(|window| window.eligibility == Eligibility::Eligible)
            .flat_map(|window| {
                limits.iter().filter_map(move |(opens, closes)| {
                    let start = window.from.max(*opens);
                    let end = match (window.until, closes) {
                        (Some(a), Some(b)) => Some(a.min(*b)),
                        (a, None) => a,
                        (None, b) => *b,
                    };
                    end.is_none_or(|end| start <= end).then_some(ApplicationPeriod {
                        opens: start,
                        closes: end,
                    })
                })
            })
            .collect();
        periods.sort_by_key(|period| (period.opens, period.closes));
        periods.dedup();
        periods
    }
}
