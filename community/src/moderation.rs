//! Reports and moderation: members report posts (once each, within a daily limit), staff see the
//! reported posts that are still visible, oldest report first, and hide, restore or dismiss, each
//! decision stored with its reason and the staff member's name (the server writes the audit log).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kosodate_domain::Vocabulary;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::{answer, moderation_decision, question, report};
use crate::error::CommunityError;
use crate::input::{NOTE_MAX, short_text};
use crate::posting::{REPORT_LIMITS, enforce_rate_limits};
use crate::store::{Community, acting_member, stored_instant, stored_uuid, stored_value};
use crate::vocabulary::{ModerationAction, PostKind, PostStatus, ReportReason};

/// A question or an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub struct PostRef {
    pub kind: PostKind,
    pub id: Uuid,
}

impl PostRef {
    pub fn question(id: Uuid) -> Self {
        Self {
            kind: PostKind::Question,
            id,
        }
    }

    pub fn answer(id: Uuid) -> Self {
        Self {
            kind: PostKind::Answer,
            id,
        }
    }

    fn not_found(self) -> CommunityError {
        match self.kind {
            PostKind::Question => CommunityError::QuestionNotFound(self.id),
            PostKind::Answer => CommunityError::AnswerNotFound(self.id),
        }
    }
}

/// A reported post waiting for staff.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QueueItem {
    pub post: PostRef,
    /// The question the post is, or answers.
    pub question: Uuid,
    pub question_title: String,
    pub body: String,
    pub reports: u32,
    /// Each reason given, with how many members gave it.
    pub reasons: Vec<(ReportReason, u32)>,
    /// What reporters wrote, oldest first.
    pub notes: Vec<String>,
    pub first_reported_at: DateTime<Utc>,
}

/// A decision as stored, for the server's audit log.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Decision {
    pub post: PostRef,
    pub action: ModerationAction,
    pub reason: String,
    pub staff_name: String,
    pub decided_at: DateTime<Utc>,
    /// How many open reports the decision closed.
    pub reports_resolved: u64,
}

/// A post's status, text and the question it belongs to.
pub(crate) struct PostState {
    pub status: PostStatus,
    pub question: question::Model,
    pub body: String,
}

pub(crate) async fn post_state(
    txn: &impl ConnectionTrait,
    post: PostRef,
) -> Result<PostState, CommunityError> {
    let (status, question_id, body) = match post.kind {
        PostKind::Question => {
            let row = question::Entity::find_by_id(post.id.to_string()).one(txn).await?;
            let row = row.ok_or_else(|| post.not_found())?;
            (row.status, row.id, row.body)
        }
        PostKind::Answer => {
            let row = answer::Entity::find_by_id(post.id.to_string()).one(txn).await?;
            let row = row.ok_or_else(|| post.not_found())?;
            (row.status, row.question_id, row.body)
        }
    };
    let question = question::Entity::find_by_id(question_id)
        .one(txn)
        .await?
        .ok_or_else(|| post.not_found())?;
    Ok(PostState {
        status: stored_value(&status)?,
        question,
        body,
    })
}

impl Community {
    /// A member's report of a visible post; a second report of the same post by the same member
    /// while the first is open changes nothing.
    pub async fn report(
        &self,
        account: Uuid,
        post: PostRef,
        reason: ReportReason,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), CommunityError> {
        let note = note
            .filter(|note| !note.trim().is_empty())
            .map(|note| short_text("/note", "補足", note, NOTE_MAX))
            .transpose()?;
        let now = stored_instant(now);
        let txn = kosodate_database::begin_write(&self.db).await?;
        acting_member(&*txn, account).await?;
        if post_state(&*txn, post).await?.status != PostStatus::Visible {
            return Err(post.not_found());
        }
        let open = report::Entity::find()
            .filter(report::Column::PostKind.eq(post.kind.id()))
            .filter(report::Column::PostId.eq(post.id.to_string()))
            .filter(report::Column::Reporter.eq(account.to_string()))
            .filter(report::Column::ResolvedAt.is_null())
            .one(&*txn)
            .await?;
        if open.is_some() {
            return Ok(());
        }
        enforce_rate_limits(
            &*txn,
            "community_reports",
            "reporter",
            account,
            &REPORT_LIMITS,
            now,
        )
        .await?;
        report::Entity::insert(report::ActiveModel {
            id: Set(Uuid::now_v7().to_string()),
            post_kind: Set(post.kind.id().to_owned()),
            post_id: Set(post.id.to_string()),
            reporter: Set(Some(account.to_string())),
            reason: Set(reason.id().to_owned()),
            note: Set(note),
            created_at: Set(now),
            resolved_at: Set(None),
            resolution: Set(None),
        })
        .exec_without_returning(&*txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Visible posts with open reports, the longest waiting first.
    pub async fn moderation_queue(&self) -> Result<Vec<QueueItem>, CommunityError> {
        let open = report::Entity::find()
            .filter(report::Column::ResolvedAt.is_null())
            .order_by_asc(report::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let mut order: Vec<PostRef> = Vec::new();
        let mut by_post: HashMap<PostRef, Vec<report::Model>> = HashMap::new();
        for row in open {
            let post = PostRef {
                kind: stored_value(&row.post_kind)?,
                id: stored_uuid(&row.post_id)?,
            };
            let reports = by_post.entry(post).or_default();
            if reports.is_empty() {
                order.push(post);
            }
            reports.push(row);
        }
        let mut queue = Vec::with_capacity(order.len());
        for post in order {
            let state = post_state(&self.db, post).await?;
            if state.status != PostStatus::Visible {
                continue;
            }
            queue.push(queue_item(
                post,
                state,
                &by_post.remove(&post).unwrap_or_default(),
            )?);
        }
        Ok(queue)
    }

    /// Hides a visible post from everybody but moderators and its author, closing its reports.
    pub async fn hide(
        &self,
        post: PostRef,
        reason: &str,
        staff_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Decision, CommunityError> {
        self.decide(post, ModerationAction::Hide, reason, staff_name, now)
            .await
    }

    /// Shows a hidden post again.
    pub async fn restore(
        &self,
        post: PostRef,
        reason: &str,
        staff_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Decision, CommunityError> {
        self.decide(post, ModerationAction::Restore, reason, staff_name, now)
            .await
    }

    /// Closes a post's open reports, leaving it as it is.
    pub async fn dismiss_reports(
        &self,
        post: PostRef,
        reason: &str,
        staff_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Decision, CommunityError> {
        self.decide(post, ModerationAction::Dismiss, reason, staff_name, now)
            .await
    }

    async fn decide(
        &self,
        post: PostRef,
        action: ModerationAction,
        reason: &str,
        staff_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Decision, CommunityError> {
        let reason = short_text("/reason", "理由", reason, NOTE_MAX)?;
        let now = stored_instant(now);
        let txn = kosodate_database::begin_write(&self.db).await?;
        let state = post_state(&*txn, post).await?;
        let (change, wanted) = match action {
            ModerationAction::Hide => (Some((PostStatus::Visible, PostStatus::Hidden)), "visible"),
            ModerationAction::Restore => (Some((PostStatus::Hidden, PostStatus::Visible)), "hidden"),
            ModerationAction::Dismiss => (None, "reported"),
        };
        let changed = match change {
            Some((from, to)) => {
                state.status == from && set_status(&*txn, post, &state.question.id, (from, to), now).await?
            }
            None => true,
        };
        let reports_resolved = resolve_reports(&*txn, post, action, now).await?;
        if !changed || change.is_none() && reports_resolved == 0 {
            return Err(CommunityError::NothingToModerate {
                kind: post.kind,
                wanted,
            });
        }
        let decision = Decision {
            post,
            action,
            reason,
            staff_name: staff_name.to_owned(),
            decided_at: now,
            reports_resolved,
        };
        moderation_decision::Entity::insert(moderation_decision::ActiveModel {
            id: Set(Uuid::now_v7().to_string()),
            post_kind: Set(post.kind.id().to_owned()),
            post_id: Set(post.id.to_string()),
            action: Set(action.id().to_owned()),
            reason: Set(decision.reason.clone()),
            staff_name: Set(decision.staff_name.clone()),
            decided_at: Set(now),
        })
        .exec_without_returning(&*txn)
        .await?;
        txn.commit().await?;
        Ok(decision)
    }
}

fn queue_item(
    post: PostRef,
    state: PostState,
    reports: &[report::Model],
) -> Result<QueueItem, CommunityError> {
    let mut reasons: Vec<(ReportReason, u32)> = Vec::new();
    for row in reports {
        let reason: ReportReason = stored_value(&row.reason)?;
        match reasons.iter_mut().find(|(known, _)| *known == reason) {
            Some((_, count)) => *count += 1,
            None => reasons.push((reason, 1)),
        }
    }
    reasons.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    Ok(QueueItem {
        post,
        question: stored_uuid(&state.question.id)?,
        question_title: state.question.title,
        body: state.body,
        reports: u32::try_from(reports.len()).unwrap_or(u32::MAX),
        reasons,
        notes: reports.iter().filter_map(|row| row.note.clone()).collect(),
        first_reported_at: reports
            .first()
            .map_or(DateTime::<Utc>::MIN_UTC, |row| row.created_at),
    })
}

async fn resolve_reports(
    txn: &impl ConnectionTrait,
    post: PostRef,
    action: ModerationAction,
    now: DateTime<Utc>,
) -> Result<u64, CommunityError> {
    Ok(report::Entity::update_many()
        .col_expr(report::Column::ResolvedAt, Expr::value(now))
        .col_expr(report::Column::Resolution, Expr::value(action.id()))
        .filter(report::Column::PostKind.eq(post.kind.id()))
        .filter(report::Column::PostId.eq(post.id.to_string()))
        .filter(report::Column::ResolvedAt.is_null())
        .exec(txn)
        .await?
        .rows_affected)
}

/// Changes a post's status `from` one `to` another, if it is still `from` (a decision and a
/// departure racing for the same post change it once); false when it no longer was. A question's
/// `updated_at` moves (the index follows it); its count of visible answers follows its answers.
pub(crate) async fn set_status(
    txn: &impl ConnectionTrait,
    post: PostRef,
    question_id: &str,
    (from, to): (PostStatus, PostStatus),
    now: DateTime<Utc>,
) -> Result<bool, CommunityError> {
    let changed = match post.kind {
        PostKind::Question => {
            question::Entity::update_many()
                .col_expr(question::Column::Status, Expr::value(to.id()))
                .col_expr(question::Column::UpdatedAt, Expr::value(now))
                .col_expr(
                    question::Column::Version,
                    Expr::col(question::Column::Version).add(1),
                )
                .filter(question::Column::Id.eq(post.id.to_string()))
                .filter(question::Column::Status.eq(from.id()))
                .exec(txn)
                .await?
                .rows_affected
        }
        PostKind::Answer => {
            answer::Entity::update_many()
                .col_expr(answer::Column::Status, Expr::value(to.id()))
                .filter(answer::Column::Id.eq(post.id.to_string()))
                .filter(answer::Column::Status.eq(from.id()))
                .exec(txn)
                .await?
                .rows_affected
        }
    };
    let counted = i32::from(to == PostStatus::Visible) - i32::from(from == PostStatus::Visible);
    if changed > 0 && post.kind == PostKind::Answer && counted != 0 {
        question::Entity::update_many()
            .col_expr(
                question::Column::AnswerCount,
                Expr::col(question::Column::AnswerCount).add(counted),
            )
            .filter(question::Column::Id.eq(question_id))
            .exec(txn)
            .await?;
    }
    Ok(changed > 0)
}
