//! The reports staff and the open data read: only roll-ups, never raw rows, and every count
//! through [`crate::Cell`] and the disclosure rules.

pub(crate) mod gaps;
pub(crate) mod open_data;
pub(crate) mod terms;
pub(crate) mod volumes;

use chrono::{Datelike, NaiveDate};
use kosodate_domain::{AgeBand, Vocabulary, japan};

use crate::model::{Granularity, Period, Source};

/// The first day of the period of `granularity` that holds `day`.
pub(crate) fn bucket(granularity: Granularity, day: NaiveDate) -> NaiveDate {
    match granularity {
        Granularity::Day => day,
        Granularity::Week => japan::week_starting(day),
        Granularity::Month => day.with_day(1).unwrap_or(day),
    }
}

/// The periods of `granularity` that `period` touches, in order.
pub(crate) fn buckets(granularity: Granularity, period: Period) -> Vec<NaiveDate> {
    let mut buckets: Vec<NaiveDate> = period.days().map(|day| bucket(granularity, day)).collect();
    buckets.dedup();
    buckets
}

/// The Japanese name of a stored category id (program categories for searches, question
/// categories for questions); the id itself for one no longer in the list.
pub(crate) fn category_label(source: Source, id: &str) -> String {
    let label = match source {
        Source::Searches => kosodate_search::Category::parse(id).map(Vocabulary::label_ja),
        Source::Questions => kosodate_community::QuestionCategory::parse(id).map(Vocabulary::label_ja),
    };
    label.unwrap_or(id).to_owned()
}

pub(crate) fn age_band_label(id: &str) -> String {
    match AgeBand::parse(id) {
        Some(band) => band.label_ja().to_owned(),
        None => "年齢の指定なし".to_owned(),
    }
}
