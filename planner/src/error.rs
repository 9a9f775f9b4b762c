use kosodate_households::HouseholdError;
use kosodate_registry::RegistryError;

/// Everything planning notices can fail with.
#[derive(Debug, thiserror::Error)]
pub enum PlannerError {
    #[error("reading households failed")]
    Households(#[from] HouseholdError),
    #[error("reading programs failed")]
    Registry(#[from] RegistryError),
    #[error("writing to the outbox failed")]
    Outbox(#[from] kosodate_notifier::OutboxError),
    #[error("reading events failed")]
    Places(#[from] kosodate_places::PlacesError),
    #[error("planner database query failed")]
    Database(#[from] sea_orm::DbErr),
}
