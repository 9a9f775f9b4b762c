//! The pages in real headless Chromium, at a phone's width and a desktop's: axe-core finds no
//! serious or critical violation, the stylesheet loads under the page's Content-Security-Policy,
//! and a screenshot of each is kept under the build directory (`tmp/screenshots/`).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::Path;

use kosodate_tests::browser::Chromium;
use kosodate_tests::{Backend, both_backends, spawn_app};

both_backends!(every_page_passes_axe_at_phone_and_desktop_widths);

const SIZES: [(u32, u32); 2] = [(360, 740), (1280, 800)];

async fn every_page_passes_axe_at_phone_and_desktop_widths(backend: Backend) {
    let app = spawn_app(backend).await;
    let chromium = Chromium::start().await;
    let pages = [
        ("error", "/no-such-page"),
        ("notice-link", "/notices/actions/not-a-signed-token"),
    ];
    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    for (name, path) in pages {
        for size in SIZES {
            let file = format!("{name}-{backend:?}");
            chromium
                .check_page(&app.url(path), size, &screenshots, &file)
                .await;
        }
    }
    chromium.close().await;
}

/// The check above can fail: a page with an unlabelled button and an image without a text
/// alternative is caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_what_a_screen_reader_would_miss() {
    let chromium = Chromium::start().await;
    chromium
        .visit(
            "data:text/html,<html lang=\"ja\"><title>t</title><main><img src=\"x.png\"><button></button></main></html>",
            SIZES[0],
        )
        .await;
    let violations = chromium.serious_violations().await;
    let rules: Vec<&str> = violations.iter().map(|violation| violation.id.as_str()).collect();
    assert!(rules.contains(&"button-name"), "{violations:#?}");
    assert!(rules.contains(&"image-alt"), "{violations:#?}");
    chromium.close().await;
}
