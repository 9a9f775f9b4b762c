//! The soak's load: `scripts/soak` starts the service (`--serve`: what `kosodate serve` runs) on
//! PostgreSQL with the example data and runs this against it. It sends `SOAK_RATE` requests/s (1,000) for `SOAK_SECONDS` (600) at
//! a fixed rate whatever the answers take (an open loop, so that a slow server shows as latency,
//! not as a lower rate): reads of the home page, the search API and page, program pages and the
//! program API, the municipality list, the events page and API, event pages, and a registered
//! partner app's reads with its OAuth token (programs and events); writes of search-result clicks
//! and a staff member's updates of a program through the API with a token. It samples the
//! server's resident memory (`SOAK_PID`) about every `SOAK_MEMORY_SECONDS` (10; each interval a
//! random quarter shorter or longer), as a whole and in its two parts (anonymous: the heap; files:
//! mapped pages of the search index), with what the heap holds in use by the allocator's own count
//! (`allocator_allocated_bytes` on `/metrics`) and the part of it that threads keep in their caches
//! (`allocator_thread_cache_bytes`), beside the requests in flight and the p99 of those answered
//! since the last sample. It prints each kind's count, errors and p50/p99, the memory samples and
//! the verdict: flat when, after the first quarter of the run (warm-up), the highest
//! resident sample is within 10 % of the lowest.
//!
//! `SOAK_URL` (http://127.0.0.1:18080), `SOAK_TOKEN` (a staff token of 青森市, 022012),
//! `SOAK_DATABASE_URL` (the service's database, where the partner app is registered). Under
//! `cargo test` (no `--bench` argument) it does nothing.

#![allow(clippy::print_stdout)] // a load driver prints its figures

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use kosodate_server::cli::{Cli, Command, ServeArgs};
use kosodate_tests::relevance::load_queries;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::{Client, RequestBuilder};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

/// Seconds between memory samples unless `SOAK_MEMORY_SECONDS` says otherwise. One second
/// shows how long a rise lasts and when it comes, which ten cannot tell apart from a
/// steady rise.
const MEMORY_SECONDS: &str = "10";
/// Requests in flight beyond which the driver itself would be the bottleneck: a request that
/// finds none free counts as an error ("overloaded") instead of queueing.
const MAX_IN_FLIGHT: usize = 2_000;
const FLAT_WITHIN: f64 = 0.10;

/// The kinds of request, with how many of each hundred.
const MIX: [(Kind, u32); 13] = [
    (Kind::Home, 10),
    (Kind::SearchApi, 25),
    (Kind::SearchPage, 8),
    (Kind::ProgramPage, 12),
    (Kind::ProgramApi, 8),
    (Kind::Municipalities, 4),
    (Kind::BrowseApi, 8),
    (Kind::EventsPage, 5),
    (Kind::EventsApi, 4),
    (Kind::EventPage, 3),
    (Kind::PartnerRead, 4),
    (Kind::Click, 7),
    (Kind::StaffUpdate, 2),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Home,
    SearchApi,
    SearchPage,
    ProgramPage,
    ProgramApi,
    Municipalities,
    BrowseApi,
    EventsPage,
    EventsApi,
    EventPage,
    PartnerRead,
    Click,
    StaffUpdate,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Home => "GET / (home page)",
            Self::SearchApi => "GET /api/v1/programs/search?q",
            Self::SearchPage => "GET /search?q (page)",
            Self::ProgramPage => "GET /programs/{id} (page)",
            Self::ProgramApi => "GET /api/v1/programs/{id}",
            Self::Municipalities => "GET /api/v1/municipalities",
            Self::BrowseApi => "GET /api/v1/programs/search (browse)",
            Self::EventsPage => "GET /events?area&age (page)",
            Self::EventsApi => "GET /api/v1/events?municipality&from",
            Self::EventPage => "GET /events/{id} (page)",
            Self::PartnerRead => "GET programs, events (partner token)",
            Self::Click => "POST /api/v1/search/{id}/clicks",
            Self::StaffUpdate => "PUT /api/v1/programs/{id} (staff)",
        }
    }
}

/// What the requests need: the published programs, the queries, recent searches to click on.
struct Fixture {
    base: String,
    token: String,
    programs: Vec<String>,
    queries: Vec<String>,
    municipalities: Vec<String>,
    /// The staff member's own program, updated again and again.
    staff_program: String,
    /// Every published event's id.
    events: Vec<String>,
    /// The registered partner app's access token (`programs:read events:read`).
    partner_token: String,
    /// (search id, first program found) of recent searches.
    searches: Mutex<Vec<(String, String)>>,
}

#[derive(Default)]
struct Outcomes {
    latencies: BTreeMap<Kind, Vec<Duration>>,
    errors: BTreeMap<Kind, u64>,
    /// The first few error messages, to say what went wrong.
    examples: Vec<String>,
    /// Latencies of the requests answered since the last memory sample, so that a rise in memory
    /// can be set beside the latency of that moment.
    since_sample: Vec<Duration>,
}

impl Outcomes {
    fn record(&mut self, kind: Kind, elapsed: Duration, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => {
                self.latencies.entry(kind).or_default().push(elapsed);
                self.since_sample.push(elapsed);
            }
            Err(error) => {
                *self.errors.entry(kind).or_default() += 1;
                if self.examples.len() < 10 {
                    self.examples.push(format!("{}: {error}", kind.label()));
                }
            }
        }
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn pick_kind(rng: &mut ChaCha8Rng) -> Kind {
    let total: u32 = MIX.iter().map(|(_, weight)| weight).sum();
    let mut draw = rng.random_range(0..total);
    for (kind, weight) in MIX {
        if draw < weight {
            return kind;
        }
        draw -= weight;
    }
    Kind::Home
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The request of a kind, ready to send.
fn request(client: &Client, fixture: &Fixture, kind: Kind, rng: &mut ChaCha8Rng) -> RequestBuilder {
    let base = &fixture.base;
    let pick = |items: &[String], rng: &mut ChaCha8Rng| items.choose(rng).cloned().unwrap_or_default();
    let query = encoded(&pick(&fixture.queries, rng));
    let municipality = pick(&fixture.municipalities, rng);
    let program = pick(&fixture.programs, rng);
    match kind {
        Kind::Home => client.get(format!("{base}/")),
        Kind::SearchApi if rng.random_bool(0.5) => client.get(format!(
            "{base}/api/v1/programs/search?q={query}&municipality={municipality}"
        )),
        Kind::SearchApi => client.get(format!("{base}/api/v1/programs/search?q={query}")),
        Kind::SearchPage => client.get(format!("{base}/search?q={query}&municipality={municipality}")),
        Kind::ProgramPage => client.get(format!("{base}/programs/{program}")),
        Kind::ProgramApi => client.get(format!("{base}/api/v1/programs/{program}")),
        Kind::Municipalities => client.get(format!("{base}/api/v1/municipalities")),
        Kind::BrowseApi => client.get(format!(
            "{base}/api/v1/programs/search?municipality={municipality}&child_age_months={}&open_now=true",
            rng.random_range(0..72)
        )),
        Kind::EventsPage => client.get(format!(
            "{base}/events?area={municipality}&age={}",
            rng.random_range(0..36)
        )),
        Kind::EventsApi => client.get(format!(
            "{base}/api/v1/events?municipality={municipality}&from=2026-12-01&to=2027-01-31"
        )),
        Kind::EventPage => client.get(format!("{base}/events/{}", pick(&fixture.events, rng))),
        Kind::PartnerRead if rng.random_bool(0.5) => client
            .get(format!("{base}/api/v1/programs?limit=20"))
            .bearer_auth(&fixture.partner_token),
        Kind::PartnerRead => client
            .get(format!("{base}/api/v1/events?limit=20"))
            .bearer_auth(&fixture.partner_token),
        Kind::Click => {
            let recent = fixture
                .searches
                .lock()
                .ok()
                .and_then(|searches| searches.choose(rng).cloned());
            let (search, program) = recent.unwrap_or_default();
            client
                .post(format!("{base}/api/v1/search/{search}/clicks"))
                .json(&json!({"program_id": program, "rank": 1}))
        }
        Kind::StaffUpdate => client
            .put(format!("{base}/api/v1/programs/{}", fixture.staff_program))
            .bearer_auth(&fixture.token)
            .header("If-Match", "*")
            .json(&staff_program_body(rng.random_range(0..1_000))),
    }
}

/// Sends one request; a search API answer's id and first result are kept for clicks.
async fn send(fixture: &Fixture, kind: Kind, request: RequestBuilder) -> Result<(), String> {
    let response = request.send().await.map_err(|error| error.to_string())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|error| error.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    if kind == Kind::SearchApi
        && let Ok(page) = serde_json::from_slice::<Value>(&body)
        && let (Some(search), Some(program)) = (
            page["search_id"].as_str(),
            page["items"][0]["program"]["id"].as_str(),
        )
        && let Ok(mut searches) = fixture.searches.lock()
    {
        if searches.len() >= 1_000 {
            searches.swap_remove(0);
        }
        searches.push((search.to_owned(), program.to_owned()));
    }
    Ok(())
}

fn staff_program_body(revision: u32) -> Value {
    json!({
        "owner": "022012",
        "name": "負荷試験用 子ども医療費助成",
        "categories": ["medical", "infant"],
        "summary": format!("高校生年代までの子どもの医療費の自己負担分を助成します（改訂{revision}）。"),
        "eligibility_summary": "市内に住所があり、健康保険に加入している0歳から18歳到達後最初の3月31日までの子ども",
        "benefit": {"description": "保険診療の自己負担分", "amount_yen": null},
        "application_window": {"kind": "relative", "event": "birth", "within_days": 15},
        "application_methods": [{"kind": "counter", "note": "市役所 1階 窓口"}],
        "documents": ["健康保険の資格確認書"],
        "contact": {"section": "こども支援課", "phone": "017-734-1111", "email": "kodomo@example.jp"},
        "source_url": "https://www.city.aomori.aomori.jp/",
        "last_reviewed_on": "2026-11-01"
    })
}

/// Every published program's (`programs`) or event's (`events`) id, page by page.
async fn record_ids(client: &Client, base: &str, records: &str) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/{records}?limit=100");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page: Value = client.get(url).send().await?.error_for_status()?.json().await?;
        let items = page["items"].as_array().context("no items in the list")?;
        ids.extend(
            items
                .iter()
                .filter_map(|item| item["id"].as_str().map(str::to_owned)),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(ids),
        }
    }
}

/// The staff member's program: created and published once, then updated during the run.
async fn staff_program(client: &Client, base: &str, token: &str) -> anyhow::Result<String> {
    let created: Value = client
        .post(format!("{base}/api/v1/programs"))
        .bearer_auth(token)
        .json(&staff_program_body(0))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = created["id"]
        .as_str()
        .context("no id for the created program")?
        .to_owned();
    client
        .post(format!("{base}/api/v1/programs/{id}/publish"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?;
    Ok(id)
}

/// A partner app registered in the service's database, as an operator registers one on
/// `/staff/partners` (a staff session's action: API tokens may not manage partners), and an
/// access token of its own through `/oauth/token` (client credentials), valid for an hour:
/// longer than a soak.
async fn partner_token(client: &Client, base: &str, database_url: &str) -> anyhow::Result<String> {
    let db = sea_orm::Database::connect(database_url)
        .await
        .context("SOAK_DATABASE_URL")?;
    let input = kosodate_partners::PartnerInput {
        name: "負荷試験の連携アプリ".into(),
        contact_email: "soak@example.jp".into(),
        scopes: "programs:read events:read".into(),
        redirect_uris: Vec::new(),
        notice_webhook_url: None,
        rate_limit_per_minute: kosodate_partners::MAX_RATE_PER_MINUTE,
    };
    let registered = kosodate_partners::Partners::new(db)
        .register(&input, chrono::Utc::now())
        .await?;
    let issued: Value = client
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", registered.partner.client_id.as_str()),
            ("client_secret", registered.client_secret.as_str()),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(issued["access_token"]
        .as_str()
        .context("no access token")?
        .to_owned())
}

async fn fixture(
    client: &Client,
    base: String,
    token: String,
    database_url: &str,
) -> anyhow::Result<Fixture> {
    let programs = record_ids(client, &base, "programs").await?;
    let events = record_ids(client, &base, "events").await?;
    anyhow::ensure!(
        !events.is_empty(),
        "no published events: start the service with the example data"
    );
    let partner_token = partner_token(client, &base, database_url).await?;
    anyhow::ensure!(
        !programs.is_empty(),
        "no published programs: start the service with the example data"
    );
    let municipalities: Value = client
        .get(format!("{base}/api/v1/municipalities?limit=100"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let municipalities = municipalities
        .as_array()
        .or_else(|| municipalities["items"].as_array())
        .context("no municipality list")?
        .iter()
        .filter_map(|municipality| municipality["code"].as_str().map(str::to_owned))
        .collect();
    let staff_program = staff_program(client, &base, &token).await?;
    let fixture = Fixture {
        queries: load_queries()?.into_iter().map(|query| query.q).collect(),
        base,
        token,
        programs,
        municipalities,
        staff_program,
        events,
        partner_token,
        searches: Mutex::new(Vec::new()),
    };
    // Searches to click on from the first click.
    for query in fixture.queries.iter().take(20) {
        let url = format!("{}/api/v1/programs/search?q={}", fixture.base, encoded(query));
        send(&fixture, Kind::SearchApi, client.get(url))
            .await
            .map_err(|error| anyhow::anyhow!("a search failed: {error}"))?;
    }
    Ok(fixture)
}

/// One sample of the server's resident memory, in MB, from /proc: the whole, and its two parts.
/// Anonymous memory is the heap (what a leak would grow); file-backed memory is pages of mapped
/// files (the search index's segments), which the kernel may drop and read again at any time.
#[derive(Debug, Clone, Copy)]
struct MemorySample {
    second: u64,
    resident: f64,
    anonymous: f64,
    file: f64,
    /// Threads at the sample: each may hold its own stack and allocator arena.
    threads: u32,
    /// What the service's data takes on the heap, from its allocator (`/metrics`); 0 when the
    /// server does not say.
    allocated: f64,
    /// The part of `allocated` that threads freed but keep in their caches (`/metrics`).
    thread_caches: f64,
}

impl MemorySample {
    fn read(pid: &str, second: u64, allocator: AllocatorFigures) -> Option<Self> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let megabytes = |key: &str| -> Option<f64> {
            let line = status.lines().find(|line| line.starts_with(key))?;
            let kilobytes: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kilobytes / 1024.0)
        };
        Some(Self {
            second,
            resident: megabytes("VmRSS:")?,
            anonymous: megabytes("RssAnon:")?,
            file: megabytes("RssFile:")?,
            threads: status
                .lines()
                .find(|line| line.starts_with("Threads:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?,
            allocated: allocator.allocated,
            thread_caches: allocator.thread_caches,
        })
    }
}

/// The allocator's figures from the server's `/metrics`, in MB; 0 for what it does not answer.
#[derive(Debug, Clone, Copy, Default)]
struct AllocatorFigures {
    allocated: f64,
    thread_caches: f64,
}

async fn allocator_figures(client: &Client, base: &str) -> AllocatorFigures {
    let Ok(response) = client.get(format!("{base}/metrics")).send().await else {
        return AllocatorFigures::default();
    };
    let text = response.text().await.unwrap_or_default();
    let megabytes = |gauge: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(gauge)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .map_or(0.0, |bytes| bytes / 1024.0 / 1024.0)
    };
    AllocatorFigures {
        allocated: megabytes("allocator_allocated_bytes"),
        thread_caches: megabytes("allocator_thread_cache_bytes"),
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// Samples the server's memory and prints it beside the driver's view of that moment: requests
/// in flight (a queue building up holds each request's buffers in the server too) and the p99 of
/// the requests answered since the last sample.
async fn sample_memory(
    client: &Client,
    fixture: &Fixture,
    pid: Option<&str>,
    elapsed: Duration,
    in_flight: usize,
    outcomes: &Mutex<Outcomes>,
) -> Option<MemorySample> {
    let pid = pid?;
    let second = elapsed.as_secs();
    let mut recent = outcomes
        .lock()
        .map(|mut outcomes| std::mem::take(&mut outcomes.since_sample))
        .unwrap_or_default();
    recent.sort_unstable();
    let allocator = allocator_figures(client, &fixture.base).await;
    let sample = MemorySample::read(pid, second, allocator)?;
    println!(
        "  {second:>5} s  RSS {:>8.1} MB (anonymous {:>7.1}, files {:>6.1}; heap in use {:>6.1}, thread caches {:>5.1})  {:>4} threads  in flight {in_flight:>4}  p99 {:>7.2} ms  load average {}",
        sample.resident,
        sample.anonymous,
        sample.file,
        sample.allocated,
        sample.thread_caches,
        sample.threads,
        percentile(&recent, 0.99),
        load_average()
    );
    Some(sample)
}

/// Sends at the rate until the end, sampling memory; the outcomes and the memory samples.
async fn drive(
    client: &Client,
    fixture: &Arc<Fixture>,
    rate: u64,
    duration: Duration,
    memory_interval: Duration,
    pid: Option<&str>,
) -> (Outcomes, Vec<MemorySample>, u64) {
    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_205);
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut memory = Vec::new();
    let mut next_sample = Duration::ZERO;
    let mut sent = 0;
    while started.elapsed() < duration {
        ticks.tick().await;
        if started.elapsed() >= next_sample {
            let in_flight = MAX_IN_FLIGHT - slots.available_permits();
            let sample = sample_memory(client, fixture, pid, started.elapsed(), in_flight, &outcomes).await;
            memory.extend(sample);
            // Each sample a random quarter of the interval early or late: at a fixed interval the
            // samples lock onto the search index's commits (every quarter second under this load,
            // each holding some megabytes for tens of milliseconds) and fall inside them in runs
            // for seconds about once a minute, which looks like memory that jumps and settles.
            next_sample += memory_interval.mul_f64(rng.random_range(0.75..1.25));
        }
        let kind = pick_kind(&mut rng);
        let request = request(client, fixture, kind, &mut rng);
        sent += 1;
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            if let Ok(mut outcomes) = outcomes.lock() {
                outcomes.record(
                    kind,
                    Duration::ZERO,
                    Err("overloaded: too many requests in flight".into()),
                );
            }
            continue;
        };
        let (fixture, outcomes) = (Arc::clone(fixture), Arc::clone(&outcomes));
        tokio::spawn(async move {
            let began = Instant::now();
            let outcome = send(&fixture, kind, request).await;
            if let Ok(mut outcomes) = outcomes.lock() {
                outcomes.record(kind, began.elapsed(), outcome);
            }
            drop(permit);
        });
    }
    // Let the requests in flight finish.
    let _ = slots.acquire_many(MAX_IN_FLIGHT as u32).await;
    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    (outcomes, memory, sent)
}

fn percentile(sorted: &[Duration], share: f64) -> f64 {
    let rank = (share * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1))
        .map_or(0.0, |latency| latency.as_secs_f64() * 1e3)
}

fn report(outcomes: &mut Outcomes, sent: u64, elapsed: Duration) {
    println!(
        "\nsent {sent} requests in {:.0} s ({:.0}/s)",
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  {:<40} {:>8} {:>7} {:>9} {:>9}",
        "request", "ok", "errors", "p50 ms", "p99 ms"
    );
    let mut all = Vec::new();
    for (kind, _) in MIX {
        let latencies = outcomes.latencies.entry(kind).or_default();
        latencies.sort_unstable();
        all.extend_from_slice(latencies);
        println!(
            "  {:<40} {:>8} {:>7} {:>9.2} {:>9.2}",
            kind.label(),
            latencies.len(),
            outcomes.errors.get(&kind).copied().unwrap_or_default(),
            percentile(latencies, 0.5),
            percentile(latencies, 0.99)
        );
    }
    all.sort_unstable();
    let errors: u64 = outcomes.errors.values().sum();
    println!(
        "  {:<40} {:>8} {errors:>7} {:>9.2} {:>9.2}",
        "all",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99)
    );
    match errors {
        0 => println!("errors: 0"),
        _ => println!("errors: {errors}, e.g.\n  {}", outcomes.examples.join("\n  ")),
    }
}

/// One part of a memory sample.
type MemoryPart = fn(&MemorySample) -> f64;

/// Flat when the samples after the first quarter of the run stay within 10 % of their lowest. The
/// verdict is on the resident whole; its parts are shown so that a swing can be told apart.
fn memory_verdict(memory: &[MemorySample], seconds: u64) {
    let settled: Vec<&MemorySample> = memory
        .iter()
        .filter(|sample| sample.second >= seconds / 4)
        .collect();
    if settled.is_empty() {
        println!("memory: no samples after warm-up (set SOAK_PID)");
        return;
    }
    let parts: [(&str, MemoryPart); 5] = [
        ("resident", |sample| sample.resident),
        ("anonymous", |sample| sample.anonymous),
        ("files", |sample| sample.file),
        ("heap in use", |sample| sample.allocated),
        ("thread caches", |sample| sample.thread_caches),
    ];
    for (name, part) in parts {
        let values = settled.iter().map(|sample| part(sample));
        let low = values.clone().fold(f64::INFINITY, f64::min);
        let high = values.clone().fold(f64::NEG_INFINITY, f64::max);
        let mean = values.sum::<f64>() / settled.len() as f64;
        if low <= 0.0 {
            // A server without the allocator's count (an older build).
            continue;
        }
        let spread = (high - low) / low;
        let verdict = match (name, spread <= FLAT_WITHIN) {
            ("resident", true) => " → flat (limit 10 %)",
            ("resident", false) => " → NOT flat (limit 10 %)",
            _ => "",
        };
        println!(
            "memory after warm-up, {name} ({} samples from {} s): {low:.1}–{high:.1} MB, mean {mean:.1}, spread {:.1} %{verdict}",
            settled.len(),
            seconds / 4,
            spread * 100.0
        );
    }
}

/// `--serve`: the service as `kosodate serve` runs it (its command line's own code, settings from
/// the `KOSODATE_*` environment), listening on `SOAK_LISTEN` with its data in `SOAK_DATA_DIR`.
/// `scripts/soak` runs it as a process of its own, so that its memory is the service's alone,
/// without a second release build of the whole server for the `kosodate` binary.
fn serve() -> anyhow::Result<()> {
    let listen = env_or("SOAK_LISTEN", "127.0.0.1:18080")
        .parse()
        .context("SOAK_LISTEN")?;
    let cli = Cli {
        config: None,
        data_dir: std::env::var_os("SOAK_DATA_DIR").map(std::path::PathBuf::from),
        command: Some(Command::Serve(ServeArgs { listen: Some(listen) })),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(kosodate_server::cli::run(cli))
}

fn main() -> anyhow::Result<()> {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("soak driver: nothing sent outside `cargo bench` (scripts/soak runs it)");
        return Ok(());
    }
    if std::env::args().any(|arg| arg == "--serve") {
        return serve();
    }
    let base = env_or("SOAK_URL", "http://127.0.0.1:18080");
    let token = env_or("SOAK_TOKEN", "soak-token-aomori-city");
    let database_url = std::env::var("SOAK_DATABASE_URL").context("SOAK_DATABASE_URL")?;
    let rate: u64 = env_or("SOAK_RATE", "1000").parse().context("SOAK_RATE")?;
    let seconds: u64 = env_or("SOAK_SECONDS", "600").parse().context("SOAK_SECONDS")?;
    let memory_seconds: u64 = env_or("SOAK_MEMORY_SECONDS", MEMORY_SECONDS)
        .parse()
        .context("SOAK_MEMORY_SECONDS")?;
    let pid = std::env::var("SOAK_PID").ok();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let client = Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(30))
            .build()?;
        let fixture = Arc::new(fixture(&client, base.clone(), token, &database_url).await?);
        println!(
            "soak: {rate} requests/s for {seconds} s against {base}; {} programs, {} events, {} queries",
            fixture.programs.len(),
            fixture.events.len(),
            fixture.queries.len()
        );
        let started = Instant::now();
        let (mut outcomes, memory, sent) = drive(
            &client,
            &fixture,
            rate,
            Duration::from_secs(seconds),
            Duration::from_secs(memory_seconds.max(1)),
            pid.as_deref(),
        )
        .await;
        report(&mut outcomes, sent, started.elapsed());
        memory_verdict(&memory, seconds);
        anyhow::Ok(())
    })
}
