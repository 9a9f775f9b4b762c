//! The calendar feed page in real headless Chromium, signed in through the real OpenID Provider:
//! each state a parent meets (no feed yet, the address just made, a feed in use) passes axe-core
//! without a serious or critical violation at a phone's width and a desktop's, fits a 320 px
//! screen, and is kept as a screenshot under the build directory (`tmp/screenshots/`). The
//! form is sent from the keyboard.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::Path;

use fantoccini::Locator;
use fantoccini::key::Key;
use kosodate_tests::browser::Chromium;
use kosodate_tests::{Backend, Browser, both_backends, spawn_app_with_sign_in};
use serde_json::json;

both_backends!(the_calendar_page_passes_axe_in_every_state);

const SIZES: [(u32, u32); 3] = [(320, 640), (360, 740), (1280, 800)];

async fn check(chromium: &Chromium, state: &str, backend: Backend) {
    for size in SIZES {
        chromium.client.set_window_size(size.0, size.1).await.unwrap();
        let violations = chromium.serious_violations().await;
        assert!(violations.is_empty(), "{state} at {size:?}: {violations:#?}");
        let overflows = chromium
            .evaluate("return document.documentElement.scrollWidth > window.innerWidth")
            .await;
        assert_eq!(overflows, json!(false), "{state} at {size:?} scrolls sideways");
        let file = format!("calendar-{state}-{}x{}-{backend:?}", size.0, size.1);
        chromium
            .screenshot(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"), &file)
            .await;
    }
}

async fn the_calendar_page_passes_axe_in_every_state(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |settings| settings.load_examples = Some(true)).await;
    let household = json!({"municipality_code": "022012", "children": [{"birth_date": "2025-06-01"}]});
    let parent = Browser::parent_with_matching(&app.app, "hanako", &household).await;
    let chromium = Chromium::start().await;
    // The same parent signs in again in Chromium: a session of its own.
    chromium
        .visit(&parent.login_url("parents", "hanako"), SIZES[1])
        .await;
    chromium.visit(&app.app.url("/me/calendar"), SIZES[1]).await;
    check(&chromium, "new", backend).await;

    let button = chromium
        .client
        .find(Locator::XPath(
            "//button[normalize-space()='カレンダー用のURLを作る']",
        ))
        .await
        .unwrap();
    button.send_keys(&Key::Enter.to_string()).await.unwrap();
    let field = chromium
        .client
        .wait()
        .for_element(Locator::Id("feed-url"))
        .await
        .unwrap();
    let address = field.prop("value").await.unwrap().unwrap_or_default();
    assert!(address.starts_with(&app.app.url("/calendar/")), "{address}");
    assert_eq!(field.attr("readonly").await.unwrap().as_deref(), Some("true"));
    check(&chromium, "made", backend).await;

    chromium.visit(&app.app.url("/me/calendar"), SIZES[1]).await;
    let page = chromium.evaluate("return document.body.innerText").await;
    assert!(page.as_str().unwrap().contains("URLを作り直す"), "{page}");
    check(&chromium, "active", backend).await;
    chromium.close().await;
}
