//! The front door and the search page in real headless Chromium, on both databases: axe-core
//! finds no serious or critical violation at a phone's width and a desktop's, nothing scrolls
//! sideways at 320 px with text at 200 %, a parent reaches the search box and submits a sentence
//! with the keyboard alone, and screenshots of each page are kept under the build directory
//! (`tmp/screenshots/`).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use kosodate_tests::browser::Chromium;
use kosodate_tests::{Backend, TestApp, both_backends, spawn_app_with};

both_backends!(
    home_and_search_pass_axe_at_phone_and_desktop_widths,
    a_sentence_is_searched_with_the_keyboard_alone
);

const SIZES: [(u32, u32); 2] = [(360, 740), (1280, 800)];

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.load_examples = Some(true);
        kosodate_tests::with_dictionary(settings);
    })
    .await
}

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

async fn home_and_search_pass_axe_at_phone_and_desktop_widths(backend: Backend) {
    let app = app(backend).await;
    let chromium = Chromium::start().await;
    let pages = [
        ("home", "/".to_owned()),
        (
            "search",
            "/search?q=%E5%A6%8A%E5%A8%A0%E3%81%97%E3%81%9F%E3%82%89".to_owned(),
        ), // 妊娠したら
        (
            "search-filters",
            "/search?municipality=022021&age=3&category=medical".to_owned(),
        ),
        (
            "search-empty",
            "/search?q=%E9%9B%AA%E3%81%8B%E3%81%8D&municipality=022012".to_owned(),
        ), // 雪かき
        ("search-error", "/search?age=99".to_owned()),
    ];
    let urls = pages
        .iter()
        .map(|(name, path)| (format!("{name}-{backend:?}"), app.url(path)));
    chromium.check_pages_at_every_width(urls, &screenshots()).await;
    chromium.close().await;
}

async fn a_sentence_is_searched_with_the_keyboard_alone(backend: Backend) {
    let app = app(backend).await;
    let chromium = Chromium::start().await;
    chromium.visit(&app.url("/"), SIZES[0]).await;
    // Tab from the top of the page until the search box has the focus, as a keyboard user would.
    chromium.tab_to("q", 10).await;
    chromium.type_text("保育園に入りたい").await;
    chromium.press(Key::Enter).await;

    let started = Instant::now();
    while !chromium
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/search")
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the form is submitted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = chromium.client.current_url().await.unwrap();
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(query, [("q".to_owned(), "保育園に入りたい".to_owned())]);
    let names = chromium
        .evaluate("return [...document.querySelectorAll('.hits h3 a')].map(link => link.textContent)")
        .await;
    assert!(
        names
            .as_array()
            .unwrap()
            .iter()
            .any(|name| name == "こども誰でも通園制度"),
        "{names}"
    );
    assert_eq!(
        chromium
            .evaluate("return document.getElementById('q').value")
            .await,
        "保育園に入りたい"
    );
    let violations = chromium.serious_violations().await;
    assert!(violations.is_empty(), "{violations:#?}");
    let file = format!("search-by-keyboard-{}x{}-{backend:?}", SIZES[0].0, SIZES[0].1);
    chromium.screenshot(&screenshots(), &file).await;
    chromium.close().await;
}
