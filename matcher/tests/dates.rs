//! Tricky dates through the public API, from a JSON rule document to an answer: 1 April and
//! 2 April births (学年, 未就学, 早生まれ), 29 February and month-end births, 年度末 caps, due dates and
//! weeks of pregnancy, the days after a birth, birth order and twins, and the facts a household has
//! not shared. Every expected value is worked out by hand from the calendar, not by the engine.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::NaiveDate;
use kosodate_domain::MunicipalityCode;
use kosodate_matcher::Truth::{False, True, Unknown};
use kosodate_matcher::{
    Application, ApplicationPeriod, Area, Child, Childcare, Eligibility, EligibilityDocument, Household,
    IncomeBand, MissingFact, PreparedHousehold, ProgramRule, Rule, Truth, Window,
};
use serde_json::{Value, json};

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn born(text: &str) -> Child {
    Child::born(date(text))
}

fn expected(text: &str) -> Child {
    Child::expected(date(text))
}

fn aomori_city() -> MunicipalityCode {
    MunicipalityCode::parse("022012").unwrap()
}

/// A rule as staff would save it: through the validating document parser.
fn rule(condition: &Value) -> Rule {
    EligibilityDocument::parse(&json!({"version": 1, "rule": condition}))
        .unwrap()
        .into_rule()
        .unwrap()
}

/// A household with every optional fact shared, so that only dates decide.
fn household(children: Vec<Child>) -> Household {
    Household {
        municipality: aomori_city(),
        children,
        single_parent: Some(false),
        income_band: Some(IncomeBand::UpTo640),
    }
}

/// Evaluates `{"some_child": condition}` for a household of one child on every date of `table`.
fn assert_child_table(condition: &Value, child: &Child, table: &[(&str, Truth)]) {
    let rule = rule(&json!({"some_child": condition}));
    let household = household(vec![child.clone()]);
    let prepared = PreparedHousehold::new(&household);
    for (on, expected) in table {
        assert_eq!(
            rule.evaluate(&prepared, date(on)).truth,
            *expected,
            "{condition} for {:?} on {on}",
            child.birth
        );
    }
}

fn assert_next_change(condition: &Value, child: &Child, on: &str, next_change: Option<&str>) {
    let rule = rule(&json!({"some_child": condition}));
    let household = household(vec![child.clone()]);
    let outcome = rule.evaluate(&PreparedHousehold::new(&household), date(on));
    assert_eq!(
        outcome.next_change,
        next_change.map(date),
        "{condition} for {:?} on {on}",
        child.birth
    );
}

#[test]
fn a_child_born_on_1_april_starts_school_a_year_before_one_born_on_2_april() {
    let first_grade_or_above = json!({"school_grade": {"gte": "小1"}});
    assert_child_table(
        &first_grade_or_above,
        &born("2019-04-01"),
        &[("2025-03-31", False), ("2025-04-01", True), ("2026-04-01", True)],
    );
    assert_child_table(
        &first_grade_or_above,
        &born("2019-04-02"),
        &[("2025-04-01", False), ("2026-03-31", False), ("2026-04-01", True)],
    );
    assert_next_change(
        &first_grade_or_above,
        &born("2019-04-01"),
        "2024-12-01",
        Some("2025-04-01"),
    );
    assert_next_change(
        &first_grade_or_above,
        &born("2019-04-02"),
        "2024-12-01",
        Some("2026-04-01"),
    );
    assert_next_change(&first_grade_or_above, &born("2019-04-02"), "2026-04-01", None);
}

#[test]
fn preschool_ends_on_the_31_march_before_first_grade() {
    let preschool = json!({"school_stage": "未就学"});
    assert_child_table(
        &preschool,
        &born("2019-04-01"),
        &[
            ("2019-03-31", False),
            ("2019-04-01", True),
            ("2025-03-31", True),
            ("2025-04-01", False),
        ],
    );
    assert_child_table(
        &preschool,
        &born("2019-04-02"),
        &[("2025-04-01", True), ("2026-03-31", True), ("2026-04-01", False)],
    );
    assert_next_change(&preschool, &born("2019-04-02"), "2025-10-10", Some("2026-04-01"));
    assert_next_change(&preschool, &born("2019-04-02"), "2026-04-01", None);
}

#[test]
fn school_stages_follow_the_cohort() {
    assert_child_table(
        &json!({"school_stage": "elementary"}),
        &born("2019-04-01"),
        &[
            ("2025-03-31", False),
            ("2025-04-01", True),
            ("2031-03-31", True),
            ("2031-04-01", False),
        ],
    );
    assert_child_table(
        &json!({"school_stage": "中学生"}),
        &born("2019-04-01"),
        &[
            ("2031-03-31", False),
            ("2031-04-01", True),
            ("2034-03-31", True),
            ("2034-04-01", False),
        ],
    );
    assert_child_table(
        &json!({"school_stage": "high_school"}),
        &born("2008-04-02"),
        &[
            ("2024-03-31", False),
            ("2024-04-01", True),
            ("2027-03-31", True),
            ("2027-04-01", False),
        ],
    );
}

#[test]
fn nursery_classes_are_named_by_the_age_on_1_april() {
    let final_year = json!({"school_grade": {"gte": "年長", "lte": "年長"}});
    assert_child_table(
        &final_year,
        &born("2019-04-02"),
        &[
            ("2025-03-31", False),
            ("2025-04-01", True),
            ("2026-03-31", True),
            ("2026-04-01", False),
        ],
    );
    assert_child_table(
        &json!({"school_grade": {"gte": "5歳児クラス", "lte": "5歳児クラス"}}),
        &born("2019-04-01"),
        &[("2024-03-31", False), ("2024-04-01", True), ("2025-04-01", False)],
    );
    let zero_class = json!({"school_grade": {"gte": "0歳児クラス", "lte": "0歳児クラス"}});
    assert_child_table(
        &zero_class,
        &born("2024-05-10"),
        &[
            ("2024-05-09", False),
            ("2024-05-10", True),
            ("2025-03-31", True),
            ("2025-04-01", True),
            ("2026-03-31", True),
            ("2026-04-01", False),
        ],
    );
    assert_child_table(
        &zero_class,
        &born("2025-04-01"),
        &[
            ("2025-03-31", False),
            ("2025-04-01", True),
            ("2026-03-31", True),
            ("2026-04-01", False),
        ],
    );
    assert_child_table(
        &json!({"school_grade": {"lte": "0歳児クラス"}}),
        &born("2024-05-10"),
        &[
            ("2024-05-09", False),
            ("2024-05-10", True),
            ("2026-03-31", True),
            ("2026-04-01", False),
        ],
    );
}

#[test]
fn a_29_february_birthday_is_reached_on_1_march_in_common_years() {
    let leap_day = born("2024-02-29");
    assert_child_table(
        &json!({"age": {"unit": "years", "gte": 1}}),
        &leap_day,
        &[("2025-02-28", False), ("2025-03-01", True)],
    );
    assert_child_table(
        &json!({"age": {"unit": "years", "gte": 4}}),
        &leap_day,
        &[("2028-02-28", False), ("2028-02-29", True)],
    );
    assert_child_table(
        &json!({"age": {"unit": "months", "gte": 1}}),
        &leap_day,
        &[("2024-03-28", False), ("2024-03-29", True)],
    );
    assert_child_table(
        &json!({"age": {"unit": "months", "gte": 12}}),
        &leap_day,
        &[("2025-02-28", False), ("2025-03-01", True)],
    );
    assert_child_table(
        &json!({"age": {"unit": "months", "gte": 48}}),
        &leap_day,
        &[("2028-02-28", False), ("2028-02-29", True)],
    );
    assert_child_table(
        &json!({"age": {"unit": "years", "lt": 3}}),
        &leap_day,
        &[("2024-02-29", True), ("2027-02-28", True), ("2027-03-01", False)],
    );
    assert_next_change(
        &json!({"age": {"unit": "years", "gte": 1}}),
        &leap_day,
        "2025-01-01",
        Some("2025-03-01"),
    );
}

#[test]
fn a_month_without_the_birth_day_reaches_the_next_month_on_its_first_day() {
    let one_month = json!({"age": {"unit": "months", "gte": 1}});
    let two_months = json!({"age": {"unit": "months", "gte": 2}});
    assert_child_table(
        &one_month,
        &born("2025-01-31"),
        &[("2025-02-28", False), ("2025-03-01", True)],
    );
    assert_child_table(
        &one_month,
        &born("2024-01-31"),
        &[("2024-02-29", False), ("2024-03-01", True)],
    );
    assert_child_table(
        &two_months,
        &born("2025-01-31"),
        &[("2025-03-30", False), ("2025-03-31", True)],
    );
    assert_child_table(
        &one_month,
        &born("2025-03-31"),
        &[("2025-04-30", False), ("2025-05-01", True)],
    );
    assert_child_table(
        &two_months,
        &born("2025-03-31"),
        &[("2025-05-30", False), ("2025-05-31", True)],
    );
    assert_child_table(
        &two_months,
        &born("2024-12-31"),
        &[("2025-02-28", False), ("2025-03-01", True)],
    );
    assert_child_table(
        &json!({"age": {"unit": "months", "lt": 1}}),
        &born("2025-01-31"),
        &[
            ("2025-01-30", False),
            ("2025-01-31", True),
            ("2025-02-28", True),
            ("2025-03-01", False),
        ],
    );
    assert_child_table(
        &json!({"age": {"unit": "days", "gte": 57}}),
        &born("2026-01-01"),
        &[("2026-02-26", False), ("2026-02-27", True)],
    );
    assert_next_change(&one_month, &born("2025-01-31"), "2025-02-10", Some("2025-03-01"));
    assert_next_change(&one_month, &born("2025-01-31"), "2025-01-01", Some("2025-03-01"));
}

#[test]
fn the_first_31_march_after_the_18th_birthday_depends_on_1_april() {
    let until_18 = json!({"until_march_31_after_age": 18});
    assert_child_table(
        &until_18,
        &born("2008-04-01"),
        &[
            ("2008-03-31", False),
            ("2008-04-01", True),
            ("2026-03-31", True),
            ("2026-04-01", False),
        ],
    );
    assert_child_table(
        &until_18,
        &born("2008-04-02"),
        &[("2026-04-01", True), ("2027-03-31", True), ("2027-04-01", False)],
    );
    assert_child_table(
        &until_18,
        &born("2008-02-29"),
        &[("2026-03-31", True), ("2026-04-01", False)],
    );
    assert_child_table(
        &json!({"until_march_31_after_age": 3}),
        &born("2022-03-31"),
        &[("2025-03-31", True), ("2025-04-01", False)],
    );
    assert_next_change(&until_18, &born("2008-04-01"), "2026-01-01", Some("2026-04-01"));
    assert_next_change(&until_18, &born("2008-04-02"), "2026-01-01", Some("2027-04-01"));
    assert_next_change(&until_18, &born("2008-04-02"), "2027-04-01", None);
}

#[test]
fn weeks_of_pregnancy_count_back_from_the_due_date() {
    let due = expected("2027-05-10");
    assert_child_table(
        &json!({"pregnancy_weeks": {"gte": 12}}),
        &due,
        &[("2026-10-25", False), ("2026-10-26", True), ("2027-05-10", True)],
    );
    assert_child_table(
        &json!({"pregnancy_weeks": {"lt": 22}}),
        &due,
        &[("2026-08-03", True), ("2027-01-03", True), ("2027-01-04", False)],
    );
    assert_child_table(
        &json!({"pregnancy_weeks": {"gte": 37, "lt": 42}}),
        &due,
        &[
            ("2027-04-18", False),
            ("2027-04-19", True),
            ("2027-05-10", True),
            ("2027-05-23", True),
            ("2027-05-24", False),
        ],
    );
    assert_child_table(
        &json!({"pregnancy_weeks": {"gte": 40, "lte": 40}}),
        &due,
        &[
            ("2027-05-09", False),
            ("2027-05-10", True),
            ("2027-05-16", True),
            ("2027-05-17", False),
        ],
    );
    assert_child_table(
        &json!({"unborn": true}),
        &due,
        &[("2026-01-01", True), ("2027-06-30", True)],
    );
    assert_child_table(
        &json!({"age": {"unit": "days", "gte": 0}}),
        &due,
        &[("2027-05-10", False), ("2027-06-30", False)],
    );
    assert_next_change(
        &json!({"pregnancy_weeks": {"gte": 12}}),
        &due,
        "2026-09-01",
        Some("2026-10-26"),
    );
    assert_next_change(
        &json!({"pregnancy_weeks": {"gte": 37, "lt": 42}}),
        &due,
        "2027-05-01",
        Some("2027-05-24"),
    );
}

#[test]
fn a_born_child_is_no_longer_a_pregnancy() {
    let child = born("2027-05-01");
    assert_child_table(
        &json!({"pregnancy_weeks": {"gte": 0}}),
        &child,
        &[("2027-04-01", False), ("2027-05-01", False)],
    );
    assert_child_table(&json!({"unborn": true}), &child, &[("2027-05-01", False)]);
    assert_next_change(
        &json!({"pregnancy_weeks": {"gte": 0}}),
        &child,
        "2027-04-01",
        None,
    );
}

#[test]
fn born_within_15_days_includes_the_15th_day_after_the_birth() {
    assert_child_table(
        &json!({"born_within_days": 15}),
        &born("2026-06-01"),
        &[
            ("2026-05-31", False),
            ("2026-06-01", True),
            ("2026-06-16", True),
            ("2026-06-17", False),
        ],
    );
    assert_child_table(
        &json!({"born_within_days": 0}),
        &born("2026-06-01"),
        &[("2026-06-01", True), ("2026-06-02", False)],
    );
    assert_child_table(
        &json!({"born_within_days": 15}),
        &born("2026-03-20"),
        &[("2026-04-04", True), ("2026-04-05", False)],
    );
    assert_next_change(
        &json!({"born_within_days": 15}),
        &born("2026-06-01"),
        "2026-06-01",
        Some("2026-06-17"),
    );
    assert_next_change(
        &json!({"born_within_days": 15}),
        &born("2026-06-01"),
        "2026-05-01",
        Some("2026-06-01"),
    );
}

/// Children are listed out of birth order on purpose: the engine orders them.
fn households_by_name() -> Vec<(&'static str, Household)> {
    vec![
        (
            "twins second",
            household(vec![born("2023-08-20"), born("2019-01-10"), born("2023-08-20")]),
        ),
        ("two", household(vec![born("2022-02-02"), born("2019-01-10")])),
        (
            "two and expected",
            household(vec![
                expected("2027-01-15"),
                born("2019-01-10"),
                born("2022-02-02"),
            ]),
        ),
        (
            "twins first",
            household(vec![born("2024-11-11"), born("2020-07-07"), born("2020-07-07")]),
        ),
        ("none", household(Vec::new())),
    ]
}

fn assert_household_table(condition: &Value, on: &str, table: &[(&str, Truth)]) {
    let rule = rule(condition);
    let households = households_by_name();
    for (name, expected) in table {
        let (_, household) = households.iter().find(|(known, _)| known == name).unwrap();
        let outcome = rule.evaluate(&PreparedHousehold::new(household), date(on));
        assert_eq!(
            outcome.truth, *expected,
            "{condition} for household {name:?} on {on}"
        );
    }
}

#[test]
fn birth_order_counts_expected_children_and_twins() {
    assert_household_table(
        &json!({"some_child": {"birth_order": {"gte": 3}}}),
        "2026-06-01",
        &[
            ("twins second", True),
            ("two", False),
            ("two and expected", True),
            ("twins first", True),
            ("none", False),
        ],
    );
    assert_household_table(
        &json!({"some_child": {"all": [{"birth_order": {"gte": 3}}, {"unborn": false}]}}),
        "2026-06-01",
        &[
            ("twins second", True),
            ("two and expected", False),
            ("twins first", True),
        ],
    );
    assert_household_table(
        &json!({"some_child": {"all": [{"birth_order": {"gte": 3}}, {"multiple_birth": true}]}}),
        "2026-06-01",
        &[
            ("twins second", True),
            ("two and expected", False),
            ("twins first", False),
        ],
    );
    assert_household_table(
        &json!({"some_child": {"all": [{"birth_order": {"lte": 1}}, {"multiple_birth": true}]}}),
        "2026-06-01",
        &[("twins second", False), ("twins first", True), ("two", False)],
    );
    assert_household_table(
        &json!({"count_children": {"where": {"multiple_birth": true}, "gte": 2}}),
        "2026-06-01",
        &[
            ("twins second", True),
            ("twins first", True),
            ("two", False),
            ("none", False),
        ],
    );
}

#[test]
fn count_children_follows_the_dates() {
    let preschoolers = json!({"count_children": {"where": {"school_stage": "preschool"}, "gte": 2}});
    assert_household_table(
        &preschoolers,
        "2025-03-31",
        &[
            ("twins second", True),
            ("two", True),
            ("two and expected", True),
            ("none", False),
        ],
    );
    assert_household_table(
        &preschoolers,
        "2025-04-01",
        &[
            ("twins second", True),
            ("two", False),
            ("two and expected", False),
        ],
    );
    assert_household_table(
        &preschoolers,
        "2028-04-01",
        &[("twins second", True), ("two", False), ("twins first", False)],
    );
    assert_household_table(
        &json!({"count_children": {"lte": 0}}),
        "2026-06-01",
        &[("none", True), ("two", False)],
    );
    assert_household_table(
        &json!({"count_children": {"where": {"unborn": true}, "gte": 1, "lte": 1}}),
        "2026-06-01",
        &[("two and expected", True), ("two", False)],
    );
}

#[test]
fn the_third_child_counted_up_to_22_ends_with_the_eldest_s_fiscal_year() {
    let many_children = rule(&json!({
        "count_children": {"where": {"until_march_31_after_age": 22}, "gte": 3}
    }));
    let family = household(vec![born("2004-07-01"), born("2010-05-05"), born("2020-10-10")]);
    let prepared = PreparedHousehold::new(&family);
    let table = [
        ("2020-10-09", False),
        ("2020-10-10", True),
        ("2027-03-31", True),
        ("2027-04-01", False),
    ];
    for (on, expected) in table {
        assert_eq!(
            many_children.evaluate(&prepared, date(on)).truth,
            expected,
            "{on}"
        );
    }
    assert_eq!(
        many_children.evaluate(&prepared, date("2026-06-01")).next_change,
        Some(date("2027-04-01"))
    );
}

#[test]
fn unshared_facts_leave_the_answer_unknown_and_are_named() {
    let mut family = household(vec![born("2025-09-01"), born("2020-01-01")]);
    family.single_parent = None;
    family.income_band = None;
    family.children[1].childcare = Some(Childcare::Nursery);
    let cases: [(Value, Truth, Vec<MissingFact>); 5] = [
        (
            json!({"single_parent": true}),
            Unknown,
            vec![MissingFact::SingleParent],
        ),
        (
            json!({"income_band": {"lte": "up_to_360"}}),
            Unknown,
            vec![MissingFact::IncomeBand],
        ),
        (
            json!({"all": [{"single_parent": true}, {"income_band": {"lte": "up_to_360"}}]}),
            Unknown,
            vec![MissingFact::SingleParent, MissingFact::IncomeBand],
        ),
        (
            json!({"some_child": {"childcare": ["home"]}}),
            Unknown,
            vec![MissingFact::Childcare { child: 2 }],
        ),
        (
            json!({"all": [{"single_parent": true}, {"municipality": ["022021"]}]}),
            False,
            Vec::new(),
        ),
    ];
    let prepared = PreparedHousehold::new(&family);
    for (condition, truth, missing) in cases {
        let rule = rule(&condition);
        assert_eq!(
            rule.evaluate(&prepared, date("2026-06-01")).truth,
            truth,
            "{condition}"
        );
        let explanation = rule.explain(&prepared, date("2026-06-01"));
        assert_eq!(explanation.missing, missing, "{condition}");
        assert!(
            explanation
                .missing
                .iter()
                .all(|fact| !fact.question_ja().is_empty())
        );
    }
}

#[test]
fn sharing_a_fact_settles_the_answer() {
    let single_parent_low_income = rule(&json!({
        "all": [{"single_parent": true}, {"income_band": {"lte": "up_to_360"}}]
    }));
    let cases = [
        (None, None, Unknown),
        (Some(false), None, False),
        (Some(true), None, Unknown),
        (Some(true), Some(IncomeBand::Nontaxable), True),
        (Some(true), Some(IncomeBand::UpTo360), True),
        (Some(true), Some(IncomeBand::UpTo640), False),
        (None, Some(IncomeBand::Over910), False),
    ];
    for (single_parent, income_band, expected) in cases {
        let mut family = household(vec![born("2020-01-01")]);
        family.single_parent = single_parent;
        family.income_band = income_band;
        let prepared = PreparedHousehold::new(&family);
        let explanation = single_parent_low_income.explain(&prepared, date("2026-06-01"));
        assert_eq!(
            single_parent_low_income
                .evaluate(&prepared, date("2026-06-01"))
                .truth,
            expected,
            "{single_parent:?} {income_band:?}"
        );
        assert_eq!(explanation.missing.is_empty(), expected != Unknown);
    }
}

fn program(condition: &Value, application: Application) -> ProgramRule {
    ProgramRule {
        area: Area::National,
        rule: rule(condition),
        application,
    }
}

#[test]
fn a_checkup_window_opens_on_the_18_month_anniversary() {
    let checkup = program(
        &json!({"some_child": {"age": {"unit": "months", "gte": 18, "lt": 24}}}),
        Application::Always,
    );
    let family = household(vec![born("2024-08-31")]);
    let assessment = checkup.assess(&PreparedHousehold::new(&family), date("2026-01-15"), 366);
    assert_eq!(assessment.eligibility, Eligibility::NotEligible);
    assert_eq!(assessment.next_change, Some(date("2026-03-01")));
    assert_eq!(
        assessment.windows,
        [Window {
            from: date("2026-03-01"),
            until: Some(date("2026-08-30")),
            eligibility: Eligibility::Eligible,
        }]
    );
    assert_eq!(
        assessment.application_periods,
        [ApplicationPeriod {
            opens: date("2026-03-01"),
            closes: Some(date("2026-08-30")),
        }]
    );
}

#[test]
fn a_birth_report_must_be_made_within_14_days() {
    let birth_grant = program(
        &json!({"some_child": {"born_within_days": 14}}),
        Application::AfterBirth { within_days: 14 },
    );
    let family = household(vec![born("2026-06-01")]);
    let assessment = birth_grant.assess(&PreparedHousehold::new(&family), date("2026-06-10"), 60);
    assert_eq!(assessment.eligibility, Eligibility::Eligible);
    assert_eq!(assessment.next_change, Some(date("2026-06-16")));
    assert_eq!(
        assessment.application_periods,
        [ApplicationPeriod {
            opens: date("2026-06-10"),
            closes: Some(date("2026-06-15")),
        }]
    );
}

#[test]
fn a_fiscal_year_window_lasting_past_the_horizon_keeps_its_deadline() {
    let final_year_program = program(
        &json!({"some_child": {"school_grade": {"gte": "年長", "lte": "年長"}}}),
        Application::Between {
            opens: date("2026-04-01"),
            closes: date("2027-03-31"),
        },
    );
    let family = household(vec![born("2020-04-02")]);
    let assessment = final_year_program.assess(&PreparedHousehold::new(&family), date("2026-03-01"), 366);
    assert_eq!(assessment.eligibility, Eligibility::NotEligible);
    assert_eq!(assessment.next_change, Some(date("2026-04-01")));
    assert_eq!(
        assessment.windows,
        [Window {
            from: date("2026-04-01"),
            until: None,
            eligibility: Eligibility::Eligible,
        }]
    );
    assert_eq!(
        assessment.application_periods,
        [ApplicationPeriod {
            opens: date("2026-04-01"),
            closes: Some(date("2027-03-31")),
        }]
    );
}

#[test]
fn the_answer_on_the_reference_date_does_not_depend_on_the_horizon() {
    let child_allowance = program(
        &json!({"some_child": {"until_march_31_after_age": 18}}),
        Application::Always,
    );
    let family = household(vec![born("2008-04-01")]);
    let prepared = PreparedHousehold::new(&family);
    for horizon_days in [0, 1, 30, 366] {
        let assessment = child_allowance.assess(&prepared, date("2026-03-31"), horizon_days);
        assert_eq!(
            assessment.eligibility,
            Eligibility::Eligible,
            "horizon {horizon_days}"
        );
        assert_eq!(
            assessment.next_change,
            Some(date("2026-04-01")),
            "horizon {horizon_days}"
        );
    }
}

#[test]
fn a_municipal_program_leaves_other_municipalities_out() {
    let municipal = ProgramRule {
        area: Area::of_owner(Some(MunicipalityCode::parse("02202").unwrap())),
        rule: rule(&json!({"some_child": {"school_stage": "preschool"}})),
        application: Application::Always,
    };
    let family = household(vec![born("2024-01-01")]);
    let assessment = municipal.assess(&PreparedHousehold::new(&family), date("2026-06-01"), 366);
    assert_eq!(assessment.eligibility, Eligibility::NotEligible);
    assert!(assessment.windows.is_empty());
    assert_eq!(assessment.next_change, None);
}

#[test]
fn a_window_ends_where_the_rule_says_also_past_the_horizon() {
    let child_allowance = program(
        &json!({"some_child": {"until_march_31_after_age": 18}}),
        Application::Always,
    );
    let under_three = program(
        &json!({"some_child": {"age": {"unit": "years", "lt": 3}}}),
        Application::Always,
    );
    let family = household(vec![born("2025-01-15")]);
    let prepared = PreparedHousehold::new(&family);
    let on = date("2026-06-01");
    let cases = [(&child_allowance, "2043-03-31"), (&under_three, "2028-01-14")];
    for (program, last_day) in cases {
        let within_horizon = program.assess(&prepared, on, 366);
        assert_eq!(within_horizon.windows[0].until, None, "{last_day}");
        let with_ends = program.assess_with_ends(&prepared, on, 366);
        assert_eq!(
            with_ends.windows,
            [Window {
                from: on,
                until: Some(date(last_day)),
                eligibility: Eligibility::Eligible,
            }]
        );
        assert_eq!(
            with_ends.application_periods,
            [ApplicationPeriod {
                opens: on,
                closes: Some(date(last_day)),
            }]
        );
        assert_eq!(with_ends.eligibility, within_horizon.eligibility);
    }
}

#[test]
fn a_window_past_the_horizon_is_followed_through_dates_that_change_nothing() {
    // Eligible under three, then from two to five: the first day the answer "may" change (the
    // third birthday) changes nothing, and the window ends the day before the fifth birthday.
    let overlapping = program(
        &json!({"any": [
            {"some_child": {"age": {"unit": "years", "lt": 3}}},
            {"some_child": {"age": {"unit": "years", "gte": 2, "lt": 5}}}
        ]}),
        Application::Always,
    );
    let family = household(vec![born("2025-01-15")]);
    let prepared = PreparedHousehold::new(&family);
    let assessment = overlapping.assess_with_ends(&prepared, date("2026-06-01"), 366);
    assert_eq!(
        assessment.windows,
        [Window {
            from: date("2026-06-01"),
            until: Some(date("2030-01-14")),
            eligibility: Eligibility::Eligible,
        }]
    );
    let forever = program(
        &json!({"some_child": {"age": {"unit": "years", "gte": 1}}}),
        Application::Always,
    );
    let assessment = forever.assess_with_ends(&prepared, date("2026-06-01"), 366);
    assert_eq!(assessment.windows[0].until, None);
}
