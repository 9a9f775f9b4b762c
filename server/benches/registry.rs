//! Registry benchmark, on SQLite and (when reachable) PostgreSQL: a dry run of a large CSV on an
//! empty registry, the real import (and how long its write phase holds the writer lane), a
//! re-import dry run, list and filter queries, and an export in every format. Prints figures;
//! asserts nothing about time.
//!
//! `cargo bench -p kosodate-server --bench registry` (100,000 programs; add `-- 20000` for
//! another size).
//!
//! Memory is measured in a child process per dry run and per export (this benchmark run again
//! with `--child`), so that what one step allocated and the allocator kept does not hide what
//! the next one needs: the child opens the database, notes its resident set (`VmRSS`), resets
//! its peak (`/proc/self/clear_refs`), runs the step, and reports the peak (`VmHWM`) above that
//! idle figure. An export is read chunk by chunk as an HTTP body would send it.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use kosodate_database::ScratchDatabase;
use kosodate_registry::page::PageRequest;
use kosodate_registry::transfer::{ExportFormat, ImportFormat};
use kosodate_registry::{Category, ProgramFilter, Registry, StaffIdentity, Visibility};
use kosodate_server::settings::Settings;
use secrecy::ExposeSecret;

const OWNERS: &[&str] = &[
    "national", "020001", "022012", "022021", "022039", "022047", "022055", "022063", "022080", "024236",
];
const CATEGORIES: &[&str] = &[
    "医療",
    "手当・給付",
    "保育・教育",
    "相談",
    "乳幼児\n健診・予防接種",
    "妊娠・出産",
];

/// A deterministic CSV of `count` programs spread over owners and categories.
fn synthetic_csv(count: usize) -> String {
    let mut csv = String::from(
        "実施主体コード,制度名,分類,概要,対象者,給付額(円),申請期間,申請方法_窓口,必要書類,電話番号,状態\n",
    );
    for index in 0..count {
        let owner = OWNERS[index % OWNERS.len()];
        let category = CATEGORIES[index % CATEGORIES.len()];
        csv.push_str(&format!(
            "{owner},子育て支援制度 {index:06},\"{category}\",制度{index}の概要です。対象の家庭に支援を行います。,市内在住の子育て家庭,{},随時,○,\"申請書\n本人確認書類\",017-734-{:04},公開\n",
            (index % 50) * 1000,
            index % 10_000
        ));
    }
    csv
}

fn report(label: &str, elapsed: Duration, items: usize) {
    let per_second = items as f64 / elapsed.as_secs_f64();
    println!(
        "  {label:<48} {:>9.1} ms  {:>10.0} /s",
        elapsed.as_secs_f64() * 1000.0,
        per_second
    );
}

/// A figure of this process's `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// What a child measured: how long the step took, its output and its peak above idle.
#[derive(Debug)]
struct Measured {
    elapsed: Duration,
    bytes: u64,
    peak_above_idle_mib: f64,
}

/// Runs `step` in a child process against the database of `settings`.
fn measure_in_child(settings: &Settings, step: &str, count: usize) -> anyhow::Result<Measured> {
    let database_url = settings
        .database_url
        .as_ref()
        .map(|url| url.expose_secret().to_owned())
        .unwrap_or_default();
    let output = std::process::Command::new(std::env::current_exe()?)
        .args(["--child", step, &count.to_string()])
        .arg(&settings.data_dir)
        .arg(database_url)
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(line) = stdout.lines().find_map(|line| line.strip_prefix("MEASURED ")) else {
        anyhow::bail!(
            "the child measuring {step} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let figures: Vec<f64> = line.split(' ').filter_map(|f| f.parse().ok()).collect();
    let [elapsed_ms, bytes, peak_kib] = figures[..] else {
        anyhow::bail!("unexpected child output {line:?}");
    };
    Ok(Measured {
        elapsed: Duration::from_secs_f64(elapsed_ms / 1000.0),
        bytes: bytes as u64,
        peak_above_idle_mib: peak_kib / 1024.0,
    })
}

/// The child's side: one step, then one line of figures.
async fn child(args: &[String]) -> anyhow::Result<()> {
    let [step, count, data_dir, database_url] = args else {
        anyhow::bail!("usage: --child STEP COUNT DATA_DIR DATABASE_URL");
    };
    let count: usize = count.parse()?;
    let mut settings = Settings::load(None)?;
    settings.data_dir = data_dir.into();
    settings.database_url = (!database_url.is_empty()).then(|| database_url.clone().into());
    let registry = Registry::new(kosodate_server::startup::open_database(&settings).await?);
    let csv = match step.as_str() {
        "dry-run" => synthetic_csv(count).into_bytes(),
        _ => Vec::new(),
    };
    let idle = status_kib("VmRSS");
    std::fs::write("/proc/self/clear_refs", "5")?;
    let started = Instant::now();
    let bytes = match step.as_str() {
        "dry-run" => {
            let actor = StaffIdentity::administrator("bench");
            let report = registry
                .import_file(&actor, ImportFormat::Csv, &csv, true, |_| {})
                .await?;
            (report.created + report.updated + report.unchanged) as u64
        }
        format => {
            let format = match format {
                "export-csv" => ExportFormat::Csv,
                "export-json" => ExportFormat::Json,
                _ => ExportFormat::TokyoJson,
            };
            let chunks = registry
                .export(format, &ProgramFilter::default(), Visibility::Staff)
                .await?;
            futures::pin_mut!(chunks);
            let mut bytes = 0;
            while let Some(chunk) = chunks.try_next().await? {
                bytes += chunk.len() as u64;
                std::hint::black_box(chunk);
            }
            bytes
        }
    };
    let elapsed = started.elapsed();
    let peak = status_kib("VmHWM").saturating_sub(idle);
    println!("MEASURED {} {bytes} {peak}", elapsed.as_secs_f64() * 1000.0);
    Ok(())
}

/// The real import, with another writer trying to write every few milliseconds meanwhile: the
/// longest that writer waited for its turn is how long the import held the writer lane.
async fn import_with_lane_probe(
    registry: &Registry,
    csv: &[u8],
) -> anyhow::Result<(usize, Duration, Duration)> {
    let done = Arc::new(AtomicBool::new(false));
    let probe = tokio::spawn({
        let db = registry.connection().clone();
        let done = Arc::clone(&done);
        async move {
            let mut longest = Duration::ZERO;
            let mut waiting_since = Instant::now();
            while !done.load(Ordering::Relaxed) {
                match kosodate_database::begin_write(&db).await {
                    Ok(turn) => {
                        longest = longest.max(waiting_since.elapsed());
                        turn.rollback().await?;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        waiting_since = Instant::now();
                    }
                    Err(error) if kosodate_database::is_busy(&error) => {}
                    Err(error) => return Err(error),
                }
            }
            Ok(longest)
        }
    });
    let actor = StaffIdentity::administrator("bench");
    let started = Instant::now();
    let imported = registry
        .import_file(&actor, ImportFormat::Csv, csv, false, |_| {})
        .await;
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let longest_wait = probe.await??;
    Ok((imported?.created, elapsed, longest_wait))
}

async fn list_queries(registry: &Registry) -> anyhow::Result<()> {
    let queries: [(&str, ProgramFilter); 4] = [
        ("list, no filter", ProgramFilter::default()),
        (
            "list, owner",
            ProgramFilter {
                owner: Some(kosodate_registry::ProgramOwner::parse("022012")?),
                ..Default::default()
            },
        ),
        (
            "list, applies_to",
            ProgramFilter {
                applies_to: Some("022021".parse()?),
                ..Default::default()
            },
        ),
        (
            "list, applies_to + category",
            ProgramFilter {
                applies_to: Some("022021".parse()?),
                category: Some(Category::Medical),
                ..Default::default()
            },
        ),
    ];
    for (label, filter) in &queries {
        let rounds = 200;
        let started = Instant::now();
        for round in 0..rounds {
            let page = PageRequest {
                limit: Some(50),
                cursor: None,
            };
            let found = registry.list_programs(filter, Visibility::Public, &page).await?;
            std::hint::black_box((round, found));
        }
        let mean = started.elapsed() / rounds;
        println!(
            "  {:<48} {:>9.3} ms per page of 50",
            label,
            mean.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

fn report_measured(label: &str, measured: &Measured, count: usize) {
    println!(
        "  {label:<48} {:>9.1} ms  {:>10.0} /s  peak {:>7.1} MiB above idle{}",
        measured.elapsed.as_secs_f64() * 1000.0,
        count as f64 / measured.elapsed.as_secs_f64(),
        measured.peak_above_idle_mib,
        match measured.bytes {
            0 => String::new(),
            bytes if bytes > count as u64 => format!(" ({:.1} MiB written)", bytes as f64 / 1048576.0),
            _ => String::new(),
        }
    );
}

async fn bench(name: &str, settings: &Settings, csv: &[u8], count: usize) -> anyhow::Result<()> {
    println!("{name}: {count} programs");
    let db = kosodate_server::startup::open_database(settings).await?;
    kosodate_server::startup::migrate(&db).await?;
    let registry = Registry::new(db);

    let started = Instant::now();
    let parsed = kosodate_registry::transfer::parse_file(ImportFormat::Csv, csv)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    report("parse CSV", started.elapsed(), parsed.records.len());
    drop(parsed);

    let dry_run = measure_in_child(settings, "dry-run", count)?;
    report_measured("dry run, empty registry (child process)", &dry_run, count);

    let (created, elapsed, lane) = import_with_lane_probe(&registry, csv).await?;
    report("import (validate, write, history, publish)", elapsed, created);
    println!(
        "  {:<48} {:>9.1} ms  (the longest another writer waited{})",
        "  writer lane held by the write phase",
        lane.as_secs_f64() * 1000.0,
        match settings.database_url {
            Some(_) => "; PostgreSQL has no lane",
            None => "",
        }
    );

    let again = measure_in_child(settings, "dry-run", count)?;
    report_measured("re-import dry run, all unchanged (child)", &again, count);

    list_queries(&registry).await?;
    for (step, label) in [
        ("export-csv", "export CSV (child process)"),
        ("export-json", "export JSON (child process)"),
        ("export-tokyo", "export Tokyo JSON (child process)"),
    ] {
        let measured = measure_in_child(settings, step, count)?;
        report_measured(label, &measured, count);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(position) = args.iter().position(|arg| arg == "--child") {
        return child(&args[position + 1..]).await;
    }
    let count = args.iter().find_map(|arg| arg.parse().ok()).unwrap_or(100_000);
    let csv = synthetic_csv(count).into_bytes();
    let data_dir = tempfile::tempdir()?;
    let mut settings = Settings::load(None)?;
    settings.data_dir = data_dir.path().to_owned();
    settings.database_url = None;
    bench("SQLite", &settings, &csv, count).await?;

    let admin_url = std::env::var("KOSODATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("kosodate_bench_{}", std::process::id());
    let Ok(scratch) = ScratchDatabase::create(&admin_url, &name).await else {
        println!("PostgreSQL: not reachable at {admin_url}; skipped");
        return Ok(());
    };
    settings.database_url = Some(scratch.url.clone().into());
    let result = bench("PostgreSQL", &settings, &csv, count).await;
    scratch.drop_now().await?;
    result
}
