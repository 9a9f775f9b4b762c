//! The community service over its tables, and what every part of it shares: reading stored ids
//! and list values back, the instants it stores, and the member a write acts for.

use kosodate_domain::Vocabulary;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QuerySelect};
use uuid::Uuid;

use crate::entity::member;
use crate::error::CommunityError;

/// The parents' community. Cheap to clone: it holds the connection pool.
#[derive(Debug, Clone)]
pub struct Community {
    pub(crate) db: DatabaseConnection,
}

impl Community {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

pub(crate) use kosodate_database::stored_instant;

pub(crate) fn stored_uuid(text: &str) -> Result<Uuid, CommunityError> {
    Uuid::parse_str(text).map_err(|_| CommunityError::Corrupt(format!("stored id {text:?}")))
}

pub(crate) fn stored_value<T: Vocabulary>(text: &str) -> Result<T, CommunityError> {
    T::parse(text).ok_or_else(|| CommunityError::Corrupt(format!("stored list value {text:?}")))
}

pub(crate) fn optional_value<T: Vocabulary>(text: Option<&str>) -> Result<Option<T>, CommunityError> {
    text.map(stored_value).transpose()
}

/// The member a write acts for, their row locked until the transaction ends (PostgreSQL; SQLite
/// has one writer anyway), so that two processes counting the same member's posts for a rate
/// limit take turns.
pub(crate) async fn acting_member(
    txn: &impl ConnectionTrait,
    account: Uuid,
) -> Result<member::Model, CommunityError> {
    member::Entity::find_by_id(account.to_string())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(CommunityError::NotMember)
}
