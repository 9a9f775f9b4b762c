//! Answers whose notice to the asker is still to plan. The request path plans at once; what it
//! could not (a failure, a process stopped between the answer and its notice) is found here by
//! the server's sweep, so that a notice is never lost. The planner marks an answer planned in the
//! transaction that writes its notices; this crate marks those with nobody to tell.

use chrono::{DateTime, Utc};
use kosodate_domain::Vocabulary;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entity::{answer, question};
use crate::error::CommunityError;
use crate::posting::AnswerPosted;
use crate::store::{Community, optional_value, stored_instant, stored_uuid, stored_value};
use crate::vocabulary::PostStatus;

impl Community {
    /// Up to `limit` answers posted at or before `posted_before` whose notice is still to plan,
    /// oldest first, each with its asker to tell. Those with nobody to tell any more (the asker
    /// left or turned notices off, the answer or its question is no longer visible) are marked
    /// planned at `now` with nothing sent, and left out.
    pub async fn answers_awaiting_notice(
        &self,
        posted_before: DateTime<Utc>,
        limit: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<AnswerPosted>, CommunityError> {
        let rows = answer::Entity::find()
            .filter(answer::Column::NoticePlannedAt.is_null())
            .filter(answer::Column::CreatedAt.lte(posted_before))
            .order_by_asc(answer::Column::CreatedAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut awaiting = Vec::new();
        let mut nobody_to_tell = Vec::new();
        for row in rows {
            match self.answer_to_announce(&row).await? {
                Some(posted) => awaiting.push(posted),
                None => nobody_to_tell.push(row.id),
            }
        }
        if !nobody_to_tell.is_empty() {
            answer::Entity::update_many()
                .col_expr(answer::Column::NoticePlannedAt, Expr::value(stored_instant(now)))
                .filter(answer::Column::Id.is_in(nobody_to_tell))
                .filter(answer::Column::NoticePlannedAt.is_null())
                .exec(&self.db)
                .await?;
        }
        Ok(awaiting)
    }

    async fn answer_to_announce(&self, row: &answer::Model) -> Result<Option<AnswerPosted>, CommunityError> {
        if stored_value::<PostStatus>(&row.status)? != PostStatus::Visible {
            return Ok(None);
        }
        let Some(asked) = question::Entity::find_by_id(row.question_id.clone())
            .one(&self.db)
            .await?
            .filter(|asked| asked.status == PostStatus::Visible.id())
        else {
            return Ok(None);
        };
        // A departed answerer is nobody's asker: any id other than the asker's will do.
        let answerer = row.author_account.as_deref().map(stored_uuid).transpose()?;
        let notify = self
            .asker_to_notify(
                &self.db,
                asked.author_account.as_deref(),
                answerer.unwrap_or(Uuid::nil()),
            )
            .await?;
        let Some(notify) = notify else {
            return Ok(None);
        };
        Ok(Some(AnswerPosted {
            answer: stored_uuid(&row.id)?,
            question: stored_uuid(&asked.id)?,
            question_title: asked.title,
            notify: Some(notify),
            expert: optional_value(row.expert_badge.as_deref())?,
        }))
    }
}
