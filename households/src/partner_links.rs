//! Partner apps as a notice channel (issue 19): a parent links a partner app to the household
//! through an OAuth 2.0 authorization-code grant with PKCE (RFC 6749 §4.1, RFC 7636) in which
//! the app is the client. The link is the consent to that app for that purpose, recorded with
//! the version of the text the parent read; it makes a contact channel of kind `partner_app`
//! whose address is the link's subject, a random pseudonymous id of this household at this app
//! only. Unlinking, by the parent or by the app revoking its link token, ends the link, switches
//! the channel off for good and cancels what waits for it in one transaction.
//!
//! This crate knows a partner only by its id: that the partner exists, may deliver notices and
//! sent the parent back to one of its own redirect URIs is the caller's check.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use kosodate_database::begin_write;
use kosodate_domain::Vocabulary;
use kosodate_domain::digest::sha256_hex;
use kosodate_notifier::ChannelKind;
use kosodate_notifier::outbox::{self, Scope};
use kosodate_notifier::{NoticeStatus, PartnerAppLink};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::consent_texts;
use crate::entity::{contact_channel, partner_authorization_code as code, partner_link};
use crate::error::HouseholdError;
use crate::ids::HouseholdId;
use crate::match_store;
use crate::store::Households;

/// The one purpose a link serves: the scope a partner asks for.
pub const LINK_PURPOSE: &str = "notices:deliver";
/// The `disabled_reason` of a partner app's channel whose link ended: it never comes back on.
pub(crate) const UNLINKED: &str = "unlinked";
/// How long an authorization code may wait for its exchange (RFC 6749 §4.1.2: ten minutes at most).
pub const CODE_LIFETIME: TimeDelta = TimeDelta::minutes(10);

/// What the authorization page asks to link, after the caller checked the partner, its redirect
/// URI and the request's form.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    pub partner_id: Uuid,
    pub redirect_uri: url::Url,
    /// The PKCE S256 challenge (RFC 7636 §4.2): base64url of a SHA-256, 43 characters.
    pub code_challenge: String,
}

/// A live link as its household sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PartnerLinkRecord {
    pub id: String,
    pub partner_id: Uuid,
    pub purpose: String,
    pub consent_text_version: i32,
    pub linked_at: DateTime<Utc>,
    pub unlinked_at: Option<DateTime<Utc>>,
    /// `parent` or `partner`.
    pub unlinked_by: Option<String>,
}

/// What a partner learns from a code exchange: the household's subject at this app and the link
/// token to revoke the link with. No household data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkGrant {
    pub subject: String,
    pub link_token: String,
}

/// Why a code exchange was refused (RFC 6749 §5.2 `invalid_grant`). One message for all, so a
/// guesser learns nothing; the variant is for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GrantRefused {
    #[error("authorization code unknown, expired or another client's")]
    UnknownCode,
    #[error("authorization code already used")]
    Reused,
    #[error("redirect uri differs from the authorization request's")]
    RedirectUri,
    #[error("code verifier does not match the challenge")]
    Verifier,
    #[error("the link ended")]
    Unlinked,
}

impl Households {
    /// Records the parent's consent to link the partner (or keeps the live link), and issues a
    /// one-time authorization code for it. Returns the code.
    pub async fn link_partner(
        &self,
        household: HouseholdId,
        request: &LinkRequest,
        now: DateTime<Utc>,
    ) -> Result<String, HouseholdError> {
        let version = consent_texts::partner_app()
            .map(|text| text.version)
            .ok_or_else(|| HouseholdError::Corrupt("no partner app consent text".into()))?;
        let txn = begin_write(self.connection()).await?;
        let live = live_link(&txn, household, request.partner_id).await?;
        let link_id = match live {
            Some(link) => link.id,
            None => new_link(&txn, household, request.partner_id, version, now).await?,
        };
        let code = random_secret();
        code::ActiveModel {
            code_hash: Set(sha256_hex(&code)),
            link_id: Set(link_id),
            partner_id: Set(request.partner_id.to_string()),
            redirect_uri: Set(request.redirect_uri.to_string()),
            code_challenge: Set(request.code_challenge.clone()),
            expires_at: Set(now + CODE_LIFETIME),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        match_store::release_waiting(&txn, household).await?;
        txn.commit().await?;
        Ok(code)
    }

    /// Exchanges an authorization code (RFC 6749 §4.1.3) for the link's subject and a new link
    /// token: once, by the partner it was issued to, with the same redirect URI and the PKCE
    /// verifier of its challenge.
    pub async fn exchange_partner_code(
        &self,
        partner_id: Uuid,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<LinkGrant, GrantRefused>, HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        let Some(row) = code::Entity::find_by_id(sha256_hex(code)).one(&txn).await? else {
            return Ok(Err(GrantRefused::UnknownCode));
        };
        if row.partner_id != partner_id.to_string() || row.expires_at <= now {
            return Ok(Err(GrantRefused::UnknownCode));
        }
        let used = code::Entity::update_many()
            .col_expr(code::Column::UsedAt, Expr::value(now))
            .filter(code::Column::CodeHash.eq(row.code_hash.as_str()))
            .filter(code::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if used.rows_affected == 0 {
            return Ok(Err(GrantRefused::Reused));
        }
        if row.redirect_uri != redirect_uri {
            txn.commit().await?;
            return Ok(Err(GrantRefused::RedirectUri));
        }
        if !pkce_matches(code_verifier, &row.code_challenge) {
            txn.commit().await?;
            return Ok(Err(GrantRefused::Verifier));
        }
        let Some(link) = partner_link::Entity::find_by_id(row.link_id.as_str())
            .filter(partner_link::Column::UnlinkedAt.is_null())
            .one(&txn)
            .await?
        else {
            return Ok(Err(GrantRefused::Unlinked));
        };
        let link_token = random_secret();
        partner_link::Entity::update_many()
            .col_expr(
                partner_link::Column::TokenHash,
                Expr::value(sha256_hex(&link_token)),
            )
            .filter(partner_link::Column::Id.eq(link.id.as_str()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(Ok(LinkGrant {
            subject: link.subject,
            link_token,
        }))
    }

    /// The household's live links, oldest first.
    pub async fn partner_links(
        &self,
        household: HouseholdId,
    ) -> Result<Vec<PartnerLinkRecord>, HouseholdError> {
        let links = self.partner_link_history(household).await?;
        Ok(links
            .into_iter()
            .filter(|link| link.unlinked_at.is_none())
            .collect())
    }

    /// Every link the household made, ended ones too: its consent record for partner apps.
    pub async fn partner_link_history(
        &self,
        household: HouseholdId,
    ) -> Result<Vec<PartnerLinkRecord>, HouseholdError> {
        partner_link::Entity::find()
            .filter(partner_link::Column::HouseholdId.eq(household.to_string()))
            .order_by_asc(partner_link::Column::LinkedAt)
            .order_by_asc(partner_link::Column::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(link_record)
            .collect()
    }

    /// The parent unlinks an app. Returns false when the link was not live.
    pub async fn unlink_partner(
        &self,
        household: HouseholdId,
        link_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        let found = partner_link::Entity::find_by_id(link_id)
            .filter(partner_link::Column::HouseholdId.eq(household.to_string()))
            .filter(partner_link::Column::UnlinkedAt.is_null())
            .one(&txn)
            .await?;
        let ended = match found {
            Some(link) => end_link(&txn, &link.id, "parent", now).await?,
            None => false,
        };
        txn.commit().await?;
        Ok(ended)
    }

    /// The partner revokes its link token (RFC 7009): the link ends. A token that is unknown or
    /// another partner's changes nothing, and says so only by returning false.
    pub async fn unlink_by_partner_token(
        &self,
        partner_id: Uuid,
        link_token: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        let found = partner_link::Entity::find()
            .filter(partner_link::Column::TokenHash.eq(sha256_hex(link_token)))
            .filter(partner_link::Column::PartnerId.eq(partner_id.to_string()))
            .filter(partner_link::Column::UnlinkedAt.is_null())
            .one(&txn)
            .await?;
        let ended = match found {
            Some(link) => end_link(&txn, &link.id, "partner", now).await?,
            None => false,
        };
        txn.commit().await?;
        Ok(ended)
    }
}

async fn live_link(
    db: &impl ConnectionTrait,
    household: HouseholdId,
    partner_id: Uuid,
) -> Result<Option<partner_link::Model>, HouseholdError> {
    Ok(partner_link::Entity::find()
        .filter(partner_link::Column::HouseholdId.eq(household.to_string()))
        .filter(partner_link::Column::PartnerId.eq(partner_id.to_string()))
        .filter(partner_link::Column::UnlinkedAt.is_null())
        .one(db)
        .await?)
}

/// A new link and its channel, opted in: linking on the consent page is the parent asking for
/// notices there.
async fn new_link(
    db: &impl ConnectionTrait,
    household: HouseholdId,
    partner_id: Uuid,
    version: i32,
    now: DateTime<Utc>,
) -> Result<String, HouseholdError> {
    let id = Uuid::now_v7().to_string();
    let subject = format!("hh_{}", random_secret());
    partner_link::ActiveModel {
        id: Set(id.clone()),
        household_id: Set(household.to_string()),
        partner_id: Set(partner_id.to_string()),
        subject: Set(subject.clone()),
        purpose: Set(LINK_PURPOSE.to_owned()),
        consent_text_version: Set(version),
        token_hash: Set(None),
        linked_at: Set(now),
        unlinked_at: Set(None),
        unlinked_by: Set(None),
    }
    .insert(db)
    .await?;
    contact_channel::ActiveModel {
        id: Set(id.clone()),
        household_id: Set(household.to_string()),
        kind: Set(ChannelKind::PartnerApp.id().to_owned()),
        address: Set(subject),
        keys: Set(Some(serde_json::json!({ "partner_id": partner_id }))),
        opted_in: Set(true),
        verified_at: Set(Some(now)),
        verification_hash: Set(None),
        verification_expires_at: Set(None),
        disabled_reason: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Ends a link on `db`: the consent record stays with when and by whom it ended; the channel
/// goes, with what waits for it.
async fn end_link(
    db: &impl ConnectionTrait,
    link_id: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, HouseholdError> {
    let ended = partner_link::Entity::update_many()
        .col_expr(partner_link::Column::UnlinkedAt, Expr::value(now))
        .col_expr(partner_link::Column::UnlinkedBy, Expr::value(by))
        .col_expr(
            partner_link::Column::TokenHash,
            Expr::value(Option::<String>::None),
        )
        .filter(partner_link::Column::Id.eq(link_id))
        .filter(partner_link::Column::UnlinkedAt.is_null())
        .exec(db)
        .await?;
    if ended.rows_affected == 0 {
        return Ok(false);
    }
    code::Entity::delete_many()
        .filter(code::Column::LinkId.eq(link_id))
        .exec(db)
        .await?;
    // Switched off rather than deleted: its notices, cancelled here, stay in the household's
    // record (deleting the channel would take them along).
    contact_channel::Entity::update_many()
        .col_expr(contact_channel::Column::OptedIn, Expr::value(false))
        .col_expr(contact_channel::Column::DisabledReason, Expr::value(UNLINKED))
        .filter(contact_channel::Column::Id.eq(link_id))
        .exec(db)
        .await?;
    if let Ok(channel) = Uuid::parse_str(link_id) {
        outbox::stop_pending(db, Scope::Channel(channel), NoticeStatus::Cancelled).await?;
    }
    Ok(true)
}

/// The channel address of a partner app link, from its contact channel row.
pub(crate) fn link_address(row: &contact_channel::Model) -> Result<PartnerAppLink, HouseholdError> {
    let partner_id = row
        .keys
        .as_ref()
        .and_then(|keys| keys.get("partner_id"))
        .and_then(|id| id.as_str())
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| HouseholdError::Corrupt(format!("channel {}: partner id", row.id)))?;
    Ok(PartnerAppLink {
        partner_id,
        subject: row.address.clone(),
    })
}

/// RFC 7636 §4.6: `BASE64URL(SHA256(verifier)) == challenge`, for a verifier of 43 to 128
/// unreserved characters.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte));
    well_formed && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// Whether `challenge` can be an S256 challenge: 43 base64url characters.
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

fn link_record(row: partner_link::Model) -> Result<PartnerLinkRecord, HouseholdError> {
    Ok(PartnerLinkRecord {
        partner_id: Uuid::parse_str(&row.partner_id)
            .map_err(|error| HouseholdError::corrupt("link's partner id", error))?,
        id: row.id,
        purpose: row.purpose,
        consent_text_version: row.consent_text_version,
        linked_at: row.linked_at,
        unlinked_at: row.unlinked_at,
        unlinked_by: row.unlinked_by,
    })
}

/// 32 random bytes as base64url: an authorization code, a link token, a subject.
fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_is_the_base64url_sha256_of_the_verifier() {
        // Computed apart from this code (Python's hashlib and base64).
        let verifier = "kosodate-pkce-verifier-0123456789-abcdefghijk";
        let challenge = "2vRrA77J8g-2dbc79jgPGV7buhmXBi46124DQYZaJSk";
        assert!(is_s256_challenge(challenge));
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(
            "kosodate-pkce-verifier-0123456789-abcdefghijl",
            challenge
        ));
        assert!(!pkce_matches("short", challenge));
        assert!(!is_s256_challenge("plain-challenge"));
    }
}
