//! Writing an import's checked rows: all in one transaction, or, in a dry run, nothing.

use std::collections::HashMap;

use chrono::Utc;
use kosodate_domain::MunicipalityCode;
use kosodate_registry::StaffIdentity;
use sea_orm::{ActiveValue::Set, EntityTrait, QuerySelect};
use uuid::Uuid;

use super::{ImportedRow, Planned};
use crate::entity::{event, place};
use crate::error::PlacesError;
use crate::model::{EventContent, PlaceContent};
use crate::store::{
    Places, authorize, check_place_name_free, check_venue, event_values, place_values, stored_instant,
};
use crate::vocabulary::Status;

impl Places {
    /// Every place's id by (owner, name): how an imported event names its place.
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
            .map(|(id, owner, name)| {
                let id =
                    Uuid::parse_str(&id).map_err(|_| PlacesError::Corrupt(format!("place id {id:?}")))?;
                Ok(((owner, name), id))
            })
            .collect()
    }

    /// Writes checked rows as drafts in one transaction (all or nothing), or in a dry run only
    /// says what would be written. Owners and permissions are checked for every row first.
    pub(crate) async fn write_planned(
        &self,
        actor: &StaffIdentity,
        planned: Vec<(usize, Planned)>,
        dry_run: bool,
    ) -> Result<Vec<ImportedRow>, PlacesError> {
        let mut rows = Vec::new();
        for (line, record) in planned {
            let content = match &record {
                Planned::Place(input) => Content::Place(input.validate()?),
                Planned::Event(input) => Content::Event(input.validate()?),
            };
            authorize(actor, content.owner())?;
            self.check_owner(content.owner()).await?;
            rows.push((line, record, content));
        }
        if dry_run {
            return Ok(rows
                .iter()
                .map(|(line, record, _)| record.describe(*line, None))
                .collect());
        }
        let now = stored_instant(Utc::now());
        let txn = kosodate_database::begin_write(&self.db).await?;
        let mut written = Vec::new();
        for (line, record, content) in rows {
            let id = Uuid::now_v7();
            match &content {
                Content::Place(content) => {
                    check_place_name_free(&txn, content, None).await?;
                    let row = place::ActiveModel {
                        id: Set(id.to_string()),
                        created_at: Set(now),
                        published_at: Set(None),
                        ..place_values(content, Status::Draft, 1, now)?
                    };
                    place::Entity::insert(row).exec_without_returning(&txn).await?;
                }
                Content::Event(content) => {
                    check_venue(&txn, content).await?;
                    let row = event::ActiveModel {
                        id: Set(id.to_string()),
                        created_at: Set(now),
                        published_at: Set(None),
                        ..event_values(content, Status::Draft, 1, now)?
                    };
                    event::Entity::insert(row).exec_without_returning(&txn).await?;
                }
            }
            written.push(record.describe(line, Some(id)));
        }
        txn.commit().await?;
        Ok(written)
    }
}

enum Content {
    Place(PlaceContent),
    Event(EventContent),
}

impl Content {
    fn owner(&self) -> MunicipalityCode {
        match self {
            Self::Place(content) => content.owner,
            Self::Event(content) => content.owner,
        }
    }
}
