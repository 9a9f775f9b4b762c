//! Evidence-for-policy benchmark: the roll-ups and every dashboard query at the issue's scale.
//!
//! - PostgreSQL: a fresh database with `KOSODATE_BENCH_SEARCHES` (10,000,000) search-log rows
//!   spread over 13 months (generated with `INSERT … SELECT generate_series`: 400 queries, 40
//!   municipalities, categories, child ages, one search in 23 without results, 2,000 searchers a
//!   day) and a click on one search in 20. Figures: generating, the first roll-up of the whole
//!   history (every hour of the last two days, every day, every week), then the roll-up of one
//!   day (its claim and rows deleted, rolled up again: what the hourly job does after
//!   midnight), and each dashboard query over the roll-ups: volumes for every granularity and
//!   dimension over the last 365 days, the terms of the last complete week, the gaps of the last
//!   90 days, the open-data export of the last 90 days (median of 3 runs each).
//! - SQLite (the embedded default): the same with `KOSODATE_BENCH_SQLITE_SEARCHES` (1,000,000)
//!   rows, generated with a recursive CTE.
//!
//! Questions join when the community's roll-up does. Prints figures; asserts nothing about
//! time. Run:
//!
//! ```text
//! cargo bench -p kosodate-tests --bench insights
//! KOSODATE_BENCH_SEARCHES=1000000 cargo bench -p kosodate-tests --bench insights   # quicker
//! ```
//!
//! `KOSODATE_BENCH_POSTGRES_URL` (postgres://postgres@127.0.0.1:5432/postgres) names the server
//! on which the database is created and dropped. Under `cargo test` it measures nothing.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use kosodate_database::ScratchDatabase;
use kosodate_domain::{MunicipalityCode, japan};
use kosodate_insights::{Area, Areas, Dimension, Granularity, Insights, Period, Source};
use kosodate_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// The day the benchmark takes as today (a Tuesday).
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default()
}

/// 09:00 in Japan today: yesterday is over and settled.
fn now() -> DateTime<Utc> {
    japan::at(today(), NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default())
}

/// Thirteen months of history, ending yesterday.
const HISTORY_DAYS: i64 = 395;
/// Searchers a day: pseudonyms repeat within a day, never across days.
const SEARCHERS_PER_DAY: i64 = 2_000;
const QUERIES: i64 = 400;

const AOMORI: [(&str, &str, &str); 8] = [
    ("022012", "青森市", "東青"),
    ("022021", "弘前市", "中南"),
    ("022039", "八戸市", "三八"),
    ("022047", "黒石市", "中南"),
    ("022055", "五所川原市", "西北"),
    ("022063", "十和田市", "上北"),
    ("022071", "三沢市", "上北"),
    ("022080", "むつ市", "下北"),
];

const WORDS: [&str; 20] = [
    "保育園",
    "児童手当",
    "予防接種",
    "一時預かり",
    "病児保育",
    "出産",
    "妊娠",
    "医療費",
    "学童",
    "発達",
    "ひとり親",
    "育児休業",
    "離乳食",
    "健診",
    "幼稚園",
    "給付金",
    "相談",
    "助成",
    "おむつ",
    "産後ケア",
];

/// A list of SQL strings, for picking one by a computed position.
fn quoted(items: &[&str], quote: char) -> String {
    items
        .iter()
        .map(|item| format!("{quote}{item}{quote}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const SUFFIXES: [&str; 5] = ["", " 申請", " 青森", " いつから", " 対象"];

/// The SELECT that makes search `g` of `total` on PostgreSQL: its hour spreads the searches
/// evenly over the history, its searcher is one of the day's [`SEARCHERS_PER_DAY`].
fn postgres_searches(total: i64) -> String {
    let seconds = HISTORY_DAYS * 86_400;
    let start = japan::start_of(today() - Days::new(HISTORY_DAYS as u64)).to_rfc3339();
    let (words, suffixes) = (quoted(&WORDS, '\''), quoted(&SUFFIXES, '\''));
    let municipalities = quoted(&AOMORI.map(|(code, _, _)| code), '\'');
    format!(
        "SELECT gen_random_uuid()::text, \
         date_trunc('hour', TIMESTAMPTZ '{start}' + (g::bigint * {seconds} / {total}) * INTERVAL '1 second'), \
         (ARRAY[{words}])[1 + (g % {QUERIES}) % 20] || (ARRAY[{suffixes}])[1 + (g % {QUERIES}) / 80], \
         (ARRAY[{municipalities}])[1 + (g * 7) % 8], \
         jsonb_build_object('categories', CASE WHEN g % 3 = 0 THEN '[\"allowance\"]'::jsonb ELSE '[]'::jsonb END, \
           'child_age_months', g % 150, 'open_now', false), \
         CASE WHEN g % 23 = 0 THEN 0 ELSE 5 END, 'all_words', \
         substr(md5(((g::bigint * {seconds} / {total}) / 86400)::text || '-' || (g % {SEARCHERS_PER_DAY})::text), 1, 16)"
    )
}

/// The same on SQLite, for search `n`; hours written as sqlx writes them.
fn sqlite_searches(total: i64) -> String {
    let seconds = HISTORY_DAYS * 86_400;
    let start = japan::start_of(today() - Days::new(HISTORY_DAYS as u64)).timestamp();
    let (words, suffixes) = (quoted(&WORDS, '"'), quoted(&SUFFIXES, '"'));
    let municipalities = quoted(&AOMORI.map(|(code, _, _)| code), '"');
    format!(
        "SELECT lower(hex(randomblob(16))), \
         strftime('%Y-%m-%dT%H:00:00+00:00', {start} + n * {seconds} / {total}, 'unixepoch'), \
         json_extract('[{words}]', '$[' || ((n % {QUERIES}) % 20) || ']') \
           || json_extract('[{suffixes}]', '$[' || ((n % {QUERIES}) / 80) || ']'), \
         json_extract('[{municipalities}]', '$[' || ((n * 7) % 8) || ']'), \
         json_object('categories', json(CASE WHEN n % 3 = 0 THEN '[\"allowance\"]' ELSE '[]' END), \
           'child_age_months', n % 150, 'open_now', json('false')), \
         CASE WHEN n % 23 = 0 THEN 0 ELSE 5 END, 'all_words', \
         substr(hex(((n * {seconds} / {total}) / 86400) || '-' || (n % {SEARCHERS_PER_DAY})), 1, 16)"
    )
}

const INSERT: &str =
    "INSERT INTO search_log (id, searched_hour, query, municipality, filters, result_count, mode, searcher) ";

async fn generate_postgres(db: &DatabaseConnection, total: i64) -> anyhow::Result<()> {
    let chunk = 1_000_000.min(total);
    let mut from = 0;
    while from < total {
        let to = (from + chunk).min(total);
        let sql = format!(
            "{INSERT}{} FROM generate_series({from}, {}) AS g",
            postgres_searches(total),
            to - 1
        );
        db.execute_unprepared(&sql).await?;
        from = to;
    }
    db.execute_unprepared(
        "INSERT INTO search_clicks (id, search_id, program_id, rank, clicked_hour) \
         SELECT gen_random_uuid()::text, id, '0193a6c0-0000-7000-8000-000000000001', 1 + (ascii(id) % 5), searched_hour \
         FROM search_log WHERE ascii(substr(id, 2, 1)) % 20 = 0",
    )
    .await?;
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

async fn generate_sqlite(db: &DatabaseConnection, total: i64) -> anyhow::Result<()> {
    let sql = format!(
        "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < {total}) {INSERT}{} FROM s",
        sqlite_searches(total)
    );
    db.execute_unprepared(&sql).await?;
    db.execute_unprepared(
        "INSERT INTO search_clicks (id, search_id, program_id, rank, clicked_hour) \
         SELECT lower(hex(randomblob(16))), id, '0193a6c0-0000-7000-8000-000000000001', 1, searched_hour \
         FROM search_log WHERE unicode(substr(id, 2, 1)) % 20 = 0",
    )
    .await?;
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

fn areas() -> Areas {
    Areas::new(
        AOMORI
            .iter()
            .filter_map(|(code, name, region)| {
                Some(Area {
                    code: MunicipalityCode::parse(code).ok()?,
                    name: (*name).to_owned(),
                    region: Some((*region).to_owned()),
                })
            })
            .collect(),
    )
}

async fn timed<T, F: Future<Output = anyhow::Result<T>>>(
    what: &str,
    run: F,
) -> anyhow::Result<(T, Duration)> {
    let started = Instant::now();
    let value = run.await?;
    let elapsed = started.elapsed();
    println!("  {what:<58} {:>9.1} ms", elapsed.as_secs_f64() * 1000.0);
    Ok((value, elapsed))
}

/// The median of three runs of a dashboard query.
async fn dashboard<T, F, Fut>(what: &str, mut run: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kosodate_insights::InsightsError>>,
{
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        run().await?;
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "  {what:<58} {:>9.1} ms (median of 3)",
        times[1].as_secs_f64() * 1000.0
    );
    Ok(())
}

async fn measure(db: &DatabaseConnection, label: &str, total: i64) -> anyhow::Result<()> {
    println!("{label}: {total} search-log rows over {HISTORY_DAYS} days");
    let insights = Insights::new(db.clone());
    let (report, _) = timed("first roll-up of the whole history", async {
        Ok(insights.roll_up(now()).await?)
    })
    .await?;
    println!(
        "    ({} hours, {} days, {} weeks)",
        report.hours, report.days, report.weeks
    );
    let yesterday = today() - Days::new(1);
    db.execute_unprepared(&format!(
        "DELETE FROM insights_rollups WHERE kind = 'search_day' AND period = '{yesterday}'"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "DELETE FROM insights_search_daily WHERE day = '{yesterday}'"
    ))
    .await?;
    timed("roll-up of one day (yesterday's searches)", async {
        Ok(insights.roll_up(now()).await?)
    })
    .await?;
    let year = Period::new(today() - Days::new(365), today())?;
    let areas = areas();
    for granularity in [Granularity::Day, Granularity::Week, Granularity::Month] {
        for dimension in [
            Dimension::Total,
            Dimension::Category,
            Dimension::Region,
            Dimension::Municipality,
            Dimension::AgeBand,
        ] {
            let what = format!("volumes of searches, 365 days, {granularity:?} × {dimension:?}");
            dashboard(&what, || {
                insights.volumes(Source::Searches, granularity, dimension, year, &areas)
            })
            .await?;
        }
    }
    let last_week = japan::week_starting(today()) - Days::new(7);
    dashboard("terms of searches, last complete week", || {
        insights.terms(Source::Searches, last_week, 50)
    })
    .await?;
    let quarter = Period::new(today() - Days::new(90), today())?;
    dashboard("gaps, 90 days", || insights.gaps(quarter, 7)).await?;
    dashboard("open data, 90 days", || insights.open_data(quarter, 1.0)).await?;
    Ok(())
}

fn count_from(variable: &str, default: i64) -> i64 {
    std::env::var(variable)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

async fn postgres() -> anyhow::Result<()> {
    let admin = std::env::var("KOSODATE_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let scratch = ScratchDatabase::create(&admin, "kosodate_bench_insights").await?;
    let db = kosodate_database::connect(&scratch.url, 4).await?;
    Migrator::up(&db, None).await?;
    let total = count_from("KOSODATE_BENCH_SEARCHES", 10_000_000);
    timed(
        "PostgreSQL: generating the search log and clicks",
        generate_postgres(&db, total),
    )
    .await?;
    measure(&db, "PostgreSQL", total).await?;
    db.close().await?;
    scratch.drop_now().await?;
    Ok(())
}

async fn sqlite() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let db = kosodate_database::connect(&url, 4).await?;
    Migrator::up(&db, None).await?;
    let total = count_from("KOSODATE_BENCH_SQLITE_SEARCHES", 1_000_000);
    timed(
        "SQLite: generating the search log and clicks",
        generate_sqlite(&db, total),
    )
    .await?;
    measure(&db, "SQLite", total).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if !std::env::args().any(|argument| argument == "--bench") {
        return Ok(());
    }
    postgres().await?;
    sqlite().await?;
    Ok(())
}
