//! `kosodate import` and `kosodate export`: the registry's spreadsheets and open data, from and
//! to files, with a progress bar.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use futures::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use kosodate_registry::transfer::{ExportFormat, ImportFormat, parse_file};
use kosodate_registry::{ProgramFilter, ProgramOwner, RegistryError, StaffIdentity, Visibility};

use crate::settings::Settings;
use crate::startup::registry;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportFormatArg {
    Csv,
    Xlsx,
    TokyoJson,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormatArg {
    Csv,
    Xlsx,
    Json,
    TokyoJson,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import.
    pub file: PathBuf,
    /// File format; guessed from the extension when absent (.csv → csv, .xlsx → xlsx, .json →
    /// tokyo-json; anything else is read as CSV).
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

pub async fn import(settings: &Settings, args: ImportArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let format = match args.format {
        Some(ImportFormatArg::Csv) => ImportFormat::Csv,
        Some(ImportFormatArg::Xlsx) => ImportFormat::Xlsx,
        Some(ImportFormatArg::TokyoJson) => ImportFormat::TokyoJson,
        None => ImportFormat::recognise(None, args.file.to_str()).unwrap_or(ImportFormat::Csv),
    };
    let registry = registry(settings).await?;
    let parsed = match parse_file(format, &bytes) {
        Ok(parsed) => parsed,
        Err(errors) => return report_refusal(RegistryError::Import(errors)),
    };
    let progress = ProgressBar::new(parsed.records.len() as u64).with_style(
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
        .import_parsed(&actor, format, parsed, args.dry_run, |done| {
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

pub async fn export(settings: &Settings, args: ExportArgs) -> anyhow::Result<()> {
    let registry = registry(settings).await?;
    let format = match args.format {
        ExportFormatArg::Csv => ExportFormat::Csv,
        ExportFormatArg::Xlsx => ExportFormat::Xlsx,
        ExportFormatArg::Json => ExportFormat::Json,
        ExportFormatArg::TokyoJson => ExportFormat::TokyoJson,
    };
    let filter = ProgramFilter {
        owner: args.owner.as_deref().map(ProgramOwner::parse).transpose()?,
        ..ProgramFilter::default()
    };
    let mut output: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout()),
    };
    let spinner = ProgressBar::new_spinner().with_message("書き出し中");
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    let chunks = registry.export(format, &filter, Visibility::Staff).await?;
    futures::pin_mut!(chunks);
    while let Some(chunk) = chunks.try_next().await? {
        output.write_all(&chunk)?;
    }
    output.flush()?;
    spinner.finish_and_clear();
    Ok(())
}
