//! Matching in the background of a server process: again for a program that was published,
//! changed or archived, for a household that changed or consented, for everything after an
//! import, and the periodic tick. The clock is read here, as a date in Japan, and handed to the
//! matching runner. Every trigger is idempotent (the runner skips what has not changed and the
//! unique event keys record each change once), so several processes may run them; a trigger that
//! meets a busy database tries again, and one that still fails leaves its work to the tick.

use kosodate_domain::error_chain;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use kosodate_database::retry_while_busy;
use kosodate_domain::{ProgramId, japan};
use kosodate_households::{HouseholdId, Households};
use kosodate_matching::{MatchPolicy, MatchReport, MatchRunner, MatchingError};
use kosodate_registry::Registry;

/// The runner every trigger of this process uses.
pub fn runner(registry: &Registry) -> MatchRunner {
    let households = Households::new(registry.connection().clone());
    MatchRunner::new(households, registry.clone(), MatchPolicy::default())
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
