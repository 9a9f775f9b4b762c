//! The one typed settings struct. Sources, later ones winning: built-in defaults, a TOML file
//! (`--config`, or `kosodate.toml` in the working directory when present), `KOSODATE_*`
//! environment variables (nested keys with `__`), `DATABASE_URL`, and command-line flags.
//! Secrets are `SecretString`s, so a `Debug` print or a log line never shows them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Where the HTTP server listens.
    pub listen: SocketAddr,
    /// Everything the embedded default keeps: the SQLite file, the search index, the mailbox.
    pub data_dir: PathBuf,
    /// `postgres://…` in production; absent means SQLite under `data_dir`.
    pub database_url: Option<SecretString>,
    pub max_connections: u32,
    /// Apply pending migrations when the server starts.
    pub migrate_on_start: bool,
    /// Load the example programs into an empty registry. Defaults to on for the embedded default
    /// and off when a database URL is configured.
    pub load_examples: Option<bool>,
    /// Largest request body accepted, in bytes (imports are the largest bodies).
    pub body_limit_bytes: usize,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Machine identities for writing to the registry until staff sign-in exists, and for
    /// scripted imports afterwards.
    pub api_tokens: Vec<ApiTokenSetting>,
    /// Minutes between matching ticks (pairs whose check date has come); 0 turns the tick off,
    /// for deployments that run `kosodate match --tick` from a scheduler instead.
    pub match_tick_minutes: u64,
    /// Minutes between roll-ups of the search log and the community for evidence for policy
    /// (`insights`); 0 turns them off, for deployments that run `kosodate insights roll-up` from
    /// a scheduler instead.
    #[serde(default = "default_insights_roll_up_minutes")]
    pub insights_roll_up_minutes: u64,
    /// Households per partition of a full re-match that several processes share.
    #[serde(default = "default_match_partition_households")]
    pub match_partition_households: u64,
    /// Seconds a process holds a partition it claimed; a process that dies holding one leaves it
    /// to another after this long.
    #[serde(default = "default_match_lease_seconds")]
    pub match_lease_seconds: u64,
    /// The address people reach the service at, e.g. `https://kosodate.pref.aomori.example`; sign-in
    /// redirect URIs are made from it, and cookies are `Secure` when it is https. Absent: the
    /// listening address over http (development and tests).
    #[serde(default)]
    pub public_url: Option<url::Url>,
    /// OpenID Providers that parents and staff sign in with.
    #[serde(default)]
    pub oidc: Vec<OidcProviderSetting>,
    /// How long a sign-in lasts.
    pub parent_session_hours: u64,
    pub staff_session_hours: u64,
    /// The sender of the service's mail.
    pub mail_from: String,
    /// Notice delivery: channels, the worker, rate limits.
    #[serde(default)]
    pub notices: NoticeSettings,
    /// Program search: where this process keeps its index, and the search log.
    #[serde(default)]
    pub search: SearchSettings,
    /// Review reminders and the link checker.
    #[serde(default)]
    pub freshness: FreshnessSettings,
    /// Partner apps: change webhook delivery.
    #[serde(default)]
    pub partners: PartnerSettings,
}

/// Change webhooks to partner apps (issue 19).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PartnerSettings {
    /// Follow the registry into the webhook outbox and deliver it inside `serve` too; every
    /// `kosodate worker` always does, so production may switch it off in its servers.
    pub webhooks_in_server: bool,
    /// The waits after each failed attempt; after the last the delivery is dead. Empty: the
    /// Standard Webhooks schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). Tests shorten it.
    pub webhook_retry_seconds: Vec<u64>,
    /// How long a partner has to answer one delivery.
    pub webhook_timeout_millis: u64,
    /// How often the follower looks for changes and the worker for due deliveries.
    pub webhook_poll_millis: u64,
}

impl Default for PartnerSettings {
    fn default() -> Self {
        Self {
            webhooks_in_server: true,
            webhook_retry_seconds: Vec::new(),
            webhook_timeout_millis: 10_000,
            webhook_poll_millis: 1_000,
        }
    }
}

/// The background work that keeps the registry fresh. Either job is off at 0.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct FreshnessSettings {
    /// Seconds between rounds of the review reminder job (deciding what is due, sending mail).
    pub review_reminder_seconds: u64,
    /// Hours between link checker runs over every published program's URLs.
    pub link_check_hours: u64,
    /// The pause between two requests to one host.
    pub link_check_host_delay_millis: u64,
    pub link_check_timeout_seconds: u64,
    /// Check URLs on loopback and private networks too: for tests only, as program URLs are
    /// typed by people and the checker must not reach into the service's own network.
    pub link_check_allow_private_addresses: bool,
}

impl Default for FreshnessSettings {
    fn default() -> Self {
        Self {
            review_reminder_seconds: 3600,
            link_check_hours: 24,
            link_check_host_delay_millis: 2_000,
            link_check_timeout_seconds: 10,
            link_check_allow_private_addresses: false,
        }
    }
}

/// Each server process keeps its own search index and follows the database; processes on one
/// machine need their own `index_dir` (one that is taken makes the process keep its index in
/// memory instead).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchSettings {
    /// Default: `search-index` under `data_dir`.
    pub index_dir: Option<PathBuf>,
    /// Keep the index in memory only (rebuilt from the database at every start).
    pub in_memory: bool,
    /// Do not keep the search log (for deployments whose policy forbids it).
    pub disable_log: bool,
    /// The UTF-8 IPADIC sources that `scripts/ensure-ipadic.sh` prepares (default
    /// `.cache/mecab-ipadic-utf8` in the working directory). With them, programs are also found
    /// by their reading (じどうてあて → 児童手当); the dictionary is built once beside them.
    pub ipadic_source: Option<PathBuf>,
    /// Answers kept in memory for repeated searches until the index changes (default 2,048);
    /// 0 keeps none.
    pub recent_answers: Option<usize>,
}

impl SearchSettings {
    pub fn index_dir(&self, data_dir: &Path) -> PathBuf {
        self.index_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("search-index"))
    }

    pub fn ipadic_source(&self) -> PathBuf {
        self.ipadic_source
            .clone()
            .unwrap_or_else(|| PathBuf::from(".cache/mecab-ipadic-utf8"))
    }
}

/// How notices travel. Without `smtp_url` mail goes into the file mailbox under `data_dir`;
/// without a LINE token no LINE notices are sent (they wait as dead letters until one is set).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct NoticeSettings {
    /// Run the delivery worker inside `serve` (the embedded default); production may run
    /// `kosodate worker` processes instead, as many as needed.
    pub worker_in_server: bool,
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required` (or `tls=opportunistic`) or
    /// `smtps://user:pass@host`.
    pub smtp_url: Option<SecretString>,
    /// SMTP connections a process keeps open between messages. A worker sends one mail at a
    /// time and so uses one; the server's verification mail may use more at once.
    pub smtp_pool_size: u32,
    pub line_channel_access_token: Option<SecretString>,
    pub line_api_base: url::Url,
    /// The VAPID `sub`: how a push service can reach the operator.
    pub web_push_subject: String,
    /// Only for tests with a push receiver on loopback: production refuses such endpoints (SSRF).
    pub web_push_allow_insecure_endpoints: bool,
    /// Deliveries per second per channel, all worker processes together (kept in the database).
    pub email_per_second: u32,
    pub line_per_second: u32,
    pub web_push_per_second: u32,
    /// Deliveries per second to partner apps' notice webhooks, all workers together.
    pub partner_app_per_second: u32,
    pub batch_size: u64,
    pub concurrency: usize,
    /// How long a worker's claim lasts before another worker takes the notice over.
    pub lease_seconds: u64,
    pub idle_poll_millis: u64,
    pub max_attempts: u32,
    pub retry_base_seconds: u64,
    pub retry_cap_seconds: u64,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        Self {
            worker_in_server: true,
            smtp_url: None,
            smtp_pool_size: 4,
            line_channel_access_token: None,
            line_api_base: url::Url::parse("https://api.line.me/")
                .unwrap_or_else(|_| unreachable!("a valid URL")),
            web_push_subject: "mailto:kosodate@pref.aomori.invalid".into(),
            web_push_allow_insecure_endpoints: false,
            email_per_second: 100,
            line_per_second: 2_000,
            web_push_per_second: 500,
            partner_app_per_second: 500,
            batch_size: 200,
            concurrency: 32,
            lease_seconds: 300,
            idle_poll_millis: 1_000,
            max_attempts: 10,
            retry_base_seconds: 30,
            retry_cap_seconds: 6 * 3600,
        }
    }
}

/// Who signs in with a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Parents,
    Staff,
}

/// One OpenID Provider: configured, not coded. LINE Login is one (`issuer =
/// "https://access.line.me"`, `id_token_algs = ["HS256"]`, `token_auth = "client_secret_post"`,
/// `line_user_ids = true`); an organisation's own provider for staff is another.
#[derive(Debug, Clone, Deserialize)]
pub struct OidcProviderSetting {
    /// The provider's name in URLs: `/auth/login/{id}`, `/auth/callback/{id}`.
    pub id: String,
    pub audience: Audience,
    /// What the sign-in button says, e.g. "LINEでログイン".
    pub label: String,
    pub issuer: url::Url,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Scopes besides `openid`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// ID token algorithms to accept instead of those discovery lists (LINE signs web-login ID
    /// tokens with HS256 and the channel secret but lists only ES256).
    #[serde(default)]
    pub id_token_algs: Option<Vec<String>>,
    /// `client_secret_basic` (default) or `client_secret_post`.
    #[serde(default)]
    pub token_auth: Option<String>,
    /// The provider's `sub` is a LINE user id, which the household can use for LINE notices.
    #[serde(default)]
    pub line_user_ids: bool,
    /// Staff providers: the claim listing roles, and the values that name each role.
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    #[serde(default = "default_municipality_claim")]
    pub municipality_claim: String,
    #[serde(default)]
    pub role_values: RoleValues,
}

fn default_roles_claim() -> String {
    "roles".into()
}

fn default_municipality_claim() -> String {
    "municipality_code".into()
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoleValues {
    pub municipal: String,
    pub prefecture: String,
    pub administrator: String,
}

impl Default for RoleValues {
    fn default() -> Self {
        Self {
            municipal: "municipal_staff".into(),
            prefecture: "prefecture_staff".into(),
            administrator: "administrator".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiTokenSetting {
    /// Recorded as the actor in program history, e.g. "青森市 こども支援課 取込".
    pub name: String,
    /// The organisation the token acts for: a municipality code, the prefecture's 020001, or
    /// `admin`.
    pub organisation: String,
    pub token: SecretString,
}

/// Defaults, as a serialisable struct so figment can layer the other sources over them.
#[derive(Serialize)]
struct Defaults {
    listen: SocketAddr,
    data_dir: PathBuf,
    max_connections: u32,
    migrate_on_start: bool,
    body_limit_bytes: usize,
    log_format: LogFormat,
    api_tokens: Vec<()>,
    match_tick_minutes: u64,
    parent_session_hours: u64,
    staff_session_hours: u64,
    mail_from: String,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from(".kosodate"),
            max_connections: 10,
            migrate_on_start: true,
            body_limit_bytes: 32 * 1024 * 1024,
            log_format: LogFormat::Text,
            api_tokens: Vec::new(),
            match_tick_minutes: 60,
            parent_session_hours: 24 * 30,
            staff_session_hours: 9,
            mail_from: "青森県 子育て支援 <noreply@kosodate.invalid>".into(),
        }
    }
}

fn default_insights_roll_up_minutes() -> u64 {
    60
}

fn default_match_partition_households() -> u64 {
    2_000
}

fn default_match_lease_seconds() -> u64 {
    60
}

#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(#[from] Box<figment::Error>);

impl Settings {
    /// Loads settings from the file (if any) and the environment.
    pub fn load(config_file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Defaults::default()));
        figment = match config_file {
            Some(file) => figment.merge(Toml::file_exact(file)),
            None => figment.merge(Toml::file("kosodate.toml")),
        };
        figment
            .merge(Env::prefixed("KOSODATE_").split("__").ignore(&["config"]))
            .merge(Env::raw().only(&["DATABASE_URL"]).map(|_| "database_url".into()))
            .extract()
            .map_err(|error| SettingsError(Box::new(error)))
    }

    /// The database to use: the configured URL, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("kosodate.sqlite").display()
            ),
        }
    }

    pub fn is_embedded(&self) -> bool {
        self.database_url.is_none()
    }

    pub fn should_load_examples(&self) -> bool {
        self.load_examples.unwrap_or(self.is_embedded())
    }

    pub fn mailbox_dir(&self) -> PathBuf {
        self.data_dir.join("mailbox")
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment's own large error
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let settings = Settings {
            database_url: Some(SecretString::from("postgres://user:hunter2@db/kosodate")),
            api_tokens: vec![ApiTokenSetting {
                name: "青森市".into(),
                organisation: "022012".into(),
                token: SecretString::from("s3cret-token"),
            }],
            ..test_settings()
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("s3cret-token"));
    }

    #[test]
    fn environment_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("KOSODATE_LISTEN", "127.0.0.1:9999");
            jail.set_env("DATABASE_URL", "postgres://127.0.0.1/test");
            jail.set_env(
                "KOSODATE_API_TOKENS",
                r#"[{name="青森市",organisation="022012",token="t"}]"#,
            );
            let settings = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(settings.listen.port(), 9999);
            assert_eq!(settings.database_url(), "postgres://127.0.0.1/test");
            assert!(!settings.should_load_examples());
            assert_eq!(settings.api_tokens[0].organisation, "022012");
            Ok(())
        });
    }

    #[test]
    fn embedded_default_keeps_everything_under_the_data_dir() {
        figment::Jail::expect_with(|_| {
            let settings = Settings::load(None).map_err(|e| e.to_string())?;
            assert!(settings.database_url().starts_with("sqlite://.kosodate/"));
            assert!(settings.should_load_examples());
            Ok(())
        });
    }

    fn test_settings() -> Settings {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: PathBuf::from("."),
            database_url: None,
            max_connections: 1,
            migrate_on_start: true,
            load_examples: None,
            body_limit_bytes: 1024,
            log_format: LogFormat::Text,
            api_tokens: Vec::new(),
            match_tick_minutes: 60,
            insights_roll_up_minutes: 60,
            match_partition_households: 2_000,
            match_lease_seconds: 60,
            public_url: None,
            oidc: Vec::new(),
            parent_session_hours: 720,
            staff_session_hours: 9,
            mail_from: "kosodate <noreply@kosodate.invalid>".into(),
            notices: NoticeSettings::default(),
            search: SearchSettings::default(),
            freshness: FreshnessSettings::default(),
            partners: PartnerSettings::default(),
        }
    }
}
