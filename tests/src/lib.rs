//! Test support for the end-to-end suites in `tests/`: `spawn_app` starts the whole service on a
//! random port against a fresh database, SQLite or PostgreSQL, so every behaviour test runs on
//! both. Nothing in the product may depend on this crate.

pub mod browser;
pub mod form_browser;
pub mod insights_fixtures;
pub mod notice_fixtures;
pub mod oidc;
pub mod processes;
pub mod relevance;

use std::net::SocketAddr;

use kosodate_database::ScratchDatabase;
use kosodate_server::settings::{
    ApiTokenSetting, Audience, FreshnessSettings, LogFormat, NoticeSettings, OidcProviderSetting,
    PartnerSettings, RoleValues, Settings,
};
use oidc::{ClaimsIn, ClientSpec, OpenIdProvider};
use reqwest::{Client, RequestBuilder, Response};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Statement};
use secrecy::SecretString;
use serde_json::Value;

/// Where the behaviour tests keep their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Staff tokens the test app is configured with.
pub const AOMORI_CITY_TOKEN: &str = "test-token-aomori-city";
pub const HIROSAKI_CITY_TOKEN: &str = "test-token-hirosaki-city";
pub const PREFECTURE_TOKEN: &str = "test-token-prefecture";
pub const ADMIN_TOKEN: &str = "test-token-admin";

#[derive(Debug)]
pub struct TestApp {
    pub address: SocketAddr,
    /// The app's own database, for tests that set up or inspect data the API does not expose.
    pub db: DatabaseConnection,
    pub client: Client,
    pub backend: Backend,
    _data_dir: tempfile::TempDir,
}

/// The PostgreSQL server the tests create their databases on; `.ci/run` and `scripts/test`
/// make sure it runs.
fn postgres_admin_url() -> String {
    std::env::var("KOSODATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A new, empty PostgreSQL database for one test, so tests never see each other's data.
async fn fresh_postgres_database() -> anyhow::Result<String> {
    let name = format!("kosodate_test_{}", uuid::Uuid::now_v7().simple());
    // Left in place for scripts/test to drop: a failing test's data can then be inspected.
    Ok(ScratchDatabase::create(&postgres_admin_url(), &name).await?.url)
}

/// A staff token of an organisation, for a test that needs one more than the app's four.
pub fn token(name: &str, organisation: &str, token: &str) -> ApiTokenSetting {
    ApiTokenSetting {
        name: name.into(),
        organisation: organisation.into(),
        token: SecretString::from(token),
    }
}

/// Settings for a test app: a random port, its own data directory and database, four tokens.
pub async fn test_settings(backend: Backend, data_dir: &std::path::Path) -> anyhow::Result<Settings> {
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(SecretString::from(fresh_postgres_database().await?)),
    };
    Ok(Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: data_dir.to_owned(),
        database_url,
        max_connections: 5,
        migrate_on_start: true,
        load_examples: Some(false),
        body_limit_bytes: 2 * 1024 * 1024,
        log_format: LogFormat::Text,
        // Tests run the tick themselves, with the reference date they choose.
        match_tick_minutes: 0,
        // Suites about evidence roll up themselves, at the instants they choose.
        insights_roll_up_minutes: 0,
        match_partition_households: 2_000,
        match_lease_seconds: 60,
        public_url: None,
        oidc: Vec::new(),
        parent_session_hours: 720,
        staff_session_hours: 9,
        mail_from: "kosodate <noreply@kosodate.invalid>".into(),
        // Suites that deliver notices turn the worker on with their peers configured.
        search: Default::default(),
        notices: NoticeSettings {
            worker_in_server: false,
            ..NoticeSettings::default()
        },
        // Suites about freshness turn its jobs on; the others never reach the network.
        freshness: FreshnessSettings {
            review_reminder_seconds: 0,
            link_check_hours: 0,
            ..FreshnessSettings::default()
        },
        // Suites about partner webhooks shorten its schedule; with no subscription it only looks.
        partners: PartnerSettings::default(),
        api_tokens: vec![
            token("青森市 こども支援課", "022012", AOMORI_CITY_TOKEN),
            token("弘前市 こども家庭課", "022021", HIROSAKI_CITY_TOKEN),
            token("青森県 こども家庭課", "020001", PREFECTURE_TOKEN),
            token("運用担当", "admin", ADMIN_TOKEN),
        ],
    })
}

/// Cuts sentences with the IPADIC sources `scripts/ensure-ipadic.sh` prepares, as the service
/// does where they are installed.
pub fn with_dictionary(settings: &mut Settings) {
    let source = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache/mecab-ipadic-utf8");
    assert!(
        source.join(".complete").is_file(),
        "no IPADIC sources in {}: run scripts/ensure-ipadic.sh",
        source.display()
    );
    settings.search.ipadic_source = Some(source);
}

/// Starts the service on a random port with an empty registry (municipalities seeded).
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let mut settings = test_settings(backend, data_dir.path())
        .await
        .expect("test settings");
    adjust(&mut settings);
    let server = kosodate_server::startup::start(&settings, std::future::pending())
        .await
        .expect("the service starts");
    TestApp::running(server.address, &settings, backend, data_dir).await
}

impl TestApp {
    /// A client for a server the test started itself (several servers on one database).
    pub async fn attach(address: SocketAddr, settings: &Settings, backend: Backend) -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        Self::running(address, settings, backend, data_dir).await
    }

    async fn running(
        address: SocketAddr,
        settings: &Settings,
        backend: Backend,
        data_dir: tempfile::TempDir,
    ) -> Self {
        let db = kosodate_server::startup::open_database(settings)
            .await
            .expect("the test opens the app's database");
        Self {
            address,
            db,
            // No idle connections: a server that answered 413 early closes its connection, and
            // a pooled client would otherwise try to reuse it.
            client: Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("http client"),
            backend,
            _data_dir: data_dir,
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    /// The body of a public `GET` as text (a feed, a page), asserting success.
    pub async fn text(&self, path: &str) -> String {
        let response = self.get(path).send().await.expect("the service answers");
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.text().await.expect("a text body")
    }

    pub fn post(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(token)
    }

    pub fn put(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.put(self.url(path)).bearer_auth(token)
    }

    /// Creates a program and returns its JSON, asserting success.
    pub async fn create_program(&self, token: &str, body: &Value) -> Value {
        let response = self
            .post("/api/v1/programs", token)
            .json(body)
            .send()
            .await
            .expect("request");
        expect_status(response, 201).await
    }

    /// Creates a program and publishes it; its id.
    pub async fn publish_program(&self, token: &str, body: &Value) -> String {
        let created = self.create_program(token, body).await;
        let id = created["id"].as_str().expect("the program's id").to_owned();
        let path = format!("/api/v1/programs/{id}/publish");
        expect_status(self.post(&path, token).send().await.expect("request"), 200).await;
        id
    }

    /// The rows `sql` reads, once a background writer has written at least `count` of them or
    /// `within` has passed, whichever comes first.
    pub async fn rows_once(&self, sql: &str, count: usize, within: std::time::Duration) -> Vec<QueryResult> {
        let started = std::time::Instant::now();
        loop {
            let rows = self
                .db
                .query_all_raw(Statement::from_string(self.db.get_database_backend(), sql))
                .await
                .expect("the rows are readable");
            if rows.len() >= count || started.elapsed() > within {
                return rows;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// Asserts the status and returns the JSON body, printing the body when the status is wrong.
pub async fn expect_status(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if actual >= 400 {
        assert_eq!(
            content_type, "application/problem+json",
            "errors are problem documents"
        );
    }
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// A program body that passes validation, owned by `owner`.
pub fn program_body(owner: &str, name: &str) -> Value {
    serde_json::json!({
        "owner": owner,
        "name": name,
        "categories": ["medical", "infant"],
        "summary": "高校生年代までの子どもの医療費の自己負担分を助成します。",
        "eligibility_summary": "市内に住所があり、健康保険に加入している0歳から18歳到達後最初の3月31日までの子ども",
        "benefit": {"description": "保険診療の自己負担分", "amount_yen": null},
        "application_window": {"kind": "relative", "event": "birth", "within_days": 15},
        "application_methods": [
            {"kind": "counter", "note": "市役所 1階 窓口"},
            {"kind": "online", "url": "https://example.jp/apply"}
        ],
        "documents": ["健康保険の資格確認書", "振込先口座がわかるもの"],
        "contact": {"section": "こども支援課", "phone": "017-734-1111", "email": "kodomo@example.jp"},
        "source_url": "https://www.city.aomori.aomori.jp/",
        "last_reviewed_on": "2026-11-01"
    })
}

/// Runs an async behaviour test once per backend: `both_backends!(name);` expects
/// `async fn name(backend: Backend)` in scope and generates `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::Backend::Postgres).await;
                }
            }
        )+
    };
}

/// Sends a request and asserts its status; returns the JSON body.
pub async fn call(request: RequestBuilder, status: u16) -> Value {
    expect_status(
        request.send().await.expect("the request reaches the server"),
        status,
    )
    .await
}

/// The LINE user id of the test account that signs in with the LINE-like provider.
pub const LINE_USER: &str = "U4af4980629a1b2c3d4e5f60718293a4b";

/// A service started with a real OpenID Provider: `parents` (RS256), `line` (HS256 signed with
/// the client secret, `client_secret_post`, as LINE Login) and `staff` (ES256, roles in claims).
#[derive(Debug)]
pub struct SignInApp {
    pub app: TestApp,
    pub provider: OpenIdProvider,
}

fn provider_setting(
    id: &str,
    audience: Audience,
    issuer: &str,
    client: &ClientSpec,
    scopes: &[&str],
) -> OidcProviderSetting {
    OidcProviderSetting {
        id: id.into(),
        audience,
        label: match id {
            "line" => "LINEでログイン".to_owned(),
            "parents" => "そのほかのアカウントでログイン".to_owned(),
            other => format!("{other}でログイン"),
        },
        issuer: issuer.parse().expect("issuer URL"),
        client_id: client.client_id.into(),
        client_secret: SecretString::from(client.client_secret),
        scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
        id_token_algs: (client.alg == "HS256").then(|| vec!["HS256".to_owned()]),
        token_auth: Some(client.token_auth.to_owned()),
        line_user_ids: id == "line",
        roles_claim: "roles".into(),
        municipality_claim: "municipality_code".into(),
        role_values: RoleValues::default(),
    }
}

pub async fn spawn_app_with_sign_in(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> SignInApp {
    spawn_app_with_sign_in_claims(backend, ClaimsIn::Userinfo, adjust).await
}

/// [`spawn_app_with_sign_in`], with the provider putting its claims where `claims` says.
pub async fn spawn_app_with_sign_in_claims(
    backend: Backend,
    claims: ClaimsIn,
    adjust: impl FnOnce(&mut Settings),
) -> SignInApp {
    spawn_app_with_more_accounts(backend, claims, serde_json::json!({}), adjust).await
}

/// [`spawn_app_with_sign_in`] with `extra` accounts at the provider besides the usual ones
/// (`{"login": {"name": …, "roles": […], "municipality_code": …}}`), such as a second clerk of
/// one municipality.
pub async fn spawn_app_with_sign_in_accounts(backend: Backend, extra: Value) -> SignInApp {
    spawn_app_with_more_accounts(backend, ClaimsIn::Userinfo, extra, |_| {}).await
}

/// [`spawn_app_with_sign_in_accounts`] with the settings adjusted too.
pub async fn spawn_app_with_sign_in_accounts_and(
    backend: Backend,
    extra: Value,
    adjust: impl FnOnce(&mut Settings),
) -> SignInApp {
    spawn_app_with_more_accounts(backend, ClaimsIn::Userinfo, extra, adjust).await
}

async fn spawn_app_with_more_accounts(
    backend: Backend,
    claims: ClaimsIn,
    extra: Value,
    adjust: impl FnOnce(&mut Settings),
) -> SignInApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let client = |client_id, client_secret, provider: &str, alg, token_auth| ClientSpec {
        client_id,
        client_secret,
        redirect_uri: format!("{base}/auth/callback/{provider}"),
        alg,
        token_auth,
    };
    let parents = client(
        "kosodate-parents",
        "parents-secret",
        "parents",
        "RS256",
        "client_secret_basic",
    );
    let line = client(
        "1656000000",
        "line-channel-secret-0123456789abcdef",
        "line",
        "HS256",
        "client_secret_post",
    );
    let staff = client(
        "kosodate-staff",
        "staff-secret",
        "staff",
        "ES256",
        "client_secret_basic",
    );
    let accounts = serde_json::json!({
        "hanako": {"name": "青森 花子", "email": "hanako.parent@example.jp"},
        LINE_USER: {"name": "LINE ユーザー"},
        "hirosaki": {"name": "弘前市 こども家庭課 佐藤", "email": "sato.kodomo@city.hirosaki.example.jp", "roles": ["municipal_staff"], "municipality_code": "022021"},
        "aomori": {"name": "青森市 こども支援課 田中", "roles": ["municipal_staff"], "municipality_code": "022012"},
        "prefecture": {"name": "青森県 こども家庭課 鈴木", "roles": ["prefecture_staff"]},
        "admin": {"name": "運用担当 高橋", "roles": ["administrator"]},
        "visitor": {"name": "役割なし", "roles": []},
    });
    let mut accounts = accounts;
    if let (Some(accounts), Some(extra)) = (accounts.as_object_mut(), extra.as_object()) {
        accounts.extend(extra.clone());
    }
    let provider = OpenIdProvider::start(&[parents.clone(), line.clone(), staff.clone()], &accounts, claims);
    let issuer = provider.issuer.clone();
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let mut settings = test_settings(backend, data_dir.path())
        .await
        .expect("test settings");
    settings.oidc = vec![
        provider_setting(
            "parents",
            Audience::Parents,
            &issuer,
            &parents,
            &["openid", "profile"],
        ),
        provider_setting("line", Audience::Parents, &issuer, &line, &["openid", "profile"]),
        provider_setting(
            "staff",
            Audience::Staff,
            &issuer,
            &staff,
            &["openid", "profile", "staff"],
        ),
    ];
    adjust(&mut settings);
    let server = kosodate_server::startup::start_on(listener, &settings, std::future::pending())
        .await
        .expect("the service starts");
    SignInApp {
        app: TestApp::running(server.address, &settings, backend, data_dir).await,
        provider,
    }
}

/// A browser: a cookie jar, following redirects, and the session's CSRF token once signed in.
#[derive(Debug, Clone)]
pub struct Browser {
    pub client: Client,
    pub base: String,
    pub csrf: Option<String>,
    cookies: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Browser {
    /// A browser that follows redirects, except into the service's sign-in callback when
    /// `stop_at_callback`, so a test can tamper with it.
    pub fn new(app: &TestApp, stop_at_callback: bool) -> Self {
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if stop_at_callback && attempt.url().path().starts_with("/auth/callback/") {
                attempt.stop()
            } else if attempt.previous().len() > 10 {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        });
        let cookies = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Self {
            client: Client::builder()
                .cookie_provider(cookies.clone())
                .redirect(policy)
                .pool_max_idle_per_host(0)
                .build()
                .expect("browser client"),
            base: app.url(""),
            csrf: None,
            cookies,
        }
    }

    /// The `Cookie` header this browser sends to the service, for a tool that speaks for it.
    pub fn cookie_header(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().ok()?;
        let header = self.cookies.cookies(&url)?;
        header.to_str().ok().map(str::to_owned)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The URL that starts a sign-in at `provider` as `login`, coming back to the session info.
    pub fn login_url(&self, provider: &str, login: &str) -> String {
        self.url(&format!(
            "/auth/login/{provider}?login_hint={login}&return_to=/api/v1/session"
        ))
    }

    /// Signs in all the way through the provider and keeps the CSRF token.
    pub async fn sign_in(app: &TestApp, provider: &str, login: &str) -> Self {
        let mut browser = Self::new(app, false);
        let response = browser
            .client
            .get(browser.login_url(provider, login))
            .send()
            .await
            .expect("sign-in");
        let session = expect_status(response, 200).await;
        browser.csrf = session["csrf_token"].as_str().map(str::to_owned);
        assert!(browser.csrf.is_some(), "signed in: {session}");
        browser
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    /// Opens `path` as a browser asks for a page (HTML first); the status and the HTML.
    pub async fn html_page(&self, path: &str) -> (u16, String) {
        let response = self
            .get(path)
            .header(
                reqwest::header::ACCEPT,
                "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
            )
            .send()
            .await
            .expect("the page answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("the page's body"))
    }

    /// Agrees to the current text of `purpose` through the API, as the consent page does.
    pub async fn consent(&self, purpose: &str) {
        let consents = call(self.get("/api/v1/me/consents"), 200).await;
        let version = consents["purposes"]
            .as_array()
            .and_then(|purposes| purposes.iter().find(|entry| entry["purpose"] == purpose))
            .and_then(|entry| entry["current_text"]["version"].as_i64())
            .expect("the purpose has a current text");
        let body = serde_json::json!({"purpose": purpose, "text_version": version});
        call(
            self.send(reqwest::Method::POST, "/api/v1/me/consents")
                .json(&body),
            200,
        )
        .await;
    }

    /// A state-changing request, with the CSRF token.
    pub fn send(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let request = self.client.request(method, self.url(path));
        match &self.csrf {
            Some(token) => request.header("x-csrf-token", token),
            None => request,
        }
    }
}

impl Browser {
    /// Signs in as `login` at the parents' provider, consents to matching with the current text
    /// and registers `household` (the body of `PUT /api/v1/me/household`), as a parent does
    /// through the JSON API.
    pub async fn parent_with_matching(app: &TestApp, login: &str, household: &Value) -> Self {
        let parent = Self::sign_in(app, "parents", login).await;
        parent.consent("matching").await;
        call(
            parent
                .send(reqwest::Method::PUT, "/api/v1/me/household")
                .json(household),
            201,
        )
        .await;
        parent
    }
}
