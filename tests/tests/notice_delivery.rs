//! Notice delivery through crashes, outages and scale-out, with real processes: `kosodate worker`
//! processes sharing one PostgreSQL outbox are SIGKILLed at random moments, and the SMTP relay
//! goes away for a while. Every notice must arrive. LINE must deliver each exactly once (its retry
//! key drops repeats); email, whose relay has no idempotency key, may repeat only what a killed
//! worker had delivered but not yet recorded: a worker sends mail one message at a time, each
//! recorded before the next, so a kill repeats at most one mail (asserted over the run:
//! duplicates ≤ kills). A partner app (the test partner, which verifies each Standard Webhooks
//! signature and drops a `webhook-id` it took before) is in the mix, answering 503 now and then:
//! it takes each of its notices once; what a kill resends reaches it with the same id and is
//! counted as a dropped repeat (bound: the deliveries a worker has in flight, per kill). Three workers together keep to a channel's configured rate. PostgreSQL only: several
//! worker processes on one database is the production setup, and SQLite runs one worker.
//!
//! The workers are the `kosodate` binary next to this test executable: `cargo build -p
//! kosodate-server` (which `scripts/test` runs) must have built it.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
#![allow(clippy::print_stderr)] // the crash test reports its figures

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;
use kosodate_notifier::outbox::{self, AttemptView};
use kosodate_notifier::{ChannelKind, NoticeStatus};
use kosodate_partners::{PartnerInput, Partners};
use kosodate_test_peers::line::LineContractServer;
use kosodate_test_peers::partner::{Answer, PartnerServer};
use kosodate_test_peers::smtp::SmtpServer;
use kosodate_tests::notice_fixtures::{
    Notices, Progress, assert_line_delivered_each_once, assert_mail_arrived, create_partner_recipients,
    create_recipients, enqueue_notices, mail_by_notice, reclaimed_notices,
};
use kosodate_tests::processes::{KosodateProcess, fresh_database, kosodate_command, log_tail};
use rand::Rng;
use rand::seq::SliceRandom;
use uuid::Uuid;

const LINE_TOKEN: &str = "test-line-channel-access-token";

const CRASH_LINE_NOTICES: usize = 5_000;
const CRASH_EMAIL_NOTICES: usize = 3_000;
const CRASH_WORKERS: usize = 2;
const CRASH_PARTNER_NOTICES: usize = 1_000;
/// Notices a worker claims at once. Their outcomes are recorded as each finishes; mail goes one
/// message at a time, so a kill leaves at most one mail delivered but unrecorded.
const CRASH_BATCH_SIZE: usize = 20;
/// Mail per second, all worker processes together. Low enough that the mail alone keeps the run
/// going for longer than the planned kills take (at most 10 × 2 s).
const CRASH_EMAIL_PER_SECOND: u32 = 80;
const CRASH_TIMEOUT: Duration = Duration::from_secs(240);

const RATE_LINE_NOTICES: usize = 600;
const RATE_WORKERS: usize = 3;
/// LINE pushes per second, all workers together: low enough for the run to last several seconds.
const RATE_LINE_PER_SECOND: usize = 50;
/// What one second may hold beyond the rate. The send slots have no burst; a push reaches the
/// server a little after its slot (the worker waking, loopback, the server's own scheduling on a
/// busy machine), and when one batch's pushes are later than the next batch's, some of the
/// second before slip into this one: a fifth of a second's worth (seen: up to a tenth on two
/// busy cores). Without a shared limit three workers put three times the rate in a second.
const RATE_SLACK: usize = RATE_LINE_PER_SECOND / 5;
const RATE_TIMEOUT: Duration = Duration::from_secs(120);

const OUTAGE_NOTICES: usize = 200;
const OUTAGE: Duration = Duration::from_secs(5);
const OUTAGE_RETRY_BASE: Duration = Duration::from_secs(1);
const OUTAGE_RETRY_CAP: Duration = Duration::from_secs(4);
const OUTAGE_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_test_loses_nothing_and_repeats_only_at_smtp() {
    let db = fresh_database().await;
    let mut recipients = create_recipients(&db.connection, CRASH_LINE_NOTICES, CRASH_EMAIL_NOTICES)
        .await
        .unwrap();
    // Mail and LINE mixed in every batch, so that mail is in flight whenever a kill lands (in
    // the order created, the first seconds and most kills would see LINE only).
    // A partner app in the mix, answering a 503 now and then, which the workers retry.
    let partner = PartnerServer::start().await.unwrap();
    let partner_id = register_partner(&db.connection, &partner).await;
    partner.plan((0..CRASH_PARTNER_NOTICES).map(|n| match n % 50 {
        0 => Answer::Status(503),
        _ => Answer::Status(204),
    }));
    recipients.extend(
        create_partner_recipients(&db.connection, partner_id, CRASH_PARTNER_NOTICES)
            .await
            .unwrap(),
    );
    recipients.shuffle(&mut rand::rng());
    let notices = enqueue_notices(&db.connection, &recipients).await;
    let smtp = SmtpServer::start().await.unwrap();
    let line = LineContractServer::start(LINE_TOKEN).await.unwrap();
    // Each push takes a moment, as over a network, so that kills land while pushes are in flight.
    line.set_latency(Duration::from_millis(1));
    let batch_size = CRASH_BATCH_SIZE.to_string();
    let email_rate = CRASH_EMAIL_PER_SECOND.to_string();
    let mut setup = WorkerSetup::new(
        &db.url,
        &smtp.url(),
        Some(&line.base_url()),
        &[
            ("LEASE_SECONDS", "3"),
            ("BATCH_SIZE", &batch_size),
            ("CONCURRENCY", &batch_size),
            ("EMAIL_PER_SECOND", &email_rate),
        ],
    );
    let started = Instant::now();
    let mut workers: Vec<KosodateProcess> = (0..CRASH_WORKERS).map(|_| setup.spawn()).collect();
    let planned_kills = rand::rng().random_range(6..=10);
    let mut kills = 0;
    loop {
        let pause = match kills < planned_kills {
            true => Duration::from_millis(rand::rng().random_range(500..=2_000)),
            false => Duration::from_millis(200),
        };
        tokio::time::sleep(pause).await;
        let progress = Progress::read(&db.connection).await;
        if progress.sent() == notices.len() {
            break;
        }
        assert_healthy(&progress, &setup, &mut workers, started, CRASH_TIMEOUT);
        if kills < planned_kills {
            let victim = rand::rng().random_range(0..workers.len());
            workers[victim].kill();
            workers[victim] = setup.spawn();
            kills += 1;
        }
    }
    let elapsed = started.elapsed();
    drop(workers);
    assert_eq!(
        kills, planned_kills,
        "the run ended before the planned kills: it must last longer to test crashes"
    );

    let line_repeats = assert_line_delivered_each_once(&line, &notices);
    let partner_repeats = assert_partner_took_each_once(&partner, &notices);
    let smtp_duplicates = assert_mail_arrived(&smtp, &notices, kills).await;
    let reclaimed = reclaimed_notices(&db.connection).await;
    assert!(
        smtp_duplicates.is_subset(&reclaimed),
        "mail was repeated for notices that were claimed once"
    );
    eprintln!(
        "crash test: {} notices ({CRASH_LINE_NOTICES} LINE, {CRASH_EMAIL_NOTICES} email) with \
         {CRASH_WORKERS} workers in {elapsed:.1?}; {kills} kills; {} notices claimed again after a \
         kill; LINE dropped {line_repeats} repeats; SMTP received {} duplicates (bound: {kills}, one \
         per kill); the partner app took {CRASH_PARTNER_NOTICES} notices in {} requests and dropped \
         {partner_repeats} repeated webhook-ids (bound: a batch's in-flight deliveries, \
         {CRASH_BATCH_SIZE}, per kill)",
        notices.len(),
        reclaimed.len(),
        smtp_duplicates.len(),
        partner.requests_seen(),
    );
    assert!(
        partner_repeats <= kills * CRASH_BATCH_SIZE,
        "{partner_repeats} repeats for {kills} kills"
    );
}

async fn register_partner(db: &sea_orm::DatabaseConnection, partner: &PartnerServer) -> Uuid {
    let input = PartnerInput {
        name: "母子手帳アプリ 負荷試験".into(),
        contact_email: "dev@example.jp".into(),
        scopes: "notices:deliver".into(),
        redirect_uris: vec!["http://127.0.0.1:9/callback".into()],
        notice_webhook_url: Some(partner.hook_url()),
        rate_limit_per_minute: 60_000,
    };
    let registered = Partners::new(db.clone())
        .register(&input, Utc::now())
        .await
        .unwrap();
    partner.set_secret(registered.partner.signing.current.expose());
    registered.partner.id
}

/// The partner app took every partner notice exactly once, each signed and with its notice's id
/// as `webhook-id`, at its recipient's subject; returns the repeats it dropped (an attempt whose
/// answer a kill lost is sent again with the same id).
fn assert_partner_took_each_once(partner: &PartnerServer, notices: &Notices) -> usize {
    assert_eq!(
        partner.rejections(),
        Vec::<String>::new(),
        "every delivery verified"
    );
    let taken = partner.received();
    let ids: HashSet<Uuid> = taken.iter().map(|webhook| webhook.id.parse().unwrap()).collect();
    assert_eq!(taken.len(), ids.len(), "no id taken twice");
    assert_eq!(
        ids,
        notices.ids(ChannelKind::PartnerApp),
        "each partner notice taken"
    );
    for webhook in &taken {
        let recipient = &notices.0[&webhook.id.parse::<Uuid>().unwrap()];
        assert_eq!(webhook.body["data"]["subject"], recipient.address.as_str());
    }
    partner.replays_dropped()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_test_everything_arrives_after_the_smtp_server_returns() {
    let db = fresh_database().await;
    let recipients = create_recipients(&db.connection, 0, OUTAGE_NOTICES)
        .await
        .unwrap();
    let notices = enqueue_notices(&db.connection, &recipients).await;
    let mut smtp = SmtpServer::start().await.unwrap();
    smtp.stop().await.unwrap();
    let mut setup = WorkerSetup::new(
        &db.url,
        &smtp.url(),
        None,
        &[
            ("RETRY_BASE_SECONDS", &OUTAGE_RETRY_BASE.as_secs().to_string()),
            ("RETRY_CAP_SECONDS", &OUTAGE_RETRY_CAP.as_secs().to_string()),
            ("MAX_ATTEMPTS", "20"),
            ("EMAIL_PER_SECOND", "1000"),
        ],
    );
    let started = Instant::now();
    let mut workers = vec![setup.spawn()];
    tokio::time::sleep(OUTAGE).await;
    let during = Progress::read(&db.connection).await;
    assert_healthy(&during, &setup, &mut workers, started, OUTAGE_TIMEOUT);
    assert_eq!(during.sent(), 0, "nothing can be sent while the relay is down");
    assert!(during.count(NoticeStatus::Retrying) > 0, "{during:?}");

    smtp.restart().await.unwrap();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let progress = Progress::read(&db.connection).await;
        if progress.sent() == notices.len() {
            break;
        }
        assert_healthy(&progress, &setup, &mut workers, started, OUTAGE_TIMEOUT);
    }
    drop(workers);

    let messages = smtp
        .wait_for_count(notices.len(), Duration::from_secs(30))
        .await
        .unwrap();
    let arrived = mail_by_notice(&messages);
    assert_eq!(messages.len(), notices.len(), "every notice arrives once");
    assert_eq!(
        arrived.keys().copied().collect::<HashSet<_>>(),
        notices.ids(ChannelKind::Email)
    );
    let mut most_attempts = 0;
    for notice in notices.ids(ChannelKind::Email) {
        let attempts = outbox::attempts(&db.connection, notice).await.unwrap();
        assert_backed_off(notice, &attempts);
        most_attempts = most_attempts.max(attempts.len());
    }
    eprintln!(
        "outage test: {} notices sent {:.1?} after the start, {OUTAGE:?} of it without a relay; at \
         most {most_attempts} attempts per notice",
        notices.len(),
        started.elapsed(),
    );
}

/// Three worker processes share LINE's per-channel rate: the busiest second the LINE server saw
/// holds no more than the configured rate (and the slack above), not three times it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_together_keep_to_a_channels_rate() {
    let db = fresh_database().await;
    let recipients = create_recipients(&db.connection, RATE_LINE_NOTICES, 0)
        .await
        .unwrap();
    let notices = enqueue_notices(&db.connection, &recipients).await;
    let smtp = SmtpServer::start().await.unwrap();
    let line = LineContractServer::start(LINE_TOKEN).await.unwrap();
    let rate = RATE_LINE_PER_SECOND.to_string();
    let mut setup = WorkerSetup::new(
        &db.url,
        &smtp.url(),
        Some(&line.base_url()),
        &[
            ("LINE_PER_SECOND", &rate),
            ("BATCH_SIZE", "20"),
            ("CONCURRENCY", "20"),
        ],
    );
    let started = Instant::now();
    let mut workers: Vec<KosodateProcess> = (0..RATE_WORKERS).map(|_| setup.spawn()).collect();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let progress = Progress::read(&db.connection).await;
        if progress.sent() == notices.len() {
            break;
        }
        assert_healthy(&progress, &setup, &mut workers, started, RATE_TIMEOUT);
    }
    let elapsed = started.elapsed();
    drop(workers);

    assert_line_delivered_each_once(&line, &notices);
    assert_eq!(line.requests_seen(), RATE_LINE_NOTICES, "one request per notice");
    let arrivals: Vec<SystemTime> = line.delivered().iter().map(|push| push.received_at).collect();
    let busiest = busiest_second(arrivals);
    eprintln!(
        "rate test: {RATE_LINE_NOTICES} LINE pushes by {RATE_WORKERS} workers in {elapsed:.1?} at \
         {RATE_LINE_PER_SECOND}/s configured; the busiest second held {busiest} (bound: {})",
        RATE_LINE_PER_SECOND + RATE_SLACK
    );
    assert!(
        busiest <= RATE_LINE_PER_SECOND + RATE_SLACK,
        "{busiest} pushes within one second from {RATE_WORKERS} workers at {RATE_LINE_PER_SECOND}/s"
    );
}

/// The most arrivals within any one second (a window starting at each arrival).
fn busiest_second(mut arrivals: Vec<SystemTime>) -> usize {
    arrivals.sort();
    let mut busiest = 0;
    let mut end = 0;
    for (start, first) in arrivals.iter().enumerate() {
        while end < arrivals.len()
            && arrivals[end].duration_since(*first).unwrap_or_default() < Duration::from_secs(1)
        {
            end += 1;
        }
        busiest = busiest.max(end - start);
    }
    busiest
}

/// Fails the test when a notice gave up, a worker exited by itself, or time ran out.
fn assert_healthy(
    progress: &Progress,
    setup: &WorkerSetup,
    workers: &mut [KosodateProcess],
    started: Instant,
    timeout: Duration,
) {
    let gave_up = progress.count(NoticeStatus::Dead);
    assert!(
        gave_up == 0,
        "{gave_up} notices went dead: {progress:?}\n{}",
        setup.logs()
    );
    for worker in workers {
        if let Some(status) = worker.exited() {
            panic!("a worker exited by itself ({status}):\n{}", setup.logs());
        }
    }
    assert!(
        started.elapsed() < timeout,
        "not everything was sent within {timeout:?}: {progress:?}\n{}",
        setup.logs()
    );
}

/// Failed attempts, each followed by the next no sooner than the retry policy's least wait for
/// it (half of base · 2^(attempt-1), capped), then one that was sent. Lower bounds only: the
/// policy guarantees them, while how much later a retry runs depends on the machine.
fn assert_backed_off(notice: Uuid, attempts: &[AttemptView]) {
    let summary: Vec<(i32, &str)> = attempts.iter().map(|a| (a.attempt, a.outcome.as_str())).collect();
    assert!(attempts.len() >= 2, "notice {notice} was retried: {summary:?}");
    assert_eq!(
        attempts.last().unwrap().outcome,
        "sent",
        "notice {notice}: {summary:?}"
    );
    for (number, attempt) in (1..).zip(attempts) {
        assert_eq!(attempt.attempt, number, "notice {notice}: {summary:?}");
    }
    // Timestamps go through the database at microsecond precision.
    let rounding = Duration::from_millis(1);
    for pair in attempts.windows(2) {
        let [failed, next] = pair else { unreachable!() };
        assert_eq!(failed.outcome, "retry", "notice {notice}: {summary:?}");
        let gap = (next.started_at - failed.started_at).to_std().unwrap();
        let least = least_backoff(u32::try_from(failed.attempt).unwrap());
        assert!(
            gap + rounding >= least,
            "notice {notice}: attempt {} came {gap:?} after attempt {}, sooner than {least:?}",
            next.attempt,
            failed.attempt
        );
    }
}

fn least_backoff(failed_attempt: u32) -> Duration {
    let full = OUTAGE_RETRY_BASE
        .saturating_mul(1 << failed_attempt.saturating_sub(1).min(30))
        .min(OUTAGE_RETRY_CAP);
    full / 2
}

/// How every `kosodate worker` of one test starts: the same database, peers and notice
/// settings; each in the same scratch directory, with its log appended to its own file there.
#[derive(Debug)]
struct WorkerSetup {
    directory: tempfile::TempDir,
    environment: Vec<(String, String)>,
    spawned: usize,
}

impl WorkerSetup {
    /// `notices`: `KOSODATE_NOTICES__*` settings, without the prefix.
    fn new(
        database_url: &str,
        smtp_url: &str,
        line_api_base: Option<&str>,
        notices: &[(&str, &str)],
    ) -> Self {
        let directory = tempfile::tempdir().unwrap();
        let mut environment: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), database_url.into()),
            ("KOSODATE_DATA_DIR".into(), directory.path().display().to_string()),
            // The test migrated the database; workers starting together need not race to check.
            ("KOSODATE_MIGRATE_ON_START".into(), "false".into()),
            ("KOSODATE_LOAD_EXAMPLES".into(), "false".into()),
            ("KOSODATE_MATCH_TICK_MINUTES".into(), "0".into()),
            ("KOSODATE_NOTICES__SMTP_URL".into(), smtp_url.into()),
            ("KOSODATE_NOTICES__IDLE_POLL_MILLIS".into(), "100".into()),
        ];
        if let Some(base) = line_api_base {
            environment.push((
                "KOSODATE_NOTICES__LINE_CHANNEL_ACCESS_TOKEN".into(),
                LINE_TOKEN.into(),
            ));
            environment.push(("KOSODATE_NOTICES__LINE_API_BASE".into(), base.into()));
        }
        for (name, value) in notices {
            environment.push((format!("KOSODATE_NOTICES__{name}"), (*value).into()));
        }
        Self {
            directory,
            environment,
            spawned: 0,
        }
    }

    fn spawn(&mut self) -> KosodateProcess {
        self.spawned += 1;
        let log = self.directory.path().join(format!("worker-{}.log", self.spawned));
        let command = kosodate_command(&["worker"], &self.environment, self.directory.path(), &log);
        KosodateProcess::spawn(command)
    }

    /// The end of every worker's log, for a failure message.
    fn logs(&self) -> String {
        let mut logs = String::new();
        for number in 1..=self.spawned {
            let path = self.directory.path().join(format!("worker-{number}.log"));
            let tail = log_tail(&path, 20);
            logs.push_str(&format!("--- worker {number} ---\n{tail}\n"));
        }
        logs
    }
}
