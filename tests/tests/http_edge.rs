//! What every request meets at the edge, found from the outside (issue 15): every error is a
//! problem document, no date can panic a handler, a client cannot choose the request id the audit
//! log keeps, `If-Match: *` matches, and text with control characters is refused by field.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::{
    ADMIN_TOKEN, AOMORI_CITY_TOKEN, Backend, Browser, TestApp, both_backends, call, expect_status,
    program_body, spawn_app, spawn_app_with_sign_in,
};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(
    every_error_is_a_problem_document,
    oversized_requests_are_problem_documents,
    dates_out_of_range_are_refused_without_panicking,
    dates_of_signed_in_people_are_bounded,
    only_uuid_request_ids_are_kept,
    if_match_star_matches_the_current_version,
    concurrent_saves_with_if_match_star_all_land,
    control_characters_are_refused_by_field,
    a_path_that_names_no_record_is_not_found_by_name
);

/// Asserts a problem document with `status`, and returns it.
async fn problem(request: reqwest::RequestBuilder, status: u16) -> Value {
    let problem = call(request, status).await;
    assert_eq!(problem["status"], status, "{problem}");
    assert!(
        problem["title"].as_str().is_some_and(|title| !title.is_ascii()),
        "a Japanese title: {problem}"
    );
    assert!(problem["detail_en"].is_string(), "{problem}");
    problem
}

async fn every_error_is_a_problem_document(backend: Backend) {
    let app = spawn_app(backend).await;
    let rejected = problem(app.get("/api/v1/municipalities?limit=false"), 400).await;
    assert_eq!(rejected["errors"][0]["parameter"], "limit", "{rejected}");

    let not_allowed = app
        .client
        .delete(app.url("/api/v1/municipalities"))
        .send()
        .await
        .unwrap();
    let allow = not_allowed.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET"), "{allow}");
    let not_allowed = expect_status(not_allowed, 405).await;
    assert_eq!(not_allowed["type"], "/problems/method-not-allowed");

    let unrouted = problem(app.get("/api/v1/no-such-thing"), 404).await;
    assert_eq!(unrouted["type"], "/problems/no-such-route");
}

async fn oversized_requests_are_problem_documents(backend: Backend) {
    let app = spawn_app(backend).await;
    let long_query = format!("/api/v1/municipalities?cursor={}", "a".repeat(9 * 1024));
    problem(app.get(&long_query), 414).await;

    let mut many = app.get("/api/v1/municipalities");
    for index in 0..150 {
        many = many.header(format!("x-filler-{index}"), "1");
    }
    problem(many, 431).await;
    let large = app
        .get("/api/v1/municipalities")
        .header("x-filler", "a".repeat(40 * 1024));
    problem(large, 431).await;
    // Past hyper's default read buffer (about 400 KiB), which the service raises to 1 MiB.
    let huge = app
        .get("/api/v1/municipalities")
        .header("x-filler", "a".repeat(600 * 1024));
    problem(huge, 431).await;
    let long_path = format!("/api/v1/municipalities/{}", "0".repeat(60 * 1024));
    problem(app.get(&long_path), 414).await;

    // Past hyper's own limits (a 1 MiB header section; a 65,534-byte URI, fixed in hyper), hyper
    // answers before any of our code runs, without a body: the only bare statuses left.
    let absurd = app
        .get("/api/v1/municipalities")
        .header("x-filler", "a".repeat(1536 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(absurd.status(), 431);
    let absurd_path = format!("/api/v1/municipalities/{}", "0".repeat(70 * 1024));
    assert_eq!(raw_status(&app, &absurd_path).await, 414);
}

async fn dates_out_of_range_are_refused_without_panicking(backend: Backend) {
    let app = spawn_app(backend).await;
    for date in ["-262143-01-01", "+262142-12-31", "1899-12-31", "2201-01-01"] {
        for parameter in ["until", "from"] {
            let path = format!("/api/v1/staff/search-trends?municipality=022012&{parameter}={date}");
            let refused = problem(app.get(&path).bearer_auth(ADMIN_TOKEN), 400).await;
            assert_eq!(refused["errors"][0]["parameter"], parameter, "{refused}");
        }
    }

    for (field, date) in [
        ("/last_reviewed_on", "0000-01-01"),
        ("/last_reviewed_on", "+10000-01-01"),
        ("/application_window/from", "1800-04-01"),
        ("/application_window/to", "2300-04-01"),
    ] {
        let mut body = program_body("022012", "日付の範囲");
        match field {
            "/last_reviewed_on" => body["last_reviewed_on"] = json!(date),
            _ => {
                body["application_window"] =
                    json!({"kind": "fixed", "from": "2026-04-01", "to": "2026-05-01"});
                body["application_window"][&field["/application_window/".len()..]] = json!(date);
            }
        }
        let refused = problem(app.post("/api/v1/programs", AOMORI_CITY_TOKEN).json(&body), 422).await;
        assert_eq!(refused["errors"][0]["pointer"], field, "{refused}");
    }
    let mut body = program_body("022012", "日付の範囲");
    body["last_reviewed_on"] = json!("2200-12-31");
    let created = app.create_program(AOMORI_CITY_TOKEN, &body).await;
    assert_eq!(created["last_reviewed_on"], "2200-12-31");

    let household = json!({
        "household": {"municipality_code": "022012", "children": [{"birth_date": "-262143-01-01"}]},
        "paper_consents": [],
        "paper_form_kept": true
    });
    let refused = problem(
        app.post("/api/v1/staff/households", AOMORI_CITY_TOKEN)
            .json(&household),
        422,
    )
    .await;
    assert_eq!(
        refused["errors"][0]["pointer"],
        "/household/children/0/birth_date"
    );
}

/// Through sessions: the staff's search trends at the ends of the range (where the date
/// arithmetic once panicked), a parent's reference date and household dates.
async fn dates_of_signed_in_people_are_bounded(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = Browser::sign_in(&signed_in.app, "staff", "aomori").await;
    for (from, until) in [
        ("1900-01-01", "2200-12-31"),
        ("2200-12-31", "2200-12-31"),
        ("1900-01-01", "1900-01-01"),
    ] {
        let path = format!("/api/v1/staff/search-trends?municipality=022012&from={from}&until={until}");
        call(clerk.get(&path), 200).await;
    }
    let refused = problem(
        clerk.get("/api/v1/staff/search-trends?municipality=022012&until=-262143-01-01"),
        400,
    )
    .await;
    assert_eq!(refused["errors"][0]["parameter"], "until");

    let parent = Browser::sign_in(&signed_in.app, "parents", "hanako").await;
    for date in ["+262142-12-31", "-262143-01-01", "2201-01-01"] {
        let refused = problem(parent.get(&format!("/api/v1/me/programs?on={date}")), 400).await;
        assert_eq!(refused["errors"][0]["parameter"], "on", "{refused}");
    }
    let due = json!({"municipality_code": "022012", "children": [{"due_date": "+10000-01-01"}]});
    let refused = problem(parent.send(Method::PUT, "/api/v1/me/household").json(&due), 422).await;
    assert_eq!(refused["errors"][0]["pointer"], "/children/0/due_date");
}

/// What the audit log keeps as request ids (read from the database: staff read it through a
/// signed-in session, not a token).
async fn audit_request_ids(app: &TestApp) -> Vec<String> {
    let page = kosodate_registry::page::PageRequest {
        limit: Some(100),
        cursor: None,
    };
    let entries = kosodate_registry::audit::list(&app.db, &Default::default(), &page)
        .await
        .unwrap();
    entries
        .items
        .into_iter()
        .filter(|entry| entry.action == "program.create")
        .map(|entry| entry.request_id.unwrap())
        .collect()
}

/// The status line's code of a request written by hand: the HTTP client refuses URIs as long as
/// this test needs.
async fn raw_status(app: &TestApp, request_line_target: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let request =
        format!("GET {request_line_target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

async fn only_uuid_request_ids_are_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let chosen = "01a2001e-955f-76f3-983c-101ec63eeaa6";
    let kept = app
        .get("/healthz")
        .header("x-request-id", chosen)
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], chosen, "a UUID is kept");

    let foreign = ["trace-me-123".to_owned(), "a".repeat(6 * 1024)];
    for given in &foreign {
        let response = app
            .post("/api/v1/programs", AOMORI_CITY_TOKEN)
            .header("x-request-id", given)
            .json(&program_body("022012", &format!("要求ID {}", given.len())))
            .send()
            .await
            .unwrap();
        let echoed = response.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(&echoed, given);
        assert!(uuid::Uuid::try_parse(&echoed).is_ok(), "{echoed}");
        expect_status(response, 201).await;
    }
    let stored = audit_request_ids(&app).await;
    assert_eq!(stored.len(), 2);
    for id in stored {
        assert!(uuid::Uuid::try_parse(&id).is_ok(), "the audit log keeps {id}");
    }
}

async fn if_match_star_matches_the_current_version(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .create_program(AOMORI_CITY_TOKEN, &program_body("022012", "版の確認"))
        .await;
    let path = format!("/api/v1/programs/{}", created["id"].as_str().unwrap());
    let mut body = program_body("022012", "版の確認（改）");
    let updated = call(
        app.put(&path, AOMORI_CITY_TOKEN)
            .header("if-match", "*")
            .json(&body),
        200,
    )
    .await;
    assert_eq!(updated["version"], 2);
    body["name"] = json!("版の確認（再）");
    call(
        app.put(&path, AOMORI_CITY_TOKEN)
            .header("if-match", "\"1\"")
            .json(&body),
        412,
    )
    .await;
    call(
        app.put(&path, AOMORI_CITY_TOKEN)
            .header("if-match", "version two")
            .json(&body),
        400,
    )
    .await;
}

/// `If-Match: *` asks for no version check: saves racing on one program wait for each other,
/// each lands as its own version, and none is refused as if it had named an older version.
async fn concurrent_saves_with_if_match_star_all_land(backend: Backend) {
    const SAVES: usize = 12;
    let app = spawn_app(backend).await;
    let created = app
        .create_program(AOMORI_CITY_TOKEN, &program_body("022012", "同時保存"))
        .await;
    let path = format!("/api/v1/programs/{}", created["id"].as_str().unwrap());
    let mut saves = tokio::task::JoinSet::new();
    for save in 0..SAVES {
        let mut body = program_body("022012", "同時保存");
        body["summary"] = json!(format!("同時に保存した {save} 番目の内容です。"));
        let request = app
            .put(&path, AOMORI_CITY_TOKEN)
            .header("if-match", "*")
            .json(&body);
        saves.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let statuses: Vec<u16> = saves.join_all().await;
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    let history = call(
        app.get(&format!("{path}/history"))
            .query(&[("limit", "100")])
            .bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    assert_eq!(history["items"].as_array().unwrap().len(), SAVES + 1);
}

async fn control_characters_are_refused_by_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = program_body("022012", "制御\u{0}文字");
    body["documents"] = json!(["保険証", "印鑑\u{1b}[31m"]);
    body["contact"]["section"] = json!("こども\u{7f}支援課");
    body["eligibility"] = json!({"version": 1, "ru\u{0}le": {}});
    body["summary"] = json!("改行\nとタブ\tと復帰\rは使えます。");
    let refused = problem(app.post("/api/v1/programs", AOMORI_CITY_TOKEN).json(&body), 422).await;
    let pointers: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["pointer"].as_str().unwrap())
        .collect();
    for pointer in [
        "/name",
        "/documents/1",
        "/contact/section",
        "/eligibility/ru\u{0}le",
    ] {
        assert!(pointers.contains(&pointer), "{pointer} in {pointers:?}");
    }
    assert_eq!(pointers.len(), 4, "{pointers:?}");
    let listed = call(app.get("/api/v1/programs").bearer_auth(AOMORI_CITY_TOKEN), 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "nothing was stored");
}

/// Every route that names a record in its path reads the id the same way: a segment that is no
/// id is a record that is not there, said in Japanese with what it is, for programs and people.
async fn a_path_that_names_no_record_is_not_found_by_name(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, name) in [
        ("/api/v1/programs/zzz", "制度"),
        ("/api/v1/places/zzz", "施設"),
        ("/api/v1/events/zzz", "イベント"),
        ("/api/v1/community/questions/zzz", "質問"),
    ] {
        let refused = problem(app.get(path), 404).await;
        let detail = refused["detail"].as_str().unwrap();
        assert!(
            detail.contains(name) && detail.contains("zzz"),
            "{path}: {refused}"
        );
    }
    let refused = problem(
        app.post("/api/v1/search/zzz/clicks", ADMIN_TOKEN)
            .json(&json!({"program_id": "x", "rank": 1})),
        404,
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("検索"), "{refused}");
    for (path, name) in [
        ("/community/questions/zzz", "質問"),
        ("/events/zzz", "イベント"),
        ("/programs/zzz", "制度"),
    ] {
        let response = app
            .get(path)
            .header(reqwest::header::ACCEPT, "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let page = response.text().await.unwrap();
        assert!(page.contains(name) && page.contains("zzz"), "{path}: {page}");
    }
}
