//! `kosodate insights roll-up`: rolls up the search log (and forgets raw rows past their 13
//! months) once, for deployments that schedule it instead of letting servers do it hourly.
//! Running it beside servers that also roll up is safe: each period is rolled up once.

use std::io::Write;

use clap::{Args, Subcommand};

use crate::settings::Settings;
use crate::startup;

#[derive(Debug, Args)]
pub struct InsightsArgs {
    #[command(subcommand)]
    pub command: InsightsCommand,
}

#[derive(Debug, Subcommand)]
pub enum InsightsCommand {
    /// Roll up every settled hour, day and week not yet rolled up, then delete raw search-log
    /// rows older than 13 months.
    RollUp,
}

pub async fn run(settings: &Settings, args: InsightsArgs) -> anyhow::Result<()> {
    match args.command {
        InsightsCommand::RollUp => roll_up(settings).await,
    }
}

async fn roll_up(settings: &Settings) -> anyhow::Result<()> {
    let registry = startup::registry(settings).await?;
    let insights = crate::insights::build(settings, registry.connection().clone()).await?;
    let (report, forgotten) = crate::insights::roll_up_now(&insights).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "集計しました: {}時間分, {}日分, {}週分（古い検索記録 {forgotten} 件を削除）",
        report.hours, report.days, report.weeks
    )?;
    Ok(())
}
