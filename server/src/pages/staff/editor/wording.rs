//! What a clerk types, read in everyday wording: full-width digits, units written out
//! (「15日」, 「3万円」, 「1歳6か月」), the words offices use (就学前 for 未就学, 「小学1年」 for 小1).
//! Each reader returns the value or the Japanese message shown at the field.

use kosodate_domain::japan::half_width;
use kosodate_matcher::{AgeUnit, SchoolStage};

/// A message for the field, in Japanese.
pub type Message = String;

/// Text with full-width characters made half-width and spaces removed, for reading numbers.
fn compact(text: &str) -> String {
    half_width(text).chars().filter(|c| !c.is_whitespace()).collect()
}

/// A whole number, in full-width digits or with thousands separators (「１，０００」).
pub fn read_number(text: &str) -> Option<u64> {
    let digits: String = compact(text)
        .chars()
        .filter(|c| *c != ',' && *c != '、')
        .collect();
    match !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
        true => digits.parse().ok(),
        false => None,
    }
}

/// An amount of yen: 「30000」, 「30,000円」, 「３万円」, 「1万5千円」, 「1万5000円」.
pub fn read_yen(text: &str) -> Result<u64, Message> {
    let refused = || {
        format!(
            "金額は「30000」「3万円」のように数字で入力してください（入力：{}）",
            text.trim()
        )
    };
    let text = compact(text);
    let text = text.trim_start_matches(['¥', '\\']).trim_end_matches('円');
    let mut total: u64 = 0;
    let mut rest = text;
    for (unit, factor) in [('億', 100_000_000u64), ('万', 10_000), ('千', 1_000)] {
        if let Some((before, after)) = rest.split_once(unit) {
            let count = match before.is_empty() && unit == '千' {
                true => 1,
                false => read_number(before).ok_or_else(refused)?,
            };
            total = count
                .checked_mul(factor)
                .and_then(|part| total.checked_add(part))
                .ok_or_else(refused)?;
            rest = after;
        }
    }
    match rest.is_empty() {
        true if total > 0 => Ok(total),
        _ => read_number(rest)
            .and_then(|ones| total.checked_add(ones))
            .ok_or_else(refused),
    }
}

/// A number of days: 「15」, 「15日」, 「１５日以内」, 「生後14日」.
pub fn read_days(text: &str) -> Result<u32, Message> {
    let compacted = compact(text);
    let days = compacted
        .trim_start_matches("生後")
        .trim_end_matches("以内")
        .trim_end_matches("まで")
        .trim_end_matches('間')
        .trim_end_matches('日');
    read_number(days)
        .and_then(|days| u32::try_from(days).ok())
        .ok_or_else(|| {
            format!(
                "日数は「15」や「15日」のように数字で入力してください（入力：{}）",
                text.trim()
            )
        })
}

/// An age as written on a form: 「3歳」, 「0歳」, 「6か月」 (ヶ月, カ月, ヵ月, か月 alike), 「1歳6か月」,
/// 「生後57日」. Ages with months are counted in months, so that the matcher counts what the
/// clerk wrote.
pub fn read_age(text: &str) -> Result<(AgeUnit, i64), Message> {
    let refused = || {
        format!(
            "年齢は「3歳」「6か月」「1歳6か月」のように入力してください（入力：{}）",
            text.trim()
        )
    };
    let compacted = compact(text)
        .replace(['ヶ', 'ケ', 'カ', 'ヵ', 'ケ'], "か")
        .replace("満", "");
    let compacted = compacted.trim_start_matches("生後");
    if let Some(days) = compacted.strip_suffix('日') {
        return read_number(days)
            .and_then(|days| i64::try_from(days).ok())
            .map(|days| (AgeUnit::Days, days))
            .ok_or_else(refused);
    }
    let (years, months) = match compacted.split_once('歳') {
        Some((years, months)) => (
            Some(years),
            months
                .strip_suffix("か月")
                .or(Some(months).filter(|m| m.is_empty())),
        ),
        None => (None, compacted.strip_suffix("か月")),
    };
    let number = |part: &str| read_number(part).and_then(|n| i64::try_from(n).ok());
    match (years, months) {
        (Some(years), Some("")) => number(years).map(|years| (AgeUnit::Years, years)),
        (Some(years), Some(months)) => number(years)
            .zip(number(months))
            .map(|(years, months)| (AgeUnit::Months, years * 12 + months)),
        (None, Some(months)) => number(months).map(|months| (AgeUnit::Months, months)),
        _ => None,
    }
    .ok_or_else(refused)
}

/// An age as the form shows it again; months stay months (「18か月」), so that reading it back
/// gives the same rule.
pub fn write_age(unit: AgeUnit, value: i64) -> String {
    match unit {
        AgeUnit::Years => format!("{value}歳"),
        AgeUnit::Months => format!("{value}か月"),
        AgeUnit::Days => format!("生後{value}日"),
    }
}

/// A 学年 as offices write it: 「年長」, 「5歳児クラス」, 「小1」, 「小学1年」, 「小学校１年生」, 「中学3年」,
/// 「高校1年」; its grade number (小1 = 1, 年長 = 0), as the rule language counts.
pub fn read_grade(text: &str) -> Result<i64, Message> {
    let compacted = compact(text)
        .replace("小学校", "小学")
        .replace("中学校", "中学")
        .replace("高等学校", "高校");
    kosodate_matcher::grade_number(&compacted).ok_or_else(|| {
        format!(
            "学年は「年長」「小1」「中3」のように入力してください（入力：{}）",
            text.trim()
        )
    })
}

/// A stage of schooling in the words people use: 就学前 and 未就学 alike.
pub fn read_stage(text: &str) -> Option<SchoolStage> {
    let compacted = compact(text);
    let id = match compacted.as_str() {
        "未就学" | "就学前" | "未就学児" | "preschool" => SchoolStage::Preschool,
        "小学生" | "elementary" => SchoolStage::Elementary,
        "中学生" | "junior_high" => SchoolStage::JuniorHigh,
        "高校生" | "高校生年代" | "high_school" => SchoolStage::HighSchool,
        _ => return None,
    };
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_written() {
        for (typed, yen) in [
            ("30000", 30_000),
            ("30,000円", 30_000),
            ("３００００", 30_000),
            ("3万円", 30_000),
            ("１万５千円", 15_000),
            ("1万5000円", 15_000),
            ("¥500", 500),
            ("50万", 500_000),
        ] {
            assert_eq!(read_yen(typed), Ok(yen), "{typed}");
        }
        assert!(read_yen("たくさん").is_err());
        assert!(read_yen("万").is_err());
    }

    #[test]
    fn days_are_read_with_or_without_their_unit() {
        for typed in ["15", "15日", "１５日以内", "15日間"] {
            assert_eq!(read_days(typed), Ok(15), "{typed}");
        }
        assert_eq!(read_days("生後14日"), Ok(14));
        assert!(read_days("二週間").is_err());
    }

    #[test]
    fn ages_are_read_in_years_months_or_days() {
        for (typed, unit, value) in [
            ("3歳", AgeUnit::Years, 3),
            ("0歳", AgeUnit::Years, 0),
            ("満3歳", AgeUnit::Years, 3),
            ("6か月", AgeUnit::Months, 6),
            ("６ヶ月", AgeUnit::Months, 6),
            ("6カ月", AgeUnit::Months, 6),
            ("1歳6か月", AgeUnit::Months, 18),
            ("生後57日", AgeUnit::Days, 57),
        ] {
            assert_eq!(read_age(typed), Ok((unit, value)), "{typed}");
            let (unit, value) = read_age(typed).expect("an age");
            assert_eq!(
                read_age(&write_age(unit, value)),
                Ok((unit, value)),
                "{typed} written back"
            );
        }
        assert!(read_age("三歳").is_err());
        assert!(read_age("3").is_err());
    }

    #[test]
    fn grades_and_stages_are_read_in_office_words() {
        for (typed, grade) in [
            ("年長", 0),
            ("小1", 1),
            ("小学1年", 1),
            ("小学校１年生", 1),
            ("中学3年", 9),
            ("高校1年生", 10),
            ("5歳児クラス", 0),
        ] {
            assert_eq!(read_grade(typed), Ok(grade), "{typed}");
        }
        assert!(read_grade("大学1年").is_err());
        assert_eq!(read_stage("就学前"), Some(SchoolStage::Preschool));
        assert_eq!(read_stage("未就学"), Some(SchoolStage::Preschool));
        assert_eq!(read_stage("大人"), None);
    }
}
