//! The registry's HTTP behaviour, run against SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::{
    ADMIN_TOKEN, AOMORI_CITY_TOKEN, Backend, HIROSAKI_CITY_TOKEN, PREFECTURE_TOKEN, both_backends, call,
    expect_status, program_body, spawn_app, spawn_app_with,
};
use serde_json::{Value, json};

both_backends!(
    municipalities_are_the_prefecture_and_its_40_municipalities,
    a_program_is_created_published_changed_and_its_history_read,
    bad_programs_get_problem_documents_naming_the_field,
    staff_write_only_their_own_programs,
    lists_filter_and_paginate,
    archived_programs_are_kept_but_frozen
);

async fn municipalities_are_the_prefecture_and_its_40_municipalities(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut codes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = app.get("/api/v1/municipalities").query(&[("limit", "15")]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let page = call(request, 200).await;
        codes.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["code"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(codes.len(), 41);
    assert_eq!(codes[0], "020001");
    for code in &codes {
        let parsed = kosodate_domain_code(code);
        assert_eq!(&parsed, code, "check digit of {code}");
    }
    let mutsu = call(app.get("/api/v1/municipalities/02208"), 200).await;
    assert_eq!(mutsu["name"], "むつ市");
    assert_eq!(mutsu["region"], "下北");
    let wrong = call(app.get("/api/v1/municipalities/022081"), 422).await;
    assert!(
        wrong["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("正しくは 0")
    );
}

/// Recomputes a code's check digit (JIS X 0402) independently of the product's implementation.
fn kosodate_domain_code(code: &str) -> String {
    let digits: Vec<u32> = code.chars().take(5).map(|c| c.to_digit(10).unwrap()).collect();
    let sum: u32 = digits.iter().zip([6, 5, 4, 3, 2]).map(|(d, w)| d * w).sum();
    format!("{}{}", &code[..5], (11 - sum % 11) % 10)
}

async fn a_program_is_created_published_changed_and_its_history_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .create_program(AOMORI_CITY_TOKEN, &program_body("022012", "子ども医療費助成"))
        .await;
    assert_eq!(created["status"], "draft");
    assert_eq!(created["version"], 1);
    assert_eq!(created["owner"], "022012");
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/programs/{id}");

    // A draft is invisible to the public and visible to staff.
    call(app.get(&path), 404).await;
    let response = app
        .get(&path)
        .bearer_auth(HIROSAKI_CITY_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
    expect_status(response, 200).await;

    let published = call(app.post(&format!("{path}/publish"), AOMORI_CITY_TOKEN), 200).await;
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());
    let public = call(app.get(&path), 200).await;
    assert_eq!(public["name"], "子ども医療費助成");

    let mut change = program_body("022012", "子ども医療費助成");
    change["summary"] = json!("18歳到達後最初の3月31日までの子どもの医療費を助成します。");
    change["benefit"]["amount_yen"] = json!(0);
    let updated = app
        .put(&path, AOMORI_CITY_TOKEN)
        .header("if-match", "\"2\"")
        .json(&change)
        .send()
        .await
        .unwrap();
    let updated = expect_status(updated, 200).await;
    assert_eq!(updated["version"], 3);
    assert_eq!(
        updated["status"], "published",
        "a change keeps the program published"
    );

    // Somebody editing the version they read before is told, not silently overwritten.
    let stale = app
        .put(&path, AOMORI_CITY_TOKEN)
        .header("if-match", "\"2\"")
        .json(&program_body("022012", "子ども医療費助成"))
        .send()
        .await
        .unwrap();
    let stale = expect_status(stale, 412).await;
    assert_eq!(stale["type"], "/problems/version-mismatch");

    // The same content again records no new version.
    let same = call(app.put(&path, AOMORI_CITY_TOKEN).json(&change), 200).await;
    assert_eq!(same["version"], 3);

    call(app.get(&format!("{path}/history")), 401).await;
    let history = call(
        app.get(&format!("{path}/history")).bearer_auth(PREFECTURE_TOKEN),
        200,
    )
    .await;
    let versions = history["items"].as_array().unwrap();
    let actions: Vec<&str> = versions.iter().map(|v| v["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["created", "published", "updated"]);
    assert!(versions.iter().all(|v| v["actor"] == "青森市 こども支援課"));
    let changed: Vec<&str> = versions[2]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    // A change is a review: the review date moves with it (issue 17, freshness).
    assert_eq!(changed, ["benefit", "last_reviewed_on", "summary"]);
    assert_eq!(
        versions[2]["changes"][2]["before"],
        "高校生年代までの子どもの医療費の自己負担分を助成します。"
    );
    assert_eq!(
        versions[0]["snapshot"]["summary"],
        "高校生年代までの子どもの医療費の自己負担分を助成します。"
    );
    assert_eq!(versions[2]["snapshot"]["version"], 3);
}

async fn bad_programs_get_problem_documents_naming_the_field(backend: Backend) {
    // A small body limit, so the oversized request below stays within loopback socket buffers.
    let app = spawn_app_with(backend, |settings| settings.body_limit_bytes = 64 * 1024).await;
    let post = |body: Value| app.post("/api/v1/programs", AOMORI_CITY_TOKEN).json(&body).send();

    let mut wrong_code = program_body("022013", "A");
    wrong_code["application_window"] = json!({"kind": "fixed", "from": "2026-05-01", "to": "2026-04-01"});
    let problem = expect_status(post(wrong_code).await.unwrap(), 422).await;
    assert_eq!(problem["type"], "/problems/validation");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/owner", "/application_window/to"]);
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("正しくは 2")
    );
    assert!(
        problem["errors"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("開始日")
    );

    let mut unknown = program_body("022012", "B");
    unknown["contact"]["fax"] = json!("017-000-0000");
    let problem = expect_status(post(unknown).await.unwrap(), 422).await;
    assert_eq!(problem["errors"][0]["pointer"], "/contact/fax");
    assert!(problem["errors"][0]["detail"].as_str().unwrap().contains("fax"));

    let mut missing = program_body("022012", "C");
    missing.as_object_mut().unwrap().remove("summary");
    let problem = expect_status(post(missing).await.unwrap(), 422).await;
    assert_eq!(problem["errors"][0]["pointer"], "/summary");
    assert!(problem["errors"][0]["detail"].as_str().unwrap().contains("必須"));

    let mut bad_date = program_body("022012", "D");
    bad_date["last_reviewed_on"] = json!("2026-02-30");
    let problem = expect_status(post(bad_date).await.unwrap(), 422).await;
    assert_eq!(problem["errors"][0]["pointer"], "/last_reviewed_on");

    let malformed = app
        .post("/api/v1/programs", AOMORI_CITY_TOKEN)
        .header("content-type", "application/json")
        .body("{\"owner\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_status(malformed, 400).await["type"],
        "/problems/malformed-json"
    );

    let not_json = app
        .post("/api/v1/programs", AOMORI_CITY_TOKEN)
        .body("owner=022012")
        .send()
        .await
        .unwrap();
    expect_status(not_json, 415).await;

    let mut huge = program_body("022012", "E");
    huge["description"] = json!("あ".repeat(30 * 1024));
    let problem = expect_status(post(huge).await.unwrap(), 413).await;
    assert_eq!(problem["type"], "/problems/too-large");

    let listed = call(
        app.get("/api/v1/programs?status=draft").bearer_auth(ADMIN_TOKEN),
        200,
    )
    .await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "nothing half-written"
    );

    let bad_query = call(app.get("/api/v1/programs?category=toys"), 400).await;
    assert_eq!(bad_query["type"], "/problems/invalid-query");
    let bad_cursor = call(app.get("/api/v1/programs?cursor=!!"), 400).await;
    assert_eq!(bad_cursor["type"], "/problems/invalid-cursor");
    call(app.get("/no/such/route"), 404).await;
}

async fn staff_write_only_their_own_programs(backend: Backend) {
    let app = spawn_app(backend).await;
    let aomori = app
        .create_program(AOMORI_CITY_TOKEN, &program_body("022012", "一時預かり"))
        .await;
    let aomori_path = format!("/api/v1/programs/{}", aomori["id"].as_str().unwrap());

    let problem = call(
        app.post("/api/v1/programs", HIROSAKI_CITY_TOKEN)
            .json(&program_body("022012", "X")),
        403,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("権限"));
    call(
        app.put(&aomori_path, HIROSAKI_CITY_TOKEN)
            .json(&program_body("022012", "一時預かり")),
        403,
    )
    .await;
    call(
        app.post(&format!("{aomori_path}/publish"), HIROSAKI_CITY_TOKEN),
        403,
    )
    .await;
    call(app.post(&format!("{aomori_path}/publish"), PREFECTURE_TOKEN), 403).await;
    call(
        app.post("/api/v1/programs", HIROSAKI_CITY_TOKEN)
            .json(&program_body("national", "X")),
        403,
    )
    .await;

    app.create_program(HIROSAKI_CITY_TOKEN, &program_body("022021", "一時預かり"))
        .await;
    app.create_program(
        PREFECTURE_TOKEN,
        &program_body("020001", "あおもり子育て応援パスポート"),
    )
    .await;
    app.create_program(PREFECTURE_TOKEN, &program_body("national", "児童手当"))
        .await;
    app.create_program(ADMIN_TOKEN, &program_body("022039", "子ども医療費助成"))
        .await;

    let no_token = app
        .client
        .post(app.url("/api/v1/programs"))
        .json(&program_body("022012", "Y"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_status(no_token, 401).await["type"],
        "/problems/unauthenticated"
    );
    call(
        app.post("/api/v1/programs", "not-a-token")
            .json(&program_body("022012", "Y")),
        401,
    )
    .await;

    let outside = call(
        app.post("/api/v1/programs", ADMIN_TOKEN)
            .json(&program_body("131130", "Z")),
        422,
    )
    .await;
    assert_eq!(outside["errors"][0]["pointer"], "/owner");
    let duplicate = call(
        app.post("/api/v1/programs", AOMORI_CITY_TOKEN)
            .json(&program_body("022012", "一時預かり")),
        422,
    )
    .await;
    assert_eq!(duplicate["errors"][0]["pointer"], "/name");
}

async fn lists_filter_and_paginate(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ids = Vec::new();
    for (token, owner, name) in [
        (AOMORI_CITY_TOKEN, "022012", "青森市の制度1"),
        (AOMORI_CITY_TOKEN, "022012", "青森市の制度2"),
        (HIROSAKI_CITY_TOKEN, "022021", "弘前市の制度"),
        (PREFECTURE_TOKEN, "020001", "県の制度"),
        (PREFECTURE_TOKEN, "national", "国の制度"),
    ] {
        let mut body = program_body(owner, name);
        if name == "県の制度" {
            body["categories"] = json!(["consultation"]);
        }
        let program = app.create_program(token, &body).await;
        let id = program["id"].as_str().unwrap().to_owned();
        call(app.post(&format!("/api/v1/programs/{id}/publish"), token), 200).await;
        ids.push(id);
    }
    app.create_program(AOMORI_CITY_TOKEN, &program_body("022012", "青森市の下書き"))
        .await;

    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |query: &str| app.get(&format!("/api/v1/programs?{query}")).send();
    let public = expect_status(list("").await.unwrap(), 200).await;
    assert_eq!(names(&public).len(), 5, "the draft is not public");
    let aomori = expect_status(list("applies_to=022012").await.unwrap(), 200).await;
    assert_eq!(
        names(&aomori),
        ["青森市の制度1", "青森市の制度2", "県の制度", "国の制度"]
    );
    let owned = expect_status(list("owner=02202").await.unwrap(), 200).await;
    assert_eq!(names(&owned), ["弘前市の制度"]);
    let consultation = expect_status(list("category=consultation").await.unwrap(), 200).await;
    assert_eq!(names(&consultation), ["県の制度"]);
    let drafts = call(
        app.get("/api/v1/programs?status=draft")
            .bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    assert_eq!(names(&drafts), ["青森市の下書き"]);

    let first = expect_status(list("limit=2").await.unwrap(), 200).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = expect_status(list(&format!("limit=2&cursor={cursor}")).await.unwrap(), 200).await;
    let third = expect_status(
        list(&format!(
            "limit=2&cursor={}",
            second["next_cursor"].as_str().unwrap()
        ))
        .await
        .unwrap(),
        200,
    )
    .await;
    assert!(third["next_cursor"].is_null());
    let walked: Vec<String> = [first, second, third].iter().flat_map(names).collect();
    assert_eq!(
        walked,
        [
            "青森市の制度1",
            "青森市の制度2",
            "弘前市の制度",
            "県の制度",
            "国の制度"
        ]
    );
}

async fn archived_programs_are_kept_but_frozen(backend: Backend) {
    let app = spawn_app(backend).await;
    let program = app
        .create_program(AOMORI_CITY_TOKEN, &program_body("022012", "終了する制度"))
        .await;
    let path = format!("/api/v1/programs/{}", program["id"].as_str().unwrap());
    let archived = call(app.post(&format!("{path}/archive"), AOMORI_CITY_TOKEN), 200).await;
    assert_eq!(archived["status"], "archived");
    let problem = call(app.post(&format!("{path}/publish"), AOMORI_CITY_TOKEN), 409).await;
    assert!(problem["detail"].as_str().unwrap().contains("終了"));
    let mut change = program_body("022012", "終了する制度");
    change["summary"] = json!("変更");
    call(app.put(&path, AOMORI_CITY_TOKEN).json(&change), 409).await;
    call(app.get(&path), 404).await;
    call(app.get(&path).bearer_auth(PREFECTURE_TOKEN), 200).await;
}
