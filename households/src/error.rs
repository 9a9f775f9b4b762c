use kosodate_registry::ValidationErrors;

/// Everything the household store can fail with. Messages never carry what a household entered.
#[derive(Debug, thiserror::Error)]
pub enum HouseholdError {
    #[error("household {0} not found")]
    HouseholdNotFound(String),
    #[error("invalid household data")]
    Invalid(#[source] ValidationErrors),
    #[error("this account already has a household")]
    AlreadyRegistered,
    #[error("a household is registered online only after consent to matching")]
    ConsentRequired,
    #[error("contact channel {0} not found")]
    ChannelNotFound(String),
    #[error("verification link unknown or expired")]
    VerificationFailed,
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    #[error("household database query failed")]
    Database(#[from] sea_orm::DbErr),
    #[error("the notice outbox failed")]
    Outbox(#[from] kosodate_notifier::OutboxError),
}

impl HouseholdError {
    /// Stored data that does not read back: `what` names the row or field, never its value.
    pub fn corrupt(what: &str, error: impl std::fmt::Display) -> Self {
        Self::Corrupt(format!("{what}: {error}"))
    }
}
