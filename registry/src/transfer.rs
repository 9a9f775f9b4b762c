//! Whole files in and out: the formats staff and open-data users exchange, shared by the HTTP API
//! and the command line so that both accept and produce exactly the same files.

use std::collections::HashMap;

use serde::Deserialize;
use utoipa::ToSchema;

use crate::authz::StaffIdentity;
use crate::error::RegistryError;
use crate::import::{ImportErrors, ImportReport, csv_format, tokyo};
use crate::model::ProgramOwner;
use crate::page::PageRequest;
use crate::store::{ProgramFilter, Registry, Visibility};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// Spreadsheet CSV, UTF-8 (BOM optional) or Shift_JIS.
    Csv,
    /// 東京都 子育て支援制度レジストリ JSON.
    TokyoJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Excel-friendly CSV (UTF-8 with BOM).
    Csv,
    /// The registry's own JSON: an array of programs as the API returns them.
    Json,
    /// 東京都 子育て支援制度レジストリ JSON.
    TokyoJson,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json | Self::TokyoJson => "application/json",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Self::Csv => "programs.csv",
            Self::Json => "programs.json",
            Self::TokyoJson => "programs-tokyo-registry.json",
        }
    }
}

/// Reads a file into import records without touching the database.
pub fn parse_file(
    format: ImportFormat,
    bytes: &[u8],
) -> Result<Vec<crate::import::ImportRecord>, ImportErrors> {
    match format {
        ImportFormat::Csv => csv_format::parse(&csv_format::decode(bytes)?).map_err(csv_format::name_columns),
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
        let records = parse_file(format, bytes)?;
        self.import_parsed(actor, format, records, dry_run, progress)
            .await
    }

    /// Imports records already read by [`parse_file`] (callers that want the count first, such as
    /// a progress bar, parse once and pass the records here).
    pub async fn import_parsed(
        &self,
        actor: &StaffIdentity,
        format: ImportFormat,
        records: Vec<crate::import::ImportRecord>,
        dry_run: bool,
        progress: impl FnMut(usize),
    ) -> Result<ImportReport, RegistryError> {
        match self.import(actor, records, dry_run, progress).await {
            Err(RegistryError::Import(errors)) if format == ImportFormat::Csv => {
                Err(RegistryError::Import(csv_format::name_columns(errors)))
            }
            other => other,
        }
    }

    /// Every program matching `filter`, written in `format`.
    pub async fn export(
        &self,
        format: ExportFormat,
        filter: &ProgramFilter,
        visibility: Visibility,
    ) -> Result<Vec<u8>, RegistryError> {
        let programs = self.all_programs(filter, visibility).await?;
        let names = self.owner_names().await?;
        let owner_name = |owner: &ProgramOwner| match owner {
            ProgramOwner::National => "国".to_owned(),
            ProgramOwner::Local(code) => names.get(&code.to_string()).cloned().unwrap_or_default(),
        };
        Ok(match format {
            ExportFormat::Csv => csv_format::write(&programs, owner_name),
            ExportFormat::Json => {
                serde_json::to_vec_pretty(&programs).map_err(|e| RegistryError::Corrupt(e.to_string()))?
            }
            ExportFormat::TokyoJson => tokyo::write(&programs, owner_name),
        })
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
