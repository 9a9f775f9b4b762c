//! What a parent said about a program from a notice: "applied already" or "not interested". No
//! more notices about it; pending ones are suppressed in the same transaction.

use std::collections::HashSet;

use chrono::Utc;
use kosodate_database::begin_write;
use kosodate_domain::Vocabulary;
use kosodate_notifier::NoticeStatus;
use kosodate_notifier::outbox::{self, Scope};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::program_dismissal;
use crate::error::HouseholdError;
use crate::ids::HouseholdId;
use crate::store::Households;

/// Why notices about a program stop.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Dismissal {
    #[strum(message = "申請済み")]
    Applied,
    #[strum(message = "関心なし")]
    NotInterested,
}

/// (household id, program id) pairs a household dismissed, as stored.
pub type Dismissed = HashSet<(String, String)>;

impl Households {
    /// Records the dismissal (a later one replaces an earlier) and suppresses the notices about
    /// the program still waiting. Returns how many were suppressed.
    pub async fn dismiss_program(
        &self,
        household: HouseholdId,
        program: &str,
        reason: Dismissal,
    ) -> Result<u64, HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        let row = program_dismissal::ActiveModel {
            household_id: Set(household.to_string()),
            program_id: Set(program.to_owned()),
            reason: Set(reason.id().to_owned()),
            created_at: Set(Utc::now()),
        };
        program_dismissal::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    program_dismissal::Column::HouseholdId,
                    program_dismissal::Column::ProgramId,
                ])
                .update_column(program_dismissal::Column::Reason)
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        let stopped = outbox::stop_pending(
            &txn,
            Scope::Program(household.as_uuid(), program),
            NoticeStatus::Suppressed,
        )
        .await?;
        txn.commit().await?;
        Ok(stopped)
    }

    /// What the household said about programs: program id and dismissal, oldest first.
    pub async fn dismissals(
        &self,
        household: HouseholdId,
    ) -> Result<Vec<(String, Dismissal)>, HouseholdError> {
        let rows = program_dismissal::Entity::find()
            .filter(program_dismissal::Column::HouseholdId.eq(household.to_string()))
            .order_by_asc(program_dismissal::Column::CreatedAt)
            .all(self.connection())
            .await?;
        rows.into_iter()
            .map(|row| {
                let reason = Dismissal::parse(&row.reason)
                    .ok_or_else(|| HouseholdError::corrupt("program dismissal", &row.reason))?;
                Ok((row.program_id, reason))
            })
            .collect()
    }

    /// Takes back a dismissal: the program is shown and reminded of again from the next matching.
    pub async fn undo_dismissal(&self, household: HouseholdId, program: &str) -> Result<(), HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        program_dismissal::Entity::delete_many()
            .filter(program_dismissal::Column::HouseholdId.eq(household.to_string()))
            .filter(program_dismissal::Column::ProgramId.eq(program))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// The programs the given households dismissed, read on `db` (the planner's transaction).
pub async fn dismissed(
    db: &impl ConnectionTrait,
    households: &[String],
) -> Result<Dismissed, HouseholdError> {
    Ok(program_dismissal::Entity::find()
        .filter(program_dismissal::Column::HouseholdId.is_in(households.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.household_id, row.program_id))
        .collect())
}
