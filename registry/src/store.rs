//! Reading and writing programs. Every write is one transaction that updates the program, its
//! category index and appends a version, so history and current state never disagree.

use std::sync::{Arc, OnceLock};

use chrono::Utc;
use kosodate_domain::Vocabulary;
use kosodate_domain::{MunicipalityCode, ProgramId};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;

use crate::authz::StaffIdentity;
use crate::changes::{self, VersionEntry, to_json};
use crate::entity::{municipality, program, program_category, program_version};
use crate::error::RegistryError;
use crate::model::{
    Category, Municipality, Program, ProgramAction, ProgramContent, ProgramInput, ProgramOwner,
    ProgramStatus, ProgramVersion,
};
use crate::page::{Page, PageRequest};
use crate::validation::{FieldError, ValidationErrors};

/// Which programs a list returns.
#[derive(Debug, Clone, Default)]
pub struct ProgramFilter {
    /// Programs run by exactly this owner.
    pub owner: Option<ProgramOwner>,
    /// Programs that apply to residents of this municipality: its own, the prefecture's and the
    /// national ones.
    pub applies_to: Option<MunicipalityCode>,
    pub category: Option<Category>,
    /// Programs of this 制度類型 (a catalogue key).
    pub program_type: Option<String>,
    pub status: Option<ProgramStatus>,
}

/// Whether drafts and archived programs may be seen. The public sees published programs only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Staff,
}

/// The registry's data access. Cheap to clone: it holds a connection pool.
#[derive(Debug, Clone)]
pub struct Registry {
    pub(crate) db: DatabaseConnection,
    /// The municipality list once read (`municipalities.rs`), shared by every clone.
    pub(crate) municipalities: Arc<OnceLock<Arc<[Municipality]>>>,
}

impl Registry {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            municipalities: Arc::default(),
        }
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn list_programs(
        &self,
        filter: &ProgramFilter,
        visibility: Visibility,
        page: &PageRequest,
    ) -> Result<Page<Program>, RegistryError> {
        let limit = page.limit();
        let items = self
            .programs_page(filter, visibility, page.after()?, limit + 1)
            .await?;
        Ok(Page::from_overfetch(items, limit, |p| p.id.to_string()))
    }

    /// Up to `limit` programs matching `filter` after the program `after`, in id order: how an
    /// export reads the registry a page at a time.
    pub async fn programs_after(
        &self,
        filter: &ProgramFilter,
        visibility: Visibility,
        after: Option<ProgramId>,
        limit: u64,
    ) -> Result<Vec<Program>, RegistryError> {
        self.programs_page(filter, visibility, after.map(|id| id.to_string()), limit)
            .await
    }

    async fn programs_page(
        &self,
        filter: &ProgramFilter,
        visibility: Visibility,
        after: Option<String>,
        limit: u64,
    ) -> Result<Vec<Program>, RegistryError> {
        let mut query = filtered_programs(filter, visibility).order_by_asc(program::Column::Id);
        if let Some(after) = after {
            query = query.filter(program::Column::Id.gt(after));
        }
        let rows = query.limit(limit).all(&self.db).await?;
        rows.into_iter().map(program_from_row).collect()
    }

    /// Every program matching `filter`, in id order: for exports.
    pub async fn all_programs(
        &self,
        filter: &ProgramFilter,
        visibility: Visibility,
    ) -> Result<Vec<Program>, RegistryError> {
        let rows = filtered_programs(filter, visibility)
            .order_by_asc(program::Column::Id)
            .all(&self.db)
            .await?;
        rows.into_iter().map(program_from_row).collect()
    }

    pub async fn count_programs(&self) -> Result<u64, RegistryError> {
        Ok(program::Entity::find().count(&self.db).await?)
    }

    pub async fn program(&self, id: ProgramId, visibility: Visibility) -> Result<Program, RegistryError> {
        let program = load(&self.db, id).await?;
        match visibility == Visibility::Staff || program.status == ProgramStatus::Published {
            true => Ok(program),
            false => Err(RegistryError::ProgramNotFound(id)),
        }
    }

    pub async fn create_program(
        &self,
        actor: &StaffIdentity,
        input: &ProgramInput,
    ) -> Result<Program, RegistryError> {
        let content = input.validate()?;
        let txn = kosodate_database::begin_write(&self.db).await?;
        let program = create_in(&txn, actor, content, ProgramId::new()).await?;
        txn.commit().await?;
        Ok(program)
    }

    /// Replaces a program's content. With `expected_version`, refuses when somebody else changed
    /// it meanwhile. Submitting the current content again records nothing.
    pub async fn update_program(
        &self,
        actor: &StaffIdentity,
        id: ProgramId,
        input: &ProgramInput,
        expected_version: Option<i32>,
    ) -> Result<Program, RegistryError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let current = load_for_update(&txn, id).await?;
        authorize(actor, &current.content.owner)?;
        if let Some(expected) = expected_version.filter(|expected| *expected != current.version) {
            return Err(RegistryError::VersionMismatch {
                expected,
                current: current.version,
            });
        }
        let content = input.validate()?;
        let program = update_in(&txn, actor, current, content).await?;
        txn.commit().await?;
        Ok(program)
    }

    pub async fn publish_program(
        &self,
        actor: &StaffIdentity,
        id: ProgramId,
    ) -> Result<Program, RegistryError> {
        self.transition(actor, id, ProgramStatus::Published).await
    }

    pub async fn archive_program(
        &self,
        actor: &StaffIdentity,
        id: ProgramId,
    ) -> Result<Program, RegistryError> {
        self.transition(actor, id, ProgramStatus::Archived).await
    }

    async fn transition(
        &self,
        actor: &StaffIdentity,
        id: ProgramId,
        target: ProgramStatus,
    ) -> Result<Program, RegistryError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let current = load_for_update(&txn, id).await?;
        authorize(actor, &current.content.owner)?;
        if target == ProgramStatus::Published && current.status != ProgramStatus::Published {
            crate::publication::check_publication(&txn, actor, &current).await?;
        }
        let program = transition_in(&txn, actor, current, target).await?;
        txn.commit().await?;
        Ok(program)
    }

    pub async fn history(
        &self,
        id: ProgramId,
        page: &PageRequest,
    ) -> Result<Page<ProgramVersion>, RegistryError> {
        load(&self.db, id).await?;
        let limit = page.limit();
        let mut query = program_version::Entity::find()
            .filter(program_version::Column::ProgramId.eq(id.to_string()))
            .order_by_asc(program_version::Column::Version);
        if let Some(after) = page.after()? {
            let after: i32 = after.parse().map_err(|_| crate::page::InvalidCursor)?;
            query = query.filter(program_version::Column::Version.gt(after));
        }
        let rows = query.limit(limit + 1).all(&self.db).await?;
        let items = rows
            .into_iter()
            .map(version_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, limit, |v| v.version.to_string()))
    }
}

fn filtered_programs(filter: &ProgramFilter, visibility: Visibility) -> sea_orm::Select<program::Entity> {
    let mut query = program::Entity::find();
    let status = match visibility {
        Visibility::Public => Some(ProgramStatus::Published),
        Visibility::Staff => filter.status,
    };
    if let Some(status) = status {
        query = query.filter(program::Column::Status.eq(status.id()));
    }
    if let Some(owner) = &filter.owner {
        query = query.filter(program::Column::OwnerCode.eq(owner.as_key()));
    }
    if let Some(code) = filter.applies_to {
        let owners = [
            ProgramOwner::National.as_key(),
            ProgramOwner::Local(code.prefecture()).as_key(),
            ProgramOwner::Local(code).as_key(),
        ];
        query = query.filter(program::Column::OwnerCode.is_in(owners));
    }
    if let Some(program_type) = &filter.program_type {
        query = query.filter(program::Column::ProgramType.eq(program_type.clone()));
    }
    if let Some(category) = filter.category {
        query = query.filter(
            program::Column::Id.in_subquery(
                Query::select()
                    .column(program_category::Column::ProgramId)
                    .from(program_category::Entity)
                    .and_where(program_category::Column::Category.eq(category.id()))
                    .to_owned(),
            ),
        );
    }
    query
}

pub(crate) fn authorize(actor: &StaffIdentity, owner: &ProgramOwner) -> Result<(), RegistryError> {
    match actor.permits(crate::authz::StaffAction::WriteProgram(owner)) {
        true => Ok(()),
        false => Err(RegistryError::Forbidden {
            actor: actor.name.clone(),
            owner: *owner,
        }),
    }
}

pub(crate) async fn load(db: &impl ConnectionTrait, id: ProgramId) -> Result<Program, RegistryError> {
    load_one(db, id, program::Entity::find_by_id(id.to_string())).await
}

/// Loads a program inside a write transaction and holds its row until the transaction ends, so
/// two staff saving the same program at once wait for each other instead of the second failing
/// the version check it never asked for (`If-Match: *`). PostgreSQL takes the row lock
/// (`FOR UPDATE`); SQLite ignores the clause and is already serialised by its write lane.
pub(crate) async fn load_for_update(
    txn: &impl ConnectionTrait,
    id: ProgramId,
) -> Result<Program, RegistryError> {
    load_one(
        txn,
        id,
        program::Entity::find_by_id(id.to_string()).lock_exclusive(),
    )
    .await
}

async fn load_one(
    db: &impl ConnectionTrait,
    id: ProgramId,
    query: sea_orm::Select<program::Entity>,
) -> Result<Program, RegistryError> {
    query
        .one(db)
        .await?
        .map(program_from_row)
        .transpose()?
        .ok_or(RegistryError::ProgramNotFound(id))
}

/// The owner must be the nation, the prefecture or one of its municipalities.
async fn check_owner_exists(db: &impl ConnectionTrait, owner: &ProgramOwner) -> Result<(), RegistryError> {
    let ProgramOwner::Local(code) = owner else {
        return Ok(());
    };
    match municipality::Entity::find_by_id(code.to_string()).one(db).await? {
        Some(_) => Ok(()),
        None => Err(unknown_owner(*code)),
    }
}

pub(crate) fn unknown_owner(code: MunicipalityCode) -> RegistryError {
    ValidationErrors(vec![FieldError::new(
        "/owner",
        format!("地方公共団体コード {code} は青森県または県内の市町村ではありません"),
        format!("{code} is neither the prefecture nor one of its municipalities"),
    )])
    .into()
}

async fn check_name_free(
    db: &impl ConnectionTrait,
    content: &ProgramContent,
    except: Option<ProgramId>,
) -> Result<(), RegistryError> {
    let mut query = program::Entity::find()
        .filter(program::Column::OwnerCode.eq(content.owner.as_key()))
        .filter(program::Column::Name.eq(content.name.clone()));
    if let Some(id) = except {
        query = query.filter(program::Column::Id.ne(id.to_string()));
    }
    match query.count(db).await? {
        0 => Ok(()),
        _ => Err(name_taken(content)),
    }
}

pub(crate) fn name_taken(content: &ProgramContent) -> RegistryError {
    ValidationErrors(vec![FieldError::new(
        "/name",
        format!("同じ実施主体に「{}」という制度がすでにあります", content.name),
        format!("{} already has a program named {:?}", content.owner, content.name),
    )])
    .into()
}

pub(crate) async fn create_in(
    db: &impl ConnectionTrait,
    actor: &StaffIdentity,
    content: ProgramContent,
    id: ProgramId,
) -> Result<Program, RegistryError> {
    authorize(actor, &content.owner)?;
    check_owner_exists(db, &content.owner).await?;
    check_name_free(db, &content, None).await?;
    let entry = changes::created(content, id, Utc::now())?;
    insert_programs(db, &[&entry.snapshot]).await?;
    replace_categories(db, &[&entry.snapshot]).await?;
    insert_versions(db, actor, std::slice::from_ref(&entry)).await?;
    Ok(entry.snapshot)
}

pub(crate) async fn update_in(
    db: &impl ConnectionTrait,
    actor: &StaffIdentity,
    current: Program,
    content: ProgramContent,
) -> Result<Program, RegistryError> {
    let Some(entry) = changes::updated(&current, content, Utc::now())? else {
        return Ok(current);
    };
    check_name_free(db, &entry.snapshot.content, Some(current.id)).await?;
    save_versioned(db, &entry.snapshot, current.version).await?;
    replace_categories(db, &[&entry.snapshot]).await?;
    insert_versions(db, actor, std::slice::from_ref(&entry)).await?;
    crate::freshness::flags::after_change(db, &entry.snapshot, entry.snapshot.updated_at).await?;
    Ok(entry.snapshot)
}

pub(crate) async fn transition_in(
    db: &impl ConnectionTrait,
    actor: &StaffIdentity,
    current: Program,
    status: ProgramStatus,
) -> Result<Program, RegistryError> {
    let entry = changes::transitioned(&current, status, Utc::now())?;
    save_versioned(db, &entry.snapshot, current.version).await?;
    insert_versions(db, actor, std::slice::from_ref(&entry)).await?;
    Ok(entry.snapshot)
}

/// Rows per multi-row INSERT: well under SQLite's 32,766 bound parameters for the widest table.
const INSERT_CHUNK: usize = 500;

pub(crate) async fn insert_programs(
    db: &impl ConnectionTrait,
    programs: &[&Program],
) -> Result<(), RegistryError> {
    for chunk in programs.chunks(INSERT_CHUNK) {
        let rows = chunk
            .iter()
            .map(|program| row_from_program(program))
            .collect::<Result<Vec<_>, _>>()?;
        program::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Writes the new state only if nobody wrote a version in between (optimistic locking).
pub(crate) async fn save_versioned(
    db: &impl ConnectionTrait,
    program: &Program,
    previous_version: i32,
) -> Result<(), RegistryError> {
    let row = row_from_program(program)?;
    let result = program::Entity::update_many()
        .set(row)
        .filter(program::Column::Id.eq(program.id.to_string()))
        .filter(program::Column::Version.eq(previous_version))
        .exec(db)
        .await?;
    match result.rows_affected {
        1 => Ok(()),
        _ => Err(RegistryError::VersionMismatch {
            expected: previous_version,
            current: load(db, program.id).await?.version,
        }),
    }
}

/// Makes the category index match the programs' categories.
pub(crate) async fn replace_categories(
    db: &impl ConnectionTrait,
    programs: &[&Program],
) -> Result<(), RegistryError> {
    for chunk in programs.chunks(INSERT_CHUNK) {
        program_category::Entity::delete_many()
            .filter(program_category::Column::ProgramId.is_in(chunk.iter().map(|p| p.id.to_string())))
            .exec(db)
            .await?;
        let rows: Vec<_> = chunk
            .iter()
            .flat_map(|program| {
                let id = program.id.to_string();
                program
                    .content
                    .categories
                    .iter()
                    .map(move |category| program_category::ActiveModel {
                        program_id: Set(id.clone()),
                        category: Set(category.id().to_owned()),
                    })
            })
            .collect();
        program_category::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub(crate) async fn insert_versions(
    db: &impl ConnectionTrait,
    actor: &StaffIdentity,
    entries: &[VersionEntry],
) -> Result<(), RegistryError> {
    for chunk in entries.chunks(INSERT_CHUNK) {
        let rows = chunk
            .iter()
            .map(|entry| {
                Ok(program_version::ActiveModel {
                    program_id: Set(entry.snapshot.id.to_string()),
                    version: Set(entry.snapshot.version),
                    action: Set(entry.action.id().to_owned()),
                    actor: Set(actor.name.clone()),
                    changes: Set(to_json(&entry.changes)?),
                    snapshot: Set(to_json(&entry.snapshot)?),
                    recorded_at: Set(entry.snapshot.updated_at),
                })
            })
            .collect::<Result<Vec<_>, RegistryError>>()?;
        program_version::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

fn from_json<T: serde::de::DeserializeOwned>(column: &str, value: Value) -> Result<T, RegistryError> {
    serde_json::from_value(value).map_err(|error| RegistryError::Corrupt(format!("{column}: {error}")))
}

fn row_from_program(program: &Program) -> Result<program::ActiveModel, RegistryError> {
    let content = &program.content;
    Ok(program::ActiveModel {
        id: Set(program.id.to_string()),
        owner_code: Set(content.owner.as_key()),
        name: Set(content.name.clone()),
        short_name: Set(content.short_name.clone()),
        categories: Set(to_json(&content.categories)?),
        summary: Set(content.summary.clone()),
        description: Set(content.description.clone()),
        eligibility_summary: Set(content.eligibility_summary.clone()),
        eligibility: Set(content.eligibility.clone()),
        benefit_text: Set(content.benefit.description.clone()),
        benefit_amount_yen: Set(content
            .benefit
            .amount_yen
            .map(|amount| i64::try_from(amount).unwrap_or(i64::MAX))),
        application_window: Set(to_json(&content.application_window)?),
        application_methods: Set(to_json(&content.application_methods)?),
        documents: Set(to_json(&content.documents)?),
        contact: Set(to_json(&content.contact)?),
        source_url: Set(content.source_url.clone()),
        program_type: Set(content.program_type.clone()),
        status: Set(program.status.id().to_owned()),
        last_reviewed_on: Set(content.last_reviewed_on.map(Into::into)),
        version: Set(program.version),
        material_version: Set(program.material_version),
        review_cycle_months: Set(i16::try_from(content.review_cycle_months).unwrap_or(i16::MAX)),
        license: Set(content.license.clone()),
        created_at: Set(program.created_at),
        updated_at: Set(program.updated_at),
        published_at: Set(program.published_at),
        archived_at: Set(program.archived_at),
    })
}

pub(crate) fn program_from_row(row: program::Model) -> Result<Program, RegistryError> {
    let corrupt = |what: &str| RegistryError::Corrupt(format!("program {}: {what}", row.id));
    let id = ProgramId::parse(&row.id).map_err(|_| corrupt("id"))?;
    let owner = ProgramOwner::parse(&row.owner_code).map_err(|_| corrupt("owner_code"))?;
    let status = ProgramStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    Ok(Program {
        id,
        status,
        version: row.version,
        material_version: row.material_version,
        content: ProgramContent {
            owner,
            name: row.name,
            short_name: row.short_name,
            categories: from_json("categories", row.categories)?,
            summary: row.summary,
            description: row.description,
            eligibility_summary: row.eligibility_summary,
            eligibility: row.eligibility,
            benefit: crate::model::Benefit {
                description: row.benefit_text,
                amount_yen: row
                    .benefit_amount_yen
                    .and_then(|amount| u64::try_from(amount).ok()),
            },
            application_window: from_json("application_window", row.application_window)?,
            application_methods: from_json("application_methods", row.application_methods)?,
            documents: from_json("documents", row.documents)?,
            contact: from_json("contact", row.contact)?,
            source_url: row.source_url,
            program_type: row.program_type,
            last_reviewed_on: row
                .last_reviewed_on
                .map(kosodate_domain::CalendarDate::try_from)
                .transpose()
                .map_err(|_| corrupt("last_reviewed_on"))?,
            review_cycle_months: u16::try_from(row.review_cycle_months)
                .map_err(|_| corrupt("review_cycle_months"))?,
            license: row.license,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
        published_at: row.published_at,
        archived_at: row.archived_at,
    })
}

fn version_from_row(row: program_version::Model) -> Result<ProgramVersion, RegistryError> {
    let corrupt = |what: &str| {
        RegistryError::Corrupt(format!(
            "program version {} {}: {what}",
            row.program_id, row.version
        ))
    };
    Ok(ProgramVersion {
        program_id: ProgramId::parse(&row.program_id).map_err(|_| corrupt("program_id"))?,
        version: row.version,
        action: ProgramAction::parse(&row.action).ok_or_else(|| corrupt("action"))?,
        actor: row.actor,
        changes: from_json("changes", row.changes)?,
        recorded_at: row.recorded_at,
        snapshot: from_json("snapshot", row.snapshot)?,
    })
}
