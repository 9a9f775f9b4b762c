//! Evaluation of a rule for one household on one reference date, in Kleene's three-valued logic,
//! together with the first later date on which the answer could change. Every date-dependent
//! predicate is a half-open date interval per child (see `date`), so that bound is exact for a
//! single predicate and safe (never later than the real change) for a combination.

use chrono::NaiveDate;

use crate::date;
use crate::household::{Birth, Household, IncomeBand};
use crate::rule::{AgeUnit, ChildRule, Period, Range, Rule};

/// A three-valued answer: `Unknown` when a fact the rule needs has not been shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    pub fn negate(self) -> Self {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    fn known(value: Option<bool>) -> Self {
        match value {
            Some(true) => Truth::True,
            Some(false) => Truth::False,
            None => Truth::Unknown,
        }
    }
}

/// The answer on a date and the first later date on which it may differ; `None` means never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub truth: Truth,
    pub next_change: Option<NaiveDate>,
}

impl Outcome {
    fn constant(truth: Truth) -> Self {
        Self {
            truth,
            next_change: None,
        }
    }

    /// Whether `on` lies in `[start, end)`, and when that flips.
    fn interval(on: NaiveDate, start: NaiveDate, end: NaiveDate) -> Self {
        if on < start {
            return Self {
                truth: Truth::False,
                next_change: Some(start).filter(|_| start < end),
            };
        }
        if on < end {
            return Self {
                truth: Truth::True,
                next_change: Some(end).filter(|end| *end != NaiveDate::MAX),
            };
        }
        Self::constant(Truth::False)
    }

    fn negate(self) -> Self {
        Self {
            truth: self.truth.negate(),
            next_change: self.next_change,
        }
    }
}

fn sooner(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

fn later(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    }
}

/// Conjunction (`dominant` = False) or disjunction (`dominant` = True) of outcomes. The dominant
/// value holds for as long as any operand keeps it, hence the latest of their changes; any other
/// answer lasts only until the first operand changes.
fn combine(dominant: Truth, outcomes: impl Iterator<Item = Outcome>) -> Outcome {
    let mut dominant_until: Option<Option<NaiveDate>> = None;
    let mut first_change = None;
    let mut unknown = false;
    for outcome in outcomes {
        first_change = sooner(first_change, outcome.next_change);
        if outcome.truth == dominant {
            dominant_until = Some(match dominant_until {
                None => outcome.next_change,
                Some(until) => later(until, outcome.next_change),
            });
        } else if outcome.truth == Truth::Unknown {
            unknown = true;
        }
    }
    match dominant_until {
        Some(until) => Outcome {
            truth: dominant,
            next_change: until,
        },
        None if unknown => Outcome {
            truth: Truth::Unknown,
            next_change: first_change,
        },
        None => Outcome {
            truth: dominant.negate(),
            next_change: first_change,
        },
    }
}

/// A household prepared for evaluation: children in birth order with what every rule needs,
/// computed once and shared by every program and date.
#[derive(Debug, Clone)]
pub struct PreparedHousehold<'h> {
    pub household: &'h Household,
    pub children: Vec<PreparedChild>,
}

#[derive(Debug, Clone)]
pub struct PreparedChild {
    /// 1-based position in birth order (due dates order expected children).
    pub order: u8,
    /// Index in `Household::children`.
    pub index: usize,
    pub birth: Birth,
    pub multiple: bool,
    pub school_cohort: i32,
    pub disability_certificate: Option<bool>,
    pub childcare: Option<u8>,
}

impl<'h> PreparedHousehold<'h> {
    pub fn new(household: &'h Household) -> Self {
        let mut indices: Vec<usize> = (0..household.children.len()).collect();
        indices.sort_by_key(|index| (household.children[*index].birth.date(), *index));
        let children = indices
            .iter()
            .enumerate()
            .map(|(position, index)| {
                let child = &household.children[*index];
                let date = child.birth.date();
                let multiple = household
                    .children
                    .iter()
                    .enumerate()
                    .any(|(other, sibling)| other != *index && sibling.birth.date() == date);
                PreparedChild {
                    order: u8::try_from(position + 1).unwrap_or(u8::MAX),
                    index: *index,
                    birth: child.birth,
                    multiple,
                    school_cohort: date::school_cohort(date),
                    disability_certificate: child.disability_certificate,
                    childcare: child.childcare.map(|care| care.bit()),
                }
            })
            .collect();
        Self { household, children }
    }
}

impl Rule {
    pub fn evaluate(&self, household: &PreparedHousehold<'_>, on: NaiveDate) -> Outcome {
        match self {
            Rule::All(rules) => combine(
                Truth::False,
                rules.iter().map(|rule| rule.evaluate(household, on)),
            ),
            Rule::Any(rules) => combine(Truth::True, rules.iter().map(|rule| rule.evaluate(household, on))),
            Rule::Not(rule) => rule.evaluate(household, on).negate(),
            Rule::SomeChild(rule) => combine(
                Truth::True,
                household.children.iter().map(|child| rule.evaluate(child, on)),
            ),
            Rule::EveryChild(rule) => combine(
                Truth::False,
                household.children.iter().map(|child| rule.evaluate(child, on)),
            ),
            Rule::CountChildren { filter, range } => count_children(filter.as_ref(), *range, household, on),
            Rule::Municipality(codes) => Outcome::constant(Truth::known(Some(
                codes.contains(&household.household.municipality),
            ))),
            Rule::SingleParent(expected) => Outcome::constant(Truth::known(
                household
                    .household
                    .single_parent
                    .map(|actual| actual == *expected),
            )),
            Rule::IncomeBand(range) => Outcome::constant(Truth::known(
                household
                    .household
                    .income_band
                    .map(|band: IncomeBand| range.contains(band.rank())),
            )),
            Rule::ByPeriod(periods) => {
                let (period, boundary) = period_on(periods, on);
                let outcome = period
                    .and_then(|period| period.rule.as_ref())
                    .map_or(Outcome::constant(Truth::False), |rule| {
                        rule.evaluate(household, on)
                    });
                Outcome {
                    truth: outcome.truth,
                    next_change: sooner(outcome.next_change, boundary),
                }
            }
        }
    }
}

/// The period in force on `on` (none before the first or after the last) and the first later
/// day on which another period begins or the last one has ended.
pub(crate) fn period_on(periods: &[Period], on: NaiveDate) -> (Option<&Period>, Option<NaiveDate>) {
    let current = periods.iter().find(|period| period.contains(on));
    let boundary = periods
        .iter()
        .flat_map(|period| [period.from, period.end()])
        .flatten()
        .filter(|day| *day > on)
        .min();
    (current, boundary)
}

fn count_children(
    filter: Option<&ChildRule>,
    range: Range,
    household: &PreparedHousehold<'_>,
    on: NaiveDate,
) -> Outcome {
    let (mut certain, mut possible, mut next_change) = (0_i64, 0_i64, None);
    for child in &household.children {
        let outcome = filter.map_or(Outcome::constant(Truth::True), |rule| rule.evaluate(child, on));
        next_change = sooner(next_change, outcome.next_change);
        match outcome.truth {
            Truth::True => {
                certain += 1;
                possible += 1;
            }
            Truth::Unknown => possible += 1,
            Truth::False => {}
        }
    }
    let counts_in_range = (certain..=possible)
        .filter(|count| range.contains(*count))
        .count() as i64;
    let truth = if counts_in_range == possible - certain + 1 {
        Truth::True
    } else if counts_in_range == 0 {
        Truth::False
    } else {
        Truth::Unknown
    };
    Outcome { truth, next_change }
}

impl ChildRule {
    pub fn evaluate(&self, child: &PreparedChild, on: NaiveDate) -> Outcome {
        match self {
            ChildRule::All(rules) => combine(Truth::False, rules.iter().map(|rule| rule.evaluate(child, on))),
            ChildRule::Any(rules) => combine(Truth::True, rules.iter().map(|rule| rule.evaluate(child, on))),
            ChildRule::Not(rule) => rule.evaluate(child, on).negate(),
            ChildRule::Unborn(expected) => Outcome::constant(Truth::known(Some(
                matches!(child.birth, Birth::DueDate(_)) == *expected,
            ))),
            ChildRule::PregnancyWeeks(range) => match child.birth {
                Birth::DueDate(due) => {
                    let (start, end) = pregnancy_interval(due, *range);
                    Outcome::interval(on, start, end)
                }
                Birth::BirthDate(_) => Outcome::constant(Truth::False),
            },
            ChildRule::BirthOrder(range) => {
                Outcome::constant(Truth::known(Some(range.contains(i64::from(child.order)))))
            }
            ChildRule::MultipleBirth(expected) => {
                Outcome::constant(Truth::known(Some(child.multiple == *expected)))
            }
            ChildRule::DisabilityCertificate(expected) => Outcome::constant(Truth::known(
                child.disability_certificate.map(|actual| actual == *expected),
            )),
            ChildRule::Childcare(kinds) => Outcome::constant(Truth::known(
                child
                    .childcare
                    .map(|bit| kinds.iter().any(|kind| kind.bit() == bit)),
            )),
            born_only => match child.birth {
                Birth::BirthDate(birth) => {
                    let (start, end) = born_interval(born_only, birth, child.school_cohort);
                    Outcome::interval(on, start, end)
                }
                Birth::DueDate(_) => Outcome::constant(Truth::False),
            },
        }
    }
}

/// The dates `[start, end)` on which a predicate about a born child's age holds.
pub(crate) fn born_interval(rule: &ChildRule, birth: NaiveDate, cohort: i32) -> (NaiveDate, NaiveDate) {
    match rule {
        ChildRule::Age { unit, range } => {
            let at = |value: i64| match unit {
                AgeUnit::Years => date::month_anniversary(birth, (value * 12) as u32),
                AgeUnit::Months => date::month_anniversary(birth, value as u32),
                AgeUnit::Days => date::add_days(birth, value as u64),
            };
            let start = range.min().map_or(birth, |min| at(min.max(0)));
            let end = range
                .max()
                .map_or(NaiveDate::MAX, |max| if max < 0 { birth } else { at(max + 1) });
            (start, end)
        }
        ChildRule::SchoolGrade(range) => grade_interval(birth, cohort, range.min(), range.max()),
        ChildRule::SchoolStage(stage) => {
            let (min, max) = stage.grades();
            grade_interval(birth, cohort, min, max)
        }
        ChildRule::UntilMarch31AfterAge(age) => (birth, date::march_31_after_age_end(birth, *age)),
        ChildRule::UntilEndOfMonthOfAge(age) => (birth, date::month_after_reaching_age(birth, *age)),
        ChildRule::FromMonthAfterAge(age) => (date::month_after_reaching_age(birth, *age), NaiveDate::MAX),
        ChildRule::BornWithinDays(days) => (birth, date::add_days(birth, u64::from(*days) + 1)),
        _ => (birth, birth),
    }
}

fn grade_interval(
    birth: NaiveDate,
    cohort: i32,
    min: Option<i64>,
    max: Option<i64>,
) -> (NaiveDate, NaiveDate) {
    // A baby born after 1 April is in 0歳児クラス from birth, a grade below its cohort's
    // 0歳児クラス year, so a lower bound at 0歳児クラス or below starts at birth.
    let start = min
        .filter(|min| *min > -5)
        .map_or(birth, |min| date::grade_start(cohort, min as i32).max(birth));
    let end = max.map_or(NaiveDate::MAX, |max| date::grade_start(cohort, max as i32 + 1));
    (start, end)
}

pub(crate) fn pregnancy_interval(due: NaiveDate, range: Range) -> (NaiveDate, NaiveDate) {
    let start = range.min().map_or(NaiveDate::MIN, |min| {
        date::pregnancy_week_start(due, min.max(0) as u32)
    });
    let end = range.max().map_or(NaiveDate::MAX, |max| {
        date::pregnancy_week_start(due, (max + 1).max(0) as u32)
    });
    (start, end)
}
