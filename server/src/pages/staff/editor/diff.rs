//! Two versions of a program compared field by field, in the words of the form: Japanese labels
//! and values (「随時」, 「30,000円」, the rule's plain sentence), never JSON. The history page
//! compares any two versions; a conflicting save compares what the clerk typed with what a
//! colleague saved.

use kosodate_domain::{CalendarDate, Vocabulary, japan};
use kosodate_matcher::MunicipalityNames;
use kosodate_registry::{ApplicationWindow, ProgramInput};

use super::builder::stored_rule;
use crate::pages::staff::versions::{DiffRow, differences};

/// Every field of a program in words, in the form's order.
fn described(input: &ProgramInput, names: &MunicipalityNames<'_>) -> Vec<(&'static str, String)> {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let date = |value: Option<CalendarDate>| {
        value
            .map(|date| japan::format_date(date.date()))
            .unwrap_or_default()
    };
    vec![
        ("制度名", input.name.clone()),
        ("略称", text(&input.short_name)),
        (
            "分類",
            input
                .categories
                .iter()
                .map(|category| category.label_ja())
                .collect::<Vec<_>>()
                .join("・"),
        ),
        ("概要", input.summary.clone()),
        ("詳しい説明", text(&input.description)),
        ("対象者（文章）", text(&input.eligibility_summary)),
        ("対象条件", rule_words(&input.eligibility, names)),
        ("給付の内容", text(&input.benefit.description)),
        ("給付額", input.benefit.amount_yen.map(yen).unwrap_or_default()),
        ("申請期間", window_words(&input.application_window)),
        (
            "申請方法",
            input
                .application_methods
                .iter()
                .map(|method| {
                    let extra: Vec<&str> = [&method.url, &method.note]
                        .into_iter()
                        .flatten()
                        .map(String::as_str)
                        .collect();
                    match extra.is_empty() {
                        true => method.kind.label_ja().to_owned(),
                        false => format!("{}（{}）", method.kind.label_ja(), extra.join("、")),
                    }
                })
                .collect::<Vec<_>>()
                .join("、"),
        ),
        ("必要書類", input.documents.join("、")),
        ("担当課", text(&input.contact.section)),
        ("電話番号", text(&input.contact.phone)),
        ("メールアドレス", text(&input.contact.email)),
        ("問い合わせURL", text(&input.contact.url)),
        ("根拠・出典のURL", text(&input.source_url)),
        (
            "ライセンス",
            input
                .license
                .clone()
                .unwrap_or_else(|| kosodate_registry::DEFAULT_LICENSE.to_owned()),
        ),
        ("最終確認日", date(input.last_reviewed_on)),
    ]
}

/// The fields that differ between `before` and `after`.
pub fn diff(before: &ProgramInput, after: &ProgramInput, names: &MunicipalityNames<'_>) -> Vec<DiffRow> {
    differences(described(before, names), described(after, names))
}

/// A rule document in the words parents read.
pub fn rule_words(document: &serde_json::Value, names: &MunicipalityNames<'_>) -> String {
    match stored_rule(document) {
        Some(rule) => rule.plain_japanese_naming(names).sentences().join(" "),
        None => "文章のみ（条件の指定なし）".to_owned(),
    }
}

fn yen(amount: u64) -> String {
    format!("{}円", kosodate_planner::group_thousands(amount))
}

fn window_words(window: &ApplicationWindow) -> String {
    let date = |value: &Option<CalendarDate>| value.map(|date| japan::format_date(date.date()));
    match window {
        ApplicationWindow::Always => "随時".to_owned(),
        ApplicationWindow::Fixed { from, to } => format!(
            "{}〜{}",
            date(from).unwrap_or_default(),
            date(to).unwrap_or_default()
        ),
        ApplicationWindow::Relative { event, within_days } => {
            format!("{}から{within_days}日以内", event.label_ja())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn differences_are_said_in_words() {
        let before: ProgramInput = serde_json::from_value(json!({
            "owner": "022021", "name": "出生祝い金", "categories": ["allowance"],
            "summary": "祝い金です。", "benefit": {"amount_yen": 30000},
            "application_window": {"kind": "always"}
        }))
        .expect("input");
        let mut after = before.clone();
        after.benefit.amount_yen = Some(1_250_000);
        after.application_window = ApplicationWindow::Relative {
            event: kosodate_registry::LifeEvent::Birth,
            within_days: 90,
        };
        after.eligibility = json!({"version": 1, "rule": {"some_child": {"birth_order": {"gte": 3}}}});
        let rows = diff(&before, &after, &|_| None);
        let labels: Vec<_> = rows.iter().map(|row| row.label).collect();
        assert_eq!(labels, ["対象条件", "給付額", "申請期間"]);
        assert_eq!(rows[1].before, "30,000円");
        assert_eq!(rows[1].after, "1,250,000円");
        assert_eq!(rows[2].before, "随時");
        assert_eq!(rows[2].after, "出生から90日以内");
        assert!(rows[0].after.contains("第3子"), "{}", rows[0].after);
    }
}
