//! What a busy database looks like, and trying again when it is.

use std::error::Error;
use std::time::Duration;

use rand::Rng;
use sea_orm::sqlx::postgres::PgDatabaseError;
use sea_orm::sqlx::sqlite::SqliteError;
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};

/// What a request refused for a busy database tells its client to wait, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// How often a background write is tried before its error is returned.
const ATTEMPTS: u32 = 8;
const FIRST_PAUSE: Duration = Duration::from_millis(250);
const LONGEST_PAUSE: Duration = Duration::from_secs(10);

/// Whether `error`, or any error that caused it, says the database was too busy to take the
/// work now (SQLite's lock held by another writer, a PostgreSQL serialization failure or
/// deadlock, no connection free in time): the same work may succeed if tried again later.
pub fn is_busy(error: &(dyn Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(cause) = current {
        if let Some(database) = cause.downcast_ref::<DbErr>()
            && database_error_is_busy(database)
        {
            return true;
        }
        current = cause.source();
    }
    false
}

fn database_error_is_busy(error: &DbErr) -> bool {
    match error {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => true,
        DbErr::Conn(runtime) | DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime_error_is_busy(runtime),
        _ => false,
    }
}

fn runtime_error_is_busy(error: &RuntimeErr) -> bool {
    let RuntimeErr::SqlxError(sqlx) = error else {
        return false;
    };
    match sqlx.as_ref() {
        sea_orm::sqlx::Error::PoolTimedOut => true,
        sea_orm::sqlx::Error::Database(database) => {
            if let Some(sqlite) = database.try_downcast_ref::<SqliteError>() {
                // The primary result code is the low byte of the extended one: SQLITE_BUSY (5)
                // and SQLITE_LOCKED (6) with all their variants.
                let code: i64 = sea_orm::sqlx::error::DatabaseError::code(sqlite)
                    .and_then(|code| code.parse().ok())
                    .unwrap_or_default();
                return matches!(code & 0xff, 5 | 6);
            }
            if let Some(postgres) = database.try_downcast_ref::<PgDatabaseError>() {
                // serialization_failure, deadlock_detected, lock_not_available
                return matches!(postgres.code(), "40001" | "40P01" | "55P03");
            }
            false
        }
        _ => false,
    }
}

/// Runs `operation` until it succeeds, fails for another reason than a busy database, or has
/// been tried [`ATTEMPTS`] times, pausing longer each time (with jitter, so that processes that
/// collided do not collide again). For background writes, which have nobody to tell "try again
/// later" and must not lose their work to a long import.
pub async fn retry_while_busy<T, E, F, Fut>(what: &str, mut operation: F) -> Result<T, E>
where
    E: Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut pause = FIRST_PAUSE;
    let mut attempt = 1;
    loop {
        match operation().await {
            Err(error) if attempt < ATTEMPTS && is_busy(&error) => {
                tracing::info!(what, attempt, "database busy; trying again");
                let jitter = rand::rng().random_range(0..=pause.as_millis() as u64 / 2);
                tokio::time::sleep(pause + Duration::from_millis(jitter)).await;
                pause = (pause * 2).min(LONGEST_PAUSE);
                attempt += 1;
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("saving failed")]
    struct Saving(#[source] DbErr);

    fn busy() -> Saving {
        Saving(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
    }

    #[test]
    fn busy_is_found_anywhere_in_the_chain() {
        assert!(is_busy(&busy()));
        assert!(!is_busy(&Saving(DbErr::Custom("constraint".into()))));
    }

    #[tokio::test(start_paused = true)]
    async fn background_writes_try_again_while_busy_and_stop_on_other_errors() {
        let calls = AtomicU32::new(0);
        let result = retry_while_busy("a write", || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(busy()),
                _ => Ok("written"),
            }
        })
        .await;
        assert_eq!(result.ok(), Some("written"));
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        let other = AtomicU32::new(0);
        let result: Result<(), Saving> = retry_while_busy("a write", || async {
            other.fetch_add(1, Ordering::SeqCst);
            Err(Saving(DbErr::Custom("constraint".into())))
        })
        .await;
        assert!(result.is_err());
        assert_eq!(other.load(Ordering::SeqCst), 1, "other errors are not retried");

        let always = AtomicU32::new(0);
        let result: Result<(), Saving> = retry_while_busy("a write", || async {
            always.fetch_add(1, Ordering::SeqCst);
            Err(busy())
        })
        .await;
        assert!(result.is_err(), "a write that stays busy gives up in the end");
        assert_eq!(always.load(Ordering::SeqCst), ATTEMPTS);
    }
}
