//! Reading the cells staff write: times, dates, day lists with their hours (「月-金 9:00-17:00」),
//! how an event repeats (「毎週火・木」「第2火曜」「最終土曜」「毎月20日」), lists (「授乳室、おむつ替え」),
//! yes/no and numbers. Each reader says in Japanese what it could not read.

use kosodate_domain::japan::{half_width, read_date};
use serde_json::{Value, json};

use crate::model::ClockTime;
use crate::vocabulary::Weekday;

/// What a reader could not read: the message for people, and for logs.
pub(crate) type Unread = (String, String);

fn unread(detail: impl Into<String>, detail_en: impl Into<String>) -> Unread {
    (detail.into(), detail_en.into())
}

const WEEKDAYS: [(char, Weekday); 7] = [
    ('月', Weekday::Mon),
    ('火', Weekday::Tue),
    ('水', Weekday::Wed),
    ('木', Weekday::Thu),
    ('金', Weekday::Fri),
    ('土', Weekday::Sat),
    ('日', Weekday::Sun),
];

fn weekday(c: char) -> Option<Weekday> {
    WEEKDAYS.iter().find(|(name, _)| *name == c).map(|(_, day)| *day)
}

pub(crate) fn time(text: &str) -> Result<String, Unread> {
    ClockTime::parse(text).map(|time| time.to_string()).map_err(|_| {
        unread(
            format!("時刻「{text}」を読めません（例: 9:30）"),
            format!("invalid time {text:?}"),
        )
    })
}

pub(crate) fn date(text: &str) -> Result<String, Unread> {
    read_date(text)
        .map(|date| date.format("%Y-%m-%d").to_string())
        .map_err(|error| unread(error.message_ja(), format!("invalid date {text:?}")))
}

/// Dates separated by 、 , ; or line breaks.
pub(crate) fn dates(text: &str) -> Result<Vec<String>, Unread> {
    split_list(text).map(|part| date(&part)).collect()
}

pub(crate) fn split_list(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(['、', ',', '，', ';', '；', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
}

pub(crate) fn number(text: &str) -> Result<Value, Unread> {
    let written = half_width(text.trim()).replace([',', '円', '人', '組'], "");
    written
        .parse::<i64>()
        .map(Value::from)
        .or_else(|_| written.parse::<f64>().map(Value::from))
        .map_err(|_| {
            unread(
                format!("数値「{text}」を読めません"),
                format!("not a number {text:?}"),
            )
        })
}

pub(crate) fn yes(text: &str) -> Result<bool, Unread> {
    match half_width(text.trim()).to_lowercase().as_str() {
        "" | "×" | "いいえ" | "no" | "false" | "0" | "-" => Ok(false),
        "○" | "〇" | "◯" | "はい" | "yes" | "true" | "1" | "対象" => Ok(true),
        _ => Err(unread(
            format!("「{text}」を読めません（○ か空欄にしてください）"),
            format!("not yes or no {text:?}"),
        )),
    }
}

/// 「月-金」「月〜金」「月水金」「月・水」: the weekdays named, in order.
fn weekday_set(text: &str) -> Option<Vec<Weekday>> {
    let text = text.replace("曜日", "").replace('曜', "");
    let chars: Vec<char> = text
        .chars()
        .filter(|c| !matches!(c, '・' | ' ' | '　' | '/'))
        .collect();
    if let [from, '-' | '〜' | '～' | '~' | 'ー', to] = chars.as_slice() {
        let (from, to) = (weekday(*from)?, weekday(*to)?);
        let all: Vec<Weekday> = WEEKDAYS.iter().map(|(_, day)| *day).collect();
        return Some(all.into_iter().filter(|day| (from..=to).contains(day)).collect());
    }
    let days: Option<Vec<Weekday>> = chars.iter().map(|c| weekday(*c)).collect();
    days.filter(|days| !days.is_empty())
}

/// 「月-金 9:00-17:00、土 9:00-12:00」: each weekday with its hours.
pub(crate) fn opening_hours(text: &str) -> Result<Vec<Value>, Unread> {
    let mut days = Vec::new();
    for part in split_list(text) {
        let part = half_width(&part).replace(['〜', '～', '~'], "-");
        let wrong = || {
            unread(
                format!("「{part}」を読めません（例: 月-金 9:00-17:00、土 9:00-12:00）"),
                format!("invalid opening hours {part:?}"),
            )
        };
        let (weekdays, hours) = part.split_once([' ', '　']).ok_or_else(wrong)?;
        let weekdays = weekday_set(weekdays).ok_or_else(wrong)?;
        let (open, close) = hours.trim().split_once('-').ok_or_else(wrong)?;
        let (open, close) = (time(open)?, time(close)?);
        days.extend(
            weekdays
                .into_iter()
                .map(|weekday| json!({"weekday": weekday, "open": open, "close": close})),
        );
    }
    Ok(days)
}

/// How an event repeats, as the schedule's `rule`.
pub(crate) fn recurrence(text: &str) -> Result<Value, Unread> {
    let written = half_width(text.trim()).replace(['　', ' '], "");
    let wrong = || {
        unread(
            format!("くり返し「{text}」を読めません（例: 毎週火、隔週水、第2火曜、最終土曜、毎月20日）"),
            format!("invalid recurrence {text:?}"),
        )
    };
    if let Some(day) = written
        .strip_prefix("毎月")
        .and_then(|rest| rest.strip_suffix('日'))
    {
        let day: u8 = day.parse().map_err(|_| wrong())?;
        return Ok(json!({"every": "monthly_day", "day": day}));
    }
    let (nth, rest) = if let Some(rest) = written.strip_prefix("最終") {
        (-1, rest)
    } else if let Some(rest) = written.strip_prefix('第') {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (digits.parse::<i8>().map_err(|_| wrong())?, &rest[digits.len()..])
    } else if let Some(rest) = written.strip_prefix("隔週") {
        let weekdays = weekday_set(rest).ok_or_else(wrong)?;
        return Ok(json!({"every": "weekly", "weekdays": weekdays, "interval_weeks": 2}));
    } else {
        let rest = written.strip_prefix("毎週").unwrap_or(&written);
        let weekdays = weekday_set(rest).ok_or_else(wrong)?;
        return Ok(json!({"every": "weekly", "weekdays": weekdays}));
    };
    match weekday_set(rest).as_deref() {
        Some([weekday]) => Ok(json!({"every": "monthly_weekday", "nth": nth, "weekday": weekday})),
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_recurrences_as_staff_write_them() {
        let days = opening_hours("月-金 9:00-17:00、土曜 ９：００〜１２：００").unwrap();
        assert_eq!(days.len(), 6);
        assert_eq!(
            days[5],
            json!({"weekday": "sat", "open": "09:00", "close": "12:00"})
        );
        assert!(opening_hours("平日 9:00-17:00").is_err());
        assert_eq!(
            recurrence("毎週火・木").unwrap(),
            json!({"every": "weekly", "weekdays": ["tue", "thu"]})
        );
        assert_eq!(
            recurrence("隔週 水曜").unwrap(),
            json!({"every": "weekly", "weekdays": ["wed"], "interval_weeks": 2})
        );
        assert_eq!(
            recurrence("第２火曜日").unwrap(),
            json!({"every": "monthly_weekday", "nth": 2, "weekday": "tue"})
        );
        assert_eq!(
            recurrence("最終土曜").unwrap(),
            json!({"every": "monthly_weekday", "nth": -1, "weekday": "sat"})
        );
        assert_eq!(
            recurrence("毎月20日").unwrap(),
            json!({"every": "monthly_day", "day": 20})
        );
        assert!(recurrence("隔週").is_err());
        assert_eq!(
            dates("2026/12/29、令和9年1月1日").unwrap(),
            ["2026-12-29", "2027-01-01"]
        );
        assert_eq!(number("1,500円").unwrap(), json!(1500));
        assert!(yes("○").unwrap() && !yes("").unwrap());
    }
}
