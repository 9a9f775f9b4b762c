//! Files waiting between a dry run and its apply (the staff import page): kept in the database so
//! that whichever server process serves the apply finds the file the staff member checked,
//! without a second upload. A staged file is its uploader's alone (staff name and organisation),
//! lives an hour at most, is checked against its SHA-256 when read, and is deleted when applied.
//! The digest of the plan last shown lets the apply tell whether the registry changed since. A
//! file is staged for one [`StagedSubject`]: the places and events page stages its uploads here
//! too, and a page finds only its own subject's files.

use chrono::{DateTime, Duration, Utc};
use kosodate_domain::digest::sha256_hex;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::ImportReport;
use crate::authz::StaffIdentity;
use crate::entity::staged_import;
use crate::error::RegistryError;
use crate::store::Registry;
use crate::transfer::ImportFormat;

/// How long a staged file waits for its apply.
pub const STAGED_FOR: Duration = Duration::hours(1);

/// What a staged file is to be imported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum StagedSubject {
    Programs,
    Places,
    Events,
}

/// A file as staged, its content checked against its digest.
#[derive(Debug, Clone)]
pub struct StagedImport {
    pub id: String,
    pub subject: StagedSubject,
    pub file_name: String,
    pub format: ImportFormat,
    pub content: Vec<u8>,
    /// The digest of the plan the uploader was last shown ([`plan_digest`]).
    pub checked_plan: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Whose staged files these are: the staff member's name within the organisation.
fn organisation_key(staff: &StaffIdentity) -> String {
    staff
        .role
        .organisation()
        .map_or_else(|| "administrator".to_owned(), |code| code.to_string())
}

/// Any plan as one digest of its JSON: equal digests mean equal plans. For a plan whose JSON
/// holds nothing drawn afresh by each dry run (the places crate's leaves a new record's id out).
pub fn digest_of(plan: &impl serde::Serialize) -> String {
    // Serialising our own plans cannot fail; an empty digest would only force a re-check.
    sha256_hex(serde_json::to_vec(plan).unwrap_or_default())
}

/// What a plan would do, as one digest: equal digests mean the same creates, the same changes
/// field by field and the same unchanged programs. A new program's id is drawn afresh by every
/// plan, so it is left out.
pub fn plan_digest(report: &ImportReport) -> String {
    let items: Vec<serde_json::Value> = report
        .items
        .iter()
        .map(|item| {
            // Serialising our own items cannot fail; a null would only force a re-check.
            let mut value = serde_json::to_value(item).unwrap_or_default();
            if item.action == super::ImportAction::Create
                && let Some(object) = value.as_object_mut()
            {
                object.remove("program_id");
            }
            value
        })
        .collect();
    digest_of(&items)
}

impl Registry {
    /// Keeps an uploaded file for its uploader until it is applied or an hour has passed; its
    /// id. Expired files of anyone are deleted on the way.
    pub async fn stage_import(
        &self,
        staff: &StaffIdentity,
        subject: StagedSubject,
        file_name: &str,
        format: ImportFormat,
        content: Vec<u8>,
        now: DateTime<Utc>,
    ) -> Result<String, RegistryError> {
        let txn = kosodate_database::begin_write(self.connection()).await?;
        staged_import::Entity::delete_many()
            .filter(staged_import::Column::ExpiresAt.lt(now))
            .exec(&txn)
            .await?;
        let id = uuid::Uuid::now_v7().to_string();
        staged_import::Entity::insert(staged_import::ActiveModel {
            id: Set(id.clone()),
            staff_name: Set(staff.name.clone()),
            organisation: Set(organisation_key(staff)),
            file_name: Set(file_name.to_owned()),
            format: Set(format.id().to_owned()),
            subject: Set(<&str>::from(subject).to_owned()),
            sha256: Set(sha256_hex(&content)),
            content: Set(content),
            checked_plan: Set(None),
            created_at: Set(now),
            expires_at: Set(now + STAGED_FOR),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// The staff member's own staged file of one of `subjects`, if it is still there and whole.
    pub async fn staged_import(
        &self,
        staff: &StaffIdentity,
        subjects: &[StagedSubject],
        id: uuid::Uuid,
        now: DateTime<Utc>,
    ) -> Result<StagedImport, RegistryError> {
        let not_found = || RegistryError::StagedImportNotFound(id.to_string());
        let row = staged_import::Entity::find_by_id(id.to_string())
            .filter(
                staged_import::Column::Subject.is_in(subjects.iter().map(|subject| <&str>::from(*subject))),
            )
            .filter(staged_import::Column::StaffName.eq(staff.name.as_str()))
            .filter(staged_import::Column::Organisation.eq(organisation_key(staff)))
            .filter(staged_import::Column::ExpiresAt.gt(now))
            .one(self.connection())
            .await?
            .ok_or_else(not_found)?;
        if sha256_hex(&row.content) != row.sha256 {
            return Err(RegistryError::Corrupt(format!(
                "staged import {id} does not match its digest"
            )));
        }
        let format = ImportFormat::parse(&row.format)
            .ok_or_else(|| RegistryError::Corrupt(format!("unknown staged format {}", row.format)))?;
        let subject = row
            .subject
            .parse()
            .map_err(|_| RegistryError::Corrupt(format!("unknown staged subject {}", row.subject)))?;
        Ok(StagedImport {
            id: row.id,
            subject,
            file_name: row.file_name,
            format,
            content: row.content,
            checked_plan: row.checked_plan,
            expires_at: row.expires_at,
        })
    }

    /// Records the plan the uploader has just been shown.
    pub async fn note_checked_plan(&self, id: &str, digest: &str) -> Result<(), RegistryError> {
        staged_import::Entity::update_many()
            .col_expr(
                staged_import::Column::CheckedPlan,
                sea_orm::sea_query::Expr::value(digest),
            )
            .filter(staged_import::Column::Id.eq(id))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Forgets a staged file (applied, or given up).
    pub async fn discard_staged_import(&self, id: &str) -> Result<(), RegistryError> {
        staged_import::Entity::delete_by_id(id.to_owned())
            .exec(self.connection())
            .await?;
        Ok(())
    }
}
