use kosodate_registry::RegistryError;

/// Everything the household store and the matching runner can fail with.
#[derive(Debug, thiserror::Error)]
pub enum HouseholdError {
    #[error("household {0} not found")]
    HouseholdNotFound(String),
    #[error("program {0} not found")]
    ProgramNotFound(String),
    #[error("invalid household data")]
    Invalid(kosodate_registry::ValidationErrors),
    #[error("this account already has a household")]
    AlreadyRegistered,
    #[error("contact channel {0} not found")]
    ChannelNotFound(String),
    #[error("verification link unknown or expired")]
    VerificationFailed,
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Outbox(#[from] kosodate_notifier::OutboxError),
    #[error("matching task failed: {0}")]
    Task(String),
}
