//! Partner apps end to end, on SQLite and PostgreSQL: the OAuth 2.0 client credentials grant,
//! scoped bearer reads of the public API, revocation, the per-partner rate limit, administrators
//! registering partners, and change webhooks reaching the test partner signed as the Standard
//! Webhooks specification describes, retried after a 5xx or a timeout and taken once.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use kosodate_partners::{PartnerInput, Partners, Registered};
use kosodate_server::settings::PartnerSettings;
use kosodate_test_peers::partner::{Answer, PartnerServer};
use kosodate_tests::browser::Chromium;
use kosodate_tests::{
    ADMIN_TOKEN, AOMORI_CITY_TOKEN, Backend, Browser, TestApp, both_backends, call, program_body, spawn_app,
    spawn_app_with, spawn_app_with_sign_in,
};
use reqwest::{Method, Response};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

both_backends!(
    client_credentials_issue_scoped_tokens,
    partner_tokens_read_within_their_scopes,
    revoked_tokens_and_partners_are_refused,
    the_rate_limit_answers_429_with_retry_after,
    administrators_register_list_and_revoke_partners,
    a_published_program_reaches_the_partner_signed,
    places_and_events_reach_their_subscribers,
    a_5xx_then_2xx_is_retried_and_taken_once,
    a_timeout_is_retried_and_the_repeat_dropped,
    a_4xx_is_not_retried,
    the_partners_page_registers_once_and_passes_axe,
);

async fn register(app: &TestApp, scopes: &str, rate: u32) -> Registered {
    let input = PartnerInput {
        name: "母子手帳アプリ".into(),
        contact_email: "dev@example.jp".into(),
        scopes: scopes.into(),
        redirect_uris: Vec::new(),
        notice_webhook_url: None,
        rate_limit_per_minute: rate,
    };
    Partners::new(app.db.clone())
        .register(&input, chrono::Utc::now())
        .await
        .unwrap()
}

/// Asks for a token with `client_secret_post` (and `extra` parameters).
async fn token_request(app: &TestApp, partner: &Registered, extra: &[(&str, &str)]) -> Response {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", partner.partner.client_id.as_str()),
        ("client_secret", partner.client_secret.as_str()),
    ];
    form.extend_from_slice(extra);
    app.client
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn access_token(app: &TestApp, partner: &Registered, scope: Option<&str>) -> String {
    let extra: Vec<(&str, &str)> = scope.map(|scope| ("scope", scope)).into_iter().collect();
    let response = token_request(app, partner, &extra).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn oauth_error(response: Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.unwrap();
    body["error"].as_str().unwrap().to_owned()
}

async fn client_credentials_issue_scoped_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let partner = register(&app, "programs:read webhooks:manage", 600).await;
    let response = token_request(&app, &partner, &[("scope", "programs:read")]).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["token_type"].clone(), body["expires_in"].clone()),
        (json!("Bearer"), json!(3600))
    );
    assert_eq!(body["scope"], "programs:read");

    // client_secret_basic (our ids and secrets are the same form-urlencoded).
    let (id, secret) = (&partner.partner.client_id, Some(&partner.client_secret));
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(id, secret)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["scope"], "programs:read webhooks:manage",
        "all granted scopes: {body}"
    );

    let mut wrong = partner.clone();
    wrong.client_secret = "kps_wrong".into();
    let refused = token_request(&app, &wrong, &[]).await;
    assert!(refused.headers().contains_key("www-authenticate"));
    assert_eq!(oauth_error(refused, 401).await, "invalid_client");
    let both = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(id, secret)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", partner.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(both, 400).await, "invalid_request");
    let wider = token_request(&app, &partner, &[("scope", "events:read")]).await;
    assert_eq!(oauth_error(wider, 400).await, "invalid_scope");
    let form = [
        ("grant_type", "password"),
        ("client_id", partner.partner.client_id.as_str()),
    ];
    let password = app
        .client
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(password, 400).await, "unsupported_grant_type");
}

async fn partner_tokens_read_within_their_scopes(backend: Backend) {
    let app = spawn_app(backend).await;
    let program = app
        .publish_program(AOMORI_CITY_TOKEN, &program_body("022012", "子ども医療費助成"))
        .await;
    let partner = register(&app, "programs:read webhooks:manage", 600).await;
    let reader = access_token(&app, &partner, Some("programs:read")).await;
    let manager = access_token(&app, &partner, Some("webhooks:manage")).await;
    let path = format!("/api/v1/programs/{program}");
    let read = call(app.get(&path).bearer_auth(&reader), 200).await;
    assert_eq!(read["id"], program.as_str());
    call(app.get("/api/v1/programs").bearer_auth(&reader), 200).await;
    let refused = call(app.get(&path).bearer_auth(&manager), 403).await;
    assert_eq!(refused["type"], "/problems/insufficient-scope");
    assert!(
        refused["detail"].as_str().unwrap().contains("programs:read"),
        "{refused}"
    );
    // Partners read; they never write or reach a household.
    call(
        app.post("/api/v1/programs", &reader)
            .json(&program_body("022012", "x")),
        403,
    )
    .await;
    call(app.get("/api/v1/me/household").bearer_auth(&reader), 401).await;
    let unknown = call(app.get(&path).bearer_auth("kpt_unknown"), 401).await;
    assert_eq!(unknown["type"], "/problems/invalid-token");
    // Webhook subscriptions need webhooks:manage.
    let subscription = json!({"url": "https://app.example.jp/hooks", "event_types": ["program.changed"]});
    call(
        app.post("/api/v1/partner/webhooks", &reader).json(&subscription),
        403,
    )
    .await;
    call(
        app.post("/api/v1/partner/webhooks", &manager).json(&subscription),
        201,
    )
    .await;
}

async fn revoked_tokens_and_partners_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let partner = register(&app, "programs:read", 600).await;
    let token = access_token(&app, &partner, None).await;
    call(app.get("/api/v1/programs").bearer_auth(&token), 200).await;
    let form = [
        ("token", token.as_str()),
        ("client_id", partner.partner.client_id.as_str()),
        ("client_secret", partner.client_secret.as_str()),
    ];
    let revoked = app
        .client
        .post(app.url("/oauth/revoke"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status().as_u16(), 200);
    call(app.get("/api/v1/programs").bearer_auth(&token), 401).await;

    let second = access_token(&app, &partner, None).await;
    Partners::new(app.db.clone())
        .revoke(partner.partner.id, chrono::Utc::now())
        .await
        .unwrap();
    call(app.get("/api/v1/programs").bearer_auth(&second), 401).await;
    assert_eq!(
        oauth_error(token_request(&app, &partner, &[]).await, 401).await,
        "invalid_client"
    );
}

async fn the_rate_limit_answers_429_with_retry_after(backend: Backend) {
    let app = spawn_app(backend).await;
    // Three a minute: the token and two reads, then the partner waits about 20 seconds.
    let partner = register(&app, "programs:read", 3).await;
    let other = register(&app, "programs:read", 3).await;
    let token = access_token(&app, &partner, None).await;
    for _ in 0..2 {
        call(app.get("/api/v1/programs").bearer_auth(&token), 200).await;
    }
    let response = app
        .get("/api/v1/programs")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    let problem = kosodate_tests::expect_status(response, 429).await;
    assert_eq!(problem["type"], "/problems/rate-limited");
    // Another partner's rate is its own, and the public is not limited by partners.
    let other_token = access_token(&app, &other, None).await;
    call(app.get("/api/v1/programs").bearer_auth(&other_token), 200).await;
    call(app.get("/api/v1/programs"), 200).await;
}

async fn administrators_register_list_and_revoke_partners(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let registration = json!({
        "name": "母子手帳アプリ",
        "contact_email": "dev@example.jp",
        "scopes": ["programs:read", "webhooks:manage"],
        "rate_limit_per_minute": 120
    });
    // Only administrators who signed in; a machine token and prefecture staff are refused.
    let machine = app
        .app
        .post("/api/v1/admin/partners", ADMIN_TOKEN)
        .json(&registration);
    call(machine, 403).await;
    let prefecture = Browser::sign_in(&app.app, "staff", "prefecture").await;
    call(
        prefecture
            .send(Method::POST, "/api/v1/admin/partners")
            .json(&registration),
        403,
    )
    .await;

    let admin = Browser::sign_in(&app.app, "staff", "admin").await;
    let registered = call(
        admin
            .send(Method::POST, "/api/v1/admin/partners")
            .json(&registration),
        201,
    )
    .await;
    let secret = registered["client_secret"].as_str().unwrap();
    assert!(
        registered["signing_secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_")
    );
    let client_id = registered["partner"]["client_id"].as_str().unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
    ];
    let issued = app
        .app
        .client
        .post(app.app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status().as_u16(), 200);

    let listed = call(admin.send(Method::GET, "/api/v1/admin/partners"), 200).await;
    assert_eq!(listed[0]["client_id"], client_id);
    assert!(!listed.to_string().contains(secret), "secrets are shown once");
    let id = registered["partner"]["id"].as_str().unwrap();
    let rotated = call(
        admin
            .send(Method::POST, &format!("/api/v1/admin/partners/{id}/rotate"))
            .json(&json!({"secret": "client_secret"})),
        200,
    )
    .await;
    assert_ne!(rotated["client_secret"], registered["client_secret"]);
    let revoked = call(
        admin.send(Method::POST, &format!("/api/v1/admin/partners/{id}/revoke")),
        200,
    )
    .await;
    assert!(revoked["revoked_at"].is_string());
    let refused = app
        .app
        .client
        .post(app.app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(refused, 401).await, "invalid_client");
    let audited = app
        .app
        .rows_once(
            "SELECT action FROM audit_log WHERE action LIKE 'partner.%'",
            6,
            Duration::from_secs(2),
        )
        .await;
    let actions: Vec<String> = audited
        .iter()
        .map(|row| row.try_get("", "action").unwrap())
        .collect();
    for action in [
        "partner.register",
        "partner.registered",
        "partner.list",
        "partner.rotated",
        "partner.revoked",
    ] {
        assert!(
            actions.iter().any(|seen| seen == action),
            "{action} in {actions:?}"
        );
    }
}

/// A service whose webhooks poll every 100 ms, wait a second between attempts (twice) and give a
/// partner 700 ms to answer.
async fn spawn_webhook_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.partners = PartnerSettings {
            webhooks_in_server: true,
            webhook_retry_seconds: vec![1, 1],
            webhook_timeout_millis: 700,
            webhook_poll_millis: 100,
        };
    })
    .await
}

/// A partner subscribed to program changes at the test partner, which knows its signing secret;
/// the partner's reading token.
async fn subscribed_partner(app: &TestApp, receiver: &PartnerServer) -> String {
    let partner = register(app, "programs:read webhooks:manage", 600).await;
    receiver.set_secret(partner.partner.signing.current.expose());
    let token = access_token(app, &partner, None).await;
    let subscription = json!({"url": receiver.hook_url(), "event_types": ["program.changed"]});
    call(
        app.post("/api/v1/partner/webhooks", &token).json(&subscription),
        201,
    )
    .await;
    token
}

async fn delivery_rows(app: &TestApp) -> Vec<(String, String, i32)> {
    let sql = "SELECT id, status, attempts FROM partner_webhook_deliveries";
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get("", "id").unwrap(),
                row.try_get("", "status").unwrap(),
                row.try_get("", "attempts").unwrap(),
            )
        })
        .collect()
}

async fn a_published_program_reaches_the_partner_signed(backend: Backend) {
    let app = spawn_webhook_app(backend).await;
    let receiver = PartnerServer::start().await.unwrap();
    let token = subscribed_partner(&app, &receiver).await;
    // A draft is nobody's business outside the registry.
    app.create_program(AOMORI_CITY_TOKEN, &program_body("022012", "下書きの制度"))
        .await;
    let program = app
        .publish_program(AOMORI_CITY_TOKEN, &program_body("022012", "子ども医療費助成"))
        .await;
    assert!(
        receiver.wait_for_received(1, Duration::from_secs(20)).await,
        "{:?}",
        receiver.rejections()
    );
    let webhook = &receiver.received()[0];
    assert_eq!(webhook.body["type"], "program.changed");
    assert_eq!(webhook.body["data"]["id"], program.as_str());
    assert_eq!(webhook.body["data"]["status"], "published");
    let url = webhook.body["data"]["url"].as_str().unwrap();
    let read = app.client.get(url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(read.status().as_u16(), 200, "the event's url reads the program");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "one delivery for one change, none for the draft"
    );
    assert!(receiver.rejections().is_empty(), "{:?}", receiver.rejections());
}

/// Publishes a place or an event through the staff API; its id.
async fn publish_record(app: &TestApp, kind: &str, body: &Value) -> String {
    let created = call(
        app.post(&format!("/api/v1/{kind}"), AOMORI_CITY_TOKEN).json(body),
        201,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    call(
        app.post(&format!("/api/v1/{kind}/{id}/publish"), AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    id
}

async fn places_and_events_reach_their_subscribers(backend: Backend) {
    let app = spawn_webhook_app(backend).await;
    let receiver = PartnerServer::start().await.unwrap();
    let partner = register(&app, "places:read events:read webhooks:manage", 600).await;
    receiver.set_secret(partner.partner.signing.current.expose());
    let token = access_token(&app, &partner, None).await;
    let subscription = json!({"url": receiver.hook_url(), "event_types": ["place.changed", "event.changed"]});
    call(
        app.post("/api/v1/partner/webhooks", &token).json(&subscription),
        201,
    )
    .await;

    let place_body = json!({"owner": "022012", "kind": "子育て支援センター", "name": "つどいの広場",
        "address": "青森市新町1-3-7", "age_months": {"from": 0, "to": 47}});
    let place = publish_record(&app, "places", &place_body).await;
    let event_body = json!({"owner": "022012", "kind": "離乳食教室", "title": "もぐもぐ教室",
        "place_id": place, "sign_up": {"method": "none"}, "fee": {"yen": 0},
        "schedule": {"kind": "once", "date": "2027-01-12", "start": "10:00"}, "audience": {}});
    let event = publish_record(&app, "events", &event_body).await;
    call(
        app.post(&format!("/api/v1/places/{place}/archive"), AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    // A draft withdrawn before anybody saw it, and a program nobody subscribed to, are not told.
    let mut draft = event_body.clone();
    draft["title"] = json!("下書きの教室");
    let draft = call(app.post("/api/v1/events", AOMORI_CITY_TOKEN).json(&draft), 201).await;
    let draft_path = format!("/api/v1/events/{}/archive", draft["id"].as_str().unwrap());
    call(app.post(&draft_path, AOMORI_CITY_TOKEN), 200).await;
    app.publish_program(AOMORI_CITY_TOKEN, &program_body("022012", "子ども医療費助成"))
        .await;

    // Events are thin and name the record's state when the feed was read: the place's
    // publication may be told on its own, or only as the archived version that followed it.
    let archived_place = |webhooks: &[kosodate_test_peers::partner::ReceivedWebhook]| {
        webhooks.iter().any(|webhook| {
            webhook.body["data"]["id"] == place.as_str() && webhook.body["data"]["status"] == "archived"
        })
    };
    let started = std::time::Instant::now();
    while !archived_place(&receiver.received()) && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut told: Vec<(String, String, String, i64)> = receiver
        .received()
        .iter()
        .map(|webhook| {
            let data = &webhook.body["data"];
            let field = |name: &str| data[name].as_str().unwrap().to_owned();
            let kind = webhook.body["type"].as_str().unwrap().to_owned();
            (
                kind,
                field("id"),
                field("status"),
                data["version"].as_i64().unwrap(),
            )
        })
        .collect();
    told.sort();
    let [told_event, place_news @ ..] = told.as_slice() else {
        panic!("nothing told: {:?}", receiver.rejections());
    };
    assert_eq!(
        told_event,
        &(
            "event.changed".to_owned(),
            event.clone(),
            "published".to_owned(),
            2
        ),
        "{told:?}"
    );
    let expected_place = [
        (
            "place.changed".to_owned(),
            place.clone(),
            "archived".to_owned(),
            3,
        ),
        (
            "place.changed".to_owned(),
            place.clone(),
            "published".to_owned(),
            2,
        ),
    ];
    assert!(
        place_news == expected_place || place_news == &expected_place[..1],
        "the place's changes, ending archived; no draft and no program: {told:?}"
    );
    let event_url = receiver
        .received()
        .iter()
        .find(|w| w.body["type"] == "event.changed")
        .unwrap()
        .body["data"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = app
        .client
        .get(&event_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 200, "the event's url reads the event");
    assert!(receiver.rejections().is_empty(), "{:?}", receiver.rejections());
}

async fn a_5xx_then_2xx_is_retried_and_taken_once(backend: Backend) {
    let app = spawn_webhook_app(backend).await;
    let receiver = PartnerServer::start().await.unwrap();
    receiver.plan([Answer::Status(503)]);
    subscribed_partner(&app, &receiver).await;
    app.publish_program(AOMORI_CITY_TOKEN, &program_body("022012", "子ども医療費助成"))
        .await;
    assert!(
        receiver.wait_for_received(1, Duration::from_secs(20)).await,
        "{:?}",
        receiver.rejections()
    );
    assert_eq!(receiver.requests_seen(), 2, "one failure, one retry");
    let rows = app
        .rows_once(
            "SELECT id FROM partner_webhook_deliveries WHERE status = 'delivered'",
            1,
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(rows.len(), 1);
    let (id, status, attempts) = delivery_rows(&app).await.remove(0);
    assert_eq!((status.as_str(), attempts), ("delivered", 2));
    assert_eq!(receiver.received()[0].id, id, "the same webhook-id on the retry");
}

async fn a_timeout_is_retried_and_the_repeat_dropped(backend: Backend) {
    let app = spawn_webhook_app(backend).await;
    let receiver = PartnerServer::start().await.unwrap();
    receiver.plan([Answer::TakeAndStall(Duration::from_secs(3))]);
    subscribed_partner(&app, &receiver).await;
    app.publish_program(AOMORI_CITY_TOKEN, &program_body("022012", "子ども医療費助成"))
        .await;
    assert!(receiver.wait_for_requests(2, Duration::from_secs(20)).await);
    let rows = app
        .rows_once(
            "SELECT id FROM partner_webhook_deliveries WHERE status = 'delivered'",
            1,
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(rows.len(), 1, "{:?}", delivery_rows(&app).await);
    assert_eq!(receiver.received().len(), 1, "taken once");
    assert_eq!(receiver.replays_dropped(), 1, "the retry repeated the id");
}

async fn a_4xx_is_not_retried(backend: Backend) {
    let app = spawn_webhook_app(backend).await;
    let receiver = PartnerServer::start().await.unwrap();
    receiver.plan([Answer::Status(410)]);
    subscribed_partner(&app, &receiver).await;
    app.publish_program(AOMORI_CITY_TOKEN, &program_body("022012", "子ども医療費助成"))
        .await;
    let rows = app
        .rows_once(
            "SELECT id FROM partner_webhook_deliveries WHERE status = 'dead'",
            1,
            Duration::from_secs(20),
        )
        .await;
    assert_eq!(rows.len(), 1, "{:?}", delivery_rows(&app).await);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.requests_seen(), 1, "a 410 is not asked again");
    assert!(receiver.received().is_empty());
}

/// `/staff/partners` in real headless Chromium: an administrator signs in through the provider's
/// form, registers an app with the page's form, sees its secrets on the answer page only, and
/// every state of the page has no serious or critical axe-core violation at both widths.
async fn the_partners_page_registers_once_and_passes_axe(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |_| {}).await;
    let app = &signed_in.app;
    let prefecture = Browser::sign_in(app, "staff", "prefecture").await;
    let (status, _) = prefecture.html_page("/staff/partners").await;
    assert_eq!(status, 403, "operators only");

    let screenshots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let chromium = Chromium::start().await;
    chromium.visit(&app.url("/staff/partners"), (1280, 800)).await;
    chromium
        .click_and_wait("a.button[href^='/auth/login/staff']")
        .await;
    chromium.fill("input[name=login]", "admin").await;
    chromium.click_and_wait("button[type=submit]").await;
    assert_eq!(chromium.path().await, "/staff/partners");
    chromium
        .check_open_page(&screenshots, &format!("staff-partners-empty-{backend:?}"))
        .await;

    // Refused first: no scope ticked; what was typed stays.
    chromium.fill("#partner-name", "母子手帳アプリ").await;
    chromium.fill("#partner-email", "dev@example.jp").await;
    chromium
        .click_and_wait("form[action='/staff/partners'] button[type=submit]")
        .await;
    assert!(
        chromium
            .text()
            .await
            .contains("スコープを一覧から1つ以上選んでください")
    );
    chromium
        .check_open_page(&screenshots, &format!("staff-partners-refused-{backend:?}"))
        .await;
    chromium.click("#scope-1").await;
    chromium
        .click_and_wait("form[action='/staff/partners'] button[type=submit]")
        .await;
    let answer = chromium.text().await;
    assert!(answer.contains("この画面でしか表示しません"), "{answer}");
    let secret_at = answer.find("kps_").unwrap();
    let secret: String = answer[secret_at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    chromium
        .check_open_page(&screenshots, &format!("staff-partners-secrets-{backend:?}"))
        .await;

    chromium.visit(&app.url("/staff/partners"), (1280, 800)).await;
    let listed = chromium.text().await;
    assert!(
        listed.contains("母子手帳アプリ") && !listed.contains(&secret),
        "shown once"
    );
    let partner = Partners::new(app.db.clone()).list().await.unwrap().remove(0);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", partner.client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let issued = app
        .client
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        issued.status().as_u16(),
        200,
        "the secret shown is the one that works"
    );
    chromium.close().await;
}
