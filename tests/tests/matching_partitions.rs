//! A full re-match shared by processes, one of them SIGKILLed mid-run: the run still finishes,
//! and its stored states and change events are exactly those of a run in one process that
//! nobody killed, each event once. On PostgreSQL two `kosodate match` processes share the run
//! and the survivor takes over the dead one's partitions when their leases run out; on SQLite
//! (one process at a time) the killed process's run is finished by the next one, in this test's
//! own process, through the same code path. A process renews its leases while it works, so
//! that a slow partition stays its own.
//!
//! The processes are the `kosodate` binary next to this test executable: `cargo build -p
//! kosodate-server` (which `scripts/test` runs) must have built it.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use kosodate_households::{ConsentMethod, Households};
use kosodate_matching::partitions::{self, RunTotals};
use kosodate_matching::synthetic::{self, Population};
use kosodate_matching::{MatchPolicy, MatchReport, MatchRunner, Sharing};
use kosodate_registry::{Registry, StaffIdentity};
use kosodate_tests::processes::{KosodateProcess, fresh_database, kosodate_command, log_tail};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const SEED: u64 = 19;
const HOUSEHOLDS: u64 = 3_000;
const PROGRAMS: usize = 300;
/// Small partitions, so that a run has many and a kill lands among them.
const PARTITION: u64 = 60;
/// Short leases, so that the dead process's partitions are taken over within the test.
const LEASE_SECONDS: u64 = 2;
const TIMEOUT: Duration = Duration::from_secs(300);

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
}

/// Six weeks on: ages, windows and deadlines have moved, so the run records events of many
/// kinds, not only first matches.
fn run_day() -> NaiveDate {
    first_day() + Days::new(45)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_loses_nothing_on_postgres() {
    let database = fresh_database().await;
    populate(&database.connection).await;
    // The same data in a second database, for the run nobody kills.
    database.connection.clone().close().await.unwrap();
    let reference_url = copy_postgres(&database.url).await;
    let db = kosodate_database::connect(&database.url, 5).await.unwrap();
    let directory = tempfile::tempdir().unwrap();
    let environment = environment(&database.url, directory.path());
    let match_args = ["match", "--today", &run_day().to_string()];
    let spawn = |name: &str| {
        let log = directory.path().join(format!("{name}.log"));
        KosodateProcess::spawn(kosodate_command(
            &match_args,
            &environment,
            directory.path(),
            &log,
        ))
    };
    let mut victim = spawn("victim");
    let mut survivor = spawn("survivor");
    let orphaned = kill_mid_run(&db, &mut victim, directory.path()).await;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = survivor.exited() {
            break status;
        }
        assert!(started.elapsed() < TIMEOUT, "{}", logs(directory.path()));
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{}", logs(directory.path()));
    let totals = finished_totals(&db).await;
    assert!(totals.reclaimed >= orphaned, "{totals:?}, {orphaned} orphaned");

    let reference = kosodate_database::connect(&reference_url, 5).await.unwrap();
    assert_same_outcome(&db, &reference, totals).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_loses_nothing_on_sqlite() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("kosodate.sqlite");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let db = kosodate_database::connect(&url, 5).await.unwrap();
    kosodate_server::startup::migrate(&db).await.unwrap();
    populate(&db).await;
    db.close().await.unwrap();
    let reference_file = directory.path().join("reference.sqlite");
    for suffix in ["", "-wal"] {
        let from = format!("{}{suffix}", file.display());
        if Path::new(&from).exists() {
            std::fs::copy(&from, format!("{}{suffix}", reference_file.display())).unwrap();
        }
    }
    let db = kosodate_database::connect(&url, 5).await.unwrap();
    let environment = environment(&url, directory.path());
    let match_args = ["match", "--today", &run_day().to_string()];
    let log = directory.path().join("victim.log");
    let command = kosodate_command(&match_args, &environment, directory.path(), &log);
    let mut victim = KosodateProcess::spawn(command);
    let orphaned = kill_mid_run(&db, &mut victim, directory.path()).await;
    // The next full run of the day, here, joins the dead one's run and finishes it.
    let report = runner(&db).run_full(run_day()).await.unwrap();
    assert!(report.partitions > 0, "{report:?}");
    let totals = finished_totals(&db).await;
    assert!(totals.reclaimed >= orphaned, "{totals:?}, {orphaned} orphaned");

    let reference_url = format!("sqlite://{}?mode=rw", reference_file.display());
    let reference = kosodate_database::connect(&reference_url, 5).await.unwrap();
    assert_same_outcome(&db, &reference, totals).await;
}

/// A process that renews its leases keeps its partitions past a lease's first end; a lease let
/// lapse is claimed again by the next process (on SQLite, the statements PostgreSQL runs too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_lease_keeps_its_partition() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        directory.path().join("leases.sqlite").display()
    );
    let db = kosodate_database::connect(&url, 2).await.unwrap();
    kosodate_server::startup::migrate(&db).await.unwrap();
    populate(&db).await;
    let run = partitions::open_or_create(&db, run_day(), PARTITION)
        .await
        .unwrap();
    let lease_ms = 200;
    let renewed = partitions::claim(&db, run, "pid 1 a", lease_ms)
        .await
        .unwrap()
        .unwrap();
    let lapsed = partitions::claim(&db, run, "pid 1 a", lease_ms)
        .await
        .unwrap()
        .unwrap();
    // Renewing extends both of the process's leases; then the second one is let lapse.
    assert_eq!(partitions::renew(&db, run, "pid 1 a", 60_000).await.unwrap(), 2);
    let sql = format!(
        "UPDATE match_partitions SET lease_until_ms = 0 WHERE run_id = {} AND number = {}",
        run.id, lapsed.number
    );
    db.execute_unprepared(&sql).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let taken = partitions::claim(&db, run, "pid 2 b", 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        taken.number, lapsed.number,
        "a lapsed lease is claimed again, first"
    );
    let next = partitions::claim(&db, run, "pid 2 b", 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        next.number, renewed.number,
        "a renewed lease is not, past its first end"
    );
    // The process whose lapsed partition was taken does not take it back by renewing.
    assert_eq!(partitions::renew(&db, run, "pid 1 a", 60_000).await.unwrap(), 1);
}

/// The households and programs, matched once on the first day in this process.
async fn populate(db: &DatabaseConnection) {
    let registry = Registry::new(db.clone());
    let records = synthetic::published_records(synthetic::programs(SEED, PROGRAMS, first_day()));
    registry
        .import(&StaffIdentity::administrator("test"), records, false, |_| {})
        .await
        .unwrap();
    let households: Vec<_> = Population::new(SEED, first_day())
        .households(HOUSEHOLDS)
        .collect();
    Households::new(db.clone())
        .insert_many(&households, true, Some((ConsentMethod::Online, 1)))
        .await
        .unwrap();
    let first = runner(db).run_full(first_day()).await.unwrap();
    assert_eq!(first.households, HOUSEHOLDS, "{first:?}");
}

fn runner(db: &DatabaseConnection) -> MatchRunner {
    let sharing = Sharing {
        partition_size: PARTITION,
        lease: Duration::from_secs(LEASE_SECONDS),
    };
    MatchRunner::new(
        Households::new(db.clone()),
        Registry::new(db.clone()),
        MatchPolicy::default(),
    )
    .with_sharing(sharing)
}

fn environment(database_url: &str, directory: &Path) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", database_url.to_owned()),
        ("KOSODATE_DATA_DIR", directory.display().to_string()),
        ("KOSODATE_LOAD_EXAMPLES", "false".to_owned()),
        ("KOSODATE_MATCH_PARTITION_HOUSEHOLDS", PARTITION.to_string()),
        ("KOSODATE_MATCH_LEASE_SECONDS", LEASE_SECONDS.to_string()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

/// SIGKILLs `victim` once some partitions are done and it holds leases on others; returns how
/// many partitions it left claimed but not done.
async fn kill_mid_run(db: &DatabaseConnection, victim: &mut KosodateProcess, logs_in: &Path) -> u64 {
    let owner = format!("pid {}", victim.id());
    let started = Instant::now();
    loop {
        let done = count(
            db,
            "SELECT COUNT(*) FROM match_partitions WHERE done_ms IS NOT NULL",
        )
        .await;
        let held = held_by(db, &owner).await;
        if done >= 2 && held > 0 {
            break;
        }
        assert!(
            victim.exited().is_none(),
            "the victim ended first:\n{}",
            logs(logs_in)
        );
        assert!(started.elapsed() < TIMEOUT, "{}", logs(logs_in));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    victim.kill();
    let orphaned = held_by(db, &owner).await;
    assert!(
        orphaned > 0,
        "the victim finished what it held before the kill landed"
    );
    let open = count(db, "SELECT COUNT(*) FROM match_runs WHERE finished_ms IS NULL").await;
    assert_eq!(open, 1, "the kill must land mid-run");
    orphaned
}

async fn held_by(db: &DatabaseConnection, owner: &str) -> u64 {
    let sql = format!(
        "SELECT COUNT(*) FROM match_partitions WHERE leased_by LIKE '{owner} %' AND done_ms IS NULL \
         AND lease_until_ms IS NOT NULL"
    );
    count(db, &sql).await
}

/// The day's run, finished, with every partition done once.
async fn finished_totals(db: &DatabaseConnection) -> RunTotals {
    let run = count(db, "SELECT MAX(id) FROM match_runs WHERE finished_ms IS NOT NULL").await;
    let open = count(db, "SELECT COUNT(*) FROM match_runs WHERE finished_ms IS NULL").await;
    assert_eq!(open, 0);
    let totals = partitions::totals(db, i64::try_from(run).unwrap()).await.unwrap();
    assert_eq!(totals.done, totals.partitions, "{totals:?}");
    assert_eq!(
        totals.partitions,
        HOUSEHOLDS.div_ceil(PARTITION) + 1,
        "{totals:?}"
    );
    totals
}

/// The killed run's states and events equal those of one process's run over the reference
/// copy, and each event was recorded once.
async fn assert_same_outcome(db: &DatabaseConnection, reference: &DatabaseConnection, totals: RunTotals) {
    let one_process: MatchReport = runner(reference).run_full(run_day()).await.unwrap();
    let (states, expected_states) = (states(db).await, states(reference).await);
    assert_eq!(states.len() as u64, HOUSEHOLDS);
    assert!(
        states == expected_states,
        "the stored states differ from a run nobody killed"
    );
    let (events, expected_events) = (events(db, run_day()).await, events(reference, run_day()).await);
    let new_events: u64 = one_process.events.values().sum();
    assert!(new_events > 0 && expected_events.len() as u64 == new_events);
    let kinds: std::collections::BTreeSet<&String> = expected_events.iter().map(|event| &event[2]).collect();
    assert!(
        kinds.len() >= 2,
        "the run records events of several kinds: {kinds:?}"
    );
    assert_eq!(
        events.len(),
        expected_events.len(),
        "as many change events as without a kill"
    );
    assert!(
        events == expected_events,
        "the change events differ from a run nobody killed"
    );
    assert_eq!(
        totals.events, new_events,
        "each partition's events are counted once: {totals:?}"
    );
}

async fn states(db: &DatabaseConnection) -> Vec<(String, i64, Vec<u8>, String, String)> {
    let sql = "SELECT household_id, fingerprint, state, CAST(evaluated_on AS TEXT) AS evaluated_on, \
               COALESCE(CAST(next_check AS TEXT), '') AS next_check \
               FROM household_matches ORDER BY household_id";
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get("", "household_id").unwrap(),
                row.try_get("", "fingerprint").unwrap(),
                row.try_get("", "state").unwrap(),
                row.try_get("", "evaluated_on").unwrap(),
                row.try_get("", "next_check").unwrap(),
            )
        })
        .collect()
}

/// The events recorded on `day`, by their content (ids and creation times differ by run).
async fn events(db: &DatabaseConnection, day: NaiveDate) -> Vec<Vec<String>> {
    let columns = [
        "household_id",
        "program_id",
        "kind",
        "anchor_on",
        "opens_on",
        "closes_on",
    ];
    let selected: Vec<String> = columns
        .iter()
        .map(|column| format!("COALESCE(CAST({column} AS TEXT), '') AS {column}"))
        .collect();
    let sql = format!(
        "SELECT {} FROM match_events WHERE CAST(occurs_on AS TEXT) = '{day}' ORDER BY {}",
        selected.join(", "),
        columns.join(", ")
    );
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            columns
                .iter()
                .map(|column| row.try_get("", column).unwrap())
                .collect()
        })
        .collect()
}

async fn count(db: &DatabaseConnection, sql: &str) -> u64 {
    let sql = format!("SELECT CAST(COALESCE(({sql}), 0) AS BIGINT) AS n");
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    u64::try_from(row.try_get::<i64>("", "n").unwrap()).unwrap()
}

/// A copy of the PostgreSQL database at `url` (no connections open to it), named after it.
async fn copy_postgres(url: &str) -> String {
    let (base, name) = url.rsplit_once('/').unwrap();
    let copy = format!("{name}_reference");
    let admin = kosodate_database::connect(&format!("{base}/postgres"), 1)
        .await
        .unwrap();
    let statement = format!("CREATE DATABASE {copy} TEMPLATE {name}");
    // Connections of the pool just closed may linger a moment on the server side.
    let started = Instant::now();
    while let Err(error) = admin.execute_unprepared(&statement).await {
        assert!(started.elapsed() < Duration::from_secs(10), "{error}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    admin.close().await.unwrap();
    format!("{base}/{copy}")
}

fn logs(directory: &Path) -> String {
    let mut text = String::new();
    for name in ["victim", "survivor"] {
        let tail = log_tail(&directory.join(format!("{name}.log")), 20);
        text.push_str(&format!("--- {name} ---\n{tail}\n"));
    }
    text
}
