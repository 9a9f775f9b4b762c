//! Change webhooks: partners subscribe a URL to event types, feed followers hand in changes of
//! public resources, and each change becomes one delivery per subscription in a durable outbox
//! (`outbox.rs`) that workers deliver, signed as [`crate::standard_webhooks`] describes.
//!
//! The payload is a thin event, `{type, timestamp, data: {id, version, status, url}}`, not the
//! resource's JSON: a retry may come hours after the change, when the resource has changed again
//! or been withdrawn, and the partner should fetch what is current (with its token and scope)
//! rather than store a stale copy; a thin event also carries nothing its scopes might no longer
//! cover by the time it is delivered.

mod feed;
mod outbox;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use strum::VariantArray;
use url::Url;
use uuid::Uuid;

pub use outbox::{AttemptOutcome, ClaimedDelivery, DeliveryStatus, DeliveryView, RetrySchedule};

use crate::entity::{delivery, subscription};
use crate::error::PartnersError;
use crate::model::{Partner, PartnerInputErrors, partner_url};
use crate::scope::Scope;
use crate::store::Partners;

/// A partner may hold this many subscriptions.
pub const MAX_SUBSCRIPTIONS: u64 = 10;

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
    Deserialize,
    utoipa::ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
pub enum EventType {
    #[serde(rename = "program.changed")]
    #[strum(to_string = "program.changed", message = "制度の変更")]
    ProgramChanged,
    #[serde(rename = "place.changed")]
    #[strum(to_string = "place.changed", message = "施設の変更")]
    PlaceChanged,
    #[serde(rename = "event.changed")]
    #[strum(to_string = "event.changed", message = "イベントの変更")]
    EventChanged,
}

impl EventType {
    pub fn parse(name: &str) -> Option<Self> {
        Self::VARIANTS.iter().copied().find(|kind| kind.id() == name)
    }

    pub fn id(self) -> &'static str {
        self.into()
    }

    /// The scope a partner needs to read what the event announces.
    pub fn read_scope(self) -> Scope {
        match self {
            Self::ProgramChanged => Scope::ProgramsRead,
            Self::PlaceChanged => Scope::PlacesRead,
            Self::EventChanged => Scope::EventsRead,
        }
    }
}

/// A partner's subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Subscription {
    pub id: Uuid,
    #[serde(skip)]
    pub partner_id: Uuid,
    pub url: Url,
    pub event_types: BTreeSet<EventType>,
    pub created_at: DateTime<Utc>,
}

/// What a partner asks to subscribe.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct SubscriptionInput {
    /// https, or http on loopback.
    pub url: String,
    /// `program.changed`, `place.changed`, `event.changed`.
    pub event_types: Vec<String>,
}

/// A change of a public resource, as a feed follower hands it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    pub event_type: EventType,
    pub resource_id: String,
    pub version: i32,
    /// The resource's status after the change (`published`, `archived`).
    pub status: &'static str,
    pub changed_at: DateTime<Utc>,
    /// Where the partner reads the resource.
    pub url: Url,
}

impl ResourceChange {
    /// The delivery's body, fixed when it is written so that every attempt signs the same bytes.
    pub(crate) fn body(&self) -> String {
        serde_json::json!({
            "type": self.event_type.id(),
            "timestamp": self.changed_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": {
                "id": self.resource_id,
                "version": self.version,
                "status": self.status,
                "url": self.url.as_str(),
            }
        })
        .to_string()
    }
}

impl SubscriptionInput {
    fn validate(&self, partner: &Partner) -> Result<(Url, BTreeSet<EventType>), PartnerInputErrors> {
        let mut errors = Vec::new();
        let url = partner_url(&self.url);
        if url.is_none() {
            errors.push(("url", "送信先は https のURLにしてください"));
        }
        let kinds: Option<BTreeSet<EventType>> = self
            .event_types
            .iter()
            .map(|name| EventType::parse(name))
            .collect();
        match &kinds {
            Some(kinds) if !kinds.is_empty() => {
                if kinds
                    .iter()
                    .any(|kind| !partner.scopes.contains(kind.read_scope()))
                {
                    errors.push((
                        "event_types",
                        "読み取りの権限(スコープ)がない種類は購読できません",
                    ));
                }
            }
            _ => errors.push((
                "event_types",
                "種類は program.changed、place.changed、event.changed から1つ以上選んでください",
            )),
        }
        match (url, kinds) {
            (Some(url), Some(kinds)) if errors.is_empty() => Ok((url, kinds)),
            _ => Err(PartnerInputErrors(errors)),
        }
    }
}

impl Partners {
    /// Subscribes `partner` to changes from now on; it needs `webhooks:manage` (checked by the
    /// caller, who knows the token's scopes) and the read scope of every event type.
    pub async fn subscribe(
        &self,
        partner: &Partner,
        input: &SubscriptionInput,
        now: DateTime<Utc>,
    ) -> Result<Subscription, PartnersError> {
        let (url, event_types) = input.validate(partner)?;
        let txn = kosodate_database::begin_write(&self.db).await?;
        let held = subscription::Entity::find()
            .filter(subscription::Column::PartnerId.eq(partner.id.to_string()))
            .count(&*txn)
            .await?;
        if held >= MAX_SUBSCRIPTIONS {
            return Err(PartnersError::TooManySubscriptions);
        }
        let names: Vec<&str> = event_types.iter().map(|kind| kind.id()).collect();
        let row = subscription::ActiveModel {
            id: Set(Uuid::now_v7().to_string()),
            partner_id: Set(partner.id.to_string()),
            url: Set(url.to_string()),
            event_types: Set(names.join(" ")),
            created_at: Set(now),
        }
        .insert(&*txn)
        .await?;
        txn.commit().await?;
        subscription_from_row(&row)
    }

    /// A partner's subscriptions, oldest first.
    pub async fn subscriptions(&self, partner_id: Uuid) -> Result<Vec<Subscription>, PartnersError> {
        subscription::Entity::find()
            .filter(subscription::Column::PartnerId.eq(partner_id.to_string()))
            .order_by_asc(subscription::Column::CreatedAt)
            .order_by_asc(subscription::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| subscription_from_row(&row))
            .collect()
    }

    /// Ends a subscription of `partner_id`, with its deliveries not yet made.
    pub async fn unsubscribe(&self, partner_id: Uuid, id: Uuid) -> Result<(), PartnersError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        delivery::Entity::delete_many()
            .filter(delivery::Column::SubscriptionId.eq(id.to_string()))
            .filter(delivery::Column::PartnerId.eq(partner_id.to_string()))
            .exec(&*txn)
            .await?;
        let deleted = subscription::Entity::delete_many()
            .filter(subscription::Column::Id.eq(id.to_string()))
            .filter(subscription::Column::PartnerId.eq(partner_id.to_string()))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        match deleted.rows_affected {
            0 => Err(PartnersError::SubscriptionNotFound(id)),
            _ => Ok(()),
        }
    }
}

pub(crate) fn subscription_from_row(row: &subscription::Model) -> Result<Subscription, PartnersError> {
    let corrupt = |what: &str| PartnersError::Corrupt(format!("subscription {}: {what}", row.id));
    Ok(Subscription {
        id: Uuid::parse_str(&row.id).map_err(|_| corrupt("id"))?,
        partner_id: Uuid::parse_str(&row.partner_id).map_err(|_| corrupt("partner"))?,
        url: Url::parse(&row.url).map_err(|_| corrupt("url"))?,
        event_types: row
            .event_types
            .split(' ')
            .map(EventType::parse)
            .collect::<Option<_>>()
            .ok_or_else(|| corrupt("event types"))?,
        created_at: row.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_read_by_their_names() {
        for kind in EventType::VARIANTS {
            assert_eq!(EventType::parse(kind.id()), Some(*kind));
            assert_eq!(serde_json::json!(kind), kind.id());
        }
        assert_eq!(EventType::parse("program.created"), None);
    }
}
