//! A long write on SQLite (a 100,000-row import, say) must not turn other writes into
//! "database is locked" 500s: a write waits its turn in the writer lane, and one that cannot get
//! it in time is refused with 503 problem+json and `Retry-After`, having saved nothing. SQLite
//! only: PostgreSQL writers do not take one lock for the whole database.

use std::time::Duration;

use kosodate_tests::{AOMORI_CITY_TOKEN, Backend, call, expect_status, program_body, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_behind_a_long_one_waits_its_turn_or_is_refused_with_retry_after() {
    let app = spawn_app(Backend::Sqlite).await;
    // The test process shares the server's writer lane for this file, as a long import would.
    let long_write = kosodate_database::begin_write(&app.db)
        .await
        .expect("a long write begins");
    let refused = app
        .post("/api/v1/programs", AOMORI_CITY_TOKEN)
        .json(&program_body("022012", "待たされる制度"))
        .send()
        .await
        .expect("the request reaches the server");
    let retry_after = refused
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let problem = expect_status(refused, 503).await;
    assert_eq!(problem["type"], "/problems/busy", "{problem}");
    assert!(problem["detail_en"].as_str().is_some_and(|text| !text.is_empty()));
    assert_eq!(retry_after.as_deref(), Some("5"));
    let listed = call(
        app.get("/api/v1/programs?status=draft")
            .bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was half-saved"
    );

    // A write that arrives while the long one is still running waits for it and succeeds.
    let waiting = tokio::spawn({
        let request = app
            .post("/api/v1/programs", AOMORI_CITY_TOKEN)
            .json(&program_body("022012", "順番を待つ制度"));
        async move { request.send().await.expect("the request reaches the server") }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    long_write.commit().await.expect("the long write ends");
    let created = expect_status(waiting.await.expect("the request task"), 201).await;
    assert_eq!(created["name"], "順番を待つ制度");
}

/// The search log is written in the background, where nobody can be told to try again: a batch
/// that meets a long write waits for it (here longer than SQLite's busy timeout) instead of
/// being dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_logged_during_a_long_write_is_kept() {
    let app = spawn_app(Backend::Sqlite).await;
    let long_write = kosodate_database::begin_write(&app.db)
        .await
        .expect("a long write begins");
    call(app.get("/api/v1/programs/search?q=児童手当"), 200).await;
    // Past the five seconds SQLite waits for a lock, so the first try of the batch fails.
    tokio::time::sleep(Duration::from_secs(7)).await;
    long_write.commit().await.expect("the long write ends");
    let logged = app
        .rows_once("SELECT query FROM search_log", 1, Duration::from_secs(20))
        .await
        .len();
    assert_eq!(
        logged, 1,
        "the search made while the database was busy is in the log"
    );
}
