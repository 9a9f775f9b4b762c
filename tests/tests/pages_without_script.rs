//! The parent's pages with no script at all: a client that only follows links and posts forms
//! (as a browser with JavaScript off does) consents, registers a household, adds an email
//! address and sees the programs, each form carrying the CSRF token its page gave.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::{Backend, Browser, both_backends, spawn_app_with_sign_in};
use reqwest::header::ACCEPT;

both_backends!(the_signed_in_pages_work_without_javascript);

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The page at `path`: its final address and its HTML.
async fn open(browser: &Browser, path: &str) -> (String, String) {
    let response = browser
        .get(path)
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    (response.url().path().to_owned(), response.text().await.unwrap())
}

/// Posts a form of a page, as its submit button does: the page's CSRF token and `fields`.
async fn submit(browser: &Browser, page: &str, action: &str, fields: &[(&str, &str)]) -> (String, String) {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).expect("a form with its token") + marker.len();
    let token = page[start..start + page[start..].find('"').unwrap()].to_owned();
    assert_eq!(
        Some(&token),
        browser.csrf.as_ref(),
        "the page's token is the session's"
    );
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token)];
    form.extend_from_slice(fields);
    let response = browser
        .client
        .post(browser.url(action))
        .header(ACCEPT, BROWSER_ACCEPT)
        .form(&form)
        .send()
        .await
        .unwrap();
    let (status, path) = (response.status().as_u16(), response.url().path().to_owned());
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "{action}: {body}");
    (path, body)
}

async fn the_signed_in_pages_work_without_javascript(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |settings| settings.load_examples = Some(true)).await;
    let browser = Browser::sign_in(&signed_in.app, "parents", "hanako").await;
    let (path, consent) = open(&browser, "/me").await;
    assert_eq!(path, "/me/consent");
    assert!(!consent.contains("<script"), "no script on the consent page");
    let (path, household) = submit(
        &browser,
        &consent,
        "/me/consent",
        &[("purpose", "matching"), ("version_matching", "1")],
    )
    .await;
    assert_eq!(path, "/me/household");
    // A browser posts every field of the form, the first child's row among them.
    let first_row = [
        ("municipality_code", "022012"),
        ("child0_kind", "born"),
        ("child0_date", "2025-06-01"),
        ("action", "add_child"),
    ];
    let (_, two_rows) = submit(&browser, &household, "/me/household", &first_row).await;
    assert!(
        two_rows.contains("id=\"child1_date\""),
        "a second child without script"
    );
    let (path, channels) = submit(
        &browser,
        &two_rows,
        "/me/household",
        &[
            ("municipality_code", "022012"),
            ("child0_kind", "born"),
            ("child0_date", "2025-06-01"),
            ("child1_kind", "due"),
            ("child1_date", ""),
            ("single_parent", ""),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(path, "/me/channels");
    let (_, sent) = submit(
        &browser,
        &channels,
        "/me/channels/email",
        &[("email", "hanako@example.jp"), ("consent", "yes")],
    )
    .await;
    assert!(sent.contains("確認のメールを送りました"));
    let (_, programs) = open(&browser, "/me").await;
    assert!(programs.contains("児童手当"), "{programs}");
    assert!(!programs.contains("<script"), "no script on /me");
}
