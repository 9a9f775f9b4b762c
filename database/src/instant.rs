//! The precision instants are kept at.

use chrono::{DateTime, SubsecRound, Utc};

/// An instant as both databases keep it (microseconds; the clock gives nanoseconds), so that
/// what is written and answered reads back equal, and a cursor or feed position made from a
/// read row finds that row again.
pub fn stored_instant(instant: DateTime<Utc>) -> DateTime<Utc> {
    instant.trunc_subsecs(6)
}
