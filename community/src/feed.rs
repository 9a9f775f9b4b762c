//! The community as others follow it: the question index (each server process's own, fed by
//! `updated_at`, then id), the related-program count the server works out after a question is
//! asked, and the facts of each day's questions for the evidence pages' roll-ups.

use chrono::{DateTime, Utc};
use kosodate_domain::{AgeBand, MunicipalityCode, Vocabulary};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entity::question;
use crate::error::CommunityError;
use crate::reading::stored_municipality;
use crate::similar::IndexedQuestion;
use crate::store::{Community, optional_value, stored_uuid, stored_value};
use crate::vocabulary::{PostStatus, QuestionCategory, Region};

/// Where a reader of the feed has got to: the last question it has seen, or (without `id`) the
/// instant from which it wants every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct QuestionFeedPosition {
    pub updated_at: DateTime<Utc>,
    pub id: Option<Uuid>,
}

/// One question as the evidence pages count it. `author_key` tells distinct people apart and is
/// never shown; the text is the masked one.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionFacts {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub category: QuestionCategory,
    pub municipality: Option<MunicipalityCode>,
    pub region: Option<Region>,
    pub age_band: Option<AgeBand>,
    pub author_key: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub related_program_count: Option<u32>,
    pub first_answered_at: Option<DateTime<Utc>>,
    pub status: PostStatus,
}

/// How many questions one read of a day takes, so that memory and each query stay bounded.
const FACTS_PAGE: u64 = 5_000;

impl Community {
    /// Up to `limit` (at most 5,000) questions, in any status (the index drops those no longer
    /// visible), changed after `after`, oldest change first. A question changes for the index
    /// when it is asked or edited, hidden, restored or removed.
    pub async fn questions_changed_after(
        &self,
        after: Option<QuestionFeedPosition>,
        limit: u64,
    ) -> Result<Vec<IndexedQuestion>, CommunityError> {
        let mut query = question::Entity::find()
            .order_by_asc(question::Column::UpdatedAt)
            .order_by_asc(question::Column::Id)
            .limit(limit.min(FACTS_PAGE));
        query = match after {
            None => query,
            Some(QuestionFeedPosition { updated_at, id: None }) => {
                query.filter(question::Column::UpdatedAt.gte(updated_at))
            }
            Some(QuestionFeedPosition {
                updated_at,
                id: Some(id),
            }) => query.filter(after_key(question::Column::UpdatedAt, updated_at, id)),
        };
        query
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| {
                Ok(IndexedQuestion {
                    id: stored_uuid(&row.id)?,
                    visible: row.status == PostStatus::Visible.id(),
                    title: row.title,
                    body: row.body,
                    category: row.category,
                    municipality: row.municipality_code,
                    updated_at: row.updated_at,
                })
            })
            .collect()
    }

    /// How many published programs relate to the question (the server's search), for the
    /// evidence pages' gaps. Not a change the index follows.
    pub async fn set_related_program_count(&self, id: Uuid, count: u32) -> Result<(), CommunityError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let changed = question::Entity::update_many()
            .col_expr(
                question::Column::RelatedProgramCount,
                Expr::value(i32::try_from(count).unwrap_or(i32::MAX)),
            )
            .filter(question::Column::Id.eq(id.to_string()))
            .exec(&*txn)
            .await?
            .rows_affected;
        if changed == 0 {
            return Err(CommunityError::QuestionNotFound(id));
        }
        txn.commit().await?;
        Ok(())
    }

    /// Every question created in `[from, until)`, in any status, oldest first; read a page at a
    /// time along the `(created_at, id)` index.
    pub async fn questions_created_between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<QuestionFacts>, CommunityError> {
        let mut facts = Vec::new();
        let mut last: Option<(DateTime<Utc>, Uuid)> = None;
        loop {
            let mut query = question::Entity::find()
                .filter(question::Column::CreatedAt.gte(from))
                .filter(question::Column::CreatedAt.lt(until))
                .order_by_asc(question::Column::CreatedAt)
                .order_by_asc(question::Column::Id)
                .limit(FACTS_PAGE);
            if let Some((at, id)) = last {
                query = query.filter(after_key(question::Column::CreatedAt, at, id));
            }
            let rows = query.all(&self.db).await?;
            let full = rows.len() as u64 == FACTS_PAGE;
            for row in rows {
                let fact = facts_from_row(row)?;
                last = Some((fact.created_at, fact.id));
                facts.push(fact);
            }
            if !full {
                return Ok(facts);
            }
        }
    }
}

/// Rows after `(at, id)` in `(column, id)` order. The first bound alone is what PostgreSQL can
/// start an index scan from (without it, a late page scans the table); the pair decides the ties.
fn after_key(column: question::Column, at: DateTime<Utc>, id: Uuid) -> Condition {
    Condition::all().add(column.gte(at)).add(
        Condition::any().add(column.gt(at)).add(
            Condition::all()
                .add(column.eq(at))
                .add(question::Column::Id.gt(id.to_string())),
        ),
    )
}

fn facts_from_row(row: question::Model) -> Result<QuestionFacts, CommunityError> {
    Ok(QuestionFacts {
        id: stored_uuid(&row.id)?,
        created_at: row.created_at,
        category: stored_value(&row.category)?,
        municipality: stored_municipality(row.municipality_code.as_deref())?,
        region: optional_value(row.region.as_deref())?,
        age_band: optional_value(row.age_band.as_deref())?,
        author_key: row.author_account.as_deref().map(stored_uuid).transpose()?,
        title: row.title,
        body: row.body,
        related_program_count: row
            .related_program_count
            .and_then(|count| u32::try_from(count).ok()),
        first_answered_at: row.first_answered_at,
        status: stored_value(&row.status)?,
    })
}
