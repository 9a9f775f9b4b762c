//! What staff see when they save a rule the engine cannot use: every problem, located by a JSON
//! pointer into the document, in Japanese and English. Bound members are written in alphabetical
//! order so that the expected pointer does not depend on whether JSON objects keep their order.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_matcher::{EligibilityDocument, RuleError};
use serde_json::{Value, json};

fn rule_errors(document: &Value) -> Vec<RuleError> {
    let errors = EligibilityDocument::parse(document).unwrap_err().0;
    for error in &errors {
        assert!(!error.message_ja.is_empty(), "{error:?}");
        assert!(!error.message_en.is_empty(), "{error:?}");
    }
    errors
}

/// Rejects `{"version": 1, "rule": rule}` with exactly one error, at `pointer`, and returns it.
fn rejected_at(rule: &Value, pointer: &str) -> RuleError {
    let errors = rule_errors(&json!({"version": 1, "rule": rule}));
    let pointers: Vec<_> = errors.iter().map(|error| error.pointer.as_str()).collect();
    assert_eq!(pointers, [pointer], "{rule}: {errors:?}");
    errors.into_iter().next().unwrap()
}

const CONTRADICTION: &str = "no household can satisfy this condition: its parts contradict each other";
const TAUTOLOGY_UNDER_NOT: &str = "the condition inside not always holds, so this can never hold";

#[test]
fn an_unknown_condition_is_named_where_it_is_written() {
    let error = rejected_at(&json!({"age_years": {"lt": 3}}), "/rule/age_years");
    assert!(error.message_en.contains("unknown condition \"age_years\""));
    assert!(error.message_ja.contains("不明な条件「age_years」"));
    rejected_at(
        &json!({"some_child": {"all": [{"unborn": true}, {"pregnant": true}]}}),
        "/rule/some_child/all/1/pregnant",
    );
    rejected_at(&json!({"some_child": {"a/b~c": 1}}), "/rule/some_child/a~1b~0c");
}

#[test]
fn a_child_condition_at_household_level_says_where_it_belongs() {
    let error = rejected_at(&json!({"age": {"unit": "years", "lt": 3}}), "/rule/age");
    assert!(error.message_en.contains("some_child"), "{}", error.message_en);
    assert!(error.message_ja.contains("some_child"), "{}", error.message_ja);
    rejected_at(
        &json!({"all": [{"single_parent": true}, {"school_stage": "preschool"}]}),
        "/rule/all/1/school_stage",
    );
    let error = rejected_at(
        &json!({"some_child": {"single_parent": true}}),
        "/rule/some_child/single_parent",
    );
    assert!(
        error.message_en.contains("household condition"),
        "{}",
        error.message_en
    );
}

#[test]
fn empty_lists_are_rejected() {
    rejected_at(&json!({"all": []}), "/rule/all");
    rejected_at(
        &json!({"any": [{"single_parent": true}, {"all": []}]}),
        "/rule/any/1/all",
    );
    rejected_at(
        &json!({"some_child": {"childcare": []}}),
        "/rule/some_child/childcare",
    );
    rejected_at(&json!({"municipality": []}), "/rule/municipality");
    let error = rejected_at(&json!({"some_child": {"any": []}}), "/rule/some_child/any");
    assert_eq!(error.message_ja, "条件のリストが空です");
}

#[test]
fn empty_and_missing_ranges_are_rejected() {
    let error = rejected_at(
        &json!({"some_child": {"age": {"gte": 5, "lt": 5, "unit": "years"}}}),
        "/rule/some_child/age",
    );
    assert!(error.message_en.contains("the range is empty"));
    rejected_at(
        &json!({"some_child": {"school_grade": {"gte": "小3", "lte": "小1"}}}),
        "/rule/some_child/school_grade",
    );
    rejected_at(
        &json!({"income_band": {"gt": "up_to_360", "lt": "up_to_640"}}),
        "/rule/income_band",
    );
    rejected_at(
        &json!({"count_children": {"where": {"unborn": true}}}),
        "/rule/count_children",
    );
    rejected_at(
        &json!({"some_child": {"age": {"unit": "months"}}}),
        "/rule/some_child/age",
    );
}

#[test]
fn contradictory_conditions_on_one_child_are_found() {
    let cases = [
        (
            json!({"some_child": {"all": [
                {"age": {"gte": 5, "unit": "years"}},
                {"age": {"lt": 36, "unit": "months"}}
            ]}}),
            "/rule/some_child",
        ),
        (
            json!({"some_child": {"all": [{"school_stage": "preschool"}, {"school_grade": {"gte": "小1"}}]}}),
            "/rule/some_child",
        ),
        (
            json!({"some_child": {"all": [{"unborn": true}, {"age": {"lt": 1, "unit": "years"}}]}}),
            "/rule/some_child",
        ),
        (
            json!({"all": [
                {"single_parent": true},
                {"every_child": {"all": [{"unborn": true}, {"born_within_days": 14}]}}
            ]}),
            "/rule/all/1/every_child",
        ),
        (
            json!({"some_child": {"any": [
                {"all": [{"school_stage": "elementary"}, {"age": {"lt": 6, "unit": "years"}}]},
                {"unborn": true}
            ]}}),
            "/rule/some_child/any/0",
        ),
        (
            json!({"count_children": {"gte": 1, "where": {"all": [
                {"born_within_days": 30},
                {"age": {"gte": 2, "unit": "months"}}
            ]}}}),
            "/rule/count_children/where",
        ),
    ];
    for (rule, pointer) in cases {
        let error = rejected_at(&rule, pointer);
        assert_eq!(error.message_en, CONTRADICTION, "{rule}");
        assert!(error.message_ja.contains("矛盾"), "{rule}");
    }
}

#[test]
fn contradictory_household_conditions_are_found() {
    let cases = [
        (
            json!({"all": [{"single_parent": true}, {"single_parent": false}]}),
            "/rule",
        ),
        (
            json!({"all": [{"municipality": ["022012"]}, {"municipality": ["02202"]}]}),
            "/rule",
        ),
        (json!({"income_band": {"gt": "over_910"}}), "/rule"),
        (
            json!({"any": [
                {"single_parent": true},
                {"all": [{"some_child": {"school_stage": "preschool"}}, {"count_children": {"lte": 0}}]}
            ]}),
            "/rule/any/1",
        ),
        (
            json!({"all": [
                {"some_child": {"unborn": true}},
                {"every_child": {"unborn": false}}
            ]}),
            "/rule",
        ),
    ];
    for (rule, pointer) in cases {
        let error = rejected_at(&rule, pointer);
        assert_eq!(error.message_en, CONTRADICTION, "{rule}");
    }
}

#[test]
fn not_of_a_condition_that_always_holds_is_rejected() {
    let cases = [
        (json!({"not": {"income_band": {"gte": "nontaxable"}}}), "/rule"),
        (
            json!({"some_child": {"not": {"birth_order": {"gte": 1}}}}),
            "/rule/some_child",
        ),
        (
            json!({"some_child": {"not": {"childcare": ["nursery", "kindergarten", "home"]}}}),
            "/rule/some_child",
        ),
        (
            json!({"all": [{"single_parent": true}, {"not": {"any": [{"single_parent": true}, {"single_parent": false}]}}]}),
            "/rule/all/1",
        ),
        (
            json!({"not": {"every_child": {"any": [{"unborn": true}, {"unborn": false}]}}}),
            "/rule",
        ),
    ];
    for (rule, pointer) in cases {
        let error = rejected_at(&rule, pointer);
        assert_eq!(error.message_en, TAUTOLOGY_UNDER_NOT, "{rule}");
        assert!(
            error.message_ja.contains("not の中の条件は常に満たされる"),
            "{rule}"
        );
    }
}

#[test]
fn a_wrong_municipality_check_digit_names_the_right_one() {
    let error = rejected_at(
        &json!({"municipality": ["022012", "022013"]}),
        "/rule/municipality/1",
    );
    assert!(error.message_ja.contains("正しくは 2"), "{}", error.message_ja);
    assert!(error.message_en.contains("expected 2"), "{}", error.message_en);
    rejected_at(&json!({"municipality": ["99001"]}), "/rule/municipality/0");
    rejected_at(&json!({"municipality": [true]}), "/rule/municipality/0");
}

#[test]
fn unknown_values_are_rejected_at_the_value() {
    let error = rejected_at(
        &json!({"income_band": {"lte": "up_to_500"}}),
        "/rule/income_band/lte",
    );
    assert!(error.message_en.contains("up_to_360"), "{}", error.message_en);
    rejected_at(
        &json!({"some_child": {"school_grade": {"lte": "小7"}}}),
        "/rule/some_child/school_grade/lte",
    );
    rejected_at(
        &json!({"some_child": {"school_stage": "university"}}),
        "/rule/some_child/school_stage",
    );
    rejected_at(
        &json!({"some_child": {"childcare": ["home", "granny"]}}),
        "/rule/some_child/childcare/1",
    );
    rejected_at(
        &json!({"some_child": {"age": {"lt": 3, "unit": "weeks"}}}),
        "/rule/some_child/age/unit",
    );
    rejected_at(
        &json!({"some_child": {"age": {"from": 3, "unit": "years"}}}),
        "/rule/some_child/age/from",
    );
    rejected_at(
        &json!({"some_child": {"pregnancy_weeks": {"gte": 46}}}),
        "/rule/some_child/pregnancy_weeks/gte",
    );
    rejected_at(
        &json!({"some_child": {"birth_order": {"gte": 0}}}),
        "/rule/some_child/birth_order/gte",
    );
    rejected_at(
        &json!({"some_child": {"born_within_days": -1}}),
        "/rule/some_child/born_within_days",
    );
    rejected_at(
        &json!({"some_child": {"until_march_31_after_age": 0}}),
        "/rule/some_child/until_march_31_after_age",
    );
    rejected_at(&json!({"single_parent": "yes"}), "/rule/single_parent");
}

#[test]
fn the_same_end_of_a_range_given_twice_is_rejected() {
    let error = rejected_at(
        &json!({"some_child": {"age": {"gt": 2, "gte": 3, "unit": "years"}}}),
        "/rule/some_child/age/gte",
    );
    assert!(error.message_en.contains("twice"), "{}", error.message_en);
    rejected_at(
        &json!({"count_children": {"lt": 4, "lte": 3}}),
        "/rule/count_children/lte",
    );
}

#[test]
fn a_condition_has_exactly_one_member() {
    let error = rejected_at(&json!({"single_parent": true, "unborn": true}), "/rule");
    assert!(
        error.message_en.contains("exactly one member"),
        "{}",
        error.message_en
    );
    rejected_at(&json!({"some_child": "preschool"}), "/rule/some_child");
    rejected_at(&json!({"all": {"single_parent": true}}), "/rule/all");
}

#[test]
fn every_problem_is_reported_at_once() {
    let errors = rule_errors(&json!({
        "version": 1,
        "rule": {"all": [
            {"municipality": ["022013"]},
            {"some_child": {"school_grade": {"gte": "小0"}}},
            {"age": {"unit": "years", "lt": 3}}
        ]}
    }));
    let pointers: Vec<_> = errors.iter().map(|error| error.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/rule/all/0/municipality/0",
            "/rule/all/1/some_child/school_grade/gte",
            "/rule/all/2/age"
        ]
    );
}

#[test]
fn the_document_itself_is_checked() {
    let pointers = |document: Value| -> Vec<String> {
        rule_errors(&document)
            .into_iter()
            .map(|error| error.pointer)
            .collect()
    };
    assert_eq!(pointers(json!({"rule": {"single_parent": true}})), ["/version"]);
    assert_eq!(pointers(json!({"version": 2})), ["/version"]);
    assert_eq!(pointers(json!({"version": "1"})), ["/version"]);
    assert_eq!(pointers(json!({"version": 1, "rules": {}})), ["/rules"]);
    assert_eq!(pointers(json!({"version": 1, "rule": {}})), ["/rule"]);
    assert_eq!(pointers(json!([1])), [""]);
    let message = EligibilityDocument::parse(&json!({"version": 1, "rule": {"all": []}}))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("/rule/all the list of conditions is empty"),
        "{message}"
    );
}

#[test]
fn valid_rules_pass() {
    let rules = [
        json!({"some_child": {"until_march_31_after_age": 18}}),
        json!({"some_child": {"age": {"gte": 18, "lt": 24, "unit": "months"}}}),
        json!({"some_child": {"all": [
            {"age": {"gte": 6, "unit": "months"}},
            {"age": {"lt": 3, "unit": "years"}},
            {"childcare": ["home"]}
        ]}}),
        json!({"all": [
            {"single_parent": true},
            {"income_band": {"lte": "年収約360万円以下"}},
            {"some_child": {"any": [
                {"until_march_31_after_age": 18},
                {"all": [{"age": {"lt": 20, "unit": "years"}}, {"disability_certificate": true}]}
            ]}}
        ]}),
        json!({"some_child": {"all": [{"birth_order": {"gte": 3}}, {"school_stage": "未就学"}]}}),
        json!({"some_child": {"all": [{"unborn": true}, {"pregnancy_weeks": {"gte": 28}}]}}),
        json!({"count_children": {"gte": 3, "where": {"until_march_31_after_age": 22}}}),
        json!({"some_child": {"all": [{"multiple_birth": true}, {"born_within_days": 30}]}}),
        json!({"some_child": {"school_grade": {"gte": "0歳児クラス", "lte": "年長"}}}),
        json!({"any": [{"municipality": ["02201", "022021"]}, {"not": {"single_parent": true}}]}),
        json!({"some_child": {"all": [{"school_grade": {"gte": "小1"}}, {"age": {"lt": 73, "unit": "months"}}]}}),
        json!({"some_child": {"all": [{"born_within_days": 28}, {"age": {"gte": 1, "unit": "months"}}]}}),
        json!({"every_child": {"not": {"unborn": true}}}),
        json!({"not": {"count_children": {"gte": 1, "where": {"disability_certificate": true}}}}),
    ];
    for rule in rules {
        let document = json!({"version": 1, "rule": rule});
        let parsed = EligibilityDocument::parse(&document);
        assert!(parsed.is_ok(), "{rule}: {parsed:?}");
    }
    assert!(
        !EligibilityDocument::parse(&json!({"version": 1}))
            .unwrap()
            .has_rule()
    );
    assert!(
        !EligibilityDocument::parse(&json!({"version": 1, "rule": null}))
            .unwrap()
            .has_rule()
    );
}
