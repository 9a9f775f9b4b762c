//! What the places crate can refuse or fail with, for the server's one error policy to map.

use kosodate_domain::MunicipalityCode;
use uuid::Uuid;

use crate::input::InputErrors;
use crate::vocabulary::Status;

#[derive(Debug, thiserror::Error)]
pub enum PlacesError {
    #[error(transparent)]
    Invalid(#[from] InputErrors),
    #[error(transparent)]
    Import(kosodate_registry::import::ImportErrors),
    #[error("place {0} not found")]
    PlaceNotFound(Uuid),
    #[error("event {0} not found")]
    EventNotFound(Uuid),
    #[error("{actor} may not change the places and events of {owner}")]
    Forbidden { actor: String, owner: MunicipalityCode },
    #[error("cannot {action} a record that is {}", kosodate_domain::Vocabulary::id(*current))]
    InvalidTransition { current: Status, action: &'static str },
    #[error("changed meanwhile: expected version {expected}, current version {current}")]
    VersionMismatch { expected: i32, current: i32 },
    #[error("invalid page cursor")]
    InvalidCursor(#[from] kosodate_registry::page::InvalidCursor),
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    #[error("the registry refused or failed")]
    Registry(#[source] Box<kosodate_registry::RegistryError>),
    #[error("places database query failed")]
    Database(#[from] sea_orm::DbErr),
}

impl From<kosodate_registry::RegistryError> for PlacesError {
    fn from(error: kosodate_registry::RegistryError) -> Self {
        Self::Registry(Box::new(error))
    }
}
