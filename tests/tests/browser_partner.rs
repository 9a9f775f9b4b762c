//! The page where a parent links a partner app (`/oauth/authorize`), in real headless Chromium,
//! signed in through the real OpenID Provider, on both databases: it passes axe-core without a
//! serious or critical violation at a phone's and a desktop's width, reflows at 320 px with text
//! at 200 %, and is kept as a screenshot (`partner-authorize-…`). Allowing from the keyboard
//! takes the browser to the app's own redirect URI (a loopback page standing for the app) with a
//! code and the app's `state`, which the page's Content-Security-Policy lets the form reach.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use axum::response::Html;
use base64::Engine;
use chrono::Utc;
use fantoccini::Locator;
use fantoccini::key::Key;
use kosodate_partners::{PartnerInput, Partners};
use kosodate_tests::browser::Chromium;
use kosodate_tests::{Backend, Browser, both_backends, spawn_app_with_sign_in};
use serde_json::json;
use sha2::{Digest, Sha256};

both_backends!(the_link_page_passes_axe_and_sends_the_parent_back_to_the_app);

fn screenshots(backend: Backend) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots")
        .join(format!("{backend:?}").to_lowercase())
}

/// The app's redirect URI: a page on loopback, as an app's own would be.
async fn app_callback() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let page = || async {
        Html("<!doctype html><html lang=\"ja\"><title>アプリ</title><p>連携しました</p></html>")
    };
    let router = axum::Router::new().route("/callback", axum::routing::get(page));
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}/callback")
}

async fn the_link_page_passes_axe_and_sends_the_parent_back_to_the_app(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |settings| settings.load_examples = Some(true)).await;
    let app = &signed_in.app;
    let callback = app_callback().await;
    let partner = Partners::new(app.db.clone())
        .register(
            &PartnerInput {
                name: "母子手帳アプリ テスト".into(),
                contact_email: "dev@example.jp".into(),
                scopes: "notices:deliver".into(),
                redirect_uris: vec![callback.clone()],
                notice_webhook_url: Some("http://127.0.0.1:9/hooks".into()),
                rate_limit_per_minute: 600,
            },
            Utc::now(),
        )
        .await
        .unwrap()
        .partner;
    let household = json!({"municipality_code": "022012", "children": [{"birth_date": "2025-06-01"}]});
    let parent = Browser::parent_with_matching(app, "hanako", &household).await;
    let chromium = Chromium::start().await;
    chromium
        .visit(&parent.login_url("parents", "hanako"), (360, 740))
        .await;

    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(
        b"a-verifier-of-the-partner-app-0123456789-abcdefghij",
    ));
    let mut authorize = url::Url::parse(&app.url("/oauth/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &partner.client_id)
        .append_pair("redirect_uri", &callback)
        .append_pair("scope", "notices:deliver")
        .append_pair("state", "from-the-app")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let shots = screenshots(backend);
    let pages = [("partner-authorize".to_owned(), authorize.to_string())];
    chromium.check_pages_at_every_width(pages, &shots).await;
    let text = chromium.text().await;
    for words in [
        "母子手帳アプリ テスト",
        "アプリに渡さないもの",
        "いつでも解除できます",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }

    // Allowed from the keyboard: the parent is back at the app with a code and its state.
    chromium.visit(authorize.as_str(), (360, 740)).await;
    let allow = chromium
        .client
        .find(Locator::Css("button[value=allow]"))
        .await
        .unwrap();
    allow.send_keys(&Key::Enter.to_string()).await.unwrap();
    let mut back = chromium.client.current_url().await.unwrap();
    for _ in 0..100 {
        if back.as_str().starts_with(&callback) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        back = chromium.client.current_url().await.unwrap();
    }
    assert!(back.as_str().starts_with(&callback), "{back}");
    let query: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(query.get("state").map(String::as_str), Some("from-the-app"));
    assert!(query.get("code").is_some_and(|code| code.len() >= 43), "{back}");
    // The linked app by name where the parent keeps their channels and their data.
    let pages =
        ["/me/channels", "/me/data"].map(|path| (format!("partner-linked-{}", &path[4..]), app.url(path)));
    chromium.check_pages_at_every_width(pages, &shots).await;
    let text = chromium.text().await;
    assert!(
        text.contains("母子手帳アプリ テスト（") && text.contains("連携を解除する"),
        "{text}"
    );
    for (width, height) in [(360, 740), (1280, 800)] {
        chromium.client.set_window_size(width, height).await.unwrap();
        let unlink = "document.querySelector('form[action$=\"/remove\"]').scrollIntoView(); return true";
        chromium.evaluate(unlink).await;
        let name = format!("partner-linked-data-apps-{width}x{height}");
        chromium.screenshot(&shots, &name).await;
    }
    chromium.close().await;
}
