//! The search crate's one error type.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("cannot open the search index directory: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("cannot use the search index directory {path}: {source}")]
    Directory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("another process is writing the search index in this directory")]
    Locked,
    #[error("the shipped synonyms are malformed: {0}")]
    Synonyms(#[from] crate::synonyms::SynonymError),
    #[error("a search index lock was poisoned by a panic")]
    Poisoned,
    #[error("search log database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("reading programs for the search index failed: {0}")]
    Registry(#[from] kosodate_registry::RegistryError),
}
