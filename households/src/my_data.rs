//! "My data": everything held about a household, exported whole or erased whole.

use chrono::Utc;
use kosodate_database::begin_write;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::{account, anonymous_count, household, match_event, program_dismissal};
use crate::error::HouseholdError;
use crate::ids::HouseholdId;
use crate::match_store;
use crate::store::{Households, this_household};

impl Households {
    /// Erases the household: its data, consents, accounts, sessions, contact channels and all that
    /// matching derived from it. Only a count of deletions per municipality and month remains.
    pub async fn delete_household(&self, id: HouseholdId) -> Result<(), HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        match_store::exclude_matching_writes(&txn).await?;
        let row = household::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
            .ok_or_else(|| HouseholdError::HouseholdNotFound(id.to_string()))?;
        match_store::forget_households(&txn, this_household(id)).await?;
        // Sessions, accounts, consents and channels cascade from the household.
        household::Entity::delete_by_id(id.to_string()).exec(&txn).await?;
        count_anonymously(&txn, &row.municipality_code, "households_deleted").await?;
        txn.commit().await?;
        Ok(())
    }

    /// Everything held about the household, for "My data" (JSON): what it entered, its consents,
    /// channels and sign-in accounts, what it said about programs, what matching derived from it,
    /// and every notice about it with its delivery attempts.
    pub async fn export(&self, id: HouseholdId) -> Result<serde_json::Value, HouseholdError> {
        let db = self.connection();
        let record = self.record(id).await?;
        let accounts: Vec<serde_json::Value> = account::Entity::find()
            .filter(account::Column::HouseholdId.eq(id.to_string()))
            .all(db)
            .await?
            .into_iter()
            .map(|row| serde_json::json!({"provider": row.provider, "subject": row.subject, "created_at": row.created_at}))
            .collect();
        let dismissals: Vec<serde_json::Value> = program_dismissal::Entity::find()
            .filter(program_dismissal::Column::HouseholdId.eq(id.to_string()))
            .all(db)
            .await?
            .into_iter()
            .map(|row| serde_json::json!({"program_id": row.program_id, "reason": row.reason, "created_at": row.created_at}))
            .collect();
        let attendance: Vec<serde_json::Value> = self
            .attended_events(id)
            .await?
            .into_iter()
            .map(|(event, at)| serde_json::json!({"event_id": event, "created_at": at}))
            .collect();
        let events: Vec<serde_json::Value> = match_event::Entity::find()
            .filter(match_event::Column::HouseholdId.eq(id.to_string()))
            .order_by_asc(match_event::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|row| {
                serde_json::json!({
                    "program_id": row.program_id, "kind": row.kind, "occurs_on": row.occurs_on,
                    "opens_on": row.opens_on, "closes_on": row.closes_on, "created_at": row.created_at,
                    "planned_at": row.planned_at, "waiting_for_a_channel_since": row.waiting_since,
                })
            })
            .collect();
        let stored = self.stored_match(id).await?.map(|stored| {
            serde_json::json!({
                "evaluated_on": stored.evaluated_on, "next_check": stored.next_check,
                "eligible": stored.eligible, "unknown": stored.unknown,
            })
        });
        let notices = kosodate_notifier::held::notices_of_household(db, id.as_uuid()).await?;
        Ok(serde_json::json!({
            "exported_at": Utc::now(),
            "household": record,
            "consents": self.consent_ledger(id).await?,
            "contact_channels": self.channels(id).await?,
            "partner_links": self.partner_link_history(id).await?,
            "sign_in_accounts": accounts,
            "program_dismissals": dismissals,
            "event_attendance": attendance,
            "match_result": stored,
            "match_events": events,
            "notices": notices,
            // Its secret is not held, only its hash, which opens nothing.
            "calendar_feed": self.calendar_feed_made(id).await?.map(|made| serde_json::json!({"created_at": made})),
        }))
    }
}

/// Adds one to an anonymous monthly count of a municipality.
async fn count_anonymously(
    db: &impl ConnectionTrait,
    municipality: &str,
    metric: &str,
) -> Result<(), HouseholdError> {
    let row = anonymous_count::ActiveModel {
        municipality_code: Set(municipality.to_owned()),
        metric: Set(metric.to_owned()),
        period: Set(kosodate_domain::japan::local(Utc::now())
            .format("%Y-%m")
            .to_string()),
        count: Set(1),
    };
    anonymous_count::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                anonymous_count::Column::MunicipalityCode,
                anonymous_count::Column::Metric,
                anonymous_count::Column::Period,
            ])
            .value(
                anonymous_count::Column::Count,
                Expr::col((anonymous_count::Entity, anonymous_count::Column::Count)).add(1),
            )
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
