//! Bulk import of places and events from a spreadsheet (CSV in UTF-8 or Shift_JIS, or Excel
//! .xlsx), in the registry's manner: every problem of every line at once, named by line and
//! column letter with the column's header, and all or nothing: a file with any problem writes
//! nothing, and a dry run only says what would be created. Each row becomes the same
//! `PlaceInput` or `EventInput` the API takes and goes through the same validation.

mod cells;
mod columns;
mod sheet;
mod write;

use std::collections::HashMap;

use kosodate_registry::StaffIdentity;
use kosodate_registry::import::{ImportError, ImportErrors};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::PlacesError;
use crate::input::{EventInput, PlaceInput};
use crate::store::Places;

pub use columns::headers;
pub use sheet::Sheet;

/// What an import is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Places,
    Events,
}

/// What the import did (or, in a dry run, would do) with each row.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportedRow {
    pub line: usize,
    /// The new record's id; none in a dry run.
    pub id: Option<Uuid>,
    pub owner: String,
    /// The place's name or the event's title.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub created: Vec<ImportedRow>,
}

/// A row read and checked, ready to be written.
#[derive(Debug, Clone)]
pub(crate) enum Planned {
    Place(PlaceInput),
    Event(EventInput),
}

impl Planned {
    pub(crate) fn describe(&self, line: usize, id: Option<Uuid>) -> ImportedRow {
        let (owner, name) = match self {
            Self::Place(input) => (&input.owner, &input.name),
            Self::Event(input) => (&input.owner, &input.title),
        };
        ImportedRow {
            line,
            id,
            owner: owner.trim().to_owned(),
            name: name.trim().to_owned(),
        }
    }

    /// The row as an input, or where (a JSON pointer) and why it cannot be one.
    fn read(kind: ImportKind, value: Value) -> Result<Self, (String, String)> {
        let failed = |error: serde_path_to_error::Error<serde_json::Error>| {
            let pointer = error
                .path()
                .iter()
                .filter_map(|segment| match segment {
                    serde_path_to_error::Segment::Map { key } => Some(format!("/{key}")),
                    serde_path_to_error::Segment::Seq { index } => Some(format!("/{index}")),
                    _ => None,
                })
                .collect::<String>();
            (pointer, error.inner().to_string())
        };
        match kind {
            ImportKind::Places => serde_path_to_error::deserialize::<_, PlaceInput>(value)
                .map(Self::Place)
                .map_err(failed),
            ImportKind::Events => serde_path_to_error::deserialize::<_, EventInput>(value)
                .map(Self::Event)
                .map_err(failed),
        }
    }

    fn problems(&self) -> Vec<kosodate_registry::FieldError> {
        let validated = match self {
            Self::Place(input) => input.validate().map(|_| ()),
            Self::Event(input) => input.validate().map(|_| ()),
        };
        validated.err().map(|errors| errors.0).unwrap_or_default()
    }
}

impl Places {
    /// Imports every row of `sheet` as a draft place or event, or nothing when any row has a
    /// problem. An event names its place by the place's name (a place of the same owner).
    pub async fn import(
        &self,
        actor: &StaffIdentity,
        kind: ImportKind,
        sheet: &Sheet,
        dry_run: bool,
    ) -> Result<ImportReport, PlacesError> {
        let layout = columns::Layout::for_sheet(kind, sheet).map_err(PlacesError::Import)?;
        let places = match kind {
            ImportKind::Events => self.place_ids_by_name().await?,
            ImportKind::Places => HashMap::new(),
        };
        let mut problems = Vec::new();
        let mut planned = Vec::new();
        for row in &sheet.rows {
            let (value, place_name) = layout.read(row, &mut problems);
            let Some(mut record) = read_row(&layout, row.line, value, &mut problems) else {
                continue;
            };
            if let (Planned::Event(input), Some(name)) = (&mut record, place_name) {
                match places.get(&(input.owner.trim().to_owned(), name.clone())) {
                    Some(id) => input.place_id = Some(*id),
                    None => problems.push(layout.problem(
                        row.line,
                        "/place_id",
                        &format!("施設「{name}」は、この団体の施設として登録されていません"),
                        format!("no place {name:?} of this owner"),
                    )),
                }
            }
            let invalid = record.problems();
            problems.extend(invalid.iter().map(|error| {
                layout.problem(row.line, &error.pointer, &error.detail, error.detail_en.clone())
            }));
            planned.push((row.line, record));
        }
        if !problems.is_empty() {
            // In the order a person reads the sheet: by line, then left to right.
            problems.sort_by_key(|problem| {
                let column = problem.column.clone().unwrap_or_default();
                (problem.line, column.len(), column)
            });
            return Err(PlacesError::Import(ImportErrors(problems)));
        }
        let created = self.write_planned(actor, planned, dry_run).await?;
        Ok(ImportReport { dry_run, created })
    }
}

/// The row as an input; a row whose cells could not be read is not read further (its cells'
/// problems say why).
fn read_row(
    layout: &columns::Layout,
    line: usize,
    value: Value,
    problems: &mut Vec<ImportError>,
) -> Option<Planned> {
    let already = problems.iter().any(|problem| problem.line == line);
    match Planned::read(layout.kind, value) {
        Ok(record) if !already => Some(record),
        Ok(_) => None,
        Err(_) if already => None,
        Err((pointer, detail_en)) => {
            problems.push(layout.problem(
                line,
                &pointer,
                "この欄の値を読めません。選べる値か形式を確かめてください",
                detail_en,
            ));
            None
        }
    }
}
