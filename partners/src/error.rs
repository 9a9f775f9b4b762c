//! What can go wrong with partners, for the server's one error policy to map.

use std::time::Duration;

use uuid::Uuid;

use crate::model::PartnerInputErrors;

#[derive(Debug, thiserror::Error)]
pub enum PartnersError {
    #[error("partners database query failed")]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Invalid(#[from] PartnerInputErrors),
    #[error("partner {0} not found")]
    NotFound(Uuid),
    /// Unknown client, wrong secret or a revoked partner: RFC 6749's `invalid_client`, which
    /// never says which.
    #[error("client authentication failed")]
    InvalidClient,
    /// A scope the partner was not granted, or one that does not exist (`invalid_scope`).
    #[error("requested scope is invalid or not granted")]
    InvalidScope,
    /// The partner made more requests than its rate allows.
    #[error("partner rate limit exceeded: retry in {} seconds", .retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    #[error("webhook subscription {0} not found")]
    SubscriptionNotFound(Uuid),
    #[error(
        "a partner may hold {} webhook subscriptions",
        crate::webhooks::MAX_SUBSCRIPTIONS
    )]
    TooManySubscriptions,
    #[error("webhook delivery {0} not found or not dead")]
    DeliveryNotFound(String),
    #[error("stored partner data cannot be read: {0}")]
    Corrupt(String),
}
