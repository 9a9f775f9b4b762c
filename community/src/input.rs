//! What members submit, checked once at the edge: every problem at once, each with the JSON
//! pointer of its field and a message in Japanese and English (as the registry's program input).
//! Personal data is not a problem here but a question put to the poster (`Masking`), except in a
//! display name, which may never hold any.

use kosodate_domain::text::{CONTROL_CHARACTER_EN, CONTROL_CHARACTER_JA, has_refused_control};
use kosodate_domain::{AgeBand, MunicipalityCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::personal_data;
use crate::vocabulary::{QuestionCategory, Region};

pub const DISPLAY_NAME_MIN: usize = 2;
pub const DISPLAY_NAME_MAX: usize = 20;
pub const TITLE_MAX: usize = 80;
pub const QUESTION_BODY_MAX: usize = 4_000;
pub const ANSWER_BODY_MAX: usize = 4_000;
pub const NOTE_MAX: usize = 1_000;
pub const ORGANISATION_MAX: usize = 100;

/// Words a display name may not hold, folded as names are compared: a member must never look
/// like the service, staff or a verified expert, whose badge only staff give.
const IMPERSONATING: [&str; 14] = [
    "運営",
    "管理者",
    "管理人",
    "公式",
    "事務局",
    "スタッフ",
    "青森県",
    "保健師",
    "保育士",
    "助産師",
    "医師",
    "小児科",
    "栄養士",
    "admin",
];

/// One invalid field: where it is (RFC 6901 pointer into the submitted document) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    #[schema(example = "/title")]
    pub pointer: String,
    /// For people, in Japanese.
    pub detail: String,
    /// The same in English.
    pub detail_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| format!("{} {}", e.pointer, e.detail_en)).collect::<Vec<_>>().join("; "))]
pub struct InputErrors(pub Vec<FieldError>);

fn problem(pointer: &str, detail: impl Into<String>, detail_en: impl Into<String>) -> FieldError {
    FieldError {
        pointer: pointer.to_owned(),
        detail: detail.into(),
        detail_en: detail_en.into(),
    }
}

/// How a field's text is checked: its Japanese name, its length bounds and whether it is one line.
struct TextRule {
    pointer: &'static str,
    label: &'static str,
    min: usize,
    max: usize,
    one_line: bool,
}

impl TextRule {
    /// The trimmed text, with its problems added to `errors`.
    fn check(&self, errors: &mut Vec<FieldError>, value: &str) -> String {
        let trimmed = value.trim();
        let (label, pointer) = (self.label, self.pointer);
        let length = trimmed.chars().count();
        if length == 0 {
            errors.push(problem(pointer, format!("{label}を入力してください"), "required"));
        } else if length < self.min {
            let min = self.min;
            errors.push(problem(
                pointer,
                format!("{label}は{min}文字以上で入力してください"),
                format!("at least {min} characters, got {length}"),
            ));
        }
        if length > self.max {
            let max = self.max;
            errors.push(problem(
                pointer,
                format!("{label}は{max}文字以内で入力してください（現在{length}文字）"),
                format!("at most {max} characters, got {length}"),
            ));
        }
        if has_refused_control(trimmed) {
            errors.push(problem(pointer, CONTROL_CHARACTER_JA, CONTROL_CHARACTER_EN));
        } else if self.one_line && trimmed.contains(['\n', '\r', '\t']) {
            errors.push(problem(
                pointer,
                format!("{label}に改行やタブは入力できません"),
                "line breaks and tabs are not accepted in a one-line field",
            ));
        }
        trimmed.to_owned()
    }
}

/// A member's pseudonym: 2 to 20 characters after trimming, one line, no personal data, and
/// nothing that passes for the service, staff or an expert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(value_type = String, example = "りんごママ")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(text: &str) -> Result<Self, InputErrors> {
        const RULE: TextRule = TextRule {
            pointer: "/display_name",
            label: "表示名",
            min: DISPLAY_NAME_MIN,
            max: DISPLAY_NAME_MAX,
            one_line: true,
        };
        let mut errors = Vec::new();
        let name = RULE.check(&mut errors, text);
        if !personal_data::detect(&name).is_empty() {
            errors.push(problem(
                RULE.pointer,
                "表示名に電話番号やメールアドレス、氏名などの個人情報は使えません",
                "a display name may not hold personal data",
            ));
        }
        let folded = fold(&name);
        if IMPERSONATING.iter().any(|word| folded.contains(&fold(word))) {
            errors.push(problem(
                RULE.pointer,
                "運営・公式・専門職と誤解される表示名は使えません（専門職の方は登録後に確認を申請してください）",
                "a display name may not pass for the service, staff or an expert",
            ));
        }
        match errors.is_empty() {
            true => Ok(Self(name)),
            false => Err(InputErrors(errors)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form two names are compared in: width, case and kana folded, spaces dropped, so that
    /// 「りんご ママ」 and 「リンゴママ」 are one name.
    pub fn folded(&self) -> String {
        fold(&self.0)
    }
}

fn fold(text: &str) -> String {
    kosodate_search::fold_kana(&kosodate_search::normalize(text)).replace(' ', "")
}

/// A question as a member writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct QuestionInput {
    pub category: QuestionCategory,
    /// The municipality's code, when the member wants answers about one place.
    #[schema(example = "022012")]
    pub municipality: Option<String>,
    pub region: Option<Region>,
    /// A child's age band (`domain::AgeBand`: pregnancy, age0, age1_to2, age3_to5, elementary,
    /// secondary).
    #[schema(value_type = Option<String>, example = "age0")]
    pub age_band: Option<AgeBand>,
    pub title: String,
    pub body: String,
}

/// A question that passed validation (its text not yet checked for personal data).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidQuestion {
    pub category: QuestionCategory,
    pub municipality: Option<MunicipalityCode>,
    pub region: Option<Region>,
    pub age_band: Option<AgeBand>,
    pub title: String,
    pub body: String,
}

impl QuestionInput {
    pub fn validate(&self) -> Result<ValidQuestion, InputErrors> {
        let mut errors = Vec::new();
        let title = TITLE.check(&mut errors, &self.title);
        let body = QUESTION_BODY.check(&mut errors, &self.body);
        let municipality = self
            .municipality
            .as_deref()
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .and_then(|code| validate_municipality(&mut errors, code));
        match errors.is_empty() {
            true => Ok(ValidQuestion {
                category: self.category,
                municipality,
                region: self.region,
                age_band: self.age_band,
                title,
                body,
            }),
            false => Err(InputErrors(errors)),
        }
    }
}

const TITLE: TextRule = TextRule {
    pointer: "/title",
    label: "タイトル",
    min: 2,
    max: TITLE_MAX,
    one_line: true,
};

const QUESTION_BODY: TextRule = TextRule {
    pointer: "/body",
    label: "質問の内容",
    min: 2,
    max: QUESTION_BODY_MAX,
    one_line: false,
};

const ANSWER_BODY: TextRule = TextRule {
    pointer: "/body",
    label: "回答",
    min: 2,
    max: ANSWER_BODY_MAX,
    one_line: false,
};

/// A municipality of Aomori Prefecture: the prefecture itself is no place to tag a question with
/// (a question about the whole prefecture has no place tag).
fn validate_municipality(errors: &mut Vec<FieldError>, code: &str) -> Option<MunicipalityCode> {
    match MunicipalityCode::parse(code) {
        Err(error) => {
            errors.push(problem("/municipality", error.message_ja(), error.to_string()));
            None
        }
        Ok(code) if code.prefecture_number() != 2 || code.is_prefecture() => {
            errors.push(problem(
                "/municipality",
                "青森県内の市町村を選んでください",
                "the municipality must be one of Aomori Prefecture's",
            ));
            None
        }
        Ok(code) => Some(code),
    }
}

/// An answer as a member writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AnswerInput {
    pub body: String,
}

impl AnswerInput {
    /// The trimmed text (not yet checked for personal data).
    pub fn validate(&self) -> Result<String, InputErrors> {
        let mut errors = Vec::new();
        let body = ANSWER_BODY.check(&mut errors, &self.body);
        match errors.is_empty() {
            true => Ok(body),
            false => Err(InputErrors(errors)),
        }
    }
}

/// Free text beside a choice (a report's note, an expert's organisation, a moderator's reason):
/// optional or required, one line or several, within `max` characters.
pub(crate) fn short_text(
    pointer: &'static str,
    label: &'static str,
    value: &str,
    max: usize,
) -> Result<String, InputErrors> {
    let rule = TextRule {
        pointer,
        label,
        min: 1,
        max,
        one_line: false,
    };
    let mut errors = Vec::new();
    let text = rule.check(&mut errors, value);
    match errors.is_empty() {
        true => Ok(text),
        false => Err(InputErrors(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointers(errors: &InputErrors) -> Vec<&str> {
        errors.0.iter().map(|error| error.pointer.as_str()).collect()
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("  りんごママ ").unwrap().as_str(),
            "りんごママ"
        );
        assert!(DisplayName::parse("あ").is_err());
        assert!(DisplayName::parse(&"あ".repeat(21)).is_err());
        assert!(DisplayName::parse(&"あ".repeat(20)).is_ok());
        assert!(DisplayName::parse("りんご\nママ").is_err());
        assert!(DisplayName::parse("りんご\u{0}ママ").is_err());
    }

    #[test]
    fn display_names_may_not_pass_for_staff_or_experts() {
        for name in [
            "運営チーム",
            "公式アカウント",
            "保健師のさとう",
            "ＡＤＭＩＮ",
            "青森県こども課",
        ] {
            let error = DisplayName::parse(name).expect_err(name);
            assert!(
                pointers(&error).iter().all(|pointer| *pointer == "/display_name"),
                "{name}"
            );
        }
        assert!(DisplayName::parse("ねぶたパパ").is_ok());
    }

    #[test]
    fn display_names_hold_no_personal_data() {
        assert!(DisplayName::parse("09012345678").is_err());
        assert!(DisplayName::parse("a@example.jp").is_err());
    }

    #[test]
    fn look_alike_names_fold_to_one() {
        let one = DisplayName::parse("りんご ママ").unwrap();
        let other = DisplayName::parse("リンゴママ").unwrap();
        assert_eq!(one.folded(), other.folded());
        let wide = DisplayName::parse("ＡＢＣママ").unwrap();
        assert_eq!(wide.folded(), DisplayName::parse("abcママ").unwrap().folded());
    }

    fn question(title: &str, body: &str, municipality: Option<&str>) -> QuestionInput {
        QuestionInput {
            category: QuestionCategory::Infant,
            municipality: municipality.map(str::to_owned),
            region: None,
            age_band: Some(AgeBand::Age0),
            title: title.to_owned(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn a_question_reports_every_problem_with_its_field() {
        let error = question("", &"あ".repeat(QUESTION_BODY_MAX + 1), Some("022013"))
            .validate()
            .expect_err("three problems");
        assert_eq!(pointers(&error), ["/title", "/body", "/municipality"]);
        assert!(
            error
                .0
                .iter()
                .all(|e| !e.detail.is_empty() && !e.detail_en.is_empty())
        );
    }

    #[test]
    fn a_question_keeps_its_trimmed_text_and_place() {
        let valid = question(
            " 夜泣き ",
            "夜泣きがひどいです\n皆さんどうしていますか",
            Some("02201"),
        )
        .validate()
        .unwrap();
        assert_eq!(valid.title, "夜泣き");
        assert_eq!(
            valid.municipality.map(|code| code.to_string()),
            Some("022012".into())
        );
        assert!(question("タイトル\n二行", "本文です", None).validate().is_err());
    }

    #[test]
    fn a_question_is_tagged_with_a_municipality_of_aomori_only() {
        assert!(question("夜泣き", "本文です", Some("020001")).validate().is_err());
        assert!(question("夜泣き", "本文です", Some("131016")).validate().is_err());
        assert!(
            question("夜泣き", "本文です", Some(" "))
                .validate()
                .unwrap()
                .municipality
                .is_none()
        );
    }

    #[test]
    fn an_answer_is_required_and_bounded() {
        assert!(AnswerInput { body: "  ".into() }.validate().is_err());
        assert!(
            AnswerInput {
                body: "あ".repeat(ANSWER_BODY_MAX + 1)
            }
            .validate()
            .is_err()
        );
        assert_eq!(
            AnswerInput {
                body: " うちもです ".into()
            }
            .validate()
            .unwrap(),
            "うちもです"
        );
    }
}
