//! Every JSON example in docs/rules.md means what the page says: documents are accepted, documents
//! fenced as `json rejected` are rejected with exactly the error shown in the next block,
//! conditions parse at household or child level, and households and missing facts load.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_matcher::{EligibilityDocument, Household, MissingFact, RuleError};
use serde_json::{Value, json};

const RULES_PAGE: &str = include_str!("../../docs/rules.md");

#[derive(Debug)]
struct Example {
    /// The fence's info string: `json` or `json rejected`.
    info: String,
    line: usize,
    value: Value,
}

fn json_examples(markdown: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let Some(fence) = line.trim_start().strip_prefix("```") else {
            if let Some((_, _, text)) = open.as_mut() {
                text.push_str(line);
                text.push('\n');
            }
            continue;
        };
        match open.take() {
            None => open = Some((fence.trim().to_owned(), index + 1, String::new())),
            Some((info, line, text)) if info.starts_with("json") => {
                let value = serde_json::from_str(&text)
                    .unwrap_or_else(|error| panic!("docs/rules.md:{line}: not JSON: {error}"));
                examples.push(Example { info, line, value });
            }
            Some(_) => {}
        }
    }
    assert!(open.is_none(), "docs/rules.md ends inside a code block");
    examples
}

/// A condition parses either as a household condition or as a child condition.
fn assert_condition_parses(example: &Example) {
    let as_household = EligibilityDocument::parse(&json!({"version": 1, "rule": example.value}));
    let as_child = EligibilityDocument::parse(&json!({"version": 1, "rule": {"some_child": example.value}}));
    assert!(
        as_household.is_ok() || as_child.is_ok(),
        "docs/rules.md:{}: {} is not a valid condition: {:?} / {:?}",
        example.line,
        example.value,
        as_household,
        as_child
    );
}

fn assert_error_shown(example: &Example, errors: &[RuleError]) {
    let shown = (
        example.value["pointer"].as_str(),
        example.value["message_ja"].as_str(),
        example.value["message_en"].as_str(),
    );
    assert_eq!(
        example.value.as_object().unwrap().len(),
        3,
        "docs/rules.md:{}",
        example.line
    );
    assert!(
        errors.iter().any(|error| shown
            == (
                Some(error.pointer.as_str()),
                Some(error.message_ja.as_str()),
                Some(error.message_en.as_str())
            )),
        "docs/rules.md:{}: the error shown is not among {errors:?}",
        example.line
    );
}

#[test]
fn every_json_example_in_the_rules_page_is_right() {
    let mut documents = 0;
    let mut rejected: Option<Vec<RuleError>> = None;
    for example in json_examples(RULES_PAGE) {
        let line = example.line;
        if let Some(errors) = rejected.take() {
            assert_eq!(
                example.info, "json",
                "docs/rules.md:{line}: a rejected example needs its error"
            );
            assert_error_shown(&example, &errors);
            continue;
        }
        match example.info.as_str() {
            "json rejected" => {
                let errors = EligibilityDocument::parse(&example.value)
                    .err()
                    .unwrap_or_else(|| panic!("docs/rules.md:{line}: marked rejected, yet accepted"));
                rejected = Some(errors.0);
            }
            "json" if example.value.get("version").is_some() => {
                documents += 1;
                if let Err(errors) = EligibilityDocument::parse(&example.value) {
                    panic!("docs/rules.md:{line}: {errors}");
                }
            }
            "json" if example.value.get("fact").is_some() => {
                serde_json::from_value::<MissingFact>(example.value.clone())
                    .unwrap_or_else(|error| panic!("docs/rules.md:{line}: {error}"));
            }
            "json" if example.value.get("children").is_some() => {
                serde_json::from_value::<Household>(example.value.clone())
                    .unwrap_or_else(|error| panic!("docs/rules.md:{line}: {error}"));
            }
            "json" => assert_condition_parses(&example),
            other => panic!("docs/rules.md:{line}: unknown fence info {other:?}"),
        }
    }
    assert!(rejected.is_none(), "the last rejected example has no error shown");
    assert!(documents >= 12, "only {documents} documents found");
}
