use kosodate_households::HouseholdError;
use kosodate_registry::RegistryError;

/// Everything a matching run can fail with.
#[derive(Debug, thiserror::Error)]
pub enum MatchingError {
    #[error("reading programs failed")]
    Registry(#[from] RegistryError),
    #[error("reading or writing households failed")]
    Households(#[from] HouseholdError),
    #[error("matching database query failed")]
    Database(#[from] sea_orm::DbErr),
    #[error("stored match data cannot be read: {0}")]
    Corrupt(String),
    #[error("the matching {0} stopped")]
    StageStopped(&'static str),
    #[error("the evaluation task failed")]
    Task(#[from] tokio::task::JoinError),
}
