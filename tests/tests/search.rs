//! Program search through the API, on both databases: Japanese queries find the example programs,
//! filters and pages behave, the index follows every publish, change and archive (in this process
//! and in a second server on the same database), and the search log keeps only what it may.

#![allow(clippy::print_stderr)] // reports how soon a change became searchable
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::{Duration, Instant};

use kosodate_tests::{
    AOMORI_CITY_TOKEN, Backend, PREFECTURE_TOKEN, TestApp, both_backends, call, program_body, spawn_app_with,
    test_settings,
};
use serde_json::{Value, json};

both_backends!(
    japanese_queries_find_the_example_programs,
    filters_facets_and_pages,
    the_index_follows_publish_change_and_archive,
    the_search_log_keeps_no_personal_data,
    the_search_log_keeps_each_filter_once_and_clean_text,
);

async fn app_with_examples(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| settings.load_examples = Some(true)).await
}

async fn search(app: &TestApp, query: &str) -> Value {
    let path = format!("/api/v1/programs/search?{query}");
    call(app.get(&path), 200).await
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item["program"]["name"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn japanese_queries_find_the_example_programs(backend: Backend) {
    let app = app_with_examples(backend).await;
    let page = search(&app, "q=児童手当").await;
    assert_eq!(
        names(&page).first().map(String::as_str),
        Some("児童手当"),
        "{page}"
    );
    assert_eq!(page["mode"], "all_words");
    let snippet = &page["items"][0]["snippet"]["html"];
    assert!(
        snippet.as_str().is_some_and(|html| html.contains("<mark>")),
        "{page}"
    );

    // Half-width katakana, full-width digits and a synonym (検診 for 健診) find the same program.
    let page = search(&app, "q=%EF%BC%93%E6%AD%B3%E5%85%90%E6%A4%9C%E8%A8%BA").await; // ３歳児検診
    assert_eq!(
        names(&page).first().map(String::as_str),
        Some("3歳児健康診査"),
        "{page}"
    );
    let page = search(&app, "q=ｼﾝｸﾞﾙﾏｻﾞｰ 手当").await;
    assert!(
        names(&page).iter().take(3).any(|name| name == "児童扶養手当"),
        "{page}"
    );

    // Nothing has every word: programs with some of them, and the response says so.
    let page = search(&app, "q=保育園に入れない 雪").await;
    assert_eq!(page["mode"], "some_words", "{page}");
    assert!(
        names(&page).contains(&"こども誰でも通園制度".to_owned()),
        "{page}"
    );

    let too_long = "あ".repeat(201);
    let problem = call(app.get(&format!("/api/v1/programs/search?q={too_long}")), 400).await;
    assert_eq!(problem["errors"][0]["parameter"], "q", "{problem}");
    let openapi = call(app.get("/api/v1/openapi.json"), 200).await;
    assert!(openapi["paths"]["/api/v1/programs/search"]["get"].is_object());
}

async fn filters_facets_and_pages(backend: Backend) {
    let app = app_with_examples(backend).await;
    // Hirosaki's residents see national, prefectural and Hirosaki's own programs only.
    let page = search(&app, "q=医療費&municipality=022021").await;
    let owners: Vec<&str> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["program"]["owner"].as_str())
        .collect();
    assert!(!owners.is_empty());
    assert!(
        owners
            .iter()
            .all(|owner| ["national", "020001", "022021"].contains(owner)),
        "{owners:?}"
    );
    assert!(names(&page).contains(&"子ども医療費給付".to_owned()));

    // The facets count what was found: by owner and by category, each program once.
    let page = search(&app, "q=子ども&limit=100").await;
    assert!(page["next_cursor"].is_null(), "every match on one page");
    let mut by_owner = std::collections::BTreeMap::<String, u64>::new();
    let mut by_category = std::collections::BTreeMap::<String, u64>::new();
    for item in page["items"].as_array().unwrap() {
        let program = &item["program"];
        *by_owner
            .entry(program["owner"].as_str().unwrap().to_owned())
            .or_default() += 1;
        for category in program["categories"].as_array().unwrap() {
            *by_category
                .entry(category.as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    let counted = |facet: &str| -> std::collections::BTreeMap<String, u64> {
        page["facets"][facet]
            .as_array()
            .unwrap()
            .iter()
            .map(|count| {
                (
                    count["value"].as_str().unwrap().to_owned(),
                    count["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert!(by_owner.len() > 2, "{by_owner:?}");
    assert_eq!(counted("owners"), by_owner);
    assert_eq!(counted("categories"), by_category);

    // A 4-month-old: infant check-ups, not the 3-year check-up.
    let page = search(&app, "q=健診&child_age_months=4").await;
    let found = names(&page);
    assert!(found.contains(&"乳児一般委託健康診査".to_owned()), "{found:?}");
    assert!(!found.contains(&"3歳児健康診査".to_owned()), "{found:?}");
    let page = search(&app, "q=健診&child_age_months=40").await;
    assert!(names(&page).contains(&"3歳児健康診査".to_owned()));

    // Category counts ignore the category filter, so a parent sees what the others hold.
    let all = search(&app, "q=子ども").await;
    let medical = search(&app, "q=子ども&category=medical").await;
    assert!(medical["total"].as_u64() < all["total"].as_u64());
    assert_eq!(medical["facets"]["categories"], all["facets"]["categories"]);
    let problem = call(app.get("/api/v1/programs/search?q=x&category=unknown"), 400).await;
    assert_eq!(problem["errors"][0]["parameter"], "category");

    // Pages: no program twice, none lost, the same total on each.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(cursor) => format!("q=子ども&limit=4&cursor={cursor}"),
            None => "q=子ども&limit=4".to_owned(),
        };
        let page = search(&app, &query).await;
        assert_eq!(page["total"], all["total"]);
        seen.extend(
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|item| item["program"]["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, all["total"].as_u64().unwrap_or_default());
    let mut unique = seen.clone();
    unique.sort_by_key(Value::to_string);
    unique.dedup();
    assert_eq!(unique.len(), seen.len());
    call(app.get("/api/v1/programs/search?q=x&cursor=!!"), 400).await;
}

/// Polls a search until `check` holds; the index promises a second, the test allows five.
async fn eventually(app: &TestApp, query: &str, check: impl Fn(&[String]) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let page = search(app, query).await;
        if check(&names(&page)) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "search {query} never changed: {page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn the_index_follows_publish_change_and_archive(backend: Backend) {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let mut settings = test_settings(backend, data_dir.path()).await.expect("settings");
    settings.load_examples = Some(true);
    let first = kosodate_server::startup::start(&settings, std::future::pending())
        .await
        .expect("first server");
    // A second process on the same database keeps its own index (SQLite: same file).
    let second_dir = tempfile::tempdir().expect("temporary directory");
    let mut second_settings = settings.clone();
    second_settings.search.index_dir = Some(second_dir.path().join("index"));
    let second = kosodate_server::startup::start(&second_settings, std::future::pending())
        .await
        .expect("second server");
    let app = TestApp::attach(first.address, &settings, backend).await;
    let other = TestApp::attach(second.address, &second_settings, backend).await;

    let mut body = program_body("022012", "雪国あそびの広場");
    body["categories"] = json!(["consultation"]);
    let created = app.create_program(AOMORI_CITY_TOKEN, &body).await;
    let path = format!("/api/v1/programs/{}", created["id"].as_str().unwrap_or_default());
    assert!(
        !names(&search(&app, "q=雪国あそび").await).contains(&"雪国あそびの広場".to_owned()),
        "drafts are not searchable"
    );

    call(app.post(&format!("{path}/publish"), AOMORI_CITY_TOKEN), 200).await;
    let here = eventually(&app, "q=雪国あそび", |names| {
        names.contains(&"雪国あそびの広場".to_owned())
    })
    .await;
    let there = eventually(&other, "q=雪国あそび", |names| {
        names.contains(&"雪国あそびの広場".to_owned())
    })
    .await;
    eprintln!("published: searchable here after {here:?}, in the other server after {there:?}");

    body["name"] = json!("雪国あそびの森");
    let response = app
        .put(&path, AOMORI_CITY_TOKEN)
        .header("if-match", "\"2\"")
        .json(&body)
        .send()
        .await
        .expect("request");
    kosodate_tests::expect_status(response, 200).await;
    eventually(&other, "q=雪国あそび", |names| {
        names.contains(&"雪国あそびの森".to_owned()) && !names.contains(&"雪国あそびの広場".to_owned())
    })
    .await;

    call(app.post(&format!("{path}/archive"), AOMORI_CITY_TOKEN), 200).await;
    eventually(&app, "q=雪国あそび", |names| {
        !names.iter().any(|name| name.starts_with("雪国あそび"))
    })
    .await;
    eventually(&other, "q=雪国あそび", |names| {
        !names.iter().any(|name| name.starts_with("雪国あそび"))
    })
    .await;
}

/// The search log's rows, once the background writer has written at least `count`.
async fn search_log_rows(app: &TestApp, count: usize) -> Vec<sea_orm::QueryResult> {
    app.rows_once(
        "SELECT query, filters, searched_hour FROM search_log ORDER BY query",
        count,
        Duration::from_secs(5),
    )
    .await
}

async fn the_search_log_keeps_each_filter_once_and_clean_text(backend: Backend) {
    let app = app_with_examples(backend).await;
    // An anonymous caller repeats a category as often as the URI limit allows and colours the
    // query with terminal escapes.
    let categories = vec!["medical"; 700].join(",");
    let query = "%1B%5B31m%E4%BF%9D%E8%82%B2%1B%5B0m%07%E6%96%99";
    search(
        &app,
        &format!("q={query}&category={categories},allowance,medical"),
    )
    .await;
    let rows = search_log_rows(&app, 1).await;
    assert_eq!(rows.len(), 1);
    let query: String = rows[0].try_get("", "query").expect("query");
    assert_eq!(query, "保育 料");
    let filters: Value = match backend {
        Backend::Postgres => rows[0].try_get("", "filters").expect("filters"),
        Backend::Sqlite => {
            let text: String = rows[0].try_get("", "filters").expect("filters");
            serde_json::from_str(&text).expect("json")
        }
    };
    assert_eq!(filters["categories"], json!(["allowance", "medical"]));
    assert!(filters.to_string().len() < 200, "{filters}");
}

async fn the_search_log_keeps_no_personal_data(backend: Backend) {
    let app = app_with_examples(backend).await;
    for _ in 0..3 {
        search(&app, "q=ＨＯＩＫＵ 保育料").await;
    }
    search(&app, "q=一度だけの検索").await;
    search(&app, "q=090-1234-5678").await;
    search(&app, "q=parent@example.jp 手当").await;
    search(&app, "q=1234 5678 9012").await;

    // The log is written in the background; wait for the kept queries' rows.
    let rows = search_log_rows(&app, 4).await;
    let queries: Vec<String> = rows
        .iter()
        .filter_map(|row| row.try_get::<String>("", "query").ok())
        .collect();
    assert_eq!(
        queries,
        ["hoiku 保育料", "hoiku 保育料", "hoiku 保育料", "一度だけの検索"]
    );
    for row in &rows {
        let hour: chrono::DateTime<chrono::Utc> = row.try_get("", "searched_hour").expect("hour");
        assert_eq!(hour.timestamp() % 3600, 0, "only the hour is kept");
    }

    // Staff see queries shared by at least three searches (the sign-in suite checks who may).
    let now = chrono::Utc::now();
    let trends = kosodate_search::log::trends(&app.db, now - chrono::TimeDelta::days(1), now, None, 3, 10)
        .await
        .expect("trends");
    assert_eq!(
        serde_json::to_value(trends).expect("json"),
        json!([{"query": "hoiku 保育料", "searches": 3, "without_results": 0, "partial_matches": 3}])
    );
    call(app.get("/api/v1/staff/search-trends"), 401).await;
    // A machine token imports programs; it reads no trends.
    call(
        app.get("/api/v1/staff/search-trends")
            .bearer_auth(PREFECTURE_TOKEN),
        403,
    )
    .await;
}
