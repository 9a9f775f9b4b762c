//! The whole program form, as typed, and its two translations: to the `ProgramInput` the API
//! takes (every value read in everyday wording, see `wording`) and back from a stored program.
//! Errors are keyed by the id of the control they are about, whether the form could not read a
//! value or `ProgramInput::validate` refused it (its JSON pointers are mapped back here).

use std::collections::BTreeMap;

use kosodate_domain::{CalendarDate, Vocabulary, japan};
use kosodate_registry::{
    ApplicationMethod, ApplicationMethodKind, ApplicationWindow, Benefit, Category, Contact, FieldError,
    LifeEvent, ProgramInput,
};
use strum::VariantArray;

use super::builder::{Builder, Places, RuleMode, stored_rule};
use super::wording::{self, Message};

/// The application methods in the form's order, which is also the registry's.
pub const METHODS: [ApplicationMethodKind; 3] = [
    ApplicationMethodKind::Counter,
    ApplicationMethodKind::Mail,
    ApplicationMethodKind::Online,
];

/// One application method's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MethodFields {
    pub chosen: bool,
    pub url: String,
    pub note: String,
}

/// Every field of the program form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgramForm {
    pub owner: String,
    pub name: String,
    pub short_name: String,
    /// Category ids.
    pub categories: Vec<String>,
    pub summary: String,
    pub description: String,
    pub eligibility_summary: String,
    pub benefit_description: String,
    pub benefit_amount: String,
    /// `always` (随時), `fixed` (期間) or `relative` (出生などから○日以内).
    pub window_kind: String,
    pub window_from: String,
    pub window_to: String,
    pub window_event: String,
    pub window_days: String,
    /// In the order of [`METHODS`].
    pub methods: [MethodFields; 3],
    /// One document a line.
    pub documents: String,
    pub contact_section: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub contact_url: String,
    pub source_url: String,
    /// The licence's URL; empty for CC BY 4.0.
    pub license: String,
    pub last_reviewed: String,
    pub builder: Builder,
    /// The version the form was read at, for optimistic locking (empty for a new program).
    pub version: String,
    /// The program's type (制度類型) and review cycle, kept as they were: the editor does not
    /// change them yet.
    pub program_type: String,
    pub review_cycle_months: String,
}

/// Messages for the form's controls, by control id.
pub type FieldMessages = BTreeMap<String, Message>;

impl ProgramForm {
    /// The form as posted (a checkbox group repeats its name).
    pub fn from_fields(fields: &[(String, String)]) -> Self {
        let field = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| key == name)
                .map_or(String::new(), |(_, value)| value.clone())
        };
        let method = |kind: ApplicationMethodKind| MethodFields {
            chosen: !field(&format!("method_{}", kind.id())).is_empty(),
            url: field(&format!("method_{}_url", kind.id())),
            note: field(&format!("method_{}_note", kind.id())),
        };
        Self {
            owner: field("owner"),
            name: field("name"),
            short_name: field("short_name"),
            categories: fields
                .iter()
                .filter(|(key, _)| key == "category")
                .map(|(_, value)| value.clone())
                .collect(),
            summary: field("summary"),
            description: field("description"),
            eligibility_summary: field("eligibility_summary"),
            benefit_description: field("benefit_description"),
            benefit_amount: field("benefit_amount"),
            window_kind: field("window_kind"),
            window_from: field("window_from"),
            window_to: field("window_to"),
            window_event: field("window_event"),
            window_days: field("window_days"),
            methods: METHODS.map(method),
            documents: field("documents"),
            contact_section: field("contact_section"),
            contact_phone: field("contact_phone"),
            contact_email: field("contact_email"),
            contact_url: field("contact_url"),
            source_url: field("source_url"),
            license: field("license"),
            last_reviewed: field("last_reviewed"),
            builder: Builder::from_fields(&field),
            version: field("version"),
            program_type: field("program_type"),
            review_cycle_months: field("review_cycle_months"),
        }
    }

    /// The form showing a program as stored (or a template).
    pub fn of_input(input: &ProgramInput, places: &Places<'_>) -> Self {
        let date = |date: Option<CalendarDate>| {
            date.map(|date| japan::format_date(date.date()))
                .unwrap_or_default()
        };
        let (window_kind, window_from, window_to, window_event, window_days) = match &input.application_window
        {
            ApplicationWindow::Always => ("always", String::new(), String::new(), "", String::new()),
            ApplicationWindow::Fixed { from, to } => ("fixed", date(*from), date(*to), "", String::new()),
            ApplicationWindow::Relative { event, within_days } => (
                "relative",
                String::new(),
                String::new(),
                event.id(),
                within_days.to_string(),
            ),
        };
        let method = |kind: ApplicationMethodKind| {
            let found = input
                .application_methods
                .iter()
                .find(|method| method.kind == kind);
            MethodFields {
                chosen: found.is_some(),
                url: found.and_then(|method| method.url.clone()).unwrap_or_default(),
                note: found.and_then(|method| method.note.clone()).unwrap_or_default(),
            }
        };
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        Self {
            owner: input.owner.clone(),
            name: input.name.clone(),
            short_name: text(&input.short_name),
            categories: input
                .categories
                .iter()
                .map(|category| category.id().to_owned())
                .collect(),
            summary: input.summary.clone(),
            description: text(&input.description),
            eligibility_summary: text(&input.eligibility_summary),
            benefit_description: text(&input.benefit.description),
            benefit_amount: input
                .benefit
                .amount_yen
                .map(|yen| yen.to_string())
                .unwrap_or_default(),
            window_kind: window_kind.to_owned(),
            window_from,
            window_to,
            window_event: window_event.to_owned(),
            window_days,
            methods: METHODS.map(method),
            documents: input.documents.join("\n"),
            contact_section: text(&input.contact.section),
            contact_phone: text(&input.contact.phone),
            contact_email: text(&input.contact.email),
            contact_url: text(&input.contact.url),
            source_url: text(&input.source_url),
            license: input
                .license
                .clone()
                .filter(|license| license != kosodate_registry::DEFAULT_LICENSE)
                .unwrap_or_default(),
            last_reviewed: date(input.last_reviewed_on),
            builder: builder_of(&input.eligibility, places),
            version: String::new(),
            program_type: text(&input.program_type),
            review_cycle_months: input
                .review_cycle_months
                .map(|months| months.to_string())
                .unwrap_or_default(),
        }
    }

    /// The `ProgramInput` the form stands for, and a message for every value it could not read.
    /// Unreadable values are left out of the input, so that validation still reports the rest.
    pub fn to_input(&self, places: &Places<'_>) -> (ProgramInput, FieldMessages) {
        let mut errors = FieldMessages::new();
        let amount = optional(&self.benefit_amount, wording::read_yen);
        let amount_yen = take(&mut errors, "benefit_amount", amount);
        let reviewed = optional(&self.last_reviewed, read_calendar_date);
        let last_reviewed_on = take(&mut errors, "last_reviewed", reviewed);
        let window = self.window(&mut errors);
        let eligibility = match self.builder.document(places) {
            Ok(document) => document,
            Err(row_errors) => {
                errors.extend(row_errors);
                kosodate_registry::default_eligibility()
            }
        };
        let input = ProgramInput {
            owner: self.owner.clone(),
            name: self.name.clone(),
            short_name: given(&self.short_name),
            categories: Category::VARIANTS
                .iter()
                .copied()
                .filter(|category| self.categories.iter().any(|id| id == category.id()))
                .collect(),
            summary: self.summary.clone(),
            description: given(&self.description),
            eligibility_summary: given(&self.eligibility_summary),
            eligibility,
            benefit: Benefit {
                description: given(&self.benefit_description),
                amount_yen,
            },
            application_window: window,
            application_methods: self.methods(),
            documents: self
                .documents
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
            contact: Contact {
                section: given(&self.contact_section),
                phone: given(&self.contact_phone),
                email: given(&self.contact_email),
                url: given(&self.contact_url),
            },
            source_url: given(&self.source_url),
            last_reviewed_on,
            program_type: given(&self.program_type),
            review_cycle_months: self.review_cycle_months.trim().parse().ok(),
            license: given(&self.license),
        };
        (input, errors)
    }

    fn window(&self, errors: &mut FieldMessages) -> ApplicationWindow {
        match self.window_kind.as_str() {
            "fixed" => ApplicationWindow::Fixed {
                from: take(
                    errors,
                    "window_from",
                    optional(&self.window_from, read_calendar_date),
                ),
                to: take(errors, "window_to", optional(&self.window_to, read_calendar_date)),
            },
            "relative" => {
                let event = LifeEvent::VARIANTS
                    .iter()
                    .copied()
                    .find(|event| event.id() == self.window_event)
                    .unwrap_or(LifeEvent::Birth);
                // A missing or unreadable number of days is 0, which validation refuses at the
                // field with the API's own message.
                let within_days = wording::read_days(&self.window_days).unwrap_or(0);
                ApplicationWindow::Relative { event, within_days }
            }
            _ => ApplicationWindow::Always,
        }
    }

    fn methods(&self) -> Vec<ApplicationMethod> {
        METHODS
            .iter()
            .zip(&self.methods)
            .filter(|(_, fields)| fields.chosen)
            .map(|(kind, fields)| ApplicationMethod {
                kind: *kind,
                url: given(&fields.url),
                note: given(&fields.note),
            })
            .collect()
    }
}

/// The builder for a stored rule document: its rows, or the rule kept as it is.
pub fn builder_of(document: &serde_json::Value, places: &Places<'_>) -> Builder {
    let original = document.to_string();
    let Some(rule) = stored_rule(document) else {
        return Builder {
            original,
            ..Builder::default()
        };
    };
    match Builder::of_rule(&rule, places) {
        Some(builder) => Builder { original, ..builder },
        None => Builder {
            mode: RuleMode::Keep,
            original,
            ..Builder::default()
        },
    }
}

/// The value read, or `None` with the message recorded at the field.
fn take<T>(errors: &mut FieldMessages, field: &str, result: Result<Option<T>, Message>) -> Option<T> {
    result.unwrap_or_else(|message| {
        errors.insert(field.to_owned(), message);
        None
    })
}

fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn optional<T>(text: &str, read: impl Fn(&str) -> Result<T, Message>) -> Result<Option<T>, Message> {
    match text.trim() {
        "" => Ok(None),
        text => read(text).map(Some),
    }
}

fn read_calendar_date(text: &str) -> Result<CalendarDate, Message> {
    let date = japan::read_date(text).map_err(|error| error.message_ja())?;
    CalendarDate::try_from(date).map_err(|error| error.message_ja().to_owned())
}

/// The control a validation error is about, from its JSON pointer; `methods` is the input's
/// list of methods, which the pointers index.
pub fn field_of(error: &FieldError, methods: &[ApplicationMethod]) -> String {
    let parts: Vec<&str> = error.pointer.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["benefit", "amount_yen", ..] => "benefit_amount".to_owned(),
        ["benefit", ..] => "benefit_description".to_owned(),
        ["application_window", "from"] => "window_from".to_owned(),
        ["application_window", "to"] => "window_to".to_owned(),
        ["application_window", "within_days"] => "window_days".to_owned(),
        ["application_window", "event"] => "window_event".to_owned(),
        ["application_window", ..] => "window_kind".to_owned(),
        ["application_methods", index, rest @ ..] => {
            let kind = index
                .parse::<usize>()
                .ok()
                .and_then(|index| methods.get(index))
                .map_or("counter", |method| method.kind.id());
            match rest {
                ["url"] => format!("method_{kind}_url"),
                ["note"] => format!("method_{kind}_note"),
                _ => format!("method_{kind}"),
            }
        }
        ["contact", part, ..] => format!("contact_{part}"),
        ["eligibility", ..] => "rule".to_owned(),
        ["last_reviewed_on", ..] => "last_reviewed".to_owned(),
        ["documents", ..] => "documents".to_owned(),
        [first, ..] if !first.is_empty() => (*first).to_owned(),
        _ => "name".to_owned(),
    }
}

/// Every message for the form: what it could not read first, then what validation refused.
pub fn messages(form_errors: FieldMessages, input: &ProgramInput, invalid: &[FieldError]) -> FieldMessages {
    let mut messages = form_errors;
    for error in invalid {
        let field = field_of(error, &input.application_methods);
        messages.entry(field).or_insert_with(|| error.detail.clone());
    }
    messages
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pages::staff::form_fields::posted;

    fn places() -> Places<'static> {
        Places {
            code_of: &|_| None,
            name_of: &|_| None,
        }
    }

    #[test]
    fn a_form_in_everyday_wording_becomes_the_apis_input() {
        let form = ProgramForm::from_fields(&posted(&[
            ("owner", "022021"),
            ("name", "一時預かり事業"),
            ("category", "childcare_education"),
            ("category", "infant"),
            (
                "summary",
                "保護者の用事や休息のときに、お子さんを一時的に預かります。",
            ),
            ("benefit_amount", "１日２千円"),
            ("window_kind", "fixed"),
            ("window_from", "令和8年4月1日"),
            ("window_to", "2027/3/31"),
            ("method_counter", "on"),
            ("method_online", "on"),
            ("method_online_url", "https://example.jp/apply"),
            ("documents", "申請書\n\n母子健康手帳 \n"),
            ("contact_phone", "０１７２－４０－７０３８"),
            ("c0_kind", "age"),
            ("c0_from", "6か月"),
            ("c0_from_op", "gte"),
            ("c1_kind", "stage"),
            ("c1_value", "就学前"),
        ]));
        let (input, errors) = form.to_input(&places());
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["benefit_amount"],
            "{errors:?}"
        );
        assert_eq!(input.categories, [Category::Infant, Category::ChildcareEducation]);
        assert_eq!(
            input.application_window,
            ApplicationWindow::Fixed {
                from: Some(CalendarDate::parse("2026-04-01").expect("date")),
                to: Some(CalendarDate::parse("2027-03-31").expect("date")),
            }
        );
        assert_eq!(input.documents, ["申請書", "母子健康手帳"]);
        assert_eq!(input.application_methods.len(), 2);
        assert_eq!(
            input.eligibility,
            json!({"version": 1, "rule": {"some_child": {"all": [{"age": {"unit": "months", "gte": 6}}, {"school_stage": "preschool"}]}}})
        );
        let content = input.validate().expect("valid");
        assert_eq!(content.contact.phone.as_deref(), Some("0172-40-7038"));
    }

    #[test]
    fn a_stored_program_comes_back_as_the_same_input() {
        let input: ProgramInput = serde_json::from_value(json!({
            "owner": "022021",
            "name": "出生祝い金",
            "short_name": "祝い金",
            "categories": ["allowance", "pregnancy_birth"],
            "summary": "お子さんの誕生を祝って支給します。",
            "description": "第3子以降に支給します。",
            "eligibility_summary": "第3子以降のお子さんを養育する方",
            "eligibility": {"version": 1, "rule": {"some_child": {"birth_order": {"gte": 3}}}},
            "benefit": {"description": "一人につき", "amount_yen": 50000},
            "application_window": {"kind": "relative", "event": "birth", "within_days": 90},
            "application_methods": [{"kind": "counter", "note": "市民課"}, {"kind": "mail"}],
            "documents": ["申請書", "通帳の写し"],
            "contact": {"section": "子育て支援課", "phone": "0172-40-7038", "email": "kosodate@example.jp", "url": "https://example.jp/"},
            "source_url": "https://example.jp/iwai",
            "last_reviewed_on": "2026-04-01"
        }))
        .expect("input");
        let form = ProgramForm::of_input(&input, &places());
        assert_eq!(form.last_reviewed, "令和8年4月1日（2026年4月1日）");
        let (again, errors) = form.to_input(&places());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(again.validate().expect("valid"), input.validate().expect("valid"));
    }

    #[test]
    fn validation_errors_land_at_their_controls() {
        let form = ProgramForm::from_fields(&posted(&[
            ("owner", "022021"),
            ("window_kind", "fixed"),
            ("window_from", "2026-04-01"),
            ("window_to", "2026-03-01"),
            ("method_mail", "on"),
            ("method_online", "on"),
            ("contact_email", "not an address"),
            ("last_reviewed", "令和1年4月1日"),
        ]));
        let (input, form_errors) = form.to_input(&places());
        let invalid = input.validate().expect_err("invalid").0;
        let messages = messages(form_errors, &input, &invalid);
        for field in [
            "name",
            "summary",
            "categories",
            "window_to",
            "method_online_url",
            "contact_email",
            "last_reviewed",
        ] {
            assert!(messages.contains_key(field), "{field}: {messages:?}");
        }
        assert!(
            messages["window_to"].contains("開始日"),
            "{}",
            messages["window_to"]
        );
        assert!(
            messages["last_reviewed"].contains("期間外"),
            "{}",
            messages["last_reviewed"]
        );
    }

    #[test]
    fn a_rule_the_builder_cannot_show_is_kept() {
        let document = json!({"version": 1, "rule": {"count_children": {"gte": 2}}});
        let builder = builder_of(&document, &places());
        assert_eq!(builder.mode, RuleMode::Keep);
        assert_eq!(builder.document(&places()), Ok(document));
    }
}
