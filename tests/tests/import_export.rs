//! Bulk import and export through the HTTP API, on SQLite and PostgreSQL: round trips, encodings,
//! dry runs and all-or-nothing refusals.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::{
    ADMIN_TOKEN, AOMORI_CITY_TOKEN, Backend, HIROSAKI_CITY_TOKEN, TestApp, both_backends, call,
    expect_status, program_body, spawn_app, spawn_app_with,
};
use serde_json::Value;

both_backends!(
    csv_export_imports_into_an_empty_registry_unchanged,
    shift_jis_csv_imports_and_errors_name_line_and_column,
    tokyo_registry_json_round_trips,
    example_programs_round_trip_through_every_format
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

async fn export(app: &TestApp, format: &str) -> Vec<u8> {
    let response = app
        .get(&format!("/api/v1/programs/export?format={format}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
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
