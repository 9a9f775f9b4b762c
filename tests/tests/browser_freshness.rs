//! Freshness in real headless Chromium: prefecture staff sign in through the real OpenID
//! Provider's own form, read the freshness table with an overdue program, sort it by a header
//! link (no script), and axe-core finds no serious or critical violation; a review reminder mailed
//! through the real SMTP server is opened in the browser and its button records the review.
//! Screenshots are kept under the build directory (`tmp/screenshots/`).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::time::Duration;

use kosodate_test_peers::smtp::SmtpServer;
use kosodate_tests::browser::Chromium;
use kosodate_tests::{
    Backend, Browser, HIROSAKI_CITY_TOKEN, both_backends, call, program_body, spawn_app_with_sign_in,
};
use secrecy::SecretString;
use serde_json::json;

both_backends!(
    the_freshness_table_is_read_and_sorted_in_the_browser,
    a_reminders_link_records_the_review_in_the_browser
);

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

fn today() -> chrono::NaiveDate {
    kosodate_domain::japan::date_of(chrono::Utc::now())
}

/// A 弘前市 program whose review was due a day ago.
fn overdue(name: &str) -> serde_json::Value {
    let mut body = program_body("022021", name);
    body["last_reviewed_on"] = json!(today() - chrono::Months::new(12) - chrono::Days::new(1));
    body
}

/// Opens `path`, is sent to the staff sign-in, signs in as `login` on the provider's form and
/// comes back to `path`.
async fn staff_sign_in(chromium: &Chromium, url: &str, login: &str) {
    chromium.visit(url, (1280, 800)).await;
    assert!(
        chromium.path().await.starts_with("/staff/login"),
        "{}",
        chromium.path().await
    );
    chromium
        .click_and_wait("a.button[href^='/auth/login/staff']")
        .await;
    chromium.fill("input[name=login]", login).await;
    chromium.click_and_wait("button[type=submit]").await;
}

async fn the_freshness_table_is_read_and_sorted_in_the_browser(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    app.app
        .publish_program(HIROSAKI_CITY_TOKEN, &overdue("弘前市 乳児家庭訪問"))
        .await;
    let chromium = Chromium::start().await;
    staff_sign_in(&chromium, &app.app.url("/staff/freshness"), "prefecture").await;
    assert_eq!(chromium.path().await, "/staff/freshness");
    let shots = screenshots();
    chromium
        .check_open_page(&shots, &format!("staff-freshness-{backend:?}"))
        .await;
    chromium.click_and_wait("th a[href*='sort=overdue']").await;
    let sorted = chromium
        .evaluate(
            "return [document.querySelector('th[aria-sort]').textContent, \
             document.querySelector('tbody th').textContent, \
             document.querySelector('th[aria-sort]').getAttribute('aria-sort')]",
        )
        .await;
    assert_eq!(sorted, json!(["確認期限切れ", "弘前市", "descending"]));
    let chart = chromium
        .evaluate("return document.querySelectorAll('svg[role=img] rect').length")
        .await;
    assert_eq!(chart, 80, "two bars for each of the 40 municipalities");
    chromium
        .check_open_page(&shots, &format!("staff-freshness-sorted-{backend:?}"))
        .await;
    chromium.close().await;
}

async fn a_reminders_link_records_the_review_in_the_browser(backend: Backend) {
    let smtp = SmtpServer::start().await.unwrap();
    let smtp_url = smtp.url();
    let app = spawn_app_with_sign_in(backend, |settings| {
        settings.notices.smtp_url = Some(SecretString::from(smtp_url));
        settings.freshness.review_reminder_seconds = 1;
        let staff = settings
            .oidc
            .iter_mut()
            .find(|provider| provider.id == "staff")
            .unwrap();
        staff.scopes.push("email".into());
    })
    .await;
    let id = app
        .app
        .publish_program(HIROSAKI_CITY_TOKEN, &overdue("弘前市 乳児家庭訪問"))
        .await;
    Browser::sign_in(&app.app, "staff", "hirosaki").await;
    let mail = smtp.wait_for_count(1, Duration::from_secs(20)).await.unwrap();
    let text = mail[0].text_body.clone().unwrap();
    let link = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("内容に変更なし: "))
        .unwrap()
        .to_owned();

    let chromium = Chromium::start().await;
    chromium.visit(&link, (360, 740)).await;
    let shots = screenshots();
    chromium
        .check_open_page(&shots, &format!("review-link-{backend:?}"))
        .await;
    assert!(chromium.text().await.contains("弘前市 乳児家庭訪問"));
    chromium.click_and_wait("form button[type=submit]").await;
    assert!(
        chromium.text().await.contains("確認を記録しました"),
        "{}",
        chromium.text().await
    );
    chromium
        .check_open_page(&shots, &format!("review-recorded-{backend:?}"))
        .await;
    chromium.close().await;

    let program = call(app.app.get(&format!("/api/v1/programs/{id}")), 200).await;
    assert_eq!(program["last_reviewed_on"], json!(today()));
    let history = call(
        app.app
            .get(&format!("/api/v1/programs/{id}/history"))
            .bearer_auth(HIROSAKI_CITY_TOKEN),
        200,
    )
    .await;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|version| version["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "published", "reviewed"]);
}
