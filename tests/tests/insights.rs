//! Evidence for policy through the running service, on both databases: a search through the API
//! or the page is logged with the browser's day pseudonym and gets an id; a result opened from
//! the page (its link says which result of which search) or reported through the API counts as a
//! click; the roll-ups then see the searches, their searchers and their clicks. The roll-ups and
//! reports themselves are tested in `insights/tests/rollups.rs`.

use std::time::Duration;

use kosodate_insights::{Insights, SETTLE};
use kosodate_tests::{Backend, TestApp, both_backends, call, spawn_app_with};
use serde_json::{Value, json};

both_backends!(searches_carry_a_day_pseudonym_and_clicks_reach_the_roll_ups);

async fn app_with_examples(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| settings.load_examples = Some(true)).await
}

async fn search_log(app: &TestApp, count: usize) -> Vec<sea_orm::QueryResult> {
    app.rows_once(
        "SELECT id, searcher FROM search_log ORDER BY id",
        count,
        Duration::from_secs(5),
    )
    .await
}

async fn searches_carry_a_day_pseudonym_and_clicks_reach_the_roll_ups(backend: Backend) {
    let app = app_with_examples(backend).await;
    let page: Value = call(app.get("/api/v1/programs/search?q=児童手当"), 200).await;
    let search_id = page["search_id"]
        .as_str()
        .expect("a logged search has an id")
        .to_owned();
    let program_id = page["items"][0]["program"]["id"]
        .as_str()
        .expect("a result")
        .to_owned();
    let click = json!({"program_id": program_id, "rank": 1});
    let path = format!("/api/v1/search/{search_id}/clicks");
    let response = app
        .client
        .post(app.url(&path))
        .json(&click)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
    let refused = app
        .client
        .post(app.url(&path))
        .json(&json!({"program_id": "nope", "rank": 0}))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 422);

    // The page: its result links say which result of which search they are.
    let html = app
        .client
        .get(app.url("/search?q=児童手当"))
        .send()
        .await
        .expect("the page")
        .text()
        .await
        .expect("html");
    let start = html.find("href=\"/programs/").expect("a result link") + "href=\"".len();
    let link = &html[start..start + html[start..].find('"').expect("the link ends")];
    assert!(link.contains("?from="), "{link}");
    let opened = app
        .client
        .get(app.url(link))
        .send()
        .await
        .expect("the program page");
    assert_eq!(opened.status(), 200);

    let rows = search_log(&app, 2).await;
    let searchers: Vec<String> = rows
        .iter()
        .map(|row| {
            row.try_get::<Option<String>>("", "searcher")
                .expect("column")
                .expect("a pseudonym")
        })
        .collect();
    assert!(
        searchers.iter().all(|searcher| searcher.len() == 16),
        "{searchers:?}"
    );
    assert_eq!(searchers[0], searchers[1], "one browser, one day: one person");
    let clicks = app
        .rows_once(
            "SELECT search_id, rank FROM search_clicks",
            2,
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(clicks.len(), 2);

    // Roll the day up as if it were over: both searches, one person, two clicks.
    // Past the settling too: a search logged in Japan's first ten minutes of a day would
    // otherwise belong to a day not yet settled a day later.
    let tomorrow = chrono::Utc::now() + chrono::TimeDelta::days(1) + SETTLE;
    let insights = Insights::new(app.db.clone());
    let report = insights.roll_up(tomorrow).await.expect("rolled up");
    assert!(report.days >= 1, "{report:?}");
    let row = app
        .rows_once(
            "SELECT CAST(SUM(searches) AS BIGINT) AS searches, CAST(SUM(clicks) AS BIGINT) AS clicks, \
             CAST(SUM(searchers) AS BIGINT) AS searchers FROM insights_search_daily WHERE category = '*'",
            1,
            Duration::from_secs(1),
        )
        .await;
    let count = |column: &str| row[0].try_get::<i64>("", column).expect("a count");
    assert_eq!(
        (count("searches"), count("clicks"), count("searchers")),
        (2, 2, 1)
    );
}
