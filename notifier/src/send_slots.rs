//! Each channel's rate limit, held across every worker process through the database. A channel
//! has one row, `channel_send_slots`, whose `next_slot_micros` is the first moment not yet handed
//! out; a worker reserves the slots for the notices it claimed by moving that moment forward in
//! one write, then sends each notice no sooner than its slot. Slots are `1 / rate` apart with no
//! burst: an idle channel's first slot is now, and however many processes reserve, no two get the
//! same slot, so no second holds more than `rate` slot starts.
//!
//! The clock is the database's, so that processes on machines whose clocks differ still share
//! one schedule; a worker only measures how far ahead of the database's now its first slot is.
//! A sent request reaches the provider a little after its slot (waking up, the network): what the
//! provider counts in one second is `rate` plus what that delay lets slip in from the one before.

use std::num::NonZeroU32;
use std::time::Duration;

use kosodate_domain::Vocabulary;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};

use crate::channel::ChannelKind;

/// Send slots reserved for one channel: `count` slots, the first `first_in` after the reservation
/// was made, then one every `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendSlots {
    pub first_in: Duration,
    pub interval: Duration,
    pub count: u32,
}

impl SendSlots {
    /// How long after the reservation slot `index` (from 0) starts.
    pub fn starts_in(&self, index: u32) -> Duration {
        debug_assert!(index < self.count, "slot {index} of {}", self.count);
        self.first_in + self.interval * index
    }
}

/// Microseconds between two slots: rounded up, so that `rate` slots never fit in less than a
/// second.
fn interval_micros(per_second: NonZeroU32) -> i64 {
    i64::from(1_000_000_u32.div_ceil(per_second.get()))
}

/// The database's now, in microseconds since the Unix epoch. PostgreSQL's `now()` is the
/// transaction's start: a reservation that waited for another's row lock measures from before
/// the wait, and so sends later, never sooner. SQLite's `'now'` is one value per statement.
fn now_micros(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "CAST(EXTRACT(EPOCH FROM now()) * 1000000 AS BIGINT)",
        _ => "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)",
    }
}

/// Reserves `count` consecutive send slots for `kind` at `per_second`, after every slot any
/// process reserved before.
pub async fn reserve(
    db: &DatabaseConnection,
    kind: ChannelKind,
    count: u32,
    per_second: NonZeroU32,
) -> Result<SendSlots, DbErr> {
    let backend = db.get_database_backend();
    let (p1, p2, greatest) = match backend {
        DatabaseBackend::Postgres => ("$1", "$2", "GREATEST"),
        _ => ("?1", "?2", "MAX"),
    };
    let interval = interval_micros(per_second);
    let span = interval * i64::from(count);
    let now = now_micros(backend);
    let txn = kosodate_database::begin_write(db).await?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        format!("INSERT INTO channel_send_slots (channel_kind, next_slot_micros) VALUES ({p1}, 0) ON CONFLICT (channel_kind) DO NOTHING"),
        [kind.id().into()],
    ))
    .await?;
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE channel_send_slots SET next_slot_micros = {greatest}(next_slot_micros, {now}) + {p2} \
                 WHERE channel_kind = {p1} RETURNING next_slot_micros, {now} AS now_micros"
            ),
            [kind.id().into(), span.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("channel_send_slots row for {}", kind.id())))?;
    txn.commit().await?;
    let next_slot: i64 = row.try_get("", "next_slot_micros")?;
    let database_now: i64 = row.try_get("", "now_micros")?;
    let first_slot = next_slot - span;
    Ok(SendSlots {
        first_in: Duration::from_micros(u64::try_from(first_slot - database_now).unwrap_or(0)),
        interval: Duration::from_micros(u64::try_from(interval).unwrap_or(0)),
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_never_fits_in_less_than_a_second() {
        for rate in [1, 3, 7, 100, 2_000, 999_999, 1_000_000, 3_000_000] {
            let per_second = NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN);
            assert!(
                interval_micros(per_second) * i64::from(rate) >= 1_000_000,
                "{rate}"
            );
        }
    }

    #[test]
    fn slots_follow_one_another_at_the_interval() {
        let slots = SendSlots {
            first_in: Duration::from_millis(5),
            interval: Duration::from_millis(10),
            count: 3,
        };
        assert_eq!(slots.starts_in(0), Duration::from_millis(5));
        assert_eq!(slots.starts_in(2), Duration::from_millis(25));
    }
}
