//! The `kosodate` command line: `serve` (the default), `migrate`, `import`, `export`, `match`,
//! `reindex`, `worker` and `insights roll-up`. Each command's own module does its work; this one parses and
//! dispatches.

mod insights;
mod match_command;
mod reindex;
mod transfer;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use insights::InsightsArgs;
pub use match_command::MatchArgs;
pub use transfer::{ExportArgs, ImportArgs};

use crate::settings::Settings;
use crate::startup;

#[derive(Debug, Parser)]
#[command(
    name = "kosodate",
    version,
    about = "青森県 子育て支援制度レジストリ — kosodate"
)]
pub struct Cli {
    /// Settings file (TOML). Default: kosodate.toml in the working directory, if present.
    #[arg(long, global = true, env = "KOSODATE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Keep the SQLite database, search index and mailbox under this directory.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve(ServeArgs),
    /// Apply database migrations and refresh the municipality list, then exit.
    Migrate,
    /// Import programs from a CSV or Tokyo registry JSON file, all or nothing.
    Import(ImportArgs),
    /// Export programs as CSV, JSON or Tokyo registry JSON.
    Export(ExportArgs),
    /// Match consenting households against the published programs and print what changed.
    Match(MatchArgs),
    /// Rebuild this machine's search index from the database, with a progress bar. A server
    /// rebuilds a missing or outdated index by itself; this is for an index suspected broken.
    Reindex,
    /// Plan and deliver notices (email, LINE, Web Push) without serving HTTP; run as many as
    /// needed against PostgreSQL.
    Worker,
    /// Evidence for policy: `roll-up` rolls up the search log once (servers do it hourly).
    Insights(InsightsArgs),
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
}

impl Cli {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut settings = Settings::load(self.config.as_deref())?;
        if let Some(data_dir) = &self.data_dir {
            settings.data_dir = data_dir.clone();
        }
        if let Some(Command::Serve(ServeArgs { listen: Some(listen) })) = &self.command {
            settings.listen = *listen;
        }
        Ok(settings)
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings()?;
    crate::telemetry::init_tracing(settings.log_format);
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(_) => serve(&settings).await,
        Command::Migrate => {
            startup::registry(&settings).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Import(args) => transfer::import(&settings, args).await,
        Command::Export(args) => transfer::export(&settings, args).await,
        Command::Match(args) => match_command::run(&settings, args).await,
        Command::Worker => startup::run_worker(&settings).await,
        Command::Reindex => reindex::run(&settings).await,
        Command::Insights(args) => insights::run(&settings, args).await,
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let server = startup::start(settings, startup::shutdown_signal()).await?;
    let mut stderr = std::io::stderr();
    let _ = writeln!(
        stderr,
        "kosodate is running at http://{0}/ (API: http://{0}/api/v1/programs, data: {1})",
        server.address,
        settings.data_dir.display()
    );
    server.task.await??;
    Ok(())
}
