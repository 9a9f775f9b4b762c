//! Writing places and events: one transaction per write, the owner's staff (or the prefecture)
//! only, optimistic locking on `version`, each change's version kept in the same transaction
//! (`history.rs`), and nothing deleted (records are archived).

use chrono::{DateTime, Utc};
use kosodate_domain::{MunicipalityCode, Vocabulary};
use kosodate_registry::{FieldError, Registry, StaffAction, StaffIdentity};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, QuerySelect};
use uuid::Uuid;

use crate::entity::{event, place};
use crate::error::PlacesError;
use crate::history::{self, NewVersion, Subject};
use crate::input::{EventInput, InputErrors, PlaceInput, span};
use crate::model::{Event, EventContent, Place, PlaceContent, Venue};
use crate::publication::{Publishing, check_publication};
use crate::vocabulary::{Status, VersionAction};

/// Places and events over their tables. Cheap to clone: it holds the connection pool.
#[derive(Debug, Clone)]
pub struct Places {
    pub(crate) db: DatabaseConnection,
}

/// What a status change does, named for the error when it is not allowed.
#[derive(Debug, Clone, Copy)]
enum Transition {
    Publish,
    Archive,
}

impl Transition {
    fn action(self) -> VersionAction {
        match self {
            Self::Publish => VersionAction::Published,
            Self::Archive => VersionAction::Archived,
        }
    }
}

impl Places {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn create_place(
        &self,
        actor: &StaffIdentity,
        input: &PlaceInput,
    ) -> Result<Place, PlacesError> {
        let content = input.validate()?;
        authorize(actor, content.owner)?;
        self.check_owner(content.owner).await?;
        let now = stored_instant(Utc::now());
        let row = place::ActiveModel {
            id: Set(Uuid::now_v7().to_string()),
            created_at: Set(now),
            published_at: Set(None),
            ..place_values(&content, Status::Draft, 1, now)?
        };
        let txn = kosodate_database::begin_write(&self.db).await?;
        check_place_name_free(&txn, &content, None).await?;
        let stored = place::Entity::insert(row).exec_with_returning(&txn).await?;
        let place = place_from_row(stored)?;
        history::record(&txn, NewVersion::of_place(&place, VersionAction::Created, actor)?).await?;
        txn.commit().await?;
        Ok(place)
    }

    /// Replaces a place's content; with `expected_version`, refuses when somebody changed it
    /// meanwhile. Submitting the current content again changes nothing.
    pub async fn update_place(
        &self,
        actor: &StaffIdentity,
        id: Uuid,
        input: &PlaceInput,
        expected_version: Option<i32>,
    ) -> Result<Place, PlacesError> {
        let content = input.validate()?;
        self.check_owner(content.owner).await?;
        let txn = kosodate_database::begin_write(&self.db).await?;
        let current = load_place(&txn, id, Hold::ForUpdate).await?;
        authorize(actor, current.content.owner)?;
        authorize(actor, content.owner)?;
        check_version(expected_version, current.version)?;
        if current.content == content {
            return Ok(current);
        }
        check_place_name_free(&txn, &content, Some(id)).await?;
        let now = stored_instant(Utc::now());
        let row = place::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(id.to_string()),
            ..place_values(&content, current.status, current.version + 1, now)?
        };
        let stored = place::Entity::update(row).exec(&txn).await?;
        let place = place_from_row(stored)?;
        history::record(&txn, NewVersion::of_place(&place, VersionAction::Updated, actor)?).await?;
        txn.commit().await?;
        Ok(place)
    }

    pub async fn publish_place(&self, actor: &StaffIdentity, id: Uuid) -> Result<Place, PlacesError> {
        self.transition_place(actor, id, Transition::Publish).await
    }

    pub async fn archive_place(&self, actor: &StaffIdentity, id: Uuid) -> Result<Place, PlacesError> {
        self.transition_place(actor, id, Transition::Archive).await
    }

    async fn transition_place(
        &self,
        actor: &StaffIdentity,
        id: Uuid,
        transition: Transition,
    ) -> Result<Place, PlacesError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let current = load_place(&txn, id, Hold::ForUpdate).await?;
        authorize(actor, current.content.owner)?;
        let status = next_status(current.status, transition)?;
        if status == Status::Published {
            let record = Publishing {
                subject: Subject::Place,
                id,
                version: current.version,
                owner: current.content.owner,
            };
            check_publication(&txn, actor, &record).await?;
        }
        let now = stored_instant(Utc::now());
        let mut row = place::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(id.to_string()),
            status: Set(status.id().to_owned()),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        };
        if status == Status::Published {
            row.published_at = Set(Some(now));
        }
        let stored = place::Entity::update(row).exec(&txn).await?;
        let place = place_from_row(stored)?;
        history::record(&txn, NewVersion::of_place(&place, transition.action(), actor)?).await?;
        txn.commit().await?;
        Ok(place)
    }

    pub async fn create_event(
        &self,
        actor: &StaffIdentity,
        input: &EventInput,
    ) -> Result<Event, PlacesError> {
        let content = input.validate()?;
        authorize(actor, content.owner)?;
        self.check_owner(content.owner).await?;
        let now = stored_instant(Utc::now());
        let row = event::ActiveModel {
            id: Set(Uuid::now_v7().to_string()),
            created_at: Set(now),
            published_at: Set(None),
            ..event_values(&content, Status::Draft, 1, now)?
        };
        let txn = kosodate_database::begin_write(&self.db).await?;
        check_venue(&txn, &content).await?;
        let stored = event::Entity::insert(row).exec_with_returning(&txn).await?;
        let event = event_from_row(stored)?;
        history::record(&txn, NewVersion::of_event(&event, VersionAction::Created, actor)?).await?;
        txn.commit().await?;
        Ok(event)
    }

    pub async fn update_event(
        &self,
        actor: &StaffIdentity,
        id: Uuid,
        input: &EventInput,
        expected_version: Option<i32>,
    ) -> Result<Event, PlacesError> {
        let content = input.validate()?;
        self.check_owner(content.owner).await?;
        let txn = kosodate_database::begin_write(&self.db).await?;
        let current = load_event(&txn, id, Hold::ForUpdate).await?;
        authorize(actor, current.content.owner)?;
        authorize(actor, content.owner)?;
        check_version(expected_version, current.version)?;
        if current.content == content {
            return Ok(current);
        }
        check_venue(&txn, &content).await?;
        let now = stored_instant(Utc::now());
        let row = event::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(id.to_string()),
            ..event_values(&content, current.status, current.version + 1, now)?
        };
        let stored = event::Entity::update(row).exec(&txn).await?;
        let event = event_from_row(stored)?;
        history::record(&txn, NewVersion::of_event(&event, VersionAction::Updated, actor)?).await?;
        txn.commit().await?;
        Ok(event)
    }

    pub async fn publish_event(&self, actor: &StaffIdentity, id: Uuid) -> Result<Event, PlacesError> {
        self.transition_event(actor, id, Transition::Publish).await
    }

    pub async fn archive_event(&self, actor: &StaffIdentity, id: Uuid) -> Result<Event, PlacesError> {
        self.transition_event(actor, id, Transition::Archive).await
    }

    async fn transition_event(
        &self,
        actor: &StaffIdentity,
        id: Uuid,
        transition: Transition,
    ) -> Result<Event, PlacesError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let current = load_event(&txn, id, Hold::ForUpdate).await?;
        authorize(actor, current.content.owner)?;
        let status = next_status(current.status, transition)?;
        if status == Status::Published {
            let record = Publishing {
                subject: Subject::Event,
                id,
                version: current.version,
                owner: current.content.owner,
            };
            check_publication(&txn, actor, &record).await?;
        }
        let now = stored_instant(Utc::now());
        let mut row = event::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(id.to_string()),
            status: Set(status.id().to_owned()),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        };
        if status == Status::Published {
            row.published_at = Set(Some(now));
        }
        let stored = event::Entity::update(row).exec(&txn).await?;
        let event = event_from_row(stored)?;
        history::record(&txn, NewVersion::of_event(&event, transition.action(), actor)?).await?;
        txn.commit().await?;
        Ok(event)
    }

    /// The owner must be the prefecture or one of its municipalities.
    pub(crate) async fn check_owner(&self, owner: MunicipalityCode) -> Result<(), PlacesError> {
        match Registry::new(self.db.clone()).municipality(owner).await {
            Ok(_) => Ok(()),
            Err(kosodate_registry::RegistryError::MunicipalityNotFound(_)) => {
                Err(InputErrors(vec![FieldError::new(
                    "/owner",
                    format!("地方公共団体コード {owner} は青森県または県内の市町村ではありません"),
                    format!("{owner} is neither the prefecture nor one of its municipalities"),
                )])
                .into())
            }
            Err(error) => Err(error.into()),
        }
    }
}

pub(crate) fn authorize(actor: &StaffIdentity, owner: MunicipalityCode) -> Result<(), PlacesError> {
    match actor.permits(StaffAction::WritePlaces(owner)) {
        true => Ok(()),
        false => Err(PlacesError::Forbidden {
            actor: actor.name.clone(),
            owner,
        }),
    }
}

fn check_version(expected: Option<i32>, current: i32) -> Result<(), PlacesError> {
    match expected.filter(|expected| *expected != current) {
        Some(expected) => Err(PlacesError::VersionMismatch { expected, current }),
        None => Ok(()),
    }
}

fn next_status(current: Status, transition: Transition) -> Result<Status, PlacesError> {
    match (transition, current) {
        (Transition::Publish, Status::Draft | Status::Archived) => Ok(Status::Published),
        (Transition::Archive, Status::Draft | Status::Published) => Ok(Status::Archived),
        (Transition::Publish, Status::Published) => Err(PlacesError::InvalidTransition {
            current,
            action: "publish",
        }),
        (Transition::Archive, Status::Archived) => Err(PlacesError::InvalidTransition {
            current,
            action: "archive",
        }),
    }
}

pub(crate) use kosodate_database::stored_instant;

pub(crate) fn place_values(
    content: &PlaceContent,
    status: Status,
    version: i32,
    now: DateTime<Utc>,
) -> Result<place::ActiveModel, PlacesError> {
    Ok(place::ActiveModel {
        owner_code: Set(content.owner.to_string()),
        kind: Set(content.kind.id().to_owned()),
        name: Set(content.name.clone()),
        reading: Set(content.reading.clone()),
        content: Set(to_json(content)?),
        status: Set(status.id().to_owned()),
        version: Set(version),
        updated_at: Set(now),
        ..Default::default()
    })
}

pub(crate) fn event_values(
    content: &EventContent,
    status: Status,
    version: i32,
    now: DateTime<Utc>,
) -> Result<event::ActiveModel, PlacesError> {
    let (first, last) = span(&content.schedule)
        .ok_or_else(|| PlacesError::Corrupt("an event without a day to take place on".into()))?;
    let place_id = match &content.venue {
        Venue::Place { place_id } => Some(place_id.to_string()),
        Venue::Text { .. } => None,
    };
    Ok(event::ActiveModel {
        owner_code: Set(content.owner.to_string()),
        kind: Set(content.kind.id().to_owned()),
        title: Set(content.title.clone()),
        reading: Set(content.reading.clone()),
        place_id: Set(place_id),
        first_date: Set(first.date()),
        last_date: Set(last.map(|date| date.date())),
        content: Set(to_json(content)?),
        status: Set(status.id().to_owned()),
        version: Set(version),
        updated_at: Set(now),
        ..Default::default()
    })
}

pub(crate) fn to_json(value: &impl serde::Serialize) -> Result<serde_json::Value, PlacesError> {
    serde_json::to_value(value).map_err(|error| PlacesError::Corrupt(format!("content: {error}")))
}

pub(crate) async fn check_place_name_free(
    db: &impl ConnectionTrait,
    content: &PlaceContent,
    except: Option<Uuid>,
) -> Result<(), PlacesError> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    let mut query = place::Entity::find()
        .filter(place::Column::OwnerCode.eq(content.owner.to_string()))
        .filter(place::Column::Name.eq(content.name.clone()));
    if let Some(id) = except {
        query = query.filter(place::Column::Id.ne(id.to_string()));
    }
    match query.count(db).await? {
        0 => Ok(()),
        _ => Err(InputErrors(vec![FieldError::new(
            "/name",
            format!("「{}」という名前の施設はすでに登録されています", content.name),
            "a place of this owner already has this name",
        )])
        .into()),
    }
}

/// An event's place must exist (in any status: a draft event may name a draft place).
pub(crate) async fn check_venue(
    db: &impl ConnectionTrait,
    content: &EventContent,
) -> Result<(), PlacesError> {
    let Venue::Place { place_id } = &content.venue else {
        return Ok(());
    };
    match place::Entity::find_by_id(place_id.to_string()).one(db).await? {
        Some(_) => Ok(()),
        None => Err(InputErrors(vec![FieldError::new(
            "/place_id",
            "指定された施設が見つかりません",
            format!("place {place_id} not found"),
        )])
        .into()),
    }
}

/// Whether a read holds the row until its transaction ends: a write loads what it replaces
/// with `ForUpdate`, so two saves of one record wait for each other instead of both writing the
/// next version over each other (PostgreSQL's `FOR UPDATE`; SQLite's write lane already
/// serialises them and ignores the clause).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hold {
    Nothing,
    ForUpdate,
}

fn held<E: EntityTrait>(query: sea_orm::Select<E>, hold: Hold) -> sea_orm::Select<E> {
    match hold {
        Hold::Nothing => query,
        Hold::ForUpdate => query.lock_exclusive(),
    }
}

pub(crate) async fn load_place(
    db: &impl ConnectionTrait,
    id: Uuid,
    hold: Hold,
) -> Result<Place, PlacesError> {
    held(place::Entity::find_by_id(id.to_string()), hold)
        .one(db)
        .await?
        .map(place_from_row)
        .transpose()?
        .ok_or(PlacesError::PlaceNotFound(id))
}

pub(crate) async fn load_event(
    db: &impl ConnectionTrait,
    id: Uuid,
    hold: Hold,
) -> Result<Event, PlacesError> {
    held(event::Entity::find_by_id(id.to_string()), hold)
        .one(db)
        .await?
        .map(event_from_row)
        .transpose()?
        .ok_or(PlacesError::EventNotFound(id))
}

pub(crate) fn place_from_row(row: place::Model) -> Result<Place, PlacesError> {
    let place::Model {
        id,
        content,
        status,
        version,
        created_at,
        updated_at,
        published_at,
        ..
    } = row;
    let corrupt = |what: &str| PlacesError::Corrupt(format!("place {id}: {what}"));
    Ok(Place {
        id: Uuid::parse_str(&id).map_err(|_| corrupt("id"))?,
        content: serde_json::from_value(content).map_err(|error| corrupt(&error.to_string()))?,
        status: Status::parse(&status).ok_or_else(|| corrupt("status"))?,
        version,
        created_at,
        updated_at,
        published_at,
    })
}

pub(crate) fn event_from_row(row: event::Model) -> Result<Event, PlacesError> {
    let event::Model {
        id,
        content,
        status,
        version,
        created_at,
        updated_at,
        published_at,
        ..
    } = row;
    let corrupt = |what: &str| PlacesError::Corrupt(format!("event {id}: {what}"));
    Ok(Event {
        id: Uuid::parse_str(&id).map_err(|_| corrupt("id"))?,
        content: serde_json::from_value(content).map_err(|error| corrupt(&error.to_string()))?,
        status: Status::parse(&status).ok_or_else(|| corrupt("status"))?,
        version,
        created_at,
        updated_at,
        published_at,
    })
}
