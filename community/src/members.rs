//! Members: a display name of their choosing (never their sign-in identity), whether they want to
//! hear of answers, and experts, who ask to be verified and whom staff verify or revoke.

use chrono::{DateTime, Utc};
use kosodate_domain::Vocabulary;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::member;
use crate::error::CommunityError;
use crate::input::{DisplayName, ORGANISATION_MAX, short_text};
use crate::store::{Community, acting_member, optional_value, stored_instant, stored_uuid};
use crate::vocabulary::Profession;

/// A member as the community knows them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Member {
    pub account: Uuid,
    pub display_name: String,
    /// Whether they are told of answers to their questions (through the channels they consented
    /// to; the server decides which).
    pub notify_answers: bool,
    pub joined_at: DateTime<Utc>,
    pub expert: Option<Expert>,
}

/// An expert's request, and its verification once staff have checked it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Expert {
    pub profession: Profession,
    pub organisation: String,
    pub requested_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    /// The staff member who verified.
    pub verified_by: Option<String>,
}

impl Member {
    /// The profession of the member's badge, once staff verified it.
    pub fn verified_profession(&self) -> Option<Profession> {
        self.expert
            .as_ref()
            .filter(|expert| expert.verified_at.is_some())
            .map(|expert| expert.profession)
    }
}

/// A request waiting for staff, with the member's display name.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ExpertRequest {
    pub account: Uuid,
    pub display_name: String,
    pub profession: Profession,
    pub organisation: String,
    pub requested_at: DateTime<Utc>,
}

pub(crate) fn member_from_row(row: member::Model) -> Result<Member, CommunityError> {
    let profession: Option<Profession> = optional_value(row.expert_profession.as_deref())?;
    let expert = match (profession, row.expert_requested_at) {
        (Some(profession), Some(requested_at)) => Some(Expert {
            profession,
            organisation: row.expert_organisation.unwrap_or_default(),
            requested_at,
            verified_at: row.expert_verified_at,
            verified_by: row.expert_verified_by,
        }),
        _ => None,
    };
    Ok(Member {
        account: stored_uuid(&row.account_id)?,
        display_name: row.display_name,
        notify_answers: row.notify_answers,
        joined_at: row.joined_at,
        expert,
    })
}

/// A display name taken by someone else shows up as the unique index refusing the write; the
/// primary key refuses a second join of the same account racing the first.
fn name_taken(error: DbErr) -> CommunityError {
    match error.sql_err() {
        // SQLite names the column, PostgreSQL the constraint.
        Some(SqlErr::UniqueConstraintViolation(message))
            if message.contains("account_id") || message.contains("pkey") =>
        {
            CommunityError::AlreadyMember
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => CommunityError::DisplayNameTaken,
        _ => CommunityError::Database(error),
    }
}

impl Community {
    /// Makes the account a member under `name`. The server checks the community consent first.
    pub async fn join(
        &self,
        account: Uuid,
        name: &DisplayName,
        notify_answers: bool,
        now: DateTime<Utc>,
    ) -> Result<Member, CommunityError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        if member::Entity::find_by_id(account.to_string())
            .one(&*txn)
            .await?
            .is_some()
        {
            return Err(CommunityError::AlreadyMember);
        }
        let row = member::Model {
            account_id: account.to_string(),
            display_name: name.as_str().to_owned(),
            display_name_folded: name.folded(),
            notify_answers,
            joined_at: stored_instant(now),
            expert_profession: None,
            expert_organisation: None,
            expert_requested_at: None,
            expert_verified_at: None,
            expert_verified_by: None,
        };
        member::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&*txn)
            .await
            .map_err(name_taken)?;
        txn.commit().await?;
        member_from_row(row)
    }

    pub async fn member(&self, account: Uuid) -> Result<Option<Member>, CommunityError> {
        member::Entity::find_by_id(account.to_string())
            .one(&self.db)
            .await?
            .map(member_from_row)
            .transpose()
    }

    /// The member, or [`CommunityError::NotMember`].
    pub async fn existing_member(&self, account: Uuid) -> Result<Member, CommunityError> {
        self.member(account).await?.ok_or(CommunityError::NotMember)
    }

    /// A new display name; the posts keep their author, so they show it from now on.
    pub async fn rename(&self, account: Uuid, name: &DisplayName) -> Result<Member, CommunityError> {
        self.update_member(account, |row| {
            row.display_name = Set(name.as_str().to_owned());
            row.display_name_folded = Set(name.folded());
        })
        .await
    }

    pub async fn set_notify_answers(&self, account: Uuid, notify: bool) -> Result<Member, CommunityError> {
        self.update_member(account, |row| row.notify_answers = Set(notify))
            .await
    }

    /// Asks staff to verify the member as an expert; a new request replaces an earlier one and
    /// takes any badge away until staff verify again.
    pub async fn request_expert(
        &self,
        account: Uuid,
        profession: Profession,
        organisation: &str,
        now: DateTime<Utc>,
    ) -> Result<Member, CommunityError> {
        let organisation = short_text("/organisation", "所属", organisation, ORGANISATION_MAX)?;
        self.update_member(account, |row| {
            row.expert_profession = Set(Some(profession.id().to_owned()));
            row.expert_organisation = Set(Some(organisation));
            row.expert_requested_at = Set(Some(stored_instant(now)));
            row.expert_verified_at = Set(None);
            row.expert_verified_by = Set(None);
        })
        .await
    }

    /// Requests staff have not verified yet, oldest first.
    pub async fn expert_requests(&self) -> Result<Vec<ExpertRequest>, CommunityError> {
        let rows = member::Entity::find()
            .filter(member::Column::ExpertRequestedAt.is_not_null())
            .filter(member::Column::ExpertVerifiedAt.is_null())
            .order_by_asc(member::Column::ExpertRequestedAt)
            .all(&self.db)
            .await?;
        let mut requests = Vec::with_capacity(rows.len());
        for row in rows {
            let display_name = row.display_name.clone();
            let member = member_from_row(row)?;
            if let Some(expert) = member.expert {
                requests.push(ExpertRequest {
                    account: member.account,
                    display_name,
                    profession: expert.profession,
                    organisation: expert.organisation,
                    requested_at: expert.requested_at,
                });
            }
        }
        Ok(requests)
    }

    /// Gives the member the badge of the profession they asked for; `staff_name` is recorded.
    pub async fn verify_expert(
        &self,
        account: Uuid,
        staff_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Member, CommunityError> {
        let member = self.existing_member(account).await?;
        if member.expert.is_none() {
            return Err(CommunityError::NoExpertRequest);
        }
        self.update_member(account, |row| {
            row.expert_verified_at = Set(Some(stored_instant(now)));
            row.expert_verified_by = Set(Some(staff_name.to_owned()));
        })
        .await
    }

    /// Takes the badge and the request away. Answers keep the badge they were posted with: it
    /// said what staff had verified at the time. Who revoked it goes to the server's audit log.
    pub async fn revoke_expert(&self, account: Uuid) -> Result<Member, CommunityError> {
        let member = self.existing_member(account).await?;
        if member.expert.is_none() {
            return Err(CommunityError::NoExpertRequest);
        }
        self.update_member(account, |row| {
            row.expert_profession = Set(None);
            row.expert_organisation = Set(None);
            row.expert_requested_at = Set(None);
            row.expert_verified_at = Set(None);
            row.expert_verified_by = Set(None);
        })
        .await
    }

    async fn update_member(
        &self,
        account: Uuid,
        change: impl FnOnce(&mut member::ActiveModel),
    ) -> Result<Member, CommunityError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let mut row = acting_member(&*txn, account).await?.into_active_model();
        change(&mut row);
        let row = member::Entity::update(row)
            .exec(&*txn)
            .await
            .map_err(name_taken)?;
        txn.commit().await?;
        member_from_row(row)
    }
}
