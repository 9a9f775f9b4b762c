//! The durable outbox: notices are rows, planned in the same transaction as whatever caused them
//! and claimed by workers in batches. On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`, so
//! any number of worker processes share one queue without taking each other's rows; on SQLite one
//! worker runs. A claimed row carries a lease: if its worker dies, the row is claimed again when
//! the lease runs out, and the retry reaches the provider with the same idempotency key.

use chrono::{DateTime, NaiveDate, Utc};
use kosodate_domain::Vocabulary;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::channel::{Address, ChannelKind, PartnerAppLink, PushSubscription};
use crate::content::{NoticeContent, NoticeKind};
use crate::entity::{notice, notice_attempt};
use crate::schedule::{QuietHours, digest_slot, next_allowed};

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox database query failed")]
    Database(#[from] DbErr),
    #[error("stored notice is corrupt: {0}")]
    Corrupt(String),
}

/// Where a notice is in its life; the ids are stored in `notices.status`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NoticeStatus {
    #[strum(message = "送信待ち")]
    Queued,
    #[strum(message = "送信中")]
    Sending,
    #[strum(message = "送信済み")]
    Sent,
    #[strum(message = "再送待ち")]
    Retrying,
    /// Gave up: too many failed attempts, an address that is gone, or a refused message.
    /// Administrators see these and can send them again.
    #[strum(message = "送信失敗")]
    Dead,
    /// The household withdrew the consent or removed the channel before delivery.
    #[strum(message = "取り消し")]
    Cancelled,
    /// No longer worth sending: the household applied already or is not interested.
    #[strum(message = "送信不要")]
    Suppressed,
}

kosodate_domain::vocabulary_deserialize!(NoticeStatus);

/// A notice to plan.
#[derive(Debug, Clone)]
pub struct NoticeDraft {
    pub household_id: Uuid,
    pub channel_id: Uuid,
    /// The change event it announces: with the channel, its idempotency key.
    pub event_id: Option<Uuid>,
    pub program_id: Option<Uuid>,
    pub address: Address,
    pub content: NoticeContent,
    pub quiet: Option<QuietHours>,
    /// The household prefers one message a day.
    pub digest: bool,
}

/// Addresses as stored: `{"email": …}`, `{"line": …}`, `{"web_push": {endpoint, p256dh, auth}}`,
/// `{"partner_app": {partner_id, subject}}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StoredAddress {
    Email(String),
    Line(String),
    WebPush {
        endpoint: url::Url,
        p256dh: String,
        auth: String,
    },
    PartnerApp {
        partner_id: Uuid,
        subject: String,
    },
}

fn store_address(address: &Address) -> serde_json::Value {
    let stored = match address {
        Address::Email(email) => StoredAddress::Email(email.as_str().to_owned()),
        Address::Line(user) => StoredAddress::Line(user.as_str().to_owned()),
        Address::WebPush(subscription) => StoredAddress::WebPush {
            endpoint: subscription.endpoint.clone(),
            p256dh: subscription.p256dh.clone(),
            auth: subscription.auth.clone(),
        },
        Address::PartnerApp(link) => StoredAddress::PartnerApp {
            partner_id: link.partner_id,
            subject: link.subject.clone(),
        },
    };
    serde_json::to_value(stored).unwrap_or_default()
}

fn load_address(value: serde_json::Value) -> Result<Address, OutboxError> {
    let corrupt = |what: &str| OutboxError::Corrupt(format!("address: {what}"));
    let stored: StoredAddress = serde_json::from_value(value).map_err(|_| corrupt("shape"))?;
    Ok(match stored {
        StoredAddress::Email(email) => {
            Address::Email(kosodate_domain::EmailAddress::parse(&email).map_err(|_| corrupt("email"))?)
        }
        StoredAddress::Line(user) => {
            Address::Line(kosodate_domain::LineUserId::parse(&user).map_err(|_| corrupt("line"))?)
        }
        StoredAddress::WebPush {
            endpoint,
            p256dh,
            auth,
        } => Address::WebPush(PushSubscription {
            endpoint,
            p256dh,
            auth,
        }),
        StoredAddress::PartnerApp { partner_id, subject } => {
            Address::PartnerApp(PartnerAppLink { partner_id, subject })
        }
    })
}

fn channel_kind(address: &Address) -> ChannelKind {
    match address {
        Address::Email(_) => ChannelKind::Email,
        Address::Line(_) => ChannelKind::Line,
        Address::WebPush(_) => ChannelKind::WebPush,
        Address::PartnerApp(_) => ChannelKind::PartnerApp,
    }
}

fn quiet_columns(quiet: Option<QuietHours>) -> (Option<i16>, Option<i16>) {
    let minute = |value: u16| i16::try_from(value).ok();
    match quiet {
        Some(quiet) => (minute(quiet.from_minute), minute(quiet.until_minute)),
        None => (None, None),
    }
}

fn quiet_of(row: &notice::Model) -> Option<QuietHours> {
    Some(QuietHours {
        from_minute: u16::try_from(row.quiet_from?).ok()?,
        until_minute: u16::try_from(row.quiet_until?).ok()?,
    })
}

/// Rows per INSERT: far below either database's bind-parameter limit.
const INSERT_CHUNK: usize = 500;

/// Plans notices; a draft whose (event, channel) was planned before is skipped. Returns how many
/// rows were inserted. Run it inside the transaction that records their cause.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    drafts: Vec<NoticeDraft>,
    now: DateTime<Utc>,
) -> Result<u64, OutboxError> {
    let mut rows = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let (digest_id, not_before) = match draft.digest {
            true => match open_digest(txn, &draft, now).await? {
                Some((id, at)) => (Some(id), at),
                None => (None, next_allowed(now, draft.quiet)),
            },
            false => (None, next_allowed(now, draft.quiet)),
        };
        rows.push(new_row(
            &draft,
            draft.content.kind,
            digest_id,
            None,
            not_before,
            now,
        )?);
    }
    let mut inserted = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        inserted += notice::Entity::insert_many(chunk.to_vec())
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(inserted)
}

fn new_row(
    draft: &NoticeDraft,
    kind: NoticeKind,
    digest_id: Option<String>,
    digest_on: Option<NaiveDate>,
    not_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<notice::ActiveModel, OutboxError> {
    let (quiet_from, quiet_until) = quiet_columns(draft.quiet);
    let content = match kind {
        NoticeKind::Digest => NoticeContent {
            kind,
            programs: Vec::new(),
            disabled_channel: None,
            question: None,
            events: Vec::new(),
        },
        _ => draft.content.clone(),
    };
    let is_digest = kind == NoticeKind::Digest;
    Ok(notice::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        household_id: Set(draft.household_id.to_string()),
        channel_id: Set(draft.channel_id.to_string()),
        channel_kind: Set(channel_kind(&draft.address).id().to_owned()),
        kind: Set(kind.id().to_owned()),
        event_id: Set(draft.event_id.filter(|_| !is_digest).map(|id| id.to_string())),
        program_id: Set(draft.program_id.filter(|_| !is_digest).map(|id| id.to_string())),
        digest_id: Set(digest_id),
        digest_on: Set(digest_on),
        address: Set(store_address(&draft.address)),
        content: Set(serde_json::to_value(&content).map_err(|e| OutboxError::Corrupt(e.to_string()))?),
        quiet_from: Set(quiet_from),
        quiet_until: Set(quiet_until),
        status: Set(NoticeStatus::Queued.id().to_owned()),
        attempts: Set(0),
        not_before: Set(not_before),
        lease_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
    })
}

/// The digest the draft joins: tomorrow morning's for its channel, created if needed. `None` when
/// that digest is already being sent (the draft then goes out on its own).
async fn open_digest(
    txn: &impl ConnectionTrait,
    draft: &NoticeDraft,
    now: DateTime<Utc>,
) -> Result<Option<(String, DateTime<Utc>)>, OutboxError> {
    let (date, at) = digest_slot(now, draft.quiet);
    let row = new_row(draft, NoticeKind::Digest, None, Some(date), at, now)?;
    notice::Entity::insert(row)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    let mut query = notice::Entity::find()
        .filter(notice::Column::ChannelId.eq(draft.channel_id.to_string()))
        .filter(notice::Column::DigestOn.eq(date));
    // A worker that claims the digest waits for this transaction, and then sees its new member.
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        query = query.lock_exclusive();
    }
    let Some(digest) = query.one(txn).await? else {
        return Ok(None);
    };
    Ok((digest.status == NoticeStatus::Queued.id()).then_some((digest.id, digest.not_before)))
}

/// A notice a worker has claimed, ready to render and deliver.
#[derive(Debug, Clone)]
pub struct ClaimedNotice {
    pub id: Uuid,
    pub household_id: Uuid,
    pub channel_id: Uuid,
    pub channel_kind: ChannelKind,
    pub address: Address,
    pub content: NoticeContent,
    pub quiet: Option<QuietHours>,
    /// This claim's attempt number (1 for the first).
    pub attempt: i32,
}

/// Claims due rows in one statement. `{p1}`… are the backend's placeholders; `{lock}` lets
/// PostgreSQL workers skip each other's rows (SQLite has one writer at a time anyway).
///
/// The rows are chosen in a `MATERIALIZED` CTE, evaluated exactly once: written as
/// `WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`, PostgreSQL may run the sub-select
/// again for each row it joins, each time skipping the rows it just locked, and claim far more
/// than `n` (seen in the notice benchmark: 32,792 rows in one claim of 200).
///
/// A claim moves `not_before` to the end of the lease: a notice whose worker died becomes due
/// again then, so one range over `notices_due_idx` finds both kinds of due rows and the claim
/// reads only the rows it takes, however long the queue.
fn claim_statement(backend: DatabaseBackend) -> String {
    let (p1, p2, p3, lock) = match backend {
        DatabaseBackend::Postgres => ("$1", "$2", "$3", "FOR UPDATE SKIP LOCKED"),
        _ => ("?1", "?2", "?3", ""),
    };
    let (queued, retrying, sending) = (
        NoticeStatus::Queued.id(),
        NoticeStatus::Retrying.id(),
        NoticeStatus::Sending.id(),
    );
    format!(
        "WITH due AS MATERIALIZED (SELECT id FROM notices \
             WHERE status IN ('{queued}', '{retrying}', '{sending}') AND digest_id IS NULL \
               AND not_before <= {p2} \
             ORDER BY not_before LIMIT {p3} {lock}) \
         UPDATE notices SET status = '{sending}', attempts = attempts + 1, lease_until = {p1}, \
             not_before = {p1}, updated_at = {p2} \
         WHERE id IN (SELECT id FROM due) \
         RETURNING *"
    )
}

/// Claims up to `limit` notices that are due (or whose worker's lease ran out) until
/// `lease_until`.
pub async fn claim(
    db: &DatabaseConnection,
    limit: u64,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<ClaimedNotice>, OutboxError> {
    let txn = kosodate_database::begin_write(db).await?;
    let backend = txn.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        // Plans the claim for the queue as it is now. A worker prepares the statement while the
        // queue is empty; PostgreSQL would then keep a generic plan made for an empty table,
        // whose nested-loop join costs rows × batch once a burst arrives (seen in the notice
        // benchmark: 10 s per claim of 1,000 from 20,000) until autovacuum re-analyses it.
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
    }
    let sql = claim_statement(backend);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let values: Vec<Value> = vec![lease_until.into(), now.into(), limit.into()];
    let rows = notice::Model::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
        .all(&txn)
        .await?;
    txn.commit().await?;
    rows.into_iter().map(claimed).collect()
}

fn parse_uuid(text: &str, what: &str) -> Result<Uuid, OutboxError> {
    Uuid::parse_str(text).map_err(|_| OutboxError::Corrupt(format!("{what}: {text}")))
}

fn claimed(row: notice::Model) -> Result<ClaimedNotice, OutboxError> {
    Ok(ClaimedNotice {
        id: parse_uuid(&row.id, "id")?,
        household_id: parse_uuid(&row.household_id, "household_id")?,
        channel_id: parse_uuid(&row.channel_id, "channel_id")?,
        channel_kind: ChannelKind::parse(&row.channel_kind)
            .ok_or_else(|| OutboxError::Corrupt(format!("channel kind {}", row.channel_kind)))?,
        quiet: quiet_of(&row),
        attempt: row.attempts,
        content: serde_json::from_value(row.content).map_err(|e| OutboxError::Corrupt(e.to_string()))?,
        address: load_address(row.address)?,
    })
}

/// The queued members of a digest, oldest first.
pub async fn digest_members(
    db: &impl ConnectionTrait,
    digest: Uuid,
) -> Result<Vec<(Uuid, NoticeContent)>, OutboxError> {
    let rows = notice::Entity::find()
        .filter(notice::Column::DigestId.eq(digest.to_string()))
        .filter(notice::Column::Status.eq(NoticeStatus::Queued.id()))
        .order_by_asc(notice::Column::Id)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|row| {
            let content =
                serde_json::from_value(row.content).map_err(|e| OutboxError::Corrupt(e.to_string()))?;
            Ok((parse_uuid(&row.id, "id")?, content))
        })
        .collect()
}

/// How one attempt ended, as the worker records it.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub notice: Uuid,
    pub attempt: i32,
    /// Digest members sent with it.
    pub members: Vec<Uuid>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub result: AttemptResult,
}

#[derive(Debug, Clone)]
pub enum AttemptResult {
    Sent {
        provider_id: Option<String>,
        repeat: bool,
    },
    /// Try again at `retry_at`.
    Retry { retry_at: DateTime<Utc>, error: String },
    /// Given up; `gone`: the address will never work again.
    Dead { error: String, gone: bool },
    /// Nothing left to send (a digest whose members were all withdrawn).
    Nothing,
    /// Not attempted: the notice came due inside its quiet hours (a lease that ran out at night,
    /// a re-drive). It waits until `until` without using up an attempt.
    Deferred { until: DateTime<Utc> },
}

impl AttemptResult {
    /// The attempt's outcome as `notice_attempts.outcome` and the metrics label name it.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Sent { repeat: false, .. } => "sent",
            Self::Sent { repeat: true, .. } => "repeat",
            Self::Retry { .. } => "retry",
            Self::Dead { gone: true, .. } => "gone",
            Self::Dead { gone: false, .. } => "dead",
            Self::Nothing => "nothing",
            Self::Deferred { .. } => "deferred",
        }
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(500).collect()
}

/// Records a batch of attempts in one transaction.
pub async fn record(db: &DatabaseConnection, records: &[AttemptRecord]) -> Result<(), OutboxError> {
    let txn = kosodate_database::begin_write(db).await?;
    let now = Utc::now();
    let sent: Vec<String> = records
        .iter()
        .filter(|record| matches!(record.result, AttemptResult::Sent { .. }))
        .flat_map(|record| std::iter::once(record.notice).chain(record.members.iter().copied()))
        .map(|id| id.to_string())
        .collect();
    for chunk in sent.chunks(INSERT_CHUNK) {
        notice::Entity::update_many()
            .col_expr(notice::Column::Status, Expr::value(NoticeStatus::Sent.id()))
            .col_expr(notice::Column::SentAt, Expr::value(now))
            .col_expr(notice::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                notice::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(notice::Column::Id.is_in(chunk.to_vec()))
            .exec(&txn)
            .await?;
    }
    for record in records {
        let (status, not_before, error) = match &record.result {
            AttemptResult::Sent { .. } => continue,
            AttemptResult::Retry { retry_at, error } => {
                (NoticeStatus::Retrying, Some(*retry_at), Some(error))
            }
            AttemptResult::Dead { error, .. } => (NoticeStatus::Dead, None, Some(error)),
            AttemptResult::Nothing => (NoticeStatus::Suppressed, None, None),
            AttemptResult::Deferred { until } => (NoticeStatus::Queued, Some(*until), None),
        };
        let mut update = notice::Entity::update_many()
            .col_expr(notice::Column::Status, Expr::value(status.id()))
            .col_expr(notice::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                notice::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                notice::Column::LastError,
                Expr::value(error.map(|error| truncate(error))),
            );
        if let Some(not_before) = not_before {
            update = update.col_expr(notice::Column::NotBefore, Expr::value(not_before));
        }
        if let AttemptResult::Deferred { .. } = record.result {
            // The claim counted an attempt that did not happen.
            update = update.col_expr(
                notice::Column::Attempts,
                Expr::col(notice::Column::Attempts).sub(1),
            );
        }
        update
            .filter(notice::Column::Id.eq(record.notice.to_string()))
            .exec(&txn)
            .await?;
    }
    insert_attempts(&txn, records).await?;
    txn.commit().await?;
    Ok(())
}

async fn insert_attempts(txn: &impl ConnectionTrait, records: &[AttemptRecord]) -> Result<(), OutboxError> {
    let rows: Vec<notice_attempt::ActiveModel> = records
        .iter()
        .filter(|record| !matches!(record.result, AttemptResult::Deferred { .. }))
        .map(|record| {
            let (provider_id, error) = match &record.result {
                AttemptResult::Sent { provider_id, .. } => (provider_id.clone(), None),
                AttemptResult::Retry { error, .. } | AttemptResult::Dead { error, .. } => {
                    (None, Some(truncate(error)))
                }
                AttemptResult::Nothing | AttemptResult::Deferred { .. } => (None, None),
            };
            notice_attempt::ActiveModel {
                notice_id: Set(record.notice.to_string()),
                attempt: Set(record.attempt),
                started_at: Set(record.started_at),
                finished_at: Set(record.finished_at),
                outcome: Set(record.result.outcome().to_owned()),
                provider_id: Set(provider_id.map(|id| truncate(&id))),
                error: Set(error),
            }
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        notice_attempt::Entity::insert_many(chunk.to_vec())
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Which pending notices to stop.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Household(Uuid),
    /// One channel of a household (removed, unsubscribed, or switched off).
    Channel(Uuid),
    /// A household's notices through every channel of one kind (consent to that kind withdrawn).
    ChannelKind(Uuid, ChannelKind),
    /// A household's notices about one program (applied, or not interested).
    Program(Uuid, &'a str),
    /// A household's notices of one kind through every channel (the consent behind that kind
    /// withdrawn, as the community's for its answer notices).
    Kind(Uuid, NoticeKind),
}

/// Stops the pending (queued or retrying) notices in `scope`, with `status` (`Cancelled` or
/// `Suppressed`). Notices being sent right now finish. Returns how many were stopped.
pub async fn stop_pending(
    txn: &impl ConnectionTrait,
    scope: Scope<'_>,
    status: NoticeStatus,
) -> Result<u64, OutboxError> {
    let mut update = notice::Entity::update_many()
        .col_expr(notice::Column::Status, Expr::value(status.id()))
        .col_expr(notice::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(notice::Column::Status.is_in([NoticeStatus::Queued.id(), NoticeStatus::Retrying.id()]));
    update = match scope {
        Scope::Household(household) => update.filter(notice::Column::HouseholdId.eq(household.to_string())),
        Scope::Channel(channel) => update.filter(notice::Column::ChannelId.eq(channel.to_string())),
        Scope::ChannelKind(household, kind) => update
            .filter(notice::Column::HouseholdId.eq(household.to_string()))
            .filter(notice::Column::ChannelKind.eq(kind.id())),
        Scope::Program(household, program) => update
            .filter(notice::Column::HouseholdId.eq(household.to_string()))
            .filter(notice::Column::ProgramId.eq(program)),
        Scope::Kind(household, kind) => update
            .filter(notice::Column::HouseholdId.eq(household.to_string()))
            .filter(notice::Column::Kind.eq(kind.id())),
    };
    Ok(update.exec(txn).await?.rows_affected)
}

/// What an action link needs to know about its notice.
#[derive(Debug, Clone)]
pub struct NoticeRef {
    pub household_id: Uuid,
    pub channel_id: Uuid,
    pub content: NoticeContent,
}

pub async fn notice_ref(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<NoticeRef>, OutboxError> {
    let Some(row) = notice::Entity::find_by_id(id.to_string()).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(NoticeRef {
        household_id: parse_uuid(&row.household_id, "household_id")?,
        channel_id: parse_uuid(&row.channel_id, "channel_id")?,
        content: serde_json::from_value(row.content).map_err(|e| OutboxError::Corrupt(e.to_string()))?,
    }))
}

/// A dead notice as administrators see it: what and why, never to whom or what it said.
#[derive(Debug, Clone, Serialize, FromQueryResult, utoipa::ToSchema)]
pub struct DeadLetter {
    pub id: String,
    pub channel_kind: String,
    pub kind: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn dead_letters(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<DeadLetter>, OutboxError> {
    Ok(notice::Entity::find()
        .select_only()
        .columns([
            notice::Column::Id,
            notice::Column::ChannelKind,
            notice::Column::Kind,
            notice::Column::Attempts,
            notice::Column::LastError,
            notice::Column::CreatedAt,
            notice::Column::UpdatedAt,
        ])
        .filter(notice::Column::Status.eq(NoticeStatus::Dead.id()))
        .order_by_asc(notice::Column::Id)
        .limit(limit)
        .into_model::<DeadLetter>()
        .all(db)
        .await?)
}

/// Sends dead notices again (all of them, or those listed), from a fresh attempt count.
pub async fn redrive(db: &impl ConnectionTrait, ids: Option<&[Uuid]>) -> Result<u64, OutboxError> {
    let now = Utc::now();
    let mut update = notice::Entity::update_many()
        .col_expr(notice::Column::Status, Expr::value(NoticeStatus::Queued.id()))
        .col_expr(notice::Column::Attempts, Expr::value(0))
        .col_expr(notice::Column::NotBefore, Expr::value(now))
        .col_expr(notice::Column::UpdatedAt, Expr::value(now))
        .filter(notice::Column::Status.eq(NoticeStatus::Dead.id()));
    if let Some(ids) = ids {
        update = update.filter(notice::Column::Id.is_in(ids.iter().map(Uuid::to_string)));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Notices by channel and status, for `/metrics` and the staff view.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct StatusCount {
    pub channel_kind: String,
    pub status: String,
    pub count: i64,
}

pub async fn status_counts(db: &impl ConnectionTrait) -> Result<Vec<StatusCount>, OutboxError> {
    Ok(notice::Entity::find()
        .select_only()
        .column(notice::Column::ChannelKind)
        .column(notice::Column::Status)
        .column_as(notice::Column::Id.count(), "count")
        .group_by(notice::Column::ChannelKind)
        .group_by(notice::Column::Status)
        .order_by_asc(notice::Column::ChannelKind)
        .order_by_asc(notice::Column::Status)
        .into_model::<StatusCount>()
        .all(db)
        .await?)
}

/// One attempt as recorded.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct AttemptView {
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub outcome: String,
    pub error: Option<String>,
}

pub async fn attempts(db: &impl ConnectionTrait, notice: Uuid) -> Result<Vec<AttemptView>, OutboxError> {
    Ok(notice_attempt::Entity::find()
        .select_only()
        .columns([
            notice_attempt::Column::Attempt,
            notice_attempt::Column::StartedAt,
            notice_attempt::Column::FinishedAt,
            notice_attempt::Column::Outcome,
            notice_attempt::Column::Error,
        ])
        .filter(notice_attempt::Column::NoticeId.eq(notice.to_string()))
        .order_by_asc(notice_attempt::Column::Attempt)
        .into_model::<AttemptView>()
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use kosodate_domain::serde_names_agree;
    use strum::VariantArray;

    use super::*;

    #[test]
    fn statuses_keep_their_stored_ids() {
        let ids: Vec<&str> = NoticeStatus::VARIANTS.iter().map(|status| status.id()).collect();
        assert_eq!(
            ids,
            [
                "queued",
                "sending",
                "sent",
                "retrying",
                "dead",
                "cancelled",
                "suppressed"
            ]
        );
        serde_names_agree::<NoticeStatus>().unwrap_or_else(|error| panic!("{error}"));
    }
}
