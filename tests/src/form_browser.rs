//! A signed-in browser without JavaScript for the server-rendered forms: it asks for HTML,
//! does not follow redirects (so that a save's 303 and its `Location` can be read) and posts
//! forms with the session's CSRF token.

use reqwest::header::{ACCEPT, COOKIE, HeaderMap, LOCATION};

use crate::{Browser, TestApp};

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

#[derive(Debug)]
pub struct FormBrowser {
    pub client: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

impl FormBrowser {
    /// Signs in with `provider` (`staff` or `parents`) as `login`.
    pub async fn sign_in(app: &TestApp, provider: &str, login: &str) -> Self {
        let signed_in = Browser::sign_in(app, provider, login).await;
        let mut headers = HeaderMap::new();
        let cookie = signed_in.cookie_header().expect("a session cookie");
        headers.insert(COOKIE, cookie.parse().expect("a cookie header"));
        headers.insert(ACCEPT, BROWSER_ACCEPT.parse().expect("an accept header"));
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .expect("a client"),
            base: app.url(""),
            csrf: signed_in.csrf.expect("a CSRF token"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The page at `path`, which must answer `status`.
    pub async fn page(&self, path: &str, status: u16) -> String {
        let response = self.client.get(self.url(path)).send().await.expect("a page");
        assert_eq!(response.status().as_u16(), status, "{path}");
        response.text().await.expect("a body")
    }

    /// Posts the form fields with the session's token; the status, the `Location` and the page.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let response = self
            .client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .expect("a response");
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, location, response.text().await.expect("a body"))
    }
}

/// The calendar feed's address as `/me/calendar` shows it right after making it.
pub fn calendar_feed_url(page: &str) -> String {
    let input = page.find(r#"id="feed-url""#).expect("the page shows the address");
    let value = &page[input..];
    let start = value.find(r#"value=""#).expect("a value") + r#"value=""#.len();
    let end = start + value[start..].find('"').expect("the value ends");
    value[start..end].replace("&#x2f;", "/").replace("&#47;", "/")
}
