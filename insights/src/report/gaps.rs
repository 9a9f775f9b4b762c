//! Needs the registry does not meet: searches that found nothing, questions no program relates
//! to, questions nobody answered in time, and searches whose results nobody opens. Queries are
//! named only when at least [`crate::MIN_CELL`] people searched them (the weekly roll-up keeps
//! no other), counts go through [`Cell`].

use chrono::{DateTime, Days, Utc};
use kosodate_domain::japan;
use sea_orm::{DatabaseConnection, DbErr, QueryResult};

use super::category_label;
use crate::disclosure::Cell;
use crate::model::{CategoryGap, ClickGap, Gaps, Period, QueryGap, Source};
use crate::{InsightsError, MIN_CELL, sql};

/// Rows per list: the pages show the worst first.
const GAP_ROWS: u64 = 50;

pub(crate) async fn gaps(
    db: &DatabaseConnection,
    period: Period,
    unanswered_after_days: u32,
) -> Result<Gaps, InsightsError> {
    Ok(Gaps {
        zero_result_queries: zero_result_queries(db, period).await?,
        questions_without_program: questions_without_program(db, period).await?,
        unanswered: unanswered(db, period, unanswered_after_days).await?,
        low_click_through: low_click_through(db, period).await?,
    })
}

/// The weeks that start in the period (a week is rolled up as one).
fn weeks(period: Period) -> Vec<sea_orm::Value> {
    vec![japan::week_starting(period.from).into(), period.until.into()]
}

async fn zero_result_queries(db: &DatabaseConnection, period: Period) -> Result<Vec<QueryGap>, DbErr> {
    let rows = sql::query(
        db,
        &format!(
            "SELECT query, CAST(SUM(zero_results) AS BIGINT) AS zero_results, \
             CAST(SUM(people) AS BIGINT) AS people FROM insights_queries_weekly \
             WHERE week >= $1 AND week < $2 GROUP BY query HAVING SUM(zero_results) >= {MIN_CELL} \
             ORDER BY zero_results DESC, query LIMIT {GAP_ROWS}"
        ),
        weeks(period),
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(QueryGap {
                query: row.try_get("", "query")?,
                searches: Cell::of(sql::count(row, "zero_results")?),
                people: Cell::of(sql::count(row, "people")?),
            })
        })
        .collect()
}

/// Queries that found programs, fewest opened per search first.
async fn low_click_through(db: &DatabaseConnection, period: Period) -> Result<Vec<ClickGap>, DbErr> {
    let rows = sql::query(
        db,
        &format!(
            "SELECT query, CAST(SUM(searches - zero_results) AS BIGINT) AS found, \
             CAST(SUM(clicks) AS BIGINT) AS clicks FROM insights_queries_weekly \
             WHERE week >= $1 AND week < $2 GROUP BY query \
             HAVING SUM(searches - zero_results) >= {MIN_CELL} \
             ORDER BY CAST(SUM(clicks) AS DOUBLE PRECISION) / SUM(searches - zero_results), query \
             LIMIT {GAP_ROWS}"
        ),
        weeks(period),
    )
    .await?;
    rows.iter()
        .map(|row| {
            let (found, clicks) = (sql::count(row, "found")?, sql::count(row, "clicks")?);
            let (searches, clicks_cell) = (Cell::of(found), Cell::of(clicks));
            let click_through = match (searches, clicks_cell) {
                (Cell::Count(found), Cell::Count(clicks)) => Some(clicks as f64 / found as f64),
                _ => None,
            };
            Ok(ClickGap {
                query: row.try_get("", "query")?,
                searches,
                clicks: clicks_cell,
                click_through,
            })
        })
        .collect()
}

fn category_gap(row: &QueryResult) -> Result<CategoryGap, DbErr> {
    let category: String = row.try_get("", "category")?;
    Ok(CategoryGap {
        label: category_label(Source::Questions, &category),
        category,
        questions: Cell::of(sql::count(row, "questions")?),
    })
}

async fn questions_without_program(
    db: &DatabaseConnection,
    period: Period,
) -> Result<Vec<CategoryGap>, DbErr> {
    let rows = sql::query(
        db,
        "SELECT category, CAST(SUM(without_program) AS BIGINT) AS questions FROM insights_question_daily \
         WHERE day >= $1 AND day < $2 GROUP BY category ORDER BY questions DESC, category",
        vec![period.from.into(), period.until.into()],
    )
    .await?;
    rows.iter().map(category_gap).collect()
}

/// Questions of the period that waited more than `after_days` for a first answer, or still wait,
/// among those asked at least `after_days` before the day of the latest question roll-up.
async fn unanswered(
    db: &DatabaseConnection,
    period: Period,
    after_days: u32,
) -> Result<Vec<CategoryGap>, DbErr> {
    let latest = sql::query(
        db,
        "SELECT MAX(done_at) AS latest FROM insights_rollups WHERE kind = 'question_day'",
        Vec::new(),
    )
    .await?;
    let latest: Option<DateTime<Utc>> = match latest.first() {
        Some(row) => row.try_get("", "latest")?,
        None => None,
    };
    let latest = latest.map(japan::date_of);
    let Some(old_enough) =
        latest.and_then(|latest| latest.checked_sub_days(Days::new(u64::from(after_days))))
    else {
        return Ok(Vec::new());
    };
    let rows = sql::query(
        db,
        "SELECT category, CAST(SUM(questions) AS BIGINT) AS questions FROM insights_question_answers \
         WHERE day >= $1 AND day < $2 AND (answered_after_days < 0 OR answered_after_days > $3) \
         GROUP BY category ORDER BY questions DESC, category",
        vec![
            period.from.into(),
            period.until.min(old_enough + Days::new(1)).into(),
            i64::from(after_days).into(),
        ],
    )
    .await?;
    rows.iter().map(category_gap).collect()
}
