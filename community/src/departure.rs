//! A member leaving, and what they may take with them. Leaving deletes the member row and every
//! link from their account to what they did: their posts stay without an author (anonymised) or
//! are removed with their text and history erased, as they chose; their helpful marks go and the
//! counts they made with them; their reports stay, without a reporter, for staff to judge.

use chrono::{DateTime, Utc};
use kosodate_domain::Vocabulary;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::{answer, helpful_mark, member, question, report, revision};
use crate::error::CommunityError;
use crate::members::{Member, member_from_row};
use crate::moderation::{PostRef, set_status};
use crate::reading::{QuestionSummary, summary_from_row};
use crate::store::{Community, acting_member, stored_instant, stored_uuid, stored_value};
use crate::vocabulary::{Departure, PostStatus, ReportReason};

/// What a departure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Departed {
    pub questions: u64,
    pub answers: u64,
}

/// Everything the community holds about a member, for "My data".
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MemberExport {
    pub member: Member,
    pub questions: Vec<ExportedQuestion>,
    pub answers: Vec<ExportedAnswer>,
    /// The answers they marked helpful.
    pub helpful_marks: Vec<Uuid>,
    pub reports: Vec<ExportedReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ExportedQuestion {
    #[serde(flatten)]
    pub summary: QuestionSummary,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ExportedAnswer {
    pub id: Uuid,
    pub question: Uuid,
    pub body: String,
    pub status: PostStatus,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ExportedReport {
    pub post_kind: crate::vocabulary::PostKind,
    pub post: Uuid,
    pub reason: ReportReason,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Community {
    /// Ends the account's membership, its posts anonymised or removed as `departure` says.
    pub async fn depart(
        &self,
        account: Uuid,
        departure: Departure,
        now: DateTime<Utc>,
    ) -> Result<Departed, CommunityError> {
        let now = stored_instant(now);
        let txn = kosodate_database::begin_write(&self.db).await?;
        acting_member(&*txn, account).await?;
        forget_helpful_marks(&*txn, account).await?;
        if departure == Departure::Remove {
            remove_posts(&*txn, account, now).await?;
        }
        let author = account.to_string();
        let questions = question::Entity::update_many()
            .col_expr(question::Column::AuthorAccount, Expr::value(None::<String>))
            .filter(question::Column::AuthorAccount.eq(author.as_str()))
            .exec(&*txn)
            .await?
            .rows_affected;
        let answers = answer::Entity::update_many()
            .col_expr(answer::Column::AuthorAccount, Expr::value(None::<String>))
            .filter(answer::Column::AuthorAccount.eq(author.as_str()))
            .exec(&*txn)
            .await?
            .rows_affected;
        report::Entity::update_many()
            .col_expr(report::Column::Reporter, Expr::value(None::<String>))
            .filter(report::Column::Reporter.eq(author.as_str()))
            .exec(&*txn)
            .await?;
        member::Entity::delete_by_id(author).exec(&*txn).await?;
        txn.commit().await?;
        Ok(Departed { questions, answers })
    }

    /// The member's record and everything they posted, marked and reported; `None` for an
    /// account that is not a member.
    pub async fn export(&self, account: Uuid) -> Result<Option<MemberExport>, CommunityError> {
        let Some(row) = member::Entity::find_by_id(account.to_string())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let helpful_marks = marked_answers(&self.db, account)
            .await?
            .iter()
            .map(|id| stored_uuid(id))
            .collect::<Result<_, _>>()?;
        Ok(Some(MemberExport {
            member: member_from_row(row)?,
            questions: exported_questions(&self.db, account).await?,
            answers: exported_answers(&self.db, account).await?,
            helpful_marks,
            reports: exported_reports(&self.db, account).await?,
        }))
    }
}

async fn marked_answers(db: &impl ConnectionTrait, account: Uuid) -> Result<Vec<String>, CommunityError> {
    Ok(helpful_mark::Entity::find()
        .select_only()
        .column(helpful_mark::Column::AnswerId)
        .filter(helpful_mark::Column::AccountId.eq(account.to_string()))
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// The member's helpful marks, and what they added to the answers' counts.
async fn forget_helpful_marks(txn: &impl ConnectionTrait, account: Uuid) -> Result<(), CommunityError> {
    let marked = marked_answers(txn, account).await?;
    for chunk in marked.chunks(500) {
        answer::Entity::update_many()
            .col_expr(
                answer::Column::HelpfulCount,
                Expr::col(answer::Column::HelpfulCount).sub(1),
            )
            .filter(answer::Column::Id.is_in(chunk.iter().map(String::as_str)))
            .exec(txn)
            .await?;
    }
    helpful_mark::Entity::delete_many()
        .filter(helpful_mark::Column::AccountId.eq(account.to_string()))
        .exec(txn)
        .await?;
    Ok(())
}

/// The member's posts removed: text and earlier texts erased, answers no longer counted.
async fn remove_posts(
    txn: &impl ConnectionTrait,
    account: Uuid,
    now: DateTime<Utc>,
) -> Result<(), CommunityError> {
    let mut posts = remove_answers(txn, account, now).await?;
    let author = account.to_string();
    let questions: Vec<String> = question::Entity::find()
        .select_only()
        .column(question::Column::Id)
        .filter(question::Column::AuthorAccount.eq(author.as_str()))
        .into_tuple()
        .all(txn)
        .await?;
    question::Entity::update_many()
        .col_expr(question::Column::Status, Expr::value(PostStatus::Removed.id()))
        .col_expr(question::Column::Title, Expr::value(""))
        .col_expr(question::Column::Body, Expr::value(""))
        .col_expr(question::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            question::Column::Version,
            Expr::col(question::Column::Version).add(1),
        )
        .filter(question::Column::AuthorAccount.eq(author.as_str()))
        .exec(txn)
        .await?;
    posts.extend(questions);
    for chunk in posts.chunks(500) {
        revision::Entity::delete_many()
            .filter(revision::Column::PostId.is_in(chunk.iter().map(String::as_str)))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The member's answers removed and erased, each leaving its question's count; their ids.
async fn remove_answers(
    txn: &impl ConnectionTrait,
    account: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<String>, CommunityError> {
    let author = account.to_string();
    let answers: Vec<(String, String, String)> = answer::Entity::find()
        .select_only()
        .columns([
            answer::Column::Id,
            answer::Column::QuestionId,
            answer::Column::Status,
        ])
        .filter(answer::Column::AuthorAccount.eq(author.as_str()))
        .into_tuple()
        .all(txn)
        .await?;
    for (id, question_id, status) in &answers {
        let status: PostStatus = stored_value(status)?;
        if status != PostStatus::Removed {
            let post = PostRef::answer(stored_uuid(id)?);
            set_status(txn, post, question_id, (status, PostStatus::Removed), now).await?;
        }
    }
    answer::Entity::update_many()
        .col_expr(answer::Column::Body, Expr::value(""))
        .col_expr(answer::Column::UpdatedAt, Expr::value(now))
        .filter(answer::Column::AuthorAccount.eq(author.as_str()))
        .exec(txn)
        .await?;
    Ok(answers.into_iter().map(|(id, _, _)| id).collect())
}

async fn exported_questions(
    db: &impl ConnectionTrait,
    account: Uuid,
) -> Result<Vec<ExportedQuestion>, CommunityError> {
    question::Entity::find()
        .filter(question::Column::AuthorAccount.eq(account.to_string()))
        .order_by_asc(question::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let body = row.body.clone();
            Ok(ExportedQuestion {
                summary: summary_from_row(row)?,
                body,
            })
        })
        .collect()
}

async fn exported_answers(
    db: &impl ConnectionTrait,
    account: Uuid,
) -> Result<Vec<ExportedAnswer>, CommunityError> {
    answer::Entity::find()
        .filter(answer::Column::AuthorAccount.eq(account.to_string()))
        .order_by_asc(answer::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            Ok(ExportedAnswer {
                id: stored_uuid(&row.id)?,
                question: stored_uuid(&row.question_id)?,
                status: stored_value(&row.status)?,
                body: row.body,
                created_at: row.created_at,
            })
        })
        .collect()
}

async fn exported_reports(
    db: &impl ConnectionTrait,
    account: Uuid,
) -> Result<Vec<ExportedReport>, CommunityError> {
    report::Entity::find()
        .filter(report::Column::Reporter.eq(account.to_string()))
        .order_by_asc(report::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            Ok(ExportedReport {
                post_kind: stored_value(&row.post_kind)?,
                post: stored_uuid(&row.post_id)?,
                reason: stored_value(&row.reason)?,
                note: row.note,
                created_at: row.created_at,
            })
        })
        .collect()
}
