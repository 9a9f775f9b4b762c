//! OAuth 2.0 access tokens for the client credentials grant (RFC 6749 §4.4): opaque random
//! strings, kept only as their SHA-256, valid for [`ACCESS_TOKEN_LIFETIME`] with the scopes asked
//! for (never more than the partner was granted), and revocable (RFC 7009).

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::credentials::{looks_like_access_token, new_access_token, token_hash};
use crate::entity::access_token;
use crate::error::PartnersError;
use crate::model::Partner;
use crate::scope::Scopes;
use crate::store::Partners;

pub const ACCESS_TOKEN_LIFETIME: TimeDelta = TimeDelta::hours(1);
/// Expired tokens are deleted a while after they expire, when their partner asks for a new one.
const EXPIRED_KEPT: TimeDelta = TimeDelta::days(1);

/// A token just issued: the only moment its text exists outside the partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: String,
    pub scopes: Scopes,
    pub expires_at: DateTime<Utc>,
}

/// What a valid bearer token lets its holder do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerAccess {
    pub partner: Partner,
    pub scopes: Scopes,
}

impl Partners {
    /// Issues a token to an authenticated partner for `requested` scopes (RFC 6749 §3.3: all it
    /// was granted when it asks for none). Asking for a scope it was not granted is
    /// [`PartnersError::InvalidScope`].
    pub async fn issue_token(
        &self,
        partner: &Partner,
        requested: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, PartnersError> {
        let scopes = match requested.map(Scopes::parse) {
            None => partner.scopes.clone(),
            Some(Err(_)) => return Err(PartnersError::InvalidScope),
            Some(Ok(scopes)) if scopes.is_empty() => partner.scopes.clone(),
            Some(Ok(scopes)) if scopes.is_subset(&partner.scopes) => scopes,
            Some(Ok(_)) => return Err(PartnersError::InvalidScope),
        };
        let access_token = new_access_token();
        let expires_at = now + ACCESS_TOKEN_LIFETIME;
        let txn = kosodate_database::begin_write(&self.db).await?;
        access_token::Entity::delete_many()
            .filter(access_token::Column::PartnerId.eq(partner.id.to_string()))
            .filter(access_token::Column::ExpiresAt.lt(now - EXPIRED_KEPT))
            .exec(&*txn)
            .await?;
        access_token::ActiveModel {
            token_hash: Set(token_hash(&access_token)),
            partner_id: Set(partner.id.to_string()),
            scopes: Set(scopes.to_string()),
            issued_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
        }
        .insert(&*txn)
        .await?;
        txn.commit().await?;
        Ok(IssuedToken {
            access_token,
            scopes,
            expires_at,
        })
    }

    /// What `token` allows at `now`; `None` for a token that is unknown, expired or revoked, or
    /// whose partner is revoked.
    pub async fn access(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PartnerAccess>, PartnersError> {
        if !looks_like_access_token(token) {
            return Ok(None);
        }
        let Some(row) = access_token::Entity::find_by_id(token_hash(token))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if row.revoked_at.is_some() || row.expires_at <= now {
            return Ok(None);
        }
        let partner_id = Uuid::parse_str(&row.partner_id)
            .map_err(|_| PartnersError::Corrupt(format!("token of partner {}", row.partner_id)))?;
        let partner = self.partner(partner_id).await?;
        if partner.is_revoked() {
            return Ok(None);
        }
        let scopes = Scopes::parse(&row.scopes)
            .map_err(|_| PartnersError::Corrupt(format!("token scopes of partner {partner_id}")))?;
        Ok(Some(PartnerAccess { partner, scopes }))
    }

    /// Revokes one of `partner`'s tokens (RFC 7009 §2.1). A token that is unknown, or another
    /// partner's, is left alone without saying so, as §2.2 asks.
    pub async fn revoke_token(
        &self,
        partner: &Partner,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PartnersError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        access_token::Entity::update_many()
            .col_expr(access_token::Column::RevokedAt, Expr::value(now))
            .filter(access_token::Column::TokenHash.eq(token_hash(token)))
            .filter(access_token::Column::PartnerId.eq(partner.id.to_string()))
            .filter(access_token::Column::RevokedAt.is_null())
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}
