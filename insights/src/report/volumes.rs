//! Volumes over time: searches or questions per day, week or month, by category, region,
//! municipality or child age band. The running day's searches come from the hourly roll-ups.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use kosodate_domain::japan;
use sea_orm::{DatabaseConnection, DbErr, QueryResult, Value};

use super::{age_band_label, bucket, buckets, category_label};
use crate::disclosure::{AreaCounts, VolumeRow, roll_up_small_areas, small_municipalities_label};
use crate::model::{Areas, Dimension, Granularity, Period, Source, VolumeTable};
use crate::{InsightsError, sql};

/// Counts per (row key, period index).
type Counts = BTreeMap<String, Vec<u64>>;

pub(crate) async fn volumes(
    db: &DatabaseConnection,
    (source, granularity, dimension): (Source, Granularity, Dimension),
    period: Period,
    areas: &Areas,
) -> Result<VolumeTable, InsightsError> {
    let periods = buckets(granularity, period);
    let daily = match source {
        Source::Searches => search_counts(db, dimension, period).await?,
        Source::Questions => question_counts(db, dimension, period).await?,
    };
    let mut counts = Counts::new();
    for (day, key, count) in daily {
        let Ok(index) = periods.binary_search(&bucket(granularity, day)) else {
            continue;
        };
        let row = counts.entry(key).or_insert_with(|| vec![0; periods.len()]);
        row[index] += count;
    }
    let rows = match dimension {
        Dimension::Total => vec![VolumeRow::of_counts(
            "total".to_owned(),
            "合計".to_owned(),
            &counts.remove("").unwrap_or_else(|| vec![0; periods.len()]),
        )],
        Dimension::Category => labelled(counts, |key| category_label(source, key)),
        Dimension::AgeBand => labelled(counts, age_band_label),
        Dimension::Region => labelled(by_region(counts, source, areas), region_label),
        Dimension::Municipality => municipalities(counts, areas),
    };
    Ok(VolumeTable { periods, rows })
}

fn labelled(counts: Counts, label: impl Fn(&str) -> String) -> Vec<VolumeRow> {
    counts
        .into_iter()
        .map(|(key, counts)| VolumeRow::of_counts(key.clone(), label(&key), &counts))
        .collect()
}

fn region_label(key: &str) -> String {
    match key {
        "" => "地域の指定なし".to_owned(),
        region => region.to_owned(),
    }
}

/// Searches keep the municipality searched for; its region comes from the areas. Questions keep
/// their region already.
fn by_region(counts: Counts, source: Source, areas: &Areas) -> Counts {
    if source == Source::Questions {
        return counts;
    }
    let mut regions = Counts::new();
    for (municipality, row) in counts {
        let region = match areas.get(&municipality) {
            Some(area) => area.region.clone().unwrap_or_else(|| area.name.clone()),
            None => String::new(),
        };
        let sums = regions.entry(region).or_insert_with(|| vec![0; row.len()]);
        sums.iter_mut().zip(row).for_each(|(sum, count)| *sum += count);
    }
    regions
}

/// Municipalities whose cells would be suppressed are rolled up into their region; searches
/// for the whole prefecture or no place are rows of their own.
fn municipalities(counts: Counts, areas: &Areas) -> Vec<VolumeRow> {
    let mut rows = Vec::new();
    let mut small_areas = Vec::new();
    for (code, counts) in counts {
        match areas.get(&code) {
            Some(area) if area.region.is_some() => small_areas.push(AreaCounts {
                key: code,
                label: area.name.clone(),
                group: area.region.clone().unwrap_or_default(),
                counts,
            }),
            Some(area) => rows.push(VolumeRow::of_counts(code, area.name.clone(), &counts)),
            None if code.is_empty() => {
                rows.push(VolumeRow::of_counts(code, "市町村の指定なし".to_owned(), &counts))
            }
            None => rows.push(VolumeRow::of_counts(code.clone(), code, &counts)),
        }
    }
    let mut published = roll_up_small_areas(small_areas, small_municipalities_label);
    published.extend(rows);
    published
}

/// PostgreSQL refuses a constant in `GROUP BY`: the total groups by period only.
fn group_by(period: &str, column: &str) -> String {
    match column {
        "''" => period.to_owned(),
        column => format!("{period}, {column}"),
    }
}

/// The column a dimension groups search roll-ups by, and which rows it reads: category `''`
/// counts each search once, the other categories count it once per category it had.
fn search_grouping(dimension: Dimension) -> (&'static str, &'static str) {
    match dimension {
        Dimension::Total => ("''", "category = ''"),
        Dimension::Category => ("category", "category NOT IN ('', '*')"),
        Dimension::Region | Dimension::Municipality => ("municipality", "category = ''"),
        Dimension::AgeBand => ("age_band", "category = ''"),
    }
}

/// Which roll-up rows a volume table sums, and how.
struct Grouping<'a> {
    table: &'a str,
    /// The period column: `day`, or `hour` in the hourly roll-up.
    period: &'a str,
    measure: &'a str,
    column: &'a str,
    filter: &'a str,
}

/// Sums of `measure` per period and key of `column`, for periods in `[from, until)`.
async fn grouped(
    db: &DatabaseConnection,
    grouping: &Grouping<'_>,
    (from, until): (Value, Value),
) -> Result<Vec<QueryResult>, DbErr> {
    let Grouping {
        table,
        period,
        measure,
        column,
        filter,
    } = grouping;
    let sql = format!(
        "SELECT {period} AS period, {column} AS grouping, CAST(SUM({measure}) AS BIGINT) AS n \
         FROM {table} WHERE {period} >= $1 AND {period} < $2 AND {filter} GROUP BY {}",
        group_by(period, column)
    );
    sql::query(db, &sql, vec![from, until]).await
}

fn day_count(row: &QueryResult) -> Result<(NaiveDate, String, u64), DbErr> {
    Ok((
        row.try_get("", "period")?,
        row.try_get("", "grouping")?,
        sql::count(row, "n")?,
    ))
}

async fn search_counts(
    db: &DatabaseConnection,
    dimension: Dimension,
    period: Period,
) -> Result<Vec<(NaiveDate, String, u64)>, DbErr> {
    let (column, filter) = search_grouping(dimension);
    let mut grouping = Grouping {
        table: "insights_search_daily",
        period: "day",
        measure: "searches",
        column,
        filter,
    };
    let daily = grouped(db, &grouping, (period.from.into(), period.until.into())).await?;
    let mut counts = daily.iter().map(day_count).collect::<Result<Vec<_>, DbErr>>()?;
    // Days not rolled up yet (the running one) come from their hours.
    let first_open_day = counts
        .iter()
        .map(|(day, _, _)| *day + chrono::Days::new(1))
        .max()
        .unwrap_or(period.from)
        .max(period.from);
    if first_open_day < period.until {
        grouping.table = "insights_search_hourly";
        grouping.period = "hour";
        let hours = (
            japan::start_of(first_open_day).into(),
            japan::start_of(period.until).into(),
        );
        for row in grouped(db, &grouping, hours).await? {
            let hour: DateTime<Utc> = row.try_get("", "period")?;
            counts.push((
                japan::date_of(hour),
                row.try_get("", "grouping")?,
                sql::count(&row, "n")?,
            ));
        }
    }
    Ok(counts)
}

async fn question_counts(
    db: &DatabaseConnection,
    dimension: Dimension,
    period: Period,
) -> Result<Vec<(NaiveDate, String, u64)>, DbErr> {
    let column = match dimension {
        Dimension::Total => "''",
        Dimension::Category => "category",
        Dimension::Region => "region",
        Dimension::Municipality => "municipality",
        Dimension::AgeBand => "age_band",
    };
    let grouping = Grouping {
        table: "insights_question_daily",
        period: "day",
        measure: "questions",
        column,
        filter: "1 = 1",
    };
    let rows = grouped(db, &grouping, (period.from.into(), period.until.into())).await?;
    rows.iter().map(day_count).collect()
}
