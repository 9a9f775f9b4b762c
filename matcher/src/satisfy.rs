//! Finds conditions no household can satisfy, so that staff hear about a contradiction when they
//! save the rule rather than when no family is ever notified. Each condition is abstracted to a
//! disjunction of boxes (one interval per dimension); a conjunction intersects boxes. Dimensions
//! are linked conservatively (grade bounds age, months bound days), so the check is sound: it may
//! miss a contradiction, but it never rejects a rule some household satisfies.

use std::collections::BTreeSet;

use kosodate_domain::MunicipalityCode;

use crate::errors::RuleError;
use crate::rule::{AgeUnit, ChildRule, Period, Range, Rule};

/// Above this many boxes the analysis gives up and assumes "satisfiable".
const MAX_BOXES: usize = 64;

type Interval = (i64, i64);
const ANY: Interval = (i64::MIN, i64::MAX);

fn meet(a: Interval, b: Interval) -> Interval {
    (a.0.max(b.0), a.1.min(b.1))
}

fn meet_flag(a: Option<bool>, b: Option<bool>) -> Result<Option<bool>, ()> {
    match (a, b) {
        (Some(x), Some(y)) if x != y => Err(()),
        (Some(x), _) | (_, Some(x)) => Ok(Some(x)),
        _ => Ok(None),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ChildBox {
    born: Option<bool>,
    months: Interval,
    days: Interval,
    grade: Interval,
    weeks: Interval,
    order: Interval,
    multiple: Option<bool>,
    disability: Option<bool>,
    childcare: u8,
}

const ANY_CHILD: ChildBox = ChildBox {
    born: None,
    months: ANY,
    days: ANY,
    grade: ANY,
    weeks: ANY,
    order: (1, i64::MAX),
    multiple: None,
    disability: None,
    childcare: 0b111,
};

impl ChildBox {
    fn meet(self, other: Self) -> Option<Self> {
        let combined = ChildBox {
            born: meet_flag(self.born, other.born).ok()?,
            months: meet(self.months, other.months),
            days: meet(self.days, other.days),
            grade: meet(self.grade, other.grade),
            weeks: meet(self.weeks, other.weeks),
            order: meet(self.order, other.order),
            multiple: meet_flag(self.multiple, other.multiple).ok()?,
            disability: meet_flag(self.disability, other.disability).ok()?,
            childcare: self.childcare & other.childcare,
        };
        combined.is_possible().then_some(combined)
    }

    fn is_possible(&self) -> bool {
        let intervals = [self.months, self.days, self.grade, self.weeks, self.order];
        if intervals.iter().any(|(lo, hi)| lo > hi) || self.childcare == 0 {
            return false;
        }
        // Grade g spans ages g+5 to g+6 years; m months span 28m to 31(m+1) days.
        let grade_months = (scale(self.grade.0, 12, 60), scale_end(self.grade.1, 12, 84));
        let months = meet(self.months, (grade_months.0.max(0), grade_months.1));
        let days = meet(self.days, (scale(months.0, 28, 0), scale_end(months.1, 31, 31)));
        months.0 <= months.1 && days.0 <= days.1
    }
}

/// `value * factor + offset` for a lower end, keeping "unbounded" unbounded.
fn scale(value: i64, factor: i64, offset: i64) -> i64 {
    if value == i64::MIN {
        i64::MIN
    } else {
        value.saturating_mul(factor).saturating_add(offset)
    }
}

fn scale_end(value: i64, factor: i64, offset: i64) -> i64 {
    if value == i64::MAX {
        i64::MAX
    } else {
        value.saturating_mul(factor).saturating_add(offset)
    }
}

fn interval(range: Range) -> Interval {
    (range.min().unwrap_or(i64::MIN), range.max().unwrap_or(i64::MAX))
}

/// The values of a dimension outside `range`: below it and above it.
fn complement(range: Range) -> Vec<Interval> {
    let mut parts = Vec::new();
    if let Some(min) = range.min() {
        parts.push((i64::MIN, min - 1));
    }
    if let Some(max) = range.max() {
        parts.push((max + 1, i64::MAX));
    }
    parts
}

type Dnf<T> = Option<Vec<T>>;

fn product<T: Copy>(left: Dnf<T>, right: Dnf<T>, meet: impl Fn(T, T) -> Option<T>) -> Dnf<T> {
    let (left, right) = (left?, right?);
    let mut boxes = Vec::new();
    for a in &left {
        for b in &right {
            if let Some(both) = meet(*a, *b) {
                boxes.push(both);
                if boxes.len() > MAX_BOXES {
                    return None;
                }
            }
        }
    }
    Some(boxes)
}

fn union<T>(parts: impl Iterator<Item = Dnf<T>>) -> Dnf<T> {
    let mut boxes = Vec::new();
    for part in parts {
        boxes.extend(part?);
    }
    (boxes.len() <= MAX_BOXES).then_some(boxes)
}

fn child_with(update: impl FnOnce(&mut ChildBox)) -> ChildBox {
    let mut child = ANY_CHILD;
    update(&mut child);
    child
}

/// Boxes of a born-only dimension: inside the range, or (negated) unborn or outside it.
fn born_dimension(range: Range, negated: bool, set: fn(&mut ChildBox, Interval)) -> Vec<ChildBox> {
    if !negated {
        return vec![child_with(|c| {
            c.born = Some(true);
            set(c, interval(range));
        })];
    }
    let mut boxes = vec![child_with(|c| c.born = Some(false))];
    boxes.extend(complement(range).into_iter().map(|part| {
        child_with(|c| {
            c.born = Some(true);
            set(c, part);
        })
    }));
    boxes
}

/// A month-end bound at N years: the child is at most (`holds_below`) or at least 12N months old
/// while it holds, and at least or at most 12N months old, or unborn, while it does not. Month
/// 12N is on both sides: the bound flips at a month's end, not on the birthday.
fn month_edge(edge_months: i64, holds_below: bool, negated: bool) -> Vec<ChildBox> {
    let months = if holds_below != negated {
        (i64::MIN, edge_months)
    } else {
        (edge_months, i64::MAX)
    };
    let mut boxes = vec![child_with(|c| {
        c.born = Some(true);
        c.months = months;
    })];
    if negated {
        boxes.push(child_with(|c| c.born = Some(false)));
    }
    boxes
}

fn flag(value: bool, negated: bool, set: fn(&mut ChildBox, bool)) -> Vec<ChildBox> {
    vec![child_with(|c| set(c, value != negated))]
}

fn child_dnf(rule: &ChildRule, negated: bool) -> Dnf<ChildBox> {
    let conjunction = |rules: &[ChildRule]| {
        rules.iter().try_fold(vec![ANY_CHILD], |acc, rule| {
            product(Some(acc), child_dnf(rule, negated), ChildBox::meet)
        })
    };
    let disjunction = |rules: &[ChildRule]| union(rules.iter().map(|rule| child_dnf(rule, negated)));
    Some(
        match rule {
            ChildRule::All(rules) if negated => disjunction(rules)?,
            ChildRule::All(rules) => conjunction(rules)?,
            ChildRule::Any(rules) if negated => conjunction(rules)?,
            ChildRule::Any(rules) => disjunction(rules)?,
            ChildRule::Not(rule) => child_dnf(rule, !negated)?,
            ChildRule::Age {
                unit: AgeUnit::Years,
                range,
            } => {
                let months = Range {
                    lower: range.min().map(|min| crate::rule::Bound {
                        value: min * 12,
                        inclusive: true,
                    }),
                    upper: range.max().map(|max| crate::rule::Bound {
                        value: max * 12 + 11,
                        inclusive: true,
                    }),
                };
                born_dimension(months, negated, |c, i| c.months = i)
            }
            ChildRule::Age {
                unit: AgeUnit::Months,
                range,
            } => born_dimension(*range, negated, |c, i| c.months = i),
            ChildRule::Age {
                unit: AgeUnit::Days,
                range,
            } => born_dimension(*range, negated, |c, i| c.days = i),
            ChildRule::BornWithinDays(days) => born_dimension(
                Range {
                    lower: None,
                    upper: Some(crate::rule::Bound {
                        value: i64::from(*days),
                        inclusive: true,
                    }),
                },
                negated,
                |c, i| c.days = meet(i, (0, i64::MAX)),
            ),
            ChildRule::SchoolGrade(range) => born_dimension(*range, negated, |c, i| c.grade = i),
            ChildRule::SchoolStage(stage) => {
                let (min, max) = stage.grades();
                let bound = |value: Option<i64>| {
                    value.map(|value| crate::rule::Bound {
                        value,
                        inclusive: true,
                    })
                };
                born_dimension(
                    Range {
                        lower: bound(min),
                        upper: bound(max),
                    },
                    negated,
                    |c, i| c.grade = i,
                )
            }
            ChildRule::UntilMarch31AfterAge(age) => born_dimension(
                Range {
                    lower: None,
                    upper: Some(crate::rule::Bound {
                        value: i64::from(*age) - 6,
                        inclusive: true,
                    }),
                },
                negated,
                |c, i| c.grade = i,
            ),
            ChildRule::UntilEndOfMonthOfAge(age) => month_edge(i64::from(*age) * 12, true, negated),
            ChildRule::FromMonthAfterAge(age) => month_edge(i64::from(*age) * 12, false, negated),
            ChildRule::PregnancyWeeks(range) if negated => {
                let mut boxes = vec![child_with(|c| c.born = Some(true))];
                boxes.extend(complement(*range).into_iter().map(|part| {
                    child_with(|c| {
                        c.born = Some(false);
                        c.weeks = part;
                    })
                }));
                boxes
            }
            ChildRule::PregnancyWeeks(range) => vec![child_with(|c| {
                c.born = Some(false);
                c.weeks = interval(*range);
            })],
            ChildRule::Unborn(value) => flag(*value, negated, |c, v| c.born = Some(!v)),
            ChildRule::MultipleBirth(value) => flag(*value, negated, |c, v| c.multiple = Some(v)),
            ChildRule::DisabilityCertificate(value) => flag(*value, negated, |c, v| c.disability = Some(v)),
            ChildRule::BirthOrder(range) if negated => complement(*range)
                .into_iter()
                .map(|part| child_with(|c| c.order = meet(part, c.order)))
                .collect(),
            ChildRule::BirthOrder(range) => vec![child_with(|c| c.order = meet(interval(*range), c.order))],
            ChildRule::Childcare(kinds) => {
                let mask = kinds.iter().fold(0, |mask, kind| mask | kind.bit());
                vec![child_with(|c| {
                    c.childcare = if negated { !mask & 0b111 } else { mask }
                })]
            }
        }
        .into_iter()
        .filter(ChildBox::is_possible)
        .collect(),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct HouseholdBox {
    allowed: Option<BTreeSet<MunicipalityCode>>,
    forbidden: BTreeSet<MunicipalityCode>,
    single_parent: Option<bool>,
    income: Interval,
    /// Each entry needs some child in it (children may differ between entries).
    required: Vec<Vec<ChildBox>>,
    /// Every child must be in each entry.
    every: Vec<Vec<ChildBox>>,
}

fn any_household() -> HouseholdBox {
    HouseholdBox {
        allowed: None,
        forbidden: BTreeSet::new(),
        single_parent: None,
        income: (0, 4),
        required: Vec::new(),
        every: Vec::new(),
    }
}

impl HouseholdBox {
    fn meet(&self, other: &Self) -> Option<Self> {
        let allowed = match (&self.allowed, &other.allowed) {
            (Some(a), Some(b)) => Some(a.intersection(b).copied().collect()),
            (a, b) => a.clone().or_else(|| b.clone()),
        };
        let combined = HouseholdBox {
            allowed,
            forbidden: self.forbidden.union(&other.forbidden).copied().collect(),
            single_parent: meet_flag(self.single_parent, other.single_parent).ok()?,
            income: meet(self.income, other.income),
            required: self.required.iter().chain(&other.required).cloned().collect(),
            every: self.every.iter().chain(&other.every).cloned().collect(),
        };
        combined.is_possible().then_some(combined)
    }

    fn is_possible(&self) -> bool {
        if self
            .allowed
            .as_ref()
            .is_some_and(|allowed| allowed.is_subset(&self.forbidden))
        {
            return false;
        }
        if self.income.0 > self.income.1 {
            return false;
        }
        self.required.iter().all(|required| {
            let all_constraints = self
                .every
                .iter()
                .cloned()
                .try_fold(required.clone(), |acc, every| {
                    product(Some(acc), Some(every), ChildBox::meet)
                });
            all_constraints.is_none_or(|boxes| !boxes.is_empty())
        })
    }
}

fn household_with(update: impl FnOnce(&mut HouseholdBox)) -> Dnf<HouseholdBox> {
    let mut household = any_household();
    update(&mut household);
    Some(vec![household])
}

fn household_dnf(rule: &Rule, negated: bool) -> Dnf<HouseholdBox> {
    let conjunction = |rules: &[Rule]| {
        rules.iter().try_fold(vec![any_household()], |acc, rule| {
            let right = household_dnf(rule, negated)?;
            let mut boxes = Vec::new();
            for a in &acc {
                boxes.extend(right.iter().filter_map(|b| a.meet(b)));
            }
            (boxes.len() <= MAX_BOXES).then_some(boxes)
        })
    };
    let disjunction = |rules: &[Rule]| union(rules.iter().map(|rule| household_dnf(rule, negated)));
    let boxes = match rule {
        Rule::All(rules) if negated => disjunction(rules)?,
        Rule::All(rules) => conjunction(rules)?,
        Rule::Any(rules) if negated => conjunction(rules)?,
        Rule::Any(rules) => disjunction(rules)?,
        Rule::Not(rule) => household_dnf(rule, !negated)?,
        Rule::SomeChild(child) if negated => {
            household_with(|h| h.every.push(child_dnf(child, true).unwrap_or(vec![ANY_CHILD])))?
        }
        Rule::SomeChild(child) => household_with(|h| {
            h.required
                .push(child_dnf(child, false).unwrap_or(vec![ANY_CHILD]))
        })?,
        Rule::EveryChild(child) if negated => {
            household_with(|h| h.required.push(child_dnf(child, true).unwrap_or(vec![ANY_CHILD])))?
        }
        Rule::EveryChild(child) => {
            household_with(|h| h.every.push(child_dnf(child, false).unwrap_or(vec![ANY_CHILD])))?
        }
        Rule::CountChildren { filter, range } => count_dnf(filter.as_ref(), *range, negated)?,
        Rule::Municipality(codes) if negated => {
            household_with(|h| h.forbidden.extend(codes.iter().copied()))?
        }
        Rule::Municipality(codes) => household_with(|h| h.allowed = Some(codes.iter().copied().collect()))?,
        Rule::SingleParent(value) => household_with(|h| h.single_parent = Some(*value != negated))?,
        Rule::IncomeBand(range) if negated => complement(*range)
            .into_iter()
            .filter_map(|part| household_with(|h| h.income = meet(h.income, part)))
            .flatten()
            .collect(),
        Rule::IncomeBand(range) => household_with(|h| h.income = meet(h.income, interval(*range)))?,
        // Outside its periods, or in a period without a rule, a dated rule does not hold.
        Rule::ByPeriod(periods) if negated && has_days_without_rule(periods) => household_with(|_| {})?,
        Rule::ByPeriod(periods) => union(
            periods
                .iter()
                .filter_map(|period| period.rule.as_ref())
                .map(|rule| household_dnf(rule, negated)),
        )?,
    };
    Some(boxes.into_iter().filter(HouseholdBox::is_possible).collect())
}

fn has_days_without_rule(periods: &[Period]) -> bool {
    let open_start = periods.first().is_some_and(|first| first.from.is_some());
    let open_end = periods.last().is_some_and(|last| last.until.is_some());
    open_start || open_end || periods.iter().any(|period| period.rule.is_none())
}

/// `count_children` needs a matching child when its range excludes zero, and forbids one when
/// the range is exactly zero; other counts are always reachable with enough children.
fn count_dnf(filter: Option<&ChildRule>, range: Range, negated: bool) -> Dnf<HouseholdBox> {
    let matching = || filter.map_or(Some(vec![ANY_CHILD]), |rule| child_dnf(rule, false));
    let not_matching = || filter.map_or(Some(Vec::new()), |rule| child_dnf(rule, true));
    let zero_allowed = range.contains(0) != negated;
    let only_zero = !negated && range.max() == Some(0);
    if only_zero {
        return household_with(|h| h.every.push(not_matching().unwrap_or(vec![ANY_CHILD])));
    }
    if zero_allowed {
        return household_with(|_| {});
    }
    household_with(|h| h.required.push(matching().unwrap_or(vec![ANY_CHILD])))
}

/// Reports every condition in the rule that no household can satisfy, and every `not` whose
/// inner condition always holds.
pub(crate) fn check(rule: &Rule, pointer: &str, errors: &mut Vec<RuleError>) -> bool {
    let children_ok = match rule {
        Rule::All(rules) | Rule::Any(rules) => {
            let results: Vec<bool> = rules
                .iter()
                .enumerate()
                .map(|(i, r)| check(r, &format!("{pointer}/{}/{i}", key(rule)), errors))
                .collect();
            results.into_iter().all(|ok| ok)
        }
        Rule::Not(inner) => {
            if !check(inner, &format!("{pointer}/not"), errors) {
                return false;
            }
            if household_dnf(inner, true).is_some_and(|boxes| boxes.is_empty()) {
                report_always(pointer, errors);
                return false;
            }
            true
        }
        Rule::SomeChild(child) | Rule::EveryChild(child) => {
            check_child(child, &format!("{pointer}/{}", key(rule)), errors)
        }
        Rule::ByPeriod(periods) => {
            let results: Vec<bool> = periods
                .iter()
                .enumerate()
                .filter_map(|(i, period)| {
                    let rule = period.rule.as_ref()?;
                    Some(check(rule, &format!("{pointer}/by_period/{i}/rule"), errors))
                })
                .collect();
            results.into_iter().all(|ok| ok)
        }
        Rule::CountChildren {
            filter: Some(child), ..
        } => check_child(child, &format!("{pointer}/count_children/where"), errors),
        _ => true,
    };
    if !children_ok {
        return false;
    }
    if household_dnf(rule, false).is_some_and(|boxes| boxes.is_empty()) {
        report_never(pointer, errors);
        return false;
    }
    true
}

fn check_child(rule: &ChildRule, pointer: &str, errors: &mut Vec<RuleError>) -> bool {
    let children_ok = match rule {
        ChildRule::All(rules) | ChildRule::Any(rules) => {
            let name = if matches!(rule, ChildRule::All(_)) {
                "all"
            } else {
                "any"
            };
            let results: Vec<bool> = rules
                .iter()
                .enumerate()
                .map(|(i, r)| check_child(r, &format!("{pointer}/{name}/{i}"), errors))
                .collect();
            results.into_iter().all(|ok| ok)
        }
        ChildRule::Not(inner) => {
            if !check_child(inner, &format!("{pointer}/not"), errors) {
                return false;
            }
            if child_dnf(inner, true).is_some_and(|boxes| boxes.is_empty()) {
                report_always(pointer, errors);
                return false;
            }
            true
        }
        _ => true,
    };
    if !children_ok {
        return false;
    }
    if child_dnf(rule, false).is_some_and(|boxes| boxes.is_empty()) {
        report_never(pointer, errors);
        return false;
    }
    true
}

fn key(rule: &Rule) -> &'static str {
    match rule {
        Rule::All(_) => "all",
        Rule::Any(_) => "any",
        Rule::SomeChild(_) => "some_child",
        Rule::EveryChild(_) => "every_child",
        _ => "",
    }
}

fn report_never(pointer: &str, errors: &mut Vec<RuleError>) {
    errors.push(RuleError {
        pointer: pointer.to_owned(),
        message_en: "no household can satisfy this condition: its parts contradict each other".to_owned(),
        message_ja: "この条件を満たす世帯はありません（条件どうしが矛盾しています）".to_owned(),
    });
}

fn report_always(pointer: &str, errors: &mut Vec<RuleError>) {
    errors.push(RuleError {
        pointer: pointer.to_owned(),
        message_en: "the condition inside not always holds, so this can never hold".to_owned(),
        message_ja: "not の中の条件は常に満たされるため、この条件を満たす世帯はありません".to_owned(),
    });
}
