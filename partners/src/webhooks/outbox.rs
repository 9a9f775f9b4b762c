//! The delivery outbox. A delivery is written once per (subscription, event type, resource,
//! version); its id is the message's `webhook-id` on every attempt. Workers claim due rows with
//! a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL): a claimed row's `not_before` becomes its
//! lease's end, so a worker that dies leaves a row that is due again when the lease runs out.
//! Failed attempts wait as the Standard Webhooks schedule says (5 s, 5 min, 30 min, 2 h, 5 h,
//! 10 h, 10 h by default) with ±20 % jitter, then the delivery is dead; a 4xx other than 408 and
//! 429 is dead at once, since asking again will not change the answer. Dead deliveries are sent
//! again only when an administrator re-drives them.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value,
};
use serde::Serialize;
use url::Url;
use uuid::Uuid;

use super::{ResourceChange, subscription_from_row};
use crate::entity::{delivery, partner, subscription};
use crate::error::PartnersError;
use crate::store::Partners;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    utoipa::ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DeliveryStatus {
    #[strum(message = "送信待ち")]
    Queued,
    #[strum(message = "送信中")]
    Sending,
    #[strum(message = "再送待ち")]
    Retrying,
    #[strum(message = "送信済み")]
    Delivered,
    #[strum(message = "送信失敗")]
    Dead,
}

impl DeliveryStatus {
    fn id(self) -> &'static str {
        self.into()
    }
}

/// How long to wait after each failed attempt; after the last, the delivery is dead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<Duration>);

impl Default for RetrySchedule {
    /// The Standard Webhooks schedule after the first, immediate attempt.
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        Self(vec![
            Duration::from_secs(5),
            minutes(5),
            minutes(30),
            minutes(120),
            minutes(300),
            minutes(600),
            minutes(600),
        ])
    }
}

impl RetrySchedule {
    /// The wait after failed attempt `attempt` (from 1), with jitter; `None` after the last.
    fn wait_after(&self, attempt: i32) -> Option<Duration> {
        let base = *self.0.get(usize::try_from(attempt).ok()?.checked_sub(1)?)?;
        Some(base.mul_f64(rand::rng().random_range(0.8..=1.2)))
    }
}

/// A delivery a worker holds until its lease ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    /// The `webhook-id`, the same on every attempt.
    pub id: String,
    pub partner_id: Uuid,
    pub url: Url,
    pub body: String,
    /// This attempt's number, from 1.
    pub attempt: i32,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx answer.
    Delivered { status: u16 },
    /// An answer or failure worth trying again: 5xx, 408, 429, a timeout, no connection.
    Failed { status: Option<u16>, error: String },
    /// Any other answer (4xx): trying again would not change it.
    Refused { status: u16 },
    /// The partner was revoked after the delivery was written: nothing is sent.
    PartnerRevoked,
}

impl AttemptOutcome {
    /// The outcome of an HTTP answer with `status`.
    pub fn of_status(status: u16) -> Self {
        match status {
            200..=299 => Self::Delivered { status },
            408 | 429 => Self::Failed {
                status: Some(status),
                error: format!("answered {status}"),
            },
            400..=499 => Self::Refused { status },
            _ => Self::Failed {
                status: Some(status),
                error: format!("answered {status}"),
            },
        }
    }
}

/// A delivery as administrators see it: what and how it went, never the body's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub subscription_id: Uuid,
    pub event_type: String,
    pub resource_id: String,
    pub resource_version: i32,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

fn claim_statement(backend: DatabaseBackend) -> String {
    let (p1, p2, p3, lock) = match backend {
        DatabaseBackend::Postgres => ("$1", "$2", "$3", "FOR UPDATE SKIP LOCKED"),
        _ => ("?1", "?2", "?3", ""),
    };
    let (queued, retrying, sending) = (
        DeliveryStatus::Queued.id(),
        DeliveryStatus::Retrying.id(),
        DeliveryStatus::Sending.id(),
    );
    format!(
        "WITH due AS MATERIALIZED (SELECT id FROM partner_webhook_deliveries \
             WHERE status IN ('{queued}', '{retrying}', '{sending}') AND not_before <= {p2} \
             ORDER BY not_before LIMIT {p3} {lock}) \
         UPDATE partner_webhook_deliveries SET status = '{sending}', attempts = attempts + 1, not_before = {p1} \
         WHERE id IN (SELECT id FROM due) \
         RETURNING *"
    )
}

impl Partners {
    /// Writes one delivery per subscription of a live partner that wants each change and
    /// existed when it happened. Returns how many were new.
    pub async fn enqueue_changes(
        &self,
        changes: &[ResourceChange],
        now: DateTime<Utc>,
    ) -> Result<u64, PartnersError> {
        if changes.is_empty() {
            return Ok(0);
        }
        let live: Vec<String> = partner::Entity::find()
            .filter(partner::Column::RevokedAt.is_null())
            .select_only()
            .column(partner::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        let subscriptions = subscription::Entity::find()
            .filter(subscription::Column::PartnerId.is_in(live))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| subscription_from_row(&row))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rows = Vec::new();
        for change in changes {
            let body = change.body();
            for subscription in &subscriptions {
                if !subscription.event_types.contains(&change.event_type)
                    || subscription.created_at > change.changed_at
                {
                    continue;
                }
                rows.push(delivery::ActiveModel {
                    id: Set(format!("msg_{}", Uuid::now_v7().simple())),
                    subscription_id: Set(subscription.id.to_string()),
                    partner_id: Set(subscription.partner_id.to_string()),
                    event_type: Set(change.event_type.id().to_owned()),
                    resource_id: Set(change.resource_id.clone()),
                    resource_version: Set(change.version),
                    body: Set(body.clone()),
                    status: Set(DeliveryStatus::Queued.id().to_owned()),
                    attempts: Set(0),
                    not_before: Set(now),
                    last_status: Set(None),
                    last_error: Set(None),
                    created_at: Set(now),
                    delivered_at: Set(None),
                });
            }
        }
        if rows.is_empty() {
            return Ok(0);
        }
        let txn = kosodate_database::begin_write(&self.db).await?;
        let mut inserted = 0;
        for chunk in rows.chunks(500) {
            inserted += delivery::Entity::insert_many(chunk.to_vec())
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .exec_without_returning(&*txn)
                .await?;
        }
        txn.commit().await?;
        Ok(inserted)
    }

    /// Claims up to `limit` due deliveries (or ones whose worker's lease ran out) until
    /// `lease_until`.
    pub async fn claim_deliveries(
        &self,
        limit: u64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<ClaimedDelivery>, PartnersError> {
        // Look before taking the writer's turn: an idle worker polls, and on SQLite a write
        // transaction each poll would queue behind (and hold up) the service's real writers.
        let due = delivery::Entity::find()
            .filter(delivery::Column::Status.is_in([
                DeliveryStatus::Queued.id(),
                DeliveryStatus::Retrying.id(),
                DeliveryStatus::Sending.id(),
            ]))
            .filter(delivery::Column::NotBefore.lte(now))
            .one(&self.db)
            .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let txn = kosodate_database::begin_write(&self.db).await?;
        let backend = txn.get_database_backend();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let values: Vec<Value> = vec![lease_until.into(), now.into(), limit.into()];
        let rows = delivery::Model::find_by_statement(Statement::from_sql_and_values(
            backend,
            claim_statement(backend),
            values,
        ))
        .all(&*txn)
        .await?;
        txn.commit().await?;
        let ids: Vec<&str> = rows.iter().map(|row| row.subscription_id.as_str()).collect();
        let urls: HashMap<String, String> = subscription::Entity::find()
            .filter(subscription::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.id, row.url))
            .collect();
        rows.into_iter()
            .filter_map(|row| {
                let url = urls.get(&row.subscription_id)?;
                Some(claimed(row, url))
            })
            .collect()
    }

    /// Records how an attempt ended. An attempt whose lease another worker took over since is
    /// not recorded: that worker's attempt is the row's.
    pub async fn record_attempt(
        &self,
        delivery: &ClaimedDelivery,
        outcome: &AttemptOutcome,
        schedule: &RetrySchedule,
        now: DateTime<Utc>,
    ) -> Result<DeliveryStatus, PartnersError> {
        let (status, last_status, error, not_before) = match outcome {
            AttemptOutcome::Delivered { status } => (DeliveryStatus::Delivered, Some(*status), None, now),
            AttemptOutcome::Refused { status } => (
                DeliveryStatus::Dead,
                Some(*status),
                Some(format!("answered {status}")),
                now,
            ),
            AttemptOutcome::PartnerRevoked => (
                DeliveryStatus::Dead,
                None,
                Some("partner revoked".to_owned()),
                now,
            ),
            AttemptOutcome::Failed { status, error } => match schedule.wait_after(delivery.attempt) {
                Some(wait) => (
                    DeliveryStatus::Retrying,
                    *status,
                    Some(error.clone()),
                    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX),
                ),
                None => (DeliveryStatus::Dead, *status, Some(error.clone()), now),
            },
        };
        let delivered_at = (status == DeliveryStatus::Delivered).then_some(now);
        let txn = kosodate_database::begin_write(&self.db).await?;
        delivery::Entity::update_many()
            .col_expr(delivery::Column::Status, Expr::value(status.id()))
            .col_expr(delivery::Column::NotBefore, Expr::value(not_before))
            .col_expr(
                delivery::Column::LastStatus,
                Expr::value(last_status.map(i32::from)),
            )
            .col_expr(delivery::Column::LastError, Expr::value(error))
            .col_expr(delivery::Column::DeliveredAt, Expr::value(delivered_at))
            .filter(delivery::Column::Id.eq(delivery.id.as_str()))
            .filter(delivery::Column::Status.eq(DeliveryStatus::Sending.id()))
            .filter(delivery::Column::Attempts.eq(delivery.attempt))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(status)
    }

    /// A partner's deliveries, newest first.
    pub async fn deliveries(&self, partner_id: Uuid, limit: u64) -> Result<Vec<DeliveryView>, PartnersError> {
        delivery::Entity::find()
            .filter(delivery::Column::PartnerId.eq(partner_id.to_string()))
            .order_by_desc(delivery::Column::CreatedAt)
            .order_by_desc(delivery::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(view)
            .collect()
    }

    /// Sends a dead delivery of `partner_id` again, with the same `webhook-id`.
    pub async fn redrive(&self, partner_id: Uuid, id: &str, now: DateTime<Utc>) -> Result<(), PartnersError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let updated = delivery::Entity::update_many()
            .col_expr(delivery::Column::Status, Expr::value(DeliveryStatus::Queued.id()))
            .col_expr(delivery::Column::Attempts, Expr::value(0))
            .col_expr(delivery::Column::NotBefore, Expr::value(now))
            .filter(delivery::Column::Id.eq(id))
            .filter(delivery::Column::PartnerId.eq(partner_id.to_string()))
            .filter(delivery::Column::Status.eq(DeliveryStatus::Dead.id()))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        match updated.rows_affected {
            0 => Err(PartnersError::DeliveryNotFound(id.to_owned())),
            _ => Ok(()),
        }
    }
}

fn claimed(row: delivery::Model, url: &str) -> Result<ClaimedDelivery, PartnersError> {
    let corrupt = |what: &str| PartnersError::Corrupt(format!("delivery {}: {what}", row.id));
    Ok(ClaimedDelivery {
        partner_id: Uuid::parse_str(&row.partner_id).map_err(|_| corrupt("partner"))?,
        url: Url::parse(url).map_err(|_| corrupt("url"))?,
        body: row.body,
        attempt: row.attempts,
        id: row.id,
    })
}

fn view(row: delivery::Model) -> Result<DeliveryView, PartnersError> {
    use strum::VariantArray;
    let corrupt = |what: &str| PartnersError::Corrupt(format!("delivery {}: {what}", row.id));
    Ok(DeliveryView {
        subscription_id: Uuid::parse_str(&row.subscription_id).map_err(|_| corrupt("subscription"))?,
        status: DeliveryStatus::VARIANTS
            .iter()
            .copied()
            .find(|status| status.id() == row.status)
            .ok_or_else(|| corrupt("status"))?,
        id: row.id,
        event_type: row.event_type,
        resource_id: row.resource_id,
        resource_version: row.resource_version,
        attempts: row.attempts,
        last_status: row.last_status,
        last_error: row.last_error,
        created_at: row.created_at,
        delivered_at: row.delivered_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_retried_only_when_asking_again_can_help() {
        assert_eq!(
            AttemptOutcome::of_status(204),
            AttemptOutcome::Delivered { status: 204 }
        );
        assert_eq!(
            AttemptOutcome::of_status(410),
            AttemptOutcome::Refused { status: 410 }
        );
        for retried in [408, 429, 500, 503] {
            assert!(
                matches!(AttemptOutcome::of_status(retried), AttemptOutcome::Failed { .. }),
                "{retried}"
            );
        }
    }

    #[test]
    fn the_schedule_waits_with_jitter_then_ends() {
        let schedule = RetrySchedule::default();
        let first = schedule.wait_after(1).unwrap_or_default();
        assert!(
            first >= Duration::from_secs(4) && first <= Duration::from_secs(6),
            "{first:?}"
        );
        assert!(schedule.wait_after(7).is_some());
        assert_eq!(schedule.wait_after(8), None);
        assert_eq!(schedule.wait_after(0), None);
    }
}
