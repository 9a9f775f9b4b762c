//! The search log that prefecture staff analyse (EBPM): which words parents search with, with
//! which filters, and how often nothing is found. It keeps the normalised query (at most 200
//! characters, without control characters or terminal escapes), the filters (each category once),
//! the result count and the hour; never a user, an address or a cookie, and no entry at all for a
//! query that looks like personal data. The one trace of who searched is `searcher`, a pseudonym
//! the server derives with a key that lives one Japanese day (the `insights` crate), so that a
//! day's searches from one browser count as one person and nothing more. A search's id is what
//! a click on one of its results refers to (`search_clicks`). Staff read it only as counts of queries that several
//! searches share, so that a rare query cannot point at one family.

use std::collections::BTreeSet;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use kosodate_domain::MunicipalityCode;
use kosodate_domain::Vocabulary;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Statement};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::SearchError;
use crate::request::{MatchMode, SearchRequest};

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "search_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub searched_hour: DateTimeUtc,
        pub query: Option<String>,
        pub municipality: Option<String>,
        #[sea_orm(column_type = "JsonBinary")]
        pub filters: Json,
        pub result_count: i32,
        pub mode: String,
        pub searcher: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One search as the log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchLogEntry {
    /// What a click on one of the results refers to.
    pub id: uuid::Uuid,
    pub searched_hour: DateTime<Utc>,
    /// `None` for browsing by filters only.
    pub query: Option<String>,
    pub municipality: Option<MunicipalityCode>,
    pub filters: serde_json::Value,
    pub result_count: usize,
    pub mode: MatchMode,
    /// The day's pseudonym of the browser (16 hex digits), when the server could derive one.
    pub searcher: Option<String>,
}

impl SearchLogEntry {
    /// The entry for a search, or `None` when its query must not be kept. Only the first page
    /// counts: turning pages is not another search.
    pub fn of(
        request: &SearchRequest,
        result_count: usize,
        mode: MatchMode,
        at: DateTime<Utc>,
    ) -> Option<Self> {
        if request.offset > 0 {
            return None;
        }
        let query = match &request.query {
            Some(query) => Some(query.loggable()?.to_owned()),
            None => None,
        };
        // A caller may repeat a category thousands of times; the log keeps each once, so an entry
        // holds at most every category there is.
        let categories: BTreeSet<&str> = request.categories.iter().map(|category| category.id()).collect();
        let filters = serde_json::json!({
            "categories": categories,
            "child_age_months": request.child_age_months,
            "open_now": request.open_on.is_some(),
        });
        Some(Self {
            id: uuid::Uuid::now_v7(),
            searched_hour: at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at),
            query,
            municipality: request.municipality,
            filters,
            result_count,
            mode,
            searcher: None,
        })
    }
}

/// Writes entries in one statement.
pub async fn record(db: &DatabaseConnection, entries: &[SearchLogEntry]) -> Result<(), SearchError> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows = entries.iter().map(|entry| entity::ActiveModel {
        id: sea_orm::Set(entry.id.to_string()),
        searched_hour: sea_orm::Set(entry.searched_hour),
        query: sea_orm::Set(entry.query.clone()),
        municipality: sea_orm::Set(entry.municipality.map(|code| code.to_string())),
        filters: sea_orm::Set(entry.filters.clone()),
        result_count: sea_orm::Set(i32::try_from(entry.result_count).unwrap_or(i32::MAX)),
        mode: sea_orm::Set(entry.mode.id().to_owned()),
        searcher: sea_orm::Set(entry.searcher.clone()),
    });
    entity::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// How often one query was searched in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QueryTrend {
    pub query: String,
    pub searches: u64,
    /// Searches that found no program at all: what parents look for and the registry lacks.
    pub without_results: u64,
    /// Searches that found only programs with some of the words.
    pub partial_matches: u64,
}

/// The queries of `[from, until)` searched at least `min_searches` times, most searched first.
pub async fn trends(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    municipality: Option<MunicipalityCode>,
    min_searches: u64,
    limit: u64,
) -> Result<Vec<QueryTrend>, SearchError> {
    let backend = db.get_database_backend();
    let placeholder = |n: usize| match backend {
        sea_orm::DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let municipality_filter = match municipality {
        Some(_) => format!("AND municipality = {}", placeholder(3)),
        None => String::new(),
    };
    let sql = format!(
        "SELECT query, COUNT(*) AS searches, \
         SUM(CASE WHEN result_count = 0 THEN 1 ELSE 0 END) AS without_results, \
         SUM(CASE WHEN mode = 'some_words' THEN 1 ELSE 0 END) AS partial_matches \
         FROM search_log WHERE query IS NOT NULL AND searched_hour >= {} AND searched_hour < {} \
         {municipality_filter} GROUP BY query HAVING COUNT(*) >= {} \
         ORDER BY searches DESC, query LIMIT {}",
        placeholder(1),
        placeholder(2),
        min_searches.max(1),
        limit.clamp(1, 1000),
    );
    let mut values: Vec<sea_orm::Value> = vec![from.into(), until.into()];
    values.extend(municipality.map(|code| code.to_string().into()));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.iter()
        .map(|row| {
            let count = |column: &str| row.try_get::<i64>("", column).map(|value| value.max(0) as u64);
            Ok(QueryTrend {
                query: row.try_get("", "query")?,
                searches: count("searches")?,
                without_results: count("without_results")?,
                partial_matches: count("partial_matches")?,
            })
        })
        .collect()
}
