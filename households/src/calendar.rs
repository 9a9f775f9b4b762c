//! A household's personal calendar feed: a secret URL a parent gives to Google Calendar or iOS,
//! which fetch it without signing in. The secret (32 random bytes, base64url) is shown to the
//! parent once; only its SHA-256 is stored, so a copy of the database cannot open a feed. A
//! household has at most one feed: making a new one revokes the old URL. The feed shows what
//! matching derives, so it goes with a withdrawn consent to matching, and with the household.

use std::fmt;

use base64::Engine;
use chrono::{DateTime, Utc};
use kosodate_database::begin_write;
use kosodate_domain::Vocabulary;
use kosodate_domain::digest::sha256_hex;
use rand::RngCore;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::entity::{calendar_feed, consent};
use crate::error::HouseholdError;
use crate::ids::HouseholdId;
use crate::purposes::ConsentPurpose;
use crate::store::Households;

/// The secret part of a feed's URL. Its `Debug` hides it: it opens the feed to whoever has it.
#[derive(Clone, PartialEq, Eq)]
pub struct CalendarSecret(String);

impl CalendarSecret {
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CalendarSecret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("CalendarSecret(…)")
    }
}

impl Households {
    /// A new feed for the household, replacing its previous one (whose URL stops working at
    /// once). `None` without an active consent to matching: the feed would have nothing to show.
    pub async fn replace_calendar_feed(
        &self,
        id: HouseholdId,
    ) -> Result<Option<CalendarSecret>, HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        if !consents_to_matching(&txn, id).await? {
            return Ok(None);
        }
        forget_calendar_feed(&txn, id).await?;
        let secret = CalendarSecret::generate();
        calendar_feed::Entity::insert(calendar_feed::ActiveModel {
            household_id: Set(id.to_string()),
            secret_sha256: Set(sha256_hex(secret.as_str())),
            created_at: Set(Utc::now()),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(Some(secret))
    }

    /// Revokes the household's feed; `false` when it had none.
    pub async fn revoke_calendar_feed(&self, id: HouseholdId) -> Result<bool, HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        let revoked = forget_calendar_feed(&txn, id).await?;
        txn.commit().await?;
        Ok(revoked)
    }

    /// When the household's current feed was made, if it has one.
    pub async fn calendar_feed_made(&self, id: HouseholdId) -> Result<Option<DateTime<Utc>>, HouseholdError> {
        let row = calendar_feed::Entity::find_by_id(id.to_string())
            .one(self.connection())
            .await?;
        Ok(row.map(|row| row.created_at))
    }

    /// The household whose feed `secret` opens, if any.
    pub async fn household_of_calendar_feed(
        &self,
        secret: &str,
    ) -> Result<Option<HouseholdId>, HouseholdError> {
        let row = calendar_feed::Entity::find()
            .filter(calendar_feed::Column::SecretSha256.eq(sha256_hex(secret)))
            .one(self.connection())
            .await?;
        row.map(|row| {
            HouseholdId::parse(&row.household_id)
                .map_err(|error| HouseholdError::corrupt("calendar feed", error))
        })
        .transpose()
    }
}

async fn consents_to_matching(db: &impl ConnectionTrait, id: HouseholdId) -> Result<bool, HouseholdError> {
    let active = consent::Entity::find()
        .filter(consent::Column::HouseholdId.eq(id.to_string()))
        .filter(consent::Column::Purpose.eq(ConsentPurpose::Matching.id()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .count(db)
        .await?;
    Ok(active > 0)
}

/// Deletes the household's feed, in the caller's transaction (a withdrawal of consent to
/// matching); `true` when there was one.
pub(crate) async fn forget_calendar_feed(
    db: &impl ConnectionTrait,
    id: HouseholdId,
) -> Result<bool, HouseholdError> {
    let result = calendar_feed::Entity::delete_many()
        .filter(calendar_feed::Column::HouseholdId.eq(id.to_string()))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
