//! Program search over HTTP at national scale: the service itself (this binary's optimised build
//! of `kosodate-server`, started in-process as `kosodate serve` starts it) on a fresh PostgreSQL
//! database holding the national corpus of `common/national.rs` (100,000 programs by default,
//! indexed with IPADIC readings when `scripts/ensure-ipadic.sh` has prepared them), driven by
//! `wrk` (`scripts/ensure-wrk.sh`) with keep-alive connections over a mixed set of
//! `GET /api/v1/programs/search` requests: each query of the relevance set in the four shapes of
//! the search benchmark (text; text + municipality; text + municipality + age + open today;
//! browse by municipality + category + age + open today). The search log is on, as in service.
//!
//! Prints requests/s, p50/p90/p99 latency and errors (non-2xx responses, socket errors), with
//! the load average beside them (the machine may be shared). The goal is ≥ 5,000 requests/s on
//! 2 cores. Asserts nothing about time. `cargo bench -p kosodate-tests --bench search_http`.
//! Under `cargo test` (no `--bench` argument) it measures nothing.
//!
//! `KOSODATE_BENCH_HTTP_RECENT_ANSWERS` sets how many answers the index keeps for repeated
//! searches (the service's default, 2,048, when unset; 0 keeps none, so that every request
//! searches). `KOSODATE_BENCH_PROGRAMS` (100,000) sizes the corpus;
//! `KOSODATE_BENCH_HTTP_SECONDS` (30) is each wrk run; `KOSODATE_BENCH_HTTP_CONNECTIONS` (32) the connections, over
//! `KOSODATE_BENCH_HTTP_THREADS` (1) wrk threads; `KOSODATE_BENCH_POSTGRES_URL`
//! (postgres://postgres@127.0.0.1:5432/postgres) the server on which a fresh database is created
//! for the run and dropped after it.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

#[path = "common/national.rs"]
mod national;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use kosodate_database::ScratchDatabase;
use kosodate_domain::Vocabulary;
use kosodate_migrations::{Migrator, MigratorTrait};
use kosodate_registry::Category;
use kosodate_tests::relevance::example_registry;
use kosodate_tests::{Backend, test_settings, with_dictionary};
use national::{
    Case, Owners, Templates, cases, cores, corpus, describe_corpus, env_count, insert_programs, measuring,
};
use secrecy::SecretString;
use strum::VariantArray;
use tokio::sync::oneshot;

const CHILD_AGE_MONTHS: u32 = 27;

/// The request paths: each case in each shape, shapes interleaved.
fn paths(cases: &[Case]) -> Vec<String> {
    let mut paths = Vec::with_capacity(cases.len() * 4);
    for (number, case) in cases.iter().enumerate() {
        let q = url::form_urlencoded::byte_serialize(case.text.as_bytes()).collect::<String>();
        let municipality = case.municipality.as_str();
        let category = Category::VARIANTS[number % Category::VARIANTS.len()].id();
        let age = format!("child_age_months={CHILD_AGE_MONTHS}&open_now=true");
        paths.extend([
            format!("/api/v1/programs/search?q={q}"),
            format!("/api/v1/programs/search?q={q}&municipality={municipality}"),
            format!("/api/v1/programs/search?q={q}&municipality={municipality}&{age}"),
            format!("/api/v1/programs/search?municipality={municipality}&category={category}&{age}"),
        ]);
    }
    paths
}

/// A wrk script that sends the paths in turn (each wrk thread from its own start).
fn lua_script(paths: &[String]) -> String {
    let quoted: Vec<String> = paths.iter().map(|path| format!("  {path:?},")).collect();
    format!(
        "local paths = {{\n{}\n}}\nlocal index = math.random(#paths)\n\
         request = function()\n  index = index % #paths + 1\n  return wrk.format(\"GET\", paths[index])\nend\n",
        quoted.join("\n")
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// Every path once, as a parent's browser would send it: all must answer 200.
async fn check_paths(base: &str, paths: &[String]) -> anyhow::Result<Duration> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    for path in paths {
        let response = client.get(format!("{base}{path}")).send().await?;
        let status = response.status();
        anyhow::ensure!(status.is_success(), "{path} answered {status}");
        response.bytes().await?;
    }
    Ok(started.elapsed())
}

/// What a wrk run reported.
#[derive(Debug, Default)]
struct WrkFigures {
    requests_per_second: f64,
    p50: String,
    p90: String,
    p99: String,
    non_2xx: u64,
    socket_errors: String,
}

fn parse_wrk(output: &str) -> WrkFigures {
    let mut figures = WrkFigures {
        socket_errors: "none".to_owned(),
        ..WrkFigures::default()
    };
    for line in output.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(rate)) => {
                figures.requests_per_second = rate.parse().unwrap_or_default()
            }
            (Some("50%"), Some(latency)) => figures.p50 = latency.to_owned(),
            (Some("90%"), Some(latency)) => figures.p90 = latency.to_owned(),
            (Some("99%"), Some(latency)) => figures.p99 = latency.to_owned(),
            _ => {}
        }
        if let Some(count) = line.strip_prefix("Non-2xx or 3xx responses:") {
            figures.non_2xx = count.trim().parse().unwrap_or_default();
        }
        if let Some(errors) = line.strip_prefix("Socket errors:") {
            figures.socket_errors = errors.trim().to_owned();
        }
    }
    figures
}

fn run_wrk(
    base: &str,
    script: &Path,
    connections: usize,
    threads: usize,
    seconds: usize,
) -> anyhow::Result<String> {
    let output = Command::new("wrk")
        .args(["--latency", "--timeout", "10s"])
        .arg(format!("-c{connections}"))
        .arg(format!("-t{threads}"))
        .arg(format!("-d{seconds}s"))
        .arg("-s")
        .arg(script)
        .arg(base)
        .output()
        .context("cannot run wrk: run scripts/ensure-wrk.sh")?;
    anyhow::ensure!(
        output.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `KOSODATE_BENCH_HTTP_RECENT_ANSWERS`: how many answers the index keeps for repeated searches
/// (the service's default when unset; 0 makes every request search).
fn recent_answers() -> Option<usize> {
    std::env::var("KOSODATE_BENCH_HTTP_RECENT_ANSWERS")
        .ok()
        .and_then(|value| value.parse().ok())
}

/// The corpus in a fresh database, the service on it, and wrk against it.
async fn measure(database_url: &str, cases: &[Case], scratch: &Path) -> anyhow::Result<()> {
    let mut settings = test_settings(Backend::Sqlite, scratch).await?;
    settings.database_url = Some(SecretString::from(database_url.to_owned()));
    settings.max_connections = 10;
    settings.search.recent_answers = recent_answers();
    println!(
        "recent answers kept: {}",
        settings
            .search
            .recent_answers
            .map_or_else(|| "the default".to_owned(), |capacity| capacity.to_string())
    );
    if ipadic_ready() {
        with_dictionary(&mut settings);
    }
    let (stop, stopped) = oneshot::channel::<()>();
    let started = Instant::now();
    let server = kosodate_server::startup::start(&settings, async {
        let _ = stopped.await;
    })
    .await?;
    println!(
        "service started in {:.1} s (search index built from the database)",
        started.elapsed().as_secs_f64()
    );
    let base = format!("http://{}", server.address);
    let paths = paths(cases);
    let checked = check_paths(&base, &paths).await?;
    println!(
        "  {} distinct requests, each answered 200 once (one at a time, {:.2} ms each on average)",
        paths.len(),
        checked.as_secs_f64() * 1e3 / paths.len() as f64
    );
    let script = scratch.join("search.lua");
    std::fs::write(&script, lua_script(&paths))?;
    let seconds = env_count("KOSODATE_BENCH_HTTP_SECONDS", 30);
    let connections = env_count("KOSODATE_BENCH_HTTP_CONNECTIONS", 32);
    let threads = env_count("KOSODATE_BENCH_HTTP_THREADS", 1);
    println!(
        "\nwrk: {connections} keep-alive connections, {threads} thread(s), {seconds} s per run, after a 5 s warm-up"
    );
    println!(
        "  {:<10} {:>12} {:>9} {:>9} {:>9} {:>8}  {:<16} load average before/after",
        "run", "requests/s", "p50", "p90", "p99", "non-2xx", "socket errors"
    );
    let warm = base.clone();
    let warm_script = script.clone();
    tokio::task::spawn_blocking(move || run_wrk(&warm, &warm_script, connections, threads, 5)).await??;
    for run in 1..=2 {
        let before = load_average();
        let (base, script) = (base.clone(), script.clone());
        let output =
            tokio::task::spawn_blocking(move || run_wrk(&base, &script, connections, threads, seconds))
                .await??;
        let figures = parse_wrk(&output);
        println!(
            "  {:<10} {:>12.0} {:>9} {:>9} {:>9} {:>8}  {:<16} {before} / {}",
            format!("run {run}"),
            figures.requests_per_second,
            figures.p50,
            figures.p90,
            figures.p99,
            figures.non_2xx,
            figures.socket_errors,
            load_average()
        );
    }
    println!(
        "  (goal: ≥ 5,000 requests/s on 2 cores; the machine's load average is that of all its processes)"
    );
    let _ = stop.send(());
    server.task.await??;
    Ok(())
}

fn ipadic_ready() -> bool {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.cache/mecab-ipadic-utf8/.complete")
        .is_file()
}

fn main() -> anyhow::Result<()> {
    if !measuring("search HTTP benchmark") {
        return Ok(());
    }
    let count = env_count("KOSODATE_BENCH_PROGRAMS", 100_000);
    println!("search HTTP benchmark: {count} programs, {} cores", cores());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let scratch = tempfile::tempdir()?;
    let (_registry, examples) = runtime.block_on(example_registry(scratch.path()))?;
    let owners = Owners::load()?;
    let templates = Templates::new(examples, &owners);
    let programs = corpus(&templates, &owners, count);
    describe_corpus(&programs, &owners);
    let cases = cases(&owners.aomori)?;
    let admin_url = std::env::var("KOSODATE_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    runtime.block_on(async {
        let database = ScratchDatabase::create(&admin_url, "kosodate_bench_search_http").await?;
        let db = kosodate_database::connect(&database.url, 2).await?;
        Migrator::up(&db, None).await?;
        let inserted = insert_programs(&db, &programs).await?;
        println!("inserted {count} programs in {:.1} s", inserted.as_secs_f64());
        db.close().await?;
        let outcome = measure(&database.url, &cases, scratch.path()).await;
        database.drop_now().await?;
        outcome
    })
}
