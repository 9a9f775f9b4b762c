//! A partner app as a fourth notice channel (issue 19), end to end on both databases: a parent
//! links the app on the real authorization page and the app exchanges the code (PKCE checked;
//! a wrong redirect URI, a reused code and a wrong verifier refused); notices reach the test
//! partner signed as Standard Webhooks and verified by the specification's reference
//! implementation, with nothing of the household record; a 5xx is retried with the same
//! `webhook-id`, a 4xx dead-lettered, quiet hours respected; unlinking (by the parent, or by the
//! app revoking its link token) cancels the queue, and a revoked partner gets nothing.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine;
use chrono::{NaiveDate, Timelike, Utc};
use kosodate_households::{
    ConsentPurpose, HouseholdId, HouseholdInput, Households, LinkRequest, Registration,
};
use kosodate_matching::{MatchPolicy, MatchRunner};
use kosodate_partners::{PartnerInput, Partners, Registered};
use kosodate_registry::Registry;
use kosodate_test_peers::partner::{Answer, PartnerServer};
use kosodate_tests::{Backend, Browser, TestApp, both_backends, spawn_app_with, spawn_app_with_sign_in};
use reqwest::header::{ACCEPT, COOKIE, LOCATION};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

both_backends!(
    a_parent_links_an_app_through_the_authorization_page,
    notices_reach_the_app_signed_retried_and_dead_lettered,
    unlinking_and_revoking_stop_delivery_and_cancel_the_queue
);

const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "a-verifier-of-the-partner-app-0123456789-abcdefghij";
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn register_partner(app: &TestApp, partner: &PartnerServer) -> Registered {
    let registered = Partners::new(app.db.clone())
        .register(
            &PartnerInput {
                name: "母子手帳アプリ テスト".into(),
                contact_email: "dev@example.jp".into(),
                scopes: "notices:deliver".into(),
                redirect_uris: vec![REDIRECT_URI.into()],
                notice_webhook_url: Some(partner.hook_url()),
                rate_limit_per_minute: 6_000,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    partner.set_secret(registered.partner.signing.current.expose());
    registered
}

/// The app's code exchange at the token endpoint.
async fn exchange(
    app: &TestApp,
    partner: &Registered,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(&partner.partner.client_id, Some(&partner.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn authorize_query(partner: &Registered, redirect_uri: &str, challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", partner.partner.client_id.clone()),
        ("redirect_uri", redirect_uri.into()),
        ("scope", "notices:deliver".into()),
        ("state", "xyz-state".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

/// The parent's browser without following redirects, so the test sees where it is sent.
fn stopping(browser: &Browser) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(COOKIE, browser.cookie_header().unwrap().parse().unwrap());
    headers.insert(ACCEPT, BROWSER_ACCEPT.parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

/// The parent allows the link on the page: the code the app is sent back with.
async fn allow(browser: &Browser, partner: &Registered) -> String {
    let mut form = authorize_query(partner, REDIRECT_URI, &challenge(VERIFIER));
    form.push(("csrf_token", browser.csrf.clone().unwrap()));
    form.push(("decision", "allow".into()));
    let response = stopping(browser)
        .post(browser.url("/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let location = url::Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT_URI), "{location}");
    let query: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "xyz-state");
    query["code"].clone()
}

async fn signed_in_parent_with_household(app: &TestApp, browser: &Browser) {
    let csrf = browser.csrf.clone().unwrap();
    for (action, fields) in [
        (
            "/me/consent",
            vec![("purpose", "matching"), ("version_matching", "1")],
        ),
        (
            "/me/household",
            vec![
                ("municipality_code", "022012"),
                ("child0_kind", "born"),
                ("child0_date", "2025-06-01"),
                ("action", "save"),
            ],
        ),
    ] {
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend(fields);
        let response = browser
            .client
            .post(app.url(action))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{action}");
    }
}

async fn a_parent_links_an_app_through_the_authorization_page(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |settings| settings.load_examples = Some(true)).await;
    let app = &signed_in.app;
    let peer = PartnerServer::start().await.unwrap();
    let partner = register_partner(app, &peer).await;
    let browser = Browser::sign_in(app, "parents", "hanako").await;
    signed_in_parent_with_household(app, &browser).await;

    // The page names the app, what it gets and what it never gets, and how to unlink.
    let query = authorize_query(&partner, REDIRECT_URI, &challenge(VERIFIER));
    let page = stopping(&browser)
        .get(browser.url("/oauth/authorize"))
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("form-action 'self' http://127.0.0.1:9"),
        "{policy}"
    );
    let html = page.text().await.unwrap();
    for words in [
        "母子手帳アプリ テスト",
        "アプリに渡さないもの",
        "連携の解除",
        "同意して連携する",
    ] {
        assert!(html.contains(words), "{words}");
    }

    // A redirect URI the app did not register is told to the parent, never redirected to.
    let wrong = authorize_query(&partner, "http://127.0.0.1:9/elsewhere", &challenge(VERIFIER));
    let refused = stopping(&browser)
        .get(browser.url("/oauth/authorize"))
        .query(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    assert!(refused.headers().get(LOCATION).is_none());
    // Without PKCE the app hears why on its redirect URI.
    let plain = authorize_query(&partner, REDIRECT_URI, "not-a-challenge");
    let back = stopping(&browser)
        .get(browser.url("/oauth/authorize"))
        .query(&plain)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status().as_u16(), 303);
    assert!(
        back.headers()[LOCATION]
            .to_str()
            .unwrap()
            .contains("error=invalid_request")
    );

    // Each refusal spends its code; the right exchange answers the subject and no household data.
    let code = allow(&browser, &partner).await;
    let (status, body) = exchange(app, &partner, &code, "http://127.0.0.1:9/elsewhere", VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let code = allow(&browser, &partner).await;
    let wrong_verifier = format!("{VERIFIER}x");
    let (status, body) = exchange(app, &partner, &code, REDIRECT_URI, &wrong_verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let code = allow(&browser, &partner).await;
    let (status, granted) = exchange(app, &partner, &code, REDIRECT_URI, VERIFIER).await;
    assert_eq!(status, 200, "{granted}");
    let keys: BTreeSet<&str> = granted.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["access_token", "link_subject", "scope", "token_type"])
    );
    let (status, body) = exchange(app, &partner, &code, REDIRECT_URI, VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "a code works once"
    );

    // One link however often the parent allowed; shown on the channels page and in My data.
    let links = rows(app, "SELECT subject FROM partner_links").await;
    assert_eq!(links.len(), 1);
    assert_eq!(
        links[0].try_get::<String>("", "subject").unwrap(),
        granted["link_subject"].as_str().unwrap()
    );
    let channels = browser
        .client
        .get(app.url("/me/channels"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(channels.contains("連携アプリ"), "the link is a channel");
    assert!(
        channels.contains("母子手帳アプリ テスト（削除すると連携を解除します）"),
        "the channel names the app: {channels}"
    );
    let my_data = browser.client.get(app.url("/me/data")).send().await.unwrap();
    let my_data = my_data.text().await.unwrap();
    let link_id = rows(app, "SELECT id FROM partner_links").await[0]
        .try_get::<String>("", "id")
        .unwrap();
    let unlink = format!("/me/channels/{link_id}/remove");
    assert!(
        my_data.contains("母子手帳アプリ テスト（") && my_data.contains(&unlink),
        "My data lists the app with its unlink button: {my_data}"
    );
    let data = browser
        .client
        .get(app.url("/me/data/export.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        data.contains("\"partner_links\"") && data.contains("notices:deliver"),
        "{data}"
    );
    // Unlinking from My data ends the link and comes back to My data.
    let token = browser.csrf.clone().unwrap();
    let form = [("csrf_token", token.as_str()), ("back", "/me/data")];
    let unlinked = browser
        .client
        .post(app.url(&unlink))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(unlinked.url().path(), "/me/data");
    let page = unlinked.text().await.unwrap();
    assert!(
        page.contains("お知らせを届けるアプリとは連携していません"),
        "{page}"
    );
    let ended = rows(app, "SELECT id FROM partner_links WHERE unlinked_at IS NOT NULL").await;
    assert_eq!(ended.len(), 1);
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

async fn app_with_worker(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.load_examples = Some(true);
        let notices = &mut settings.notices;
        notices.worker_in_server = true;
        notices.idle_poll_millis = 50;
        notices.retry_base_seconds = 1;
        notices.retry_cap_seconds = 1;
    })
    .await
}

/// A household in 青森市 with a one-year-old, registered at the counter for matching only: its
/// one way to be told is the app it links.
async fn household(app: &TestApp, preferences: Value) -> HouseholdId {
    let input: HouseholdInput = serde_json::from_value(json!({
        "municipality_code": "022012",
        "children": [{"nickname": "はなこ", "birth_date": today() - chrono::Days::new(400)}],
        "preferences": preferences,
    }))
    .unwrap();
    let registration = Registration::Counter {
        staff: "青森市 窓口".into(),
        consents: vec![ConsentPurpose::Matching],
        paper_form: None,
    };
    Households::new(app.db.clone())
        .register(&input.validate(today()).unwrap(), &registration)
        .await
        .unwrap()
}

/// Links `household` as the page does, and exchanges the code: the subject and link token.
async fn link(app: &TestApp, partner: &Registered, household: HouseholdId) -> (String, String) {
    let request = LinkRequest {
        partner_id: partner.partner.id,
        redirect_uri: url::Url::parse(REDIRECT_URI).unwrap(),
        code_challenge: challenge(VERIFIER),
    };
    let households = Households::new(app.db.clone());
    let code = households
        .link_partner(household, &request, Utc::now())
        .await
        .unwrap();
    let (status, granted) = exchange(app, partner, &code, REDIRECT_URI, VERIFIER).await;
    assert_eq!(status, 200, "{granted}");
    (
        granted["link_subject"].as_str().unwrap().to_owned(),
        granted["access_token"].as_str().unwrap().to_owned(),
    )
}

async fn match_everyone(app: &TestApp) {
    let households = Households::new(app.db.clone());
    MatchRunner::new(households, Registry::new(app.db.clone()), MatchPolicy::default())
        .run_full(today())
        .await
        .unwrap();
}

async fn rows(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    app.db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
}

/// The status of each partner app notice of `household`.
async fn statuses(app: &TestApp, household: HouseholdId) -> Vec<String> {
    let sql = format!(
        "SELECT status FROM notices WHERE channel_kind = 'partner_app' AND household_id = '{household}'"
    );
    rows(app, &sql)
        .await
        .iter()
        .map(|row| row.try_get::<String>("", "status").unwrap())
        .collect()
}

/// Waits for the household's partner app notices to reach `status`.
async fn wait_for_status(app: &TestApp, household: HouseholdId, status: &str) -> Vec<String> {
    for _ in 0..200 {
        let now = statuses(app, household).await;
        if !now.is_empty() && now.iter().all(|seen| seen == status) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    statuses(app, household).await
}

fn never_quiet() -> Value {
    json!({"quiet_from": "00:00", "quiet_until": "00:00", "daily_digest": false})
}

/// Quiet hours from an hour ago to an hour ahead, Tokyo time.
fn quiet_now() -> Value {
    let hour = (Utc::now().hour() + 9) % 24;
    json!({
        "quiet_from": format!("{:02}:00", (hour + 23) % 24),
        "quiet_until": format!("{:02}:00", (hour + 1) % 24),
        "daily_digest": false,
    })
}

async fn notices_reach_the_app_signed_retried_and_dead_lettered(backend: Backend) {
    let app = app_with_worker(backend).await;
    let peer = PartnerServer::start().await.unwrap();
    let partner = register_partner(&app, &peer).await;

    // First a 503: retried with the same webhook-id, then taken.
    peer.plan([Answer::Status(503)]);
    let first = household(&app, never_quiet()).await;
    let (subject, _) = link(&app, &partner, first).await;
    match_everyone(&app).await;
    assert!(peer.wait_for_received(1, Duration::from_secs(30)).await);
    assert_eq!(wait_for_status(&app, first, "sent").await, ["sent"]);
    assert!(peer.rejections().is_empty(), "{:?}", peer.rejections());
    assert_eq!(peer.requests_seen(), 2, "one 503, one taken");
    let received = peer.received();
    let notice_id = rows(&app, "SELECT id FROM notices WHERE channel_kind = 'partner_app'").await[0]
        .try_get::<String>("", "id")
        .unwrap();
    assert_eq!(
        received[0].id, notice_id,
        "the notice's idempotency key is the webhook-id"
    );

    // What the app got: what the notice needs, never the household record.
    let body = &received[0].body;
    let top: BTreeSet<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(top, BTreeSet::from(["data", "timestamp", "type"]));
    let data = body["data"].as_object().unwrap();
    let allowed = BTreeSet::from([
        "action",
        "body",
        "due_on",
        "kind",
        "notice_id",
        "subject",
        "title",
    ]);
    let keys: BTreeSet<&str> = data.keys().map(String::as_str).collect();
    assert!(keys.is_subset(&allowed), "{keys:?}");
    assert_eq!(data["subject"], subject.as_str());
    assert_eq!(data["kind"], "first_match");
    assert!(data["body"].as_str().unwrap().contains("児童手当"), "{body}");
    let text = body.to_string();
    for household_fact in ["はなこ", "022012", &first.to_string()] {
        assert!(!text.contains(household_fact), "{household_fact} in {text}");
    }

    // A 4xx is refused for good: dead-lettered, not retried.
    peer.plan([Answer::Status(400)]);
    let second = household(&app, never_quiet()).await;
    link(&app, &partner, second).await;
    match_everyone(&app).await;
    assert_eq!(wait_for_status(&app, second, "dead").await, ["dead"]);
    assert_eq!(peer.requests_seen(), 3);

    // Quiet hours: planned for after them, nothing sent now.
    let quiet = household(&app, quiet_now()).await;
    link(&app, &partner, quiet).await;
    match_everyone(&app).await;
    let queued = wait_for_status(&app, quiet, "queued").await;
    assert_eq!(queued, ["queued"]);
    let sql = format!("SELECT not_before FROM notices WHERE household_id = '{quiet}'");
    let not_before: chrono::DateTime<Utc> = rows(&app, &sql).await[0].try_get("", "not_before").unwrap();
    assert!(not_before > Utc::now(), "{not_before}");
    assert_eq!(peer.requests_seen(), 3);
}

async fn unlinking_and_revoking_stop_delivery_and_cancel_the_queue(backend: Backend) {
    let app = app_with_worker(backend).await;
    let peer = PartnerServer::start().await.unwrap();
    let partner = register_partner(&app, &peer).await;
    let households = Households::new(app.db.clone());

    // The parent unlinks while a notice waits out the quiet hours: it is cancelled.
    let by_parent = household(&app, quiet_now()).await;
    link(&app, &partner, by_parent).await;
    match_everyone(&app).await;
    assert_eq!(wait_for_status(&app, by_parent, "queued").await, ["queued"]);
    let channel = households.partner_links(by_parent).await.unwrap()[0].id.clone();
    households.remove_channel(by_parent, &channel).await.unwrap();
    assert_eq!(statuses(&app, by_parent).await, ["cancelled"]);
    assert!(households.partner_links(by_parent).await.unwrap().is_empty());
    let history = households.partner_link_history(by_parent).await.unwrap();
    assert_eq!(history[0].unlinked_by.as_deref(), Some("parent"));

    // The app revokes its link token: the same.
    let by_app = household(&app, quiet_now()).await;
    let (_, token) = link(&app, &partner, by_app).await;
    match_everyone(&app).await;
    assert_eq!(wait_for_status(&app, by_app, "queued").await, ["queued"]);
    let response = app
        .client
        .post(app.url("/oauth/revoke"))
        .basic_auth(&partner.partner.client_id, Some(&partner.client_secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(statuses(&app, by_app).await, ["cancelled"]);
    let history = households.partner_link_history(by_app).await.unwrap();
    assert_eq!(history[0].unlinked_by.as_deref(), Some("partner"));

    // A revoked partner receives nothing: the notice finds its address gone.
    let after_revocation = household(&app, never_quiet()).await;
    link(&app, &partner, after_revocation).await;
    Partners::new(app.db.clone())
        .revoke(partner.partner.id, Utc::now())
        .await
        .unwrap();
    match_everyone(&app).await;
    assert_eq!(wait_for_status(&app, after_revocation, "dead").await, ["dead"]);
    assert_eq!(peer.requests_seen(), 0, "nothing ever reached the app");
}
