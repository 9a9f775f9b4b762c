//! Who searched, as far as evidence needs: one browser's searches of one week (Monday to Sunday,
//! Japanese dates, the weeks of the term roll-ups) count as one person, so that the weekly
//! "people" of a term are households, not household-days. The pseudonym is an HMAC of what the
//! server knows of the browser (its visitor cookie, else its address and user agent) under a key
//! that exists for that week only: the key is made on the week's first search, shared by every
//! process through `insights_weekly_keys`, and deleted in the transaction that rolls up the
//! complete week's terms and queries, the last roll-up that reads the pseudonyms. After that,
//! nobody (not even with the database and the cookie) can tell which pseudonym was whose, or link
//! one week's searches to another's.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use kosodate_domain::japan;
use sea_orm::{DatabaseConnection, DbErr};

use crate::secret::{self, KeyTable};

/// Hex digits kept: 64 bits, so that a week's searchers do not collide in practice.
const PSEUDONYM_HEX: usize = 16;

/// A week's Monday and its key.
type WeekKey = (NaiveDate, Vec<u8>);

/// The week keys, cached per process for the week they belong to.
#[derive(Debug, Clone, Default)]
pub(crate) struct WeeklyKeys {
    current: Arc<Mutex<Option<WeekKey>>>,
}

impl WeeklyKeys {
    pub(crate) async fn pseudonym(
        &self,
        db: &DatabaseConnection,
        browser: &str,
        now: DateTime<Utc>,
    ) -> Result<String, DbErr> {
        let week = japan::week_starting(japan::date_of(now));
        let key = match self.cached(week) {
            Some(key) => key,
            None => {
                let key = key_of_week(db, week).await?;
                *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some((week, key.clone()));
                key
            }
        };
        Ok(pseudonym(&key, browser))
    }

    fn cached(&self, week: NaiveDate) -> Option<Vec<u8>> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|(cached_week, _)| *cached_week == week)
            .map(|(_, key)| key.clone())
    }
}

fn pseudonym(key: &[u8], browser: &str) -> String {
    let mut digest = hex::encode(secret::mac(key, browser.as_bytes()));
    digest.truncate(PSEUDONYM_HEX);
    digest
}

/// The week's key, made by whichever process asks first.
async fn key_of_week(db: &DatabaseConnection, week: NaiveDate) -> Result<Vec<u8>, DbErr> {
    secret::stored_or_made(db, WEEK_KEYS, week.into()).await
}

const WEEK_KEYS: KeyTable = KeyTable {
    table: "insights_weekly_keys",
    name_column: "week",
};

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
