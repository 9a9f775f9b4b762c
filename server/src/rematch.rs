//! Matching in the background of a server process: again for a program that was published,
//! changed or archived, for a household that changed or consented, for everything after an
//! import, and the periodic tick. The clock is read here, as a date in Japan, and handed to the
//! matching runner. Every trigger is idempotent (the runner skips what has not changed and the
//! unique event keys record each change once), so several processes may run them; a trigger that
//! meets a busy database tries again, and one that still fails leaves its work to the tick. A full
//! run is shared: `kosodate worker` processes join the open one (`spawn_run_helper`), and each
//! takes partitions of it until all are done.

use kosodate_domain::error_chain;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use kosodate_database::retry_while_busy;
use kosodate_domain::{ProgramId, japan};
use kosodate_households::{HouseholdId, Households};
use kosodate_matching::{MatchPolicy, MatchReport, MatchRunner, MatchingError, Sharing};
use kosodate_registry::Registry;

use crate::settings::Settings;

/// How often a worker looks for an open full run to help with: one indexed query.
const RUN_POLL: Duration = Duration::from_secs(2);

/// The runner every trigger of this process uses.
pub fn runner(registry: &Registry, settings: &Settings) -> MatchRunner {
    let households = Households::new(registry.connection().clone());
    let sharing = Sharing {
        partition_size: settings.match_partition_households.max(1),
        lease: Duration::from_secs(settings.match_lease_seconds.max(1)),
    };
    MatchRunner::new(households, registry.clone(), MatchPolicy::default()).with_sharing(sharing)
}

fn today() -> NaiveDate {
    japan::date_of(Utc::now())
}

/// Re-matches a program's area in the background after it was published, changed or archived;
/// the staff member's request does not wait for it.
pub fn program_later(runner: MatchRunner, program_id: ProgramId) {
    tokio::spawn(async move {
        let result = retry_while_busy("re-matching a program", || {
            runner.run_program(program_id, today())
        })
        .await;
        log_outcome("program re-matched", &result);
    });
}

/// Re-matches one household in the background, after its parent changed it or consented. Should
/// it fail, the household's stored state was marked due by the change, and the tick re-runs it.
pub fn household_later(runner: MatchRunner, household: HouseholdId) {
    tokio::spawn(async move {
        let result = retry_while_busy("re-matching a household", || {
            runner.run_household(household, today())
        })
        .await;
        log_outcome("household re-matched", &result);
    });
}

/// Re-matches everything in the background, after an import changed many programs at once.
pub fn everything_later(runner: MatchRunner) {
    tokio::spawn(async move {
        let result = retry_while_busy("re-matching after an import", || runner.run_full(today())).await;
        log_outcome("re-matched after import", &result);
    });
}

fn log_outcome(what: &'static str, result: &Result<MatchReport, MatchingError>) {
    match result {
        Ok(report) => tracing::info!(
            households = report.households,
            written = report.states_written,
            unchanged = report.unchanged,
            "{what}"
        ),
        Err(error) => tracing::error!(error = %error_chain(error), "{what}: failed"),
    }
}

/// A worker's part in full runs: every few seconds, joins the open run of today, if any, and
/// takes its partitions until every one is done.
pub fn spawn_run_helper(runner: MatchRunner) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(RUN_POLL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match runner.join_open_run(today()).await {
                Ok(Some(report)) => log_outcome("helped with a full run", &Ok(report)),
                Ok(None) => {}
                Err(error) => log_outcome("helping with a full run", &Err(error)),
            }
        }
    });
}

/// The tick: every `interval`, the households whose check date has come.
pub fn spawn_tick(runner: MatchRunner, interval: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            let result = retry_while_busy("the matching tick", || runner.run_tick(today())).await;
            match result {
                Ok(report) if report.households > 0 => {
                    tracing::info!(
                        households = report.households,
                        written = report.states_written,
                        "matching tick"
                    )
                }
                Ok(_) => {}
                Err(error) => tracing::error!(error = %error_chain(&error), "matching tick failed"),
            }
        }
    });
}
