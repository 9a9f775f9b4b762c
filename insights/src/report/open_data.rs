//! The open-data export: how many people searched the service each week, prefecture-wide, with
//! calibrated noise (`noise.rs`). A person is a searcher of one day, counted once per day in the
//! day's whole-prefecture roll-up row, so one person changes the release by at most one per day
//! of the period: the sensitivity is the period's number of days, and the noise grows with it.
//! Questions join the export once their roll-up counts distinct authors per day the same way.

use chrono::NaiveDate;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sea_orm::{DatabaseConnection, DbErr};

use super::{bucket, buckets};
use crate::model::{Granularity, NoisyRow, OpenDataExport, Period, Source};
use crate::noise::{GeometricMechanism, MECHANISM};
use crate::rollup::ALL_SEARCHES;
use crate::{InsightsError, sql};

/// What the rows' area is called: the export is prefecture-wide.
const PREFECTURE: &str = "青森県全域";

pub(crate) async fn open_data(
    db: &DatabaseConnection,
    period: Period,
    epsilon: f64,
    seed: Option<u64>,
) -> Result<OpenDataExport, InsightsError> {
    let days = u32::try_from(period.days().count()).unwrap_or(u32::MAX);
    let mechanism = GeometricMechanism::new(epsilon, days)?;
    let weeks = buckets(Granularity::Week, period);
    let mut people = vec![0u64; weeks.len()];
    for (day, searchers) in daily_searchers(db, period).await? {
        if let Ok(index) = weeks.binary_search(&bucket(Granularity::Week, day)) {
            people[index] += searchers;
        }
    }
    let mut rng = match seed {
        Some(seed) => ChaCha20Rng::seed_from_u64(seed),
        None => ChaCha20Rng::from_rng(&mut rand::rng()),
    };
    let rows = weeks
        .into_iter()
        .zip(people)
        .map(|(week_starting, count)| NoisyRow {
            week_starting,
            source: Source::Searches,
            region: PREFECTURE.to_owned(),
            count: mechanism.release(count, &mut rng),
        })
        .collect();
    Ok(OpenDataExport {
        epsilon,
        mechanism: MECHANISM,
        rows,
    })
}

async fn daily_searchers(db: &DatabaseConnection, period: Period) -> Result<Vec<(NaiveDate, u64)>, DbErr> {
    let rows = sql::query(
        db,
        "SELECT day, searchers FROM insights_search_daily WHERE day >= $1 AND day < $2 AND category = $3",
        vec![period.from.into(), period.until.into(), ALL_SEARCHES.into()],
    )
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "day")?, sql::count(row, "searchers")?)))
        .collect()
}
