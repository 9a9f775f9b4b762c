//! Every version of every place and event, so that the editors show who did what when and
//! compare any two versions as the program editor does. A version is written by the transaction
//! that changes the record (`store.rs`, `import/write.rs`), so the history and the record never
//! disagree; it holds the status and the whole content after the change. Nothing is deleted.
//! Reading a record's versions, for whoever may change it, is `Places::place_history` and
//! `Places::event_history` (`reading.rs`).

use chrono::{DateTime, Utc};
use kosodate_domain::Vocabulary;
use kosodate_registry::StaffIdentity;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::record_version;
use crate::error::PlacesError;
use crate::model::{Event, EventContent, Place, PlaceContent};
use crate::vocabulary::{Status, VersionAction};

/// One version of a place (`C` = `PlaceContent`) or an event (`EventContent`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RecordVersion<C> {
    pub version: i32,
    pub action: VersionAction,
    /// The staff member's name; none for the version history began with.
    pub actor: Option<String>,
    pub status: Status,
    pub content: C,
    pub recorded_at: DateTime<Utc>,
}

pub type PlaceVersion = RecordVersion<PlaceContent>;
pub type EventVersion = RecordVersion<EventContent>;

/// Which kind of record a version or a review request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Place,
    Event,
}

impl Subject {
    pub(crate) fn id(self) -> &'static str {
        match self {
            Self::Place => "place",
            Self::Event => "event",
        }
    }
}

/// A version to write: the record's state after `action`.
pub(crate) struct NewVersion<'a> {
    pub subject: Subject,
    pub id: Uuid,
    pub version: i32,
    pub action: VersionAction,
    pub actor: &'a StaffIdentity,
    pub status: Status,
    pub content: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl<'a> NewVersion<'a> {
    pub(crate) fn of_place(
        place: &Place,
        action: VersionAction,
        actor: &'a StaffIdentity,
    ) -> Result<Self, PlacesError> {
        Ok(Self {
            subject: Subject::Place,
            id: place.id,
            version: place.version,
            action,
            actor,
            status: place.status,
            content: to_json(&place.content)?,
            at: place.updated_at,
        })
    }

    pub(crate) fn of_event(
        event: &Event,
        action: VersionAction,
        actor: &'a StaffIdentity,
    ) -> Result<Self, PlacesError> {
        Ok(Self {
            subject: Subject::Event,
            id: event.id,
            version: event.version,
            action,
            actor,
            status: event.status,
            content: to_json(&event.content)?,
            at: event.updated_at,
        })
    }
}

fn to_json(content: &impl Serialize) -> Result<serde_json::Value, PlacesError> {
    serde_json::to_value(content).map_err(|error| PlacesError::Corrupt(format!("version content: {error}")))
}

/// Writes a version inside the transaction that made it.
pub(crate) async fn record(db: &impl ConnectionTrait, version: NewVersion<'_>) -> Result<(), PlacesError> {
    debug_assert!(version.version >= 1, "versions start at 1");
    let row = record_version::ActiveModel {
        subject: Set(version.subject.id().to_owned()),
        record_id: Set(version.id.to_string()),
        version: Set(version.version),
        action: Set(version.action.id().to_owned()),
        actor: Set(version.actor.name.clone()),
        status: Set(version.status.id().to_owned()),
        content: Set(version.content),
        recorded_at: Set(version.at),
    };
    record_version::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub(crate) async fn versions<C: DeserializeOwned>(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
) -> Result<Vec<RecordVersion<C>>, PlacesError> {
    record_version::Entity::find()
        .filter(record_version::Column::Subject.eq(subject.id()))
        .filter(record_version::Column::RecordId.eq(id.to_string()))
        .order_by_asc(record_version::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(version_from_row)
        .collect()
}

fn version_from_row<C: DeserializeOwned>(
    row: record_version::Model,
) -> Result<RecordVersion<C>, PlacesError> {
    let record_version::Model {
        subject,
        record_id,
        version,
        action,
        actor,
        status,
        content,
        recorded_at,
    } = row;
    let corrupt =
        |what: &str| PlacesError::Corrupt(format!("{subject} {record_id} version {version}: {what}"));
    Ok(RecordVersion {
        version,
        action: VersionAction::parse(&action).ok_or_else(|| corrupt("action"))?,
        actor: Some(actor).filter(|actor| !actor.is_empty()),
        status: Status::parse(&status).ok_or_else(|| corrupt("status"))?,
        content: serde_json::from_value(content).map_err(|error| corrupt(&error.to_string()))?,
        recorded_at,
    })
}
