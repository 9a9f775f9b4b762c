//! Matching benchmark, in three sections: the rule engine alone on one core (`engine`), the whole
//! runner at Aomori scale on SQLite and PostgreSQL (`aomori`), and the engine at national scale
//! on every core (`national`). Prints figures; asserts nothing about time.
//!
//! `cargo bench -p kosodate-matching --bench matching` runs every section; name sections to run
//! only those: `-- engine`, `-- aomori national`, `-- engine,national`. Under `cargo test` (no
//! `--bench` argument) it measures nothing.
//!
//! Sizes: `KOSODATE_BENCH_ENGINE_HOUSEHOLDS` (20,000), `KOSODATE_BENCH_HOUSEHOLDS` (150,000),
//! `KOSODATE_BENCH_PROGRAMS` (2,500), `KOSODATE_BENCH_NATIONAL_HOUSEHOLDS` (10,000,000).
//! `KOSODATE_BENCH_POSTGRES_URL` (postgres://postgres@127.0.0.1:5432/postgres) names the server on
//! which a fresh database is created for the run and dropped after it; `KOSODATE_BENCH_BACKENDS`
//! (sqlite,postgres) chooses the databases of the Aomori section, and `KOSODATE_BENCH_ANALYZE=1`
//! gathers planner statistics after each bulk change (what autovacuum does on its own in time).

#![allow(clippy::print_stdout, clippy::unwrap_used)] // a benchmark prints its figures

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use kosodate_database::ScratchDatabase;
use kosodate_domain::Vocabulary;
use kosodate_households::{ConsentMethod, Households};
use kosodate_matcher::{Area, Household, PreparedHousehold, ProgramRule, Truth};
use kosodate_matching::synthetic::{self, Population, SyntheticProgram};
use kosodate_matching::{Catalogue, MatchPolicy, MatchReport, MatchRunner};
use kosodate_migrations::{Migrator, MigratorTrait};
use kosodate_registry::{ProgramInput, Registry, StaffIdentity, Visibility};
use rayon::prelude::*;
use sea_orm::{ConnectionTrait, DatabaseConnection};

const SEED: u64 = 20_261_121;
const NATIONAL_PROGRAMS: usize = 150;
/// The runner's default horizon, which the windows of `assess` cover.
const HORIZON_DAYS: u32 = 366;
/// Rounds of each engine measurement; the best one is reported with the mean.
const ROUNDS: u32 = 5;
/// Households one rayon task generates and evaluates at national scale.
const NATIONAL_CHUNK: u64 = 4_096;
const SECTIONS: [&str; 3] = ["engine", "aomori", "national"];

/// The fixed reference date of every measurement, so that runs compare.
fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

fn report(label: &str, elapsed: Duration, items: u64) {
    let per_second = items as f64 / elapsed.as_secs_f64();
    println!(
        "  {label:<52} {:>10.1} ms {:>14.0} /s",
        elapsed.as_secs_f64() * 1000.0,
        per_second
    );
}

/// Runs `work` `rounds` times; the best and the mean time.
fn measure(rounds: u32, mut work: impl FnMut()) -> (Duration, Duration) {
    let mut best = Duration::MAX;
    let mut total = Duration::ZERO;
    for _ in 0..rounds {
        let started = Instant::now();
        work();
        let elapsed = started.elapsed();
        best = best.min(elapsed);
        total += elapsed;
    }
    (best, total / rounds)
}

fn report_rate(label: &str, (best, mean): (Duration, Duration), items: u64) {
    let rate = |elapsed: Duration| items as f64 / elapsed.as_secs_f64() / 1e6;
    println!(
        "  {label:<52} {:>8.2} M/s best, {:>6.2} M/s mean ({:.1} ns each; {items} in {:.1} ms)",
        rate(best),
        rate(mean),
        best.as_secs_f64() * 1e9 / items as f64,
        best.as_secs_f64() * 1000.0,
    );
}

/// Peak resident memory of this process (VmHWM), in bytes.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Starts a new peak-memory measurement, so that each section reports its own (Linux ≥ 4.0).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn print_peak_memory() {
    match peak_memory() {
        Some(bytes) => println!("  peak memory (VmHWM)  {:.1} MiB", bytes as f64 / 1048576.0),
        None => println!("  peak memory: /proc/self/status not readable"),
    }
}

fn main() -> anyhow::Result<()> {
    // `cargo test --all-targets` runs bench targets too, without `--bench` and unoptimised.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!(
            "matching benchmark: nothing measured outside `cargo bench` (pass --bench to run it directly)"
        );
        return Ok(());
    }
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .flat_map(|arg| arg.split([',', '|', ' ']).map(str::to_owned).collect::<Vec<_>>())
        .filter(|arg| !arg.is_empty())
        .collect();
    if let Some(unknown) = wanted
        .iter()
        .find(|w| !SECTIONS.iter().any(|s| s.contains(w.as_str())))
    {
        anyhow::bail!(
            "unknown section {unknown:?}; sections are {}",
            SECTIONS.join(", ")
        );
    }
    let runs = |section: &str| wanted.is_empty() || wanted.iter().any(|w| section.contains(w.as_str()));
    println!(
        "matching benchmark: reference date {}, {} threads",
        reference_date(),
        rayon::current_num_threads()
    );
    if runs("engine") {
        engine();
    }
    if runs("aomori") {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(aomori())?;
    }
    if runs("national") {
        national();
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 1. Engine only, one thread

fn national_rules(on: NaiveDate) -> (Vec<SyntheticProgram>, Vec<ProgramRule>) {
    let programs = synthetic::national_programs(SEED, NATIONAL_PROGRAMS, on);
    let rules = programs.iter().map(SyntheticProgram::to_rule).collect();
    (programs, rules)
}

fn engine() {
    reset_peak_memory();
    let count = env_count("KOSODATE_BENCH_ENGINE_HOUSEHOLDS", 20_000);
    let on = reference_date();
    let (programs, rules) = national_rules(on);
    let pairs = count * rules.len() as u64;
    println!(
        "\nengine (one thread): {count} households × {} national programs",
        rules.len()
    );

    let population = Population::new(SEED, on);
    let (best, _) = measure(1, || {
        for index in 0..count {
            black_box(population.household(black_box(index)));
        }
    });
    report("generate households (Population::household)", best, count);
    let households: Vec<Household> = population.households(count).collect();
    let (best, _) = measure(1, || {
        for household in &households {
            black_box(PreparedHousehold::new(black_box(household)));
        }
    });
    report("prepare households (PreparedHousehold::new)", best, count);
    let prepared: Vec<PreparedHousehold<'_>> = households.iter().map(PreparedHousehold::new).collect();
    print_outcomes(&prepared, &rules, on);

    let evaluate = measure(ROUNDS, || {
        for household in &prepared {
            for rule in &rules {
                black_box(rule.evaluate(black_box(household), black_box(on)));
            }
        }
    });
    report_rate("ProgramRule::evaluate (prepared once)", evaluate, pairs);
    let with_prepare = measure(ROUNDS, || {
        for household in &households {
            let prepared = PreparedHousehold::new(black_box(household));
            for rule in &rules {
                black_box(rule.evaluate(&prepared, black_box(on)));
            }
        }
    });
    report_rate("PreparedHousehold::new + evaluate", with_prepare, pairs);
    let fast_path = measure(3, || {
        for household in &prepared {
            for rule in &rules {
                black_box(runner_fast_path(rule, black_box(household), on));
            }
        }
    });
    report_rate("runner path (evaluate; assess when it matters)", fast_path, pairs);
    let assess = measure(3, || {
        for household in &prepared {
            for rule in &rules {
                black_box(rule.assess(black_box(household), black_box(on), HORIZON_DAYS));
            }
        }
    });
    report_rate("ProgramRule::assess (366-day windows)", assess, pairs);
    let with_ends = measure(3, || {
        for household in &prepared {
            for rule in &rules {
                black_box(rule.assess_with_ends(black_box(household), black_box(on), HORIZON_DAYS));
            }
        }
    });
    report_rate(
        "ProgramRule::assess_with_ends (a parent's page)",
        with_ends,
        pairs,
    );
    print_slow_path(&prepared, &rules, on);
    print_by_template(&programs, &rules, &prepared, on);
    print_peak_memory();
}

/// What the runner does for one pair (households/src/matching/mod.rs, `assess`): the quick answer,
/// then the windows and missing facts only when something can happen within the horizon.
fn runner_fast_path(rule: &ProgramRule, household: &PreparedHousehold<'_>, on: NaiveDate) -> usize {
    let horizon = on + Days::new(u64::from(HORIZON_DAYS));
    let quick = rule.evaluate(household, on);
    if quick.truth == Truth::False && quick.next_change.is_none_or(|next| next >= horizon) {
        return 0;
    }
    let assessment = rule.assess(household, on, HORIZON_DAYS);
    let missing = match quick.truth {
        Truth::Unknown => rule.rule.missing_facts(household, on).len(),
        _ => 0,
    };
    assessment.windows.len() + missing
}

fn print_outcomes(prepared: &[PreparedHousehold<'_>], rules: &[ProgramRule], on: NaiveDate) {
    let horizon = on + Days::new(u64::from(HORIZON_DAYS));
    let (mut eligible, mut unknown, mut not_eligible, mut changing) = (0_u64, 0_u64, 0_u64, 0_u64);
    for household in prepared {
        for rule in rules {
            let outcome = rule.evaluate(household, on);
            match outcome.truth {
                Truth::True => eligible += 1,
                Truth::Unknown => unknown += 1,
                Truth::False => not_eligible += 1,
            }
            changing += u64::from(outcome.next_change.is_some_and(|next| next < horizon));
        }
    }
    let pairs = (eligible + unknown + not_eligible).max(1) as f64;
    println!(
        "  outcomes: eligible {:.1} %, unknown {:.1} %, not eligible {:.1} %; answer changes within {HORIZON_DAYS} days {:.1} %",
        eligible as f64 * 100.0 / pairs,
        unknown as f64 * 100.0 / pairs,
        not_eligible as f64 * 100.0 / pairs,
        changing as f64 * 100.0 / pairs
    );
}

/// Where the time of the runner path goes: `assess` on the pairs that need windows, and the
/// missing facts of the pairs whose answer is unknown (`missing_facts`, which the runner uses,
/// beside the full `explain` it replaced).
fn print_slow_path(prepared: &[PreparedHousehold<'_>], rules: &[ProgramRule], on: NaiveDate) {
    let horizon = on + Days::new(u64::from(HORIZON_DAYS));
    let mut slow: Vec<(&PreparedHousehold<'_>, &ProgramRule)> = Vec::new();
    let mut unknown: Vec<(&PreparedHousehold<'_>, &ProgramRule)> = Vec::new();
    for household in prepared {
        for rule in rules {
            let quick = rule.evaluate(household, on);
            if quick.truth == Truth::Unknown {
                unknown.push((household, rule));
            }
            if quick.truth != Truth::False || quick.next_change.is_some_and(|next| next < horizon) {
                slow.push((household, rule));
            }
        }
    }
    let assess = measure(3, || {
        for (household, rule) in &slow {
            black_box(rule.assess(black_box(household), black_box(on), HORIZON_DAYS));
        }
    });
    report_rate(
        "  assess, only the pairs the runner assesses",
        assess,
        slow.len() as u64,
    );
    let explain = measure(3, || {
        for (household, rule) in &unknown {
            black_box(rule.rule.explain(black_box(household), black_box(on)));
        }
    });
    report_rate(
        "  Rule::explain, only the unknown pairs",
        explain,
        unknown.len() as u64,
    );
    let missing_facts = measure(3, || {
        for (household, rule) in &unknown {
            black_box(rule.rule.missing_facts(black_box(household), black_box(on)));
        }
    });
    report_rate(
        "  Rule::missing_facts, only the unknown pairs",
        missing_facts,
        unknown.len() as u64,
    );
}

/// Where the time of `evaluate` goes: the cost of each rule template of the synthetic catalogue.
fn print_by_template(
    programs: &[SyntheticProgram],
    rules: &[ProgramRule],
    prepared: &[PreparedHousehold<'_>],
    on: NaiveDate,
) {
    let mut templates: BTreeMap<&str, Vec<&ProgramRule>> = BTreeMap::new();
    for (program, rule) in programs.iter().zip(rules) {
        let template = program.name.split(' ').next().unwrap_or_default();
        templates.entry(template).or_default().push(rule);
    }
    let mut rows: Vec<(&str, usize, Duration)> = templates
        .iter()
        .map(|(template, rules)| {
            let (best, _) = measure(3, || {
                for household in prepared {
                    for rule in rules {
                        black_box(rule.evaluate(black_box(household), black_box(on)));
                    }
                }
            });
            (*template, rules.len(), best)
        })
        .collect();
    rows.sort_by_key(|(_, _, elapsed)| std::cmp::Reverse(*elapsed));
    let total: Duration = rows.iter().map(|(_, _, elapsed)| *elapsed).sum();
    println!("  evaluate by rule template (programs, ns per evaluation, share of the time):");
    for (template, count, elapsed) in rows {
        let evaluations = (count * prepared.len()) as f64;
        println!(
            "    {template:<12} {count:>4} {:>7.1} ns {:>5.1} %",
            elapsed.as_secs_f64() * 1e9 / evaluations,
            elapsed.as_secs_f64() * 100.0 / total.as_secs_f64()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Aomori scale: the whole runner on SQLite and PostgreSQL

#[derive(Debug, Clone, Copy)]
struct AomoriOptions {
    households: u64,
    programs: usize,
    /// Gather planner statistics after each bulk change, as autovacuum would before a later run.
    analyze: bool,
}

async fn aomori() -> anyhow::Result<()> {
    let options = AomoriOptions {
        households: env_count("KOSODATE_BENCH_HOUSEHOLDS", 150_000),
        programs: env_count("KOSODATE_BENCH_PROGRAMS", 2_500) as usize,
        analyze: env_count("KOSODATE_BENCH_ANALYZE", 0) != 0,
    };
    let backends = std::env::var("KOSODATE_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if backends.contains("sqlite") {
        aomori_on_sqlite(options).await?;
    }
    if backends.contains("postgres") {
        aomori_on_postgres(options).await?;
    }
    Ok(())
}

async fn aomori_on_sqlite(options: AomoriOptions) -> anyhow::Result<()> {
    let data_dir = tempfile::tempdir()?;
    let file = data_dir.path().join("kosodate.sqlite");
    let db = kosodate_database::connect(&format!("sqlite://{}?mode=rwc", file.display()), 10).await?;
    aomori_on("SQLite", &db, options).await?;
    db.close().await?;
    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", file.display())).ok())
        .map(|metadata| metadata.len())
        .sum();
    println!(
        "  database file size (with WAL)  {:.1} MiB",
        size as f64 / 1048576.0
    );
    Ok(())
}

async fn aomori_on_postgres(options: AomoriOptions) -> anyhow::Result<()> {
    let admin_url = std::env::var("KOSODATE_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("kosodate_bench_matching_{}", std::process::id());
    let Ok(scratch) = ScratchDatabase::create(&admin_url, &name).await else {
        println!("\nPostgreSQL: not reachable at {admin_url}; skipped");
        return Ok(());
    };
    let result = async {
        let db = kosodate_database::connect(&scratch.url, 10).await?;
        aomori_on("PostgreSQL", &db, options).await?;
        let size: i64 = query_value(&db, "SELECT pg_database_size(current_database())::BIGINT").await?;
        println!("  database size  {:.1} MiB", size as f64 / 1048576.0);
        let autovacuum: String = query_value(&db, "SELECT current_setting('autovacuum')").await?;
        if autovacuum == "off" && !options.analyze {
            println!(
                "  note: autovacuum is off on this server, so the tables were never analyzed; \
                 KOSODATE_BENCH_ANALYZE=1 analyzes them after each bulk change"
            );
        }
        db.close().await?;
        anyhow::Ok(())
    }
    .await;
    scratch.drop_now().await?;
    result
}

/// The first column of the first row of `sql`.
async fn query_value<T: sea_orm::TryGetable>(db: &DatabaseConnection, sql: &str) -> anyhow::Result<T> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row from {sql}"))?;
    Ok(row.try_get_by_index(0)?)
}

async fn aomori_on(backend: &str, db: &DatabaseConnection, options: AomoriOptions) -> anyhow::Result<()> {
    reset_peak_memory();
    let today = reference_date();
    println!(
        "\n{backend}: {} households × {} programs (Aomori scale)",
        options.households, options.programs
    );
    let started = Instant::now();
    Migrator::up(db, None).await?;
    let municipalities = kosodate_registry::seed::seed_municipalities(db).await?;
    report(
        "migrate, seed municipalities",
        started.elapsed(),
        municipalities as u64,
    );
    let registry = Registry::new(db.clone());
    import_programs(&registry, options.programs, today).await?;

    let households = Households::new(db.clone());
    let started = Instant::now();
    let generated: Vec<Household> = Population::new(SEED, today)
        .households(options.households)
        .collect();
    report("generate households", started.elapsed(), options.households);
    let started = Instant::now();
    households
        .insert_many(&generated, true, Some((ConsentMethod::Online, 1)))
        .await?;
    report(
        "insert households with consent",
        started.elapsed(),
        options.households,
    );
    analyze(db, options, "ANALYZE after the insert").await?;
    let catalogue = Catalogue::load(&registry).await?;
    let (elapsed, pairs) = engine_share(&catalogue, &generated, today);
    report(
        "engine share of run_full (no database, all threads)",
        elapsed,
        pairs,
    );
    drop(generated);

    let runner = MatchRunner::new(households, registry.clone(), MatchPolicy::default());
    let started = Instant::now();
    let first = runner.run_full(today).await?;
    print_run("run_full, first (everything new)", started.elapsed(), &first);
    analyze(db, options, "ANALYZE after the first run").await?;
    let started = Instant::now();
    let second = runner.run_full(today).await?;
    print_run("run_full, second (nothing changed)", started.elapsed(), &second);
    change_a_national_program(&registry, &catalogue).await?;
    let started = Instant::now();
    let changed = runner.run_full(today).await?;
    print_run(
        "run_full, a national program changed",
        started.elapsed(),
        &changed,
    );
    let started = Instant::now();
    let tick = runner.run_tick(today + Days::new(1)).await?;
    print_run("run_tick, the next day", started.elapsed(), &tick);
    print_peak_memory();
    Ok(())
}

/// Edits a national program's summary: every household's fingerprint changes, so the next full
/// run re-evaluates and rewrites them all, as after any change to a program that applies to all.
async fn change_a_national_program(registry: &Registry, catalogue: &Catalogue) -> anyhow::Result<()> {
    let national = catalogue
        .ids()
        .find(|id| {
            catalogue
                .entry(*id)
                .is_some_and(|entry| entry.rule.area == Area::National)
        })
        .ok_or_else(|| anyhow::anyhow!("no national program"))?;
    let program = registry.program(national, Visibility::Staff).await?;
    let mut input = ProgramInput::from(program.content);
    input.summary.push_str("（改定）");
    registry
        .update_program(&StaffIdentity::administrator("bench"), national, &input, None)
        .await?;
    Ok(())
}

/// Gathers planner statistics when asked to, as autovacuum would after a bulk change.
async fn analyze(db: &DatabaseConnection, options: AomoriOptions, label: &str) -> anyhow::Result<()> {
    if options.analyze {
        let started = Instant::now();
        db.execute_unprepared("ANALYZE").await?;
        println!(
            "  {label:<52} {:>10.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

async fn import_programs(registry: &Registry, count: usize, today: NaiveDate) -> anyhow::Result<()> {
    let records = synthetic::published_records(synthetic::programs(SEED, count, today));
    let started = Instant::now();
    let imported = registry
        .import(&StaffIdentity::administrator("bench"), records, false, |_| {})
        .await?;
    report(
        "import programs, published",
        started.elapsed(),
        imported.created as u64,
    );
    Ok(())
}

/// What a full run costs without the database: every applicable pair of the catalogue through
/// the runner path, on every core. The rest of `run_full` is reading, writing and bookkeeping.
fn engine_share(catalogue: &Catalogue, households: &[Household], today: NaiveDate) -> (Duration, u64) {
    let started = Instant::now();
    let pairs = households
        .par_iter()
        .map(|household| {
            let prepared = PreparedHousehold::new(household);
            let mut pairs = 0;
            for (_, entry) in catalogue.applicable(household.municipality) {
                black_box(runner_fast_path(&entry.rule, &prepared, today));
                pairs += 1;
            }
            pairs
        })
        .sum();
    (started.elapsed(), pairs)
}

fn print_run(label: &str, elapsed: Duration, report: &MatchReport) {
    println!(
        "  {label:<52} {:>10.1} ms {:>14.0} pairs/s",
        elapsed.as_secs_f64() * 1000.0,
        report.pairs_evaluated as f64 / elapsed.as_secs_f64()
    );
    let events: Vec<String> = report
        .events
        .iter()
        .map(|(kind, count)| format!("{} {count}", kind.id()))
        .collect();
    println!(
        "      households evaluated {}, unchanged {}, programs {}, pairs evaluated {}, states written {}, eligible pairs {}, events: {}",
        report.households,
        report.unchanged,
        report.programs,
        report.pairs_evaluated,
        report.states_written,
        report.eligible.values().sum::<u64>(),
        if events.is_empty() {
            "none".to_owned()
        } else {
            events.join(", ")
        }
    );
}

// ---------------------------------------------------------------------------------------------
// 3. National scale, engine only, every core

/// Answers counted at national scale.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    households: u64,
    eligible: u64,
    unknown: u64,
    households_with_eligible: u64,
}

impl Tally {
    fn merge(self, other: Self) -> Self {
        Self {
            households: self.households + other.households,
            eligible: self.eligible + other.eligible,
            unknown: self.unknown + other.unknown,
            households_with_eligible: self.households_with_eligible + other.households_with_eligible,
        }
    }
}

/// Households `[start, end)`, generated one at a time: nothing of them outlives its evaluation.
fn evaluate_slice(
    population: &Population,
    rules: &[ProgramRule],
    on: NaiveDate,
    start: u64,
    end: u64,
) -> Tally {
    let mut tally = Tally::default();
    for index in start..end {
        let household = population.household(index);
        let prepared = PreparedHousehold::new(&household);
        let before = tally.eligible;
        for rule in rules {
            match rule.evaluate(&prepared, on).truth {
                Truth::True => tally.eligible += 1,
                Truth::Unknown => tally.unknown += 1,
                Truth::False => {}
            }
        }
        tally.households += 1;
        tally.households_with_eligible += u64::from(tally.eligible > before);
    }
    tally
}

fn national() {
    reset_peak_memory();
    let count = env_count("KOSODATE_BENCH_NATIONAL_HOUSEHOLDS", 10_000_000);
    let on = reference_date();
    let (_, rules) = national_rules(on);
    let population = Population::new(SEED, on);
    let pairs = count * rules.len() as u64;
    println!(
        "\nnational (engine only, {} threads): {count} households × {} national programs, generated on the fly",
        rayon::current_num_threads(),
        rules.len()
    );
    let started = Instant::now();
    let tally = (0..count.div_ceil(NATIONAL_CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let start = chunk * NATIONAL_CHUNK;
            evaluate_slice(
                &population,
                &rules,
                on,
                start,
                (start + NATIONAL_CHUNK).min(count),
            )
        })
        .reduce(Tally::default, Tally::merge);
    let elapsed = started.elapsed();
    println!(
        "  total wall time  {:.2} s  ({:.0} households/s, {:.2} M evaluations/s including generation)",
        elapsed.as_secs_f64(),
        tally.households as f64 / elapsed.as_secs_f64(),
        pairs as f64 / elapsed.as_secs_f64() / 1e6
    );
    println!(
        "  eligible results {} ({:.2} per household), unknown {}, households with any eligible {} ({:.1} %)",
        tally.eligible,
        tally.eligible as f64 / tally.households.max(1) as f64,
        tally.unknown,
        tally.households_with_eligible,
        tally.households_with_eligible as f64 * 100.0 / tally.households.max(1) as f64
    );
    print_peak_memory();
}
