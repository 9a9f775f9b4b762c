//! Dates as people type them into a form: in the era (「令和8年4月1日」, 「R8.4.1」, 「令和元年5月1日」)
//! or the Western calendar (「2026年4月1日」, 「2026/4/1」, 「2026-04-01」, 「20260401」), in
//! full-width digits too. The reverse of [`super::format_date`], so that a date the service
//! wrote can be typed back, with or without its Western date in parentheses.

use chrono::NaiveDate;

use super::ERAS;

/// Why typed text is not a date, for the message at the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateReadError {
    #[error("not a date: write 2026-04-01, 2026年4月1日 or 令和8年4月1日")]
    Malformed,
    #[error("no such day in the calendar")]
    NoSuchDay,
    #[error("the date is not in the era named")]
    OutsideEra,
}

impl DateReadError {
    pub fn message_ja(self) -> &'static str {
        match self {
            Self::Malformed => {
                "日付は「2026-04-01」「2026年4月1日」「令和8年4月1日」のように入力してください"
            }
            Self::NoSuchDay => "その日付はカレンダーにありません",
            Self::OutsideEra => "元号と年が合っていません（例：令和は2019年5月1日から）",
        }
    }
}

/// Reads a typed date. A date written as 「令和8年4月1日（2026年4月1日）」 is read from its first
/// part.
pub fn read_date(text: &str) -> Result<NaiveDate, DateReadError> {
    let text = half_width(text);
    let text = text.split(['(', '（']).next().unwrap_or("").trim();
    let (era, rest) = split_era(text);
    let numbers = numbers_of(&rest)?;
    let [year, month, day] = numbers.as_slice() else {
        return Err(DateReadError::Malformed);
    };
    let Some(era) = era else {
        if *year < 1000 {
            return Err(DateReadError::Malformed);
        }
        return to_date(*year, *month, *day);
    };
    let date = to_date(era.first_year + year - 1, *month, *day)?;
    let within = date >= era.first_day && era.next_first_day.is_none_or(|next| date < next);
    match within {
        true => Ok(date),
        false => Err(DateReadError::OutsideEra),
    }
}

/// An era as a date is read in it: its first Western year, its first day and the next era's.
struct Era {
    first_year: i32,
    first_day: NaiveDate,
    next_first_day: Option<NaiveDate>,
}

fn to_date(year: i32, month: i32, day: i32) -> Result<NaiveDate, DateReadError> {
    let (Ok(month), Ok(day)) = (u32::try_from(month), u32::try_from(day)) else {
        return Err(DateReadError::NoSuchDay);
    };
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateReadError::NoSuchDay)
}

/// The era named at the start (「令和」 or its initial R, H, S, T, M) and the rest of the text, in
/// which 元年 is year 1.
fn split_era(text: &str) -> (Option<Era>, String) {
    let first_day_of = |(year, month, day): (i32, u32, u32)| NaiveDate::from_ymd_opt(year, month, day);
    for (index, (name, first_year, first_day)) in ERAS.iter().enumerate() {
        let initial = initial_of(name);
        let rest = text.strip_prefix(name).or_else(|| {
            text.strip_prefix(initial)
                .or_else(|| text.strip_prefix(initial.to_ascii_lowercase()))
        });
        if let (Some(rest), Some(first_day)) = (rest, first_day_of(*first_day)) {
            let next_first_day = index.checked_sub(1).and_then(|newer| first_day_of(ERAS[newer].2));
            let era = Era {
                first_year: *first_year,
                first_day,
                next_first_day,
            };
            return (
                Some(era),
                rest.trim_start_matches(['.', ' ']).replacen('元', "1", 1),
            );
        }
    }
    (None, text.to_owned())
}

fn initial_of(era: &str) -> char {
    match era {
        "令和" => 'R',
        "平成" => 'H',
        "昭和" => 'S',
        "大正" => 'T',
        _ => 'M',
    }
}

/// The three numbers of a date, separated by 年月日, `-`, `/`, `.` or written as 8 digits.
fn numbers_of(text: &str) -> Result<Vec<i32>, DateReadError> {
    let text = text.trim().trim_end_matches('日');
    if text.len() == 8 && text.bytes().all(|byte| byte.is_ascii_digit()) {
        let part =
            |range: std::ops::Range<usize>| text[range].parse::<i32>().map_err(|_| DateReadError::Malformed);
        return Ok(vec![part(0..4)?, part(4..6)?, part(6..8)?]);
    }
    text.split(['年', '月', '-', '/', '.'])
        .map(str::trim)
        .map(|part| match part.len() {
            1..=4 if part.bytes().all(|byte| byte.is_ascii_digit()) => {
                part.parse::<i32>().map_err(|_| DateReadError::Malformed)
            }
            _ => Err(DateReadError::Malformed),
        })
        .collect()
}

/// Full-width digits, letters and punctuation to ASCII, as typed with a Japanese input method.
pub fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            'ー' | '‐' | '−' | '―' => '-',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn everyday_ways_of_writing_a_date_are_read() {
        for (typed, date) in [
            ("2026-04-01", "2026-04-01"),
            ("2026/4/1", "2026-04-01"),
            ("２０２６／４／１", "2026-04-01"),
            ("20260401", "2026-04-01"),
            ("2026年4月1日", "2026-04-01"),
            ("2026.4.1", "2026-04-01"),
            ("令和8年4月1日", "2026-04-01"),
            ("令和８年４月１日", "2026-04-01"),
            ("R8.4.1", "2026-04-01"),
            ("r8/4/1", "2026-04-01"),
            ("令和元年5月1日", "2019-05-01"),
            ("平成31年4月30日", "2019-04-30"),
            ("H31.4.30", "2019-04-30"),
            ("昭和64年1月7日", "1989-01-07"),
            ("令和8年4月1日（2026年4月1日）", "2026-04-01"),
            (" 2026年 4月 1日 ", "2026-04-01"),
        ] {
            assert_eq!(read_date(typed), Ok(day(date)), "{typed}");
        }
    }

    #[test]
    fn what_is_not_a_date_says_why() {
        assert_eq!(read_date("来年の春"), Err(DateReadError::Malformed));
        assert_eq!(read_date("2026-13-01"), Err(DateReadError::NoSuchDay));
        assert_eq!(read_date("2026-02-30"), Err(DateReadError::NoSuchDay));
        assert_eq!(read_date("26-4-1"), Err(DateReadError::Malformed));
        assert_eq!(read_date("令和1年4月30日"), Err(DateReadError::OutsideEra));
        assert_eq!(read_date("平成31年5月1日"), Err(DateReadError::OutsideEra));
        assert_eq!(read_date(""), Err(DateReadError::Malformed));
    }

    #[test]
    fn every_date_the_service_writes_is_read_back() {
        let mut date = day("1989-01-01");
        while date < day("2031-01-01") {
            assert_eq!(read_date(&super::super::format_date(date)), Ok(date), "{date}");
            date = date + chrono::Days::new(13);
        }
    }
}
