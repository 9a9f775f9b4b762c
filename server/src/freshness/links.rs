//! The link checker: follows every published program's source, contact and application URLs on
//! a schedule and records what answered (`registry::freshness::links`). Politely: one request at
//! a time per host with a pause between them, HEAD first and GET only when HEAD is refused, a
//! timeout, a User-Agent that names the service, a few redirects followed, and a host that does
//! not answer left alone for longer each time (exponential backoff, in this process). Addresses
//! on loopback or private networks are refused unless allowed (tests), as program URLs are
//! typed by people and the checker must not become a way into the service's own network.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use kosodate_domain::{ProgramId, error_chain};
use kosodate_registry::freshness::links::{LinkState, LinkStatus};
use kosodate_registry::{Registry, RegistryError, Visibility};
use reqwest::{Method, StatusCode};

const MAX_REDIRECTS: usize = 5;
/// Hosts checked at the same time (each still one request at a time).
const HOSTS_AT_ONCE: usize = 4;
const BACKOFF_FIRST: Duration = Duration::from_secs(3600);
const BACKOFF_LONGEST: Duration = Duration::from_secs(7 * 24 * 3600);

/// How the checker behaves; from the settings.
#[derive(Debug, Clone)]
pub struct LinkCheckerConfig {
    pub timeout: Duration,
    pub host_delay: Duration,
    pub allow_private_addresses: bool,
}

#[derive(Debug, Clone)]
pub struct LinkChecker {
    registry: Registry,
    http: reqwest::Client,
    config: LinkCheckerConfig,
    backoff: Arc<Mutex<HashMap<String, HostBackoff>>>,
}

#[derive(Debug, Clone, Copy)]
struct HostBackoff {
    failures: u32,
    until: Instant,
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkRun {
    pub checked: usize,
    pub failed: usize,
    /// URLs of hosts still backing off.
    pub skipped: usize,
}

impl LinkChecker {
    pub fn new(registry: Registry, config: LinkCheckerConfig) -> Self {
        let http = reqwest::Client::builder()
            // Redirects are followed by hand, so that each hop is checked like the first.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .user_agent(concat!(
                "kosodate-link-checker/",
                env!("CARGO_PKG_VERSION"),
                " (Aomori child-rearing support registry)"
            ))
            .build()
            .unwrap_or_default();
        Self {
            registry,
            http,
            config,
            backoff: Arc::default(),
        }
    }

    /// Whether `url` answers, following redirects: for the editor's live check and every run.
    pub async fn check_url(&self, url: &str) -> LinkStatus {
        let mut current = match url::Url::parse(url) {
            Ok(parsed) => parsed,
            Err(_) => return failure(None, "URLの形式が正しくありません"),
        };
        for _ in 0..=MAX_REDIRECTS {
            if let Err(refusal) = self.permitted(&current).await {
                return failure(None, refusal);
            }
            let (status, location) = match self.ask(&current).await {
                Ok(answer) => answer,
                Err(error) => return failure(None, &describe(&error)),
            };
            if !status.is_redirection() {
                return match status.is_success() {
                    true => LinkStatus {
                        status: Some(status.as_u16()),
                        error: None,
                    },
                    false => failure(Some(status.as_u16()), &format!("HTTP {}", status.as_u16())),
                };
            }
            match location.and_then(|location| current.join(&location).ok()) {
                Some(next) => current = next,
                None => return failure(Some(status.as_u16()), "転送先がありません"),
            }
        }
        failure(None, "転送が多すぎます")
    }

    /// HEAD, or GET when the server refuses HEAD: the status and where a redirect points. The
    /// body of a GET is never read.
    async fn ask(&self, url: &url::Url) -> Result<(StatusCode, Option<String>), reqwest::Error> {
        let mut response = self.http.request(Method::HEAD, url.clone()).send().await?;
        let refused = matches!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED | StatusCode::FORBIDDEN
        );
        if refused {
            response = self.http.get(url.clone()).send().await?;
        }
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        Ok((response.status(), location))
    }

    /// Only http and https, and no address inside our own networks unless allowed.
    async fn permitted(&self, url: &url::Url) -> Result<(), &'static str> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err("http または https のURLではありません");
        }
        if self.config.allow_private_addresses {
            return Ok(());
        }
        let host = url.host_str().ok_or("ホスト名がありません")?;
        let port = url.port_or_known_default().unwrap_or(443);
        let addresses = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| "ホスト名が見つかりません")?;
        for address in addresses {
            if is_internal(address.ip()) {
                return Err("内部ネットワークのアドレスは確認しません");
            }
        }
        Ok(())
    }

    /// Checks every URL of the published programs and records each result.
    pub async fn run(&self) -> Result<LinkRun, RegistryError> {
        let mut by_host: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for url in self.registry.urls_to_check().await? {
            let host = url::Url::parse(&url)
                .ok()
                .and_then(|parsed| parsed.host_str().map(str::to_owned))
                .unwrap_or_default();
            by_host.entry(host).or_default().push(url);
        }
        let mut total = LinkRun::default();
        let hosts: Vec<(String, Vec<String>)> = by_host.into_iter().collect();
        for group in hosts.chunks(HOSTS_AT_ONCE) {
            let runs =
                futures::future::join_all(group.iter().map(|(host, urls)| self.run_host(host, urls))).await;
            for run in runs {
                let run = run?;
                total.checked += run.checked;
                total.failed += run.failed;
                total.skipped += run.skipped;
            }
        }
        Ok(total)
    }

    async fn run_host(&self, host: &str, urls: &[String]) -> Result<LinkRun, RegistryError> {
        let mut run = LinkRun::default();
        if self.backing_off(host) {
            run.skipped = urls.len();
            return Ok(run);
        }
        for (position, url) in urls.iter().enumerate() {
            if position > 0 {
                tokio::time::sleep(self.config.host_delay).await;
            }
            let status = self.check_url(url).await;
            run.checked += 1;
            if !status.is_ok() {
                run.failed += 1;
            }
            self.registry.record_link_check(url, &status, Utc::now()).await?;
            if host_failed(&status) {
                self.back_off(host);
                run.skipped = urls.len() - position - 1;
                break;
            }
        }
        if run.failed == 0 {
            self.backoff_table().remove(host);
        }
        Ok(run)
    }

    /// Checks one program's URLs now (the staff page's 「今すぐ確認」) and returns their states.
    pub async fn check_program(&self, id: ProgramId) -> Result<Vec<LinkState>, RegistryError> {
        let program = self.registry.program(id, Visibility::Staff).await?;
        let mut states = Vec::new();
        for url in program.urls() {
            let status = self.check_url(&url).await;
            states.push(self.registry.record_link_check(&url, &status, Utc::now()).await?);
        }
        Ok(states)
    }

    fn backoff_table(&self) -> std::sync::MutexGuard<'_, HashMap<String, HostBackoff>> {
        self.backoff
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn backing_off(&self, host: &str) -> bool {
        self.backoff_table()
            .get(host)
            .is_some_and(|backoff| backoff.until > Instant::now())
    }

    fn back_off(&self, host: &str) {
        let mut table = self.backoff_table();
        let failures = table.get(host).map_or(0, |backoff| backoff.failures) + 1;
        let pause = BACKOFF_FIRST
            .saturating_mul(2u32.saturating_pow(failures - 1))
            .min(BACKOFF_LONGEST);
        table.insert(
            host.to_owned(),
            HostBackoff {
                failures,
                until: Instant::now() + pause,
            },
        );
    }
}

/// The host itself is in trouble (nothing answered, or it says it is overloaded or failing):
/// its other URLs wait for the backoff rather than add to its load.
fn host_failed(status: &LinkStatus) -> bool {
    match status.status {
        None => status.error.is_some(),
        Some(code) => code == 429 || code >= 500,
    }
}

fn failure(status: Option<u16>, reason: &str) -> LinkStatus {
    LinkStatus {
        status,
        error: Some(reason.to_owned()),
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "応答がありません（時間切れ）".to_owned()
    } else if error.is_connect() {
        "接続できません".to_owned()
    } else {
        tracing::debug!(error = %error_chain(error), "link check failed");
        "応答を読めません".to_owned()
    }
}

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || v6.to_ipv4_mapped().is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

/// Runs the checker every `interval` in this process.
pub fn spawn(checker: LinkChecker, interval: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            match checker.run().await {
                Ok(run) => tracing::info!(
                    checked = run.checked,
                    failed = run.failed,
                    skipped = run.skipped,
                    "link check"
                ),
                Err(error) => tracing::error!(error = %error_chain(&error), "link check failed"),
            }
        }
    });
}
