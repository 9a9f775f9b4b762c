//! The children's events a household said it will go to (「行く」): what its calendar feed and
//! its own page show. Held under its consent to matching (the household's data is stored for
//! that purpose alone), exported with "My data", and deleted with the household.

use chrono::{DateTime, Utc};
use kosodate_database::begin_write;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::consents::consent_active_on;
use crate::entity::event_attendance;
use crate::error::HouseholdError;
use crate::ids::HouseholdId;
use crate::purposes::ConsentPurpose;
use crate::store::Households;

impl Households {
    /// Records that the household will go to the event; saying it again changes nothing.
    /// Refused without an active consent to matching.
    pub async fn attend_event(&self, household: HouseholdId, event: Uuid) -> Result<(), HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        if !consent_active_on(&txn, household, ConsentPurpose::Matching).await? {
            return Err(HouseholdError::ConsentRequired);
        }
        let row = event_attendance::ActiveModel {
            household_id: Set(household.to_string()),
            event_id: Set(event.to_string()),
            created_at: Set(Utc::now()),
        };
        event_attendance::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    event_attendance::Column::HouseholdId,
                    event_attendance::Column::EventId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Takes back a 「行く」.
    pub async fn leave_event(&self, household: HouseholdId, event: Uuid) -> Result<(), HouseholdError> {
        event_attendance::Entity::delete_many()
            .filter(event_attendance::Column::HouseholdId.eq(household.to_string()))
            .filter(event_attendance::Column::EventId.eq(event.to_string()))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// The events the household will go to, with when it said so, oldest first.
    pub async fn attended_events(
        &self,
        household: HouseholdId,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, HouseholdError> {
        let rows = event_attendance::Entity::find()
            .filter(event_attendance::Column::HouseholdId.eq(household.to_string()))
            .order_by_asc(event_attendance::Column::CreatedAt)
            .all(self.connection())
            .await?;
        rows.into_iter()
            .map(|row| {
                let id = Uuid::parse_str(&row.event_id)
                    .map_err(|_| HouseholdError::corrupt("event attendance", &row.event_id))?;
                Ok((id, row.created_at))
            })
            .collect()
    }
}
