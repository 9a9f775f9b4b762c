//! The eligibility rule engine. It owns the rule language (its JSON form, versioning and
//! validation, including contradiction checks; rules that change on dates as laws do; the
//! everyday words staff write, stored as ids), Japanese child-rearing date arithmetic (age in
//! months, 年度, 学年 with 早生まれ, 年度末 caps, month-end bounds, weeks of pregnancy), and the evaluation of a
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
pub use rule::{AgeUnit, Bound, ChildRule, Period, Range, Rule, SchoolStage, grade_name, grade_number};

#[cfg(test)]
mod vocabulary_tests {
    use kosodate_domain::{Vocabulary, serde_names_agree};
    use serde_json::json;

    use crate::{AgeUnit, Childcare, EligibilityDocument, IncomeBand, SchoolStage};

    #[test]
    fn everyday_words_name_the_same_values_and_are_stored_as_ids() {
        for (word, stage) in [
            ("就学前", SchoolStage::Preschool),
            ("未就学児", SchoolStage::Preschool),
            ("未就学", SchoolStage::Preschool),
            ("小学校", SchoolStage::Elementary),
            ("中学校", SchoolStage::JuniorHigh),
            ("高校生", SchoolStage::HighSchool),
        ] {
            assert_eq!(SchoolStage::parse(word), Some(stage), "{word}");
        }
        assert_eq!(SchoolStage::Preschool.id(), "preschool");
        assert_eq!(SchoolStage::Preschool.label_ja(), "未就学");
        assert_eq!(AgeUnit::parse("ヶ月"), Some(AgeUnit::Months));
        assert_eq!(AgeUnit::parse("歳"), Some(AgeUnit::Years));
        assert_eq!(AgeUnit::Months.id(), "months");
        let document = json!({"version": 1, "rule": {"some_child": {"all": [
            {"school_stage": "就学前"},
            {"age": {"unit": "ヶ月", "gte": 6}}
        ]}}});
        assert_eq!(
            EligibilityDocument::parse(&document).unwrap().to_value(),
            json!({"version": 1, "rule": {"some_child": {"all": [
                {"school_stage": "preschool"},
                {"age": {"unit": "months", "gte": 6}}
            ]}}})
        );
    }

    #[test]
    fn serde_reads_labels_and_old_ids_and_writes_ids() {
        let band: IncomeBand = serde_json::from_value(json!("年収約360万円以下")).unwrap();
        assert_eq!(band, IncomeBand::UpTo360);
        let band: IncomeBand = serde_json::from_value(json!("up_to360")).unwrap();
        assert_eq!(serde_json::to_value(band).unwrap(), json!("up_to_360"));
        let care: Childcare = serde_json::from_value(json!("在宅")).unwrap();
        assert_eq!(serde_json::to_value(care).unwrap(), json!("home"));
        let error = serde_json::from_value::<Childcare>(json!("保育園")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown variant `保育園`, expected one of `nursery`, `kindergarten`, `home`"
        );
    }

    #[test]
    fn serde_names_are_the_vocabulary_ids() {
        serde_names_agree::<crate::IncomeBand>().unwrap_or_else(|error| panic!("{error}"));
        serde_names_agree::<crate::Childcare>().unwrap_or_else(|error| panic!("{error}"));
        serde_names_agree::<crate::Eligibility>().unwrap_or_else(|error| panic!("{error}"));
    }
}
