//! Program search benchmark at national scale, on the synthetic national corpus of
//! `common/national.rs` (100,000 programs by default, made from the 26 example programs).
//!
//! Then, in one run:
//! - tantivy: indexing rate (upserts of 1,000, one commit, the segments merged into one per
//!   search thread), size on disk, time to re-open the index; p50/p90/p99/max latency and
//!   searches/s, one search at a time (each over the index's parts in parallel), for the relevance
//!   set's queries in three shapes (text; text + municipality; text + municipality + child's age +
//!   open today) and a browse with filters only. The goal is p99 < 5 ms.
//! - PostgreSQL, same corpus in a fresh database: every word `ILIKE '%word%'` over name, summary
//!   and description (with the municipality filter where the shape has one), first without a text
//!   index, then with a pg_trgm GIN index (and ranked by `word_similarity`); each as a ratio to
//!   tantivy's p50 and p99.
//!
//! The engine's own work is measured: the index keeps no recent answers for repeated searches
//! (`search_http` measures the service with them). Prints figures; asserts nothing about time. `cargo bench -p kosodate-tests --bench search`.
//! Under `cargo test` (no `--bench` argument) it measures nothing.
//!
//! `KOSODATE_BENCH_PROGRAMS` (100,000) sizes the corpus. After a warm-up pass over the queries,
//! each tantivy shape runs up to `KOSODATE_BENCH_SEARCH_ROUNDS` (25) passes while they fit in
//! `KOSODATE_BENCH_SEARCH_SECONDS` (15); each PostgreSQL measurement up to 5 passes in
//! `KOSODATE_BENCH_PG_SECONDS` (15), or only its warm-up pass, cut at that time, when a pass is
//! slower than half of it. Programs are indexed with their IPADIC readings, as the server does,
//! when the sources are in `.cache/mecab-ipadic-utf8` (`scripts/ensure-ipadic.sh`);
//! `KOSODATE_BENCH_READINGS=none` indexes without them.
//! `KOSODATE_BENCH_POSTGRES_URL` (postgres://postgres@127.0.0.1:5432/postgres) names the server on
//! which a fresh database is created for the run and dropped after it.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

#[path = "common/national.rs"]
mod national;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use kosodate_database::ScratchDatabase;
use kosodate_migrations::{Migrator, MigratorTrait};
use kosodate_registry::{Category, Program};
use kosodate_search::readings::load_readings;
use kosodate_search::{MatchMode, Opened, Reader, SearchIndex, SearchRequest};
use kosodate_tests::relevance::example_registry;
use national::{
    Case, Owners, SEED, Templates, cases, cores, corpus, describe_corpus, env_count, insert_programs,
    measuring,
};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use strum::VariantArray;

/// Programs per `upsert`, as the registry follower hands them over.
const UPSERT_BATCH: usize = 1_000;
const CHILD_AGE_MONTHS: u32 = 27;
const PAGE: usize = 20;
/// At most this many measured passes over the queries on PostgreSQL: each query is seen as often
/// as a few thousand tantivy searches would take.
const MAX_PG_ROUNDS: usize = 5;
/// What the PostgreSQL baseline searches: the program's words, as a registry without a search
/// engine would.
const TEXT: &str = "(name || ' ' || summary || ' ' || coalesce(description, ''))";
const TRIGRAM_INDEX: &str = "programs_text_trgm";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    Municipality,
    AgeOpen,
    Browse,
}

impl Shape {
    const ALL: [Shape; 4] = [Self::Text, Self::Municipality, Self::AgeOpen, Self::Browse];

    fn label(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Municipality => "text + municipality",
            Self::AgeOpen => "text + municipality + age 27m + open today",
            Self::Browse => "browse: municipality + category + age + open",
        }
    }

    fn request(self, case: &Case, number: usize) -> SearchRequest {
        let query = (self != Self::Browse).then(|| case.query.clone());
        let mut request = SearchRequest::new(query, today());
        request.limit = PAGE;
        if self != Self::Text {
            request.municipality = Some(case.municipality);
        }
        if matches!(self, Self::AgeOpen | Self::Browse) {
            request.child_age_months = Some(CHILD_AGE_MONTHS);
            request.open_on = Some(today());
        }
        if self == Self::Browse {
            request.categories = vec![Category::VARIANTS[number % Category::VARIANTS.len()]];
        }
        request
    }
}

/// How long a measurement may take: passes over the queries, up to `rounds`, while they fit in
/// `time`.
#[derive(Debug, Clone, Copy)]
struct Budget {
    rounds: usize,
    time: Duration,
}

impl Budget {
    /// Measured passes after a warm-up pass that took `pass`: at least one.
    fn rounds_after(self, pass: Duration) -> usize {
        let fit = self.time.as_secs_f64() / pass.as_secs_f64().max(1e-6);
        (fit as usize).clamp(1, self.rounds.max(1))
    }
}

/// Latencies of one measurement, sorted.
#[derive(Debug, Clone)]
struct Latencies {
    samples: Vec<Duration>,
    /// Measured passes over the queries (0: the warm-up pass is reported).
    rounds: usize,
    /// Wall time of the measured passes.
    wall: Duration,
}

impl Latencies {
    fn new(mut samples: Vec<Duration>, rounds: usize, wall: Duration) -> Self {
        samples.sort_unstable();
        Self {
            samples,
            rounds,
            wall,
        }
    }

    /// Nearest rank.
    fn percentile(&self, share: f64) -> Duration {
        let rank = (share * self.samples.len() as f64).ceil() as usize;
        self.samples
            .get(rank.saturating_sub(1))
            .copied()
            .unwrap_or_default()
    }

    fn per_second(&self) -> f64 {
        self.samples.len() as f64 / self.wall.as_secs_f64()
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// What the searches of one shape found (from the warm-up pass).
#[derive(Debug, Default)]
struct Found {
    total: usize,
    all_words: usize,
    some_words: usize,
    empty: usize,
    /// Each request's total and mode.
    each: Vec<(usize, MatchMode)>,
    /// The requests with the highest median latency, slowest first.
    slowest: Vec<(usize, Duration)>,
}

/// The `count` requests with the highest median latency; `samples` hold passes one after another.
fn slowest(samples: &[Duration], requests: usize, count: usize) -> Vec<(usize, Duration)> {
    let mut medians: Vec<(usize, Duration)> = (0..requests)
        .map(|request| {
            let mut own: Vec<Duration> = samples.iter().skip(request).step_by(requests).copied().collect();
            own.sort_unstable();
            (request, own.get(own.len() / 2).copied().unwrap_or_default())
        })
        .collect();
    medians.sort_by_key(|(_, median)| std::cmp::Reverse(*median));
    medians.truncate(count);
    medians
}

#[derive(Debug)]
struct Indexing {
    elapsed: Duration,
    bytes: u64,
    segments: usize,
    reopen: Duration,
    first_search: Duration,
}

/// Bytes and segments of the index directory (tantivy keeps it flat; one `.store` per segment).
fn index_files(directory: &Path) -> anyhow::Result<(u64, usize)> {
    let mut bytes = 0;
    let mut segments = 0;
    for entry in std::fs::read_dir(directory)? {
        let entry = entry?;
        bytes += entry.metadata()?.len();
        if entry
            .path()
            .extension()
            .is_some_and(|extension| extension == "store")
        {
            segments += 1;
        }
    }
    Ok((bytes, segments))
}

/// Indexes the corpus on disk, then drops and re-opens the index as a restarted server would.
fn build_index(
    directory: &Path,
    programs: &[Program],
    readings: Option<&Arc<dyn Reader>>,
    probe: &Case,
) -> anyhow::Result<(SearchIndex, Indexing)> {
    let (index, opened) = SearchIndex::open(Some(directory), readings.cloned())?;
    anyhow::ensure!(opened == Opened::Empty, "the index directory was not empty");
    let started = Instant::now();
    for (number, batch) in programs.chunks(UPSERT_BATCH).enumerate() {
        index.upsert(batch)?;
        let done = (number + 1) * UPSERT_BATCH;
        if done.is_multiple_of(20_000) {
            println!("  upserted {done} ({:.1} s)", started.elapsed().as_secs_f64());
        }
    }
    let upserted = started.elapsed();
    index.commit(None)?;
    let committed = started.elapsed();
    // As the server does after a bulk build (`kosodate reindex`, a first start).
    let merged = index.compact()?;
    let elapsed = started.elapsed();
    println!(
        "  committed: upserts {:.1} s, commit {:.1} s, {merged} segments merged into {} (one per search \
         thread) in {:.1} s",
        upserted.as_secs_f64(),
        (committed - upserted).as_secs_f64(),
        index.segments(),
        (elapsed - committed).as_secs_f64()
    );
    drop(index);
    let (bytes, segments) = index_files(directory)?;
    let started = Instant::now();
    let (index, opened) = SearchIndex::open(Some(directory), readings.cloned())?;
    let reopen = started.elapsed();
    // Every pass asks the same queries again: kept answers would measure memory, not the engine.
    index.keep_recent_answers(0)?;
    anyhow::ensure!(opened == Opened::Existing, "the index was rebuilt on re-opening");
    anyhow::ensure!(
        index.len() == programs.len(),
        "re-opened index holds {} programs",
        index.len()
    );
    let started = Instant::now();
    index.search(&Shape::Text.request(probe, 0))?;
    let first_search = started.elapsed();
    let indexing = Indexing {
        elapsed,
        bytes,
        segments,
        reopen,
        first_search,
    };
    Ok((index, indexing))
}

/// One pass untimed (warming caches and counting what is found), then `rounds` timed passes.
fn time_searches(
    index: &SearchIndex,
    requests: &[SearchRequest],
    budget: Budget,
) -> anyhow::Result<(Latencies, Found)> {
    let mut found = Found::default();
    let started = Instant::now();
    for request in requests {
        let results = index.search(request)?;
        found.total += results.total;
        found.empty += usize::from(results.total == 0);
        found.each.push((results.total, results.mode));
        match results.mode {
            MatchMode::AllWords => found.all_words += 1,
            MatchMode::SomeWords => found.some_words += 1,
            MatchMode::Browse => {}
        }
    }
    let rounds = budget.rounds_after(started.elapsed());
    let mut samples = Vec::with_capacity(requests.len() * rounds);
    let started = Instant::now();
    for _ in 0..rounds {
        for request in requests {
            let began = Instant::now();
            let results = index.search(request)?;
            samples.push(began.elapsed());
            std::hint::black_box(results);
        }
    }
    found.slowest = slowest(&samples, requests.len(), 3);
    Ok((Latencies::new(samples, rounds, started.elapsed()), found))
}

fn print_latency_header() {
    println!(
        "  {:<46} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "shape", "runs", "p50 ms", "p90 ms", "p99 ms", "max ms", "per s"
    );
}

fn print_latencies(label: &str, latencies: &Latencies) {
    println!(
        "  {label:<46} {:>7} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>9.0}",
        latencies.samples.len(),
        ms(latencies.percentile(0.5)),
        ms(latencies.percentile(0.9)),
        ms(latencies.percentile(0.99)),
        ms(latencies.percentile(1.0)),
        latencies.per_second(),
    );
}

/// A measured row of the summary.
#[derive(Debug, Clone)]
struct Row {
    shape: Shape,
    engine: String,
    latencies: Latencies,
}

fn print_slowest(cases: &[Case], found: &Found) {
    let slowest: Vec<String> = found
        .slowest
        .iter()
        .map(|(request, median)| {
            let (total, mode) = found
                .each
                .get(*request)
                .copied()
                .unwrap_or((0, MatchMode::Browse));
            let text = cases.get(*request).map_or("", |case| case.text.as_str());
            format!("「{text}」 {:.0} ms ({total} found, {mode:?})", ms(*median))
        })
        .collect();
    println!("  {:<46} slowest: {}", "", slowest.join("; "));
}

fn search_shapes(index: &SearchIndex, cases: &[Case], budget: Budget) -> anyhow::Result<Vec<Row>> {
    println!(
        "\ntantivy: {} queries per shape, up to {} passes in {} s after a warm-up pass, one at a time, \
         page of {PAGE}",
        cases.len(),
        budget.rounds,
        budget.time.as_secs()
    );
    print_latency_header();
    let mut rows = Vec::new();
    for shape in Shape::ALL {
        let requests: Vec<SearchRequest> = cases
            .iter()
            .enumerate()
            .map(|(number, case)| shape.request(case, number))
            .collect();
        let (latencies, found) = time_searches(index, &requests, budget)?;
        print_latencies(shape.label(), &latencies);
        println!(
            "  {:<46} mean total {:.0}, all words {}, some words {}, nothing found {}",
            "",
            found.total as f64 / requests.len() as f64,
            found.all_words,
            found.some_words,
            found.empty
        );
        if shape != Shape::Browse {
            print_slowest(cases, &found);
        }
        rows.push(Row {
            shape,
            engine: "tantivy".to_owned(),
            latencies,
        });
    }
    Ok(rows)
}

/// The requests of the breakdown: a shape with one part changed.
type Variant = (&'static str, fn(&Case, usize) -> SearchRequest);

fn browse(case: &Case) -> SearchRequest {
    let mut request = SearchRequest::new(None, today());
    request.limit = PAGE;
    request.municipality = Some(case.municipality);
    request
}

fn page_of_one(request: SearchRequest) -> SearchRequest {
    SearchRequest { limit: 1, ..request }
}

fn variants() -> [Variant; 7] {
    [
        ("text + municipality, page of 1", |case, number| {
            page_of_one(Shape::Municipality.request(case, number))
        }),
        ("browse: nothing", |_, _| SearchRequest::new(None, today())),
        ("browse: municipality", |case, _| browse(case)),
        ("browse: municipality, page of 1", |case, _| {
            page_of_one(browse(case))
        }),
        ("browse: municipality + open today", |case, _| SearchRequest {
            open_on: Some(today()),
            ..browse(case)
        }),
        ("browse: municipality + age 27m", |case, _| SearchRequest {
            child_age_months: Some(CHILD_AGE_MONTHS),
            ..browse(case)
        }),
        ("browse: municipality + category", |case, number| SearchRequest {
            categories: vec![Category::VARIANTS[number % Category::VARIANTS.len()]],
            ..browse(case)
        }),
    ]
}

/// Where a search's time goes: the shapes above with one part changed (a page of one program
/// reads one stored document and makes one snippet; each browse filter alone).
fn breakdown(index: &SearchIndex, cases: &[Case], budget: Budget) -> anyhow::Result<()> {
    println!(
        "\ntantivy breakdown: one part changed, up to {} passes in {} s",
        budget.rounds,
        budget.time.as_secs()
    );
    print_latency_header();
    for (label, request) in variants() {
        let requests: Vec<SearchRequest> = cases
            .iter()
            .enumerate()
            .map(|(number, case)| request(case, number))
            .collect();
        let (latencies, _) = time_searches(index, &requests, budget)?;
        print_latencies(label, &latencies);
    }
    Ok(())
}

/// A SQL string literal (standard_conforming_strings is on: only quotes double).
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `%word%` with LIKE's own characters escaped.
fn like_pattern(word: &str) -> String {
    let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    literal(&format!("%{escaped}%"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SqlKind {
    /// Every word `ILIKE '%word%'`, by name.
    Ilike,
    /// The whole query `<%` the text (pg_trgm word similarity), most similar first.
    WordSimilarity,
}

/// The baseline's SQL for a case. Values are written into the text rather than bound, so that
/// every execution is planned for its own patterns (a generic plan cannot tell a 2-character
/// pattern, which no trigram helps, from a longer one).
fn sql(kind: SqlKind, case: &Case, shape: Shape) -> String {
    let normalized = kosodate_search::normalize(&case.text);
    let mut conditions = vec!["status = 'published'".to_owned()];
    let order = match kind {
        SqlKind::Ilike => {
            conditions.extend(
                normalized
                    .split_whitespace()
                    .map(|word| format!("{TEXT} ILIKE {}", like_pattern(word))),
            );
            "name".to_owned()
        }
        SqlKind::WordSimilarity => {
            let query = literal(&normalized);
            conditions.push(format!("{query} <% {TEXT}"));
            format!("word_similarity({query}, {TEXT}) DESC, name")
        }
    };
    if shape != Shape::Text {
        conditions.push(format!(
            "owner_code IN ('national', '020001', {})",
            literal(case.municipality.as_str())
        ));
    }
    format!(
        "SELECT id, name FROM programs WHERE {} ORDER BY {order} LIMIT {PAGE}",
        conditions.join(" AND ")
    )
}

/// Runs the statements once in a shuffled order (warming up, and timing the pass), then as many
/// more passes as fit in the budget. When the warm-up pass takes more than half of it, that pass is
/// what is reported, cut where the budget ran out (the shuffle keeps the part a fair sample).
async fn time_sql(
    db: &DatabaseConnection,
    statements: &[String],
    budget: Budget,
) -> anyhow::Result<(Latencies, SqlNote)> {
    let run = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_owned());
    let mut order: Vec<&String> = statements.iter().collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(SEED));
    let mut warm = Vec::with_capacity(order.len());
    let mut rows = 0;
    let started = Instant::now();
    for sql in &order {
        if started.elapsed() > budget.time {
            break;
        }
        let began = Instant::now();
        rows += db.query_all_raw(run(sql)).await?.len();
        warm.push(began.elapsed());
    }
    let pass = started.elapsed();
    let note = SqlNote {
        queries: warm.len(),
        mean_rows: rows as f64 / warm.len().max(1) as f64,
    };
    if pass > budget.time / 2 {
        return Ok((Latencies::new(warm, 0, pass), note));
    }
    let rounds = budget.rounds_after(pass);
    let mut samples = Vec::with_capacity(order.len() * rounds);
    let started = Instant::now();
    for _ in 0..rounds {
        for sql in &order {
            let statement = run(sql);
            let began = Instant::now();
            let result = db.query_all_raw(statement).await?;
            samples.push(began.elapsed());
            std::hint::black_box(result);
        }
    }
    Ok((Latencies::new(samples, rounds, started.elapsed()), note))
}

/// What the warm-up pass of a SQL measurement ran and found.
#[derive(Debug, Clone, Copy)]
struct SqlNote {
    queries: usize,
    mean_rows: f64,
}

/// Times `kind` for the text and text + municipality shapes.
async fn sql_shapes(
    db: &DatabaseConnection,
    cases: &[Case],
    kind: SqlKind,
    engine: &str,
    budget: Budget,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for shape in [Shape::Text, Shape::Municipality] {
        let statements: Vec<String> = cases.iter().map(|case| sql(kind, case, shape)).collect();
        let (latencies, note) = time_sql(db, &statements, budget).await?;
        let label = format!("{engine}, {}", shape.label());
        print_latencies(&label, &latencies);
        let measured = match latencies.rounds {
            0 => format!(
                "warm-up pass only, {} of {} queries",
                note.queries,
                statements.len()
            ),
            rounds => format!("{rounds} measured round(s)"),
        };
        println!("  {:<46} {measured}, mean rows {:.1}", "", note.mean_rows);
        rows.push(Row {
            shape,
            engine: engine.to_owned(),
            latencies,
        });
    }
    Ok(rows)
}

async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await?
        .context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// How many of the text-only ILIKE queries the planner answers with the trigram index.
async fn trigram_plans(db: &DatabaseConnection, cases: &[Case]) -> anyhow::Result<usize> {
    let mut using = 0;
    for case in cases {
        let explain = format!("EXPLAIN {}", sql(SqlKind::Ilike, case, Shape::Text));
        let plan = db
            .query_all_raw(Statement::from_string(DbBackend::Postgres, explain))
            .await?;
        let uses = plan.iter().any(|line| {
            line.try_get_by_index::<String>(0)
                .is_ok_and(|text| text.contains(TRIGRAM_INDEX))
        });
        using += usize::from(uses);
    }
    Ok(using)
}

/// Creates the pg_trgm GIN index; `None` when the extension is not installed here.
async fn trigram_index(db: &DatabaseConnection) -> anyhow::Result<Option<(Duration, i64)>> {
    if let Err(error) = db
        .execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        .await
    {
        println!("  pg_trgm is not available on this server ({error}): skipping the trigram measurements");
        return Ok(None);
    }
    let started = Instant::now();
    db.execute_unprepared(&format!(
        "CREATE INDEX {TRIGRAM_INDEX} ON programs USING gin ({TEXT} gin_trgm_ops)"
    ))
    .await?;
    let built = started.elapsed();
    db.execute_unprepared("ANALYZE programs").await?;
    let bytes = scalar_i64(db, &format!("SELECT pg_relation_size('{TRIGRAM_INDEX}')")).await?;
    Ok(Some((built, bytes)))
}

#[derive(Debug, Default)]
struct PgFigures {
    insert: Duration,
    table_bytes: i64,
    /// Build time and size of the trigram index, when pg_trgm is available.
    trigram: Option<(Duration, i64)>,
    trigram_plans: usize,
    rows: Vec<Row>,
}

async fn postgres_measurements(
    db: &DatabaseConnection,
    programs: &[Program],
    cases: &[Case],
    budget: Budget,
) -> anyhow::Result<PgFigures> {
    Migrator::up(db, None).await?;
    let insert = insert_programs(db, programs).await?;
    db.execute_unprepared("VACUUM ANALYZE programs").await?;
    let table_bytes = scalar_i64(db, "SELECT pg_total_relation_size('programs')").await?;
    println!(
        "  inserted {} programs in {:.1} s ({:.0} /s), table with indexes and TOAST {:.1} MB",
        programs.len(),
        insert.as_secs_f64(),
        programs.len() as f64 / insert.as_secs_f64(),
        table_bytes as f64 / 1e6
    );
    print_latency_header();
    let mut rows = sql_shapes(db, cases, SqlKind::Ilike, "ILIKE, no text index", budget).await?;
    let trigram = trigram_index(db).await?;
    let mut trigram_plans_count = 0;
    if let Some((built, bytes)) = trigram {
        trigram_plans_count = trigram_plans(db, cases).await?;
        println!(
            "  pg_trgm GIN index: built in {:.1} s, {:.1} MB; the planner uses it for {trigram_plans_count} \
             of {} text-only ILIKE queries",
            built.as_secs_f64(),
            bytes as f64 / 1e6,
            cases.len()
        );
        rows.extend(sql_shapes(db, cases, SqlKind::Ilike, "ILIKE, pg_trgm GIN", budget).await?);
        let ranked = sql_shapes(
            db,
            cases,
            SqlKind::WordSimilarity,
            "pg_trgm <% word_similarity",
            budget,
        );
        rows.extend(ranked.await?);
    }
    Ok(PgFigures {
        insert,
        table_bytes,
        trigram,
        trigram_plans: trigram_plans_count,
        rows,
    })
}

/// In a fresh database, dropped afterwards whatever happened.
async fn postgres(programs: &[Program], cases: &[Case], budget: Budget) -> anyhow::Result<PgFigures> {
    let admin_url = std::env::var("KOSODATE_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    println!(
        "\nPostgreSQL: the same corpus in a fresh database; each measurement up to {} passes in {} s",
        budget.rounds,
        budget.time.as_secs()
    );
    let scratch = ScratchDatabase::create(&admin_url, "kosodate_bench_search").await?;
    let db = kosodate_database::connect(&scratch.url, 2).await?;
    let outcome = postgres_measurements(&db, programs, cases, budget).await;
    db.close().await?;
    scratch.drop_now().await?;
    outcome
}

fn ratio(numerator: Duration, denominator: Duration) -> String {
    match denominator.is_zero() {
        true => "-".to_owned(),
        false => format!("{:.1}×", numerator.as_secs_f64() / denominator.as_secs_f64()),
    }
}

fn summary(count: usize, indexing: &Indexing, tantivy: &[Row], postgres: Option<&PgFigures>) {
    println!("\nsummary: {count} programs, {} cores", cores());
    println!(
        "  tantivy indexing: {:.0} programs/s ({:.1} s), {:.1} MB on disk in {} segment(s); \
         re-open {:.0} ms, first search after {:.1} ms",
        count as f64 / indexing.elapsed.as_secs_f64(),
        indexing.elapsed.as_secs_f64(),
        indexing.bytes as f64 / 1e6,
        indexing.segments,
        ms(indexing.reopen),
        ms(indexing.first_search),
    );
    if let Some(pg) = postgres {
        println!(
            "  PostgreSQL insert: {:.0} programs/s, {:.1} MB",
            count as f64 / pg.insert.as_secs_f64(),
            pg.table_bytes as f64 / 1e6
        );
        if let Some((built, bytes)) = pg.trigram {
            println!(
                "  pg_trgm GIN index: {:.1} s to build, {:.1} MB, used for {} text-only queries",
                built.as_secs_f64(),
                bytes as f64 / 1e6,
                pg.trigram_plans
            );
        }
    }
    println!(
        "\n  {:<46} {:<28} {:>8} {:>8} {:>10} {:>10}",
        "shape", "engine", "p50 ms", "p99 ms", "p50 ratio", "p99 ratio"
    );
    let pg_rows = postgres.map(|pg| pg.rows.as_slice()).unwrap_or_default();
    for base in tantivy {
        let (p50, p99) = (base.latencies.percentile(0.5), base.latencies.percentile(0.99));
        let goal = match p99 < Duration::from_millis(5) {
            true => "goal met",
            false => "goal NOT met",
        };
        println!(
            "  {:<46} {:<28} {:>8.2} {:>8.2} {goal:>21}",
            base.shape.label(),
            base.engine,
            ms(p50),
            ms(p99),
        );
        for row in pg_rows.iter().filter(|row| row.shape == base.shape) {
            let (row_p50, row_p99) = (row.latencies.percentile(0.5), row.latencies.percentile(0.99));
            println!(
                "  {:<46} {:<28} {:>8.2} {:>8.2} {:>10} {:>10}",
                "",
                row.engine,
                ms(row_p50),
                ms(row_p99),
                ratio(row_p50, p50),
                ratio(row_p99, p99),
            );
        }
    }
    println!("  (ratio: PostgreSQL ÷ tantivy for the same shape; goal: tantivy p99 < 5 ms)");
}

/// The IPADIC readings, as the server uses them when their sources are there
/// (`scripts/ensure-ipadic.sh`); `KOSODATE_BENCH_READINGS=none` indexes without them.
fn readings() -> anyhow::Result<Option<Arc<dyn Reader>>> {
    if std::env::var("KOSODATE_BENCH_READINGS").is_ok_and(|value| value == "none") {
        println!("readings: none (KOSODATE_BENCH_READINGS=none)");
        return Ok(None);
    }
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/mecab-ipadic-utf8");
    let started = Instant::now();
    let Some(morphology) = load_readings(&source)? else {
        println!(
            "readings: none (no IPADIC sources in {}; see scripts/ensure-ipadic.sh)",
            source.display()
        );
        return Ok(None);
    };
    println!(
        "readings: IPADIC, as the server indexes (dictionary loaded in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(Some(morphology))
}

fn main() -> anyhow::Result<()> {
    if !measuring("search benchmark") {
        return Ok(());
    }
    let count = env_count("KOSODATE_BENCH_PROGRAMS", 100_000);
    let seconds = |name, default| u64::try_from(env_count(name, default)).map(Duration::from_secs);
    let search_budget = Budget {
        rounds: env_count("KOSODATE_BENCH_SEARCH_ROUNDS", 25),
        time: seconds("KOSODATE_BENCH_SEARCH_SECONDS", 15)?,
    };
    let sql_budget = Budget {
        rounds: MAX_PG_ROUNDS,
        time: seconds("KOSODATE_BENCH_PG_SECONDS", 15)?,
    };
    println!("search benchmark: {count} programs, {} cores", cores());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let scratch = tempfile::tempdir()?;
    let (_registry, examples) = runtime.block_on(example_registry(scratch.path()))?;
    let owners = Owners::load()?;
    let templates = Templates::new(examples, &owners);
    let started = Instant::now();
    let programs = corpus(&templates, &owners, count);
    println!("  generated in {:.1} s", started.elapsed().as_secs_f64());
    describe_corpus(&programs, &owners);
    let cases = cases(&owners.aomori)?;
    let probe = cases.first().context("the relevance set is empty")?;

    let readings = readings()?;
    println!("\ntantivy indexing: upserts of {UPSERT_BATCH}, one commit, on disk");
    let directory = scratch.path().join("index");
    let (index, indexing) = build_index(&directory, &programs, readings.as_ref(), probe)?;
    let tantivy = search_shapes(&index, &cases, search_budget)?;
    let smaller = Budget {
        rounds: search_budget.rounds,
        time: search_budget.time / 5,
    };
    breakdown(&index, &cases, smaller)?;
    drop(index);

    let postgres = runtime.block_on(postgres(&programs, &cases, sql_budget));
    if let Err(error) = &postgres {
        println!("\nPostgreSQL measurements failed: {error:#}");
    }
    summary(count, &indexing, &tantivy, postgres.as_ref().ok());
    postgres.map(|_| ())
}
