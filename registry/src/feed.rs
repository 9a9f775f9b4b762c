//! The registry as a feed of changes, for copies kept elsewhere (each server's search index):
//! programs in the order they last changed, and every program's version for a full comparison.

use chrono::{DateTime, Utc};
use kosodate_domain::ProgramId;
use kosodate_domain::Vocabulary;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::program;
use crate::error::RegistryError;
use crate::model::{Program, ProgramStatus};
use crate::store::{Registry, program_from_row};

/// Where a reader of the feed has got to: the last change it has seen, or (without `id`) the
/// instant from which it wants every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedPosition {
    pub updated_at: DateTime<Utc>,
    pub id: Option<ProgramId>,
}

/// A program's current version and status, for comparing a copy with the registry; `updated_at`
/// tells a change the feed has not reached yet from one it passed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramVersionStatus {
    pub id: ProgramId,
    pub version: i32,
    pub status: ProgramStatus,
    pub updated_at: DateTime<Utc>,
}

impl Registry {
    /// Up to `limit` programs (in any status) that changed after `after`, oldest change first.
    /// Every write sets `updated_at`, so publishing, editing and archiving all appear here.
    pub async fn programs_changed_after(
        &self,
        after: Option<FeedPosition>,
        limit: u64,
    ) -> Result<Vec<Program>, RegistryError> {
        let mut query = program::Entity::find()
            .order_by_asc(program::Column::UpdatedAt)
            .order_by_asc(program::Column::Id);
        query = match after {
            None => query,
            Some(FeedPosition { updated_at, id: None }) => {
                query.filter(program::Column::UpdatedAt.gte(updated_at))
            }
            Some(FeedPosition {
                updated_at,
                id: Some(id),
            }) => query.filter(
                Condition::any()
                    .add(program::Column::UpdatedAt.gt(updated_at))
                    .add(
                        Condition::all()
                            .add(program::Column::UpdatedAt.eq(updated_at))
                            .add(program::Column::Id.gt(id.to_string())),
                    ),
            ),
        };
        let rows = query.limit(limit).all(&self.db).await?;
        rows.into_iter().map(program_from_row).collect()
    }

    /// Every program's id, version, status and last change.
    pub async fn program_versions(&self) -> Result<Vec<ProgramVersionStatus>, RegistryError> {
        let rows: Vec<(String, i32, String, DateTime<Utc>)> = program::Entity::find()
            .select_only()
            .column(program::Column::Id)
            .column(program::Column::Version)
            .column(program::Column::Status)
            .column(program::Column::UpdatedAt)
            .into_tuple()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|(id, version, status, updated_at)| {
                let corrupt = |what: &str| RegistryError::Corrupt(format!("program {id}: {what}"));
                Ok(ProgramVersionStatus {
                    id: ProgramId::parse(&id).map_err(|_| corrupt("id"))?,
                    version,
                    status: ProgramStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
                    updated_at,
                })
            })
            .collect()
    }
}
