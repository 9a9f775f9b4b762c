//! Whole files in and out: the formats staff and open-data users exchange, shared by the HTTP API
//! and the command line so that both accept and produce exactly the same files. Exports are
//! streams: the registry is read a page at a time and each page is written out before the next
//! is read, so an export of 100,000 programs holds one page in memory, never the file.

use std::collections::HashMap;

use futures::Stream;
use kosodate_domain::ProgramId;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::authz::StaffIdentity;
use crate::error::RegistryError;
use crate::import::{ImportErrors, ImportReport, ParsedFile, csv_format, tokyo, xlsx_format};
use crate::model::{Program, ProgramOwner};
use crate::page::PageRequest;
use crate::store::{ProgramFilter, Registry, Visibility};

/// Programs an export reads per query.
pub const EXPORT_PAGE: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// Spreadsheet CSV, UTF-8 (BOM optional) or Shift_JIS.
    Csv,
    /// An Excel workbook (.xlsx) with the CSV's columns on its first worksheet.
    Xlsx,
    /// 東京都 子育て支援制度レジストリ JSON.
    TokyoJson,
}

impl ImportFormat {
    /// The format a file's content type or name says it is, when either says.
    pub fn recognise(content_type: Option<&str>, file_name: Option<&str>) -> Option<Self> {
        let essence = content_type
            .and_then(|value| value.split(';').next())
            .map(|value| value.trim().to_ascii_lowercase());
        let by_type = match essence.as_deref() {
            Some(xlsx_format::CONTENT_TYPE) => Some(Self::Xlsx),
            Some("text/csv") => Some(Self::Csv),
            Some("application/json") => Some(Self::TokyoJson),
            _ => None,
        };
        let extension = file_name
            .and_then(|name| name.rsplit_once('.'))
            .map(|(_, extension)| extension.to_ascii_lowercase());
        by_type.or(match extension.as_deref() {
            Some("xlsx") => Some(Self::Xlsx),
            Some("csv") => Some(Self::Csv),
            Some("json") => Some(Self::TokyoJson),
            _ => None,
        })
    }

    /// How the format is stored and written in URLs.
    pub fn id(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::TokyoJson => "tokyo_json",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        [Self::Csv, Self::Xlsx, Self::TokyoJson]
            .into_iter()
            .find(|format| format.id() == id)
    }

    /// Whether problems are named by spreadsheet column rather than by JSON pointer.
    fn is_spreadsheet(self) -> bool {
        matches!(self, Self::Csv | Self::Xlsx)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Excel-friendly CSV (UTF-8 with BOM).
    Csv,
    /// An Excel workbook (.xlsx): the CSV's columns, dates as dates, the header row frozen.
    Xlsx,
    /// The registry's own JSON: an array of programs as the API returns them.
    Json,
    /// 東京都 子育て支援制度レジストリ JSON.
    TokyoJson,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => xlsx_format::CONTENT_TYPE,
            Self::Json | Self::TokyoJson => "application/json",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Self::Csv => "programs.csv",
            Self::Xlsx => "programs.xlsx",
            Self::Json => "programs.json",
            Self::TokyoJson => "programs-tokyo-registry.json",
        }
    }
}

/// Reads a file into import records without touching the database: the records it could read,
/// and the problems of the lines it could not. Only a file that cannot be read at all (its
/// encoding, its CSV header, JSON that is not an array) is refused here.
pub fn parse_file(format: ImportFormat, bytes: &[u8]) -> Result<ParsedFile, ImportErrors> {
    match format {
        ImportFormat::Csv => csv_format::parse(&csv_format::decode(bytes)?),
        ImportFormat::Xlsx => xlsx_format::parse(bytes),
        ImportFormat::TokyoJson => tokyo::parse(bytes),
    }
}

impl Registry {
    /// Parses and imports a whole file, all or nothing; errors name the line and, for CSV, the
    /// column header staff see.
    pub async fn import_file(
        &self,
        actor: &StaffIdentity,
        format: ImportFormat,
        bytes: &[u8],
        dry_run: bool,
        progress: impl FnMut(usize),
    ) -> Result<ImportReport, RegistryError> {
        let parsed = parse_file(format, bytes)?;
        self.import_parsed(actor, format, parsed, dry_run, progress).await
    }

    /// Imports a file already read by [`parse_file`] (callers that want the count first, such as
    /// a progress bar, parse once and pass the result here).
    pub async fn import_parsed(
        &self,
        actor: &StaffIdentity,
        format: ImportFormat,
        parsed: ParsedFile,
        dry_run: bool,
        progress: impl FnMut(usize),
    ) -> Result<ImportReport, RegistryError> {
        let columns = parsed.columns.clone();
        match self.import(actor, parsed, dry_run, progress).await {
            Err(RegistryError::Import(errors)) if format.is_spreadsheet() => {
                Err(RegistryError::Import(csv_format::name_columns(errors, &columns)))
            }
            other => other,
        }
    }

    /// Every program matching `filter`, written in `format`, as a stream of chunks: the file's
    /// head, one chunk per page of [`EXPORT_PAGE`] programs, and its tail. An error ends the
    /// stream; what was sent before it is not a whole file.
    pub async fn export(
        &self,
        format: ExportFormat,
        filter: &ProgramFilter,
        visibility: Visibility,
    ) -> Result<impl Stream<Item = Result<Vec<u8>, RegistryError>> + Send + 'static, RegistryError> {
        let state = ExportState {
            registry: self.clone(),
            filter: filter.clone(),
            visibility,
            encoder: Encoder {
                format,
                owner_names: self.owner_names().await?,
                written: 0,
                workbook: None,
            },
            step: ExportStep::Head,
        };
        Ok(futures::stream::try_unfold(state, ExportState::next_chunk))
    }

    async fn owner_names(&self) -> Result<HashMap<String, String>, RegistryError> {
        let page = PageRequest {
            limit: Some(crate::page::MAX_LIMIT),
            cursor: None,
        };
        Ok(self
            .municipalities(&page)
            .await?
            .items
            .into_iter()
            .map(|m| (m.code.to_string(), m.name))
            .collect())
    }
}

/// Where an export stream is.
#[derive(Debug, Clone, Copy)]
enum ExportStep {
    Head,
    /// The next page starts after this program (`None`: at the first).
    PageAfter(Option<ProgramId>),
    Done,
}

struct ExportState {
    registry: Registry,
    filter: ProgramFilter,
    visibility: Visibility,
    encoder: Encoder,
    step: ExportStep,
}

impl ExportState {
    async fn next_chunk(mut self) -> Result<Option<(Vec<u8>, Self)>, RegistryError> {
        let chunk = match self.step {
            ExportStep::Done => return Ok(None),
            ExportStep::Head => {
                self.step = ExportStep::PageAfter(None);
                self.encoder.head()?
            }
            ExportStep::PageAfter(after) => {
                let programs = self
                    .registry
                    .programs_after(&self.filter, self.visibility, after, EXPORT_PAGE)
                    .await?;
                let mut chunk = self.encoder.page(&programs)?;
                match programs.last() {
                    Some(last) if programs.len() as u64 == EXPORT_PAGE => {
                        self.step = ExportStep::PageAfter(Some(last.id));
                    }
                    _ => {
                        chunk.extend(self.encoder.tail()?);
                        self.step = ExportStep::Done;
                    }
                }
                chunk
            }
        };
        Ok(Some((chunk, self)))
    }
}

/// Writes one format a page at a time.
struct Encoder {
    format: ExportFormat,
    owner_names: HashMap<String, String>,
    /// Programs written so far: JSON separates items with commas.
    written: usize,
    /// An Excel export's workbook: a zip file cannot be sent before it is whole, so its rows
    /// collect (on disk) until the tail.
    workbook: Option<xlsx_format::XlsxWriter>,
}

impl Encoder {
    fn head(&mut self) -> Result<Vec<u8>, RegistryError> {
        Ok(match self.format {
            ExportFormat::Csv => csv_format::head(),
            ExportFormat::Xlsx => {
                self.workbook = Some(xlsx_format::XlsxWriter::new()?);
                Vec::new()
            }
            ExportFormat::Json | ExportFormat::TokyoJson => b"[".to_vec(),
        })
    }

    fn page(&mut self, programs: &[Program]) -> Result<Vec<u8>, RegistryError> {
        let names = &self.owner_names;
        let owner_name = |owner: &ProgramOwner| match owner {
            ProgramOwner::National => "国".to_owned(),
            ProgramOwner::Local(code) => names.get(&code.to_string()).cloned().unwrap_or_default(),
        };
        let mut chunk = Vec::new();
        if self.format == ExportFormat::Csv {
            csv_format::write_rows(&mut chunk, programs, owner_name);
            return Ok(chunk);
        }
        if let Some(workbook) = &mut self.workbook {
            workbook.write_rows(programs, owner_name)?;
            return Ok(chunk);
        }
        for program in programs {
            chunk.extend_from_slice(match self.written {
                0 => b"\n".as_slice(),
                _ => b",\n".as_slice(),
            });
            let written = match self.format {
                ExportFormat::TokyoJson => serde_json::to_writer_pretty(
                    &mut chunk,
                    &tokyo::record_for(program, &owner_name(&program.content.owner)),
                ),
                _ => serde_json::to_writer_pretty(&mut chunk, program),
            };
            written.map_err(|error| RegistryError::Corrupt(error.to_string()))?;
            self.written += 1;
        }
        Ok(chunk)
    }

    fn tail(&mut self) -> Result<Vec<u8>, RegistryError> {
        if let Some(workbook) = self.workbook.take() {
            return workbook.finish();
        }
        Ok(match (self.format, self.written) {
            (ExportFormat::Csv, _) => Vec::new(),
            (_, 0) => b"]".to_vec(),
            _ => b"\n]".to_vec(),
        })
    }
}
