//! Real headless Chromium for page tests: Debian's `chromium` driven through `chromedriver`
//! (WebDriver, fantoccini), with axe-core injected into the page to check accessibility the way
//! a screen-reader user would meet it. `scripts/ensure-chromium.sh` installs both and axe-core.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// Chromium flags for a closed network: no background connections, no first-run dialogs.
const CHROMIUM_ARGS: [&str; 9] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=ja-JP",
];

/// An axe-core finding: one rule a page breaks, with how bad it is and where.
#[derive(Debug, Deserialize)]
pub struct Violation {
    pub id: String,
    pub impact: Option<String>,
    pub help: String,
    pub targets: Vec<String>,
}

/// One Chromium session; chromedriver is killed when it is dropped.
#[allow(missing_debug_implementations)] // fantoccini's client has no Debug
pub struct Chromium {
    pub client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver runs (scripts/ensure-chromium.sh installs it)");
        wait_for_port(port).await;
        let profile = tempfile::tempdir().expect("a Chromium profile directory");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|arg| (*arg).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({"binary": "/usr/bin/chromium", "args": args}),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Self {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Opens `url` in a window of `width` × `height` CSS pixels.
    pub async fn visit(&self, url: &str, (width, height): (u32, u32)) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("the window is resized");
        self.client.goto(url).await.expect("the page opens");
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn evaluate(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .expect("the script runs")
    }

    /// The serious and critical axe-core violations of the open page (WCAG 2.x A and AA rules
    /// and axe's best practices).
    pub async fn serious_violations(&self) -> Vec<Violation> {
        let axe =
            std::fs::read_to_string(axe_path()).expect("axe-core (scripts/ensure-chromium.sh installs it)");
        self.client
            .execute(&axe, Vec::new())
            .await
            .expect("axe-core loads in the page");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']})
                   .then(result => done(result.violations.map(violation => ({
                     id: violation.id, impact: violation.impact, help: violation.help,
                     targets: violation.nodes.map(node => node.target.join(' '))}))))
                   .catch(error => done([{id: 'axe-error', impact: 'critical', help: String(error), targets: []}]));",
                Vec::new(),
            )
            .await
            .expect("axe-core runs");
        let violations: Vec<Violation> = serde_json::from_value(found).expect("axe-core's findings");
        violations
            .into_iter()
            .filter(|violation| matches!(violation.impact.as_deref(), Some("serious" | "critical")))
            .collect()
    }

    /// Asserts what every page must be for everyone: in Japanese (`lang="ja"`), styled (the
    /// stylesheet loaded under the page's Content-Security-Policy: body text at 1.0625rem), and
    /// without a serious or critical axe-core violation. `what` names the page in failures.
    pub async fn assert_accessible_page(&self, what: &str) {
        assert_eq!(
            self.evaluate("return document.documentElement.lang").await,
            "ja",
            "{what}"
        );
        assert_eq!(
            self.evaluate("return getComputedStyle(document.body).fontSize")
                .await,
            "17px",
            "{what}: the stylesheet loads"
        );
        let violations = self.serious_violations().await;
        assert!(violations.is_empty(), "{what}: {violations:#?}");
    }

    /// Saves a PNG of the window as `directory/name.png` (a test artefact); returns its path.
    pub async fn screenshot(&self, directory: &Path, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::create_dir_all(directory).expect("the screenshot directory");
        let path = directory.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is saved");
        path
    }

    pub async fn close(self) {
        self.client.close().await.expect("the session ends");
    }
}

fn axe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/node_modules/axe-core/axe.min.js")
}

async fn wait_for_port(port: u16) {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start listening"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
