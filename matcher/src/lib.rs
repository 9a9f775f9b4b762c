//! The eligibility rule engine. It owns the rule language (its JSON form, versioning and
//! validation, including contradiction checks), Japanese child-rearing date arithmetic (age in
//! months, 年度, 学年 with 早生まれ, 年度末 caps, weeks of pregnancy), and the evaluation of a
//! household against a program: a three-valued answer with reasons, the facts still missing, the
//! windows ahead and the next date the answer can change. It is pure: it must not depend on a
//! database, HTTP, the system clock or any kosodate crate that does; the reference date and all
//! facts are inputs.

mod assess;
pub mod date;
mod document;
mod errors;
mod eval;
mod explain;
mod household;
mod plain;
mod rule;
mod satisfy;

pub use assess::{
    Application, ApplicationPeriod, Area, Assessment, Eligibility, ProgramRule, Segment, Window,
};
pub use document::{EligibilityDocument, SUPPORTED_VERSIONS};
pub use errors::{RuleError, RuleErrors};
pub use eval::{Outcome, PreparedChild, PreparedHousehold, Truth};
pub use explain::{Explanation, Held, Reason, japanese_date};
pub use household::{Birth, Child, Childcare, Household, IncomeBand, MissingFact};
pub use plain::{MunicipalityNames, PlainCondition};
pub use rule::{AgeUnit, Bound, ChildRule, Range, Rule, SchoolStage, grade_name, grade_number};

#[cfg(test)]
mod vocabulary_tests {
    use kosodate_domain::serde_names_agree;

    #[test]
    fn serde_names_are_the_vocabulary_ids() {
        serde_names_agree::<crate::IncomeBand>().unwrap_or_else(|error| panic!("{error}"));
        serde_names_agree::<crate::Childcare>().unwrap_or_else(|error| panic!("{error}"));
        serde_names_agree::<crate::Eligibility>().unwrap_or_else(|error| panic!("{error}"));
    }
}
