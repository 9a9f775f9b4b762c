//! Japan's calendar: every deadline, 年度 and quiet hour is in Japan Standard Time, which has had
//! no daylight saving time since 1951, so a fixed UTC+9 offset is exact. The one place that
//! converts between instants and Japanese dates; reading the clock is left to the caller, so
//! that this crate stays free of it. It also writes dates the way Japanese offices do: in the
//! era (和暦) with the Western year beside it, and reads them back as people type them (`read`).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

mod read;

pub use read::{half_width, read_date};

/// UTC+09:00.
pub const JST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("+09:00 is a valid offset"),
};

/// The instant as Japanese local time.
pub fn local(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    instant.with_timezone(&JST)
}

/// The date in Japan at `instant`: `date_of(Utc::now())` is today.
pub fn date_of(instant: DateTime<Utc>) -> NaiveDate {
    local(instant).date_naive()
}

/// The instant a Japanese date begins (00:00 JST).
pub fn start_of(date: NaiveDate) -> DateTime<Utc> {
    at(date, NaiveTime::MIN)
}

/// The instant of a Japanese date and local time.
pub fn at(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    JST.from_local_datetime(&date.and_time(time))
        .single()
        .map_or_else(
            || date.and_time(time).and_utc(),
            |local| local.with_timezone(&Utc),
        )
}

/// The eras since the Gregorian calendar was adopted, newest first: name, the Western year of
/// its first year, and the first Gregorian day written in it (明治 began under the lunar
/// calendar, in 1868; Japan counts Gregorian days from 1 January 明治6年).
const ERAS: [(&str, i32, (i32, u32, u32)); 5] = [
    ("令和", 2019, (2019, 5, 1)),
    ("平成", 1989, (1989, 1, 8)),
    ("昭和", 1926, (1926, 12, 25)),
    ("大正", 1912, (1912, 7, 30)),
    ("明治", 1868, (1873, 1, 1)),
];

/// A date as offices write it, in the era with the Western date beside it:
/// 「令和8年4月1日（2026年4月1日）」. The first year of an era is 元年 (「令和元年5月1日」); a date
/// before 1873 (the lunar calendar) is written in the Western calendar only.
pub fn format_date(date: NaiveDate) -> String {
    let western = format_western(date);
    let era = ERAS.iter().find(|(_, _, (year, month, day))| {
        NaiveDate::from_ymd_opt(*year, *month, *day).is_some_and(|first_day| date >= first_day)
    });
    let Some((name, first_year, _)) = era else {
        return western;
    };
    let year_of_era = match date.year() - first_year + 1 {
        1 => "元".to_owned(),
        year => year.to_string(),
    };
    format!(
        "{name}{year_of_era}年{}月{}日（{western}）",
        date.month(),
        date.day()
    )
}

/// Why a date as people write it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateTextError {
    #[error("invalid date {0:?}: write 2024-10-01, 2024年10月1日 or 令和6年10月1日")]
    Malformed(String),
    #[error("{0:?} is not a day of the calendar")]
    NoSuchDay(String),
    #[error("{text:?} is outside the era: {era} runs from {first} to {last}")]
    OutsideEra {
        text: String,
        era: &'static str,
        first: NaiveDate,
        last: String,
    },
}

impl DateTextError {
    /// The message shown to people, in Japanese.
    pub fn message_ja(&self) -> String {
        match self {
            Self::Malformed(text) => format!(
                "日付「{text}」を読み取れません。2024-10-01・2024年10月1日・令和6年10月1日 のように入力してください"
            ),
            Self::NoSuchDay(text) => format!("「{text}」という日はありません"),
            Self::OutsideEra {
                text,
                era,
                first,
                last,
            } => format!(
                "「{text}」は{era}の期間外です（{era}は{}から{last}まで）",
                format_western(*first)
            ),
        }
    }
}

/// Reads a date as staff write it: `2024-10-01`, `2024/10/1`, `2024年10月1日`, or in an era
/// since 明治6年 (`令和6年10月1日`, `令和元年5月1日`, `平成31年4月30日`), with full-width digits
/// too. A date in an era must lie within it: 平成31年5月1日 is refused, for that day is 令和元年.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateTextError> {
    let trimmed = text.trim();
    let normalised: String = trimmed
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c),
            '－' | '／' => '-',
            '/' => '-',
            _ => c,
        })
        .collect();
    let malformed = || DateTextError::Malformed(trimmed.to_owned());
    let era = ERAS
        .iter()
        .enumerate()
        .find(|(_, (name, _, _))| normalised.starts_with(name));
    let (year_text, rest, era) = match era {
        Some((index, era)) => {
            let after = &normalised[era.0.len()..];
            let (year, rest) = after.split_once('年').ok_or_else(malformed)?;
            (year, rest, Some((index, era)))
        }
        None => match normalised.split_once('年') {
            Some((year, rest)) => (year, rest, None),
            None => {
                let mut parts = normalised.splitn(2, '-');
                let year = parts.next().unwrap_or_default();
                (year, parts.next().ok_or_else(malformed)?, None)
            }
        },
    };
    let (month, day) =
        month_and_day(rest, era.is_some() || normalised.contains('年')).ok_or_else(malformed)?;
    let year_number: i32 = match (era, year_text) {
        (Some(_), "元") => 1,
        _ if year_text.is_empty()
            || !year_text.bytes().all(|b| b.is_ascii_digit())
            || year_text.len() > 4 =>
        {
            return Err(malformed());
        }
        _ => year_text.parse().map_err(|_| malformed())?,
    };
    let Some((index, (name, first_year, _))) = era else {
        return NaiveDate::from_ymd_opt(year_number, month, day)
            .ok_or_else(|| DateTextError::NoSuchDay(trimmed.to_owned()));
    };
    if year_number < 1 {
        return Err(malformed());
    }
    let date = NaiveDate::from_ymd_opt(first_year + year_number - 1, month, day)
        .ok_or_else(|| DateTextError::NoSuchDay(trimmed.to_owned()))?;
    let (first, next) = era_span(index);
    if date < first || next.is_some_and(|next| date >= next) {
        return Err(DateTextError::OutsideEra {
            text: trimmed.to_owned(),
            era: name,
            first,
            last: next
                .and_then(|next| next.pred_opt())
                .map_or_else(|| "現在".to_owned(), format_western),
        });
    }
    Ok(date)
}

/// `10月1日` after a 年, or `10-01` after a `-`.
fn month_and_day(rest: &str, japanese: bool) -> Option<(u32, u32)> {
    let number = |text: &str| {
        (!text.is_empty() && text.len() <= 2 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    if japanese {
        let (month, rest) = rest.split_once('月')?;
        let day = rest.strip_suffix('日')?;
        return Some((number(month)?, number(day)?));
    }
    let (month, day) = rest.split_once('-')?;
    Some((number(month)?, number(day)?))
}

/// The first Gregorian day of the era at `index` in [`ERAS`] and the first day of the next one.
fn era_span(index: usize) -> (NaiveDate, Option<NaiveDate>) {
    let day = |(year, month, day): (i32, u32, u32)| NaiveDate::from_ymd_opt(year, month, day);
    let first = day(ERAS[index].2).unwrap_or(NaiveDate::MIN);
    let next = index.checked_sub(1).and_then(|newer| day(ERAS[newer].2));
    (first, next)
}

fn format_western(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// The Monday of the week `day` is in: weeks run Monday to Sunday in Japan's calendars (the
/// weekly events notice, every other week, the evidence's weeks).
pub fn week_starting(day: NaiveDate) -> NaiveDate {
    day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
}

/// A date as a notice or a list says it, with its weekday: 「2027年1月31日（日）」.
pub fn format_date_with_weekday(date: NaiveDate) -> String {
    const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
    let weekday = WEEKDAYS[date.weekday().num_days_from_monday() as usize];
    format!("{}年{}月{}日（{weekday}）", date.year(), date.month(), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn a_week_starts_on_monday() {
        assert_eq!(week_starting(day("2026-12-07")), day("2026-12-07"));
        assert_eq!(week_starting(day("2026-12-13")), day("2026-12-07"));
        assert_eq!(week_starting(day("2026-12-05")), day("2026-11-30"));
    }

    #[test]
    fn dates_are_written_in_the_era_and_the_western_calendar() {
        for (date, written) in [
            ("2026-04-01", "令和8年4月1日（2026年4月1日）"),
            ("2019-04-30", "平成31年4月30日（2019年4月30日）"),
            ("2019-05-01", "令和元年5月1日（2019年5月1日）"),
            ("2019-12-31", "令和元年12月31日（2019年12月31日）"),
            ("2020-01-01", "令和2年1月1日（2020年1月1日）"),
            ("1989-01-07", "昭和64年1月7日（1989年1月7日）"),
            ("1989-01-08", "平成元年1月8日（1989年1月8日）"),
            ("1990-01-01", "平成2年1月1日（1990年1月1日）"),
            ("1926-12-25", "昭和元年12月25日（1926年12月25日）"),
            ("1926-12-24", "大正15年12月24日（1926年12月24日）"),
            ("1912-07-30", "大正元年7月30日（1912年7月30日）"),
            ("1912-07-29", "明治45年7月29日（1912年7月29日）"),
            ("1900-01-01", "明治33年1月1日（1900年1月1日）"),
            ("1873-01-01", "明治6年1月1日（1873年1月1日）"),
            ("1872-12-31", "1872年12月31日"),
        ] {
            assert_eq!(format_date(day(date)), written, "{date}");
        }
    }

    #[test]
    fn dates_are_read_in_the_era_or_the_western_calendar() {
        for (text, date) in [
            ("2024-10-01", "2024-10-01"),
            ("2024/10/1", "2024-10-01"),
            ("2024年10月1日", "2024-10-01"),
            ("令和6年10月1日", "2024-10-01"),
            ("令和６年１０月１日", "2024-10-01"),
            (" 令和元年5月1日 ", "2019-05-01"),
            ("令和1年5月1日", "2019-05-01"),
            ("平成31年4月30日", "2019-04-30"),
            ("平成元年1月8日", "1989-01-08"),
            ("昭和64年1月7日", "1989-01-07"),
            ("昭和元年12月25日", "1926-12-25"),
            ("大正元年7月30日", "1912-07-30"),
            ("明治45年7月29日", "1912-07-29"),
            ("明治6年1月1日", "1873-01-01"),
            ("令和8年2月28日", "2026-02-28"),
            ("令和10年2月29日", "2028-02-29"),
        ] {
            assert_eq!(parse_date(text), Ok(day(date)), "{text}");
        }
    }

    #[test]
    fn a_date_outside_its_era_or_the_calendar_is_refused() {
        for text in [
            "平成31年5月1日",
            "令和元年4月30日",
            "昭和64年1月8日",
            "平成元年1月7日",
            "大正15年12月25日",
            "明治5年12月31日",
        ] {
            assert!(
                matches!(parse_date(text), Err(DateTextError::OutsideEra { .. })),
                "{text}: {:?}",
                parse_date(text)
            );
        }
        assert_eq!(
            parse_date("平成31年5月1日").unwrap_err().message_ja(),
            "「平成31年5月1日」は平成の期間外です（平成は1989年1月8日から2019年4月30日まで）"
        );
        for text in ["令和7年2月29日", "2025-02-29", "2024-13-01"] {
            assert!(
                matches!(parse_date(text), Err(DateTextError::NoSuchDay(_))),
                "{text}"
            );
        }
        for text in [
            "",
            "令和",
            "令和年1月1日",
            "令和0年5月1日",
            "2024-10",
            "2024年10月1",
            "10月1日",
            "R6.10.1",
            "2024-10-01x",
        ] {
            assert!(
                matches!(parse_date(text), Err(DateTextError::Malformed(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn a_formatted_date_reads_back() {
        let mut on = day("1873-01-01");
        while on < day("2040-01-01") {
            let written = format_date(on);
            let era_part = written.split('（').next().unwrap_or_default();
            assert_eq!(parse_date(era_part), Ok(on), "{written}");
            on = on + chrono::Days::new(97);
        }
    }

    fn instant(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc))
            .expect("instant")
    }

    #[test]
    fn the_japanese_date_turns_at_15_00_utc() {
        assert_eq!(date_of(instant("2026-03-31T14:59:59Z")).to_string(), "2026-03-31");
        assert_eq!(date_of(instant("2026-03-31T15:00:00Z")).to_string(), "2026-04-01");
    }

    #[test]
    fn a_japanese_day_starts_at_midnight_jst() {
        let day = NaiveDate::from_ymd_opt(2026, 4, 1).expect("date");
        assert_eq!(start_of(day), instant("2026-03-31T15:00:00Z"));
        assert_eq!(date_of(start_of(day)), day);
    }
}
