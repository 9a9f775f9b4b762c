//! The bulk pages over HTTP, on SQLite and PostgreSQL: a staged upload survives between its dry
//! run and its apply (any process finds it in the database), is its uploader's alone, and is
//! applied only as it was last shown: should the registry change meanwhile, the apply plans
//! again and shows the new plan instead. Counter registration keeps the paper form with each
//! consent, refuses a consent to a text version no longer current, and is for municipal staff.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::{
    AOMORI_CITY_TOKEN, Backend, Browser, TestApp, both_backends, call, spawn_app_with_sign_in,
};
use reqwest::header::{ACCEPT, LOCATION};

both_backends!(
    the_apply_plans_again_when_the_registry_changed_meanwhile,
    counter_registration_keeps_the_paper_form_with_each_consent
);

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

const HEADER: &str = "実施主体コード,制度名,分類,概要,申請期間\r\n";

fn csv_with_summary(summary: &str) -> String {
    format!("{HEADER}022012,青森市テスト 読み聞かせ会,相談,{summary},随時\r\n")
}

/// Uploads `csv` on the import page; the path of its dry run.
async fn upload(browser: &Browser, csv: String) -> String {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", browser.csrf.clone().unwrap())
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("一覧.csv"),
        );
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .post(browser.url("/staff/import"))
        .header("cookie", browser.cookie_header().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn apply(browser: &Browser, review: &str) -> (u16, String) {
    let response = browser
        .client
        .post(browser.url(&format!("{review}/apply")))
        .header(ACCEPT, BROWSER_ACCEPT)
        .form(&[("csrf_token", browser.csrf.clone().unwrap())])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn summary_of_the_program(app: &TestApp) -> String {
    let page = call(
        app.get("/api/v1/programs?owner=022012&status=draft")
            .bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    page["items"][0]["summary"].as_str().unwrap().to_owned()
}

async fn import_through_the_api(app: &TestApp, csv: String) {
    call(
        app.post("/api/v1/programs/import?format=csv", AOMORI_CITY_TOKEN)
            .body(csv),
        200,
    )
    .await;
}

async fn the_apply_plans_again_when_the_registry_changed_meanwhile(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |_| {}).await;
    let app = &signed_in.app;
    import_through_the_api(app, csv_with_summary("毎月第1土曜日に開きます。")).await;
    let clerk = Browser::sign_in(app, "staff", "aomori").await;
    let review = upload(&clerk, csv_with_summary("毎月第2土曜日に開きます。")).await;
    let (status, shown) = clerk.html_page(&review).await;
    assert_eq!(status, 200, "{shown}");
    assert!(shown.contains("毎月第1土曜日に開きます。") && shown.contains("毎月第2土曜日に開きます。"));

    let other_clerk = Browser::sign_in(app, "staff", "hirosaki").await;
    let (status, _) = other_clerk.html_page(&review).await;
    assert_eq!(status, 404, "a staged file is its uploader's alone");

    // Someone changes the program after the dry run was shown.
    import_through_the_api(app, csv_with_summary("毎月第3土曜日に開きます。")).await;
    let (status, replanned) = apply(&clerk, &review).await;
    assert_eq!(status, 200);
    assert!(replanned.contains("計算し直しました"), "{replanned}");
    assert!(
        replanned.contains("毎月第3土曜日に開きます。"),
        "the new plan is shown"
    );
    assert_eq!(
        summary_of_the_program(app).await,
        "毎月第3土曜日に開きます。",
        "nothing was applied"
    );

    let (status, done) = apply(&clerk, &review).await;
    assert_eq!(status, 200);
    assert!(done.contains("変更 1件"), "{done}");
    assert_eq!(summary_of_the_program(app).await, "毎月第2土曜日に開きます。");
    let (status, _) = apply(&clerk, &review).await;
    assert_eq!(status, 404, "an applied file is deleted");
}

fn counter_form(csrf: &str, text_version: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf_token", csrf.to_owned()),
        ("consent_matching", text_version.to_owned()),
        ("paper_form_number", "A-2026-0042".to_owned()),
        ("paper_form_signed_on", "2026-12-01".to_owned()),
        ("paper_form_kept", "yes".to_owned()),
        ("child0_kind", "born".to_owned()),
        ("child0_date", "2025-06-01".to_owned()),
        ("action", "save".to_owned()),
    ]
}

async fn post_counter(browser: &Browser, form: &[(&'static str, String)]) -> (u16, String) {
    let response = browser
        .client
        .post(browser.url("/staff/counter"))
        .header(ACCEPT, BROWSER_ACCEPT)
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn counter_registration_keeps_the_paper_form_with_each_consent(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |_| {}).await;
    let app = &signed_in.app;
    let clerk = Browser::sign_in(app, "staff", "aomori").await;
    let csrf = clerk.csrf.clone().unwrap();
    let version = kosodate_households::consent_texts::current(kosodate_households::ConsentPurpose::Matching)
        .unwrap()
        .version;

    let (status, stale) = post_counter(&clerk, &counter_form(&csrf, &(version - 1).to_string())).await;
    assert_eq!(status, 422);
    assert!(stale.contains("文面が改訂されました"), "{stale}");

    let (status, handout) = post_counter(&clerk, &counter_form(&csrf, &version.to_string())).await;
    assert_eq!(status, 201, "{handout}");
    assert!(handout.contains("受付番号"));
    let rows = app
        .rows_once(
            "SELECT method, text_version, paper_form_number FROM consents",
            1,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(rows.len(), 1);
    let number: String = rows[0].try_get("", "paper_form_number").unwrap();
    let method: String = rows[0].try_get("", "method").unwrap();
    assert_eq!((number.as_str(), method.as_str()), ("A-2026-0042", "paper"));
    let audited = app
        .rows_once(
            "SELECT action FROM audit_log WHERE action = 'household.create'",
            1,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(audited.len(), 1, "the access is audited");

    let prefecture = Browser::sign_in(app, "staff", "prefecture").await;
    let (status, _) = prefecture.html_page("/staff/counter").await;
    assert_eq!(status, 403, "only a municipality's staff register at its counter");
}
