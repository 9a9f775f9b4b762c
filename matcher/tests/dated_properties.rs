//! Properties of the two constructs law needed: a rule that changes on dates (`by_period`) and
//! the month-end bounds (`until_end_of_month_of_age`, `from_month_after_age`). A dated rule
//! answers on each day what the rule of the period in force answers, and its windows are right
//! on both sides of every change date; a month-end bound holds through the last day of the
//! month in which the child reaches N, and not a day longer, for every birth date.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{Datelike, Days, NaiveDate};
use kosodate_domain::MunicipalityCode;
use kosodate_matcher::{
    Application, Area, Child, ChildRule, Eligibility, Household, IncomeBand, Period, PreparedHousehold,
    ProgramRule, Range, Rule, Truth,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// The 児童手当 reform of 1 October 2024: 中学校修了 with an income limit before, 18歳年度末
/// without one from that day.
fn child_allowance() -> Rule {
    Rule::ByPeriod(vec![
        Period {
            from: None,
            until: Some(day("2024-09-30")),
            rule: Some(Rule::All(vec![
                Rule::SomeChild(ChildRule::UntilMarch31AfterAge(15)),
                Rule::IncomeBand(Range {
                    lower: None,
                    upper: Some(kosodate_matcher::Bound {
                        value: 3,
                        inclusive: true,
                    }),
                }),
            ])),
        },
        Period {
            from: Some(day("2024-10-01")),
            until: None,
            rule: Some(Rule::SomeChild(ChildRule::UntilMarch31AfterAge(18))),
        },
    ])
}

/// Rules a period may hold: date conditions whose answers change inside the span, and facts.
fn period_rule() -> impl Strategy<Value = Option<Rule>> {
    let leaf = prop_oneof![
        (10..=20_u32).prop_map(|age| Rule::SomeChild(ChildRule::UntilMarch31AfterAge(age))),
        (1..=6_u32).prop_map(|age| Rule::SomeChild(ChildRule::UntilEndOfMonthOfAge(age))),
        (1..=6_u32).prop_map(|age| Rule::SomeChild(ChildRule::FromMonthAfterAge(age))),
        (0..=48_i64).prop_map(|months| Rule::SomeChild(ChildRule::Age {
            unit: kosodate_matcher::AgeUnit::Months,
            range: Range::below(months + 1),
        })),
        any::<bool>().prop_map(Rule::SingleParent),
    ];
    proptest::option::weighted(0.9, leaf)
}

/// Periods cut at two to four days between 2015 and 2030, the first and last open or not.
fn dated_rule() -> impl Strategy<Value = (Vec<NaiveDate>, Rule)> {
    (
        vec((0_u32..=5_500, period_rule()), 3..=5),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(cuts, open_start, open_end)| {
            let mut starts: Vec<NaiveDate> = cuts
                .iter()
                .map(|(offset, _)| day("2015-01-01") + Days::new(u64::from(*offset)))
                .collect();
            starts.sort_unstable();
            starts.dedup();
            let mut periods: Vec<Period> = starts
                .windows(2)
                .zip(cuts.iter().map(|(_, rule)| rule.clone()))
                .map(|(pair, rule)| Period {
                    from: Some(pair[0]),
                    until: pair[1].pred_opt(),
                    rule,
                })
                .collect();
            if periods.is_empty() {
                periods.push(Period {
                    from: Some(starts[0]),
                    until: starts[0].checked_add_days(Days::new(400)),
                    rule: cuts[0].1.clone(),
                });
            }
            if open_start && periods.len() > 1 {
                periods[0].from = None;
            }
            if open_end && periods.len() > 1 {
                periods.last_mut().unwrap().until = None;
            }
            (starts, Rule::ByPeriod(periods))
        })
}

fn household() -> impl Strategy<Value = Household> {
    (vec(0_u32..=9_000, 1..=3), proptest::option::of(any::<bool>())).prop_map(|(births, single_parent)| {
        Household {
            municipality: MunicipalityCode::parse("02201").unwrap(),
            children: births
                .into_iter()
                .map(|offset| Child::born(day("2000-01-01") + Days::new(u64::from(offset))))
                .collect(),
            single_parent,
            income_band: Some(IncomeBand::UpTo640),
        }
    })
}

/// What a dated rule should answer: the rule of the period in force, no outside every period.
fn in_force(rule: &Rule, household: &PreparedHousehold<'_>, on: NaiveDate) -> Truth {
    let Rule::ByPeriod(periods) = rule else {
        unreachable!()
    };
    periods
        .iter()
        .find(|period| period.contains(on))
        .and_then(|period| period.rule.as_ref())
        .map_or(Truth::False, |rule| rule.evaluate(household, on).truth)
}

proptest! {
    #![proptest_config(config(160))]

    #[test]
    fn a_dated_rule_answers_as_the_rule_in_force(
        (_, rule) in dated_rule(),
        household in household(),
        offset in 0_u32..=6_000,
    ) {
        let prepared = PreparedHousehold::new(&household);
        let on = day("2014-06-01") + Days::new(u64::from(offset));
        let outcome = rule.evaluate(&prepared, on);
        prop_assert_eq!(outcome.truth, in_force(&rule, &prepared, on));
        // The answer may change where a period starts or ends, so the next change is never
        // after the first such day.
        let Rule::ByPeriod(periods) = &rule else { unreachable!() };
        for period in periods {
            for change in [period.from, period.until.and_then(|until| until.succ_opt())] {
                if let Some(change) = change.filter(|change| *change > on) {
                    prop_assert!(
                        outcome.next_change.is_some_and(|next| next <= change),
                        "{:?} passes the change on {}", outcome, change
                    );
                }
            }
        }
    }

    #[test]
    fn windows_are_right_on_both_sides_of_every_change_date(
        (starts, rule) in dated_rule(),
        household in household(),
    ) {
        let prepared = PreparedHousehold::new(&household);
        let program = ProgramRule { area: Area::National, rule: rule.clone(), application: Application::Always };
        for start in &starts {
            let from = start.checked_sub_days(Days::new(200)).unwrap();
            let assessment = program.assess(&prepared, from, 400);
            let horizon = from + Days::new(400);
            let mut on = from;
            while on < horizon {
                let window = assessment.windows.iter().find(|window| {
                    window.from <= on && window.until.is_none_or(|until| on <= until)
                });
                let expected = in_force(&rule, &prepared, on);
                let shown = window.map_or(Eligibility::NotEligible, |window| window.eligibility);
                prop_assert_eq!(shown, Eligibility::from(expected), "on {} around {}", on, start);
                on = on.succ_opt().unwrap();
            }
        }
    }
}

/// The last day of the month in which a child born on `birth` reaches `years`, worked out
/// without the matcher: the birthday (1 March for 29 February in a common year), the day
/// before it, the end of that day's month.
fn last_day_of_month_reaching(birth: NaiveDate, years: u32) -> NaiveDate {
    let year = birth.year() + years as i32;
    let birthday = NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 3, 1).unwrap());
    let reached = birthday.pred_opt().unwrap();
    let (next_year, next_month) = match reached.month() {
        12 => (reached.year() + 1, 1),
        month => (reached.year(), month + 1),
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .unwrap()
        .pred_opt()
        .unwrap()
}

fn one_child(birth: NaiveDate) -> Household {
    Household {
        municipality: MunicipalityCode::parse("02201").unwrap(),
        children: vec![Child::born(birth)],
        single_parent: None,
        income_band: None,
    }
}

/// Every birth date from 2019 to 2024 (29 February 2020 and 2024, every month's end, both
/// sides of 1 April) and every N from 1 to 6.
#[test]
fn a_month_end_bound_holds_exactly_through_the_last_day_of_the_month() {
    let first = day("2019-01-01");
    for birth in first.iter_days().take_while(|birth| *birth <= day("2024-12-31")) {
        let household = one_child(birth);
        let prepared = PreparedHousehold::new(&household);
        for years in 1..=6_u32 {
            let last = last_day_of_month_reaching(birth, years);
            let after = last.succ_opt().unwrap();
            let until = Rule::SomeChild(ChildRule::UntilEndOfMonthOfAge(years));
            let from = Rule::SomeChild(ChildRule::FromMonthAfterAge(years));
            let on_birth = until.evaluate(&prepared, birth);
            assert_eq!(on_birth.truth, Truth::True, "born {birth}, N = {years}");
            assert_eq!(on_birth.next_change, Some(after), "born {birth}, N = {years}");
            assert_eq!(
                until.evaluate(&prepared, last).truth,
                Truth::True,
                "born {birth}, {last}"
            );
            assert_eq!(
                until.evaluate(&prepared, after).truth,
                Truth::False,
                "born {birth}, {after}"
            );
            assert_eq!(until.evaluate(&prepared, after).next_change, None);
            assert_eq!(
                from.evaluate(&prepared, last).truth,
                Truth::False,
                "born {birth}, {last}"
            );
            assert_eq!(from.evaluate(&prepared, birth).next_change, Some(after));
            assert_eq!(
                from.evaluate(&prepared, after).truth,
                Truth::True,
                "born {birth}, {after}"
            );
            assert_eq!(from.evaluate(&prepared, after).next_change, None);
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Any birth date from 1990 to 2040, often on a month's first or last day, and a reference
    /// date near the end of the bound: the bound and its "following month" counterpart split a
    /// born child's life at the same day.
    #[test]
    fn the_month_end_bounds_split_a_childs_life_at_one_day(
        birth_offset in 0_u32..=18_262,
        month_edge in 0_u8..3,
        years in 1_u32..=30,
        near in -45_i64..=45,
    ) {
        let birth = day("1990-01-01") + Days::new(u64::from(birth_offset));
        let birth = match month_edge {
            0 => birth.with_day(1).unwrap(),
            1 => last_day_of_month_reaching(birth, 0),
            _ => birth,
        };
        let household = one_child(birth);
        let prepared = PreparedHousehold::new(&household);
        let last = last_day_of_month_reaching(birth, years);
        let on = if near >= 0 {
            last + Days::new(near.unsigned_abs())
        } else {
            last - Days::new(near.unsigned_abs())
        };
        let until = Rule::SomeChild(ChildRule::UntilEndOfMonthOfAge(years)).evaluate(&prepared, on);
        let from = Rule::SomeChild(ChildRule::FromMonthAfterAge(years)).evaluate(&prepared, on);
        prop_assert_eq!(until.truth == Truth::True, on <= last);
        prop_assert_eq!(from.truth, until.truth.negate());
        prop_assert_eq!(until.next_change, from.next_change);
    }
}

#[test]
fn the_child_allowance_changes_on_1_october_2024() {
    // Born on 10 May 2008: 中学校修了 on 31 March 2024, 高校生年代 until 31 March 2027. Out of
    // the old allowance since April 2024, back in on the day of the reform.
    let household = Household {
        income_band: Some(IncomeBand::UpTo640),
        ..one_child(day("2008-05-10"))
    };
    let prepared = PreparedHousehold::new(&household);
    let program = ProgramRule {
        area: Area::National,
        rule: child_allowance(),
        application: Application::Always,
    };
    let assessment = program.assess_with_ends(&prepared, day("2024-06-01"), 365);
    assert_eq!(assessment.eligibility, Eligibility::NotEligible);
    assert_eq!(assessment.next_change, Some(day("2024-10-01")));
    assert_eq!(assessment.windows.len(), 1);
    assert_eq!(assessment.windows[0].from, day("2024-10-01"));
    assert_eq!(assessment.windows[0].until, Some(day("2027-03-31")));
    // A household above the old income limit with a younger child: eligible again from the
    // change date, without a gap.
    let household = Household {
        income_band: Some(IncomeBand::Over910),
        ..one_child(day("2015-07-01"))
    };
    let prepared = PreparedHousehold::new(&household);
    let before = child_allowance().evaluate(&prepared, day("2024-09-30"));
    assert_eq!(before.truth, Truth::False);
    assert_eq!(before.next_change, Some(day("2024-10-01")));
    assert_eq!(
        child_allowance().evaluate(&prepared, day("2024-10-01")).truth,
        Truth::True
    );
    // A household that has not shared its income is asked before the change, not after.
    let household = Household {
        income_band: None,
        ..one_child(day("2015-07-01"))
    };
    let prepared = PreparedHousehold::new(&household);
    assert_eq!(
        child_allowance().missing_facts(&prepared, day("2024-09-30")),
        [kosodate_matcher::MissingFact::IncomeBand]
    );
    assert!(
        child_allowance()
            .missing_facts(&prepared, day("2024-10-01"))
            .is_empty()
    );
}
