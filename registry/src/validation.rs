//! Turning what staff submit into a [`ProgramContent`], reporting every problem at once with the
//! JSON pointer of the field and a message in Japanese and English.

use std::collections::BTreeSet;

use kosodate_domain::Vocabulary;
use kosodate_domain::text::{
    CONTROL_CHARACTER_EN, CONTROL_CHARACTER_JA, control_character_pointers, has_refused_control,
};
use kosodate_matcher::EligibilityDocument;
use serde::Serialize;
use url::Url;
use utoipa::ToSchema;

use crate::model::{
    ApplicationMethod, ApplicationMethodKind, ApplicationWindow, Benefit, Contact, ProgramContent,
    ProgramInput, ProgramOwner,
};

const NAME_MAX: usize = 200;
const SHORT_NAME_MAX: usize = 100;
const SUMMARY_MAX: usize = 400;
const LONG_TEXT_MAX: usize = 20_000;
const LINE_MAX: usize = 500;
const DOCUMENTS_MAX: usize = 50;
const AMOUNT_MAX_YEN: u64 = 100_000_000;
const WITHIN_DAYS_MAX: u32 = 3_650;

/// One invalid field: where it is (RFC 6901 pointer into the submitted document) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    #[schema(example = "/contact/email")]
    pub pointer: String,
    /// For people, in Japanese.
    #[schema(example = "メールアドレスの形式が正しくありません")]
    pub detail: String,
    /// The same in English.
    pub detail_en: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>, detail_en: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
            detail_en: detail_en.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid program: {}", .0.iter().map(|e| format!("{} {}", e.pointer, e.detail_en)).collect::<Vec<_>>().join("; "))]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ProgramInput {
    pub fn validate(&self) -> Result<ProgramContent, ValidationErrors> {
        let mut errors = Vec::new();
        let owner = match ProgramOwner::parse(&self.owner) {
            Ok(owner) => Some(owner),
            Err(error) => {
                errors.push(FieldError::new("/owner", error.message_ja(), error.to_string()));
                None
            }
        };
        let name = required_text(&mut errors, "/name", "制度名", &self.name, One(NAME_MAX));
        let short_name = optional_text(
            &mut errors,
            "/short_name",
            "略称",
            self.short_name.as_deref(),
            One(SHORT_NAME_MAX),
        );
        let summary = required_text(
            &mut errors,
            "/summary",
            "概要",
            &self.summary,
            Several(SUMMARY_MAX),
        );
        let description = optional_text(
            &mut errors,
            "/description",
            "詳細",
            self.description.as_deref(),
            Several(LONG_TEXT_MAX),
        );
        let eligibility_summary = optional_text(
            &mut errors,
            "/eligibility_summary",
            "対象者",
            self.eligibility_summary.as_deref(),
            Several(LONG_TEXT_MAX),
        );
        let categories = validate_categories(&mut errors, self);
        let program_type = validate_program_type(&mut errors, self.program_type.as_deref());
        let eligibility = validate_eligibility(&mut errors, &self.eligibility);
        let benefit = validate_benefit(&mut errors, &self.benefit);
        validate_window(&mut errors, &self.application_window);
        let application_methods = validate_methods(&mut errors, &self.application_methods);
        let documents = validate_documents(&mut errors, &self.documents);
        let contact = validate_contact(&mut errors, &self.contact);
        let source_url = optional_url(&mut errors, "/source_url", self.source_url.as_deref());
        let review_cycle_months = validate_review_cycle(&mut errors, self.review_cycle_months);
        let license = validate_license(&mut errors, self.license.as_deref());
        match (owner, errors.is_empty()) {
            (Some(owner), true) => Ok(ProgramContent {
                owner,
                name,
                short_name,
                categories,
                program_type,
                summary,
                description,
                eligibility_summary,
                eligibility,
                benefit,
                application_window: self.application_window.clone(),
                application_methods,
                documents,
                contact,
                source_url,
                last_reviewed_on: self.last_reviewed_on,
                review_cycle_months,
                license,
            }),
            _ => Err(ValidationErrors(errors)),
        }
    }
}

const REVIEW_CYCLE_MAX_MONTHS: u16 = 60;

fn validate_review_cycle(errors: &mut Vec<FieldError>, months: Option<u16>) -> u16 {
    let months = months.unwrap_or(crate::model::DEFAULT_REVIEW_CYCLE_MONTHS);
    if !(1..=REVIEW_CYCLE_MAX_MONTHS).contains(&months) {
        errors.push(FieldError::new(
            "/review_cycle_months",
            format!("確認の周期は1から{REVIEW_CYCLE_MAX_MONTHS}か月の間で指定してください"),
            format!("the review cycle must be 1 to {REVIEW_CYCLE_MAX_MONTHS} months"),
        ));
    }
    months
}

fn validate_eligibility(errors: &mut Vec<FieldError>, eligibility: &serde_json::Value) -> serde_json::Value {
    let controls = control_character_pointers(eligibility, MAX_CONTROL_ERRORS);
    if !controls.is_empty() {
        errors.extend(
            controls
                .iter()
                .map(|pointer| control_character_error(&format!("/eligibility{pointer}"))),
        );
        return serde_json::Value::Null;
    }
    match EligibilityDocument::parse(eligibility) {
        Ok(document) => document.to_value(),
        Err(rule_errors) => {
            errors.extend(rule_errors.0.into_iter().map(|error| {
                FieldError::new(
                    format!("/eligibility{}", error.pointer),
                    error.message_ja,
                    error.message_en,
                )
            }));
            serde_json::Value::Null
        }
    }
}

fn validate_categories(errors: &mut Vec<FieldError>, input: &ProgramInput) -> Vec<crate::Category> {
    if input.categories.is_empty() {
        errors.push(FieldError::new(
            "/categories",
            "分類を1つ以上選んでください",
            "choose at least one category",
        ));
    }
    // Sorted and de-duplicated so that reordering the same set is not recorded as a change.
    input
        .categories
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The catalogue's key, or its Japanese name as a clerk would type it, stored as the key.
fn validate_program_type(errors: &mut Vec<FieldError>, value: Option<&str>) -> Option<String> {
    let typed = value.map(str::trim).filter(|text| !text.is_empty())?;
    match crate::program_types::find_by_key_or_name(typed) {
        Some(program_type) => Some(program_type.key.clone()),
        None if has_refused_control(typed) => {
            errors.push(control_character_error("/program_type"));
            None
        }
        None => {
            errors.push(FieldError::new(
                "/program_type",
                format!(
                    "制度類型「{typed}」は制度類型の一覧にありません（一覧の名前かキーを入力してください）"
                ),
                format!("unknown program type {typed:?}"),
            ));
            None
        }
    }
}

fn validate_benefit(errors: &mut Vec<FieldError>, benefit: &Benefit) -> Benefit {
    let description = optional_text(
        errors,
        "/benefit/description",
        "給付内容",
        benefit.description.as_deref(),
        Several(LONG_TEXT_MAX),
    );
    if benefit.amount_yen.is_some_and(|amount| amount > AMOUNT_MAX_YEN) {
        errors.push(FieldError::new(
            "/benefit/amount_yen",
            "給付額が大きすぎます（1億円以下で入力してください）",
            "amount must be at most 100,000,000 yen",
        ));
    }
    Benefit {
        description,
        amount_yen: benefit.amount_yen,
    }
}

fn validate_window(errors: &mut Vec<FieldError>, window: &ApplicationWindow) {
    match window {
        ApplicationWindow::Always => {}
        ApplicationWindow::Fixed { from: None, to: None } => errors.push(FieldError::new(
            "/application_window",
            "申請期間の開始日か終了日を入力してください（いつでも申請できる場合は「随時」を選んでください）",
            "a fixed window needs a start or an end date; use kind always for 随時",
        )),
        ApplicationWindow::Fixed {
            from: Some(from),
            to: Some(to),
        } if to < from => errors.push(FieldError::new(
            "/application_window/to",
            format!("申請期間の終了日（{to}）が開始日（{from}）より前になっています"),
            format!("end date {to} is before start date {from}"),
        )),
        ApplicationWindow::Fixed { .. } => {}
        ApplicationWindow::Relative { within_days, .. } => {
            if *within_days == 0 || *within_days > WITHIN_DAYS_MAX {
                errors.push(FieldError::new(
                    "/application_window/within_days",
                    "申請期限の日数は1〜3650日で入力してください",
                    "within_days must be between 1 and 3650",
                ));
            }
        }
    }
}

/// One entry per kind, in a fixed order (窓口, 郵送, オンライン), so that a spreadsheet row can
/// carry every method and reordering is not a change.
fn validate_methods(errors: &mut Vec<FieldError>, methods: &[ApplicationMethod]) -> Vec<ApplicationMethod> {
    let mut validated: Vec<ApplicationMethod> = Vec::with_capacity(methods.len());
    for (index, method) in methods.iter().enumerate() {
        let pointer = format!("/application_methods/{index}");
        if validated.iter().any(|seen| seen.kind == method.kind) {
            errors.push(FieldError::new(
                format!("{pointer}/kind"),
                format!(
                    "申請方法「{}」が2つあります。補足欄にまとめて書いてください",
                    method.kind.label_ja()
                ),
                format!("application method {} appears twice", method.kind.id()),
            ));
            continue;
        }
        let url = optional_url(errors, &format!("{pointer}/url"), method.url.as_deref());
        match (method.kind, &url) {
            (ApplicationMethodKind::Online, None) if method.url.is_none() => errors.push(FieldError::new(
                format!("{pointer}/url"),
                "オンライン申請には申請先のURLを入力してください",
                "an online application method needs a url",
            )),
            (ApplicationMethodKind::Counter | ApplicationMethodKind::Mail, Some(_)) => errors.push(FieldError::new(
                format!("{pointer}/url"),
                "URLはオンライン申請にだけ指定できます（窓口の案内ページは問い合わせURLに入力してください）",
                "only online application methods have a url",
            )),
            _ => {}
        }
        let note = optional_text(
            errors,
            &format!("{pointer}/note"),
            "補足",
            method.note.as_deref(),
            Several(LINE_MAX),
        );
        validated.push(ApplicationMethod {
            kind: method.kind,
            url,
            note,
        });
    }
    validated.sort_by_key(|method| method.kind);
    validated
}

fn validate_documents(errors: &mut Vec<FieldError>, documents: &[String]) -> Vec<String> {
    if documents.len() > DOCUMENTS_MAX {
        errors.push(FieldError::new(
            "/documents",
            "必要書類は50件までです",
            "at most 50 documents",
        ));
    }
    let mut seen = BTreeSet::new();
    documents
        .iter()
        .enumerate()
        .filter_map(|(index, document)| {
            optional_text(
                errors,
                &format!("/documents/{index}"),
                "必要書類",
                Some(document),
                One(LINE_MAX),
            )
        })
        .filter(|document| seen.insert(document.clone()))
        .collect()
}

pub fn validate_contact(errors: &mut Vec<FieldError>, contact: &Contact) -> Contact {
    let section = optional_text(
        errors,
        "/contact/section",
        "担当課",
        contact.section.as_deref(),
        Several(LINE_MAX),
    );
    let phone = contact
        .phone
        .as_deref()
        .map(normalize_width)
        .filter(|phone| !phone.trim().is_empty())
        .and_then(|phone| match valid_phone(phone.trim()) {
            true => Some(phone.trim().to_owned()),
            false => {
                errors.push(FieldError::new(
                    "/contact/phone",
                    format!("電話番号の形式が正しくありません（例: 017-734-1111）: {phone}"),
                    format!("invalid phone number {phone:?}"),
                ));
                None
            }
        });
    let email = contact
        .email
        .as_deref()
        .map(str::trim)
        .filter(|email| !email.is_empty())
        .and_then(
            |email| match email_address::EmailAddress::parse_with_options(email, Default::default()) {
                _ if email.contains(char::is_control) => {
                    errors.push(control_character_error("/contact/email"));
                    None
                }
                Ok(_) => Some(email.to_owned()),
                Err(_) => {
                    errors.push(FieldError::new(
                        "/contact/email",
                        format!("メールアドレスの形式が正しくありません: {email}"),
                        format!("invalid email address {email:?}"),
                    ));
                    None
                }
            },
        );
    let url = optional_url(errors, "/contact/url", contact.url.as_deref());
    Contact {
        section,
        phone,
        email,
        url,
    }
}

/// Japanese phone numbers: 10 or 11 digits with optional hyphens or parentheses, starting with 0.
pub fn valid_phone(phone: &str) -> bool {
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | ' '));
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    allowed && digits.starts_with('0') && (10..=11).contains(&digits.len())
}

/// How much text a field holds: one line (a name) or several (a description), at most so many
/// characters.
#[derive(Debug, Clone, Copy)]
pub enum TextSize {
    One(usize),
    Several(usize),
}

use TextSize::{One, Several};

pub fn required_text(
    errors: &mut Vec<FieldError>,
    pointer: &str,
    label: &str,
    value: &str,
    size: TextSize,
) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push(FieldError::new(
            pointer,
            format!("{label}を入力してください"),
            format!("{} is required", &pointer[1..]),
        ));
    }
    check_text(errors, pointer, label, trimmed, size);
    trimmed.to_owned()
}

pub fn optional_text(
    errors: &mut Vec<FieldError>,
    pointer: &str,
    label: &str,
    value: Option<&str>,
    size: TextSize,
) -> Option<String> {
    let trimmed = value.map(str::trim).filter(|text| !text.is_empty())?;
    check_text(errors, pointer, label, trimmed, size);
    Some(trimmed.to_owned())
}

/// The length, and the characters text may not hold: control characters anywhere (PostgreSQL
/// refuses U+0000, and none belongs in a program), and line breaks or tabs in a one-line field.
fn check_text(errors: &mut Vec<FieldError>, pointer: &str, label: &str, value: &str, size: TextSize) {
    let (max, one_line) = match size {
        One(max) => (max, true),
        Several(max) => (max, false),
    };
    if has_refused_control(value) {
        errors.push(control_character_error(pointer));
    } else if one_line && value.contains(['\n', '\r', '\t']) {
        errors.push(FieldError::new(
            pointer,
            format!("{label}に改行やタブは入力できません"),
            "line breaks and tabs are not accepted in a one-line field",
        ));
    }
    let length = value.chars().count();
    if length > max {
        errors.push(FieldError::new(
            pointer,
            format!("{label}は{max}文字以内で入力してください（現在{length}文字）"),
            format!("at most {max} characters, got {length}"),
        ));
    }
}

/// More would make the answer larger than the rule; the first ones show what is wrong.
const MAX_CONTROL_ERRORS: usize = 100;

pub fn control_character_error(pointer: &str) -> FieldError {
    FieldError::new(pointer, CONTROL_CHARACTER_JA, CONTROL_CHARACTER_EN)
}

/// The licence a record is published under: a URL, CC BY 4.0 when none is given. Places and
/// events are checked by the same rule.
pub fn validate_license(errors: &mut Vec<FieldError>, value: Option<&str>) -> String {
    optional_url(errors, "/license", value).unwrap_or_else(|| crate::model::DEFAULT_LICENSE.to_owned())
}

pub fn optional_url(errors: &mut Vec<FieldError>, pointer: &str, value: Option<&str>) -> Option<String> {
    let trimmed = value.map(str::trim).filter(|text| !text.is_empty())?;
    // The URL parser would quietly drop or escape them; what was typed is wrong, so say so.
    if trimmed.contains(char::is_control) {
        errors.push(control_character_error(pointer));
        return None;
    }
    match Url::parse(trimmed) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url.to_string()),
        _ => {
            errors.push(FieldError::new(
                pointer,
                format!("URLの形式が正しくありません（https:// から始めてください）: {trimmed}"),
                format!("invalid http(s) url {trimmed:?}"),
            ));
            None
        }
    }
}

/// Full-width ASCII (０-９, －, （）) to half-width, because staff type phone numbers and codes
/// with a Japanese input method on.
pub fn normalize_width(input: &str) -> String {
    kosodate_domain::japan::half_width(input)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn input(value: serde_json::Value) -> ProgramInput {
        serde_json::from_value(value).unwrap()
    }

    fn valid() -> serde_json::Value {
        json!({
            "owner": "02201",
            "name": " 子ども医療費助成 ",
            "categories": ["medical", "infant", "medical"],
            "summary": "高校生年代までの医療費の自己負担を助成します。",
            "application_window": {"kind": "always"},
            "contact": {"phone": "０１７－７３４－１１１１"}
        })
    }

    #[test]
    fn valid_input_is_normalised() {
        let content = input(valid()).validate().unwrap();
        assert_eq!(content.owner.as_key(), "022012");
        assert_eq!(content.name, "子ども医療費助成");
        assert_eq!(content.categories.len(), 2);
        assert_eq!(content.contact.phone.as_deref(), Some("017-734-1111"));
        assert_eq!(content.eligibility, json!({"version": 1}));
    }

    #[test]
    fn every_error_is_reported_with_its_pointer() {
        let mut value = valid();
        value["owner"] = json!("022013");
        value["name"] = json!("");
        value["categories"] = json!([]);
        value["application_window"] = json!({"kind": "fixed", "from": "2026-05-01", "to": "2026-04-01"});
        value["application_methods"] = json!([{"kind": "online"}]);
        value["contact"] = json!({"email": "not-an-address", "url": "ftp://x"});
        value["eligibility"] = json!({"version": 2});
        let errors = input(value).validate().unwrap_err().0;
        let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/owner",
                "/name",
                "/categories",
                "/eligibility/version",
                "/application_window/to",
                "/application_methods/0/url",
                "/contact/email",
                "/contact/url"
            ]
        );
        assert!(errors[0].detail.contains("正しくは 2"));
    }

    #[test]
    fn control_characters_are_refused_where_they_are() {
        let mut value = valid();
        value["name"] = json!("子ども\u{0}医療費");
        value["summary"] = json!("一行目\n二行目\t（改行とタブは概要に書けます）");
        value["description"] = json!("\u{1b}[31m赤\u{1b}[0m");
        value["documents"] = json!(["保険証\n印鑑"]);
        value["contact"] = json!({"email": "a\u{0}@example.jp", "url": "https://example.jp/\u{0}"});
        value["eligibility"] = json!({"version": 1, "note\u{0}": "x"});
        let errors = input(value).validate().unwrap_err().0;
        let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/name",
                "/description",
                "/eligibility/note\u{0}",
                "/documents/0",
                "/contact/email",
                "/contact/url"
            ],
            "{errors:?}"
        );
        assert_eq!(errors[0].detail_en, CONTROL_CHARACTER_EN);
        assert!(
            errors.iter().all(|error| !error.detail.contains('\u{0}')),
            "no message echoes the character"
        );
    }

    #[test]
    fn the_program_type_is_a_catalogue_key_or_name() {
        let mut value = valid();
        value["program_type"] = json!(" BCG予防接種 ");
        let content = input(value.clone()).validate().unwrap();
        assert_eq!(content.program_type.as_deref(), Some("vaccine_bcg"));
        value["program_type"] = json!("予防接種いろいろ");
        let errors = input(value).validate().unwrap_err().0;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pointer, "/program_type");
        assert!(
            errors[0].detail.contains("制度類型の一覧にありません"),
            "{}",
            errors[0].detail
        );
    }

    #[test]
    fn phone_numbers() {
        assert!(valid_phone("017-734-1111"));
        assert!(valid_phone("0120-123-456"));
        assert!(valid_phone("090-1234-5678"));
        assert!(!valid_phone("734-1111"));
        assert!(!valid_phone("017-734-1111 内線2"));
    }
}
