//! Bulk import: spreadsheets (CSV in UTF-8 or Shift_JIS) and the Tokyo registry's open-data JSON.
//! Each format turns its input into [`ImportRecord`]s; [`Registry::import`] then applies them in one
//! transaction, all or nothing. A dry run goes through exactly the same steps and rolls back, so
//! what it reports is what a real run would do.

pub mod csv_format;
mod problems;
pub mod tokyo;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use kosodate_domain::{CalendarDate, ProgramId, Vocabulary};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use crate::authz::StaffIdentity;
use crate::changes::{self, VersionEntry};
use crate::entity::{municipality, program};
use crate::error::RegistryError;
use crate::model::{Program, ProgramContent, ProgramInput, ProgramOwner, ProgramStatus};
use crate::store::{self, Registry};

pub use problems::{ImportError, ImportErrors};

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
    /// and reports every problem found; with `dry_run`, nothing is kept either way. The programs
    /// concerned are read once and written in multi-row statements, so a large import costs a
    /// handful of round trips per 500 programs rather than several per program.
    pub async fn import(
        &self,
        actor: &StaffIdentity,
        records: Vec<ImportRecord>,
        dry_run: bool,
        mut progress: impl FnMut(usize),
    ) -> Result<ImportReport, RegistryError> {
        let txn = kosodate_database::begin_write(self.connection()).await?;
        let mut plan = ImportPlan::load(&txn, &records).await?;
        let now = Utc::now();
        let mut items = Vec::with_capacity(records.len());
        let mut errors = Vec::new();
        for (index, record) in records.into_iter().enumerate() {
            progress(index + 1);
            match plan.apply(actor, &record, now) {
                Ok(item) => items.push(item),
                Err(RecordError::Refused(mut refused)) => errors.append(&mut refused),
                Err(RecordError::Fatal(error)) => return Err(error),
            }
        }
        if !errors.is_empty() {
            txn.rollback().await?;
            return Err(ImportErrors(errors).into());
        }
        plan.write(&txn, actor).await?;
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

/// The programs an import touches, as they will be after it, and the history it will record.
#[derive(Debug, Default)]
struct ImportPlan {
    known_municipalities: HashSet<String>,
    programs: HashMap<ProgramId, Program>,
    by_name: HashMap<(String, String), ProgramId>,
    /// Versions as stored before the import, for optimistic locking of updates.
    stored_versions: HashMap<ProgramId, i32>,
    created: Vec<ProgramId>,
    changed: Vec<ProgramId>,
    entries: Vec<VersionEntry>,
    lines: HashMap<ProgramId, usize>,
}

impl ImportPlan {
    /// Reads the municipality list and every stored program the records may refer to: those of
    /// the owners in the file, and those named by id.
    async fn load(db: &impl ConnectionTrait, records: &[ImportRecord]) -> Result<Self, RegistryError> {
        let known_municipalities = municipality::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|row| row.code)
            .collect();
        let owners: HashSet<String> = records
            .iter()
            .filter_map(|record| ProgramOwner::parse(&record.input.owner).ok())
            .map(|owner| owner.as_key())
            .collect();
        let ids: Vec<String> = records
            .iter()
            .filter_map(|r| r.id)
            .map(|id| id.to_string())
            .collect();
        let mut rows = program::Entity::find()
            .filter(program::Column::OwnerCode.is_in(owners))
            .all(db)
            .await?;
        for chunk in ids.chunks(500) {
            rows.extend(
                program::Entity::find()
                    .filter(program::Column::Id.is_in(chunk.to_vec()))
                    .all(db)
                    .await?,
            );
        }
        let mut plan = Self {
            known_municipalities,
            ..Self::default()
        };
        for row in rows {
            let program = store::program_from_row(row)?;
            plan.stored_versions.insert(program.id, program.version);
            plan.by_name.insert(name_key(&program), program.id);
            plan.programs.insert(program.id, program);
        }
        Ok(plan)
    }

    fn apply(
        &mut self,
        actor: &StaffIdentity,
        record: &ImportRecord,
        now: DateTime<Utc>,
    ) -> Result<ImportItem, RecordError> {
        let line = record.line;
        let refuse = |error| RecordError::from_registry(line, error);
        let content = record.input.validate().map_err(|e| refuse(e.into()))?;
        let existing = match record.id {
            Some(id) => self.programs.get(&id).map(|program| program.id),
            None => self
                .by_name
                .get(&(content.owner.as_key(), content.name.clone()))
                .copied(),
        };
        let (id, action, mut changed_fields) = match existing {
            None => (
                self.create(actor, content, record.id.unwrap_or_default(), now)
                    .map_err(refuse)?,
                ImportAction::Create,
                Vec::new(),
            ),
            Some(id) => {
                let fields = self.update(actor, id, content, now).map_err(refuse)?;
                let action = if fields.is_empty() {
                    ImportAction::Unchanged
                } else {
                    ImportAction::Update
                };
                (id, action, fields)
            }
        };
        if let Some(first) = self.lines.insert(id, line) {
            return Err(RecordError::Refused(vec![ImportError::new(
                line,
                "/name",
                format!("{first}行目と同じ制度です（同じ制度を2回取り込むことはできません）"),
                format!("same program as line {first}"),
            )]));
        }
        if let Some(target) = record.status
            && self.transition(id, target, now).map_err(refuse)?
        {
            changed_fields.push("status".into());
        }
        let program = &self.programs[&id];
        Ok(ImportItem {
            line,
            action: match (action, changed_fields.is_empty()) {
                (ImportAction::Unchanged, false) => ImportAction::Update,
                (action, _) => action,
            },
            program_id: id,
            owner: program.content.owner.as_key(),
            name: program.content.name.clone(),
            changed_fields,
            status: program.status,
        })
    }

    fn create(
        &mut self,
        actor: &StaffIdentity,
        content: ProgramContent,
        id: ProgramId,
        now: DateTime<Utc>,
    ) -> Result<ProgramId, RegistryError> {
        store::authorize(actor, &content.owner)?;
        if let ProgramOwner::Local(code) = content.owner
            && !self.known_municipalities.contains(code.as_str())
        {
            return Err(store::unknown_owner(code));
        }
        if self
            .by_name
            .contains_key(&(content.owner.as_key(), content.name.clone()))
        {
            return Err(store::name_taken(&content));
        }
        let entry = changes::created(content, id, now)?;
        self.by_name.insert(name_key(&entry.snapshot), id);
        self.programs.insert(id, entry.snapshot.clone());
        self.created.push(id);
        self.entries.push(entry);
        Ok(id)
    }

    /// Returns the fields that change (none when the record matches what is stored).
    fn update(
        &mut self,
        actor: &StaffIdentity,
        id: ProgramId,
        content: ProgramContent,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, RegistryError> {
        let current = &self.programs[&id];
        store::authorize(actor, &current.content.owner)?;
        let Some(entry) = changes::updated(current, content, now)? else {
            return Ok(Vec::new());
        };
        let new_key = name_key(&entry.snapshot);
        if self.by_name.get(&new_key).is_some_and(|other| *other != id) {
            return Err(store::name_taken(&entry.snapshot.content));
        }
        self.by_name.remove(&name_key(current));
        self.by_name.insert(new_key, id);
        let fields = entry.changes.iter().map(|change| change.field.clone()).collect();
        self.record(entry);
        Ok(fields)
    }

    /// Moves the program to `target` if it is not there already; true when it moved.
    fn transition(
        &mut self,
        id: ProgramId,
        target: ProgramStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, RegistryError> {
        let current = &self.programs[&id];
        if current.status == target {
            return Ok(false);
        }
        let entry = changes::transitioned(current, target, now)?;
        self.record(entry);
        Ok(true)
    }

    fn record(&mut self, entry: VersionEntry) {
        let id = entry.snapshot.id;
        if self.stored_versions.contains_key(&id) && !self.changed.contains(&id) {
            self.changed.push(id);
        }
        self.programs.insert(id, entry.snapshot.clone());
        self.entries.push(entry);
    }

    async fn write(&self, db: &impl ConnectionTrait, actor: &StaffIdentity) -> Result<(), RegistryError> {
        let created: Vec<&Program> = self.created.iter().map(|id| &self.programs[id]).collect();
        store::insert_programs(db, &created).await?;
        for id in &self.changed {
            store::save_versioned(db, &self.programs[id], self.stored_versions[id]).await?;
        }
        let touched: Vec<&Program> = self
            .created
            .iter()
            .chain(&self.changed)
            .map(|id| &self.programs[id])
            .collect();
        store::replace_categories(db, &touched).await?;
        store::insert_versions(db, actor, &self.entries).await
    }
}

fn name_key(program: &Program) -> (String, String) {
    (program.content.owner.as_key(), program.content.name.clone())
}

enum RecordError {
    /// The record is wrong; the import goes on collecting problems, then refuses.
    Refused(Vec<ImportError>),
    /// Something other than the record failed; nothing more can be learnt.
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

/// The non-empty, trimmed lines of a cell: how both formats write lists such as documents.
pub fn non_empty_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Dates as spreadsheets and open data write them: 2026-04-01, 2026/4/1, 20260401; within the
/// years every date of the registry lies in.
pub fn parse_date_loose(input: &str) -> Option<CalendarDate> {
    let input = input.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(input, format).ok())
        .and_then(|date| CalendarDate::try_from(date).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_dates() {
        let expected = CalendarDate::parse("2026-04-01").ok();
        for input in ["2026-04-01", "2026/4/1", "20260401", " 2026/04/01 "] {
            assert_eq!(parse_date_loose(input), expected, "{input}");
        }
        assert_eq!(parse_date_loose("随時"), None);
        assert_eq!(parse_date_loose("2026-02-30"), None);
        assert_eq!(parse_date_loose("1899/12/31"), None, "out of range");
    }
}
