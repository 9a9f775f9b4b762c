//! Each partner's rate limit, shared by every server process through the database: the generic
//! cell rate algorithm (GCRA). A partner's row holds its theoretical arrival time; a request is
//! allowed when that time is at most `60 s - interval` ahead of now, and moves it one interval
//! (`60 s / rate`) past the later of itself and now. So a partner may spend its whole minute's
//! rate at once, then one request per interval, and a refused request costs nothing. One
//! conditional UPDATE decides, so two processes never both take the last request.
//!
//! The clock is the database's (as the notifier's send slots), so that servers whose clocks
//! differ share one schedule.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::error::PartnersError;
use crate::model::Partner;
use crate::store::Partners;

const MINUTE_MICROS: i64 = 60_000_000;

/// The database's now in microseconds since the Unix epoch (PostgreSQL: the transaction's start).
fn now_micros(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "CAST(EXTRACT(EPOCH FROM now()) * 1000000 AS BIGINT)",
        _ => "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)",
    }
}

/// Microseconds between two requests at `per_minute`, rounded up so that `per_minute` never fit
/// in less than a minute.
fn interval_micros(per_minute: u32) -> i64 {
    let per_minute = i64::from(per_minute.max(1));
    (MINUTE_MICROS + per_minute - 1) / per_minute
}

/// Whole seconds to wait, at least one: `Retry-After` counts seconds.
fn retry_after(micros: i64) -> Duration {
    let seconds = u64::try_from(micros).unwrap_or(0).div_ceil(1_000_000);
    Duration::from_secs(seconds.max(1))
}

impl Partners {
    /// Counts one request of `partner`, or refuses it with [`PartnersError::RateLimited`] and how
    /// long until one would be allowed.
    pub async fn take_request(&self, partner: &Partner) -> Result<(), PartnersError> {
        let backend = self.db.get_database_backend();
        let (p1, p2, p3, greatest) = match backend {
            DatabaseBackend::Postgres => ("$1", "$2", "$3", "GREATEST"),
            _ => ("?1", "?2", "?3", "MAX"),
        };
        let interval = interval_micros(partner.rate_limit_per_minute);
        let burst = MINUTE_MICROS - interval;
        let now = now_micros(backend);
        let id = partner.id.to_string();
        let txn = kosodate_database::begin_write(&self.db).await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            format!("INSERT INTO partner_rate_limits (partner_id, arrival_micros) VALUES ({p1}, 0) ON CONFLICT (partner_id) DO NOTHING"),
            [id.clone().into()],
        ))
        .await?;
        let allowed = txn
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE partner_rate_limits SET arrival_micros = {greatest}(arrival_micros, {now}) + {p2} \
                     WHERE partner_id = {p1} AND arrival_micros - {now} <= {p3} RETURNING arrival_micros"
                ),
                [id.clone().into(), interval.into(), burst.into()],
            ))
            .await?;
        let refused = match allowed {
            Some(_) => None,
            None => txn
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    format!("SELECT arrival_micros - {now} AS ahead FROM partner_rate_limits WHERE partner_id = {p1}"),
                    [id.into()],
                ))
                .await?
                .map(|row| row.try_get::<i64>("", "ahead"))
                .transpose()?,
        };
        txn.commit().await?;
        match refused {
            None => Ok(()),
            Some(ahead) => Err(PartnersError::RateLimited {
                retry_after: retry_after(ahead - burst),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_never_fits_in_less_than_a_minute() {
        for rate in [1, 3, 7, 600, 59_999, 60_000] {
            assert!(interval_micros(rate) * i64::from(rate) >= MINUTE_MICROS, "{rate}");
        }
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        assert_eq!(retry_after(1), Duration::from_secs(1));
        assert_eq!(retry_after(1_000_001), Duration::from_secs(2));
        assert_eq!(retry_after(-5), Duration::from_secs(1));
    }
}
