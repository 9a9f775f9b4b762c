use serde_json::{Map, Value};

use crate::errors::{RuleError, RuleErrors, pointer_segment};
use crate::rule::{Parser, Rule};
use crate::satisfy;

/// Versions of the rule document this engine understands. A stored document names its version so
/// that a later language can be introduced without rewriting what staff have entered.
pub const SUPPORTED_VERSIONS: &[u64] = &[1];

/// A program's eligibility rule document as stored: `{"version": 1, "rule": {...}}`. The `rule`
/// member is optional: a document without one says "eligibility is described in words only", and
/// the matcher leaves such a program out rather than guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EligibilityDocument {
    version: u64,
    rule: Option<Rule>,
}

impl EligibilityDocument {
    /// Validates a rule document and returns every problem found, not only the first, so that an
    /// editor can mark them all at once.
    pub fn parse(document: &Value) -> Result<Self, RuleErrors> {
        let Some(object) = document.as_object() else {
            return Err(RuleErrors(vec![error(
                "",
                "the rule document must be a JSON object",
                "対象条件はJSONオブジェクトで指定してください",
            )]));
        };
        let mut errors = Vec::new();
        for key in object.keys() {
            if key != "version" && key != "rule" {
                errors.push(error(
                    &format!("/{}", pointer_segment(key)),
                    &format!("unknown member {key:?}; expected version or rule"),
                    &format!("不明な項目「{key}」です（version または rule を指定してください）"),
                ));
            }
        }
        let version = match object.get("version").map(Value::as_u64) {
            Some(Some(version)) if SUPPORTED_VERSIONS.contains(&version) => Some(version),
            Some(_) => {
                errors.push(error(
                    "/version",
                    "unsupported rule version; supported: 1",
                    "対象条件の version は 1 を指定してください",
                ));
                None
            }
            None => {
                errors.push(error(
                    "/version",
                    "missing rule version",
                    "対象条件に version（1）がありません",
                ));
                None
            }
        };
        let rule = match object.get("rule") {
            None | Some(Value::Null) => None,
            Some(Value::Object(rule)) if rule.is_empty() => {
                errors.push(error("/rule", "the rule is empty", "条件が空です"));
                None
            }
            Some(rule) => {
                let before = errors.len();
                let parsed = Parser { errors: &mut errors }.rule(rule, "/rule");
                match parsed {
                    Some(parsed)
                        if errors.len() == before && satisfy::check(&parsed, "/rule", &mut errors) =>
                    {
                        Some(parsed)
                    }
                    _ => None,
                }
            }
        };
        match (version, errors.is_empty()) {
            (Some(version), true) => Ok(Self { version, rule }),
            _ => Err(RuleErrors(errors)),
        }
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn has_rule(&self) -> bool {
        self.rule.is_some()
    }

    pub fn rule(&self) -> Option<&Rule> {
        self.rule.as_ref()
    }

    pub fn into_rule(self) -> Option<Rule> {
        self.rule
    }

    pub fn from_rule(rule: Rule) -> Self {
        Self {
            version: 1,
            rule: Some(rule),
        }
    }

    /// The document in its canonical stored form.
    pub fn to_value(&self) -> Value {
        let mut object = Map::new();
        object.insert("version".into(), Value::from(self.version));
        if let Some(rule) = &self.rule {
            object.insert("rule".into(), rule.to_json());
        }
        Value::Object(object)
    }
}

fn error(pointer: &str, message_en: &str, message_ja: &str) -> RuleError {
    RuleError {
        pointer: pointer.to_owned(),
        message_en: message_en.to_owned(),
        message_ja: message_ja.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn minimal_document_is_accepted() {
        let document = EligibilityDocument::parse(&json!({"version": 1})).unwrap();
        assert_eq!(document.version(), 1);
        assert!(!document.has_rule());
        assert_eq!(document.to_value(), json!({"version": 1}));
    }

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let errors = EligibilityDocument::parse(&json!({"version": 9, "rule": [], "x/y": 1}))
            .unwrap_err()
            .0;
        let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/x~1y", "/version", "/rule"]);
    }

    #[test]
    fn non_object_and_empty_rule_are_rejected() {
        assert!(EligibilityDocument::parse(&json!("everyone")).is_err());
        assert!(EligibilityDocument::parse(&json!({"version": 1, "rule": {}})).is_err());
        assert!(EligibilityDocument::parse(&json!({})).is_err());
    }
}
