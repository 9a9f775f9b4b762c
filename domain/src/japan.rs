//! Japan's calendar: every deadline, 年度 and quiet hour is in Japan Standard Time, which has had
//! no daylight saving time since 1951, so a fixed UTC+9 offset is exact. The one place that
//! converts between instants and Japanese dates; reading the clock is left to the caller, so
//! that this crate stays free of it.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

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

#[cfg(test)]
mod tests {
    use super::*;

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
