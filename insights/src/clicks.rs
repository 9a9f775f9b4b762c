//! Which result of a search was opened: the search's id, the program and its rank, the hour.
//! Nothing about who clicked; the roll-ups join clicks to their search for click-through.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use kosodate_database::begin_write;
use kosodate_domain::ProgramId;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{InsightsError, sql};

/// A click on a search result, as the page or the API reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    pub search_id: Uuid,
    pub program: ProgramId,
    /// 1 for the first result.
    pub rank: u32,
}

/// The deepest rank a click is recorded at (search pages go no further); deeper ones count here.
pub const MAX_RANK: u32 = 1_000;

pub(crate) async fn record(
    db: &DatabaseConnection,
    click: &Click,
    now: DateTime<Utc>,
) -> Result<(), InsightsError> {
    let hour = now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now);
    let transaction = begin_write(db).await?;
    sql::execute(
        &transaction,
        "INSERT INTO search_clicks (id, search_id, program_id, rank, clicked_hour) VALUES ($1, $2, $3, $4, $5)",
        vec![
            Uuid::now_v7().to_string().into(),
            click.search_id.to_string().into(),
            click.program.to_string().into(),
            i32::try_from(click.rank.min(MAX_RANK)).unwrap_or(0).into(),
            hour.into(),
        ],
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}
