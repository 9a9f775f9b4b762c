//! The program page in real headless Chromium at a phone's width and a desktop's: axe-core finds
//! no serious or critical violation on the page, on its answer and on its error state, and a
//! parent fills "is my child eligible?" with the keyboard alone and reads the answer. Screenshots
//! are kept under the build directory (`tmp/screenshots/`).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{Months, Utc};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use kosodate_domain::japan;
use kosodate_tests::browser::Chromium;
use kosodate_tests::{
    AOMORI_CITY_TOKEN, Backend, PREFECTURE_TOKEN, TestApp, both_backends, program_body, spawn_app,
};
use serde_json::json;

both_backends!(
    the_program_page_passes_axe_at_phone_and_desktop_widths,
    the_inline_check_is_filled_with_the_keyboard,
    the_page_reflows_at_320_pixels_and_double_text
);

const SIZES: [(u32, u32); 2] = [(360, 740), (1280, 800)];

async fn published_allowance(app: &TestApp) -> String {
    let mut body = program_body("022012", "児童手当");
    body["eligibility"] = json!({"version": 1, "rule": {"some_child": {"until_march_31_after_age": 18}}});
    app.publish_program(AOMORI_CITY_TOKEN, &body).await
}

fn screenshots() -> std::path::PathBuf {
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
        (
            "program-municipality-error",
            format!("/programs/{regional}?municipality=&birth_date=2025-04-01&due_date=#check"),
        ),
        ("program", format!("/programs/{id}")),
        (
            "program-answer",
            format!("/programs/{id}?birth_date=2025-04-01&due_date=#check"),
        ),
        (
            "program-error",
            format!("/programs/{id}?birth_date=2025-13-45&due_date=#check"),
        ),
    ];
    for (name, path) in &pages {
        for size in SIZES {
            chromium.visit(&app.url(path), size).await;
            chromium
                .assert_accessible_page(&format!("{path} at {size:?}"))
                .await;
            // Nothing is wider than a phone's screen.
            assert_eq!(
                chromium
                    .evaluate("return document.documentElement.scrollWidth <= window.innerWidth")
                    .await,
                true,
                "{path} at {size:?}"
            );
            let file = format!("{name}-{}x{}-{backend:?}", size.0, size.1);
            chromium.screenshot(&screenshots(), &file).await;
        }
    }
    chromium.close().await;
}

/// WCAG 1.4.4 and 1.4.10: text at 200 % on a 320 px screen needs no sideways scrolling.
async fn the_page_reflows_at_320_pixels_and_double_text(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published_allowance(&app).await;
    let chromium = Chromium::start().await;
    let path = format!("/programs/{id}?birth_date=2025-13-45&due_date=#check");
    chromium.visit(&app.url(&path), (320, 740)).await;
    let fits = chromium
        .evaluate(
            "document.documentElement.style.fontSize = '200%';
             return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
        )
        .await;
    assert_eq!(fits[0], fits[1], "[page width, window width] at 200 % text");
    chromium
        .screenshot(&screenshots(), &format!("program-320-double-text-{backend:?}"))
        .await;
    chromium.close().await;
}

/// Presses each key of `keys` in turn, as a keyboard would.
async fn press(chromium: &Chromium, keys: &str) {
    let mut actions = KeyActions::new("keyboard".to_owned());
    for key in keys.chars() {
        actions = actions
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
    }
    chromium.client.perform_actions(actions).await.unwrap();
}

async fn active_element_id(chromium: &Chromium) -> String {
    let id = chromium
        .evaluate("return document.activeElement ? document.activeElement.id : ''")
        .await;
    id.as_str().unwrap_or_default().to_owned()
}

async fn the_inline_check_is_filled_with_the_keyboard(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published_allowance(&app).await;
    let chromium = Chromium::start().await;
    chromium
        .visit(&app.url(&format!("/programs/{id}")), SIZES[0])
        .await;

    let tab = char::from(Key::Tab).to_string();
    let mut presses = 0;
    while active_element_id(&chromium).await != "birth_date" {
        presses += 1;
        assert!(presses < 40, "the birth date field is reached with Tab");
        press(&chromium, &tab).await;
    }
    // Focus is visible where it is.
    let outline = chromium
        .evaluate("return getComputedStyle(document.activeElement).outlineStyle")
        .await;
    assert_eq!(outline, "solid");

    let birth = japan::date_of(Utc::now())
        .checked_sub_months(Months::new(12))
        .unwrap();
    press(&chromium, &birth.format("%Y%m%d").to_string()).await;
    press(&chromium, &char::from(Key::Enter).to_string()).await;

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
    let headline = chromium
        .evaluate("return document.querySelector('.verdict').textContent")
        .await;
    assert_eq!(headline, "はい、対象です。");
    chromium.assert_accessible_page("the answer").await;
    chromium
        .screenshot(&screenshots(), &format!("program-keyboard-answer-{backend:?}"))
        .await;
    chromium.close().await;
}
