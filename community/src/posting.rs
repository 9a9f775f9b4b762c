//! Posting and editing: the input checked, personal data caught (the poster removes it or accepts
//! masking, and then the masked text is what is stored), the member's rate limits counted from
//! the tables in the same write transaction (several server processes share one database), and
//! every earlier text of an edited post kept as a revision.

use chrono::{DateTime, Duration, Utc};
use kosodate_domain::Vocabulary;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use crate::entity::{answer, question, revision};
use crate::error::{CommunityError, FieldFinding};
use crate::input::{AnswerInput, QuestionInput, ValidQuestion};
use crate::members::member_from_row;
use crate::personal_data;
use crate::store::{Community, acting_member, stored_instant};
use crate::vocabulary::{PostKind, PostStatus, Profession};

/// Whether the poster accepted that what looks like personal data is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Masking {
    /// Refuse the post when anything is found, so that the poster can see and decide.
    Ask,
    /// Store the masked text.
    Accept,
}

/// A post's text after the personal-data check: masked where the poster accepted it.
struct Checked {
    title: Option<String>,
    body: String,
}

fn check_personal_data(title: Option<&str>, body: &str, masking: Masking) -> Result<Checked, CommunityError> {
    let title_findings = title.map(personal_data::detect).unwrap_or_default();
    let body_findings = personal_data::detect(body);
    let masked = Checked {
        title: title.map(|title| personal_data::mask(title, &title_findings)),
        body: personal_data::mask(body, &body_findings),
    };
    if title_findings.is_empty() && body_findings.is_empty() || masking == Masking::Accept {
        return Ok(masked);
    }
    let in_field = |pointer: &'static str| {
        move |finding: personal_data::Finding| FieldFinding {
            pointer,
            kind: finding.kind,
            range: finding.range,
        }
    };
    let findings = (title_findings.into_iter().map(in_field("/title")))
        .chain(body_findings.into_iter().map(in_field("/body")))
        .collect();
    Err(CommunityError::PersonalData {
        findings,
        masked_title: masked.title,
        masked_body: masked.body,
    })
}

/// At most `posts` of one kind per member within `within`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateLimit {
    pub posts: u64,
    pub within: Duration,
}

pub(crate) const QUESTION_LIMITS: [RateLimit; 2] = [
    RateLimit {
        posts: 5,
        within: Duration::hours(1),
    },
    RateLimit {
        posts: 20,
        within: Duration::days(1),
    },
];

pub(crate) const ANSWER_LIMITS: [RateLimit; 2] = [
    RateLimit {
        posts: 30,
        within: Duration::hours(1),
    },
    RateLimit {
        posts: 100,
        within: Duration::days(1),
    },
];

pub(crate) const REPORT_LIMITS: [RateLimit; 1] = [RateLimit {
    posts: 20,
    within: Duration::days(1),
}];

/// Refuses a post when the member's latest posts in `table` (by `author_column`, at `created_at`)
/// reach a limit, saying when the oldest of them leaves its window.
pub(crate) async fn enforce_rate_limits(
    txn: &impl ConnectionTrait,
    table: &str,
    author_column: &str,
    account: Uuid,
    limits: &[RateLimit],
    now: DateTime<Utc>,
) -> Result<(), CommunityError> {
    let Some(longest) = limits.iter().map(|limit| limit.within).max() else {
        return Ok(());
    };
    let most = limits.iter().map(|limit| limit.posts).max().unwrap_or_default();
    let select = Query::select()
        .column(Alias::new("created_at"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new(author_column)).eq(account.to_string()))
        .and_where(Expr::col(Alias::new("created_at")).gt(now - longest))
        .order_by(Alias::new("created_at"), Order::Desc)
        .limit(most)
        .to_owned();
    let rows = txn.query_all(&select).await?;
    let latest: Vec<DateTime<Utc>> = rows
        .iter()
        .map(|row| row.try_get("", "created_at"))
        .collect::<Result<_, _>>()?;
    let retry_after = limits
        .iter()
        .filter_map(|limit| {
            let in_window = latest.iter().filter(|at| **at > now - limit.within).count() as u64;
            let oldest_counted = latest.get(usize::try_from(limit.posts).ok()? - 1)?;
            (in_window >= limit.posts).then(|| *oldest_counted + limit.within - now)
        })
        .max();
    match retry_after {
        None => Ok(()),
        Some(wait) => Err(CommunityError::RateLimited {
            retry_after: std::time::Duration::from_secs(Ord::max(wait.num_seconds(), 1).unsigned_abs()),
        }),
    }
}

/// What the server needs after an answer: whom to tell, about which question, and the badge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerPosted {
    pub answer: Uuid,
    pub question: Uuid,
    pub question_title: String,
    /// The asker, when they want to hear of answers (and did not answer themselves).
    pub notify: Option<Uuid>,
    /// The answerer's verified profession, shown as a badge on the answer.
    pub expert: Option<Profession>,
}

impl Community {
    /// Posts a question; its id. Refused when the input is invalid, personal data is found and
    /// masking is not accepted, the account is not a member, or the member posted too much.
    pub async fn ask(
        &self,
        account: Uuid,
        input: &QuestionInput,
        masking: Masking,
        now: DateTime<Utc>,
    ) -> Result<Uuid, CommunityError> {
        let valid = input.validate()?;
        let checked = check_personal_data(Some(&valid.title), &valid.body, masking)?;
        let now = stored_instant(now);
        let txn = kosodate_database::begin_write(&self.db).await?;
        acting_member(&*txn, account).await?;
        enforce_rate_limits(
            &*txn,
            "community_questions",
            "author_account",
            account,
            &QUESTION_LIMITS,
            now,
        )
        .await?;
        let id = Uuid::now_v7();
        question::Entity::insert(new_question(id, account, &valid, checked, now).into_active_model())
            .exec_without_returning(&*txn)
            .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Posts an answer to a visible question.
    pub async fn answer(
        &self,
        account: Uuid,
        question_id: Uuid,
        input: &AnswerInput,
        masking: Masking,
        now: DateTime<Utc>,
    ) -> Result<AnswerPosted, CommunityError> {
        let body = input.validate()?;
        let checked = check_personal_data(None, &body, masking)?;
        let now = stored_instant(now);
        let txn = kosodate_database::begin_write(&self.db).await?;
        let expert = member_from_row(acting_member(&*txn, account).await?)?.verified_profession();
        let asked = question::Entity::find_by_id(question_id.to_string())
            .one(&*txn)
            .await?
            .ok_or(CommunityError::QuestionNotFound(question_id))?;
        if asked.status != PostStatus::Visible.id() {
            return Err(CommunityError::QuestionClosed);
        }
        enforce_rate_limits(
            &*txn,
            "community_answers",
            "author_account",
            account,
            &ANSWER_LIMITS,
            now,
        )
        .await?;
        let asker = asked.author_account.clone();
        let notify = self.asker_to_notify(&*txn, asker.as_deref(), account).await?;
        let id = Uuid::now_v7();
        answer::Entity::insert(answer::ActiveModel {
            id: Set(id.to_string()),
            question_id: Set(asked.id.clone()),
            author_account: Set(Some(account.to_string())),
            body: Set(checked.body),
            expert_badge: Set(expert.map(|profession| profession.id().to_owned())),
            status: Set(PostStatus::Visible.id().to_owned()),
            helpful_count: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            // Nobody to tell: nothing left to plan. Otherwise the notice planner marks it.
            notice_planned_at: Set(notify.is_none().then_some(now)),
        })
        .exec_without_returning(&*txn)
        .await?;
        count_answer(&*txn, &asked.id, now).await?;
        txn.commit().await?;
        let question_title = asked.title;
        Ok(AnswerPosted {
            answer: id,
            question: question_id,
            question_title,
            notify,
            expert,
        })
    }

    pub(crate) async fn asker_to_notify(
        &self,
        txn: &impl ConnectionTrait,
        asker: Option<&str>,
        answerer: Uuid,
    ) -> Result<Option<Uuid>, CommunityError> {
        let Some(asker) = asker.filter(|asker| *asker != answerer.to_string()) else {
            return Ok(None);
        };
        let row = crate::entity::member::Entity::find_by_id(asker.to_owned())
            .one(txn)
            .await?;
        match row {
            Some(row) if row.notify_answers => Ok(Some(member_from_row(row)?.account)),
            _ => Ok(None),
        }
    }

    /// Changes the author's own question, keeping its earlier text as a revision.
    pub async fn edit_question(
        &self,
        account: Uuid,
        question_id: Uuid,
        input: &QuestionInput,
        masking: Masking,
        now: DateTime<Utc>,
    ) -> Result<(), CommunityError> {
        let valid = input.validate()?;
        let checked = check_personal_data(Some(&valid.title), &valid.body, masking)?;
        let now = stored_instant(now);
        let txn = kosodate_database::begin_write(&self.db).await?;
        acting_member(&*txn, account).await?;
        let row = question::Entity::find_by_id(question_id.to_string())
            .one(&*txn)
            .await?
            .filter(|row| row.status != PostStatus::Removed.id())
            .ok_or(CommunityError::QuestionNotFound(question_id))?;
        if row.author_account.as_deref() != Some(account.to_string().as_str()) {
            return Err(CommunityError::NotAuthor("edit a question"));
        }
        keep_revision(
            &*txn,
            PostKind::Question,
            &row.id,
            Some(&row.title),
            &row.body,
            now,
        )
        .await?;
        let version = row.version + 1;
        let mut changed = row.into_active_model();
        changed.category = Set(valid.category.id().to_owned());
        changed.municipality_code = Set(valid.municipality.map(|code| code.to_string()));
        changed.region = Set(valid.region.map(|region| region.id().to_owned()));
        changed.age_band = Set(valid.age_band.map(|band| band.id().to_owned()));
        changed.title = Set(checked.title.unwrap_or_default());
        changed.body = Set(checked.body);
        changed.updated_at = Set(now);
        changed.version = Set(version);
        question::Entity::update(changed).exec(&*txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Changes the author's own answer, keeping its earlier text as a revision.
    pub async fn edit_answer(
        &self,
        account: Uuid,
        answer_id: Uuid,
        input: &AnswerInput,
        masking: Masking,
        now: DateTime<Utc>,
    ) -> Result<(), CommunityError> {
        let body = input.validate()?;
        let checked = check_personal_data(None, &body, masking)?;
        let now = stored_instant(now);
        let txn = kosodate_database::begin_write(&self.db).await?;
        acting_member(&*txn, account).await?;
        let row = answer::Entity::find_by_id(answer_id.to_string())
            .one(&*txn)
            .await?
            .filter(|row| row.status != PostStatus::Removed.id())
            .ok_or(CommunityError::AnswerNotFound(answer_id))?;
        if row.author_account.as_deref() != Some(account.to_string().as_str()) {
            return Err(CommunityError::NotAuthor("edit an answer"));
        }
        keep_revision(&*txn, PostKind::Answer, &row.id, None, &row.body, now).await?;
        let mut changed = row.into_active_model();
        changed.body = Set(checked.body);
        changed.updated_at = Set(now);
        answer::Entity::update(changed).exec(&*txn).await?;
        txn.commit().await?;
        Ok(())
    }
}

fn new_question(
    id: Uuid,
    account: Uuid,
    valid: &ValidQuestion,
    checked: Checked,
    now: DateTime<Utc>,
) -> question::Model {
    question::Model {
        id: id.to_string(),
        author_account: Some(account.to_string()),
        category: valid.category.id().to_owned(),
        municipality_code: valid.municipality.map(|code| code.to_string()),
        region: valid.region.map(|region| region.id().to_owned()),
        age_band: valid.age_band.map(|band| band.id().to_owned()),
        title: checked.title.unwrap_or_default(),
        body: checked.body,
        status: PostStatus::Visible.id().to_owned(),
        accepted_answer: None,
        related_program_count: None,
        answer_count: 0,
        first_answered_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

async fn keep_revision(
    txn: &impl ConnectionTrait,
    kind: PostKind,
    post_id: &str,
    title: Option<&str>,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), CommunityError> {
    revision::Entity::insert(revision::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        post_kind: Set(kind.id().to_owned()),
        post_id: Set(post_id.to_owned()),
        title: Set(title.map(str::to_owned)),
        body: Set(body.to_owned()),
        edited_at: Set(now),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// One more visible answer for the question, and its first answer's instant if this is it:
/// counted in the database, not from the row read before, so that members answering the same
/// question at once each add theirs.
async fn count_answer(
    txn: &impl ConnectionTrait,
    question_id: &str,
    now: DateTime<Utc>,
) -> Result<(), CommunityError> {
    question::Entity::update_many()
        .col_expr(
            question::Column::AnswerCount,
            Expr::col(question::Column::AnswerCount).add(1),
        )
        .col_expr(
            question::Column::FirstAnsweredAt,
            Func::coalesce([Expr::col(question::Column::FirstAnsweredAt), Expr::value(now)]).into(),
        )
        .filter(question::Column::Id.eq(question_id))
        .exec(txn)
        .await?;
    Ok(())
}
