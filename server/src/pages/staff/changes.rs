//! A program's fields and values in the words staff read on the import page: Japanese labels, and
//! each value as a sentence rather than JSON (「2026年4月1日から2027年3月31日まで」, 「窓口（市役所
//! 1階）、郵送」). Values are read back into the registry's own types, so what is shown is what
//! the registry will store.

use kosodate_domain::{CalendarDate, Vocabulary, japan};
use kosodate_registry::{
    ApplicationMethod, ApplicationWindow, Benefit, Category, Contact, FieldChange, ProgramStatus,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One changed field as the page shows it.
#[derive(Debug, Clone)]
pub struct ChangeInWords {
    pub label: &'static str,
    pub before: String,
    pub after: String,
}

impl ChangeInWords {
    pub fn of(change: &FieldChange) -> Self {
        Self {
            label: field_label(&change.field),
            before: value_in_words(&change.field, &change.before),
            after: value_in_words(&change.field, &change.after),
        }
    }
}

/// The label of a program field, as the editor and the spreadsheet's headers say it.
pub fn field_label(field: &str) -> &'static str {
    match field {
        "owner" => "実施主体",
        "name" => "制度名",
        "short_name" => "略称",
        "categories" => "分類",
        "summary" => "概要",
        "description" => "詳細",
        "eligibility_summary" => "対象者",
        "eligibility" => "対象条件",
        "benefit" => "給付内容・給付額",
        "application_window" => "申請期間",
        "application_methods" => "申請方法",
        "documents" => "必要書類",
        "contact" => "問い合わせ先",
        "source_url" => "出典URL",
        "license" => "ライセンス",
        "last_reviewed_on" => "最終確認日",
        "status" => "状態",
        _ => "その他の項目",
    }
}

const NOTHING: &str = "（なし）";

/// A stored value in words; JSON only where the registry's type cannot read it (never expected).
pub fn value_in_words(field: &str, value: &Value) -> String {
    if value.is_null() {
        return NOTHING.to_owned();
    }
    let words = match field {
        "categories" => typed::<Vec<Category>>(value).map(|categories| {
            categories
                .iter()
                .map(|category| category.label_ja())
                .collect::<Vec<_>>()
                .join("、")
        }),
        "benefit" => typed::<Benefit>(value).map(|benefit| benefit_in_words(&benefit)),
        "application_window" => typed::<ApplicationWindow>(value).map(|window| window_in_words(&window)),
        "application_methods" => {
            typed::<Vec<ApplicationMethod>>(value).map(|methods| methods_in_words(&methods))
        }
        "documents" => typed::<Vec<String>>(value).map(|items| items.join("、")),
        "contact" => typed::<Contact>(value).map(|contact| contact_in_words(&contact)),
        "last_reviewed_on" => typed::<CalendarDate>(value).map(date_in_words),
        "status" => value
            .as_str()
            .and_then(ProgramStatus::parse)
            .map(|status| status.label_ja().to_owned()),
        _ => value.as_str().map(str::to_owned),
    };
    match words {
        Some(words) if words.is_empty() => NOTHING.to_owned(),
        Some(words) => words,
        None => value.to_string(),
    }
}

fn typed<T: DeserializeOwned>(value: &Value) -> Option<T> {
    serde_json::from_value(value.clone()).ok()
}

fn date_in_words(date: CalendarDate) -> String {
    japan::format_date(date.into())
}

fn benefit_in_words(benefit: &Benefit) -> String {
    let amount = benefit
        .amount_yen
        .map(|yen| format!("{}円", kosodate_planner::group_thousands(yen)));
    [benefit.description.clone(), amount]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("／")
}

fn window_in_words(window: &ApplicationWindow) -> String {
    match window {
        ApplicationWindow::Always => "随時".to_owned(),
        ApplicationWindow::Fixed { from, to } => match (from, to) {
            (Some(from), Some(to)) => format!("{}から{}まで", date_in_words(*from), date_in_words(*to)),
            (Some(from), None) => format!("{}から", date_in_words(*from)),
            (None, Some(to)) => format!("{}まで", date_in_words(*to)),
            (None, None) => "期間指定（日付なし）".to_owned(),
        },
        ApplicationWindow::Relative { event, within_days } => {
            format!("{}から{within_days}日以内", event.label_ja())
        }
    }
}

fn methods_in_words(methods: &[ApplicationMethod]) -> String {
    methods
        .iter()
        .map(|method| {
            let detail: Vec<&str> = [method.note.as_deref(), method.url.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            match detail.is_empty() {
                true => method.kind.label_ja().to_owned(),
                false => format!("{}（{}）", method.kind.label_ja(), detail.join("、")),
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn contact_in_words(contact: &Contact) -> String {
    [
        ("担当課", &contact.section),
        ("電話", &contact.phone),
        ("メール", &contact.email),
        ("URL", &contact.url),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.as_ref().map(|value| format!("{label}: {value}")))
    .collect::<Vec<_>>()
    .join("／")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_read_as_words() {
        assert_eq!(
            value_in_words(
                "application_window",
                &json!({"kind": "fixed", "from": "2026-04-01", "to": null})
            ),
            "令和8年4月1日（2026年4月1日）から"
        );
        assert_eq!(
            value_in_words(
                "benefit",
                &json!({"description": "出産時に支給", "amount_yen": 50000})
            ),
            "出産時に支給／50,000円"
        );
        assert_eq!(
            value_in_words("categories", &json!(["medical", "infant"])),
            "医療、乳幼児"
        );
        assert_eq!(value_in_words("status", &json!("published")), "公開");
        assert_eq!(value_in_words("short_name", &Value::Null), "（なし）");
    }
}
