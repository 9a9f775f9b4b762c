//! Bulk import and export through the HTTP API, on SQLite and PostgreSQL: round trips, encodings,
//! dry runs and all-or-nothing refusals, every problem of a file at once, control characters,
//! dry runs that take no write lock, and exports streamed a page at a time.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::{
    ADMIN_TOKEN, AOMORI_CITY_TOKEN, Backend, HIROSAKI_CITY_TOKEN, TestApp, both_backends, call,
    expect_status, program_body, spawn_app, spawn_app_with,
};
use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

both_backends!(
    csv_export_imports_into_an_empty_registry_unchanged,
    shift_jis_csv_imports_and_errors_name_line_and_column,
    tokyo_registry_json_round_trips,
    example_programs_round_trip_through_every_format,
    a_dry_run_takes_no_write_lock,
    a_program_is_created_while_a_big_dry_run_runs,
    control_characters_are_refused_in_imports_dry_runs_and_creation,
    an_import_reports_every_problem_of_every_line,
    exports_are_streamed_a_page_at_a_time
);

async fn import(app: &TestApp, token: &str, format: &str, dry_run: bool, body: Vec<u8>) -> reqwest::Response {
    app.post(
        &format!("/api/v1/programs/import?format={format}&dry_run={dry_run}"),
        token,
    )
    .body(body)
    .send()
    .await
    .unwrap()
}

/// Exports every program as staff see them; every export is streamed, not built whole first
/// (so it has no Content-Length).
async fn export(app: &TestApp, format: &str) -> Vec<u8> {
    let response = app
        .get(&format!("/api/v1/programs/export?format={format}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("content-length").is_none(),
        "{format}: the body is streamed"
    );
    response.bytes().await.unwrap().to_vec()
}

fn programs_without_timestamps(json: &[u8]) -> Vec<Value> {
    let mut programs: Vec<Value> = serde_json::from_slice(json).unwrap();
    for program in &mut programs {
        let object = program.as_object_mut().unwrap();
        for key in [
            "created_at",
            "updated_at",
            "published_at",
            "archived_at",
            "version",
        ] {
            object.remove(key);
        }
    }
    programs
}

/// A licence of the municipality's own, instead of CC BY 4.0.
const HIROSAKI_TERMS: &str = "https://www.city.hirosaki.aomori.jp/opendata/terms.html";

async fn csv_export_imports_into_an_empty_registry_unchanged(backend: Backend) {
    let source = spawn_app(backend).await;
    let program = source
        .create_program(AOMORI_CITY_TOKEN, &program_body("022012", "子ども医療費助成"))
        .await;
    call(
        source.post(
            &format!("/api/v1/programs/{}/publish", program["id"].as_str().unwrap()),
            AOMORI_CITY_TOKEN,
        ),
        200,
    )
    .await;
    let mut fixed = program_body("022021", "ショートステイ");
    fixed["application_window"] = serde_json::json!({"kind": "fixed", "from": "2026-04-01", "to": null});
    fixed["eligibility"] =
        serde_json::json!({"version": 1, "rule": {"some_child": {"age": {"unit": "years", "lt": 18}}}});
    fixed["license"] = serde_json::json!(HIROSAKI_TERMS);
    source.create_program(HIROSAKI_CITY_TOKEN, &fixed).await;
    let csv = export(&source, "csv").await;
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "Excel needs the BOM");
    assert!(String::from_utf8_lossy(&csv).contains("\r\n"));

    let target = spawn_app(backend).await;
    let dry = expect_status(import(&target, ADMIN_TOKEN, "csv", true, csv.clone()).await, 200).await;
    assert_eq!(
        (dry["created"].as_u64(), dry["dry_run"].as_bool()),
        (Some(2), Some(true))
    );
    let listed = call(
        target
            .get("/api/v1/programs?status=draft")
            .bearer_auth(ADMIN_TOKEN),
        200,
    )
    .await;
    assert!(
        listed["items"].as_array().unwrap().is_empty(),
        "a dry run keeps nothing"
    );

    let done = expect_status(import(&target, ADMIN_TOKEN, "csv", false, csv.clone()).await, 200).await;
    assert_eq!(done["created"], 2);
    assert_eq!(
        programs_without_timestamps(&export(&target, "json").await),
        programs_without_timestamps(&export(&source, "json").await),
        "ids, content and status survive the round trip"
    );
    let exported: Vec<Value> = serde_json::from_slice(&export(&target, "json").await).unwrap();
    let licenses: Vec<Value> = exported
        .iter()
        .map(|program| program["license"].clone())
        .collect();
    assert!(
        licenses.contains(&serde_json::json!(HIROSAKI_TERMS)),
        "a program's own licence survives the round trip: {licenses:?}"
    );
    let again = expect_status(import(&target, ADMIN_TOKEN, "csv", false, csv).await, 200).await;
    assert_eq!(
        (
            again["unchanged"].as_u64(),
            again["created"].as_u64(),
            again["updated"].as_u64()
        ),
        (Some(2), Some(0), Some(0))
    );
}

const CSV_HEADER: &str = "実施主体コード,制度名,分類,概要,申請期間,申請開始日,申請終了日,電話番号\r\n";

async fn shift_jis_csv_imports_and_errors_name_line_and_column(backend: Backend) {
    let app = spawn_app(backend).await;
    let good = format!(
        "{CSV_HEADER}022012,一時預かり,保育・教育,保育所で一時的に預かります,随時,,,017-734-1111\r\n022012,ファミリー・サポート,相談,会員同士の助け合い,随時,,,\r\n"
    );
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&good);
    let report = expect_status(
        import(&app, AOMORI_CITY_TOKEN, "csv", false, sjis.into_owned()).await,
        200,
    )
    .await;
    assert_eq!(report["created"], 2);
    assert_eq!(report["items"][0]["status"], "draft");

    let bad = format!(
        "{CSV_HEADER}022012,新しい制度,医療,概要,随時,,,\r\n022012,期間が逆,医療,概要,期間指定,2026-05-01,2026-04-01,\r\n022021,弘前市の制度,医療,概要,随時,,,\r\n02201X,コード誤り,医療,概要,随時,,,\r\n"
    );
    let problem = expect_status(
        import(&app, AOMORI_CITY_TOKEN, "csv", false, bad.into_bytes()).await,
        422,
    )
    .await;
    assert_eq!(problem["type"], "/problems/import-rejected");
    let located: Vec<(u64, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        located,
        [(3, "申請終了日"), (4, "実施主体コード"), (5, "実施主体コード")]
    );
    assert!(problem["errors"][1]["detail"].as_str().unwrap().contains("権限"));
    let drafts = call(
        app.get("/api/v1/programs?status=draft")
            .bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    assert_eq!(
        drafts["items"].as_array().unwrap().len(),
        2,
        "the good first row was not imported either"
    );

    let not_text = import(
        &app,
        AOMORI_CITY_TOKEN,
        "csv",
        false,
        vec![0x82, 0xA0, 0xFF, 0xFF, 0x00, 0x81],
    )
    .await;
    let problem = expect_status(not_text, 422).await;
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("文字コード")
    );
}

async fn tokyo_registry_json_round_trips(backend: Backend) {
    let app = spawn_app(backend).await;
    // The published sample is from Tokyo; moved to Aomori municipalities so this registry takes it.
    let sample = include_str!("../../registry/tests/fixtures/tokyo-registry-sample.json")
        .replace("131130;渋谷区", "022012;青森市")
        .replace("131041;新宿区", "022021;弘前市")
        .replace("130001;東京都", "020001;青森県")
        .replace("133078;檜原村\\t", "024236;大間町")
        .replace("133078;檜原村", "024236;大間町");
    let rejected = expect_status(
        import(
            &app,
            ADMIN_TOKEN,
            "tokyo_json",
            true,
            include_bytes!("../../registry/tests/fixtures/tokyo-registry-sample.json").to_vec(),
        )
        .await,
        422,
    )
    .await;
    assert!(
        rejected["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("青森県"),
        "Tokyo's wards are not ours: {rejected}"
    );

    let report = expect_status(
        import(&app, ADMIN_TOKEN, "tokyo_json", false, sample.into_bytes()).await,
        200,
    )
    .await;
    assert_eq!(report["created"], 5, "{report}");
    let exported = export(&app, "tokyo_json").await;
    let records: Vec<Value> = serde_json::from_slice(&exported).unwrap();
    assert_eq!(records.len(), 5);
    assert_eq!(
        records[0].as_object().unwrap().len(),
        34,
        "every key of the format is written"
    );
    assert!(records.iter().any(|r| r["area"]["areaCode"] == "022012;青森市"));
    let again = expect_status(import(&app, ADMIN_TOKEN, "tokyo_json", true, exported).await, 200).await;
    assert_eq!(again["unchanged"], 5, "{again}");
}

async fn example_programs_round_trip_through_every_format(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.load_examples = Some(true)).await;
    let page = call(app.get("/api/v1/programs?limit=500"), 200).await;
    let count = page["items"].as_array().unwrap().len();
    assert!(count >= 20, "{count} example programs");
    for owner in [
        "national", "020001", "022012", "022021", "022039", "022080", "024236",
    ] {
        let owned = call(app.get(&format!("/api/v1/programs?owner={owner}")), 200).await;
        assert!(
            !owned["items"].as_array().unwrap().is_empty(),
            "no example program for {owner}"
        );
    }
    let csv = expect_status(
        import(&app, ADMIN_TOKEN, "csv", true, export(&app, "csv").await).await,
        200,
    )
    .await;
    assert_eq!(csv["unchanged"].as_u64(), Some(count as u64), "{csv}");
    let tokyo = expect_status(
        import(
            &app,
            ADMIN_TOKEN,
            "tokyo_json",
            true,
            export(&app, "tokyo_json").await,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(tokyo["created"], 0, "{tokyo}");
}

/// A CSV of `count` valid Aomori City programs.
fn many_programs_csv(count: usize) -> Vec<u8> {
    let mut csv = CSV_HEADER.to_owned();
    for index in 0..count {
        csv.push_str(&format!(
            "022012,制度 {index:05},医療,制度{index}の概要です,随時,,,017-734-1111\r\n"
        ));
    }
    csv.into_bytes()
}

/// Holds what a long write holds on this backend: the writer lane on SQLite; on PostgreSQL a lock
/// on the programs table that lets reads through and stops every write.
async fn hold_write_lock(app: &TestApp) -> kosodate_database::WriteTransaction {
    let transaction = kosodate_database::begin_write(&app.db).await.unwrap();
    if app.backend == Backend::Postgres {
        transaction
            .execute_unprepared("LOCK TABLE programs IN EXCLUSIVE MODE")
            .await
            .unwrap();
    }
    transaction
}

/// Sends a CSV dry run in the background.
fn spawn_dry_run(app: &TestApp, csv: Vec<u8>) -> tokio::task::JoinHandle<reqwest::Response> {
    let request = app
        .post(
            "/api/v1/programs/import?format=csv&dry_run=true",
            AOMORI_CITY_TOKEN,
        )
        .body(csv);
    tokio::spawn(async move { request.send().await.unwrap() })
}

/// Long enough for any import in these tests; a request still waiting then waits for a lock.
const NO_LOCK_WAIT: Duration = Duration::from_secs(120);

/// A dry run plans from what is committed and never writes. Here another writer holds the write
/// lock (and has changed a program the file names, without committing) while the dry run runs:
/// the dry run must finish its plan meanwhile, seeing the program as it was. On PostgreSQL it
/// answers while the lock is still held; on SQLite its audit entry has to wait for the lock, so
/// the lock is released after the plan had ample time, and the plan shows it was made before.
/// An import that waited for the lock (and took it for its whole run) would plan afterwards and
/// see the change, or never answer.
async fn a_dry_run_takes_no_write_lock(backend: Backend) {
    let app = spawn_app(backend).await;
    let existing = app
        .create_program(AOMORI_CITY_TOKEN, &program_body("022012", "制度 00000"))
        .await;
    let lock = hold_write_lock(&app).await;
    lock.execute_unprepared(&format!(
        "UPDATE programs SET status = 'published' WHERE id = '{}'",
        existing["id"].as_str().unwrap()
    ))
    .await
    .unwrap();
    let dry_run = spawn_dry_run(&app, many_programs_csv(500));
    if backend == Backend::Sqlite {
        tokio::time::sleep(Duration::from_secs(2)).await;
        lock.commit().await.unwrap();
    }
    let answered = tokio::time::timeout(NO_LOCK_WAIT, dry_run)
        .await
        .expect("a dry run does not wait for a writer")
        .unwrap();
    let report = expect_status(answered, 200).await;
    assert_eq!(report["items"][0]["action"], "update", "{}", report["items"][0]);
    assert_eq!(
        report["items"][0]["status"], "draft",
        "planned from what was committed before the other writer finished"
    );
    assert_eq!(report["created"], 499);
}

async fn a_program_is_created_while_a_big_dry_run_runs(backend: Backend) {
    let app = spawn_app(backend).await;
    let dry_run = spawn_dry_run(&app, many_programs_csv(20_000));
    let created = app
        .create_program(AOMORI_CITY_TOKEN, &program_body("022012", "取り込み中に作る制度"))
        .await;
    assert_eq!(created["name"], "取り込み中に作る制度");
    assert!(
        !dry_run.is_finished(),
        "the program was created while the dry run was still running"
    );
    let report = expect_status(dry_run.await.unwrap(), 200).await;
    assert_eq!(report["created"], 20_000);
}

/// The problem document of an import Aomori City's clerk sends and that is refused.
async fn refusal(app: &TestApp, format: &str, dry_run: bool, body: Vec<u8>) -> Value {
    expect_status(import(app, AOMORI_CITY_TOKEN, format, dry_run, body).await, 422).await
}

fn located(problem: &Value) -> Vec<(u64, String)> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn control_characters_are_refused_in_imports_dry_runs_and_creation(backend: Backend) {
    let app = spawn_app(backend).await;
    let csv = format!(
        "{CSV_HEADER}022012,良い制度,医療,概要,随時,,,\r\n022012,NUL入り,医療,概\u{0}要,随時,,,\r\n022012,色付き\u{1b}[31m,医療,概要,随時,,,\r\n"
    );
    let tokyo = json!([
        {"institutionName": {"shortName": "一時預かり"}, "summary": "概要", "area": {"areaCode": "022012;青森市"}},
        {"institutionName": {"shortName": "NUL\u{0}入り"}, "summary": "概要", "area": {"areaCode": "022012;青森市"}}
    ]);
    for dry_run in [true, false] {
        let problem = refusal(&app, "csv", dry_run, csv.clone().into_bytes()).await;
        assert_eq!(
            located(&problem),
            [(3, "概要".to_owned()), (4, "制度名".to_owned())],
            "{problem}"
        );
        assert!(
            problem["errors"][0]["detail"]
                .as_str()
                .unwrap()
                .contains("制御文字")
        );
        let problem = refusal(&app, "tokyo_json", dry_run, tokyo.to_string().into_bytes()).await;
        assert_eq!(located(&problem), [(2, "/name".to_owned())], "{problem}");
    }
    let mut body = program_body("022012", "子ども医療費助成");
    body["contact"]["section"] = json!("こども\u{0}支援課");
    let problem = expect_status(
        app.post("/api/v1/programs", AOMORI_CITY_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/contact/section", "{problem}");
    let drafts = call(
        app.get("/api/v1/programs?status=draft")
            .bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    assert_eq!(drafts["items"], json!([]), "nothing was stored");
}

async fn an_import_reports_every_problem_of_every_line(backend: Backend) {
    let app = spawn_app(backend).await;
    // Line 2 is read but invalid (its window ends before it starts); line 3 cannot be read (no
    // such category, no such date); line 4 is read but has no name; line 5 is fine.
    let csv = format!(
        "{CSV_HEADER}022012,期間が逆,医療,概要,期間指定,2026-05-01,2026-04-01,\r\n022012,分類誤り,色,概要,期間指定,2026-13-01,,\r\n022012,,医療,概要,随時,,,\r\n022012,正しい制度,医療,概要,随時,,,\r\n"
    );
    for dry_run in [true, false] {
        let problem = refusal(&app, "csv", dry_run, csv.clone().into_bytes()).await;
        assert_eq!(
            located(&problem),
            [
                (2, "申請終了日".to_owned()),
                (3, "分類".to_owned()),
                (3, "申請開始日".to_owned()),
                (4, "制度名".to_owned()),
            ],
            "{problem}"
        );
    }
}

async fn exports_are_streamed_a_page_at_a_time(backend: Backend) {
    let app = spawn_app(backend).await;
    // More than two pages of 500.
    let count = 1_234;
    let report = expect_status(
        import(&app, AOMORI_CITY_TOKEN, "csv", false, many_programs_csv(count)).await,
        200,
    )
    .await;
    assert_eq!(report["created"], count);
    for format in ["csv", "json", "tokyo_json"] {
        let body = export(&app, format).await;
        let names: Vec<String> = match format {
            "csv" => {
                let mut reader = csv::Reader::from_reader(&body[3..]);
                reader.records().map(|row| row.unwrap()[3].to_owned()).collect()
            }
            "json" => serde_json::from_slice::<Vec<Value>>(&body)
                .unwrap()
                .iter()
                .map(|program| program["name"].as_str().unwrap().to_owned())
                .collect(),
            _ => serde_json::from_slice::<Vec<Value>>(&body)
                .unwrap()
                .iter()
                .map(|record| {
                    record["institutionName"]["shortName"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect(),
        };
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            (names.len(), unique.len()),
            (count, count),
            "{format}: each program once"
        );
    }
    let empty = app
        .get("/api/v1/programs/export?format=json&owner=022021")
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(empty.json::<Value>().await.unwrap(), json!([]));
}
