//! Bulk import: spreadsheets (CSV in UTF-8 or Shift_JIS) and the Tokyo registry's open-data JSON.
//! Each format turns its input into [`ImportRecord`]s; [`Registry::import`] then applies them in one
//! transaction, all or nothing. A dry run goes through exactly the same steps and rolls back, so
//! what it reports is what a real run would do.

pub mod csv_format;
pub mod tokyo;

use chrono::NaiveDate;
use kosodate_domain::ProgramId;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::Serialize;
use utoipa::ToSchema;

use crate::authz::StaffIdentity;
use crate::entity::program;
use crate::error::RegistryError;
use crate::model::{ProgramContent, ProgramInput, ProgramStatus};
use crate::store::{self, Registry};

/// One program read from an import file, before validation.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    /// The line (CSV) or array position counted from 1 (JSON) that errors name.
    pub line: usize,
    /// The registry id, when the file carries one (a re-import of an export).
    pub id: Option<ProgramId>,
    /// The status the program should end in; absent keeps the current status (new ones: draft).
    pub status: Option<ProgramStatus>,
    pub input: ProgramInput,
}

/// One problem in an import file: where (line and field or column) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportError {
    pub line: usize,
    /// The CSV column header or the JSON pointer of the field.
    pub field: String,
    pub detail: String,
    pub detail_en: String,
}

impl ImportError {
    pub fn new(
        line: usize,
        field: impl Into<String>,
        detail: impl Into<String>,
        detail_en: impl Into<String>,
    ) -> Self {
        Self {
            line,
            field: field.into(),
            detail: detail.into(),
            detail_en: detail_en.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("import refused: {} problem(s), first: line {} {}: {}", .0.len(), .0.first().map_or(0, |e| e.line), .0.first().map_or("", |e| e.field.as_str()), .0.first().map_or("", |e| e.detail_en.as_str()))]
pub struct ImportErrors(pub Vec<ImportError>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportAction {
    Create,
    Update,
    Unchanged,
}

/// What the import did (or, in a dry run, would do) with one record.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportItem {
    pub line: usize,
    pub action: ImportAction,
    #[schema(value_type = String, format = Uuid)]
    pub program_id: ProgramId,
    pub owner: String,
    pub name: String,
    /// The fields that change, status included.
    pub changed_fields: Vec<String>,
    pub status: ProgramStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub items: Vec<ImportItem>,
}

impl Registry {
    /// Applies `records` in one transaction. Any problem in any record refuses the whole import
    /// and reports every problem found; with `dry_run`, nothing is kept either way.
    pub async fn import(
        &self,
        actor: &StaffIdentity,
        records: Vec<ImportRecord>,
        dry_run: bool,
        mut progress: impl FnMut(usize),
    ) -> Result<ImportReport, RegistryError> {
        let txn = self.connection().begin().await?;
        let mut items = Vec::with_capacity(records.len());
        let mut errors = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for (index, record) in records.into_iter().enumerate() {
            progress(index + 1);
            let line = record.line;
            match apply_record(&txn, actor, record).await {
                Ok(item) => match seen.insert(item.program_id, line) {
                    Some(first) => errors.push(ImportError::new(
                        line,
                        "name",
                        format!("{first}行目と同じ制度です（同じ制度を2回取り込むことはできません）"),
                        format!("same program as line {first}"),
                    )),
                    None => items.push(item),
                },
                Err(RecordError::Refused(mut refused)) => errors.append(&mut refused),
                Err(RecordError::Fatal(error)) => return Err(error),
            }
        }
        if !errors.is_empty() {
            txn.rollback().await?;
            return Err(ImportErrors(errors).into());
        }
        match dry_run {
            true => txn.rollback().await?,
            false => txn.commit().await?,
        }
        let count = |action| {
            items
                .iter()
                .filter(|item: &&ImportItem| item.action == action)
                .count()
        };
        Ok(ImportReport {
            dry_run,
            created: count(ImportAction::Create),
            updated: count(ImportAction::Update),
            unchanged: count(ImportAction::Unchanged),
            items,
        })
    }
}

enum RecordError {
    /// The record is wrong; the import goes on collecting problems, then refuses.
    Refused(Vec<ImportError>),
    /// The database failed; nothing more can be learnt.
    Fatal(RegistryError),
}

impl RecordError {
    fn from_registry(line: usize, error: RegistryError) -> Self {
        match error {
            RegistryError::Invalid(invalid) => Self::Refused(
                invalid
                    .0
                    .into_iter()
                    .map(|e| ImportError::new(line, e.pointer, e.detail, e.detail_en))
                    .collect(),
            ),
            RegistryError::Forbidden { owner, .. } => Self::Refused(vec![ImportError::new(
                line,
                "/owner",
                format!("実施主体 {owner} の制度を変更する権限がありません"),
                format!("not allowed to change programs of {owner}"),
            )]),
            RegistryError::InvalidTransition { current, action } => Self::Refused(vec![ImportError::new(
                line,
                "status",
                format!(
                    "「{}」の制度の状態はこの取り込みでは変更できません",
                    current.label_ja()
                ),
                format!("cannot {action} a program that is {}", current.id()),
            )]),
            other => Self::Fatal(other),
        }
    }
}

async fn apply_record(
    db: &impl ConnectionTrait,
    actor: &StaffIdentity,
    record: ImportRecord,
) -> Result<ImportItem, RecordError> {
    let line = record.line;
    let refuse = |error| RecordError::from_registry(line, error);
    let content = record.input.validate().map_err(|e| refuse(e.into()))?;
    let existing = find_existing(db, record.id, &content).await.map_err(refuse)?;
    let (program, action, mut changed_fields) = match existing {
        None => {
            let id = record.id.unwrap_or_default();
            let program = store::create_in(db, actor, content, id).await.map_err(refuse)?;
            (program, ImportAction::Create, Vec::new())
        }
        Some(current) => {
            if !actor.may_write(&current.content.owner) {
                return Err(refuse(RegistryError::Forbidden {
                    actor: actor.name.clone(),
                    owner: current.content.owner,
                }));
            }
            let changes = store::diff(Some(&current.content), &content).map_err(refuse)?;
            let program = store::update_in(db, actor, current, content)
                .await
                .map_err(refuse)?;
            let action = match changes.is_empty() {
                true => ImportAction::Unchanged,
                false => ImportAction::Update,
            };
            (
                program,
                action,
                changes.into_iter().map(|change| change.field).collect(),
            )
        }
    };
    let program = match record.status.filter(|status| *status != program.status) {
        Some(target) => {
            changed_fields.push("status".into());
            store::transition_in(db, actor, program, target)
                .await
                .map_err(refuse)?
        }
        None => program,
    };
    let action = match (action, changed_fields.is_empty()) {
        (ImportAction::Unchanged, false) => ImportAction::Update,
        (action, _) => action,
    };
    Ok(ImportItem {
        line,
        action,
        program_id: program.id,
        owner: program.content.owner.as_key(),
        name: program.content.name.clone(),
        changed_fields,
        status: program.status,
    })
}

/// The program a record refers to: by id when it has one, else by owner and name, which is how
/// staff recognise their programs in a spreadsheet.
async fn find_existing(
    db: &impl ConnectionTrait,
    id: Option<ProgramId>,
    content: &ProgramContent,
) -> Result<Option<crate::model::Program>, RegistryError> {
    if let Some(id) = id {
        return match store::load(db, id).await {
            Ok(program) => Ok(Some(program)),
            Err(RegistryError::ProgramNotFound(_)) => Ok(None),
            Err(error) => Err(error),
        };
    }
    let row = program::Entity::find()
        .filter(program::Column::OwnerCode.eq(content.owner.as_key()))
        .filter(program::Column::Name.eq(content.name.clone()))
        .one(db)
        .await?;
    row.map(store::program_from_row).transpose()
}

/// Dates as spreadsheets and open data write them: 2026-04-01, 2026/4/1, 20260401.
pub fn parse_date_loose(input: &str) -> Option<NaiveDate> {
    let input = input.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(input, format).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_dates() {
        let expected = NaiveDate::from_ymd_opt(2026, 4, 1);
        for input in ["2026-04-01", "2026/4/1", "20260401", " 2026/04/01 "] {
            assert_eq!(parse_date_loose(input), expected, "{input}");
        }
        assert_eq!(parse_date_loose("随時"), None);
        assert_eq!(parse_date_loose("2026-02-30"), None);
    }
}
