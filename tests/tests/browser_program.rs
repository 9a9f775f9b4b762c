//! The program page in real headless Chromium at a phone's width and a desktop's: axe-core finds
//! no serious or critical violation on the page, on its answer and on its error states, nothing
//! scrolls sideways at 320 px with text at 200 %, and a parent fills "is my child eligible?" with
//! the keyboard alone and reads the answer. Screenshots are kept under the build directory
//! (`tmp/screenshots/`).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{Months, Utc};
use fantoccini::key::Key;
use kosodate_domain::japan;
use kosodate_tests::browser::Chromium;
use kosodate_tests::{
    AOMORI_CITY_TOKEN, Backend, PREFECTURE_TOKEN, TestApp, both_backends, program_body, spawn_app,
};
use serde_json::json;

both_backends!(
    the_program_page_passes_axe_at_phone_and_desktop_widths,
    the_inline_check_is_filled_with_the_keyboard
);

/// A phone's screen, where the keyboard check happens.
const PHONE: (u32, u32) = (360, 740);

async fn published_allowance(app: &TestApp) -> String {
    let mut body = program_body("022012", "児童手当");
    body["eligibility"] = json!({"version": 1, "rule": {"some_child": {"until_march_31_after_age": 18}}});
    app.publish_program(AOMORI_CITY_TOKEN, &body).await
}

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

async fn the_program_page_passes_axe_at_phone_and_desktop_widths(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published_allowance(&app).await;
    let mut by_municipality = program_body("020001", "県の子育て支援（一部の市）");
    by_municipality["eligibility"] = json!({"version": 1, "rule": {"all": [
        {"municipality": ["022012"]},
        {"some_child": {"until_march_31_after_age": 18}}
    ]}});
    let regional = app.publish_program(PREFECTURE_TOKEN, &by_municipality).await;
    let chromium = Chromium::start().await;
    let pages = [
        ("program", format!("/programs/{id}")),
        (
            "program-answer",
            format!("/programs/{id}?birth_date=2025-04-01&due_date=#check"),
        ),
        (
            "program-error",
            format!("/programs/{id}?birth_date=2025-13-45&due_date=#check"),
        ),
        (
            "program-municipality-error",
            format!("/programs/{regional}?municipality=&birth_date=2025-04-01&due_date=#check"),
        ),
    ];
    let urls = pages
        .iter()
        .map(|(name, path)| (format!("{name}-{backend:?}"), app.url(path)));
    chromium.check_pages_at_every_width(urls, &screenshots()).await;
    chromium.close().await;
}

async fn the_inline_check_is_filled_with_the_keyboard(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published_allowance(&app).await;
    let chromium = Chromium::start().await;
    chromium.visit(&app.url(&format!("/programs/{id}")), PHONE).await;
    chromium.tab_to("birth_date", 40).await;
    let birth = japan::date_of(Utc::now())
        .checked_sub_months(Months::new(12))
        .unwrap();
    chromium.type_text(&birth.format("%Y%m%d").to_string()).await;
    chromium.press(Key::Enter).await;

    let started = Instant::now();
    let verdict = loop {
        let found = chromium
            .evaluate("const answer = document.querySelector('[data-verdict]'); return answer ? answer.dataset.verdict : ''")
            .await;
        if found != "" || started.elapsed() > Duration::from_secs(10) {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(verdict, "yes");
    assert_eq!(
        chromium.path().await,
        format!("/programs/{id}"),
        "the form is posted: the child's date stays out of the address and the history"
    );
    let headline = chromium
        .evaluate("return document.querySelector('.verdict').textContent")
        .await;
    assert_eq!(headline, "はい、対象です。");
    let name = format!("program-by-keyboard-{backend:?}");
    chromium.check_open_page(&screenshots(), &name).await;
    chromium.close().await;
}
