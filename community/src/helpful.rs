//! What members say of answers: helpful (once per member, never their own) and, for the asker,
//! the one accepted answer, which they may change.

use chrono::{DateTime, Utc};
use kosodate_domain::Vocabulary;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use crate::entity::{answer, helpful_mark, question};
use crate::error::CommunityError;
use crate::store::{Community, acting_member, stored_instant};
use crate::vocabulary::PostStatus;

/// A visible answer.
async fn visible_answer(txn: &impl ConnectionTrait, id: Uuid) -> Result<answer::Model, CommunityError> {
    answer::Entity::find_by_id(id.to_string())
        .one(txn)
        .await?
        .filter(|row| row.status == PostStatus::Visible.id())
        .ok_or(CommunityError::AnswerNotFound(id))
}

async fn add_to_helpful_count(
    txn: &impl ConnectionTrait,
    answer_id: &str,
    change: i32,
) -> Result<(), CommunityError> {
    answer::Entity::update_many()
        .col_expr(
            answer::Column::HelpfulCount,
            Expr::col(answer::Column::HelpfulCount).add(change),
        )
        .filter(answer::Column::Id.eq(answer_id))
        .exec(txn)
        .await?;
    Ok(())
}

impl Community {
    /// Marks an answer helpful for the member; false when they had marked it already.
    pub async fn mark_helpful(
        &self,
        account: Uuid,
        answer_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, CommunityError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        acting_member(&*txn, account).await?;
        let row = visible_answer(&*txn, answer_id).await?;
        if row.author_account.as_deref() == Some(account.to_string().as_str()) {
            return Err(CommunityError::OwnAnswer);
        }
        let inserted = helpful_mark::Entity::insert(helpful_mark::ActiveModel {
            answer_id: Set(row.id.clone()),
            account_id: Set(account.to_string()),
            marked_at: Set(stored_instant(now)),
        })
        .on_conflict(
            OnConflict::columns([helpful_mark::Column::AnswerId, helpful_mark::Column::AccountId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&*txn)
        .await?;
        if inserted > 0 {
            add_to_helpful_count(&*txn, &row.id, 1).await?;
        }
        txn.commit().await?;
        Ok(inserted > 0)
    }

    /// Takes the member's helpful mark back; false when there was none.
    pub async fn unmark_helpful(&self, account: Uuid, answer_id: Uuid) -> Result<bool, CommunityError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        acting_member(&*txn, account).await?;
        let deleted = helpful_mark::Entity::delete_by_id((answer_id.to_string(), account.to_string()))
            .exec(&*txn)
            .await?
            .rows_affected;
        if deleted > 0 {
            add_to_helpful_count(&*txn, &answer_id.to_string(), -1).await?;
        }
        txn.commit().await?;
        Ok(deleted > 0)
    }

    /// Makes `answer_id` the accepted answer of its question, replacing any other; only the
    /// asker may.
    pub async fn accept(&self, asker: Uuid, answer_id: Uuid) -> Result<(), CommunityError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        acting_member(&*txn, asker).await?;
        let row = visible_answer(&*txn, answer_id).await?;
        let asked = question::Entity::find_by_id(row.question_id.clone())
            .one(&*txn)
            .await?
            .filter(|question| question.status == PostStatus::Visible.id())
            .ok_or(CommunityError::AnswerNotFound(answer_id))?;
        if asked.author_account.as_deref() != Some(asker.to_string().as_str()) {
            return Err(CommunityError::NotAuthor("accept an answer"));
        }
        let version = asked.version + 1;
        let mut changed = asked.into_active_model();
        changed.accepted_answer = Set(Some(row.id));
        changed.version = Set(version);
        question::Entity::update(changed).exec(&*txn).await?;
        txn.commit().await?;
        Ok(())
    }
}
