//! Parents and staff signing in through a real OpenID Provider, and everything that depends on
//! who is signed in: the parent's own household, consent, "My data", staff permissions and the
//! audit log. Logs are captured for the whole test binary and checked for personal data.

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use chrono::Days;
use kosodate_tests::oidc::ClaimsIn;
use kosodate_tests::{
    AOMORI_CITY_TOKEN, Backend, Browser, HIROSAKI_CITY_TOKEN, LINE_USER, SignInApp, both_backends, call,
    expect_status, program_body, spawn_app_with_sign_in, spawn_app_with_sign_in_claims,
};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

#[derive(Clone, Copy)]
struct Capture;

impl Write for Capture {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(buffer);
        Ok(buffer.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'writer> tracing_subscriber::fmt::MakeWriter<'writer> for Capture {
    type Writer = Capture;

    fn make_writer(&'writer self) -> Capture {
        Capture
    }
}

/// Every log line of this test binary, at debug level for kosodate's own crates.
fn capture_logs() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let filter = tracing_subscriber::EnvFilter::new(
            "info,kosodate_server=debug,kosodate_households=debug,kosodate_registry=debug,tower_http=debug,sqlx=warn,sea_orm=warn",
        );
        kosodate_server::telemetry::init_tracing_to(kosodate_server::settings::LogFormat::Json, filter, Capture);
    });
}

fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())).into_owned()
}

async fn start(backend: Backend, examples: bool) -> SignInApp {
    capture_logs();
    spawn_app_with_sign_in(backend, |settings| settings.load_examples = Some(examples)).await
}

fn today() -> chrono::NaiveDate {
    kosodate_domain::japan::date_of(chrono::Utc::now())
}

async fn count(app: &SignInApp, sql: &str) -> i64 {
    let backend = app.app.db.get_database_backend();
    let row = app
        .app
        .db
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .expect("count query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

const BIRTH_DATE: &str = "2024-05-10";
const EMAIL: &str = "hanako.mail@example.jp";

fn two_children() -> Value {
    let due = today().checked_add_days(Days::new(90)).expect("date");
    json!({
        "municipality_code": "022012",
        "children": [
            {"nickname": "上の子", "birth_date": BIRTH_DATE},
            {"due_date": due}
        ],
        "income_band": "up_to640"
    })
}

/// The journey: sign in, register two children, consent, see programs with reasons,
/// add an email address, download everything, delete everything.
async fn parent_journey(backend: Backend) {
    let app = start(backend, true).await;
    let parent = Browser::sign_in(&app.app, "parents", "hanako").await;
    let session = call(parent.get("/api/v1/session"), 200).await;
    assert_eq!(session["kind"], "parent");
    assert!(session["household_id"].is_null());

    // Consent comes first: nothing personal is stored before the parent agreed to why.
    let refused = call(
        parent
            .send(Method::PUT, "/api/v1/me/household")
            .json(&two_children()),
        409,
    )
    .await;
    assert_eq!(refused["type"], "/problems/consent-required", "{refused}");
    let consents = call(parent.get("/api/v1/me/consents"), 200).await;
    let matching = consents["purposes"]
        .as_array()
        .and_then(|purposes| purposes.iter().find(|purpose| purpose["purpose"] == "matching"))
        .expect("matching purpose");
    let version = matching["current_text"]["version"]
        .as_i64()
        .expect("text version");
    call(
        parent
            .send(Method::POST, "/api/v1/me/consents")
            .json(&json!({"purpose": "matching", "text_version": version})),
        200,
    )
    .await;
    let created = call(
        parent
            .send(Method::PUT, "/api/v1/me/household")
            .json(&two_children()),
        201,
    )
    .await;
    let household_id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["children"][0]["nickname"], "上の子");
    assert_eq!(created["children"].as_array().map(Vec::len), Some(2));
    let ledger = call(parent.get("/api/v1/me/consents"), 200).await;
    assert_eq!(
        ledger["ledger"][0]["purpose"], "matching",
        "the consent moved to the household: {ledger}"
    );

    let findings = call(parent.get("/api/v1/me/programs"), 200).await;
    let findings = findings.as_array().expect("findings");
    assert!(
        !findings.is_empty(),
        "the example programs include ones for 青森市's children"
    );
    let child_allowance = findings
        .iter()
        .find(|finding| {
            finding["name"]
                .as_str()
                .is_some_and(|name| name.contains("児童手当"))
        })
        .expect("児童手当 is found");
    assert_eq!(child_allowance["eligibility_today"], "eligible");
    assert!(
        child_allowance["reason"]["condition_ja"].is_string(),
        "{child_allowance}"
    );

    call(
        parent
            .send(Method::POST, "/api/v1/me/channels")
            .json(&json!({"email": EMAIL})),
        201,
    )
    .await;
    let export = parent.get("/api/v1/me/export").send().await.expect("export");
    assert_eq!(export.status().as_u16(), 200);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap_or_default()
            .contains("attachment")
    );
    let data: Value = export.json().await.expect("json export");
    assert_eq!(data["household"]["id"], household_id.as_str());
    assert_eq!(data["contact_channels"][0]["address"], EMAIL);
    assert_eq!(data["consents"][0]["purpose"], "matching");
    assert_eq!(data["sign_in_accounts"][0]["subject"], "hanako");

    let deleted = parent
        .send(Method::DELETE, "/api/v1/me/household")
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status().as_u16(), 204);
    let session = call(parent.get("/api/v1/session"), 200).await;
    assert!(
        session["kind"].is_null(),
        "deleting the household signs out: {session}"
    );
    for table in [
        "households",
        "consents",
        "accounts",
        "contact_channels",
        "household_matches",
        "match_events",
        "sessions",
    ] {
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table} emptied"
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT CAST(SUM(count) AS BIGINT) FROM anonymous_counts WHERE metric = 'households_deleted'"
        )
        .await,
        1
    );
    let audit = count(
        &app,
        &format!("SELECT COUNT(*) FROM audit_log WHERE target = 'household:{household_id}'"),
    )
    .await;
    // The consent came before the household, so its entry names no household.
    assert!(audit >= 4, "every access is audited ({audit} entries)");
    let consents = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'consent.give'",
    )
    .await;
    assert_eq!(consents, 1, "the consent before the household is audited too");

    let logs = logs();
    for secret in [
        EMAIL,
        "hanako.parent@example.jp",
        BIRTH_DATE,
        parent.csrf.as_deref().unwrap_or("-"),
    ] {
        assert!(
            !logs.contains(secret),
            "the logs contain personal data or a token: {secret}"
        );
    }
}

/// LINE Login signs web-login ID tokens with HS256 and the channel secret; its `sub` is the LINE
/// user id, which the household can use for LINE notices.
async fn line_login_links_line(backend: Backend) {
    let app = start(backend, false).await;
    let parent = Browser::sign_in(&app.app, "line", LINE_USER).await;
    parent.consent("matching").await;
    call(
        parent
            .send(Method::PUT, "/api/v1/me/household")
            .json(&two_children()),
        201,
    )
    .await;
    let channels = call(
        parent
            .send(Method::POST, "/api/v1/me/channels")
            .json(&json!({"line": true})),
        201,
    )
    .await;
    assert_eq!(channels[0]["kind"], "line");
    assert_eq!(channels[0]["address"], LINE_USER);
    assert_eq!(channels[0]["verified"], true);
    // A parent signed in elsewhere cannot claim a LINE id.
    let other = Browser::sign_in(&app.app, "parents", "hanako").await;
    other.consent("matching").await;
    call(
        other
            .send(Method::PUT, "/api/v1/me/household")
            .json(&two_children()),
        201,
    )
    .await;
    call(
        other
            .send(Method::POST, "/api/v1/me/channels")
            .json(&json!({"line": true})),
        403,
    )
    .await;
    assert!(!logs().contains(LINE_USER), "the LINE user id is personal data");
}

/// Starts a sign-in and stops before the service's callback; returns the browser and the
/// callback URL the provider sent it to.
async fn until_callback(app: &SignInApp, provider: &str, login: &str) -> (Browser, reqwest::Url) {
    let browser = Browser::new(&app.app, true);
    let response = browser
        .client
        .get(browser.login_url(provider, login))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    (browser, location.parse().expect("callback URL"))
}

async fn assert_rejected(browser: &Browser, callback: reqwest::Url) {
    let response = browser.client.get(callback).send().await.expect("callback");
    assert!(
        response.headers().get("set-cookie").is_none(),
        "no session on failure"
    );
    let problem = expect_status(response, 400).await;
    assert_eq!(problem["type"], "/problems/sign-in-failed");
    let session = call(browser.get("/api/v1/session"), 200).await;
    assert!(session["kind"].is_null());
}

/// Wrong state, a replayed callback, and ID tokens the provider tampered with are all refused.
async fn sign_in_failures(backend: Backend) {
    let app = start(backend, false).await;

    let (browser, mut callback) = until_callback(&app, "parents", "hanako").await;
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .map(|(key, value)| match key.as_ref() {
            "state" => (key.into_owned(), format!("{value}x")),
            _ => (key.into_owned(), value.into_owned()),
        })
        .collect();
    callback.query_pairs_mut().clear().extend_pairs(pairs);
    assert_rejected(&browser, callback).await;

    let (browser, callback) = until_callback(&app, "parents", "hanako").await;
    let first = browser
        .client
        .get(callback.clone())
        .send()
        .await
        .expect("callback");
    assert_eq!(
        first.status().as_u16(),
        200,
        "the genuine callback signs in and returns"
    );
    let replay = Browser::new(&app.app, true);
    assert_rejected(&replay, callback).await;

    for (provider, mode) in [
        ("parents", "expired"),
        ("parents", "wrong_audience"),
        ("staff", "wrong_issuer"),
        ("parents", "bad_signature"),
        ("line", "bad_signature"),
        ("parents", "replayed_nonce"),
    ] {
        let (browser, callback) = until_callback(&app, provider, "hanako").await;
        app.provider.tamper_next_token(mode).await;
        assert_rejected(&browser, callback).await;
    }

    let unknown = reqwest::Client::new()
        .get(app.app.url("/auth/login/nowhere"))
        .send()
        .await
        .expect("login");
    expect_status(unknown, 404).await;
}

/// The staff case: 弘前市's staff changes her own program and is refused 青森市's, with
/// both in the audit log; a staff sign-in without a role is refused.
async fn staff_edit_only_their_own(backend: Backend) {
    let app = start(backend, false).await;
    let aomori_program = app
        .app
        .create_program(AOMORI_CITY_TOKEN, &program_body("022012", "青森市の制度"))
        .await;
    let hirosaki_program = app
        .app
        .create_program(HIROSAKI_CITY_TOKEN, &program_body("022021", "弘前市の制度"))
        .await;
    let staff = Browser::sign_in(&app.app, "staff", "hirosaki").await;

    let mut changed = program_body("022021", "弘前市の制度（改）");
    changed["summary"] = json!("内容を更新しました。");
    let own = format!(
        "/api/v1/programs/{}",
        hirosaki_program["id"].as_str().expect("id")
    );
    call(staff.send(Method::PUT, &own).json(&changed), 200).await;
    let foreign = format!("/api/v1/programs/{}", aomori_program["id"].as_str().expect("id"));
    call(
        staff
            .send(Method::PUT, &foreign)
            .json(&program_body("022012", "乗っ取り")),
        403,
    )
    .await;
    // A session's write without its CSRF token is refused before anything else.
    let forged = staff
        .client
        .put(staff.url(&own))
        .json(&changed)
        .send()
        .await
        .expect("forged");
    assert_eq!(expect_status(forged, 403).await["type"], "/problems/csrf");

    let log = call(staff.get("/api/v1/staff/audit-log?municipality=022021"), 200).await;
    let entries = log["items"].as_array().expect("entries");
    let find = |action: &str, outcome: &str| {
        entries.iter().any(|entry| {
            entry["action"] == action
                && entry["outcome"] == outcome
                && entry["actor"] == "弘前市 こども家庭課 佐藤"
        })
    };
    assert!(find("program.update", "allowed"), "{log}");
    assert!(find("program.update", "denied"), "{log}");
    assert!(find("staff.sign_in", "allowed"), "{log}");
    // The audit log pages as every list does: a page of one, then the next from its cursor.
    let first = call(
        staff.get("/api/v1/staff/audit-log?municipality=022021&limit=1"),
        200,
    )
    .await;
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = call(
        staff.get(&format!(
            "/api/v1/staff/audit-log?municipality=022021&limit=1&cursor={cursor}"
        )),
        200,
    )
    .await;
    // Newest first, and the next page starts after the last entry of the previous one (reading
    // the log is itself logged, so a later page never repeats an entry).
    let (newer, older) = (
        first["items"][0]["id"].as_str(),
        second["items"][0]["id"].as_str(),
    );
    assert!(
        newer.zip(older).is_some_and(|(newer, older)| older < newer),
        "{first} {second}"
    );

    let (browser, callback) = until_callback(&app, "staff", "visitor").await;
    let response = browser.client.get(callback).send().await.expect("callback");
    assert_eq!(expect_status(response, 403).await["type"], "/problems/forbidden");
}

/// An action, and the status each caller (in the order of `callers`) must get.
type MatrixRow<'body> = (&'static str, Method, &'static str, Option<&'body Value>, [u16; 6]);

/// Who asks, in the authorization matrix.
enum Caller {
    Session(Browser),
    Token(&'static str),
    Anonymous(reqwest::Client),
}

impl Caller {
    async fn status(&self, app: &SignInApp, method: Method, path: &str, body: Option<&Value>) -> u16 {
        let request = match self {
            Self::Session(browser) => browser.send(method, path),
            Self::Token(token) => app
                .app
                .client
                .request(method, app.app.url(path))
                .bearer_auth(token),
            Self::Anonymous(client) => client.request(method, app.app.url(path)),
        };
        let request = match body {
            Some(body) => request.json(body),
            None => request,
        };
        request.send().await.expect("request").status().as_u16()
    }
}

fn counter_registration(code: &str) -> Value {
    json!({
        "household": {"municipality_code": code, "children": [{"birth_date": BIRTH_DATE}]},
        "paper_consents": ["matching"],
        "paper_form_kept": true
    })
}

/// Every role against every endpoint that needs one, for its own and a foreign municipality.
async fn authorization_matrix(backend: Backend) {
    let app = start(backend, false).await;
    let hirosaki = Browser::sign_in(&app.app, "staff", "hirosaki").await;
    let callers = [
        ("弘前市職員", Caller::Session(hirosaki.clone())),
        (
            "県職員",
            Caller::Session(Browser::sign_in(&app.app, "staff", "prefecture").await),
        ),
        (
            "管理者",
            Caller::Session(Browser::sign_in(&app.app, "staff", "admin").await),
        ),
        ("弘前市の取込トークン", Caller::Token(HIROSAKI_CITY_TOKEN)),
        (
            "保護者",
            Caller::Session(Browser::sign_in(&app.app, "parents", "hanako").await),
        ),
        ("未ログイン", Caller::Anonymous(reqwest::Client::new())),
    ];
    let own = program_body("022021", "弘前市の制度");
    let foreign = program_body("022012", "青森市の制度");
    let prefecture = program_body("020001", "青森県の制度");
    let own_counter = counter_registration("022021");
    let foreign_counter = counter_registration("022012");
    #[rustfmt::skip]
    let matrix: [MatrixRow<'_>; 13] = [
        ("create own program", Method::POST, "/api/v1/programs", Some(&own), [201, 403, 201, 201, 401, 401]),
        ("create foreign program", Method::POST, "/api/v1/programs", Some(&foreign), [403, 403, 201, 403, 401, 401]),
        ("create prefecture program", Method::POST, "/api/v1/programs", Some(&prefecture), [403, 201, 201, 403, 401, 401]),
        ("own counts", Method::GET, "/api/v1/staff/counts?municipality=022021", None, [200, 200, 200, 403, 401, 401]),
        ("foreign counts", Method::GET, "/api/v1/staff/counts?municipality=022012", None, [403, 200, 200, 403, 401, 401]),
        ("all counts", Method::GET, "/api/v1/staff/counts", None, [403, 200, 200, 403, 401, 401]),
        ("own search trends", Method::GET, "/api/v1/staff/search-trends?municipality=022021", None, [200, 200, 200, 403, 401, 401]),
        ("all search trends", Method::GET, "/api/v1/staff/search-trends", None, [403, 200, 200, 403, 401, 401]),
        ("own audit log", Method::GET, "/api/v1/staff/audit-log?municipality=022021", None, [200, 200, 200, 403, 401, 401]),
        ("foreign audit log", Method::GET, "/api/v1/staff/audit-log?municipality=022012", None, [403, 200, 200, 403, 401, 401]),
        ("own counter registration", Method::POST, "/api/v1/staff/households", Some(&own_counter), [201, 403, 403, 403, 401, 401]),
        ("foreign counter registration", Method::POST, "/api/v1/staff/households", Some(&foreign_counter), [403, 403, 403, 403, 401, 401]),
        ("a parent's own household", Method::GET, "/api/v1/me/household", None, [401, 401, 401, 401, 404, 401]),
    ];
    let mut wrong = Vec::new();
    for (action, method, path, body, expected) in &matrix {
        for ((role, caller), expected) in callers.iter().zip(expected) {
            // Program names are unique per owner: each caller's program gets its own.
            let body = body.map(|body| {
                let mut body = body.clone();
                if let Some(name) = body.get("name").and_then(Value::as_str) {
                    body["name"] = json!(format!("{name}（{role}）"));
                }
                body
            });
            let actual = caller.status(&app, method.clone(), path, body.as_ref()).await;
            if actual != *expected {
                wrong.push(format!("{role} / {action}: expected {expected}, got {actual}"));
            }
        }
    }
    assert!(wrong.is_empty(), "authorization matrix:\n{}", wrong.join("\n"));

    // The one counter registration shows in counts as "<10", never as a household.
    let counts = call(hirosaki.get("/api/v1/staff/counts?municipality=022021"), 200).await;
    assert_eq!(counts[0]["households"], "<10", "{counts}");
    assert_eq!(counts[0]["registered_at_counter"], "<10");
    let denied = count(&app, "SELECT COUNT(*) FROM audit_log WHERE outcome = 'denied'").await;
    assert!(denied >= 10, "denials are audited ({denied})");
}

both_backends!(
    parent_journey,
    line_login_links_line,
    sign_in_failures,
    staff_edit_only_their_own,
    authorization_matrix,
    staff_roles_from_userinfo_or_the_id_token
);

/// A standard provider puts the roles a scope asks for in userinfo only (the other tests' provider
/// does so); some put them in the ID token as well. Staff sign in with either.
async fn staff_roles_from_userinfo_or_the_id_token(backend: Backend) {
    for claims in [ClaimsIn::Userinfo, ClaimsIn::IdToken] {
        let app = spawn_app_with_sign_in_claims(backend, claims, |_| {}).await;
        let staff = Browser::sign_in(&app.app, "staff", "hirosaki").await;
        let session = call(staff.get("/api/v1/session"), 200).await;
        assert_eq!(session["kind"], "staff", "{claims:?}: {session}");
        assert_eq!(
            session["staff"]["organisation"], "022021",
            "{claims:?}: {session}"
        );
        let prefecture = Browser::sign_in(&app.app, "staff", "prefecture").await;
        let session = call(prefecture.get("/api/v1/session"), 200).await;
        assert_eq!(session["staff"]["role"], "prefecture", "{claims:?}: {session}");
    }
}
