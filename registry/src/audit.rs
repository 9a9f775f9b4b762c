//! The append-only audit log: every staff action, allowed or denied, and every access to personal
//! data, with who, what, on which organisation's data, and the request it came with. The database
//! refuses updates and deletes of its rows (triggers, migration 5). Entries name households only
//! by their random id, never by anything a parent entered.

use chrono::{DateTime, Utc};
use kosodate_domain::MunicipalityCode;
use kosodate_domain::Vocabulary;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use crate::authz::{Credential, StaffIdentity};
use crate::entity::audit_entry;
use crate::error::RegistryError;
use crate::page::{Page, PageRequest};

/// Who acted.
#[derive(Debug, Clone)]
pub enum AuditActor<'a> {
    Staff(&'a StaffIdentity),
    /// A parent, acting on their own household (named by its id once it exists).
    Parent {
        household: Option<String>,
    },
    /// Somebody not signed in, or not recognised (a failed sign-in).
    Anonymous,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray, strum::EnumMessage,
)]
#[strum(serialize_all = "snake_case")]
pub enum Outcome {
    #[strum(message = "許可")]
    Allowed,
    #[strum(message = "拒否")]
    Denied,
    /// Allowed, but it did not happen (invalid input, a conflict).
    #[strum(message = "失敗")]
    Failed,
}

/// Which entries to read: every member narrows the list; the default is everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// One organisation's data and what its own staff did; `None`: all.
    pub scope: Option<MunicipalityCode>,
    /// Actions named exactly so, or starting with it when it ends in a dot (`program.`).
    pub action: Option<String>,
    pub outcome: Option<Outcome>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub until: Option<DateTime<Utc>>,
}

/// One thing that happened.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub actor: AuditActor<'a>,
    /// What was done, e.g. `program.update`, `household.export`, `staff.sign_in`.
    pub action: &'static str,
    /// What it was done to: a program id, a household id, a provider.
    pub target: Option<String>,
    /// Whose data: the program's owner, the household's municipality.
    pub municipality: Option<MunicipalityCode>,
    pub outcome: Outcome,
    pub request_id: Option<String>,
}

/// An entry as staff read it.
/// Read straight from the table: the columns are the fields.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sea_orm::FromQueryResult)]
pub struct AuditRecord {
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor: String,
    pub actor_role: Option<String>,
    pub actor_municipality: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub municipality_code: Option<String>,
    pub outcome: String,
    pub request_id: Option<String>,
}

/// Appends one entry.
pub async fn record(db: &impl ConnectionTrait, event: AuditEvent<'_>) -> Result<(), RegistryError> {
    let (kind, actor, role, organisation) = match &event.actor {
        AuditActor::Staff(identity) => (
            match identity.credential {
                Credential::Person => "staff",
                Credential::Machine => "api_token",
            },
            identity.name.clone(),
            Some(identity.role.id().to_owned()),
            identity.role.organisation().map(|code| code.as_str().to_owned()),
        ),
        AuditActor::Parent { household } => (
            "parent",
            household
                .clone()
                .map_or_else(|| "parent".to_owned(), |id| format!("household:{id}")),
            None,
            None,
        ),
        AuditActor::Anonymous => ("anonymous", "anonymous".to_owned(), None, None),
    };
    let row = audit_entry::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        occurred_at: Set(Utc::now()),
        actor_kind: Set(kind.to_owned()),
        actor: Set(actor),
        actor_role: Set(role),
        actor_municipality: Set(organisation),
        action: Set(event.action.to_owned()),
        target: Set(event.target),
        municipality_code: Set(event.municipality.map(|code| code.as_str().to_owned())),
        outcome: Set(event.outcome.id().to_owned()),
        request_id: Set(event.request_id),
    };
    audit_entry::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The newest entries first that `filter` lets through, a page at a time (the one pagination
/// scheme: `next_cursor` names the last entry of the page).
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditRecord>, RegistryError> {
    let limit = page.limit();
    let mut query = audit_entry::Entity::find()
        .order_by_desc(audit_entry::Column::Id)
        .limit(limit + 1);
    if let Some(code) = filter.scope {
        // An organisation sees what was done to its data and what its own staff did.
        query = query.filter(
            audit_entry::Column::MunicipalityCode
                .eq(code.as_str())
                .or(audit_entry::Column::ActorMunicipality.eq(code.as_str())),
        );
    }
    if let Some(action) = filter.action.as_deref() {
        query = match action.ends_with('.') {
            true => query.filter(audit_entry::Column::Action.starts_with(action)),
            false => query.filter(audit_entry::Column::Action.eq(action)),
        };
    }
    if let Some(outcome) = filter.outcome {
        query = query.filter(audit_entry::Column::Outcome.eq(outcome.id()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_entry::Column::OccurredAt.gte(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_entry::Column::OccurredAt.lt(until));
    }
    if let Some(before) = page.after()? {
        query = query.filter(audit_entry::Column::Id.lt(before));
    }
    let entries = query.into_model::<AuditRecord>().all(db).await?;
    Ok(Page::from_overfetch(entries, limit, |entry| entry.id.clone()))
}

/// The actions the log holds, for a filter's choices: few and known, read rather than listed
/// here so that a new action shows up by itself.
pub async fn actions(db: &impl ConnectionTrait) -> Result<Vec<String>, RegistryError> {
    let actions: Vec<String> = audit_entry::Entity::find()
        .select_only()
        .column(audit_entry::Column::Action)
        .distinct()
        .order_by_asc(audit_entry::Column::Action)
        .into_tuple()
        .all(db)
        .await?;
    Ok(actions)
}
