//! The eligibility rule engine. It owns the rule document that each program carries (its JSON
//! form, its versioning and its validation) and, as the rule language grows, the evaluation of a
//! household against a rule at a given reference date. It is pure: it must not depend on a
//! database, HTTP, the system clock or any kosodate crate that does; the reference date and all
//! facts are inputs.

mod document;

pub use document::{EligibilityDocument, RuleError, RuleErrors, SUPPORTED_VERSIONS};
