//! The relevance set (`search/relevance/queries.toml`) and how a ranking is scored against it:
//! recall@5 (an expected program is among the first five) and MRR (the reciprocal rank of the
//! first expected program), for the search index and for the SQL `LIKE` baseline.

use std::path::Path;

use kosodate_migrations::{Migrator, MigratorTrait};
use kosodate_registry::{Program, ProgramFilter, ProgramStatus, Registry, Visibility};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct RelevanceQuery {
    pub q: String,
    pub municipality: Option<String>,
    /// `owner:name` of the programs that should come first, best first.
    pub expect: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RelevanceFile {
    query: Vec<RelevanceQuery>,
}

pub fn load_queries() -> anyhow::Result<Vec<RelevanceQuery>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../search/relevance/queries.toml");
    let file: RelevanceFile = toml::from_str(&std::fs::read_to_string(path)?)?;
    Ok(file.query)
}

/// How a program is named in the relevance set.
pub fn label(program_owner: &str, name: &str) -> String {
    format!("{program_owner}:{name}")
}

/// The registry with the example programs, in a fresh SQLite database in `directory`.
pub async fn example_registry(directory: &Path) -> anyhow::Result<(Registry, Vec<Program>)> {
    let url = format!(
        "sqlite://{}?mode=rwc",
        directory.join("relevance.sqlite").display()
    );
    let db = kosodate_database::connect(&url, 2).await?;
    Migrator::up(&db, None).await?;
    kosodate_registry::seed::seed_municipalities(&db).await?;
    let registry = Registry::new(db);
    registry.load_examples_if_empty().await?;
    let filter = ProgramFilter {
        status: Some(ProgramStatus::Published),
        ..ProgramFilter::default()
    };
    let programs = registry.all_programs(&filter, Visibility::Public).await?;
    Ok((registry, programs))
}

/// One query's outcome: the 1-based rank of the first expected program, if found.
#[derive(Debug, Clone)]
pub struct Judged {
    pub query: RelevanceQuery,
    pub first_relevant: Option<usize>,
    pub top: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Scores {
    pub recall_at_5: f64,
    pub mrr: f64,
    pub judged: Vec<Judged>,
}

impl Scores {
    pub fn new(judged: Vec<Judged>) -> Self {
        let count = judged.len().max(1) as f64;
        let recall_at_5 = judged
            .iter()
            .filter(|judged| judged.first_relevant.is_some_and(|rank| rank <= 5))
            .count() as f64
            / count;
        let mrr = judged
            .iter()
            .filter_map(|judged| judged.first_relevant)
            .map(|rank| 1.0 / rank as f64)
            .sum::<f64>()
            / count;
        Self {
            recall_at_5,
            mrr,
            judged,
        }
    }

    /// The queries whose expected programs are not in the first five.
    pub fn misses(&self) -> impl Iterator<Item = &Judged> {
        self.judged
            .iter()
            .filter(|judged| judged.first_relevant.is_none_or(|rank| rank > 5))
    }
}

pub fn judge(query: &RelevanceQuery, ranked: Vec<String>) -> Judged {
    let first_relevant = ranked
        .iter()
        .position(|label| query.expect.contains(label))
        .map(|index| index + 1);
    Judged {
        query: query.clone(),
        first_relevant,
        top: ranked.into_iter().take(5).collect(),
    }
}

/// The baseline: every word of the (NFKC-normalised) query in the name, summary, description or
/// eligibility text with `LIKE`, programs whose name holds more words first. No synonyms, no kana
/// folding: what a registry without a search engine would do.
pub async fn like_ranking(db: &DatabaseConnection, query: &RelevanceQuery) -> anyhow::Result<Vec<String>> {
    let words: Vec<String> = kosodate_search::normalize(&query.q)
        .split_whitespace()
        .map(|word| format!("%{}%", word.replace('%', "\\%").replace('_', "\\_")))
        .collect();
    let text = "(lower(name) || ' ' || lower(summary) || ' ' || lower(coalesce(description, '')) || ' ' || lower(coalesce(eligibility_summary, '')))";
    let mut conditions = vec!["status = 'published'".to_owned()];
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut name_hits = Vec::new();
    for word in &words {
        conditions.push(format!("{text} LIKE ? ESCAPE '\\'"));
        values.push(word.clone().into());
        name_hits.push("(CASE WHEN lower(name) LIKE ? ESCAPE '\\' THEN 2 WHEN lower(summary) LIKE ? ESCAPE '\\' THEN 1 ELSE 0 END)".to_owned());
    }
    if let Some(municipality) = &query.municipality {
        conditions.push("(owner_code IN ('national', '020001', ?))".to_owned());
        values.push(municipality.clone().into());
    }
    for word in &words {
        values.push(word.clone().into());
        values.push(word.clone().into());
    }
    let order = match name_hits.is_empty() {
        true => "name".to_owned(),
        false => format!("({}) DESC, name", name_hits.join(" + ")),
    };
    let sql = format!(
        "SELECT owner_code, name FROM programs WHERE {} ORDER BY {order} LIMIT 20",
        conditions.join(" AND ")
    );
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    let rows = db.query_all_raw(statement).await?;
    rows.iter()
        .map(|row| {
            Ok(label(
                &row.try_get::<String>("", "owner_code")?,
                &row.try_get::<String>("", "name")?,
            ))
        })
        .collect()
}
