//! When a notice may go out: never inside the household's quiet hours (Asia/Tokyo, which has no
//! daylight saving time, so a fixed offset is exact), one digest each morning for households that
//! prefer it, and exponential backoff with jitter between attempts.

use std::time::Duration;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, TimeDelta, Utc};
use kosodate_domain::japan;
use rand::Rng;

/// A daily span in Tokyo time during which nothing is delivered, e.g. 21:00–08:00. `from` may be
/// later than `until` (the span crosses midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub from_minute: u16,
    pub until_minute: u16,
}

impl QuietHours {
    /// Parses "HH:MM" pairs as households store them.
    pub fn parse(from: &str, until: &str) -> Option<Self> {
        let minute = |text: &str| {
            let time = NaiveTime::parse_from_str(text, "%H:%M").ok()?;
            u16::try_from(time.signed_duration_since(NaiveTime::MIN).num_minutes()).ok()
        };
        Some(Self {
            from_minute: minute(from)?,
            until_minute: minute(until)?,
        })
    }

    fn contains(self, minute_of_day: u16) -> bool {
        match self.from_minute.cmp(&self.until_minute) {
            std::cmp::Ordering::Less => (self.from_minute..self.until_minute).contains(&minute_of_day),
            std::cmp::Ordering::Greater => {
                minute_of_day >= self.from_minute || minute_of_day < self.until_minute
            }
            std::cmp::Ordering::Equal => false,
        }
    }
}

fn minute_of_day(at: DateTime<FixedOffset>) -> u16 {
    let since_midnight = at.time().signed_duration_since(NaiveTime::MIN).num_minutes();
    u16::try_from(since_midnight).unwrap_or(0)
}

/// The Tokyo date and the UTC instant of `minute` on that date.
fn at_minute(date: NaiveDate, minute: u16) -> DateTime<Utc> {
    japan::at(date, NaiveTime::MIN + TimeDelta::minutes(i64::from(minute)))
}

/// The first moment at or after `at` outside the quiet hours.
pub fn next_allowed(at: DateTime<Utc>, quiet: Option<QuietHours>) -> DateTime<Utc> {
    let Some(quiet) = quiet else {
        return at;
    };
    let local = japan::local(at);
    if !quiet.contains(minute_of_day(local)) {
        return at;
    }
    let today = local.date_naive();
    let end_today = at_minute(today, quiet.until_minute);
    if end_today > at {
        end_today
    } else {
        at_minute(today + Days::new(1), quiet.until_minute)
    }
}

/// When a digest household's notices planned at `at` go out: the next morning's end of quiet
/// hours (08:00 without quiet hours), and the Tokyo date of that morning, which names the digest.
pub fn digest_slot(at: DateTime<Utc>, quiet: Option<QuietHours>) -> (NaiveDate, DateTime<Utc>) {
    const DEFAULT_MORNING: u16 = 8 * 60;
    let morning = quiet.map_or(DEFAULT_MORNING, |quiet| quiet.until_minute);
    let today = japan::local(at).date_naive();
    let this_morning = at_minute(today, morning);
    if this_morning > at {
        (today, this_morning)
    } else {
        let tomorrow = today + Days::new(1);
        (tomorrow, at_minute(tomorrow, morning))
    }
}

/// Retry timing: exponential from `base`, capped, with jitter so that a provider coming back
/// from an outage is not hit by every retry at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    /// After this many attempts the notice is dead-lettered.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(6 * 3600),
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempt`-th failed attempt (1-based): uniformly between half and all
    /// of `base · 2^(attempt-1)`, capped.
    pub fn backoff(self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1u32 << exponent).min(self.cap);
        let half = full / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis().try_into().unwrap_or(u64::MAX));
        half + Duration::from_millis(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokyo_time(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn default_quiet() -> Option<QuietHours> {
        QuietHours::parse("21:00", "08:00")
    }

    #[test]
    fn nothing_goes_out_at_night_in_tokyo() {
        let quiet = default_quiet();
        let evening = tokyo_time("2026-11-22T20:59:00+09:00");
        assert_eq!(next_allowed(evening, quiet), evening);
        assert_eq!(
            next_allowed(tokyo_time("2026-11-22T21:00:00+09:00"), quiet),
            tokyo_time("2026-11-23T08:00:00+09:00")
        );
        assert_eq!(
            next_allowed(tokyo_time("2026-11-23T03:10:00+09:00"), quiet),
            tokyo_time("2026-11-23T08:00:00+09:00")
        );
        let morning = tokyo_time("2026-11-23T08:00:00+09:00");
        assert_eq!(next_allowed(morning, quiet), morning);
        assert_eq!(next_allowed(evening, None), evening);
    }

    #[test]
    fn quiet_hours_within_one_day_work_too() {
        let quiet = QuietHours::parse("12:00", "13:30");
        assert_eq!(
            next_allowed(tokyo_time("2026-11-22T12:15:00+09:00"), quiet),
            tokyo_time("2026-11-22T13:30:00+09:00")
        );
        assert!(QuietHours::parse("25:00", "08:00").is_none());
    }

    #[test]
    fn a_digest_goes_out_the_next_morning() {
        let quiet = default_quiet();
        let (date, at) = digest_slot(tokyo_time("2026-11-22T10:00:00+09:00"), quiet);
        assert_eq!(date.to_string(), "2026-11-23");
        assert_eq!(at, tokyo_time("2026-11-23T08:00:00+09:00"));
        let (date, at) = digest_slot(tokyo_time("2026-11-23T06:00:00+09:00"), quiet);
        assert_eq!(date.to_string(), "2026-11-23");
        assert_eq!(at, tokyo_time("2026-11-23T08:00:00+09:00"));
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let policy = RetryPolicy {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(100),
            max_attempts: 5,
        };
        for _ in 0..100 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_secs(5) && first <= Duration::from_secs(10));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_secs(20) && third <= Duration::from_secs(40));
            assert!(policy.backoff(30) <= Duration::from_secs(100));
        }
    }
}
