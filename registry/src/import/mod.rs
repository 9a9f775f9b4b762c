//! Bulk import: spreadsheets (CSV in UTF-8 or Shift_JIS) and the Tokyo registry's open-data JSON.
//! Each format turns its input into [`ImportRecord`]s and the problems it met reading them;
//! [`Registry::import`] then validates every record and plans the whole import from reads alone,
//! reporting every problem of every line at once. Only a real import that found none enters a
//! write transaction, and only to write: on SQLite the writer lane is held for the write phase,
//! never for parsing, validation or a dry run.

pub mod csv_format;
mod problems;
pub mod tokyo;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use kosodate_domain::{CalendarDate, ProgramId, Vocabulary};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
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

/// What a file held: the records that could be read, and the problems of the lines that could
/// not. Validation reports the problems of the records later, so that an import names every
/// problem of every line at once.
#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    pub records: Vec<ImportRecord>,
    pub problems: Vec<ImportError>,
}

impl From<Vec<ImportRecord>> for ParsedFile {
    fn from(records: Vec<ImportRecord>) -> Self {
        Self {
            records,
            problems: Vec::new(),
        }
    }
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

impl ImportReport {
    fn new(dry_run: bool, items: Vec<ImportItem>) -> Self {
        let count = |action| items.iter().filter(|item| item.action == action).count();
        Self {
            dry_run,
            created: count(ImportAction::Create),
            updated: count(ImportAction::Update),
            unchanged: count(ImportAction::Unchanged),
            items,
        }
    }
}

/// A record that passed validation.
#[derive(Debug, Clone)]
struct ValidRecord {
    line: usize,
    id: Option<ProgramId>,
    status: Option<ProgramStatus>,
    content: ProgramContent,
}

/// Validates every record, adding the problems of those that fail to `problems`.
fn validate_all(records: Vec<ImportRecord>, problems: &mut Vec<ImportError>) -> Vec<ValidRecord> {
    let mut valid = Vec::with_capacity(records.len());
    for record in records {
        match record.input.validate() {
            Ok(content) => valid.push(ValidRecord {
                line: record.line,
                id: record.id,
                status: record.status,
                content,
            }),
            Err(errors) => problems.extend(
                errors
                    .0
                    .into_iter()
                    .map(|e| ImportError::new(record.line, e.pointer, e.detail, e.detail_en)),
            ),
        }
    }
    valid
}

/// Whether the plan keeps the history entries it would write: a dry run writes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    History,
    ProgramsOnly,
}

impl Registry {
    /// Validates and applies a parsed file, all or nothing. Any problem in any line (reading it,
    /// validating it, or applying it to what is stored) refuses the whole import, and every
    /// problem is reported, in line order. A dry run, and everything before the write of a real
    /// one, only reads. The programs concerned are read once and written in multi-row statements,
    /// so a large import costs a handful of round trips per 500 programs.
    pub async fn import(
        &self,
        actor: &StaffIdentity,
        file: impl Into<ParsedFile>,
        dry_run: bool,
        mut progress: impl FnMut(usize),
    ) -> Result<ImportReport, RegistryError> {
        let ParsedFile {
            records,
            mut problems,
        } = file.into();
        let valid = validate_all(records, &mut problems);
        let referenced = Referenced::by(&valid);
        let now = Utc::now();
        let db = self.connection();
        if dry_run {
            // Nothing will be planned again: the records move into the plan.
            let records = valid.into_iter();
            let planned = ImportPlan::make(
                db,
                actor,
                &referenced,
                records,
                Keep::ProgramsOnly,
                now,
                &mut progress,
            )
            .await?;
            problems.extend(planned.problems);
            refuse_any(problems)?;
            return Ok(ImportReport::new(true, planned.items));
        }
        let records = valid.iter().cloned();
        let mut planned =
            ImportPlan::make(db, actor, &referenced, records, Keep::History, now, &mut progress).await?;
        problems.append(&mut planned.problems);
        refuse_any(problems)?;
        self.write_plan(actor, planned, &valid, &referenced, now, &mut progress)
            .await
    }

    /// The write phase: the only part of an import that holds the writer lane. Should the
    /// programs the plan was made from have changed since it read them, it is made again inside
    /// the transaction, where nothing can change them.
    async fn write_plan(
        &self,
        actor: &StaffIdentity,
        planned: Planned,
        valid: &[ValidRecord],
        referenced: &Referenced,
        now: DateTime<Utc>,
        progress: &mut impl FnMut(usize),
    ) -> Result<ImportReport, RegistryError> {
        let txn = kosodate_database::begin_write(self.connection()).await?;
        let planned = match planned.plan.is_current(&txn, referenced).await? {
            true => planned,
            false => {
                let records = valid.iter().cloned();
                let again =
                    ImportPlan::make(&txn, actor, referenced, records, Keep::History, now, progress).await?;
                if let Err(refused) = refuse_any(again.problems) {
                    txn.rollback().await?;
                    return Err(refused);
                }
                Planned {
                    problems: Vec::new(),
                    ..again
                }
            }
        };
        planned.plan.write(&txn, actor).await?;
        txn.commit().await?;
        Ok(ImportReport::new(false, planned.items))
    }
}

/// Every problem found, in line order, as the refusal of the whole import.
fn refuse_any(mut problems: Vec<ImportError>) -> Result<(), RegistryError> {
    if problems.is_empty() {
        return Ok(());
    }
    // Stable: the problems of one line stay in the order the line's fields were read.
    problems.sort_by_key(|problem| problem.line);
    Err(ImportErrors(problems).into())
}

/// A plan with what it will do to each record, and what stops it.
struct Planned {
    plan: ImportPlan,
    items: Vec<ImportItem>,
    problems: Vec<ImportError>,
}

/// The programs an import touches, as they will be after it, and the history it will record.
#[derive(Debug)]
struct ImportPlan {
    keep: Keep,
    known_municipalities: HashSet<String>,
    programs: HashMap<ProgramId, Program>,
    by_name: HashMap<(String, String), ProgramId>,
    /// Versions as stored before the import, for optimistic locking of updates.
    stored_versions: HashMap<ProgramId, i32>,
    created: Vec<ProgramId>,
    /// Stored programs that change, in the order the file first changes them.
    changed: Vec<ProgramId>,
    changed_set: HashSet<ProgramId>,
    entries: Vec<VersionEntry>,
    lines: HashMap<ProgramId, usize>,
}

/// The stored programs a file may refer to: those of the owners in the file, and those it names
/// by id.
#[derive(Debug)]
struct Referenced {
    owners: HashSet<String>,
    ids: Vec<String>,
}

impl Referenced {
    fn by(valid: &[ValidRecord]) -> Self {
        Self {
            owners: valid.iter().map(|record| record.content.owner.as_key()).collect(),
            ids: valid
                .iter()
                .filter_map(|record| record.id)
                .map(|id| id.to_string())
                .collect(),
        }
    }
}

/// Ids per `IN (…)` list, well under SQLite's bound-parameter limit.
const ID_CHUNK: usize = 500;
/// Stored programs read per query while planning.
const LOAD_PAGE: u64 = 1_000;

impl ImportPlan {
    /// Reads what the records refer to and applies every record to it, in memory. The records
    /// are taken one by one, so that a dry run hands over each program rather than copying it.
    async fn make(
        db: &impl ConnectionTrait,
        actor: &StaffIdentity,
        referenced: &Referenced,
        records: impl ExactSizeIterator<Item = ValidRecord>,
        keep: Keep,
        now: DateTime<Utc>,
        progress: &mut impl FnMut(usize),
    ) -> Result<Planned, RegistryError> {
        let mut plan = Self::load(db, referenced, keep).await?;
        let mut items = Vec::with_capacity(records.len());
        let mut problems = Vec::new();
        for (index, record) in records.enumerate() {
            progress(index + 1);
            match plan.apply(actor, record, now) {
                Ok(item) => items.push(item),
                Err(RecordError::Refused(mut refused)) => problems.append(&mut refused),
                Err(RecordError::Fatal(error)) => return Err(error),
            }
        }
        Ok(Planned {
            plan,
            items,
            problems,
        })
    }

    async fn load(
        db: &impl ConnectionTrait,
        referenced: &Referenced,
        keep: Keep,
    ) -> Result<Self, RegistryError> {
        let known_municipalities = municipality::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|row| row.code)
            .collect();
        let mut plan = Self {
            keep,
            known_municipalities,
            programs: HashMap::new(),
            by_name: HashMap::new(),
            stored_versions: HashMap::new(),
            created: Vec::new(),
            changed: Vec::new(),
            changed_set: HashSet::new(),
            entries: Vec::new(),
            lines: HashMap::new(),
        };
        // A page at a time, owner by owner in the order of the (owner, name) index: 100,000 rows
        // with their JSON columns would hold several times the memory of the programs made from
        // them.
        for owner in &referenced.owners {
            let mut after: Option<String> = None;
            loop {
                let mut page = program::Entity::find()
                    .filter(program::Column::OwnerCode.eq(owner.as_str()))
                    .order_by_asc(program::Column::Name)
                    .limit(LOAD_PAGE);
                if let Some(after) = &after {
                    page = page.filter(program::Column::Name.gt(after.as_str()));
                }
                let rows = page.all(db).await?;
                let full = rows.len() as u64 == LOAD_PAGE;
                after = rows.last().map(|row| row.name.clone());
                plan.add_stored(rows)?;
                if !full {
                    break;
                }
            }
        }
        for chunk in referenced.ids.chunks(ID_CHUNK) {
            let rows = program::Entity::find()
                .filter(program::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?;
            plan.add_stored(rows)?;
        }
        Ok(plan)
    }

    fn add_stored(&mut self, rows: Vec<program::Model>) -> Result<(), RegistryError> {
        for row in rows {
            let program = store::program_from_row(row)?;
            self.stored_versions.insert(program.id, program.version);
            self.by_name.insert(name_key(&program), program.id);
            self.programs.insert(program.id, program);
        }
        Ok(())
    }

    /// Whether the programs the plan was made from are still stored as they were: the same ids
    /// at the same versions, for the owners in the file and the ids it names.
    async fn is_current(
        &self,
        db: &impl ConnectionTrait,
        referenced: &Referenced,
    ) -> Result<bool, RegistryError> {
        let mut stored: Vec<(String, i32)> = program::Entity::find()
            .select_only()
            .columns([program::Column::Id, program::Column::Version])
            .filter(program::Column::OwnerCode.is_in(referenced.owners.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        for chunk in referenced.ids.chunks(ID_CHUNK) {
            stored.extend(
                program::Entity::find()
                    .select_only()
                    .columns([program::Column::Id, program::Column::Version])
                    .filter(program::Column::Id.is_in(chunk.to_vec()))
                    .into_tuple::<(String, i32)>()
                    .all(db)
                    .await?,
            );
        }
        let now: HashMap<String, i32> = stored.into_iter().collect();
        let then = &self.stored_versions;
        Ok(now.len() == then.len()
            && then
                .iter()
                .all(|(id, version)| now.get(&id.to_string()) == Some(version)))
    }

    fn apply(
        &mut self,
        actor: &StaffIdentity,
        record: ValidRecord,
        now: DateTime<Utc>,
    ) -> Result<ImportItem, RecordError> {
        let line = record.line;
        let refuse = |error| RecordError::from_registry(line, error);
        let content = record.content;
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
        self.created.push(id);
        self.record(entry);
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

    /// Makes `entry`'s snapshot the program's planned state, keeping the entry only when the
    /// plan will be written (a dry run of 100,000 rows would otherwise hold every snapshot twice).
    fn record(&mut self, entry: VersionEntry) {
        let id = entry.snapshot.id;
        if self.stored_versions.contains_key(&id) && self.changed_set.insert(id) {
            self.changed.push(id);
        }
        match self.keep {
            Keep::History => {
                self.programs.insert(id, entry.snapshot.clone());
                self.entries.push(entry);
            }
            Keep::ProgramsOnly => {
                self.programs.insert(id, entry.snapshot);
            }
        }
    }

    async fn write(&self, db: &impl ConnectionTrait, actor: &StaffIdentity) -> Result<(), RegistryError> {
        debug_assert_eq!(self.keep, Keep::History, "a dry run's plan is never written");
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
        store::insert_versions(db, actor, &self.entries).await?;
        for id in &self.changed {
            let program = &self.programs[id];
            crate::freshness::flags::after_change(db, program, program.updated_at).await?;
        }
        Ok(())
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
