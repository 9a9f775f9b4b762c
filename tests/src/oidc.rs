//! A real OpenID Provider for the sign-in tests: npm `oidc-provider` (tests/oidc-provider),
//! installed by `scripts/ensure-oidc-provider.sh` and started on loopback for each test with the
//! clients and accounts the test needs. It can tamper with its next ID token on request, so the
//! tests see the service reject expired, misaddressed and forged tokens from a real provider.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Value, json};

/// Start-up takes under a second; a loaded CI machine gets ample slack.
const STARTUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The provider's signing keys, made once and shared by every provider the tests start. Node 20
/// can deadlock exporting a freshly generated RSA key as JWK when a garbage collection runs at the
/// same moment (seen here once in a few dozen starts: the process hangs in `KeyGenJob`'s
/// destructor), so keys are generated once, with retries, rather than at every start.
fn keys_file() -> PathBuf {
    repository_root().join("tests/oidc-provider/node_modules/.kosodate-test-keys.json")
}

/// Installs the provider's npm packages and makes its keys, once per test process.
fn ensure_installed() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let status = Command::new(repository_root().join("scripts/ensure-oidc-provider.sh"))
            .status()
            .expect("scripts/ensure-oidc-provider.sh runs");
        assert!(
            status.success(),
            "the test OpenID Provider could not be installed"
        );
        for _ in 0..3 {
            if keys_file().exists() {
                return;
            }
            // Starting once writes the keys file; a start that hangs is killed and retried.
            let _ = OpenIdProvider::try_start(
                &[],
                &json!({}),
                ClaimsIn::Userinfo,
                std::time::Duration::from_secs(20),
            );
        }
        assert!(
            keys_file().exists(),
            "the test OpenID Provider could not make its keys"
        );
    });
}

/// A provider running on loopback; stopped when dropped.
#[derive(Debug)]
pub struct OpenIdProvider {
    pub issuer: String,
    child: Child,
    _config_dir: tempfile::TempDir,
}

/// Where the provider puts the claims a scope asks for (roles, municipality).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsIn {
    /// Userinfo only (OIDC Core 5.4, oidc-provider's default).
    Userinfo,
    /// The ID token too.
    IdToken,
}

/// A client registered at the provider.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    pub client_id: &'static str,
    pub client_secret: &'static str,
    pub redirect_uri: String,
    /// RS256, ES256 or HS256.
    pub alg: &'static str,
    /// client_secret_basic or client_secret_post.
    pub token_auth: &'static str,
}

impl OpenIdProvider {
    /// Starts the provider with `clients` and `accounts` (`{"login": {claims…}}`). Claims that a
    /// scope asks for are in userinfo only, as the standard says; `ClaimsIn::IdToken` puts them
    /// in the ID token too.
    pub fn start(clients: &[ClientSpec], accounts: &Value, claims: ClaimsIn) -> Self {
        ensure_installed();
        Self::try_start(clients, accounts, claims, STARTUP_TIMEOUT)
            .unwrap_or_else(|failure| panic!("{failure}"))
    }

    fn try_start(
        clients: &[ClientSpec],
        accounts: &Value,
        claims: ClaimsIn,
        timeout: std::time::Duration,
    ) -> Result<Self, String> {
        let config_dir = tempfile::tempdir().expect("temporary directory");
        let config = json!({
            "clients": clients.iter().map(|client| json!({
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "redirect_uris": [client.redirect_uri],
                "id_token_signed_response_alg": client.alg,
                "token_endpoint_auth_method": client.token_auth,
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            })).collect::<Vec<_>>(),
            "accounts": accounts,
            "claims_in_id_token": claims == ClaimsIn::IdToken,
            "exit_on_stdin_close": true,
            "keys_file": keys_file(),
        });
        let config_path = config_dir.path().join("config.json");
        std::fs::write(&config_path, config.to_string()).expect("provider config written");
        let log_path = config_dir.path().join("provider.log");
        let log = std::fs::File::create(&log_path).expect("provider log file");
        let mut child = Command::new("node")
            .arg(repository_root().join("tests/oidc-provider/provider.mjs"))
            .arg(&config_path)
            // The provider exits when this pipe closes, so a crashed test leaves no process.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("node starts the provider");
        let stdout = child.stdout.take().expect("provider stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver.recv_timeout(timeout).unwrap_or_default();
        let Some(issuer) = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|ready| ready["issuer"].as_str().map(str::to_owned))
        else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            return Err(format!(
                "the OpenID Provider did not start within {timeout:?}: {line:?}\n{log}"
            ));
        };
        Ok(Self {
            issuer,
            child,
            _config_dir: config_dir,
        })
    }

    /// Makes the provider's next ID token `expired`, `wrong_audience`, `wrong_issuer`,
    /// `bad_signature` or `replayed_nonce`.
    pub async fn tamper_next_token(&self, mode: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/test/tamper", self.issuer))
            .json(&json!({ "mode": mode }))
            .send()
            .await
            .expect("tamper request");
        assert_eq!(response.status().as_u16(), 204, "tamper mode {mode} armed");
    }
}

impl Drop for OpenIdProvider {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
