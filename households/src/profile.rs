//! A household as stored (`households` rows) and as read back: what the matcher needs (the
//! municipality, the children, the optional facts) and what only its parent sees (nicknames,
//! preferences).

use chrono::{DateTime, Utc};
use kosodate_domain::{CalendarDate, MunicipalityCode};
use kosodate_matcher::{Birth, Child, Household, IncomeBand};
use serde::{Deserialize, Serialize};

use crate::entity::household;
use crate::error::HouseholdError;
use crate::ids::HouseholdId;
use crate::input::{ChildInput, HouseholdInput, Preferences};

/// What a household told us, apart from where it lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Profile {
    #[serde(default)]
    pub children: Vec<Child>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_parent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_band: Option<IncomeBand>,
}

impl Profile {
    pub fn of(household: &Household) -> Self {
        Self {
            children: household.children.clone(),
            single_parent: household.single_parent,
            income_band: household.income_band,
        }
    }

    pub fn into_household(self, municipality: MunicipalityCode) -> Household {
        Household {
            municipality,
            children: self.children,
            single_parent: self.single_parent,
            income_band: self.income_band,
        }
    }

    pub(crate) fn to_json(household: &Household) -> Result<serde_json::Value, HouseholdError> {
        to_json(&Self::of(household))
    }
}

/// A household and its id, as loaded for matching.
#[derive(Debug, Clone)]
pub struct StoredHousehold {
    pub id: HouseholdId,
    pub household: Household,
}

/// A household as its parent sees it.
#[derive(Debug, Clone, Serialize)]
pub struct HouseholdRecord {
    pub id: HouseholdId,
    pub household: Household,
    pub nicknames: Vec<Option<String>>,
    pub preferences: Preferences,
    pub registered_at_counter: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn to_json(value: &impl Serialize) -> Result<serde_json::Value, HouseholdError> {
    serde_json::to_value(value).map_err(|error| HouseholdError::corrupt("household json", error))
}

fn corrupt_row(row: &household::Model, what: &'static str) -> impl Fn(String) -> HouseholdError {
    let id = row.id.clone();
    move |detail| HouseholdError::Corrupt(format!("household {id}: {what}: {detail}"))
}

fn household_of(row: &household::Model) -> Result<(HouseholdId, Household), HouseholdError> {
    let id = HouseholdId::parse(&row.id).map_err(|error| corrupt_row(row, "id")(error.to_string()))?;
    let municipality = MunicipalityCode::parse(&row.municipality_code)
        .map_err(|error| corrupt_row(row, "municipality")(error.to_string()))?;
    let profile =
        Profile::deserialize(&row.profile).map_err(|error| corrupt_row(row, "profile")(error.to_string()))?;
    Ok((id, profile.into_household(municipality)))
}

pub(crate) fn stored(row: &household::Model) -> Result<StoredHousehold, HouseholdError> {
    let (id, household) = household_of(row)?;
    Ok(StoredHousehold { id, household })
}

pub(crate) fn record(row: &household::Model) -> Result<HouseholdRecord, HouseholdError> {
    let (id, household) = household_of(row)?;
    let mut nicknames: Vec<Option<String>> = match &row.nicknames {
        Some(value) => {
            Vec::deserialize(value).map_err(|error| corrupt_row(row, "nicknames")(error.to_string()))?
        }
        None => Vec::new(),
    };
    nicknames.resize(household.children.len(), None);
    let preferences = match &row.preferences {
        Some(value) => Preferences::deserialize(value)
            .map_err(|error| corrupt_row(row, "preferences")(error.to_string()))?,
        None => Preferences::default(),
    };
    Ok(HouseholdRecord {
        id,
        household,
        nicknames,
        preferences,
        registered_at_counter: row.registered_by.is_some(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

impl HouseholdRecord {
    /// What the parent entered, as the form or API that changes it takes it: children in birth
    /// order with their nicknames, optional facts left unshared as they were.
    pub fn to_input(&self) -> HouseholdInput {
        let children = self
            .household
            .children
            .iter()
            .zip(self.nicknames.iter().cloned().chain(std::iter::repeat(None)))
            .map(|(child, nickname)| {
                // Stored dates were entered as calendar dates; one outside their range cannot be.
                let as_calendar = |date| CalendarDate::try_from(date).ok();
                let (birth_date, due_date) = match child.birth {
                    Birth::BirthDate(date) => (as_calendar(date), None),
                    Birth::DueDate(date) => (None, as_calendar(date)),
                };
                ChildInput {
                    nickname,
                    birth_date,
                    due_date,
                    disability_certificate: child.disability_certificate,
                    childcare: child.childcare,
                }
            })
            .collect();
        HouseholdInput {
            municipality_code: self.household.municipality.as_str().to_owned(),
            children,
            single_parent: self.household.single_parent,
            income_band: self.household.income_band,
            preferences: Some(self.preferences.clone()),
        }
    }
}
