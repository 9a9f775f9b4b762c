//! Telling a parent that their question in the community was answered. There is no change event:
//! the answer itself is the cause, and its id is the notice's idempotency key (the outbox's unique
//! (event, channel)), so an answer is announced once per channel however often this is asked.
//! Only the household's channels that are verified, opted in and consented to, and only while the
//! consent to the community is active: a member without a household or channels sees new answers
//! on the community's own page.

use chrono::{DateTime, Utc};
use kosodate_database::begin_write;
use kosodate_households::match_store;
use kosodate_households::{AccountId, ConsentPurpose, HouseholdId, Households, consent_active_on};
use kosodate_notifier::outbox;
use kosodate_notifier::{NoticeContent, NoticeKind, QuestionNotice};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use uuid::Uuid;

use crate::content::drafts;
use crate::error::PlannerError;

/// An answer to tell the asker about.
#[derive(Debug, Clone)]
pub struct AnswerPosted {
    /// The asker's account.
    pub asker: AccountId,
    pub answer: Uuid,
    pub question_title: String,
    /// Where the question and its answers are read.
    pub question_url: url::Url,
}

/// Plans community notices. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CommunityNotices {
    households: Households,
}

impl CommunityNotices {
    pub fn new(households: Households) -> Self {
        Self { households }
    }

    /// Plans one notice per usable channel of the asker's household and marks the answer's
    /// notice planned in the same transaction; returns how many were written (none when there is
    /// no household, no consent to the community, no usable channel, or when this answer was
    /// announced already: it is marked planned all the same).
    pub async fn answer_posted(
        &self,
        posted: &AnswerPosted,
        now: DateTime<Utc>,
    ) -> Result<u64, PlannerError> {
        let household = self.asker_household(posted.asker).await?;
        let txn = begin_write(self.households.connection()).await?;
        // The consent is read under the lock a withdrawal takes, so that a withdrawal either
        // comes first and is seen here, or comes after and cancels what this queues.
        match_store::exclude_consent_changes(&txn).await?;
        let planned = match household {
            Some(household) if consent_active_on(&txn, household, ConsentPurpose::Community).await? => {
                enqueue_answer_notices(&txn, household, posted, now).await?
            }
            _ => 0,
        };
        mark_planned(&txn, posted.answer, now).await?;
        txn.commit().await?;
        Ok(planned)
    }

    /// The asker's household, if the account has registered one.
    async fn asker_household(&self, asker: AccountId) -> Result<Option<HouseholdId>, PlannerError> {
        Ok(self
            .households
            .account(asker)
            .await?
            .and_then(|account| account.household))
    }
}

async fn enqueue_answer_notices(
    txn: &impl ConnectionTrait,
    household: HouseholdId,
    posted: &AnswerPosted,
    now: DateTime<Utc>,
) -> Result<u64, PlannerError> {
    let id = household.to_string();
    let Some(record) = kosodate_households::record_on(txn, &id).await? else {
        return Ok(0);
    };
    let channels = kosodate_households::deliverable_channels(txn, std::slice::from_ref(&id))
        .await?
        .remove(&id)
        .unwrap_or_default();
    let content = NoticeContent {
        kind: NoticeKind::CommunityAnswer,
        programs: Vec::new(),
        disabled_channel: None,
        question: Some(QuestionNotice {
            title: posted.question_title.clone(),
            url: posted.question_url.clone(),
        }),
        events: Vec::new(),
    };
    let drafts = drafts(&record, &channels, Some(posted.answer), None, &content);
    Ok(outbox::enqueue(txn, drafts, now).await?)
}

/// The community's table by name: the planner must not depend on the community crate, and the
/// column is the one fact the two share (the community's sweep reads it).
async fn mark_planned(
    txn: &impl ConnectionTrait,
    answer: Uuid,
    now: DateTime<Utc>,
) -> Result<(), PlannerError> {
    let update = Query::update()
        .table(Alias::new("community_answers"))
        .value(
            Alias::new("notice_planned_at"),
            kosodate_database::stored_instant(now),
        )
        .and_where(Expr::col(Alias::new("id")).eq(answer.to_string()))
        .and_where(Expr::col(Alias::new("notice_planned_at")).is_null())
        .to_owned();
    txn.execute(&update).await?;
    Ok(())
}
