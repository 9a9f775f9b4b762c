//! The open-data export: how many people searched the service each week, prefecture-wide, with
//! calibrated noise (`noise.rs`). A person is a searcher of the week (a pseudonym lives one week),
//! counted once in the week's `insights_search_weekly` row, so one household changes each weekly
//! cell by at most one: the sensitivity is 1 per cell, whatever the period's length. Each cell's
//! noise is derived from the service's noise key and the cell's identity, so that a cell is
//! released once however often it is asked for, and only complete weeks are published (a running
//! week's count would change under the same noise, and its changes would show through).
//! Questions join the export once their roll-up counts distinct authors per week the same way.

use chrono::NaiveDate;
use kosodate_domain::{Vocabulary, japan};
use sea_orm::{DatabaseConnection, DbErr};

use crate::model::{Granularity, NoisyRow, OpenDataExport, Period, Source};
use crate::noise::{GeometricMechanism, MECHANISM};
use crate::secret::{self, KeyTable};
use crate::{InsightsError, sql};

/// What the rows' area is called: the export is prefecture-wide.
const PREFECTURE: &str = "青森県全域";
/// The rows' area in a cell's identity.
const PREFECTURE_ID: &str = "prefecture";

const SECRETS: KeyTable = KeyTable {
    table: "insights_secrets",
    name_column: "name",
};
/// The name of the key every open-data cell's noise is derived from.
const NOISE_KEY: &str = "open_data_noise";

/// The service's noise key, made on the first export.
pub(crate) async fn noise_key(db: &DatabaseConnection) -> Result<Vec<u8>, DbErr> {
    secret::stored_or_made(db, SECRETS, NOISE_KEY.into()).await
}

/// The export of the complete weeks `period` touches, each cell's noise derived from `key`.
pub(crate) async fn open_data(
    db: &DatabaseConnection,
    period: Period,
    epsilon: f64,
    key: &[u8],
) -> Result<OpenDataExport, InsightsError> {
    let mechanism = GeometricMechanism::new(epsilon, 1)?;
    let source = Source::Searches;
    let rows = weekly_searchers(db, period)
        .await?
        .into_iter()
        .map(|(week_starting, count)| {
            let cell = format!(
                "{}/{}/{week_starting}/{PREFECTURE_ID}",
                source.id(),
                Granularity::Week.id()
            );
            NoisyRow {
                week_starting,
                source,
                region: PREFECTURE.to_owned(),
                count: mechanism.release_cell(count, key, &cell),
            }
        })
        .collect();
    Ok(OpenDataExport {
        epsilon,
        mechanism: MECHANISM,
        rows,
    })
}

/// The complete weeks touching `period` and their distinct searchers, in order.
async fn weekly_searchers(db: &DatabaseConnection, period: Period) -> Result<Vec<(NaiveDate, u64)>, DbErr> {
    let rows = sql::query(
        db,
        "SELECT week, searchers FROM insights_search_weekly WHERE week >= $1 AND week < $2 ORDER BY week",
        vec![japan::week_starting(period.from).into(), period.until.into()],
    )
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "week")?, sql::count(row, "searchers")?)))
        .collect()
}
