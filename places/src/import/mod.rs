//! Bulk import of places and events from a spreadsheet (CSV in UTF-8 or Shift_JIS, or Excel
//! .xlsx), in the registry's manner: every problem of every line at once, named by line and
//! column letter with the column's header, and all or nothing: a file with any problem writes
//! nothing, and a dry run only says what would be done. Each row becomes the same `PlaceInput`
//! or `EventInput` the API takes and goes through the same validation.
//!
//! Importing a file again updates what it created instead of making every row twice: a row is
//! the record of its owner with the same place name (names are unique per owner anyway), or the
//! same event title on the same first day among the events not archived. Such a record is
//! replaced by the row when they differ, keeping its status, and left alone when they do not.

mod cells;
mod columns;
mod sheet;
mod write;

use std::collections::HashMap;

use chrono::NaiveDate;
use kosodate_domain::MunicipalityCode;
use kosodate_registry::StaffIdentity;
use kosodate_registry::import::{ImportError, ImportErrors};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::PlacesError;
use crate::input::{EventInput, PlaceInput, span};
use crate::model::{EventContent, PlaceContent};
use crate::store::Places;

pub use columns::headers;
pub use sheet::Sheet;

/// What an import is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Places,
    Events,
}

/// What the import did (or, in a dry run, would do) with a row.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = PlaceImportedRow)]
pub struct ImportedRow {
    pub line: usize,
    /// The record's id; none for a record a dry run would create.
    pub id: Option<Uuid>,
    /// The record's version after the import, or in a dry run as it stands (none for a record a
    /// dry run would create): a check and its import agree only while nobody changed the record.
    pub version: Option<i32>,
    pub owner: String,
    /// The place's name or the event's title.
    pub name: String,
}

/// The rows of a file by what the import does with them: records created, records the row
/// replaced, and records that already were as the row says.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = PlaceImportReport)]
pub struct ImportReport {
    pub dry_run: bool,
    pub created: Vec<ImportedRow>,
    pub updated: Vec<ImportedRow>,
    pub unchanged: Vec<ImportedRow>,
}

/// A row read and checked, before its place name is resolved.
#[derive(Debug, Clone)]
enum Planned {
    Place(PlaceInput),
    Event(EventInput),
}

impl Planned {
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

    fn validate(&self) -> Result<Content, Vec<kosodate_registry::FieldError>> {
        let validated = match self {
            Self::Place(input) => input.validate().map(Content::Place),
            Self::Event(input) => input.validate().map(Content::Event),
        };
        validated.map_err(|errors| errors.0)
    }
}

/// A row's record as it would be stored.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    Place(PlaceContent),
    Event(EventContent),
}

impl Content {
    pub(crate) fn owner(&self) -> MunicipalityCode {
        match self {
            Self::Place(content) => content.owner,
            Self::Event(content) => content.owner,
        }
    }

    /// What makes a row the same record as a stored one (see the module's comment).
    fn key(&self) -> Option<RecordKey> {
        match self {
            Self::Place(content) => Some(RecordKey::Place {
                owner: content.owner.to_string(),
                name: content.name.clone(),
            }),
            Self::Event(content) => Some(RecordKey::Event {
                owner: content.owner.to_string(),
                title: content.title.clone(),
                first_date: span(&content.schedule)?.0.date(),
            }),
        }
    }

    pub(crate) fn describe(&self, line: usize, id: Option<Uuid>, version: Option<i32>) -> ImportedRow {
        let name = match self {
            Self::Place(content) => &content.name,
            Self::Event(content) => &content.title,
        };
        ImportedRow {
            line,
            id,
            version,
            owner: self.owner().to_string(),
            name: name.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RecordKey {
    Place {
        owner: String,
        name: String,
    },
    Event {
        owner: String,
        title: String,
        first_date: NaiveDate,
    },
}

/// A checked row and the stored record it is, if any.
#[derive(Debug, Clone)]
pub(crate) struct PlannedRow {
    pub(crate) line: usize,
    pub(crate) content: Content,
    pub(crate) existing: Option<Uuid>,
}

impl Places {
    /// Imports every row of `sheet` as a draft place or event, or as an update of the record it
    /// already is, or nothing when any row has a problem. An event names its place by the
    /// place's name (a place of the same owner).
    pub async fn import(
        &self,
        actor: &StaffIdentity,
        kind: ImportKind,
        sheet: &Sheet,
        dry_run: bool,
    ) -> Result<ImportReport, PlacesError> {
        let layout = columns::Layout::for_sheet(kind, sheet).map_err(PlacesError::Import)?;
        let places = self.place_ids_by_name().await?;
        let existing = match kind {
            ImportKind::Events => self.event_ids_by_key().await?,
            ImportKind::Places => places
                .iter()
                .map(|((owner, name), id)| {
                    let key = RecordKey::Place {
                        owner: owner.clone(),
                        name: name.clone(),
                    };
                    (key, vec![*id])
                })
                .collect(),
        };
        let mut problems = Vec::new();
        let mut lines_by_key = HashMap::new();
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
            let content = match record.validate() {
                Ok(content) => content,
                Err(invalid) => {
                    problems.extend(invalid.iter().map(|error| {
                        layout.problem(row.line, &error.pointer, &error.detail, error.detail_en.clone())
                    }));
                    continue;
                }
            };
            let key = content.key();
            let found = key.as_ref().and_then(|key| existing.get(key));
            let same_as = key.and_then(|key| lines_by_key.insert(key, row.line));
            if let Some(problem) = identity_problem(&layout, row.line, same_as, found) {
                problems.push(problem);
                continue;
            }
            planned.push(PlannedRow {
                line: row.line,
                content,
                existing: found.and_then(|ids| ids.first().copied()),
            });
        }
        if !problems.is_empty() {
            // In the order a person reads the sheet: by line, then left to right.
            problems.sort_by_key(|problem| {
                let column = problem.column.clone().unwrap_or_default();
                (problem.line, column.len(), column)
            });
            return Err(PlacesError::Import(ImportErrors(problems)));
        }
        self.write_planned(actor, planned, dry_run).await
    }
}

/// Why a row cannot say which record it is: an earlier line of the file is the same record, or
/// several stored events are.
fn identity_problem(
    layout: &columns::Layout,
    line: usize,
    same_as: Option<usize>,
    found: Option<&Vec<Uuid>>,
) -> Option<ImportError> {
    let (pointer, what, key_en) = match layout.kind {
        ImportKind::Places => ("/name", "施設", "name"),
        ImportKind::Events => ("/title", "イベント", "title and first day"),
    };
    if let Some(earlier) = same_as {
        let same = match layout.kind {
            ImportKind::Places => "名称",
            ImportKind::Events => "タイトルと開始日",
        };
        return Some(layout.problem(
            line,
            pointer,
            &format!("{earlier}行目と{same}が同じ{what}です。1行にまとめてください"),
            format!("line {earlier} has the same {key_en}"),
        ));
    }
    let count = found.map_or(0, Vec::len);
    (count > 1).then(|| {
        layout.problem(
            line,
            pointer,
            &format!(
                "タイトルと開始日が同じイベントがすでに{count}件あり、どれを更新するか決められません。\
                 不要なものをイベントの編集画面でアーカイブしてから取り込んでください"
            ),
            format!("{count} stored events have this {key_en}; archive the ones not wanted"),
        )
    })
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
