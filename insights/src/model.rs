//! What the evidence pages ask for and what they are answered with. Every count a caller sees is a
//! [`Cell`]; periods are Japanese dates, half-open.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kosodate_domain::MunicipalityCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::disclosure::{Cell, TermRow, VolumeRow};
use crate::significance::RisingTerm;

/// Where the evidence comes from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Source {
    #[strum(message = "検索")]
    Searches,
    #[strum(message = "質問")]
    Questions,
}

/// How long one period of a volume table is. Weeks start on Monday (Japanese dates).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Granularity {
    #[strum(message = "日")]
    Day,
    #[strum(message = "週")]
    Week,
    #[strum(message = "月")]
    Month,
}

/// What the rows of a volume table are.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Dimension {
    #[strum(message = "合計")]
    Total,
    #[strum(message = "分類")]
    Category,
    #[strum(message = "地域")]
    Region,
    #[strum(message = "市町村")]
    Municipality,
    #[strum(to_string = "age_band", serialize = "年齢", message = "子どもの年齢")]
    AgeBand,
}

kosodate_domain::vocabulary_deserialize!(Source, Granularity, Dimension);

/// The longest period one report covers: a year and a little, so that a year-on-year look fits
/// and no request makes the database read the whole retention at once.
pub const MAX_PERIOD_DAYS: i64 = 400;

/// Japanese dates `[from, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub until: NaiveDate,
}

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the period must end after it starts")]
    Empty,
    #[error("the period must be at most {MAX_PERIOD_DAYS} days")]
    TooLong,
}

impl PeriodError {
    /// What staff read.
    pub fn message_ja(&self) -> String {
        match self {
            Self::Empty => "期間の終わりは始まりより後の日付にしてください".to_owned(),
            Self::TooLong => format!("期間は{MAX_PERIOD_DAYS}日以内にしてください"),
        }
    }
}

impl Period {
    pub fn new(from: NaiveDate, until: NaiveDate) -> Result<Self, PeriodError> {
        if from >= until {
            return Err(PeriodError::Empty);
        }
        if (until - from).num_days() > MAX_PERIOD_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(Self { from, until })
    }

    /// The days of the period, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let until = self.until;
        self.from.iter_days().take_while(move |day| *day < until)
    }
}

/// One municipality as the registry knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub code: MunicipalityCode,
    pub name: String,
    /// The prefecture's region (東青, 中南 …); `None` for the prefecture itself.
    pub region: Option<String>,
}

/// The areas, given by the server: this crate does not read the registry.
#[derive(Debug, Clone, Default)]
pub struct Areas {
    by_code: BTreeMap<String, Area>,
}

impl Areas {
    pub fn new(areas: Vec<Area>) -> Self {
        Self {
            by_code: areas
                .into_iter()
                .map(|area| (area.code.to_string(), area))
                .collect(),
        }
    }

    /// The area of a stored municipality code.
    pub fn get(&self, code: &str) -> Option<&Area> {
        self.by_code.get(code)
    }

    /// The region of a stored municipality code.
    pub fn region_of(&self, code: &str) -> Option<&str> {
        self.get(code).and_then(|area| area.region.as_deref())
    }
}

/// Counts per period: one row per key of the dimension.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VolumeTable {
    /// The first day of each period, in order.
    pub periods: Vec<NaiveDate>,
    pub rows: Vec<VolumeRow>,
}

/// The words parents used in a week.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TermReport {
    pub week_starting: NaiveDate,
    /// Most used first; only terms at least 10 distinct people used.
    pub top: Vec<TermRow>,
    /// Used significantly more than the week before, after false-discovery control.
    pub rising: Vec<RisingTerm>,
}

/// Needs the registry does not meet.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Gaps {
    pub zero_result_queries: Vec<QueryGap>,
    pub questions_without_program: Vec<CategoryGap>,
    pub unanswered: Vec<CategoryGap>,
    pub low_click_through: Vec<ClickGap>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QueryGap {
    pub query: String,
    pub searches: Cell,
    pub people: Cell,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CategoryGap {
    pub category: String,
    pub label: String,
    pub questions: Cell,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ClickGap {
    pub query: String,
    pub searches: Cell,
    pub clicks: Cell,
    /// Clicks per search; `None` when either count is suppressed.
    pub click_through: Option<f64>,
}

/// Aggregate trends with calibrated noise, for anyone (docs/insights.md).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OpenDataExport {
    pub epsilon: f64,
    pub mechanism: &'static str,
    pub rows: Vec<NoisyRow>,
}

/// One week's noisy count of searches or questions in one region.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NoisyRow {
    pub week_starting: NaiveDate,
    pub source: Source,
    pub region: String,
    pub count: Cell,
}

/// What one roll-up did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RollUpReport {
    /// Hours of searches rolled up by this call.
    pub hours: u64,
    /// Days of searches rolled up by this call.
    pub days: u64,
    /// Weeks of searches whose terms and queries were (re)computed.
    pub weeks: u64,
    /// Days of questions rolled up (again while their answers may still come).
    pub question_days: u64,
    /// Weeks of questions whose terms were (re)computed.
    pub question_weeks: u64,
    /// Daily pseudonym keys deleted.
    pub keys_deleted: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use kosodate_domain::{Vocabulary, serde_names_agree};

    #[test]
    fn lists_keep_their_ids() {
        serde_names_agree::<Source>().unwrap_or_else(|error| panic!("{error}"));
        serde_names_agree::<Granularity>().unwrap_or_else(|error| panic!("{error}"));
        serde_names_agree::<Dimension>().unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(Dimension::parse("子どもの年齢"), Some(Dimension::AgeBand));
        assert_eq!(Granularity::parse("週"), Some(Granularity::Week));
    }

    #[test]
    fn periods_are_checked_once() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default();
        assert_eq!(Period::new(day(2), day(2)), Err(PeriodError::Empty));
        assert_eq!(Period::new(day(3), day(2)), Err(PeriodError::Empty));
        let week = Period::new(day(1), day(8)).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(week.days().count(), 7);
        let long = NaiveDate::from_ymd_opt(2028, 2, 1).unwrap_or_default();
        assert_eq!(Period::new(day(1), long), Err(PeriodError::TooLong));
    }
}
