use kosodate_registry::RegistryError;

/// Everything the household store and the matching runner can fail with.
#[derive(Debug, thiserror::Error)]
pub enum HouseholdError {
    #[error("household {0} not found")]
    HouseholdNotFound(String),
    #[error("program {0} not found")]
    ProgramNotFound(String),
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    #[error("matching task failed: {0}")]
    Task(String),
}
