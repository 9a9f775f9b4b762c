//! Where a household receives notices: verified email addresses, its LINE user id, Web Push
//! subscriptions; each with its own opt-in. An email address is used only after its owner
//! followed the link sent to it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use kosodate_database::begin_write;
use kosodate_domain::Vocabulary;
use kosodate_domain::digest::sha256_hex;
use kosodate_domain::{EmailAddress, LineUserId};
use kosodate_notifier::outbox::{self, Scope};
use kosodate_notifier::{Address, NoticeStatus};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use kosodate_notifier::ChannelKind;

use crate::consents::purpose_of_channel;
use crate::entity::{consent, contact_channel};
use crate::error::HouseholdError;
use crate::ids::HouseholdId;
use crate::match_store;
use crate::partner_links::UNLINKED;
use crate::store::Households;

/// How long an email verification link works.
const VERIFICATION_VALIDITY_HOURS: i64 = 48;

/// A Web Push subscription as the browser's `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushSubscription {
    /// The push service's https URL.
    #[schema(value_type = String, format = Iri, pattern = "^https://[^\\s]+$")]
    pub endpoint: url::Url,
    pub keys: PushKeys,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    pub p256dh: String,
    pub auth: String,
}

/// A contact channel as its household sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelRecord {
    pub id: String,
    pub kind: ChannelKind,
    pub address: String,
    pub opted_in: bool,
    pub verified: bool,
    /// Why delivery was switched off (a bounce, a blocked account, an expired subscription).
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A verification link's secret, to be mailed; only its hash is stored.
#[derive(Debug)]
pub struct VerificationToken(pub String);

impl Households {
    pub async fn channels(&self, household: HouseholdId) -> Result<Vec<ChannelRecord>, HouseholdError> {
        let rows = contact_channel::Entity::find()
            .filter(contact_channel::Column::HouseholdId.eq(household.to_string()))
            .order_by_asc(contact_channel::Column::Id)
            .all(self.connection())
            .await?;
        // An ended partner link is no channel any more; its notices stay in the record.
        rows.into_iter()
            .filter(|row| !is_unlinked(row))
            .map(channel_record)
            .collect()
    }

    /// Adds (or re-sends the link for) an email address; it stays unusable until verified.
    pub async fn add_email(
        &self,
        household: HouseholdId,
        address: &EmailAddress,
    ) -> Result<(String, VerificationToken), HouseholdError> {
        let token = VerificationToken(random_token());
        let expires = Utc::now() + Duration::hours(VERIFICATION_VALIDITY_HOURS);
        let mut row = new_channel(household, ChannelKind::Email, address.as_str(), None, None);
        // Both on a new row and on one re-sent: a first link that did not work was a bug.
        let verification_hash = sha256_hex(&token.0);
        row.verification_hash = Set(Some(verification_hash.clone()));
        row.verification_expires_at = Set(Some(expires));
        let id = self
            .upsert_channel(
                row,
                &[
                    (
                        contact_channel::Column::VerificationHash,
                        Expr::value(verification_hash),
                    ),
                    (
                        contact_channel::Column::VerificationExpiresAt,
                        Expr::value(expires),
                    ),
                ],
            )
            .await?;
        Ok((id, token))
    }

    /// Follows a verification link: the address becomes usable and opted in, and what waited
    /// for a deliverable channel is planned again.
    pub async fn verify_email(&self, token: &str) -> Result<HouseholdId, HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        let row = contact_channel::Entity::find()
            .filter(contact_channel::Column::VerificationHash.eq(sha256_hex(token)))
            .filter(contact_channel::Column::VerificationExpiresAt.gt(Utc::now()))
            .one(&txn)
            .await?
            .ok_or(HouseholdError::VerificationFailed)?;
        let household = HouseholdId::parse(&row.household_id)
            .map_err(|error| HouseholdError::corrupt("channel's household id", error))?;
        contact_channel::Entity::update_many()
            .col_expr(contact_channel::Column::VerifiedAt, Expr::value(Utc::now()))
            .col_expr(contact_channel::Column::OptedIn, Expr::value(true))
            .col_expr(
                contact_channel::Column::VerificationHash,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                contact_channel::Column::VerificationExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(contact_channel::Column::Id.eq(row.id.as_str()))
            .exec(&txn)
            .await?;
        match_store::release_waiting(&txn, household).await?;
        txn.commit().await?;
        Ok(household)
    }

    /// Links the household's LINE user id (from LINE Login, or the Official Account's webhook).
    pub async fn add_line(
        &self,
        household: HouseholdId,
        user: &LineUserId,
    ) -> Result<String, HouseholdError> {
        let row = new_channel(
            household,
            ChannelKind::Line,
            user.as_str(),
            None,
            Some(Utc::now()),
        );
        self.upsert_channel(row, &[]).await
    }

    pub async fn add_web_push(
        &self,
        household: HouseholdId,
        subscription: &PushSubscription,
    ) -> Result<String, HouseholdError> {
        let keys = serde_json::to_value(&subscription.keys)
            .map_err(|error| HouseholdError::corrupt("push keys", error))?;
        let row = new_channel(
            household,
            ChannelKind::WebPush,
            subscription.endpoint.as_str(),
            Some(keys.clone()),
            Some(Utc::now()),
        );
        self.upsert_channel(row, &[(contact_channel::Column::Keys, Expr::value(keys))])
            .await
    }

    pub async fn set_channel_opt_in(
        &self,
        household: HouseholdId,
        channel: &str,
        opted_in: bool,
    ) -> Result<(), HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        let mut update = contact_channel::Entity::update_many()
            .col_expr(contact_channel::Column::OptedIn, Expr::value(opted_in))
            .filter(contact_channel::Column::Id.eq(channel))
            .filter(contact_channel::Column::HouseholdId.eq(household.to_string()))
            // An ended partner link only comes back by linking again, with the parent's consent.
            .filter(
                sea_orm::Condition::any()
                    .add(contact_channel::Column::DisabledReason.is_null())
                    .add(contact_channel::Column::DisabledReason.ne(UNLINKED)),
            );
        // Opting in again after a channel was switched off is the parent saying it works again.
        if opted_in {
            update = update.col_expr(
                contact_channel::Column::DisabledReason,
                Expr::value(Option::<String>::None),
            );
        }
        let result = update.exec(&txn).await?;
        found(result.rows_affected, channel)?;
        if !opted_in && let Ok(channel) = uuid::Uuid::parse_str(channel) {
            outbox::stop_pending(&txn, Scope::Channel(channel), NoticeStatus::Cancelled).await?;
        }
        if opted_in {
            match_store::release_waiting(&txn, household).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Removes a channel; a partner app's is its link, which ends with it.
    pub async fn remove_channel(&self, household: HouseholdId, channel: &str) -> Result<(), HouseholdError> {
        let kind = contact_channel::Entity::find_by_id(channel)
            .filter(contact_channel::Column::HouseholdId.eq(household.to_string()))
            .one(self.connection())
            .await?
            .map(|row| row.kind);
        if kind.as_deref() == Some(ChannelKind::PartnerApp.id()) {
            let ended = self.unlink_partner(household, channel, Utc::now()).await?;
            return found(u64::from(ended), channel);
        }
        let result = contact_channel::Entity::delete_many()
            .filter(contact_channel::Column::Id.eq(channel))
            .filter(contact_channel::Column::HouseholdId.eq(household.to_string()))
            .exec(self.connection())
            .await?;
        found(result.rows_affected, channel)
    }

    /// Inserts the channel, or, when the household already has this address, updates `changes`
    /// on it. Returns the channel's id.
    async fn upsert_channel(
        &self,
        row: contact_channel::ActiveModel,
        changes: &[(contact_channel::Column, sea_orm::sea_query::SimpleExpr)],
    ) -> Result<String, HouseholdError> {
        let household = row.household_id.clone().unwrap();
        let kind = row.kind.clone().unwrap();
        let address = row.address.clone().unwrap();
        let mut on_conflict = OnConflict::columns([
            contact_channel::Column::HouseholdId,
            contact_channel::Column::Kind,
            contact_channel::Column::Address,
        ]);
        match changes.is_empty() {
            true => on_conflict.do_nothing(),
            false => on_conflict.values(changes.iter().cloned()),
        };
        let txn = begin_write(self.connection()).await?;
        contact_channel::Entity::insert(row)
            .on_conflict(on_conflict)
            .exec_without_returning(&txn)
            .await?;
        let stored = contact_channel::Entity::find()
            .filter(contact_channel::Column::HouseholdId.eq(household.as_str()))
            .filter(contact_channel::Column::Kind.eq(kind.as_str()))
            .filter(contact_channel::Column::Address.eq(address.as_str()))
            .one(&txn)
            .await?
            .ok_or_else(|| HouseholdError::Corrupt("channel vanished after upsert".into()))?;
        txn.commit().await?;
        Ok(stored.id)
    }
}

/// A change that touched no row named a channel the household does not have.
fn found(rows_affected: u64, channel: &str) -> Result<(), HouseholdError> {
    match rows_affected {
        0 => Err(HouseholdError::ChannelNotFound(channel.to_owned())),
        _ => Ok(()),
    }
}

fn new_channel(
    household: HouseholdId,
    kind: ChannelKind,
    address: &str,
    keys: Option<serde_json::Value>,
    verified_at: Option<DateTime<Utc>>,
) -> contact_channel::ActiveModel {
    contact_channel::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        household_id: Set(household.to_string()),
        kind: Set(kind.id().to_owned()),
        address: Set(address.to_owned()),
        keys: Set(keys),
        // Opting in is the parent's own step, except for an email address, whose verification
        // link is that step.
        opted_in: Set(false),
        verified_at: Set(verified_at),
        verification_hash: Set(None),
        verification_expires_at: Set(None),
        disabled_reason: Set(None),
        created_at: Set(Utc::now()),
    }
}

fn is_unlinked(row: &contact_channel::Model) -> bool {
    row.kind == ChannelKind::PartnerApp.id() && row.disabled_reason.as_deref() == Some(UNLINKED)
}

fn channel_record(row: contact_channel::Model) -> Result<ChannelRecord, HouseholdError> {
    let kind = ChannelKind::parse(&row.kind)
        .ok_or_else(|| HouseholdError::Corrupt(format!("channel {} has kind {}", row.id, row.kind)))?;
    Ok(ChannelRecord {
        id: row.id,
        kind,
        address: row.address,
        opted_in: row.opted_in,
        verified: row.verified_at.is_some(),
        disabled_reason: row.disabled_reason,
        created_at: row.created_at,
    })
}

fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Channels notices may use, per household id: opted in, verified (email), not switched off, and
/// with an active consent to notices through that kind of channel. Read on `db`, the planner's
/// transaction, so that a consent withdrawn later cancels what was planned.
pub async fn deliverable_channels(
    db: &impl ConnectionTrait,
    households: &[String],
) -> Result<HashMap<String, Vec<(Uuid, Address)>>, HouseholdError> {
    let consents: HashSet<(String, String)> = consent::Entity::find()
        .filter(consent::Column::HouseholdId.is_in(households.to_vec()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.household_id, row.purpose))
        .collect();
    let rows = contact_channel::Entity::find()
        .filter(contact_channel::Column::HouseholdId.is_in(households.to_vec()))
        .filter(contact_channel::Column::OptedIn.eq(true))
        .filter(contact_channel::Column::DisabledReason.is_null())
        .order_by_asc(contact_channel::Column::Id)
        .all(db)
        .await?;
    let mut usable: HashMap<String, Vec<(Uuid, Address)>> = HashMap::new();
    for row in rows {
        let Some(kind) = ChannelKind::parse(&row.kind) else {
            continue;
        };
        // A partner app's channel lives only as long as its link, which is its consent.
        let consented = purpose_of_channel(kind)
            .is_none_or(|purpose| consents.contains(&(row.household_id.clone(), purpose.id().to_owned())));
        let verified = kind != ChannelKind::Email || row.verified_at.is_some();
        if !consented || !verified {
            continue;
        }
        let id = Uuid::parse_str(&row.id).map_err(|error| HouseholdError::corrupt("channel id", error))?;
        let address = channel_address(kind, &row)?;
        usable.entry(row.household_id).or_default().push((id, address));
    }
    Ok(usable)
}

fn channel_address(kind: ChannelKind, row: &contact_channel::Model) -> Result<Address, HouseholdError> {
    let corrupt = |what: &str| HouseholdError::Corrupt(format!("channel {}: {what}", row.id));
    Ok(match kind {
        ChannelKind::Email => {
            Address::Email(EmailAddress::parse(&row.address).map_err(|_| corrupt("email"))?)
        }
        ChannelKind::Line => {
            Address::Line(LineUserId::parse(&row.address).map_err(|_| corrupt("line user"))?)
        }
        ChannelKind::WebPush => {
            let keys: PushKeys = row
                .keys
                .clone()
                .and_then(|keys| serde_json::from_value(keys).ok())
                .ok_or_else(|| corrupt("push keys"))?;
            Address::WebPush(kosodate_notifier::PushSubscription {
                endpoint: url::Url::parse(&row.address).map_err(|_| corrupt("push endpoint"))?,
                p256dh: keys.p256dh,
                auth: keys.auth,
            })
        }
        ChannelKind::PartnerApp => Address::PartnerApp(crate::partner_links::link_address(row)?),
    })
}

/// Switches a channel off because its address is gone, and cancels what waits for it, on `db`
/// (the caller's transaction). Returns false when it was off already.
pub async fn switch_off_gone(
    db: &impl ConnectionTrait,
    channel_id: Uuid,
    reason: &str,
) -> Result<bool, HouseholdError> {
    let reason: String = reason.chars().take(64).collect();
    let switched = contact_channel::Entity::update_many()
        .col_expr(contact_channel::Column::OptedIn, Expr::value(false))
        .col_expr(contact_channel::Column::DisabledReason, Expr::value(reason))
        .filter(contact_channel::Column::Id.eq(channel_id.to_string()))
        .filter(contact_channel::Column::DisabledReason.is_null())
        .exec(db)
        .await?
        .rows_affected;
    if switched == 0 {
        return Ok(false);
    }
    outbox::stop_pending(db, Scope::Channel(channel_id), NoticeStatus::Cancelled).await?;
    Ok(true)
}
