//! Several servers and workers on one PostgreSQL, as in production: two `kosodate serve` and two
//! `kosodate worker` processes, requests sent round-robin to both servers (a public read, a page,
//! and a program created by a municipality's token) while the workers deliver planned notices
//! through the LINE and SMTP test peers. One server and one worker are SIGKILLed mid-run: every
//! request after the kill to the surviving server succeeds, every program created through either
//! server is stored once and read back through the survivor, every notice is delivered, none
//! twice on LINE (its retry key drops repeats), and email repeats no more than once per killed
//! worker (the bound `notice_delivery.rs` explains).
//!
//! The processes are the `kosodate` binary next to this test executable: `cargo build -p
//! kosodate-server` (which `scripts/test` runs) must have built it.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use kosodate_registry::Registry;
use kosodate_test_peers::line::LineContractServer;
use kosodate_test_peers::smtp::SmtpServer;
use kosodate_tests::notice_fixtures::{
    Progress, assert_line_delivered_each_once, assert_mail_arrived, create_recipients, enqueue_notices,
};
use kosodate_tests::processes::{KosodateProcess, fresh_database, kosodate_command, log_tail};

const LINE_TOKEN: &str = "test-line-channel-access-token";
/// The staff token the test writes with: 青森市's.
const STAFF_TOKEN: &str = "multi-process-aomori-city";
const LINE_NOTICES: usize = 600;
const EMAIL_NOTICES: usize = 300;
/// Mail per second, both workers together: slow enough that delivery outlasts the kill.
const EMAIL_PER_SECOND: &str = "40";
const TIMEOUT: Duration = Duration::from_secs(180);

/// What every process of the test shares: the database and the peers.
fn environment(database_url: &str, smtp_url: &str, line_base: &str) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", database_url),
        // The test migrated the database; processes starting together need not race to check.
        ("KOSODATE_MIGRATE_ON_START", "false"),
        ("KOSODATE_LOAD_EXAMPLES", "false"),
        ("KOSODATE_MATCH_TICK_MINUTES", "0"),
        ("KOSODATE_NOTICES__WORKER_IN_SERVER", "false"),
        ("KOSODATE_NOTICES__SMTP_URL", smtp_url),
        ("KOSODATE_NOTICES__LINE_CHANNEL_ACCESS_TOKEN", LINE_TOKEN),
        ("KOSODATE_NOTICES__LINE_API_BASE", line_base),
        ("KOSODATE_NOTICES__IDLE_POLL_MILLIS", "100"),
        ("KOSODATE_NOTICES__LEASE_SECONDS", "3"),
        ("KOSODATE_NOTICES__BATCH_SIZE", "20"),
        ("KOSODATE_NOTICES__CONCURRENCY", "20"),
        ("KOSODATE_NOTICES__EMAIL_PER_SECOND", EMAIL_PER_SECOND),
        (
            "KOSODATE_API_TOKENS",
            "[{name=\"青森市 こども支援課\", organisation=\"022012\", token=\"multi-process-aomori-city\"}]",
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

/// A process of the test, each with a data directory and a log of its own.
fn spawn(directory: &Path, name: &str, args: &[&str], environment: &[(String, String)]) -> KosodateProcess {
    let data = directory.join(name);
    std::fs::create_dir_all(&data).unwrap();
    let mut environment = environment.to_vec();
    environment.push(("KOSODATE_DATA_DIR".into(), data.display().to_string()));
    let log = directory.join(format!("{name}.log"));
    KosodateProcess::spawn(kosodate_command(args, &environment, &data, &log))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn logs(directory: &Path) -> String {
    ["server-1", "server-2", "worker-1", "worker-2"]
        .iter()
        .map(|name| {
            format!(
                "--- {name} ---\n{}\n",
                log_tail(&directory.join(format!("{name}.log")), 15)
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_and_worker_lose_no_request_and_no_notice() {
    let db = fresh_database().await;
    Registry::new(db.connection.clone())
        .load_examples_if_empty()
        .await
        .unwrap();
    let recipients = create_recipients(&db.connection, LINE_NOTICES, EMAIL_NOTICES)
        .await
        .unwrap();
    let smtp = SmtpServer::start().await.unwrap();
    let line = LineContractServer::start(LINE_TOKEN).await.unwrap();
    line.set_latency(Duration::from_millis(1));
    let directory = tempfile::tempdir().unwrap();
    let environment = environment(&db.url, &smtp.url(), &line.base_url());
    let ports = [free_port(), free_port()];
    let mut servers: Vec<KosodateProcess> = (0..2)
        .map(|index| {
            let mut environment = environment.clone();
            environment.push(("KOSODATE_LISTEN".into(), format!("127.0.0.1:{}", ports[index])));
            spawn(
                directory.path(),
                &format!("server-{}", index + 1),
                &["serve"],
                &environment,
            )
        })
        .collect();
    let client = reqwest::Client::new();
    let urls: Vec<String> = ports
        .iter()
        .map(|port| format!("http://127.0.0.1:{port}"))
        .collect();
    for url in &urls {
        wait_ready(&client, url, directory.path()).await;
    }
    let notices = enqueue_notices(&db.connection, &recipients).await;
    let mut workers: Vec<KosodateProcess> = (1..=2)
        .map(|number| {
            spawn(
                directory.path(),
                &format!("worker-{number}"),
                &["worker"],
                &environment,
            )
        })
        .collect();

    // Round-robin until some notices are out, then the kills.
    let started = Instant::now();
    let mut requests = 0;
    let mut created = Vec::new();
    while Progress::read(&db.connection).await.sent() < notices.len() / 5 {
        let url = &urls[requests % 2];
        assert_request_succeeds(&client, url, directory.path()).await;
        created.push(create_program(&client, url, created.len(), directory.path()).await);
        requests += 1;
        assert!(started.elapsed() < TIMEOUT, "{}", logs(directory.path()));
    }
    servers[0].kill();
    workers[0].kill();
    let sent_at_kill = Progress::read(&db.connection).await.sent();
    assert!(sent_at_kill < notices.len(), "the kills must land mid-run");

    // The surviving server answers every request while the surviving worker delivers the rest.
    let mut after_kill = 0;
    loop {
        assert_request_succeeds(&client, &urls[1], directory.path()).await;
        created.push(create_program(&client, &urls[1], created.len(), directory.path()).await);
        after_kill += 1;
        let progress = Progress::read(&db.connection).await;
        if progress.sent() == notices.len() {
            break;
        }
        assert!(
            started.elapsed() < TIMEOUT,
            "not everything was sent: {progress:?}\n{}",
            logs(directory.path())
        );
        assert!(workers[1].exited().is_none(), "{}", logs(directory.path()));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        after_kill > 10,
        "requests reached the surviving server after the kill"
    );
    assert!(servers[1].exited().is_none(), "{}", logs(directory.path()));
    assert_programs_stored_once(&db.connection, &client, &urls[1], &created).await;
    drop(workers);
    assert_line_delivered_each_once(&line, &notices);
    assert_mail_arrived(&smtp, &notices, 1).await;
}

async fn wait_ready(client: &reqwest::Client, url: &str, directory: &Path) {
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(format!("{url}/readyz")).send().await
            && response.status().is_success()
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{url} never became ready\n{}",
            logs(directory)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A public read and a page, each answered 200.
async fn assert_request_succeeds(client: &reqwest::Client, url: &str, directory: &Path) {
    for path in ["/api/v1/programs", "/"] {
        let response = client.get(format!("{url}{path}")).send().await;
        let status = response.as_ref().map(reqwest::Response::status);
        assert!(
            status.is_ok_and(|status| status.is_success()),
            "GET {url}{path}: {status:?}\n{}",
            logs(directory)
        );
    }
}

/// Creates a draft program through `url` with the staff token; its id.
async fn create_program(client: &reqwest::Client, url: &str, number: usize, directory: &Path) -> String {
    let body = kosodate_tests::program_body("022012", &format!("{PROGRAM_PREFIX}{number}"));
    let response = client
        .post(format!("{url}/api/v1/programs"))
        .bearer_auth(STAFF_TOKEN)
        .json(&body)
        .send()
        .await;
    let status = response.as_ref().map(reqwest::Response::status).ok();
    assert_eq!(
        status,
        Some(reqwest::StatusCode::CREATED),
        "POST {url}/api/v1/programs\n{}",
        logs(directory)
    );
    let created: serde_json::Value = response.unwrap().json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

/// The names of the programs the test creates.
const PROGRAM_PREFIX: &str = "多重起動テストの制度";

/// Every program created through either server is stored once and reads back through `survivor`.
async fn assert_programs_stored_once(
    db: &sea_orm::DatabaseConnection,
    client: &reqwest::Client,
    survivor: &str,
    created: &[String],
) {
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT COUNT(*) AS stored FROM programs WHERE name LIKE '{PROGRAM_PREFIX}%'"),
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: i64 = row.try_get("", "stored").unwrap();
    assert_eq!(usize::try_from(stored).unwrap(), created.len());
    for id in created {
        let response = client
            .get(format!("{survivor}/api/v1/programs/{id}"))
            .bearer_auth(STAFF_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{id}");
    }
}
