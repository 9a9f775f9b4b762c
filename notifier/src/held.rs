//! What the outbox holds about one household, whole, for its "My data" export: every notice with
//! its address, content and fate, and every delivery attempt. Nothing here is shown to staff.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use crate::entity::{notice, notice_attempt};
use crate::outbox::OutboxError;

/// One notice about the household, as stored.
#[derive(Debug, Clone, Serialize)]
pub struct HeldNotice {
    pub id: String,
    pub kind: String,
    pub channel_kind: String,
    pub program_id: Option<String>,
    /// Where it goes (an email address, a LINE user id, a push endpoint).
    pub address: serde_json::Value,
    /// What it says.
    pub content: serde_json::Value,
    pub status: String,
    pub digest_on: Option<NaiveDate>,
    pub not_before: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub attempts: Vec<HeldAttempt>,
}

/// One delivery attempt of a notice.
#[derive(Debug, Clone, Serialize)]
pub struct HeldAttempt {
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub outcome: String,
    pub error: Option<String>,
}

/// Every notice about `household`, oldest first, with its attempts.
pub async fn notices_of_household(
    db: &impl ConnectionTrait,
    household: Uuid,
) -> Result<Vec<HeldNotice>, OutboxError> {
    let notices = notice::Entity::find()
        .filter(notice::Column::HouseholdId.eq(household.to_string()))
        .order_by_asc(notice::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<String> = notices.iter().map(|row| row.id.clone()).collect();
    let mut attempts: HashMap<String, Vec<HeldAttempt>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = notice_attempt::Entity::find()
            .filter(notice_attempt::Column::NoticeId.is_in(chunk.to_vec()))
            .order_by_asc(notice_attempt::Column::Attempt)
            .all(db)
            .await?;
        for row in rows {
            attempts.entry(row.notice_id).or_default().push(HeldAttempt {
                attempt: row.attempt,
                started_at: row.started_at,
                finished_at: row.finished_at,
                outcome: row.outcome,
                error: row.error,
            });
        }
    }
    Ok(notices
        .into_iter()
        .map(|row| HeldNotice {
            attempts: attempts.remove(&row.id).unwrap_or_default(),
            id: row.id,
            kind: row.kind,
            channel_kind: row.channel_kind,
            program_id: row.program_id,
            address: row.address,
            content: row.content,
            status: row.status,
            digest_on: row.digest_on,
            not_before: row.not_before,
            created_at: row.created_at,
            sent_at: row.sent_at,
            last_error: row.last_error,
        })
        .collect())
}
