//! The `kosodate` command line: `serve` (the default), `migrate`, `import`, `export`, `match`,
//! `reindex` and `worker`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use kosodate_registry::transfer::{ExportFormat, ImportFormat, parse_file};
use kosodate_registry::{ProgramFilter, ProgramOwner, Registry, RegistryError, StaffIdentity, Visibility};

use crate::app;
use crate::settings::Settings;

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
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportFormatArg {
    Csv,
    TokyoJson,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormatArg {
    Csv,
    Json,
    TokyoJson,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import.
    pub file: PathBuf,
    /// File format; guessed from the extension when absent (.csv → csv, .json → tokyo-json).
    #[arg(long, value_enum)]
    pub format: Option<ImportFormatArg>,
    /// Show what would be created or changed without keeping anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Name recorded in the programs' history.
    #[arg(long, default_value = "command-line import")]
    pub actor: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormatArg,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only programs of this owner (`national` or a municipality code).
    #[arg(long)]
    pub owner: Option<String>,
}

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Reference date (YYYY-MM-DD). Default: today in Japan.
    #[arg(long)]
    pub today: Option<chrono::NaiveDate>,
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
            let db = app::open_database(&settings).await?;
            app::migrate(&db).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Import(args) => import(&settings, args).await,
        Command::Export(args) => export(&settings, args).await,
        Command::Match(args) => crate::matching::run_command(&settings, args).await,
        Command::Worker => crate::notices::run_worker(&settings).await,
        Command::Reindex => crate::search::reindex(&settings, registry(&settings).await?).await,
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let server = app::start(settings, app::shutdown_signal()).await?;
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

async fn registry(settings: &Settings) -> anyhow::Result<Registry> {
    let db = app::open_database(settings).await?;
    app::migrate(&db).await?;
    Ok(Registry::new(db))
}

async fn import(settings: &Settings, args: ImportArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let format = match args.format {
        Some(ImportFormatArg::Csv) => ImportFormat::Csv,
        Some(ImportFormatArg::TokyoJson) => ImportFormat::TokyoJson,
        None if args
            .file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json")) =>
        {
            ImportFormat::TokyoJson
        }
        None => ImportFormat::Csv,
    };
    let registry = registry(settings).await?;
    let records = match parse_file(format, &bytes) {
        Ok(records) => records,
        Err(errors) => return report_refusal(RegistryError::Import(errors)),
    };
    let progress = ProgressBar::new(records.len() as u64).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, 残り {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.set_message(if args.dry_run {
        "確認中"
    } else {
        "取り込み中"
    });
    let actor = StaffIdentity::administrator(args.actor);
    let result = registry
        .import_parsed(&actor, format, records, args.dry_run, |done| {
            progress.set_position(done as u64)
        })
        .await;
    progress.finish_and_clear();
    let report = match result {
        Ok(report) => report,
        Err(error) => return report_refusal(error),
    };
    let mut stdout = std::io::stdout();
    writeln!(
        stdout,
        "{}: 新規 {} 件, 更新 {} 件, 変更なし {} 件",
        if report.dry_run {
            "確認のみ（保存していません）"
        } else {
            "取り込みました"
        },
        report.created,
        report.updated,
        report.unchanged
    )?;
    for item in report
        .items
        .iter()
        .filter(|item| !item.changed_fields.is_empty() || args.dry_run)
    {
        writeln!(
            stdout,
            "  {:>5}行目 {:?} {} {} [{}]",
            item.line,
            item.action,
            item.owner,
            item.name,
            item.changed_fields.join(", ")
        )?;
    }
    Ok(())
}

fn report_refusal(error: RegistryError) -> anyhow::Result<()> {
    let RegistryError::Import(errors) = error else {
        return Err(error.into());
    };
    let mut stderr = std::io::stderr();
    let _ = writeln!(
        stderr,
        "取り込みを中止しました（{}件の誤り、1件も取り込んでいません）:",
        errors.0.len()
    );
    for error in &errors.0 {
        let _ = writeln!(stderr, "  {}行目 {}: {}", error.line, error.field, error.detail);
    }
    anyhow::bail!("import refused: {} problem(s)", errors.0.len())
}

async fn export(settings: &Settings, args: ExportArgs) -> anyhow::Result<()> {
    let registry = registry(settings).await?;
    let format = match args.format {
        ExportFormatArg::Csv => ExportFormat::Csv,
        ExportFormatArg::Json => ExportFormat::Json,
        ExportFormatArg::TokyoJson => ExportFormat::TokyoJson,
    };
    let filter = ProgramFilter {
        owner: args.owner.as_deref().map(ProgramOwner::parse).transpose()?,
        ..ProgramFilter::default()
    };
    let spinner = ProgressBar::new_spinner().with_message("書き出し中");
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    let bytes = registry.export(format, &filter, Visibility::Staff).await?;
    spinner.finish_and_clear();
    match &args.output {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}
