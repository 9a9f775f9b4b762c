//! Programs to review because a national or prefecture program of the same type changed what it
//! gives (「国・県の制度が変更されました」). A flag names the changed program and its version, and
//! stays open until the flagged program is reviewed or changed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kosodate_domain::{ProgramId, Vocabulary};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entity::{program, program_review_flag};
use crate::error::RegistryError;
use crate::model::{Program, ProgramOwner, ProgramStatus};

/// An open flag on a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedChange {
    pub changed_program_id: ProgramId,
    pub changed_program_name: String,
    pub flagged_at: DateTime<Utc>,
}

/// Whether a change of `changed` is one municipal programs must look at: a national or
/// prefecture program whose latest version changed what a parent is told.
pub fn calls_for_related_review(changed: &Program) -> bool {
    let wide = changed.content.owner == ProgramOwner::National || changed.content.owner.is_prefecture();
    wide && changed.material_version == changed.version && changed.version > 1
}

/// Flags each of `related`, naming `changed`. Flagging the same version twice records it once.
async fn flag_related(
    db: &impl ConnectionTrait,
    changed: &Program,
    related: Vec<ProgramId>,
    now: DateTime<Utc>,
) -> Result<u64, RegistryError> {
    let mut flagged = 0;
    for id in related {
        let row = program_review_flag::ActiveModel {
            program_id: Set(id.to_string()),
            changed_program_id: Set(changed.id.to_string()),
            changed_version: Set(changed.version),
            flagged_at: Set(now),
            cleared_at: Set(None),
        };
        flagged += program_review_flag::Entity::insert(row)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(db)
            .await?;
    }
    Ok(flagged)
}

/// What a staff change of `program` means for review flags, in the transaction that wrote it:
/// its own flags are done (a changed program was looked at), and when it is a national or
/// prefecture program that changed what it gives, the municipal programs of its type are flagged.
pub(crate) async fn after_change(
    db: &impl ConnectionTrait,
    program: &Program,
    now: DateTime<Utc>,
) -> Result<(), RegistryError> {
    clear(db, program.id, now).await?;
    let Some(program_type) = program.content.program_type.as_deref() else {
        return Ok(());
    };
    if !calls_for_related_review(program) {
        return Ok(());
    }
    let related = municipal_programs_of_type(db, program_type).await?;
    flag_related(db, program, related, now).await?;
    Ok(())
}

/// The municipal programs of one type that are not archived (the nation's and the prefecture's
/// are the ones that change for everybody).
async fn municipal_programs_of_type(
    db: &impl ConnectionTrait,
    program_type: &str,
) -> Result<Vec<ProgramId>, RegistryError> {
    let rows = program::Entity::find()
        .filter(program::Column::ProgramType.eq(program_type))
        .filter(program::Column::Status.ne(ProgramStatus::Archived.id()))
        .all(db)
        .await?;
    let mut ids = Vec::new();
    for row in rows {
        let corrupt = || RegistryError::Corrupt(format!("program {}", row.id));
        let owner = ProgramOwner::parse(&row.owner_code).map_err(|_| corrupt())?;
        if matches!(owner, ProgramOwner::Local(_)) && !owner.is_prefecture() {
            ids.push(ProgramId::parse(&row.id).map_err(|_| corrupt())?);
        }
    }
    Ok(ids)
}

/// Closes the program's open flags: it was reviewed or changed.
pub(crate) async fn clear(
    db: &impl ConnectionTrait,
    id: ProgramId,
    now: DateTime<Utc>,
) -> Result<(), RegistryError> {
    program_review_flag::Entity::update_many()
        .col_expr(program_review_flag::Column::ClearedAt, Expr::value(Some(now)))
        .filter(program_review_flag::Column::ProgramId.eq(id.to_string()))
        .filter(program_review_flag::Column::ClearedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The open flags of every program that has one, each with the changed program's name.
pub(crate) async fn open_flags(
    db: &impl ConnectionTrait,
) -> Result<BTreeMap<ProgramId, Vec<RelatedChange>>, RegistryError> {
    let rows = program_review_flag::Entity::find()
        .filter(program_review_flag::Column::ClearedAt.is_null())
        .all(db)
        .await?;
    let changed_ids: Vec<String> = rows.iter().map(|flag| flag.changed_program_id.clone()).collect();
    let names: BTreeMap<String, String> = program::Entity::find()
        .filter(program::Column::Id.is_in(changed_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.name))
        .collect();
    let mut flags: BTreeMap<ProgramId, Vec<RelatedChange>> = BTreeMap::new();
    for flag in rows {
        let corrupt = || RegistryError::Corrupt(format!("review flag of {}", flag.program_id));
        let program_id = ProgramId::parse(&flag.program_id).map_err(|_| corrupt())?;
        let changed_program_id = ProgramId::parse(&flag.changed_program_id).map_err(|_| corrupt())?;
        flags.entry(program_id).or_default().push(RelatedChange {
            changed_program_id,
            changed_program_name: names.get(&flag.changed_program_id).cloned().unwrap_or_default(),
            flagged_at: flag.flagged_at,
        });
    }
    Ok(flags)
}
