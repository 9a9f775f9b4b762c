//! The household store: one handle on the database that every topic of this crate (accounts,
//! consents, channels, dismissals, stored match results, "My data") adds its operations to.

use chrono::Utc;
use kosodate_matcher::Household;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::entity::household;
use crate::error::HouseholdError;
use crate::ids::HouseholdId;
use crate::profile::{Profile, StoredHousehold, stored};

/// The household data access. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Households {
    db: DatabaseConnection,
}

impl Households {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn count(&self) -> Result<u64, HouseholdError> {
        Ok(household::Entity::find().count(&self.db).await?)
    }

    pub async fn get(&self, id: HouseholdId) -> Result<StoredHousehold, HouseholdError> {
        let row = household::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
            .ok_or_else(|| HouseholdError::HouseholdNotFound(id.to_string()))?;
        stored(&row)
    }

    /// Replaces what the matcher reads of a household (tests and benchmarks change synthetic
    /// households this way; parents go through [`Households::change`]).
    pub async fn update_profile(&self, id: HouseholdId, household: &Household) -> Result<(), HouseholdError> {
        let result = household::Entity::update_many()
            .col_expr(
                household::Column::MunicipalityCode,
                Expr::value(household.municipality.as_str()),
            )
            .col_expr(
                household::Column::Profile,
                Expr::value(Profile::to_json(household)?),
            )
            .col_expr(household::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(household::Column::Id.eq(id.to_string()))
            .exec(&self.db)
            .await?;
        match result.rows_affected {
            0 => Err(HouseholdError::HouseholdNotFound(id.to_string())),
            _ => Ok(()),
        }
    }
}

/// The ids of one household, as a subquery for statements over many tables.
pub(crate) fn this_household(id: HouseholdId) -> SelectStatement {
    Query::select()
        .column(household::Column::Id)
        .from(household::Entity)
        .and_where(Expr::col(household::Column::Id).eq(id.to_string()))
        .to_owned()
}
