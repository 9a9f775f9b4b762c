//! Review reminders. A reminder is decided once per program and due date: the decision is a row
//! of `review_reminders` whose primary key is (program, due date), inserted in the transaction
//! that also queues the mails, so that however many processes run the job, a cycle's reminder is
//! mailed once. The mails wait in `review_reminder_mails`, a small outbox of their own: the
//! notifier's outbox belongs to households (every row names one and its contact channel, and
//! carries a parent's unsubscribe link), and staff are not households.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kosodate_domain::{EmailAddress, MunicipalityCode, PREFECTURE_CODE, ProgramId, Vocabulary, japan};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::REVIEW_DUE_SOON_DAYS;
use super::staff::{StaffMember, reminder_recipients};
use crate::entity::{program, review_reminder, review_reminder_mail};
use crate::error::RegistryError;
use crate::model::{Program, ProgramOwner, ProgramStatus};
use crate::store::program_from_row;

/// A published program whose review is due (or due within [`REVIEW_DUE_SOON_DAYS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReview {
    pub program_id: ProgramId,
    pub name: String,
    /// The version the reminder was decided for: a link from it names this version.
    pub version: i32,
    pub due_on: NaiveDate,
}

/// The reminders one organisation gets now: its programs due, and who to tell.
#[derive(Debug, Clone)]
pub struct ReminderBatch {
    pub organisation: MunicipalityCode,
    pub programs: Vec<DueReview>,
    pub recipients: Vec<StaffMember>,
}

/// The organisation that reviews a program: its owner, or the prefecture for the national
/// programs it curates for its residents.
pub fn reviewing_organisation(owner: &ProgramOwner) -> MunicipalityCode {
    match owner {
        ProgramOwner::Local(code) => *code,
        ProgramOwner::National => PREFECTURE_CODE,
    }
}

/// Decides the reminders due at `now`, recording each decision. Run it in the write transaction
/// that queues the mails ([`queue_mails`]). A program whose reminder for this due date was decided
/// before (by this or another process) is left out; so is an organisation with nobody to mail
/// (its reminders are decided once somebody with an address has signed in).
pub async fn decide(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<ReminderBatch>, RegistryError> {
    let horizon = japan::date_of(now) + Duration::days(REVIEW_DUE_SOON_DAYS as i64);
    let mut due: BTreeMap<MunicipalityCode, Vec<(Program, NaiveDate)>> = BTreeMap::new();
    for program in published_programs(txn).await? {
        let due_on = program.review_due_on();
        if due_on <= horizon {
            let organisation = reviewing_organisation(&program.content.owner);
            due.entry(organisation).or_default().push((program, due_on));
        }
    }
    let mut batches = Vec::new();
    for (organisation, programs) in due {
        let recipients = reminder_recipients(txn, organisation).await?;
        if recipients.is_empty() {
            continue;
        }
        let mut decided = Vec::new();
        for (program, due_on) in programs {
            if record_decision(txn, organisation, &program, due_on, now).await? {
                decided.push(DueReview {
                    program_id: program.id,
                    name: program.content.name,
                    version: program.version,
                    due_on,
                });
            }
        }
        if !decided.is_empty() {
            batches.push(ReminderBatch {
                organisation,
                programs: decided,
                recipients,
            });
        }
    }
    Ok(batches)
}

async fn published_programs(db: &impl ConnectionTrait) -> Result<Vec<Program>, RegistryError> {
    program::Entity::find()
        .filter(program::Column::Status.eq(ProgramStatus::Published.id()))
        .order_by_asc(program::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(program_from_row)
        .collect()
}

/// Whether this call decided the reminder (false: it was decided before). On PostgreSQL a
/// concurrent insert of the same key waits for the other transaction and then inserts nothing.
async fn record_decision(
    txn: &impl ConnectionTrait,
    organisation: MunicipalityCode,
    program: &Program,
    due_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, RegistryError> {
    let row = review_reminder::ActiveModel {
        program_id: Set(program.id.to_string()),
        due_on: Set(due_on),
        organisation: Set(organisation.as_str().to_owned()),
        program_version: Set(program.version),
        created_at: Set(now),
    };
    let inserted = review_reminder::Entity::insert(row)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    Ok(inserted == 1)
}

/// One reminder mail, rendered.
#[derive(Debug, Clone)]
pub struct ReminderMail {
    pub staff_id: Uuid,
    pub address: EmailAddress,
    pub subject: String,
    pub body: String,
}

/// Queues mails in the transaction that decided them.
pub async fn queue_mails(
    txn: &impl ConnectionTrait,
    mails: Vec<ReminderMail>,
    now: DateTime<Utc>,
) -> Result<(), RegistryError> {
    if mails.is_empty() {
        return Ok(());
    }
    let rows = mails.into_iter().map(|mail| review_reminder_mail::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        staff_id: Set(mail.staff_id.to_string()),
        address: Set(mail.address.as_str().to_owned()),
        subject: Set(mail.subject),
        body: Set(mail.body),
        status: Set(MailStatus::Queued.stored().to_owned()),
        attempts: Set(0),
        not_before: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    });
    review_reminder_mail::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MailStatus {
    Queued,
    /// Claimed by a process until `not_before` (its lease); then anybody may claim it again.
    Sending,
    Sent,
    /// Given up after [`MAX_ATTEMPTS`].
    Dead,
}

impl MailStatus {
    fn stored(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Dead => "dead",
        }
    }
}

const MAX_ATTEMPTS: i32 = 6;

/// A mail claimed for delivery. The id is stable across attempts (the mail's `Message-ID`).
#[derive(Debug, Clone)]
pub struct ClaimedMail {
    pub id: Uuid,
    pub address: EmailAddress,
    pub subject: String,
    pub body: String,
}

/// Claims up to `limit` mails due at `now` for `lease`. Each claim is a compare-and-set on the
/// row, so two processes never both hold one; a process that dies lets its lease run out.
pub async fn claim_mails(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<ClaimedMail>, RegistryError> {
    let pending = [MailStatus::Queued.stored(), MailStatus::Sending.stored()];
    let candidates = review_reminder_mail::Entity::find()
        .filter(review_reminder_mail::Column::Status.is_in(pending))
        .filter(review_reminder_mail::Column::NotBefore.lte(now))
        .order_by_asc(review_reminder_mail::Column::NotBefore)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::new();
    for row in candidates {
        let taken = review_reminder_mail::Entity::update_many()
            .col_expr(
                review_reminder_mail::Column::Status,
                Expr::value(MailStatus::Sending.stored()),
            )
            .col_expr(review_reminder_mail::Column::NotBefore, Expr::value(now + lease))
            .col_expr(
                review_reminder_mail::Column::Attempts,
                Expr::col(review_reminder_mail::Column::Attempts).add(1),
            )
            .filter(review_reminder_mail::Column::Id.eq(row.id.clone()))
            .filter(review_reminder_mail::Column::Status.is_in(pending))
            .filter(review_reminder_mail::Column::NotBefore.eq(row.not_before))
            .exec(db)
            .await?;
        if taken.rows_affected == 1 {
            claimed.push(claimed_mail(row)?);
        }
    }
    Ok(claimed)
}

fn claimed_mail(row: review_reminder_mail::Model) -> Result<ClaimedMail, RegistryError> {
    let corrupt = |what: &str| RegistryError::Corrupt(format!("reminder mail {}: {what}", row.id));
    Ok(ClaimedMail {
        id: Uuid::parse_str(&row.id).map_err(|_| corrupt("id"))?,
        address: EmailAddress::parse(&row.address).map_err(|_| corrupt("address"))?,
        subject: row.subject,
        body: row.body,
    })
}

/// Records how a claimed mail's delivery ended: sent, or failed with a reason (tried again after
/// 2, 4, 8 … minutes, then given up).
pub async fn record_delivery(
    db: &impl ConnectionTrait,
    id: Uuid,
    outcome: Result<(), String>,
    now: DateTime<Utc>,
) -> Result<(), RegistryError> {
    let Some(row) = review_reminder_mail::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let mut update = review_reminder_mail::Entity::update_many()
        .filter(review_reminder_mail::Column::Id.eq(id.to_string()));
    update = match outcome {
        Ok(()) => update
            .col_expr(
                review_reminder_mail::Column::Status,
                Expr::value(MailStatus::Sent.stored()),
            )
            .col_expr(review_reminder_mail::Column::SentAt, Expr::value(Some(now)))
            .col_expr(
                review_reminder_mail::Column::LastError,
                Expr::value(Option::<String>::None),
            ),
        Err(reason) => {
            let status = match row.attempts >= MAX_ATTEMPTS {
                true => MailStatus::Dead,
                false => MailStatus::Queued,
            };
            let backoff = Duration::minutes(1 << row.attempts.clamp(1, 10));
            let reason: String = reason.chars().take(500).collect();
            update
                .col_expr(review_reminder_mail::Column::Status, Expr::value(status.stored()))
                .col_expr(
                    review_reminder_mail::Column::NotBefore,
                    Expr::value(now + backoff),
                )
                .col_expr(review_reminder_mail::Column::LastError, Expr::value(Some(reason)))
        }
    };
    update.exec(db).await?;
    Ok(())
}
