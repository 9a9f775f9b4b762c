//! Evidence for policy (EBPM): what parents search for and ask about, for prefecture staff, without
//! exposing anyone. It owns the hourly and daily roll-ups of the search log, of search result
//! clicks and of community questions (the raw search log is kept 13 months, then only roll-ups),
//! the terms (IPADIC nouns and compounds) and how many distinct people used them, volumes over
//! time by category, region, municipality and child age band, rising terms with a significance
//! test under false-discovery control, gaps (searches that found nothing, questions no program
//! relates to, questions left unanswered, results nobody opens), and disclosure control: no cell
//! under 10, small municipalities rolled up to their region, free text only as terms at least 10
//! people used, and calibrated noise (a stated epsilon) on the open-data export, each weekly cell's
//! noise fixed by a key the service keeps so that asking again cannot average it away. It reads the
//! search log and the community through their crates; it must not depend on the households crate,
//! the notifier or HTTP, and it never returns a row about one person.

mod clicks;
pub mod disclosure;
mod error;
mod model;
pub mod noise;
mod pseudonym;
mod report;
mod rollup;
mod secret;
pub mod significance;
mod sql;
mod terms;

pub use clicks::{Click, MAX_RANK};
pub use disclosure::{Cell, MIN_CELL, TermRow, VolumeRow};
pub use error::InsightsError;
pub use model::{
    Area, Areas, CategoryGap, ClickGap, Dimension, Gaps, Granularity, MAX_PERIOD_DAYS, NoisyRow,
    OpenDataExport, Period, PeriodError, QueryGap, RollUpReport, Source, TermReport, VolumeTable,
};
pub use noise::GeometricMechanism;
pub use rollup::{RETENTION, SETTLE};
pub use significance::RisingTerm;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use kosodate_community::Community;
use kosodate_search::Reader;
use sea_orm::DatabaseConnection;

use crate::pseudonym::WeeklyKeys;
use crate::terms::TermAnalyzer;

/// The roll-ups and the reports over them. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Insights {
    db: DatabaseConnection,
    community: Community,
    analyzer: TermAnalyzer,
    keys: WeeklyKeys,
}

impl Insights {
    /// Without a reading dictionary, each query (or question title) is one term.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            community: Community::new(db.clone()),
            db,
            analyzer: TermAnalyzer::new(None),
            keys: WeeklyKeys::default(),
        }
    }

    /// Terms cut by IPADIC, the dictionary program search reads with.
    pub fn with_reader(mut self, reader: Option<Arc<dyn Reader>>) -> Self {
        self.analyzer = TermAnalyzer::new(reader);
        self
    }

    /// The week's pseudonym of a browser, for the search log: `browser` is what the server knows
    /// of it (its visitor cookie, else its address and user agent), never stored.
    pub async fn searcher_pseudonym(
        &self,
        browser: &str,
        now: DateTime<Utc>,
    ) -> Result<String, InsightsError> {
        Ok(self.keys.pseudonym(&self.db, browser, now).await?)
    }

    /// Records that a result of a logged search was opened.
    pub async fn record_click(&self, click: &Click, now: DateTime<Utc>) -> Result<(), InsightsError> {
        clicks::record(&self.db, click, now).await
    }

    /// Rolls up every settled hour, day and week not yet rolled up; safe to run in several
    /// processes at once, and running it again changes nothing.
    pub async fn roll_up(&self, now: DateTime<Utc>) -> Result<RollUpReport, InsightsError> {
        let sources = rollup::Sources {
            db: &self.db,
            community: &self.community,
            analyzer: &self.analyzer,
        };
        rollup::roll_up(sources, now).await
    }

    /// Searches or questions per period of `granularity`, one row per key of `dimension`.
    pub async fn volumes(
        &self,
        source: Source,
        granularity: Granularity,
        dimension: Dimension,
        period: Period,
        areas: &Areas,
    ) -> Result<VolumeTable, InsightsError> {
        report::volumes::volumes(&self.db, (source, granularity, dimension), period, areas).await
    }

    /// The top and rising terms of the week that holds `week_starting` (weeks start on Monday).
    pub async fn terms(
        &self,
        source: Source,
        week_starting: NaiveDate,
        limit: usize,
    ) -> Result<TermReport, InsightsError> {
        report::terms::terms(&self.db, source, week_starting, limit).await
    }

    /// Searches without results, questions without a program or an answer after
    /// `unanswered_after_days`, searches whose results nobody opens.
    pub async fn gaps(&self, period: Period, unanswered_after_days: u32) -> Result<Gaps, InsightsError> {
        report::gaps::gaps(&self.db, period, unanswered_after_days).await
    }

    /// Weekly counts for anyone, with noise calibrated to `epsilon` and derived from the service's
    /// noise key, so that asking again gives the same numbers (docs/insights.md).
    pub async fn open_data(&self, period: Period, epsilon: f64) -> Result<OpenDataExport, InsightsError> {
        let key = report::open_data::noise_key(&self.db).await?;
        report::open_data::open_data(&self.db, period, epsilon, &key).await
    }

    /// [`Insights::open_data`] with the noise derived from `key` instead of the service's, for
    /// tests that compare releases.
    pub async fn open_data_with_key(
        &self,
        period: Period,
        epsilon: f64,
        key: &[u8],
    ) -> Result<OpenDataExport, InsightsError> {
        report::open_data::open_data(&self.db, period, epsilon, key).await
    }

    /// Deletes raw search-log rows and clicks older than [`RETENTION`] whose days are rolled up;
    /// the number of rows deleted.
    pub async fn forget_raw_before(&self, now: DateTime<Utc>) -> Result<u64, InsightsError> {
        Ok(rollup::forget_raw_before(&self.db, now).await?)
    }
}
