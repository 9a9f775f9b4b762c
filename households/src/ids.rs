//! The identifiers of households and of parents' sign-in accounts.

use std::fmt;

use serde::Serialize;
use uuid::Uuid;

/// Not the text of a household or account id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an id (a UUID): {0:?}")]
pub struct InvalidId(pub String);

fn parse_uuid(input: &str) -> Result<Uuid, InvalidId> {
    Uuid::parse_str(input.trim()).map_err(|_| InvalidId(input.chars().take(64).collect()))
}

/// A household's identifier: a UUIDv7, so that ids sort by creation time.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HouseholdId(Uuid);

impl HouseholdId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn as_uuid(self) -> Uuid {
        self.0
    }

    pub fn parse(input: &str) -> Result<Self, InvalidId> {
        parse_uuid(input).map(Self)
    }
}

impl From<Uuid> for HouseholdId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl Default for HouseholdId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for HouseholdId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

impl fmt::Debug for HouseholdId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "HouseholdId({})", self.0)
    }
}

impl Serialize for HouseholdId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// A parent's account: one subject at one OpenID Provider.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountId(Uuid);

impl AccountId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn parse(input: &str) -> Result<Self, InvalidId> {
        parse_uuid(input).map(Self)
    }

    /// The id as other crates keep it (the community knows accounts by this alone).
    pub fn as_uuid(self) -> Uuid {
        self.0
    }
}

impl Default for AccountId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "AccountId({})", self.0)
    }
}
