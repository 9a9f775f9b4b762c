//! Who searched, as far as evidence needs: one browser's searches of one Japanese day count as
//! one person. The pseudonym is an HMAC of what the server knows of the browser (its visitor
//! cookie, else its address and user agent) under a key that exists for that day only: the key is
//! made on the day's first search, shared by every process through `insights_daily_keys`, and
//! deleted when the day has been rolled up. After that, nobody (not even with the database and
//! the cookie) can tell which pseudonym was whose, or link one day's searches to another's.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use kosodate_database::begin_write;
use kosodate_domain::japan;
use rand::RngCore;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use sha2::Sha256;

use crate::sql;

/// Hex digits kept: 64 bits, so that a day's searchers do not collide in practice.
const PSEUDONYM_HEX: usize = 16;

/// A day and its key.
type DayKey = (NaiveDate, Vec<u8>);

/// The day keys, cached per process for the day they belong to.
#[derive(Debug, Clone, Default)]
pub(crate) struct DailyKeys {
    current: Arc<Mutex<Option<DayKey>>>,
}

impl DailyKeys {
    pub(crate) async fn pseudonym(
        &self,
        db: &DatabaseConnection,
        browser: &str,
        now: DateTime<Utc>,
    ) -> Result<String, DbErr> {
        let day = japan::date_of(now);
        let key = match self.cached(day) {
            Some(key) => key,
            None => {
                let key = key_of_day(db, day).await?;
                *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some((day, key.clone()));
                key
            }
        };
        Ok(pseudonym(&key, browser))
    }

    fn cached(&self, day: NaiveDate) -> Option<Vec<u8>> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|(cached_day, _)| *cached_day == day)
            .map(|(_, key)| key.clone())
    }
}

fn pseudonym(key: &[u8], browser: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(browser.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    hex[..PSEUDONYM_HEX].to_owned()
}

/// The day's key, made by whichever process asks first (in a write transaction, so that on
/// SQLite it takes its turn with the other writers).
async fn key_of_day(db: &DatabaseConnection, day: NaiveDate) -> Result<Vec<u8>, DbErr> {
    if let Some(key) = stored_key(db, day).await? {
        return Ok(key);
    }
    let mut fresh = [0u8; 32];
    rand::rng().fill_bytes(&mut fresh);
    let fresh: String = fresh.iter().map(|byte| format!("{byte:02x}")).collect();
    let transaction = begin_write(db).await?;
    sql::execute(
        &transaction,
        "INSERT INTO insights_daily_keys (day, secret) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
        vec![day.into(), fresh.into()],
    )
    .await?;
    let key = stored_key(&transaction, day).await?;
    transaction.commit().await?;
    key.ok_or_else(|| DbErr::RecordNotFound("the day's pseudonym key".to_owned()))
}

async fn stored_key(db: &impl ConnectionTrait, day: NaiveDate) -> Result<Option<Vec<u8>>, DbErr> {
    let rows = sql::query(
        db,
        "SELECT secret FROM insights_daily_keys WHERE day = $1",
        vec![day.into()],
    )
    .await?;
    match rows.first() {
        Some(row) => Ok(Some(row.try_get::<String>("", "secret")?.into_bytes())),
        None => Ok(None),
    }
}

/// Forgets the keys of every day before `$1`: their pseudonyms can no longer be recomputed.
pub(crate) const FORGET_KEYS_BEFORE: &str = "DELETE FROM insights_daily_keys WHERE day < $1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pseudonym_is_sixteen_hex_digits_and_depends_on_the_key() {
        let today = pseudonym(b"today", "visitor-1");
        assert_eq!(today.len(), PSEUDONYM_HEX);
        assert!(today.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(today, pseudonym(b"today", "visitor-1"));
        assert_ne!(today, pseudonym(b"tomorrow", "visitor-1"));
        assert_ne!(today, pseudonym(b"today", "visitor-2"));
    }
}
