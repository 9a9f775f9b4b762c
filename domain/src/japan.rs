//! Japan's calendar: every deadline, 年度 and quiet hour is in Japan Standard Time, which has had
//! no daylight saving time since 1951, so a fixed UTC+9 offset is exact. The one place that
//! converts between instants and Japanese dates; reading the clock is left to the caller, so
//! that this crate stays free of it. It also writes dates the way Japanese offices do: in the
//! era (和暦) with the Western year beside it, and reads them back as people type them (`read`).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

mod read;

pub use read::{DateReadError, half_width, read_date};

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
    let western = format!("{}年{}月{}日", date.year(), date.month(), date.day());
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
