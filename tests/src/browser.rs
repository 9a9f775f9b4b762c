//! Real headless Chromium for page tests: Debian's `chromium` driven through `chromedriver`
//! (WebDriver, fantoccini), with axe-core injected into the page to check accessibility the way
//! a screen-reader user would meet it. `scripts/ensure-chromium.sh` installs both and axe-core.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::key::Key;
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

    /// Opens a page of ours at `size` and checks what every page must hold: `lang="ja"`, the
    /// stylesheet loaded under the page's Content-Security-Policy, no serious or critical axe-core
    /// violation; then keeps a screenshot `name-WxH` in `directory`.
    pub async fn check_page(&self, url: &str, size: (u32, u32), directory: &Path, name: &str) {
        self.visit(url, size).await;
        assert_eq!(
            self.evaluate("return document.documentElement.lang").await,
            "ja",
            "{url}"
        );
        // 1.0625rem: the stylesheet was allowed to load.
        assert_eq!(
            self.evaluate("return getComputedStyle(document.body).fontSize")
                .await,
            "17px",
            "{url}"
        );
        let violations = self.serious_violations().await;
        assert!(violations.is_empty(), "{url} at {size:?}: {violations:#?}");
        self.screenshot(directory, &format!("{name}-{}x{}", size.0, size.1))
            .await;
    }

    /// [`Chromium::check_page`] for each `(name, url)` at a phone's width and a desktop's, then
    /// on the narrowest phone with text at 200 %: the page reflows instead of scrolling sideways.
    pub async fn check_pages_at_every_width(
        &self,
        pages: impl IntoIterator<Item = (String, String)>,
        directory: &Path,
    ) {
        for (name, url) in pages {
            for size in [(360, 740), (1280, 800)] {
                self.check_page(&url, size, directory, &name).await;
            }
            let overflow = self.sideways_scroll_at_double_text(&url).await;
            assert!(
                overflow <= 0,
                "{url} scrolls sideways by {overflow} px at 320 px and 200 % text"
            );
        }
    }

    /// How far the page at `url` scrolls sideways on the narrowest phone (320 px) with text at
    /// 200 % (WCAG 1.4.4 and 1.4.10), in CSS pixels: 0 or less when it reflows.
    pub async fn sideways_scroll_at_double_text(&self, url: &str) -> i64 {
        self.visit(url, (320, 740)).await;
        self.evaluate(
            "document.documentElement.style.fontSize = '200%';
             return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
        )
        .await
        .as_i64()
        .expect("a width in pixels")
    }

    /// Presses Tab from where the focus is, as a keyboard user would, until the element with id
    /// `id` has the focus; fails after `most` presses. The focus must then be visible.
    pub async fn tab_to(&self, id: &str, most: usize) {
        let mut presses = 0;
        while self.evaluate("return document.activeElement.id").await != id {
            presses += 1;
            assert!(presses <= most, "#{id} is among the first {most} stops of Tab");
            self.press(Key::Tab).await;
        }
        let focus_ring = self
            .evaluate("return getComputedStyle(document.activeElement).outlineStyle")
            .await;
        assert_eq!(focus_ring, "solid", "the focus on #{id} is visible");
    }

    /// Presses `key` where the focus is.
    pub async fn press(&self, key: Key) {
        self.type_text(&String::from(char::from(key))).await;
    }

    /// Types `text` where the focus is.
    pub async fn type_text(&self, text: &str) {
        self.client
            .active_element()
            .await
            .expect("an element has the focus")
            .send_keys(text)
            .await
            .expect("the element takes the keys");
    }

    /// Saves a PNG of the window as `directory/name.png` (a test artefact); returns its path.
    pub async fn screenshot(&self, directory: &Path, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::create_dir_all(directory).expect("the screenshot directory");
        let path = directory.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is saved");
        path
    }

    /// Types `text` into the field `css` selects, after clearing it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("the field clears");
        field.send_keys(text).await.expect("the field takes the text");
    }

    /// Chooses the file at `path` in the file control `css` selects, as a person picking it in
    /// the browser's file dialog would.
    pub async fn choose_file(&self, css: &str, path: &Path) {
        let path = path.to_str().expect("a UTF-8 path");
        self.find(css)
            .await
            .send_keys(path)
            .await
            .expect("the file control takes the file");
    }

    /// Sets the value of the field `css` selects as a date picker would (typing into a date field
    /// follows the browser's locale, which a test should not depend on).
    pub async fn set_value(&self, css: &str, value: &str) {
        let element = self.find(css).await;
        self.client
            .execute(
                "arguments[0].value = arguments[1]; return null",
                vec![
                    serde_json::to_value(&element).expect("an element reference"),
                    json!(value),
                ],
            )
            .await
            .expect("the value is set");
    }

    /// Clicks the element `css` selects (a button submits its form).
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .expect("the element takes the click");
    }

    /// Clicks the element `css` selects and waits for the page it leads to: a click returns as
    /// soon as the browser took it, before the form's answer has loaded.
    pub async fn click_and_wait(&self, css: &str) {
        self.evaluate("window.kosodateOldPage = true; return null").await;
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let loaded = self
                .evaluate("return window.kosodateOldPage === undefined && document.readyState === 'complete'")
                .await;
            if loaded == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{css} led to no new page within 30 s");
    }

    /// Picks the option of value `value` in the select `css` selects.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .expect("the option is there");
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no element {css}: {error}"))
    }

    /// The path and query of the open page.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The text a reader sees on the open page.
    pub async fn text(&self) -> String {
        self.evaluate("return document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// [`Chromium::check_page`] for the page already open (one reached by a form), at a phone's
    /// and a desktop's width, left at the phone's.
    pub async fn check_open_page(&self, directory: &Path, name: &str) {
        assert_eq!(
            self.evaluate("return document.documentElement.lang").await,
            "ja",
            "{name}"
        );
        for (width, height) in [(360, 740), (1280, 800)] {
            self.client
                .set_window_size(width, height)
                .await
                .expect("the window is resized");
            let violations = self.serious_violations().await;
            assert!(
                violations.is_empty(),
                "{name} at {width}x{height}: {violations:#?}"
            );
            self.screenshot(directory, &format!("{name}-{width}x{height}"))
                .await;
        }
        self.client
            .set_window_size(360, 740)
            .await
            .expect("the window is resized");
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
