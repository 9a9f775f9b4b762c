//! The partner registry: registering, finding, authenticating, revoking and rotating.

use chrono::{DateTime, Utc};
use kosodate_domain::EmailAddress;
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use url::Url;
use uuid::Uuid;

use crate::credentials::{SecretHash, new_client_id, new_client_secret};
use crate::entity::{access_token, partner};
use crate::error::PartnersError;
use crate::model::{Partner, PartnerInput, SIGNING_ROTATION_OVERLAP, SigningSecrets};
use crate::scope::Scopes;
use crate::standard_webhooks::SigningSecret;

/// The partner registry and its tokens, on the service's database.
#[derive(Debug, Clone)]
pub struct Partners {
    pub(crate) db: DatabaseConnection,
}

/// A new registration: the client secret exists only here, to be shown once.
#[derive(Debug, Clone)]
pub struct Registered {
    pub partner: Partner,
    pub client_secret: String,
}

impl Partners {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Registers a partner with new client credentials and a new signing secret.
    pub async fn register(
        &self,
        input: &PartnerInput,
        now: DateTime<Utc>,
    ) -> Result<Registered, PartnersError> {
        let valid = input.validate()?;
        let client_secret = new_client_secret();
        let hash = SecretHash::of(&client_secret);
        let redirect_uris: Vec<&str> = valid.redirect_uris.iter().map(Url::as_str).collect();
        let row = partner::ActiveModel {
            id: Set(Uuid::now_v7().to_string()),
            name: Set(valid.name),
            contact_email: Set(valid.contact_email.as_str().to_owned()),
            client_id: Set(new_client_id()),
            client_secret_salt: Set(hash.salt),
            client_secret_hash: Set(hash.hash),
            scopes: Set(valid.scopes.to_string()),
            redirect_uris: Set(serde_json::json!(redirect_uris)),
            notice_webhook_url: Set(valid.notice_webhook_url.map(String::from)),
            signing_secret: Set(SigningSecret::generate().expose().to_owned()),
            previous_signing_secret: Set(None),
            previous_signing_secret_until: Set(None),
            rate_limit_per_minute: Set(i32::try_from(valid.rate_limit_per_minute).unwrap_or(i32::MAX)),
            created_at: Set(now),
            revoked_at: Set(None),
        };
        let txn = kosodate_database::begin_write(&self.db).await?;
        let row = row.insert(&*txn).await?;
        txn.commit().await?;
        Ok(Registered {
            partner: partner_from_row(row)?,
            client_secret,
        })
    }

    pub async fn partner(&self, id: Uuid) -> Result<Partner, PartnersError> {
        let row = partner::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
            .ok_or(PartnersError::NotFound(id))?;
        partner_from_row(row)
    }

    /// Every partner, revoked ones too, oldest first.
    pub async fn list(&self) -> Result<Vec<Partner>, PartnersError> {
        partner::Entity::find()
            .order_by_asc(partner::Column::CreatedAt)
            .order_by_asc(partner::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(partner_from_row)
            .collect()
    }

    /// The partner with this public client id, revoked or not.
    pub async fn by_client_id(&self, client_id: &str) -> Result<Option<Partner>, PartnersError> {
        partner::Entity::find()
            .filter(partner::Column::ClientId.eq(client_id))
            .one(&self.db)
            .await?
            .map(partner_from_row)
            .transpose()
    }

    /// The partner whose client id and secret these are, if it is not revoked. Every failure is
    /// the same [`PartnersError::InvalidClient`].
    pub async fn authenticate(&self, client_id: &str, client_secret: &str) -> Result<Partner, PartnersError> {
        let row = partner::Entity::find()
            .filter(partner::Column::ClientId.eq(client_id))
            .one(&self.db)
            .await?
            .ok_or(PartnersError::InvalidClient)?;
        let hash = SecretHash {
            salt: row.client_secret_salt.clone(),
            hash: row.client_secret_hash.clone(),
        };
        if !hash.matches(client_secret) || row.revoked_at.is_some() {
            return Err(PartnersError::InvalidClient);
        }
        partner_from_row(row)
    }

    /// Revokes the partner and every token it holds. Revoking twice keeps the first instant.
    pub async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<Partner, PartnersError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        partner::Entity::update_many()
            .col_expr(partner::Column::RevokedAt, Expr::value(now))
            .filter(partner::Column::Id.eq(id.to_string()))
            .filter(partner::Column::RevokedAt.is_null())
            .exec(&*txn)
            .await?;
        access_token::Entity::update_many()
            .col_expr(access_token::Column::RevokedAt, Expr::value(now))
            .filter(access_token::Column::PartnerId.eq(id.to_string()))
            .filter(access_token::Column::RevokedAt.is_null())
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        self.partner(id).await
    }

    /// A new client secret, returned once; the old one stops working at once.
    pub async fn rotate_client_secret(&self, id: Uuid) -> Result<String, PartnersError> {
        let client_secret = new_client_secret();
        let hash = SecretHash::of(&client_secret);
        let row = partner::ActiveModel {
            id: Unchanged(id.to_string()),
            client_secret_salt: Set(hash.salt),
            client_secret_hash: Set(hash.hash),
            ..Default::default()
        };
        self.update_live(id, row).await?;
        Ok(client_secret)
    }

    /// A new signing secret; the one before keeps signing for [`SIGNING_ROTATION_OVERLAP`].
    pub async fn rotate_signing_secret(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Partner, PartnersError> {
        let current = self.partner(id).await?;
        let row = partner::ActiveModel {
            id: Unchanged(id.to_string()),
            signing_secret: Set(SigningSecret::generate().expose().to_owned()),
            previous_signing_secret: Set(Some(current.signing.current.expose().to_owned())),
            previous_signing_secret_until: Set(Some(now + SIGNING_ROTATION_OVERLAP)),
            ..Default::default()
        };
        self.update_live(id, row).await?;
        self.partner(id).await
    }

    /// Updates a partner that is not revoked: a revoked partner's credentials stay dead.
    async fn update_live(&self, id: Uuid, row: partner::ActiveModel) -> Result<(), PartnersError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let updated = partner::Entity::update_many()
            .set(row)
            .filter(partner::Column::Id.eq(id.to_string()))
            .filter(partner::Column::RevokedAt.is_null())
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        match updated.rows_affected {
            0 => Err(PartnersError::NotFound(id)),
            _ => Ok(()),
        }
    }
}

pub(crate) fn partner_from_row(row: partner::Model) -> Result<Partner, PartnersError> {
    let corrupt = |what: &str| PartnersError::Corrupt(format!("partner {}: {what}", row.id));
    let secret = |text: &str| SigningSecret::parse(text).map_err(|_| corrupt("signing secret"));
    let previous = match (&row.previous_signing_secret, row.previous_signing_secret_until) {
        (Some(text), Some(until)) => Some((secret(text)?, until)),
        _ => None,
    };
    let redirect_uris: Vec<Url> =
        serde_json::from_value(row.redirect_uris.clone()).map_err(|_| corrupt("redirect uris"))?;
    Ok(Partner {
        id: Uuid::parse_str(&row.id).map_err(|_| corrupt("id"))?,
        contact_email: EmailAddress::parse(&row.contact_email).map_err(|_| corrupt("contact email"))?,
        scopes: Scopes::parse(&row.scopes).map_err(|_| corrupt("scopes"))?,
        redirect_uris,
        notice_webhook_url: row
            .notice_webhook_url
            .as_deref()
            .map(Url::parse)
            .transpose()
            .map_err(|_| corrupt("notice webhook url"))?,
        signing: SigningSecrets {
            current: secret(&row.signing_secret)?,
            previous,
        },
        rate_limit_per_minute: u32::try_from(row.rate_limit_per_minute).map_err(|_| corrupt("rate"))?,
        name: row.name,
        client_id: row.client_id,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    })
}
