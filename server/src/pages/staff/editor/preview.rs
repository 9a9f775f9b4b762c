//! The editor's preview: what the matcher would answer for example children on today's Japanese
//! date (born today, 6 months ago, …, due in 3 months, in 年長, 小1, 中1), and from when to when,
//! with the program page's own wording; and how many consenting households of the program's
//! area the draft rule would reach, shown only from 10 up.

use chrono::{Months, NaiveDate};
use kosodate_domain::{MunicipalityCode, japan};
use kosodate_households::ReportedCount;
use kosodate_matcher::{Area, Birth, Child, Household, PreparedHousehold, ProgramRule, Rule, date};
use kosodate_registry::{ProgramInput, ProgramOwner};

use crate::pages::programs::{verdict, window_text};

/// How far ahead a window's end is looked for: past 高3 for a child born today.
const HORIZON_DAYS: u32 = 23 * 366;

/// Where an example household lives when the program is national or the prefecture's.
const EXAMPLE_MUNICIPALITY: &str = "022012";

/// One example child and the answer for it.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub child: String,
    /// `yes`, `depends`, `later` or `no`, as on the program page.
    pub verdict: &'static str,
    pub headline: String,
    pub windows: Vec<String>,
}

/// The example children: what the clerk reads, and the child.
fn examples(today: NaiveDate) -> Vec<(String, Child)> {
    let months_ago = |months: u32| today.checked_sub_months(Months::new(months)).unwrap_or(today);
    // A child in the middle of the cohort now in `grade` (小1 = 1, 年長 = 0).
    let in_grade = |grade: i32| {
        let cohort = date::fiscal_year(today) - grade - 6;
        NaiveDate::from_ymd_opt(cohort, 10, 1).unwrap_or(today)
    };
    let born = |label: &str, birth: NaiveDate| {
        (
            format!("{label}（{}生まれ）", japan::format_date(birth)),
            Child::born(birth),
        )
    };
    let due = today.checked_add_months(Months::new(3)).unwrap_or(today);
    vec![
        born("今日生まれた子", today),
        born("生後6か月の子", months_ago(6)),
        born("1歳の子", months_ago(12)),
        born("3歳の子", months_ago(36)),
        (
            format!("3か月後に生まれる予定の子（{}予定）", japan::format_date(due)),
            Child::expected(due),
        ),
        born("年長の子", in_grade(0)),
        born("小1の子", in_grade(1)),
        born("中1の子", in_grade(7)),
    ]
}

/// The rule as the matcher would run it for a program of this input's owner and window.
pub fn program_rule(input: &ProgramInput, rule: Rule) -> Option<ProgramRule> {
    let owner = ProgramOwner::parse(&input.owner).ok()?;
    let code = match owner {
        ProgramOwner::National => None,
        ProgramOwner::Local(code) => Some(code),
    };
    Some(ProgramRule {
        area: Area::of_owner(code),
        rule,
        application: kosodate_matching::application(&input.application_window),
    })
}

/// The answer for each example child, living where the program applies.
pub fn preview(rule: &ProgramRule, today: NaiveDate) -> Vec<PreviewRow> {
    let municipality = match rule.area {
        Area::Municipality(code) => code,
        Area::National | Area::Prefecture(_) => {
            MunicipalityCode::parse(EXAMPLE_MUNICIPALITY).expect("Aomori city's code is valid")
        }
    };
    examples(today)
        .into_iter()
        .map(|(label, child)| {
            let mut row = answer(rule, municipality, child.clone(), today, label);
            // A rule about born children says nothing of an expected one: say what follows the
            // birth on the due date, as the program page does.
            if let (Birth::DueDate(due), "no") = (child.birth, row.verdict) {
                let born = answer(rule, municipality, Child::born(due), today, String::new());
                if let Some(first) = born.windows.first() {
                    row.verdict = "after_birth";
                    row.headline = "生まれた後に対象になります（出産予定日に生まれた場合）。".to_owned();
                    row.windows = vec![first.clone()];
                }
            }
            row
        })
        .collect()
}

fn answer(
    rule: &ProgramRule,
    municipality: MunicipalityCode,
    child: Child,
    today: NaiveDate,
    label: String,
) -> PreviewRow {
    let household = Household {
        municipality,
        children: vec![child],
        single_parent: None,
        income_band: None,
    };
    let prepared = PreparedHousehold::new(&household);
    let assessment = rule.assess_with_ends(&prepared, today, HORIZON_DAYS);
    let (verdict, headline) = verdict(assessment.eligibility, assessment.windows.first().copied());
    PreviewRow {
        child: label,
        verdict,
        headline,
        windows: assessment.windows.iter().map(window_text).collect(),
    }
}

/// A count as staff may see it.
pub fn count_text(count: u64) -> String {
    // No household at all gives as much away as a few: it reads as under ten too.
    let reported = match ReportedCount::of(count) {
        ReportedCount::Exactly(0) => ReportedCount::FewerThanTen,
        other => other,
    };
    crate::pages::staff::reported_count(reported, "世帯")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pages::staff::editor::builder::stored_rule;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn six_months_until_school_in_the_preview() {
        let rule = stored_rule(&json!({"version": 1, "rule": {"some_child": {"all": [
            {"age": {"unit": "months", "gte": 6}}, {"school_stage": "preschool"}
        ]}}}))
        .expect("rule");
        let input: ProgramInput = serde_json::from_value(json!({
            "owner": "022021", "name": "一時預かり", "categories": ["childcare_education"],
            "summary": "預かります。", "application_window": {"kind": "always"}
        }))
        .expect("input");
        let rule = program_rule(&input, rule).expect("owner");
        let rows = preview(&rule, day("2026-12-05"));
        let verdicts: Vec<_> = rows.iter().map(|row| row.verdict).collect();
        assert_eq!(
            verdicts,
            ["later", "yes", "yes", "yes", "after_birth", "yes", "no", "no"],
            "{rows:#?}"
        );
        // Born today: from 2027-06-05 until the 31 March before 小1.
        assert!(
            rows[0].windows[0].contains("令和9年6月5日"),
            "{:?}",
            rows[0].windows
        );
        assert!(
            rows[0].windows[0].contains("2033年3月31日"),
            "{:?}",
            rows[0].windows
        );
    }

    #[test]
    fn counts_under_ten_are_not_shown() {
        assert_eq!(count_text(0), "10件未満");
        assert_eq!(count_text(9), "10件未満");
        assert_eq!(count_text(10), "10世帯");
    }
}
