use kosodate_domain::ProgramId;
use kosodate_domain::Vocabulary;

use crate::import::ImportErrors;
use crate::model::{ProgramOwner, ProgramStatus};
use crate::page::InvalidCursor;
use crate::validation::ValidationErrors;

/// Everything the registry can refuse or fail with. The HTTP layer maps each variant to a status
/// and a Japanese message in one place; the CLI prints them.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Import(#[from] ImportErrors),
    #[error("program {0} not found")]
    ProgramNotFound(ProgramId),
    #[error("staged import {0} not found, expired or someone else's")]
    StagedImportNotFound(String),
    #[error("municipality {0} not found")]
    MunicipalityNotFound(String),
    #[error("{actor} may not change programs of {owner}")]
    Forbidden { actor: String, owner: ProgramOwner },
    #[error("cannot {action} a program that is {}", current.id())]
    InvalidTransition {
        current: ProgramStatus,
        action: &'static str,
    },
    #[error("the organisation publishes only after a colleague reviewed this version")]
    ReviewRequired,
    #[error("a colleague other than the one who asked for the review must publish")]
    ReviewBySomeoneElse,
    #[error("nobody asked for a review of this record, or it was published since")]
    NoReviewRequest,
    #[error("program changed meanwhile: expected version {expected}, current version {current}")]
    VersionMismatch { expected: i32, current: i32 },
    #[error(transparent)]
    InvalidCursor(#[from] InvalidCursor),
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    #[error("registry database query failed")]
    Database(#[from] sea_orm::DbErr),
}
