//! What is wrong with a rule document, each problem located by its JSON pointer.

/// One problem in a rule document, located by an RFC 6901 JSON pointer relative to the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub pointer: String,
    pub message_en: String,
    pub message_ja: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid eligibility rule: {}", .0.iter().map(|e| format!("{} {}", e.pointer, e.message_en)).collect::<Vec<_>>().join("; "))]
pub struct RuleErrors(pub Vec<RuleError>);

/// A member name as one segment of a JSON pointer (RFC 6901 escapes).
pub(crate) fn pointer_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}
