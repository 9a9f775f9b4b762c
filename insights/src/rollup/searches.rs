//! Search volumes of one hour or one day, from the raw log: per municipality, category and age
//! band, how many searches, how many found nothing, how many of their results were opened, and
//! how many distinct searchers (pseudonyms of that day) made them.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use kosodate_domain::AgeBand;
use kosodate_domain::Vocabulary;
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};

use crate::sql;

/// One raw search, as the roll-ups read it.
#[derive(Debug, Clone)]
pub(crate) struct RawSearch {
    pub query: Option<String>,
    pub municipality: String,
    pub categories: Vec<String>,
    pub age_band: String,
    pub zero_results: bool,
    pub clicks: u64,
    pub searcher: Option<String>,
    pub searched_at: DateTime<Utc>,
}

/// The searches of `[from, until)` with the clicks on their results.
pub(crate) async fn raw_searches(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<RawSearch>, DbErr> {
    let rows = sql::query(
        db,
        "SELECT l.query, l.municipality, l.filters, l.result_count, l.searcher, l.searched_hour, \
         (SELECT COUNT(*) FROM search_clicks c WHERE c.search_id = l.id) AS clicks \
         FROM search_log l WHERE l.searched_hour >= $1 AND l.searched_hour < $2",
        vec![from.into(), until.into()],
    )
    .await?;
    rows.iter().map(raw_search).collect()
}

fn raw_search(row: &QueryResult) -> Result<RawSearch, DbErr> {
    let filters: serde_json::Value = row.try_get("", "filters")?;
    let categories = filters["categories"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|category| category.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let age_band = filters["child_age_months"]
        .as_u64()
        .map(|months| AgeBand::of_age_in_months(u32::try_from(months).unwrap_or(u32::MAX)).id())
        .unwrap_or_default();
    let result_count: i32 = row.try_get("", "result_count")?;
    Ok(RawSearch {
        query: row.try_get("", "query")?,
        municipality: row
            .try_get::<Option<String>>("", "municipality")?
            .unwrap_or_default(),
        categories,
        age_band: age_band.to_owned(),
        zero_results: result_count == 0,
        clicks: sql::count(row, "clicks")?,
        searcher: row.try_get("", "searcher")?,
        searched_at: row.try_get("", "searched_hour")?,
    })
}

#[derive(Debug, Default)]
struct Volume<'a> {
    searches: u64,
    zero_results: u64,
    clicks: u64,
    searchers: HashSet<&'a str>,
}

/// The category of the one row per period that counts every search of the period once, with its
/// distinct searchers: the people of the whole prefecture, which rows per municipality cannot add
/// up to (one person may search for several places).
pub(crate) const ALL_SEARCHES: &str = "*";

/// Category `""` counts every search once; each category a search had counts it again, so that
/// totals never add categories up; category [`ALL_SEARCHES`] counts the whole period.
pub(crate) fn volumes(searches: &[RawSearch]) -> Vec<Vec<Value>> {
    let mut volumes: BTreeMap<(&str, &str, &str), Volume<'_>> = BTreeMap::new();
    for search in searches {
        let categories = std::iter::once("").chain(search.categories.iter().map(String::as_str));
        let keys = categories
            .map(|category| (search.municipality.as_str(), category, search.age_band.as_str()))
            .chain([("", ALL_SEARCHES, "")]);
        for key in keys {
            let volume = volumes.entry(key).or_default();
            volume.searches += 1;
            volume.zero_results += u64::from(search.zero_results);
            volume.clicks += search.clicks;
            volume.searchers.extend(search.searcher.as_deref());
        }
    }
    volumes
        .into_iter()
        .map(|((municipality, category, age_band), volume)| {
            vec![
                municipality.into(),
                category.into(),
                age_band.into(),
                big(volume.searches),
                big(volume.zero_results),
                big(volume.clicks),
                big(volume.searchers.len() as u64),
            ]
        })
        .collect()
}

pub(crate) const VOLUME_COLUMNS: [&str; 7] = [
    "municipality",
    "category",
    "age_band",
    "searches",
    "zero_results",
    "clicks",
    "searchers",
];

pub(crate) fn big(count: u64) -> Value {
    i64::try_from(count).unwrap_or(i64::MAX).into()
}
