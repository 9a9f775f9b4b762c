//! Reasons: the evaluation again, slowly, keeping for every condition what it says (in Japanese
//! and English), whether it held, for which child, and over which dates. Used when a parent or a
//! notice needs the "why"; the batch path uses `evaluate` alone.

use chrono::{Datelike, NaiveDate};
use kosodate_domain::Vocabulary;
use serde::Serialize;
use strum::VariantArray;

use crate::eval::{
    Outcome, PreparedChild, PreparedHousehold, Truth, born_interval, period_on, pregnancy_interval,
};
use crate::household::{Birth, IncomeBand, MissingFact};
use crate::rule::{AgeUnit, ChildRule, Range, Rule, grade_name};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Reason {
    pub held: Held,
    pub condition_ja: String,
    pub condition_en: String,
    /// The child (1-based birth order) the condition was checked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child: Option<u8>,
    /// First and last day on which a date condition holds for this child.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub details: Vec<Reason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    Yes,
    No,
    Unknown,
}

impl From<Truth> for Held {
    fn from(truth: Truth) -> Self {
        match truth {
            Truth::True => Held::Yes,
            Truth::False => Held::No,
            Truth::Unknown => Held::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub reason: Reason,
    /// Facts that would settle an `unknown` answer; empty when the answer is known.
    pub missing: Vec<MissingFact>,
}

impl Rule {
    pub fn explain(&self, household: &PreparedHousehold<'_>, on: NaiveDate) -> Explanation {
        let reason = self.reason(household, on);
        let mut missing = Vec::new();
        collect_missing(&reason, self, household, on, &mut missing);
        missing.sort();
        missing.dedup();
        Explanation { reason, missing }
    }

    /// The facts behind an `unknown` answer, without building the reasons: the batch path.
    pub fn missing_facts(&self, household: &PreparedHousehold<'_>, on: NaiveDate) -> Vec<MissingFact> {
        let mut missing = Vec::new();
        self.collect_missing_fast(household, on, &mut missing);
        missing.sort();
        missing.dedup();
        missing
    }

    fn collect_missing_fast(
        &self,
        household: &PreparedHousehold<'_>,
        on: NaiveDate,
        missing: &mut Vec<MissingFact>,
    ) {
        if self.evaluate(household, on).truth != Truth::Unknown {
            return;
        }
        match self {
            Rule::All(rules) | Rule::Any(rules) => {
                rules
                    .iter()
                    .for_each(|rule| rule.collect_missing_fast(household, on, missing));
            }
            Rule::Not(rule) => rule.collect_missing_fast(household, on, missing),
            Rule::ByPeriod(periods) => {
                if let Some(rule) = rule_in_force(periods, on) {
                    rule.collect_missing_fast(household, on, missing);
                }
            }
            Rule::SomeChild(rule)
            | Rule::EveryChild(rule)
            | Rule::CountChildren {
                filter: Some(rule), ..
            } => {
                for child in &household.children {
                    rule.collect_missing_fast(child, on, missing);
                }
            }
            Rule::SingleParent(_) => missing.push(MissingFact::SingleParent),
            Rule::IncomeBand(_) => missing.push(MissingFact::IncomeBand),
            _ => {}
        }
    }

    fn reason(&self, household: &PreparedHousehold<'_>, on: NaiveDate) -> Reason {
        let outcome = self.evaluate(household, on);
        let (ja, en) = self.describe();
        let details = match self {
            Rule::All(rules) | Rule::Any(rules) => {
                rules.iter().map(|rule| rule.reason(household, on)).collect()
            }
            Rule::Not(rule) => vec![rule.reason(household, on)],
            Rule::ByPeriod(periods) => rule_in_force(periods, on)
                .map(|rule| rule.reason(household, on))
                .into_iter()
                .collect(),
            Rule::SomeChild(rule)
            | Rule::EveryChild(rule)
            | Rule::CountChildren {
                filter: Some(rule), ..
            } => household
                .children
                .iter()
                .map(|child| rule.reason(child, on))
                .collect(),
            _ => Vec::new(),
        };
        let mut reason = reason(outcome, ja, en, None, details);
        // The period in force is the span of days the reason speaks for.
        if let Rule::ByPeriod(periods) = self
            && let (Some(period), _) = period_on(periods, on)
        {
            reason.from = period.from;
            reason.until = period.until;
        }
        reason
    }

    /// What the condition says, in Japanese and English.
    pub fn describe(&self) -> (String, String) {
        match self {
            Rule::All(_) => ("次のすべてを満たす".into(), "all of the following".into()),
            Rule::Any(_) => ("次のいずれかを満たす".into(), "any of the following".into()),
            Rule::Not(_) => ("次を満たさない".into(), "not the following".into()),
            Rule::SomeChild(_) => (
                "次を満たすお子さんがいる".into(),
                "some child meets the following".into(),
            ),
            Rule::EveryChild(_) => (
                "すべてのお子さんが次を満たす".into(),
                "every child meets the following".into(),
            ),
            Rule::CountChildren { filter, range } => {
                let (ja, en) = describe_range(*range, &|n| format!("{n}人"), &|n| format!("{n}"));
                match filter {
                    Some(_) => (
                        format!("次を満たすお子さんが{ja}"),
                        format!("{en} children meet the following"),
                    ),
                    None => (format!("お子さんが{ja}"), format!("{en} children")),
                }
            }
            Rule::Municipality(codes) => {
                let codes: Vec<_> = codes.iter().map(|code| code.as_str()).collect();
                (
                    format!("対象の市町村（{}）に住んでいる", codes.join("・")),
                    format!("lives in {}", codes.join(", ")),
                )
            }
            Rule::SingleParent(true) => ("ひとり親家庭".into(), "a single-parent family".into()),
            Rule::SingleParent(false) => ("ひとり親家庭ではない".into(), "not a single-parent family".into()),
            Rule::IncomeBand(range) => {
                let band = |rank: i64| IncomeBand::VARIANTS.get(rank as usize).copied();
                let (ja, en) = describe_range(
                    *range,
                    &|rank| format!("「{}」", band(rank).map_or("", IncomeBand::label_ja)),
                    &|rank| band(rank).map_or("", IncomeBand::id).to_owned(),
                );
                (format!("所得の目安が{ja}"), format!("income band {en}"))
            }
            Rule::ByPeriod(_) => (
                "その日に適用される期間の条件を満たす".into(),
                "meets the rule of the period in force".into(),
            ),
        }
    }
}

/// The rule of the period in force on `on`; `None` outside every period or in one with no rule.
fn rule_in_force(periods: &[crate::rule::Period], on: NaiveDate) -> Option<&Rule> {
    period_on(periods, on).0.and_then(|period| period.rule.as_ref())
}

impl ChildRule {
    fn collect_missing_fast(&self, child: &PreparedChild, on: NaiveDate, missing: &mut Vec<MissingFact>) {
        if self.evaluate(child, on).truth != Truth::Unknown {
            return;
        }
        match self {
            ChildRule::All(rules) | ChildRule::Any(rules) => {
                rules
                    .iter()
                    .for_each(|rule| rule.collect_missing_fast(child, on, missing));
            }
            ChildRule::Not(rule) => rule.collect_missing_fast(child, on, missing),
            ChildRule::DisabilityCertificate(_) => {
                missing.push(MissingFact::DisabilityCertificate { child: child.order })
            }
            ChildRule::Childcare(_) => missing.push(MissingFact::Childcare { child: child.order }),
            _ => {}
        }
    }

    fn reason(&self, child: &PreparedChild, on: NaiveDate) -> Reason {
        let outcome = self.evaluate(child, on);
        let (ja, en) = self.describe();
        let details = match self {
            ChildRule::All(rules) | ChildRule::Any(rules) => {
                rules.iter().map(|rule| rule.reason(child, on)).collect()
            }
            ChildRule::Not(rule) => vec![rule.reason(child, on)],
            _ => Vec::new(),
        };
        let mut reason = reason(outcome, ja, en, Some(child.order), details);
        if let Some((start, end)) = self.interval(child) {
            reason.from = Some(start).filter(|start| *start != NaiveDate::MIN);
            reason.until = Some(end)
                .filter(|end| *end != NaiveDate::MAX)
                .and_then(|end| end.pred_opt());
        }
        reason
    }

    fn interval(&self, child: &PreparedChild) -> Option<(NaiveDate, NaiveDate)> {
        match (self, child.birth) {
            (ChildRule::PregnancyWeeks(range), Birth::DueDate(due)) => Some(pregnancy_interval(due, *range)),
            (
                ChildRule::Age { .. }
                | ChildRule::SchoolGrade(_)
                | ChildRule::SchoolStage(_)
                | ChildRule::UntilMarch31AfterAge(_)
                | ChildRule::UntilEndOfMonthOfAge(_)
                | ChildRule::FromMonthAfterAge(_)
                | ChildRule::BornWithinDays(_),
                Birth::BirthDate(birth),
            ) => Some(born_interval(self, birth, child.school_cohort)).filter(|(start, end)| start < end),
            _ => None,
        }
    }

    pub fn describe(&self) -> (String, String) {
        match self {
            ChildRule::All(_) => ("次のすべてを満たす".into(), "all of the following".into()),
            ChildRule::Any(_) => ("次のいずれかを満たす".into(), "any of the following".into()),
            ChildRule::Not(_) => ("次を満たさない".into(), "not the following".into()),
            ChildRule::Age { unit, range } => {
                let (ja_unit, en_unit) = match unit {
                    AgeUnit::Years => ("歳", "years"),
                    AgeUnit::Months => ("か月", "months"),
                    AgeUnit::Days => ("日", "days"),
                };
                let (ja, en) = describe_range(*range, &|n| format!("{n}{ja_unit}"), &|n| {
                    format!("{n} {en_unit}")
                });
                let prefix = if *unit == AgeUnit::Years {
                    "年齢が"
                } else {
                    "生後"
                };
                (format!("{prefix}{ja}"), format!("aged {en}"))
            }
            ChildRule::SchoolGrade(range) => {
                let (ja, en) = describe_range(*range, &grade_name, &grade_name);
                (format!("学年が{ja}"), format!("school grade {en}"))
            }
            ChildRule::SchoolStage(stage) => (stage.label_ja().into(), stage.id().replace('_', " ")),
            ChildRule::UntilMarch31AfterAge(age) => (
                format!("{age}歳到達後最初の3月31日まで"),
                format!("until the first 31 March after turning {age}"),
            ),
            ChildRule::UntilEndOfMonthOfAge(age) => (
                format!("{age}歳に達する日の属する月の末日まで"),
                format!("until the end of the month in which the child turns {age}"),
            ),
            ChildRule::FromMonthAfterAge(age) => (
                format!("{age}歳に達する日の属する月の翌月以降"),
                format!("from the month after the one in which the child turns {age}"),
            ),
            ChildRule::Unborn(true) => ("出産予定（妊娠中）".into(), "expected (pregnancy)".into()),
            ChildRule::Unborn(false) => ("出生済み".into(), "born".into()),
            ChildRule::PregnancyWeeks(range) => {
                let (ja, en) = describe_range(*range, &|n| format!("{n}週"), &|n| format!("{n} weeks"));
                (format!("妊娠{ja}"), format!("pregnant {en}"))
            }
            ChildRule::BornWithinDays(days) => (
                format!("出生日から{days}日以内"),
                format!("born within the last {days} days"),
            ),
            ChildRule::BirthOrder(range) => describe_birth_order(*range),
            ChildRule::MultipleBirth(true) => ("多胎児（双子など）".into(), "one of twins or more".into()),
            ChildRule::MultipleBirth(false) => ("多胎児ではない".into(), "not one of twins or more".into()),
            ChildRule::DisabilityCertificate(true) => (
                "障害者手帳などを持っている".into(),
                "holds a disability certificate".into(),
            ),
            ChildRule::DisabilityCertificate(false) => (
                "障害者手帳などを持っていない".into(),
                "holds no disability certificate".into(),
            ),
            ChildRule::Childcare(kinds) => {
                let ja: Vec<_> = kinds.iter().map(|kind| kind.label_ja()).collect();
                let en: Vec<_> = kinds.iter().map(|kind| kind.id()).collect();
                (
                    format!("保育の状況が{}", ja.join("・")),
                    format!("cared for at {}", en.join(" or ")),
                )
            }
        }
    }
}

fn describe_birth_order(range: Range) -> (String, String) {
    match (range.min(), range.max()) {
        (Some(min), Some(max)) if min == max => {
            (format!("第{min}子"), format!("child number {min} in birth order"))
        }
        (Some(min), None) => (
            format!("第{min}子以降"),
            format!("child number {min} or later in birth order"),
        ),
        _ => {
            let (ja, en) = describe_range(range, &|n| format!("第{n}子"), &|n| format!("number {n}"));
            (format!("出生順が{ja}"), format!("birth order {en}"))
        }
    }
}

/// "3歳以上6歳未満" / "at least 3 years and under 6 years".
fn describe_range(
    range: Range,
    ja_value: &dyn Fn(i64) -> String,
    en_value: &dyn Fn(i64) -> String,
) -> (String, String) {
    let mut ja = String::new();
    let mut en = Vec::new();
    if let Some(bound) = range.lower {
        ja.push_str(&ja_value(bound.value));
        ja.push_str(if bound.inclusive { "以上" } else { "を超え" });
        en.push(format!(
            "{} {}",
            if bound.inclusive { "at least" } else { "more than" },
            en_value(bound.value)
        ));
    }
    if let Some(bound) = range.upper {
        ja.push_str(&ja_value(bound.value));
        ja.push_str(if bound.inclusive { "以下" } else { "未満" });
        en.push(format!(
            "{} {}",
            if bound.inclusive { "at most" } else { "under" },
            en_value(bound.value)
        ));
    }
    (ja, en.join(" and "))
}

fn reason(outcome: Outcome, ja: String, en: String, child: Option<u8>, details: Vec<Reason>) -> Reason {
    Reason {
        held: outcome.truth.into(),
        condition_ja: ja,
        condition_en: en,
        child,
        from: None,
        until: None,
        details,
    }
}

/// Facts behind the `unknown` parts of a reason tree; known parts need nothing more.
fn collect_missing(
    reason: &Reason,
    rule: &Rule,
    household: &PreparedHousehold<'_>,
    on: NaiveDate,
    missing: &mut Vec<MissingFact>,
) {
    if reason.held != Held::Unknown {
        return;
    }
    match rule {
        Rule::All(rules) | Rule::Any(rules) => {
            for (rule, detail) in rules.iter().zip(&reason.details) {
                collect_missing(detail, rule, household, on, missing);
            }
        }
        Rule::Not(rule) => collect_missing(&reason.details[0], rule, household, on, missing),
        Rule::ByPeriod(periods) => {
            if let (Some(rule), Some(detail)) = (rule_in_force(periods, on), reason.details.first()) {
                collect_missing(detail, rule, household, on, missing);
            }
        }
        Rule::SomeChild(rule)
        | Rule::EveryChild(rule)
        | Rule::CountChildren {
            filter: Some(rule), ..
        } => {
            for (detail, child) in reason.details.iter().zip(&household.children) {
                collect_child_missing(detail, rule, child.order, missing);
            }
        }
        Rule::SingleParent(_) => missing.push(MissingFact::SingleParent),
        Rule::IncomeBand(_) => missing.push(MissingFact::IncomeBand),
        _ => {}
    }
}

fn collect_child_missing(reason: &Reason, rule: &ChildRule, child: u8, missing: &mut Vec<MissingFact>) {
    if reason.held != Held::Unknown {
        return;
    }
    match rule {
        ChildRule::All(rules) | ChildRule::Any(rules) => {
            for (rule, detail) in rules.iter().zip(&reason.details) {
                collect_child_missing(detail, rule, child, missing);
            }
        }
        ChildRule::Not(rule) => collect_child_missing(&reason.details[0], rule, child, missing),
        ChildRule::DisabilityCertificate(_) => missing.push(MissingFact::DisabilityCertificate { child }),
        ChildRule::Childcare(_) => missing.push(MissingFact::Childcare { child }),
        _ => {}
    }
}

/// "2027年3月31日", the way dates are written in notices.
pub fn japanese_date(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}
