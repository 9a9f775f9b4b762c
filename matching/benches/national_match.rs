//! A full re-match shared by several processes on one PostgreSQL: the first run over a synthetic
//! population (every household new, so every state and a first-match event written), with 1, 2
//! and 3 processes in turn, then 2 processes of which one is SIGKILLed mid-run. Prints, for each,
//! households/s, the total time, each process's peak RSS, the database size and the machine's
//! load average beside it; and for the killed run, whether the stored states (an order-free hash
//! of `household_matches`) and the number of change events equal those of the run nobody killed.
//! Asserts nothing about time.
//!
//! The processes are this benchmark's own executable, started again with `--worker`: each runs
//! `MatchRunner::run_full`, the code path of `kosodate match` and `kosodate worker`, and joins the
//! run the first one created.
//!
//! The households are the synthetic Aomori population (`synthetic::Population`); the catalogue
//! gives each household about as many applicable programs as 100,000 programs over 47
//! prefectures would (500 national, ~43 of its prefecture, ~56 of its municipality: ~600): the
//! Aomori catalogue of `synthetic::programs` plus `synthetic::national_programs`. Programs of other
//! prefectures never apply to an Aomori household, so they would add only to the catalogue each
//! process loads once, not to the work per household.
//!
//! `cargo bench -p kosodate-matching --bench national_match`. Sizes:
//! `KOSODATE_BENCH_HOUSEHOLDS` (1,000,000), `KOSODATE_BENCH_AOMORI_PROGRAMS` (2,500),
//! `KOSODATE_BENCH_NATIONAL_PROGRAMS` (450), `KOSODATE_BENCH_PROCESSES` (1,2,3);
//! `KOSODATE_BENCH_KILL=0` leaves out the killed run (for a long run at 10,000,000).
//! `KOSODATE_BENCH_POSTGRES_URL` (postgres://postgres@127.0.0.1:5432/postgres) names the server on
//! which a fresh database is created for the run and dropped after it. Under `cargo test` (no
//! `--bench` argument) it measures nothing.

#![allow(clippy::print_stdout, clippy::unwrap_used)] // a benchmark prints its figures

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kosodate_database::ScratchDatabase;
use kosodate_households::{ConsentMethod, Households};
use kosodate_matching::synthetic::{self, Population};
use kosodate_matching::{MatchPolicy, MatchRunner, Sharing};
use kosodate_migrations::{Migrator, MigratorTrait};
use kosodate_registry::{Registry, StaffIdentity};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const SEED: u64 = 20_261_205;
/// Households generated and inserted at once, to keep the benchmark's own memory modest.
const INSERT_CHUNK: u64 = 50_000;
/// The lease of the killed run: short, so that the survivor takes over soon after the kill.
const KILL_LEASE_SECONDS: u64 = 10;

fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if let Some(position) = args.iter().position(|arg| arg == "--worker") {
        let url = args.get(position + 1).cloned().unwrap_or_default();
        let lease = args
            .get(position + 2)
            .and_then(|text| text.parse().ok())
            .unwrap_or(60);
        return runtime.block_on(worker(&url, lease));
    }
    if !args.iter().any(|arg| arg == "--bench") {
        return Ok(());
    }
    runtime.block_on(coordinate())
}

/// One process's share of the run: its report, and its peak memory, on one line of stdout.
async fn worker(url: &str, lease_seconds: u64) -> anyhow::Result<()> {
    let db = kosodate_database::connect(url, 6).await?;
    let sharing = Sharing {
        lease: Duration::from_secs(lease_seconds),
        ..Sharing::default()
    };
    let runner = MatchRunner::new(
        Households::new(db.clone()),
        Registry::new(db.clone()),
        MatchPolicy::default(),
    )
    .with_sharing(sharing);
    let report = runner.run_full(reference_date()).await?;
    println!(
        "worker pid={} partitions={} households={} peak_rss_kib={}",
        std::process::id(),
        report.partitions,
        report.households,
        peak_rss_kib()
    );
    Ok(())
}

/// This process's peak resident set (`VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

async fn coordinate() -> anyhow::Result<()> {
    let admin_url = std::env::var("KOSODATE_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("kosodate_bench_national_match_{}", std::process::id());
    let scratch = ScratchDatabase::create(&admin_url, &name).await?;
    let result = async {
        let db = kosodate_database::connect(&scratch.url, 4).await?;
        populate(&db).await?;
        measure(&db, &scratch.url).await?;
        db.close().await?;
        anyhow::Ok(())
    }
    .await;
    scratch.drop_now().await?;
    result
}

async fn populate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let households = env_count("KOSODATE_BENCH_HOUSEHOLDS", 1_000_000);
    let aomori = env_count("KOSODATE_BENCH_AOMORI_PROGRAMS", 2_500) as usize;
    let national = env_count("KOSODATE_BENCH_NATIONAL_PROGRAMS", 450) as usize;
    let today = reference_date();
    Migrator::up(db, None).await?;
    kosodate_registry::seed::seed_municipalities(db).await?;
    let started = Instant::now();
    let programs = synthetic::programs(SEED, aomori, today).into_iter().chain(
        synthetic::national_programs(SEED + 1, national, today)
            .into_iter()
            .map(|mut program| {
                // Named apart from the Aomori catalogue's own national programs.
                program.name.insert_str(0, "全国 ");
                program
            }),
    );
    let records = synthetic::published_records(programs);
    let count = records.len();
    Registry::new(db.clone())
        .import(&StaffIdentity::administrator("bench"), records, false, |_| {})
        .await?;
    println!("programs: {count} published in {:.1?}", started.elapsed());
    let started = Instant::now();
    let population = Population::new(SEED, today);
    let store = Households::new(db.clone());
    for start in (0..households).step_by(INSERT_CHUNK as usize) {
        let end = (start + INSERT_CHUNK).min(households);
        let chunk: Vec<_> = (start..end).map(|index| population.household(index)).collect();
        store
            .insert_many(&chunk, true, Some((ConsentMethod::Online, 1)))
            .await?;
    }
    db.execute_unprepared("ANALYZE").await?;
    println!(
        "households: {households} inserted with consent in {:.1?} ({})",
        started.elapsed(),
        load()
    );
    Ok(())
}

async fn measure(db: &DatabaseConnection, url: &str) -> anyhow::Result<()> {
    let households = env_count("KOSODATE_BENCH_HOUSEHOLDS", 1_000_000);
    let counts = std::env::var("KOSODATE_BENCH_PROCESSES").unwrap_or_else(|_| "1,2,3".into());
    let mut two_process_outcome = None;
    for processes in counts
        .split(',')
        .filter_map(|text| text.trim().parse::<usize>().ok())
    {
        reset(db).await?;
        let label = format!("{processes} process(es)");
        let (elapsed, lines) = run(url, processes, 60, None).await?;
        report(db, &label, households, elapsed, &lines).await?;
        if processes == 2 {
            two_process_outcome = Some(outcome(db).await?);
        }
    }
    if env_count("KOSODATE_BENCH_KILL", 1) == 0 {
        return Ok(());
    }
    reset(db).await?;
    let (elapsed, lines) = run(url, 2, KILL_LEASE_SECONDS, Some(0.4)).await?;
    report(
        db,
        "2 processes, one SIGKILLed at 40 %",
        households,
        elapsed,
        &lines,
    )
    .await?;
    let killed = outcome(db).await?;
    let reclaimed = scalar(db, "SELECT COUNT(*) FROM match_partitions WHERE claims > 1").await?;
    println!("  partitions claimed again after the kill: {reclaimed}");
    match two_process_outcome {
        Some(expected) => println!(
            "  states hash and events {:?} vs without a kill {:?}: {}",
            killed,
            expected,
            if killed == expected {
                "the same"
            } else {
                "DIFFERENT"
            }
        ),
        None => println!("  states hash and events {killed:?} (no 2-process run to compare with)"),
    }
    Ok(())
}

/// Forgets every stored state, event and run, so that each measurement is a first run.
async fn reset(db: &DatabaseConnection) -> anyhow::Result<()> {
    db.execute_unprepared("TRUNCATE household_matches, match_events, match_runs, match_partitions")
        .await?;
    db.execute_unprepared("VACUUM ANALYZE household_matches, match_events")
        .await?;
    Ok(())
}

/// Starts `processes` workers one after the other and waits for them; with `kill_at`, SIGKILLs
/// the first once that share of the partitions is done. Returns the wall time and each
/// surviving worker's report line.
async fn run(
    url: &str,
    processes: usize,
    lease_seconds: u64,
    kill_at: Option<f64>,
) -> anyhow::Result<(Duration, Vec<String>)> {
    let executable = std::env::current_exe()?;
    let started = Instant::now();
    let spawn = || -> anyhow::Result<Child> {
        Ok(Command::new(&executable)
            .args(["--worker", url, &lease_seconds.to_string()])
            .stdout(Stdio::piped())
            .spawn()?)
    };
    let mut children: Vec<Child> = (0..processes).map(|_| spawn()).collect::<Result<_, _>>()?;
    if let Some(share) = kill_at {
        let db = kosodate_database::connect(url, 1).await?;
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let total = scalar(&db, "SELECT COUNT(*) FROM match_partitions").await?;
            let done = scalar(
                &db,
                "SELECT COUNT(*) FROM match_partitions WHERE done_ms IS NOT NULL",
            )
            .await?;
            if total > 0 && done as f64 >= total as f64 * share {
                break;
            }
            if children[0].try_wait()?.is_some() {
                println!("  the run ended before the kill");
                break;
            }
        }
        let mut victim = children.remove(0);
        // Fails only when it already exited, which the wait then reaps.
        let _ = victim.kill();
        victim.wait()?;
        println!("  killed one process at {:.1?}", started.elapsed());
        db.close().await?;
    }
    let mut lines = Vec::new();
    for child in children {
        let output = child.wait_with_output()?;
        anyhow::ensure!(output.status.success(), "a worker failed: {}", output.status);
        lines.push(String::from_utf8_lossy(&output.stdout).trim().to_owned());
    }
    Ok((started.elapsed(), lines))
}

async fn report(
    db: &DatabaseConnection,
    label: &str,
    households: u64,
    elapsed: Duration,
    lines: &[String],
) -> anyhow::Result<()> {
    let size = scalar(db, "SELECT pg_database_size(current_database())").await?;
    let events = scalar(db, "SELECT COUNT(*) FROM match_events").await?;
    println!(
        "{label}: {households} households in {:.1} s = {:.0} households/s; {events} events; \
         database {:.0} MiB; load {}",
        elapsed.as_secs_f64(),
        households as f64 / elapsed.as_secs_f64(),
        size as f64 / 1_048_576.0,
        load()
    );
    for line in lines {
        println!("  {line}");
    }
    Ok(())
}

/// An order-free hash of every stored state, and the number of change events.
async fn outcome(db: &DatabaseConnection) -> anyhow::Result<(i64, i64)> {
    let hash = scalar(
        db,
        "SELECT COALESCE(SUM(hashtextextended(household_id || ':' || fingerprint || ':' || \
         encode(state, 'hex') || ':' || evaluated_on || ':' || COALESCE(next_check::text, ''), 0) \
         % 1000000007), 0)::bigint FROM household_matches",
    )
    .await?;
    Ok((hash, scalar(db, "SELECT COUNT(*) FROM match_events").await?))
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let sql = format!("SELECT CAST(({sql}) AS BIGINT) AS value");
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row"))?;
    Ok(row.try_get("", "value")?)
}

/// The machine's load averages (1, 5, 15 minutes): other builders share its two cores.
fn load() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    format!(
        "{} on {} cores",
        fields.join(" "),
        std::thread::available_parallelism().map_or(0, usize::from)
    )
}
