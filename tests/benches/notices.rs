//! Notice delivery benchmark, in two sections on PostgreSQL: the outbox alone (`queue`: enqueue,
//! then claim → render → a channel that does nothing → mark sent, by 1, 2 and 4 workers sharing
//! the database), and email to a real SMTP server on loopback (`email`: test-peers' aiosmtpd,
//! which writes every message to disk). Each layout runs twice: the stages one after the other
//! (enqueue /s, deliver /s), then at once, workers claiming while the planner enqueues
//! (pipelined /s: notices enqueued and sent per second of the whole run). Prints figures;
//! asserts nothing about time. A worker sends mail one message at a time, each recorded before
//! the next (at most one repeat after a crash), over one connection with `TCP_NODELAY` (the
//! `smtp connections` column is how many it may keep open, `pool_size`), so mail figures grow
//! with workers rather than with SMTP connections; the queue section's channel drops repeats, as
//! LINE does, and overlaps.
//!
//! `cargo bench -p kosodate-tests --bench notices` runs both; `-- queue` or `-- email` runs one.
//! Under `cargo test` (no `--bench` argument) it measures nothing.
//!
//! Sizes: `KOSODATE_BENCH_NOTICES` (50,000 for the queue), `KOSODATE_BENCH_EMAILS` (5,000).
//! `KOSODATE_BENCH_POSTGRES_URL` (postgres://postgres@127.0.0.1:5432/postgres) names the server on
//! which a fresh database is created for the run and dropped after it.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use kosodate_database::ScratchDatabase;
use kosodate_domain::Vocabulary;
use kosodate_notifier::channels::email::{EmailChannel, SmtpSettings};
use kosodate_notifier::outbox::{self, NoticeDraft};
use kosodate_notifier::{
    Channel, ChannelKind, Delivered, DeliveryError, Envelope, LinkSigner, NoticeStatus, Worker, WorkerConfig,
};
use kosodate_test_peers::smtp::SmtpServer;
use kosodate_tests::notice_fixtures::{Recipient, create_recipients};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use strum::VariantArray;

const SECTIONS: [&str; 2] = ["queue", "email"];
/// Drafts per enqueue transaction, as the planner writes a batch of events.
const ENQUEUE_CHUNK: usize = 1_000;

/// How the workers of one measurement are set up.
#[derive(Debug, Clone, Copy)]
struct Layout {
    workers: usize,
    batch_size: u64,
    concurrency: usize,
    /// SMTP connections a worker may keep open (email only); sending one message at a time, it
    /// uses one.
    smtp_pool: u32,
}

const QUEUE_LAYOUTS: [Layout; 4] = [
    Layout {
        workers: 1,
        batch_size: 200,
        concurrency: 32,
        smtp_pool: 0,
    },
    Layout {
        workers: 2,
        batch_size: 200,
        concurrency: 32,
        smtp_pool: 0,
    },
    Layout {
        workers: 4,
        batch_size: 200,
        concurrency: 32,
        smtp_pool: 0,
    },
    Layout {
        workers: 4,
        batch_size: 1_000,
        concurrency: 64,
        smtp_pool: 0,
    },
];

const EMAIL_LAYOUTS: [Layout; 4] = [
    Layout {
        workers: 1,
        batch_size: 200,
        concurrency: 32,
        smtp_pool: 4,
    },
    Layout {
        workers: 1,
        batch_size: 200,
        concurrency: 32,
        smtp_pool: 16,
    },
    Layout {
        workers: 2,
        batch_size: 200,
        concurrency: 32,
        smtp_pool: 8,
    },
    Layout {
        workers: 4,
        batch_size: 200,
        concurrency: 32,
        smtp_pool: 8,
    },
];

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

/// Accepts every notice at once: what is left to measure is the outbox and the rendering.
#[derive(Debug)]
struct NoChannel(ChannelKind);

#[async_trait::async_trait]
impl Channel for NoChannel {
    fn kind(&self) -> ChannelKind {
        self.0
    }

    /// Measures the outbox as an idempotent provider (LINE) uses it: deliveries overlap their
    /// records. The email section measures the other kind.
    fn drops_repeats(&self) -> bool {
        true
    }

    async fn deliver(&self, _envelope: &Envelope) -> Result<Delivered, DeliveryError> {
        Ok(Delivered {
            provider_id: None,
            repeat: false,
        })
    }
}

fn worker_config(layout: Layout) -> WorkerConfig {
    let unlimited = NonZeroU32::new(10_000_000).unwrap_or(NonZeroU32::MAX);
    WorkerConfig {
        batch_size: layout.batch_size,
        concurrency: layout.concurrency,
        rates: ChannelKind::VARIANTS
            .iter()
            .copied()
            .map(|kind| (kind, unlimited))
            .collect(),
        ..WorkerConfig::default()
    }
}

fn worker(
    db: &DatabaseConnection,
    channels: Vec<Arc<dyn Channel>>,
    layout: Layout,
) -> anyhow::Result<Worker> {
    let public_url = url::Url::parse("https://kosodate.example/")?;
    let signer = LinkSigner::new(public_url.clone(), b"benchmark link key".to_vec());
    Ok(Worker::new(
        db.clone(),
        channels,
        signer,
        public_url.join("my")?,
        worker_config(layout),
    ))
}

/// Plans one notice per draft, `ENQUEUE_CHUNK` to a transaction; how long it took.
async fn enqueue(db: &DatabaseConnection, drafts: &[NoticeDraft]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for chunk in drafts.chunks(ENQUEUE_CHUNK) {
        let txn = db.begin().await?;
        outbox::enqueue(&txn, chunk.to_vec(), Utc::now()).await?;
        txn.commit().await?;
    }
    Ok(started.elapsed())
}

/// Runs the workers side by side until the queue is empty and `more_to_come` is false; how long
/// it took.
async fn drain(workers: &[Worker], more_to_come: Arc<AtomicBool>) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let tasks: Vec<_> = workers
        .iter()
        .cloned()
        .map(|worker| {
            let more_to_come = more_to_come.clone();
            tokio::spawn(async move {
                loop {
                    // Read before claiming: an empty claim after the last enqueue means done.
                    let last_round = !more_to_come.load(Ordering::Acquire);
                    if worker.run_once().await? == 0 {
                        if last_round {
                            return anyhow::Ok(());
                        }
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed())
}

async fn sent_count(db: &DatabaseConnection) -> anyhow::Result<i64> {
    Ok(outbox::status_counts(db)
        .await?
        .iter()
        .filter(|count| count.status == NoticeStatus::Sent.id())
        .map(|count| count.count)
        .sum())
}

async fn empty_outbox(db: &DatabaseConnection) -> anyhow::Result<()> {
    db.execute_unprepared("TRUNCATE notice_attempts, notices").await?;
    db.execute_unprepared("VACUUM ANALYZE").await?;
    Ok(())
}

fn rate(items: usize, elapsed: Duration) -> f64 {
    items as f64 / elapsed.as_secs_f64()
}

fn print_header(first: &str) {
    println!(
        "  {first:<28} {:>12} {:>12} {:>12} {:>12}",
        "enqueue /s", "deliver /s", "deliver s", "pipelined /s"
    );
}

/// How long each stage took on its own, and both running at once.
#[derive(Debug, Clone, Copy)]
struct Timings {
    enqueue: Duration,
    deliver: Duration,
    pipelined: Duration,
}

fn print_row(label: &str, items: usize, timings: Timings) {
    println!(
        "  {label:<28} {:>12.0} {:>12.0} {:>12.2} {:>12.0}",
        rate(items, timings.enqueue),
        rate(items, timings.deliver),
        timings.deliver.as_secs_f64(),
        rate(items, timings.pipelined),
    );
}

async fn ensure_all_sent(db: &DatabaseConnection, expected: usize) -> anyhow::Result<()> {
    let sent = sent_count(db).await?;
    anyhow::ensure!(
        usize::try_from(sent)? == expected,
        "{sent} of {expected} notices were sent"
    );
    Ok(())
}

/// Enqueues `drafts` and then delivers them with `workers`; then both again at once, the workers
/// claiming while the planner still enqueues. Checks that every notice ended sent.
async fn measure(
    db: &DatabaseConnection,
    drafts: &[NoticeDraft],
    workers: &[Worker],
) -> anyhow::Result<Timings> {
    empty_outbox(db).await?;
    let enqueue_time = enqueue(db, drafts).await?;
    let deliver = drain(workers, Arc::new(AtomicBool::new(false))).await?;
    ensure_all_sent(db, drafts.len()).await?;

    empty_outbox(db).await?;
    let started = Instant::now();
    let more_to_come = Arc::new(AtomicBool::new(true));
    let (enqueued, delivered) = tokio::join!(
        async {
            let outcome = enqueue(db, drafts).await;
            more_to_come.store(false, Ordering::Release);
            outcome
        },
        drain(workers, more_to_come.clone())
    );
    enqueued?;
    delivered?;
    let pipelined = started.elapsed();
    ensure_all_sent(db, drafts.len()).await?;
    Ok(Timings {
        enqueue: enqueue_time,
        deliver,
        pipelined,
    })
}

async fn queue(db: &DatabaseConnection, recipients: &[Recipient]) -> anyhow::Result<()> {
    let drafts = recipients
        .iter()
        .map(Recipient::draft)
        .collect::<anyhow::Result<Vec<_>>>()?;
    println!(
        "\nqueue: {} notices (half LINE, half email) to a channel that accepts at once",
        drafts.len()
    );
    print_header("workers × batch / in flight");
    for layout in QUEUE_LAYOUTS {
        let channels = || -> Vec<Arc<dyn Channel>> {
            ChannelKind::VARIANTS
                .iter()
                .copied()
                .map(|kind| Arc::new(NoChannel(kind)) as Arc<dyn Channel>)
                .collect()
        };
        let workers = (0..layout.workers)
            .map(|_| worker(db, channels(), layout))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let timings = measure(db, &drafts, &workers).await?;
        let label = format!(
            "{} × {} / {}",
            layout.workers, layout.batch_size, layout.concurrency
        );
        print_row(&label, drafts.len(), timings);
    }
    Ok(())
}

fn ensure_smtp_server() -> anyhow::Result<()> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/ensure-smtp-server.sh");
    let status = std::process::Command::new(&script)
        .status()
        .with_context(|| format!("cannot run {}", script.display()))?;
    anyhow::ensure!(status.success(), "{} failed: {status}", script.display());
    Ok(())
}

async fn email(db: &DatabaseConnection, recipients: &[Recipient], count: usize) -> anyhow::Result<()> {
    ensure_smtp_server()?;
    let drafts = recipients
        .iter()
        .filter(|recipient| recipient.kind == ChannelKind::Email)
        .take(count)
        .map(Recipient::draft)
        .collect::<anyhow::Result<Vec<_>>>()?;
    println!(
        "\nemail: {} notices to aiosmtpd on loopback (one JSON file per message)",
        drafts.len()
    );
    print_header("workers × smtp connections");
    for layout in EMAIL_LAYOUTS {
        // A new server per layout, so that each starts with an empty mail directory.
        let smtp = SmtpServer::start().await?;
        let mut settings = SmtpSettings::new(smtp.url());
        settings.pool_size = layout.smtp_pool;
        let from: lettre::message::Mailbox = "kosodate <noreply@kosodate.example>".parse()?;
        let workers = (0..layout.workers)
            .map(|_| {
                let channel: Arc<dyn Channel> = Arc::new(EmailChannel::smtp(&settings, from.clone())?);
                worker(db, vec![channel], layout)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let timings = measure(db, &drafts, &workers).await?;
        // Both runs of `measure` sent every notice once.
        let expected = 2 * drafts.len();
        let received = smtp.wait_for_count(expected, Duration::from_secs(10)).await?;
        anyhow::ensure!(
            received.len() == expected,
            "the server received {} of {expected} messages",
            received.len()
        );
        let label = format!("{} × {}", layout.workers, layout.smtp_pool);
        print_row(&label, drafts.len(), timings);
    }
    Ok(())
}

fn wanted_sections() -> anyhow::Result<Vec<&'static str>> {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    if let Some(unknown) = wanted.iter().find(|w| !SECTIONS.contains(&w.as_str())) {
        anyhow::bail!(
            "unknown section {unknown:?}; sections are {}",
            SECTIONS.join(", ")
        );
    }
    Ok(SECTIONS
        .into_iter()
        .filter(|section| wanted.is_empty() || wanted.iter().any(|w| w == section))
        .collect())
}

async fn run(sections: &[&str]) -> anyhow::Result<()> {
    let notices = env_count("KOSODATE_BENCH_NOTICES", 50_000);
    let emails = env_count("KOSODATE_BENCH_EMAILS", 5_000);
    let admin_url = std::env::var("KOSODATE_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let scratch = ScratchDatabase::create(&admin_url, "kosodate_bench_notices").await?;
    let db = kosodate_database::connect(&scratch.url, 20).await?;
    kosodate_server::startup::migrate(&db).await?;
    let recipients = create_recipients(&db, notices / 2, notices - notices / 2).await?;
    let mut outcome = Ok(());
    for section in sections {
        outcome = match *section {
            "queue" => queue(&db, &recipients).await,
            _ => email(&db, &recipients, emails).await,
        };
        if outcome.is_err() {
            break;
        }
    }
    db.close().await?;
    scratch.drop_now().await?;
    outcome
}

fn main() -> anyhow::Result<()> {
    // `cargo test --all-targets` runs bench targets too, without `--bench` and unoptimised.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!(
            "notice benchmark: nothing measured outside `cargo bench` (pass --bench to run it directly)"
        );
        return Ok(());
    }
    let sections = wanted_sections()?;
    println!(
        "notice benchmark: PostgreSQL outbox, {} cores",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(&sections))
}
