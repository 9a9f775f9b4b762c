//! What can go wrong in the community, for the server's one error policy to map.

#[derive(Debug, thiserror::Error)]
pub enum CommunityError {
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    #[error("question index error")]
    QuestionIndex(#[from] kosodate_search::SearchError),
}
