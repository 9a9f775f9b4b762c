//! Pages for people: a browser that meets an error gets a page in Japanese saying what to do
//! next, while programs keep problem documents; every page carries the same strict headers and a
//! stylesheet browsers may keep.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::{Backend, TestApp, both_backends, spawn_app};
use reqwest::RequestBuilder;
use reqwest::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderMap, HeaderName, REFERRER_POLICY,
};

both_backends!(
    browsers_get_error_pages_in_japanese,
    programs_keep_problem_documents,
    error_pages_escape_what_the_request_said,
    a_notice_link_opens_a_page_of_the_same_look
);

/// What Chromium sends when it navigates.
const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

fn header(headers: &HeaderMap, name: HeaderName) -> String {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The headers and the page a browser gets, asserting the status.
async fn as_browser(request: RequestBuilder, status: u16) -> (HeaderMap, String) {
    let response = request.header(ACCEPT, BROWSER_ACCEPT).send().await.unwrap();
    assert_eq!(response.status().as_u16(), status);
    let headers = response.headers().clone();
    (headers, response.text().await.unwrap())
}

fn stylesheet_href(page: &str) -> String {
    let start = page.find("<link rel=\"stylesheet\" href=\"").unwrap() + 29;
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_owned()
}

async fn browsers_get_error_pages_in_japanese(backend: Backend) {
    let app: TestApp = spawn_app(backend).await;
    let (headers, page) = as_browser(app.get("/no-such-page"), 404).await;
    assert!(header(&headers, CONTENT_TYPE).starts_with("text/html"));
    assert!(page.contains("<html lang=\"ja\">"), "{page}");
    assert!(page.contains("<h1>"), "{page}");
    assert!(page.contains("次にできること"), "{page}");
    assert!(page.contains("アドレスが正しいか確かめてください"), "{page}");
    let request_id = header(&headers, "x-request-id".parse().unwrap());
    assert!(!request_id.is_empty());
    assert!(
        page.contains(&request_id),
        "the page names the request for support: {page}"
    );

    let policy = header(&headers, CONTENT_SECURITY_POLICY);
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(header(&headers, REFERRER_POLICY), "no-referrer");
    assert!(!page.contains("<script"), "no script on an error page: {page}");
    assert!(
        !page.contains("style="),
        "no inline style under the policy: {page}"
    );

    let href = stylesheet_href(&page);
    assert!(
        href.starts_with("/assets/site.") && href.ends_with(".css"),
        "{href}"
    );
    let stylesheet = app.get(&href).send().await.unwrap();
    assert_eq!(stylesheet.status(), 200);
    assert!(header(stylesheet.headers(), CONTENT_TYPE).starts_with("text/css"));
    assert!(header(stylesheet.headers(), CACHE_CONTROL).contains("immutable"));
    assert!(stylesheet.text().await.unwrap().contains(":focus-visible"));
    // Another name, such as a stale fingerprint, is not served.
    as_browser(app.get("/assets/site.0000000000000000.css"), 404).await;
}

async fn programs_keep_problem_documents(backend: Backend) {
    let app = spawn_app(backend).await;
    for accept in [
        None,
        Some("*/*"),
        Some("application/json"),
        Some("application/json, text/html;q=0.5"),
    ] {
        let mut request = app.get("/no-such-page");
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(
            header(response.headers(), CONTENT_TYPE),
            "application/problem+json",
            "Accept: {accept:?}"
        );
    }
}

async fn error_pages_escape_what_the_request_said(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, page) = as_browser(app.get("/auth/login/%3Cscript%3Ealert(1)%3C%2Fscript%3E"), 404).await;
    assert!(
        page.contains("&#60;script&#62;alert(1)"),
        "shown, escaped: {page}"
    );
    assert!(!page.contains("<script"), "{page}");
}

/// The links in a notice open pages with the same layout and headers, even a link gone bad.
async fn a_notice_link_opens_a_page_of_the_same_look(backend: Backend) {
    let app = spawn_app(backend).await;
    let (headers, page) = as_browser(app.get("/notices/actions/not-a-signed-token"), 404).await;
    assert!(page.contains("<h1>リンクが無効です</h1>"), "{page}");
    assert!(page.contains("<html lang=\"ja\">"), "{page}");
    assert!(stylesheet_href(&page).starts_with("/assets/site."));
    assert!(header(&headers, CONTENT_SECURITY_POLICY).contains("frame-ancestors 'none'"));
    assert_eq!(
        header(&headers, REFERRER_POLICY),
        "no-referrer",
        "the token stays here"
    );
}
