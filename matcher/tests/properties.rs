//! Properties of the engine on random rules, households and dates: windows agree with the answer
//! on each day, `next_change` never hides a change, `not` is Kleene negation, missing facts are
//! exactly what an `unknown` needs, documents survive a round trip, and the contradiction check
//! never rejects a condition some household meets.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{Days, NaiveDate};
use kosodate_domain::MunicipalityCode;
use kosodate_domain::Vocabulary;
use kosodate_matcher::{
    AgeUnit, Birth, Bound, Child, ChildRule, Childcare, EligibilityDocument, Household, IncomeBand,
    MissingFact, Period, PreparedHousehold, Range, Rule, SchoolStage, Truth,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};
use strum::VariantArray;

const MUNICIPALITIES: [&str; 3] = ["02201", "02202", "02203"];
const SPAN_DAYS: u64 = 400;

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2004, 1, 1).unwrap()
}

fn day(offset: u64) -> NaiveDate {
    first_day() + Days::new(offset)
}

fn municipality(index: usize) -> MunicipalityCode {
    MunicipalityCode::parse(MUNICIPALITIES[index]).unwrap()
}

/// Cases are kept moderate: every case walks hundreds of days in a debug build.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A non-empty range with values in `lo..=hi`: a lower end, an upper end or both.
fn range(lo: i64, hi: i64) -> impl Strategy<Value = Range> {
    (lo..=hi, lo..=hi, any::<bool>(), any::<bool>(), 0..3_u8).prop_map(
        |(a, b, lower_inclusive, upper_inclusive, ends)| {
            let bound = |value, inclusive| Some(Bound { value, inclusive });
            let (low, high) = (a.min(b), a.max(b));
            let range = match ends {
                0 => Range {
                    lower: bound(low, lower_inclusive),
                    upper: None,
                },
                1 => Range {
                    lower: None,
                    upper: bound(high, upper_inclusive),
                },
                _ => Range {
                    lower: bound(low, lower_inclusive),
                    upper: bound(high, upper_inclusive),
                },
            };
            match (range.min(), range.max()) {
                (Some(min), Some(max)) if min > max => Range {
                    lower: bound(low, true),
                    upper: bound(high, true),
                },
                _ => range,
            }
        },
    )
}

fn school_stage() -> impl Strategy<Value = SchoolStage> {
    prop_oneof![
        Just(SchoolStage::Preschool),
        Just(SchoolStage::Elementary),
        Just(SchoolStage::JuniorHigh),
        Just(SchoolStage::HighSchool),
    ]
}

fn childcare() -> impl Strategy<Value = Childcare> {
    prop_oneof![
        Just(Childcare::Nursery),
        Just(Childcare::Kindergarten),
        Just(Childcare::Home)
    ]
}

fn income_band() -> impl Strategy<Value = IncomeBand> {
    (0..IncomeBand::VARIANTS.len()).prop_map(|index| IncomeBand::VARIANTS[index])
}

/// Conditions on a born child's age, from every angle the language has.
fn age_leaf() -> impl Strategy<Value = ChildRule> {
    prop_oneof![
        range(0, 20).prop_map(|range| ChildRule::Age {
            unit: AgeUnit::Years,
            range
        }),
        range(0, 48).prop_map(|range| ChildRule::Age {
            unit: AgeUnit::Months,
            range
        }),
        range(0, 400).prop_map(|range| ChildRule::Age {
            unit: AgeUnit::Days,
            range
        }),
        range(-5, 12).prop_map(ChildRule::SchoolGrade),
        school_stage().prop_map(ChildRule::SchoolStage),
        (1..=22_u32).prop_map(ChildRule::UntilMarch31AfterAge),
        (1..=6_u32).prop_map(ChildRule::UntilEndOfMonthOfAge),
        (1..=6_u32).prop_map(ChildRule::FromMonthAfterAge),
        (0..=60_u32).prop_map(ChildRule::BornWithinDays),
    ]
}

fn child_leaf() -> impl Strategy<Value = ChildRule> {
    prop_oneof![
        7 => age_leaf(),
        1 => any::<bool>().prop_map(ChildRule::Unborn),
        1 => range(0, 45).prop_map(ChildRule::PregnancyWeeks),
        1 => range(1, 5).prop_map(ChildRule::BirthOrder),
        1 => any::<bool>().prop_map(ChildRule::MultipleBirth),
        1 => any::<bool>().prop_map(ChildRule::DisabilityCertificate),
        1 => vec(childcare(), 1..=2).prop_map(ChildRule::Childcare),
    ]
}

/// Two or three age conditions on the same child: where the contradiction check has to reason
/// about how months, days and school grades bound each other.
fn crowded_age_rule() -> impl Strategy<Value = ChildRule> {
    let leaf = prop_oneof![
        3 => age_leaf(),
        1 => age_leaf().prop_map(|rule| ChildRule::Not(Box::new(rule))),
    ];
    vec(leaf, 2..=3).prop_map(ChildRule::All)
}

fn child_rule() -> impl Strategy<Value = ChildRule> {
    child_leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 1..=3).prop_map(ChildRule::All),
            vec(inner.clone(), 1..=3).prop_map(ChildRule::Any),
            inner.prop_map(|rule| ChildRule::Not(Box::new(rule))),
        ]
    })
}

fn household_leaf() -> impl Strategy<Value = Rule> {
    prop_oneof![
        3 => child_rule().prop_map(Rule::SomeChild),
        2 => child_rule().prop_map(Rule::EveryChild),
        2 => (proptest::option::of(child_rule()), range(0, 4))
            .prop_map(|(filter, range)| Rule::CountChildren { filter, range }),
        1 => vec(0..MUNICIPALITIES.len(), 1..=2)
            .prop_map(|indices| Rule::Municipality(indices.into_iter().map(municipality).collect())),
        1 => any::<bool>().prop_map(Rule::SingleParent),
        1 => range(0, 4).prop_map(Rule::IncomeBand),
    ]
}

fn household_rule() -> impl Strategy<Value = Rule> {
    household_leaf().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            3 => vec(inner.clone(), 1..=3).prop_map(Rule::All),
            3 => vec(inner.clone(), 1..=3).prop_map(Rule::Any),
            3 => inner.clone().prop_map(|rule| Rule::Not(Box::new(rule))),
            1 => by_period(inner),
        ]
    })
}

/// A rule that changes on one to three dates within the years reference dates fall in, with
/// open or closed ends and now and then a period in which nobody is eligible.
fn by_period(inner: impl Strategy<Value = Rule> + Clone) -> impl Strategy<Value = Rule> {
    (
        vec((0_u64..=10_226, proptest::option::weighted(0.85, inner)), 2..=4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(cuts, open_start, open_end)| {
            let mut days: Vec<u64> = cuts.iter().map(|(offset, _)| *offset).collect();
            days.sort_unstable();
            days.dedup();
            let rules: Vec<Option<Rule>> = cuts.into_iter().map(|(_, rule)| rule).collect();
            // Cut days d0 < d1 < …: period i runs from d(i) to the day before d(i+1).
            let mut periods: Vec<Period> = days
                .windows(2)
                .zip(&rules)
                .map(|(pair, rule)| Period {
                    from: Some(day(pair[0])),
                    until: Some(day(pair[1]) - Days::new(1)),
                    rule: rule.clone(),
                })
                .collect();
            if periods.is_empty() {
                periods.push(Period {
                    from: Some(day(days[0])),
                    until: None,
                    rule: rules[0].clone(),
                });
            }
            if open_start {
                periods[0].from = None;
            }
            if open_end || periods.len() == 1 && periods[0].from.is_none() {
                periods.last_mut().unwrap().until = None;
            }
            if periods.len() == 1 && periods[0].from.is_none() && periods[0].until.is_none() {
                periods[0].until = Some(day(days[0]));
            }
            Rule::ByPeriod(periods)
        })
}

/// 1 January 2005 to 31 December 2028, often on a day where the calendar is awkward: 1 and
/// 2 April (school cohorts), 31 March, 29 February and the last day of a month.
fn birth_day() -> impl Strategy<Value = NaiveDate> {
    let awkward = (2005..=2028_i32, 0..6_u8, 1..=12_u32).prop_map(|(year, kind, month)| {
        let on = |month, day| NaiveDate::from_ymd_opt(year, month, day);
        let candidate = match kind {
            0 => on(4, 1),
            1 => on(4, 2),
            2 => on(3, 31),
            3 => on(2, 29),
            4 => (28..=31).rev().find_map(|day| on(month, day)),
            _ => on(month, 30),
        };
        candidate.unwrap_or_else(|| on(3, 1).unwrap())
    });
    prop_oneof![(366_u64..=9131).prop_map(day), awkward]
}

/// A child; `twin` gives it the date of the child before it, so that twins are common.
fn child() -> impl Strategy<Value = (bool, NaiveDate, bool, Option<bool>, Option<Childcare>)> {
    (
        any::<bool>(),
        birth_day(),
        proptest::bool::weighted(0.2),
        proptest::option::of(any::<bool>()),
        proptest::option::of(childcare()),
    )
}

fn household() -> impl Strategy<Value = Household> {
    (
        0..MUNICIPALITIES.len(),
        vec(child(), 0..=4),
        proptest::option::of(any::<bool>()),
        proptest::option::of(income_band()),
    )
        .prop_map(|(code, children, single_parent, income_band)| {
            let mut built: Vec<Child> = Vec::new();
            for (is_born, date, twin, disability_certificate, childcare) in children {
                let date = match built.last() {
                    Some(previous) if twin => previous.birth.date(),
                    _ => date,
                };
                built.push(Child {
                    birth: if is_born {
                        Birth::BirthDate(date)
                    } else {
                        Birth::DueDate(date)
                    },
                    disability_certificate,
                    childcare,
                });
            }
            Household {
                municipality: municipality(code),
                children: built,
                single_parent,
                income_band,
            }
        })
}

/// A reference date: anywhere from 2004 to 2031, or near one of the children's dates, where
/// most boundaries are.
fn reference_date(household: &Household, anywhere: u64, pick: usize, offset: i64) -> NaiveDate {
    if household.children.is_empty() || pick.is_multiple_of(3) {
        return day(anywhere);
    }
    let anchor = household.children[pick % household.children.len()].birth.date();
    if offset >= 0 {
        anchor + Days::new(offset.unsigned_abs())
    } else {
        anchor - Days::new(offset.unsigned_abs())
    }
}

fn reference() -> impl Strategy<Value = (u64, usize, i64)> {
    (0_u64..=10_226, any::<usize>(), -400_i64..=7_000)
}

/// Every missing fact filled in: the household as if the parent had answered everything.
#[derive(Debug, Clone)]
struct Answers {
    single_parent: bool,
    income_band: IncomeBand,
    children: Vec<(bool, Childcare)>,
}

fn answers() -> impl Strategy<Value = Answers> {
    (any::<bool>(), income_band(), vec((any::<bool>(), childcare()), 4)).prop_map(
        |(single_parent, income_band, children)| Answers {
            single_parent,
            income_band,
            children,
        },
    )
}

fn answer(household: &mut Household, fact: MissingFact, index_of: &dyn Fn(u8) -> usize, answers: &Answers) {
    match fact {
        MissingFact::SingleParent => household.single_parent = Some(answers.single_parent),
        MissingFact::IncomeBand => household.income_band = Some(answers.income_band),
        MissingFact::DisabilityCertificate { child } => {
            let index = index_of(child);
            household.children[index].disability_certificate = Some(answers.children[index].0);
        }
        MissingFact::Childcare { child } => {
            let index = index_of(child);
            household.children[index].childcare = Some(answers.children[index].1);
        }
    }
}

fn answer_everything(household: &Household, answers: &Answers) -> Household {
    let mut complete = household.clone();
    complete.single_parent.get_or_insert(answers.single_parent);
    complete.income_band.get_or_insert(answers.income_band);
    for (child, (certificate, care)) in complete.children.iter_mut().zip(&answers.children) {
        child.disability_certificate.get_or_insert(*certificate);
        child.childcare.get_or_insert(*care);
    }
    complete
}

fn document(rule: &Rule) -> Value {
    json!({"version": 1, "rule": rule.to_json()})
}

/// Rewrites canonical spellings into the other spellings staff may type: Japanese labels, the
/// 5-digit municipality code, the nursery-class names of grades and dates in the era (和暦).
fn respell(value: &mut Value, key: Option<&str>) {
    match value {
        Value::Object(object) => {
            for (member, inner) in object.iter_mut() {
                let context = match member.as_str() {
                    "gte" | "gt" | "lte" | "lt" => key,
                    other => Some(other),
                };
                respell(inner, context);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| respell(item, key)),
        Value::String(text) => {
            if let Some(other) = other_spelling(key.unwrap_or_default(), text) {
                *text = other;
            }
        }
        _ => {}
    }
}

fn other_spelling(key: &str, text: &str) -> Option<String> {
    let label = match key {
        "school_stage" => [
            SchoolStage::Preschool,
            SchoolStage::Elementary,
            SchoolStage::JuniorHigh,
            SchoolStage::HighSchool,
        ]
        .into_iter()
        .find(|stage| stage.id() == text)?
        .label_ja(),
        "income_band" => IncomeBand::parse(text)?.label_ja(),
        "childcare" => Childcare::parse(text)?.label_ja(),
        "municipality" => return Some(text[..5].to_owned()),
        // 和暦 as offices write it: 「令和6年10月1日」 from 「令和6年10月1日（2024年10月1日）」.
        "from" | "until" => {
            let date: NaiveDate = text.parse().ok()?;
            let written = kosodate_domain::japan::format_date(date);
            return written.split('（').next().map(str::to_owned);
        }
        "school_grade" => match text {
            "年少" => "3歳児クラス",
            "年中" => "4歳児クラス",
            "年長" => "5歳児クラス",
            _ => return None,
        },
        _ => return None,
    };
    Some(label.to_owned())
}

/// The condition a rule error points at, found by walking the rule along the pointer.
#[derive(Debug)]
enum Node<'r> {
    Household(&'r Rule),
    Child(&'r ChildRule),
}

fn node_at<'r>(rule: &'r Rule, pointer: &str) -> Node<'r> {
    let mut segments = pointer.strip_prefix("/rule").unwrap().split('/').skip(1);
    let mut node = Node::Household(rule);
    while let Some(segment) = segments.next() {
        let mut index = || segments.next().unwrap().parse::<usize>().unwrap();
        node = match (node, segment) {
            (Node::Household(Rule::All(rules) | Rule::Any(rules)), "all" | "any") => {
                Node::Household(&rules[index()])
            }
            (Node::Household(Rule::Not(inner)), "not") => Node::Household(inner),
            (Node::Household(Rule::ByPeriod(periods)), "by_period") => {
                let period = &periods[index()];
                assert_eq!(segments.next(), Some("rule"));
                Node::Household(period.rule.as_ref().unwrap())
            }
            (Node::Household(Rule::SomeChild(inner) | Rule::EveryChild(inner)), _) => Node::Child(inner),
            (
                Node::Household(Rule::CountChildren {
                    filter: Some(inner), ..
                }),
                "count_children",
            ) => {
                assert_eq!(segments.next(), Some("where"));
                Node::Child(inner)
            }
            (Node::Child(ChildRule::All(rules) | ChildRule::Any(rules)), "all" | "any") => {
                Node::Child(&rules[index()])
            }
            (Node::Child(ChildRule::Not(inner)), "not") => Node::Child(inner),
            (node, segment) => panic!("pointer {pointer} leaves the rule at {segment} of {node:?}"),
        };
    }
    node
}

/// The day from which every born child of the household exists: before it, a birth date is in
/// the future, which a household cannot declare and the check does not consider.
fn last_birth(household: &Household) -> Option<NaiveDate> {
    household
        .children
        .iter()
        .filter_map(|child| match child.birth {
            Birth::BirthDate(date) => Some(date),
            Birth::DueDate(_) => None,
        })
        .max()
}

const CONTRADICTION_MESSAGES: [&str; 2] = [
    "no household can satisfy this condition: its parts contradict each other",
    "the condition inside not always holds, so this can never hold",
];

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn windows_agree_with_the_answer_on_every_day(
        rule in household_rule(),
        household in household(),
        (anywhere, pick, offset) in reference(),
    ) {
        let prepared = PreparedHousehold::new(&household);
        let from = reference_date(&household, anywhere, pick, offset);
        let until = from + Days::new(SPAN_DAYS);
        let segments = rule.timeline(&prepared, from, until);
        prop_assert_eq!(segments.first().map(|segment| segment.start), Some(from));
        for pair in segments.windows(2) {
            prop_assert_eq!(pair[0].end, Some(pair[1].start));
            prop_assert_ne!(pair[0].truth, pair[1].truth);
        }
        let last = segments.last().unwrap();
        prop_assert!(last.end.is_none_or(|end| end >= until));
        let mut on = from;
        while on < until {
            let covering = segments
                .iter()
                .find(|segment| segment.start <= on && segment.end.is_none_or(|end| on < end))
                .unwrap();
            prop_assert_eq!(rule.evaluate(&prepared, on).truth, covering.truth, "on {}", on);
            on = on.succ_opt().unwrap();
        }
    }

    #[test]
    fn the_answer_holds_until_next_change(
        rule in household_rule(),
        household in household(),
        (anywhere, pick, offset) in reference(),
    ) {
        let prepared = PreparedHousehold::new(&household);
        let on = reference_date(&household, anywhere, pick, offset);
        let outcome = rule.evaluate(&prepared, on);
        let checked_until = on + Days::new(SPAN_DAYS);
        if let Some(next_change) = outcome.next_change {
            prop_assert!(next_change > on);
        }
        let mut later = on.succ_opt().unwrap();
        while later < checked_until && outcome.next_change.is_none_or(|next| later < next) {
            prop_assert_eq!(rule.evaluate(&prepared, later).truth, outcome.truth, "on {}", later);
            later = later.succ_opt().unwrap();
        }
    }

    #[test]
    fn not_is_kleene_negation_with_the_same_next_change(
        rule in household_rule(),
        child_rule in child_rule(),
        household in household(),
        (anywhere, pick, offset) in reference(),
    ) {
        let prepared = PreparedHousehold::new(&household);
        let on = reference_date(&household, anywhere, pick, offset);
        let outcome = rule.evaluate(&prepared, on);
        let negated = Rule::Not(Box::new(rule)).evaluate(&prepared, on);
        prop_assert_eq!(negated.truth, outcome.truth.negate());
        prop_assert_eq!(negated.next_change, outcome.next_change);
        prop_assert_eq!(outcome.truth == Truth::Unknown, negated.truth == Truth::Unknown);
        for child in &prepared.children {
            let outcome = child_rule.evaluate(child, on);
            let negated = ChildRule::Not(Box::new(child_rule.clone())).evaluate(child, on);
            prop_assert_eq!(negated.truth, outcome.truth.negate());
            prop_assert_eq!(negated.next_change, outcome.next_change);
        }
    }

    #[test]
    fn the_batch_path_finds_the_same_missing_facts_as_the_reasons(
        rule in household_rule(),
        household in household(),
        (anywhere, pick, offset) in reference(),
    ) {
        let prepared = PreparedHousehold::new(&household);
        let on = reference_date(&household, anywhere, pick, offset);
        prop_assert_eq!(rule.missing_facts(&prepared, on), rule.explain(&prepared, on).missing);
    }

    #[test]
    fn answering_the_missing_facts_settles_the_answer_and_never_overturns_it(
        rule in household_rule(),
        household in household(),
        answers in answers(),
        (anywhere, pick, offset) in reference(),
    ) {
        let prepared = PreparedHousehold::new(&household);
        let on = reference_date(&household, anywhere, pick, offset);
        let truth = rule.evaluate(&prepared, on).truth;
        let explanation = rule.explain(&prepared, on);
        prop_assert_eq!(explanation.missing.is_empty(), truth != Truth::Unknown);

        let index_of = |order: u8| {
            prepared.children.iter().find(|child| child.order == order).unwrap().index
        };
        let mut answered = household.clone();
        for fact in &explanation.missing {
            answer(&mut answered, *fact, &index_of, &answers);
        }
        let settled = rule.evaluate(&PreparedHousehold::new(&answered), on).truth;
        prop_assert_ne!(settled, Truth::Unknown);
        if truth != Truth::Unknown {
            prop_assert_eq!(settled, truth);
        }

        let complete = answer_everything(&household, &answers);
        let known = rule.evaluate(&PreparedHousehold::new(&complete), on).truth;
        prop_assert_ne!(known, Truth::Unknown);
        if truth != Truth::Unknown {
            prop_assert_eq!(known, truth);
        }
    }

    #[test]
    fn documents_survive_a_round_trip(rule in household_rule(), alternative_spellings in any::<bool>()) {
        let mut written = document(&rule);
        if alternative_spellings {
            respell(&mut written, None);
        }
        match EligibilityDocument::parse(&written) {
            Ok(parsed) => {
                prop_assert_eq!(parsed.rule(), Some(&rule));
                let stored = parsed.to_value();
                prop_assert_eq!(&stored, &document(&rule));
                prop_assert_eq!(EligibilityDocument::parse(&stored).unwrap(), parsed);
            }
            Err(errors) => {
                for error in &errors.0 {
                    prop_assert!(
                        CONTRADICTION_MESSAGES.contains(&error.message_en.as_str()),
                        "a generated rule is well formed, yet {} {}", error.pointer, error.message_en
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn a_rejected_condition_is_never_met(
        rule in prop_oneof![household_rule(), crowded_age_rule().prop_map(Rule::SomeChild)],
        households in vec(household(), 6),
    ) {
        let Err(errors) = EligibilityDocument::parse(&document(&rule)) else {
            return Ok(());
        };
        for error in &errors.0 {
            let condition = match node_at(&rule, &error.pointer) {
                Node::Household(rule) => rule.clone(),
                Node::Child(rule) => Rule::SomeChild(rule.clone()),
            };
            for household in &households {
                let prepared = PreparedHousehold::new(household);
                let from = last_birth(household).unwrap_or(first_day());
                let segments = condition.timeline(&prepared, from, day(365 * 40));
                let met = segments.iter().find(|segment| segment.truth == Truth::True);
                prop_assert!(
                    met.is_none(),
                    "{} rejected at {} ({}), yet met from {:?} by {:?}",
                    rule.to_json(), error.pointer, error.message_en, met, household
                );
            }
        }
    }
}

fn months(range: Range) -> ChildRule {
    ChildRule::Age {
        unit: AgeUnit::Months,
        range,
    }
}

fn days(range: Range) -> ChildRule {
    ChildRule::Age {
        unit: AgeUnit::Days,
        range,
    }
}

fn above(value: i64) -> Range {
    Range {
        lower: Some(Bound {
            value,
            inclusive: false,
        }),
        upper: None,
    }
}

fn at_most(value: i64) -> Range {
    Range {
        lower: None,
        upper: Some(Bound {
            value,
            inclusive: true,
        }),
    }
}

/// Pairs of bounds around the edges of the links the contradiction check draws between school
/// grades and months of age (a grade g child is 12g + 60 to 12g + 83 months old) and between
/// months and days (m months are 28m to 31m + 30 days).
fn conditions_near_linked_edges() -> Vec<ChildRule> {
    let mut conditions = Vec::new();
    for grade in -5..=12_i64 {
        for lowest in (12 * grade + 57)..=(12 * grade + 61) {
            conditions.push(vec![
                ChildRule::SchoolGrade(Range::at_least(grade)),
                months(Range::below(lowest.max(1))),
            ]);
        }
        for highest in (12 * grade + 81)..=(12 * grade + 86) {
            conditions.push(vec![
                ChildRule::SchoolGrade(at_most(grade)),
                months(above(highest.max(0))),
            ]);
        }
    }
    for month in 1..=14_i64 {
        for shortest in (28 * month - 3)..=(28 * month + 1) {
            conditions.push(vec![months(Range::at_least(month)), days(Range::below(shortest))]);
        }
        for longest in (31 * month + 26)..=(31 * month + 32) {
            conditions.push(vec![months(at_most(month)), days(above(longest))]);
        }
    }
    conditions.into_iter().map(ChildRule::All).collect()
}

/// A link one day or month too tight would reject a condition that some child meets on its edge;
/// every rejected pair is checked against children born on each day of 2019 and 2020 (a leap
/// year, and both edges of two school cohorts).
#[test]
fn linked_bounds_are_rejected_only_when_no_child_meets_them() {
    let births: Vec<NaiveDate> = NaiveDate::from_ymd_opt(2019, 1, 1)
        .unwrap()
        .iter_days()
        .take(731)
        .collect();
    let mut rejected = 0;
    for condition in conditions_near_linked_edges() {
        let rule = Rule::SomeChild(condition);
        let Err(errors) = EligibilityDocument::parse(&document(&rule)) else {
            continue;
        };
        rejected += 1;
        assert!(
            errors.0.iter().all(|error| error.pointer == "/rule/some_child"),
            "{errors}"
        );
        for birth in &births {
            let household = Household {
                municipality: municipality(0),
                children: vec![Child::born(*birth)],
                single_parent: None,
                income_band: None,
            };
            let prepared = PreparedHousehold::new(&household);
            let segments = rule.timeline(&prepared, *birth, *birth + Days::new(366 * 20));
            let met = segments.iter().find(|segment| segment.truth == Truth::True);
            assert!(
                met.is_none(),
                "{} rejected, yet met by a child born {birth}: {met:?}",
                rule.to_json()
            );
        }
    }
    assert!(rejected > 0);
}
