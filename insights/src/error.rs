//! What can go wrong while rolling up or reading evidence, for the server's one error policy.

#[derive(Debug, thiserror::Error)]
pub enum InsightsError {
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
}
