//! What can go wrong while rolling up or reading evidence, for the server's one error policy.

#[derive(Debug, thiserror::Error)]
pub enum InsightsError {
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    /// Reading the community's questions failed.
    #[error("reading the community's questions")]
    Community(#[from] kosodate_community::CommunityError),
    /// The open-data export was asked for with an epsilon no mechanism can have.
    #[error("the open-data noise cannot be calibrated")]
    Noise(#[from] crate::noise::NoiseError),
}
