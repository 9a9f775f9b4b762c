//! `kosodate match`: runs the matcher now (everything, one program's area, one household or the
//! tick), optionally over a freshly generated synthetic population, and prints what changed. A
//! full run joins the open one of the same day, so that several `kosodate match` (and
//! `kosodate worker`) processes share it.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::Args;
use kosodate_domain::Vocabulary;
use kosodate_domain::{ProgramId, japan};
use kosodate_households::{ConsentMethod, HouseholdId, Households};
use kosodate_matching::MatchReport;
use kosodate_matching::synthetic::Population;
use kosodate_registry::{ProgramFilter, Registry, Visibility};

use crate::settings::Settings;
use crate::startup;

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Reference date (YYYY-MM-DD). Default: today in Japan.
    #[arg(long)]
    pub today: Option<NaiveDate>,
    /// First replace the synthetic households with this many generated ones, consenting.
    #[arg(long, value_name = "HOUSEHOLDS")]
    pub synthetic: Option<u64>,
    /// Seed of the synthetic population.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Only the daily tick: pairs whose check date has come.
    #[arg(long, conflicts_with_all = ["program", "household"])]
    pub tick: bool,
    /// Only the households in this program's area, for this program.
    #[arg(long, conflicts_with = "household")]
    pub program: Option<String>,
    /// Only this household.
    #[arg(long)]
    pub household: Option<String>,
}

pub async fn run(settings: &Settings, args: MatchArgs) -> anyhow::Result<()> {
    let registry = startup::registry(settings).await?;
    if settings.should_load_examples() {
        registry.load_examples_if_empty().await?;
    }
    let today = args.today.unwrap_or_else(|| japan::date_of(Utc::now()));
    let mut out = std::io::stdout().lock();
    if let Some(count) = args.synthetic {
        replace_synthetic(&mut out, &registry, count, args.seed, today).await?;
    }
    let runner = crate::rematch::runner(&registry, settings);
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

async fn replace_synthetic(
    out: &mut impl Write,
    registry: &Registry,
    count: u64,
    seed: u64,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let households = Households::new(registry.connection().clone());
    let removed = households.delete_synthetic().await?;
    let generated: Vec<_> = Population::new(seed, today).households(count).collect();
    households
        .insert_many(&generated, true, Some((ConsentMethod::Online, 1)))
        .await?;
    writeln!(
        out,
        "合成世帯 {count} 件を作成しました（以前の {removed} 件を削除, seed {seed}, {:.1?}）",
        started.elapsed()
    )?;
    Ok(())
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
    if let Some((run, totals)) = &report.run {
        writeln!(
            out,
            "  全体の実行 #{}（基準日 {}）: 区画 {} / {} 件が完了（この処理 {} 件, 取り直し {} 件）, \
             結果を更新した世帯 {} / 変化のない世帯 {} / 新しい変化 {} 件",
            run.id,
            run.run_on,
            totals.done,
            totals.partitions,
            report.partitions,
            totals.reclaimed,
            totals.households,
            totals.unchanged,
            totals.events
        )?;
    }
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
