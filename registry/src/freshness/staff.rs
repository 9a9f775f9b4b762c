//! The staff directory: everybody who signed in as staff through OpenID Connect, with the
//! organisation and role their claims gave, their name and the email address of their ID token,
//! updated at each sign-in. It exists so that review reminders reach the people who keep an
//! organisation's programs; it holds staff data only, never a parent's.

use chrono::{DateTime, Utc};
use kosodate_domain::{EmailAddress, MunicipalityCode};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::authz::{Credential, StaffIdentity, StaffRole};
use crate::entity::staff_member;
use crate::error::RegistryError;
use crate::store::Registry;

/// A person in the staff directory.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: Uuid,
    pub display_name: String,
    pub role: StaffRole,
    pub email: Option<EmailAddress>,
    pub last_signed_in_at: DateTime<Utc>,
}

impl std::fmt::Debug for StaffMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffMember")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl StaffMember {
    /// The identity this person acts with when they follow a link from a reminder: the role of
    /// their last sign-in.
    pub fn identity(&self) -> StaffIdentity {
        StaffIdentity {
            name: self.display_name.clone(),
            role: self.role.clone(),
            credential: Credential::Person,
        }
    }
}

/// One staff sign-in as the OpenID Provider described it.
#[derive(Debug, Clone, Copy)]
pub struct StaffSignIn<'a> {
    pub provider: &'a str,
    pub subject: &'a str,
    pub identity: &'a StaffIdentity,
    pub email: Option<&'a EmailAddress>,
}

impl Registry {
    /// Adds or updates the person who just signed in.
    pub async fn record_staff_sign_in(&self, sign_in: StaffSignIn<'_>) -> Result<StaffMember, RegistryError> {
        let now = Utc::now();
        let role = &sign_in.identity.role;
        let row = staff_member::ActiveModel {
            id: Set(Uuid::now_v7().to_string()),
            provider: Set(sign_in.provider.to_owned()),
            subject: Set(sign_in.subject.to_owned()),
            role: Set(role.id().to_owned()),
            organisation: Set(role.organisation().map(|code| code.as_str().to_owned())),
            display_name: Set(sign_in.identity.name.clone()),
            email: Set(sign_in.email.map(|email| email.as_str().to_owned())),
            first_signed_in_at: Set(now),
            last_signed_in_at: Set(now),
        };
        let txn = kosodate_database::begin_write(&self.db).await?;
        staff_member::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([staff_member::Column::Provider, staff_member::Column::Subject])
                    .update_columns([
                        staff_member::Column::Role,
                        staff_member::Column::Organisation,
                        staff_member::Column::DisplayName,
                        staff_member::Column::Email,
                        staff_member::Column::LastSignedInAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        let stored = staff_member::Entity::find()
            .filter(staff_member::Column::Provider.eq(sign_in.provider))
            .filter(staff_member::Column::Subject.eq(sign_in.subject))
            .one(&txn)
            .await?
            .ok_or_else(|| RegistryError::Corrupt("staff member vanished after its sign-in".into()))?;
        txn.commit().await?;
        member_from_row(stored)
    }

    pub async fn staff_member(&self, id: Uuid) -> Result<Option<StaffMember>, RegistryError> {
        staff_member::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
            .map(member_from_row)
            .transpose()
    }
}

/// Who hears about an organisation's reviews: its staff with an email address, administrators
/// excepted (they belong to no organisation).
pub(crate) async fn reminder_recipients(
    db: &impl ConnectionTrait,
    organisation: MunicipalityCode,
) -> Result<Vec<StaffMember>, RegistryError> {
    staff_member::Entity::find()
        .filter(staff_member::Column::Organisation.eq(organisation.as_str()))
        .filter(staff_member::Column::Email.is_not_null())
        .order_by_asc(staff_member::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(member_from_row)
        .collect()
}

fn member_from_row(row: staff_member::Model) -> Result<StaffMember, RegistryError> {
    let corrupt = |what: &str| RegistryError::Corrupt(format!("staff member {}: {what}", row.id));
    Ok(StaffMember {
        id: Uuid::parse_str(&row.id).map_err(|_| corrupt("id"))?,
        role: StaffRole::from_stored(&row.role, row.organisation.as_deref())
            .ok_or_else(|| corrupt("role"))?,
        email: row
            .email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()
            .map_err(|_| corrupt("email"))?,
        display_name: row.display_name,
        last_signed_in_at: row.last_signed_in_at,
    })
}
