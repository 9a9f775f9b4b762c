//! Running the matcher from the binary: the `kosodate match` command, the re-match after a
//! program changes, and the periodic tick of the server. The clock is read here, in Japan's
//! time zone, and handed to the pure matcher as the reference date.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use kosodate_domain::ProgramId;
use kosodate_households::synthetic::Population;
use kosodate_households::{ConsentMethod, HouseholdId, Households, MatchPolicy, MatchReport, MatchRunner};
use kosodate_registry::{ProgramFilter, Registry, Visibility};

use crate::app;
use crate::cli::MatchArgs;
use crate::settings::Settings;

/// Today's date in Japan, where every deadline is.
pub fn today_in_japan() -> NaiveDate {
    // Japan has no daylight saving time: UTC+9 all year.
    (Utc::now() + chrono::TimeDelta::hours(9)).date_naive()
}

pub fn runner(registry: &Registry) -> MatchRunner {
    let households = Households::new(registry.connection().clone());
    MatchRunner::new(households, registry.clone(), MatchPolicy::default())
}

pub async fn run_command(settings: &Settings, args: MatchArgs) -> anyhow::Result<()> {
    let db = app::open_database(settings).await?;
    app::migrate(&db).await?;
    let registry = Registry::new(db);
    if settings.should_load_examples() {
        registry.load_examples_if_empty().await?;
    }
    let today = args.today.unwrap_or_else(today_in_japan);
    let households = Households::new(registry.connection().clone());
    let mut out = std::io::stdout().lock();
    if let Some(count) = args.synthetic {
        let started = Instant::now();
        let removed = households.delete_synthetic().await?;
        let population = Population::new(args.seed, today);
        let generated: Vec<_> = population.households(count).collect();
        households
            .insert_many(&generated, true, Some((ConsentMethod::Online, 1)))
            .await?;
        writeln!(
            out,
            "合成世帯 {count} 件を作成しました（以前の {removed} 件を削除, seed {}, {:.1?}）",
            args.seed,
            started.elapsed()
        )?;
    }
    let runner = runner(&registry);
    let started = Instant::now();
    let report = if args.tick {
        runner.run_tick(today).await?
    } else if let Some(program) = &args.program {
        let id = ProgramId::parse(program).context("--program must be a program id (UUID)")?;
        runner.run_program(id, today).await?
    } else if let Some(household) = &args.household {
        let id = HouseholdId::parse(household).context("--household must be a household id (UUID)")?;
        runner.run_household(id, today).await?
    } else {
        runner.run_full(today).await?
    };
    print_report(&mut out, &registry, &report, today, started.elapsed()).await
}

async fn print_report(
    out: &mut impl Write,
    registry: &Registry,
    report: &MatchReport,
    today: NaiveDate,
    elapsed: Duration,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "基準日 {today}: 世帯 {} 件 × 制度 {} 件を判定しました（{:.2?}）",
        report.households, report.programs, elapsed
    )?;
    writeln!(
        out,
        "  判定した組み合わせ {} / 結果を更新した世帯 {} / 変化のない世帯 {}",
        report.pairs_evaluated, report.states_written, report.unchanged
    )?;
    let names: HashMap<ProgramId, String> = registry
        .all_programs(&ProgramFilter::default(), Visibility::Staff)
        .await?
        .into_iter()
        .map(|program| (program.id, program.content.name))
        .collect();
    print_most_eligible(out, report, &names)?;
    if report.events.values().all(|count| *count == 0) {
        writeln!(out, "  新しい変化はありません")?;
        return Ok(());
    }
    for (kind, count) in &report.events {
        writeln!(out, "  {}（{}）: {count} 件", kind.label_ja(), kind.id())?;
    }
    writeln!(out, "  例:")?;
    for (household, event) in &report.sample {
        let name = event
            .program_id
            .and_then(|program| names.get(&program))
            .map_or("（世帯全体）", String::as_str);
        let deadline = event
            .closes_on
            .map(|date| format!("（期限 {date}）"))
            .unwrap_or_default();
        writeln!(
            out,
            "    世帯 {household}: {name} — {} {}{deadline}",
            event.kind.label_ja(),
            event.anchor_on
        )?;
    }
    Ok(())
}

/// The programs most households were found eligible for in this run: counts only.
fn print_most_eligible(
    out: &mut impl Write,
    report: &MatchReport,
    names: &HashMap<ProgramId, String>,
) -> anyhow::Result<()> {
    let mut counts: Vec<(&ProgramId, &u64)> = report.eligible.iter().collect();
    if counts.is_empty() {
        return Ok(());
    }
    counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    writeln!(out, "  対象と判定された世帯の多い制度:")?;
    for (program, count) in counts.into_iter().take(5) {
        let name = names.get(program).map_or("?", String::as_str);
        writeln!(out, "    {name}: {count} 世帯")?;
    }
    Ok(())
}

/// Re-matches a program's area in the background after it was published, changed or archived;
/// the staff member's request does not wait for it.
pub fn rematch_program_later(runner: MatchRunner, program_id: ProgramId) {
    tokio::spawn(async move {
        match runner.run_program(program_id, today_in_japan()).await {
            Ok(report) => tracing::info!(
                %program_id,
                households = report.households,
                written = report.states_written,
                unchanged = report.unchanged,
                "program re-matched"
            ),
            Err(error) => tracing::error!(%program_id, error = %error, "re-matching a program failed"),
        }
    });
}

/// Re-matches one household in the background, after its parent changed it or consented.
pub fn rematch_household_later(runner: MatchRunner, household: HouseholdId) {
    tokio::spawn(async move {
        match runner.run_household(household, today_in_japan()).await {
            Ok(report) => tracing::info!(%household, written = report.states_written, "household re-matched"),
            Err(error) => tracing::error!(%household, error = %error, "re-matching a household failed"),
        }
    });
}

/// Re-matches everything in the background, after an import changed many programs at once.
pub fn rematch_all_later(runner: MatchRunner) {
    tokio::spawn(async move {
        match runner.run_full(today_in_japan()).await {
            Ok(report) => tracing::info!(
                households = report.households,
                written = report.states_written,
                "re-matched after import"
            ),
            Err(error) => tracing::error!(error = %error, "re-matching after import failed"),
        }
    });
}

/// The tick: every `interval`, the pairs whose check date has come. Idempotent, so several
/// server processes may run it; the unique event keys keep every change recorded once.
pub fn spawn_tick(runner: MatchRunner, interval: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            match runner.run_tick(today_in_japan()).await {
                Ok(report) if report.households > 0 => {
                    tracing::info!(
                        households = report.households,
                        written = report.states_written,
                        "matching tick"
                    )
                }
                Ok(_) => {}
                Err(error) => tracing::error!(error = %error, "matching tick failed"),
            }
        }
    });
}
