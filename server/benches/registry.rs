//! Registry benchmark: import 10,000 programs from CSV, then list and filter them, on SQLite and
//! (when reachable) PostgreSQL. Prints figures; asserts nothing about time.
//!
//! `cargo bench -p kosodate-server --bench registry` (add `-- 50000` for another size).

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::time::{Duration, Instant};

use kosodate_database::ScratchDatabase;
use kosodate_registry::page::PageRequest;
use kosodate_registry::transfer::{ExportFormat, ImportFormat};
use kosodate_registry::{Category, ProgramFilter, Registry, StaffIdentity, Visibility};
use kosodate_server::settings::Settings;

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
            "{owner},子育て支援制度 {index:05},\"{category}\",制度{index}の概要です。対象の家庭に支援を行います。,市内在住の子育て家庭,{},随時,○,\"申請書\n本人確認書類\",017-734-{:04},公開\n",
            (index % 50) * 1000,
            index % 10_000
        ));
    }
    csv
}

fn report(label: &str, elapsed: Duration, items: usize) {
    let per_second = items as f64 / elapsed.as_secs_f64();
    println!(
        "  {label:<44} {:>9.1} ms  {:>10.0} /s",
        elapsed.as_secs_f64() * 1000.0,
        per_second
    );
}

async fn bench(name: &str, settings: &Settings, csv: &[u8], count: usize) -> anyhow::Result<()> {
    println!("{name}: {count} programs");
    let db = kosodate_server::startup::open_database(settings).await?;
    kosodate_server::startup::migrate(&db).await?;
    let registry = Registry::new(db);
    let actor = StaffIdentity::administrator("bench");

    let started = Instant::now();
    let records = kosodate_registry::transfer::parse_file(ImportFormat::Csv, csv)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    report("parse CSV", started.elapsed(), records.len());

    let started = Instant::now();
    let report_ = registry
        .import_file(&actor, ImportFormat::Csv, csv, false, |_| {})
        .await?;
    report(
        "import (validate, write, history, publish)",
        started.elapsed(),
        report_.created,
    );

    let started = Instant::now();
    let again = registry
        .import_file(&actor, ImportFormat::Csv, csv, true, |_| {})
        .await?;
    report(
        "re-import dry run (all unchanged)",
        started.elapsed(),
        again.unchanged,
    );

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
            "  {:<44} {:>9.3} ms per page of 50",
            label,
            mean.as_secs_f64() * 1000.0
        );
    }
    let started = Instant::now();
    let mut cursor = None;
    let mut walked = 0;
    loop {
        let page = registry
            .list_programs(
                &ProgramFilter::default(),
                Visibility::Public,
                &PageRequest {
                    limit: Some(500),
                    cursor,
                },
            )
            .await?;
        walked += page.items.len();
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    report("walk all pages of 500", started.elapsed(), walked);
    let started = Instant::now();
    let bytes = registry
        .export(ExportFormat::Csv, &ProgramFilter::default(), Visibility::Staff)
        .await?;
    report(
        &format!("export CSV ({} KiB)", bytes.len() / 1024),
        started.elapsed(),
        count,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(10_000);
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
