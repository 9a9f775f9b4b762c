//! Writing an import's checked rows: all in one transaction, or, in a dry run, nothing.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, Utc};
use kosodate_domain::Vocabulary;
use kosodate_registry::StaffIdentity;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{Content, ImportReport, PlannedRow, RecordKey};
use crate::entity::{event, place};
use crate::error::PlacesError;
use crate::history::{self, NewVersion, Subject};
use crate::store::{
    Hold, Places, authorize, check_place_name_free, check_venue, event_values, load_event, load_place,
    place_values, stored_instant, to_json,
};
use crate::vocabulary::{Status, VersionAction};

/// What a row does to the record it is; a new record's id is drawn when it is decided.
enum Decision {
    Create { id: Uuid },
    Unchanged { id: Uuid, version: i32 },
    Replace { id: Uuid, status: Status, version: i32 },
}

fn parse_id(id: &str, what: &str) -> Result<Uuid, PlacesError> {
    Uuid::parse_str(id).map_err(|_| PlacesError::Corrupt(format!("{what} id {id:?}")))
}

impl Places {
    /// Every place's id by (owner, name): how an imported event names its place, and which
    /// place an imported place row is.
    pub(crate) async fn place_ids_by_name(&self) -> Result<HashMap<(String, String), Uuid>, PlacesError> {
        let rows: Vec<(String, String, String)> = place::Entity::find()
            .select_only()
            .column(place::Column::Id)
            .column(place::Column::OwnerCode)
            .column(place::Column::Name)
            .into_tuple()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|(id, owner, name)| Ok(((owner, name), parse_id(&id, "place")?)))
            .collect()
    }

    /// The ids of the events not archived by (owner, title, first day): which event an imported
    /// event row is. Several ids under one key make the row ambiguous.
    pub(crate) async fn event_ids_by_key(&self) -> Result<HashMap<RecordKey, Vec<Uuid>>, PlacesError> {
        let rows: Vec<(String, String, String, NaiveDate)> = event::Entity::find()
            .select_only()
            .column(event::Column::Id)
            .column(event::Column::OwnerCode)
            .column(event::Column::Title)
            .column(event::Column::FirstDate)
            .filter(event::Column::Status.ne(Status::Archived.id()))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut ids: HashMap<RecordKey, Vec<Uuid>> = HashMap::new();
        for (id, owner, title, first_date) in rows {
            let key = RecordKey::Event {
                owner,
                title,
                first_date,
            };
            ids.entry(key).or_default().push(parse_id(&id, "event")?);
        }
        Ok(ids)
    }

    /// Writes checked rows in one transaction (all or nothing): new records as drafts, changed
    /// ones replaced with their status kept. A dry run only says what would be written. Owners
    /// and permissions are checked for every row first.
    pub(crate) async fn write_planned(
        &self,
        actor: &StaffIdentity,
        rows: Vec<PlannedRow>,
        dry_run: bool,
    ) -> Result<ImportReport, PlacesError> {
        let owners: BTreeSet<_> = rows.iter().map(|row| row.content.owner()).collect();
        for owner in owners {
            authorize(actor, owner)?;
            self.check_owner(owner).await?;
        }
        let mut report = ImportReport {
            dry_run,
            created: Vec::new(),
            updated: Vec::new(),
            unchanged: Vec::new(),
        };
        if dry_run {
            for row in rows {
                let decision = decide(&self.db, &row, Hold::Nothing).await?;
                report.note(&row, &decision, false);
            }
            return Ok(report);
        }
        let now = stored_instant(Utc::now());
        let txn = kosodate_database::begin_write(&self.db).await?;
        for row in rows {
            let decision = decide(&txn, &row, Hold::ForUpdate).await?;
            write_row(&txn, actor, &row.content, &decision, now).await?;
            report.note(&row, &decision, true);
        }
        txn.commit().await?;
        Ok(report)
    }
}

impl ImportReport {
    /// Notes what `decision` did to the row's record, or, before it is `written`, would do.
    fn note(&mut self, row: &PlannedRow, decision: &Decision, written: bool) {
        let step = i32::from(written);
        let (list, id, version) = match *decision {
            Decision::Create { id } => (&mut self.created, written.then_some(id), written.then_some(1)),
            Decision::Unchanged { id, version } => (&mut self.unchanged, Some(id), Some(version)),
            Decision::Replace { id, version, .. } => (&mut self.updated, Some(id), Some(version + step)),
        };
        list.push(row.content.describe(row.line, id, version));
    }
}

/// Whether the row creates a record, replaces one or finds it as it says; what replaces a record
/// reads it with `hold`, so that a save meanwhile waits for the import.
async fn decide(db: &impl ConnectionTrait, row: &PlannedRow, hold: Hold) -> Result<Decision, PlacesError> {
    let Some(id) = row.existing else {
        return Ok(Decision::Create { id: Uuid::now_v7() });
    };
    let (same, status, version) = match &row.content {
        Content::Place(content) => {
            let current = load_place(db, id, hold).await?;
            (current.content == *content, current.status, current.version)
        }
        Content::Event(content) => {
            let current = load_event(db, id, hold).await?;
            (current.content == *content, current.status, current.version)
        }
    };
    Ok(match same {
        true => Decision::Unchanged { id, version },
        false => Decision::Replace { id, status, version },
    })
}

/// Writes one row as decided.
async fn write_row(
    txn: &impl ConnectionTrait,
    actor: &StaffIdentity,
    content: &Content,
    decision: &Decision,
    now: chrono::DateTime<Utc>,
) -> Result<(), PlacesError> {
    let (id, status, version) = match *decision {
        Decision::Unchanged { .. } => return Ok(()),
        Decision::Create { id } => (id, Status::Draft, 0),
        Decision::Replace { id, status, version } => (id, status, version),
    };
    let creating = matches!(decision, Decision::Create { .. });
    match content {
        Content::Place(content) => {
            check_place_name_free(txn, content, (!creating).then_some(id)).await?;
            let values = place_values(content, status, version + 1, now)?;
            match creating {
                true => {
                    let row = place::ActiveModel {
                        id: Set(id.to_string()),
                        created_at: Set(now),
                        published_at: Set(None),
                        ..values
                    };
                    place::Entity::insert(row).exec_without_returning(txn).await?;
                }
                false => {
                    let row = place::ActiveModel {
                        id: sea_orm::ActiveValue::Unchanged(id.to_string()),
                        ..values
                    };
                    place::Entity::update(row).exec(txn).await?;
                }
            }
        }
        Content::Event(content) => {
            check_venue(txn, content).await?;
            let values = event_values(content, status, version + 1, now)?;
            match creating {
                true => {
                    let row = event::ActiveModel {
                        id: Set(id.to_string()),
                        created_at: Set(now),
                        published_at: Set(None),
                        ..values
                    };
                    event::Entity::insert(row).exec_without_returning(txn).await?;
                }
                false => {
                    let row = event::ActiveModel {
                        id: sea_orm::ActiveValue::Unchanged(id.to_string()),
                        ..values
                    };
                    event::Entity::update(row).exec(txn).await?;
                }
            }
        }
    }
    let (subject, recorded) = match content {
        Content::Place(content) => (Subject::Place, to_json(content)?),
        Content::Event(content) => (Subject::Event, to_json(content)?),
    };
    let version = NewVersion {
        subject,
        id,
        version: version + 1,
        action: match creating {
            true => VersionAction::CreatedFromFile,
            false => VersionAction::UpdatedFromFile,
        },
        actor,
        status,
        content: recorded,
        at: now,
    };
    history::record(txn, version).await
}
