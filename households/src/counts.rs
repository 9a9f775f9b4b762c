//! What staff may know about households: counts per municipality, never an individual. A count
//! under `MIN_REPORTED` is reported as "<10", so that a small village's one single-parent
//! household cannot be singled out.

use std::collections::BTreeMap;

use kosodate_domain::MunicipalityCode;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};
use serde::{Serialize, Serializer};

use crate::entity::{anonymous_count, consent, household};
use crate::error::HouseholdError;
use crate::store::Households;

pub const MIN_REPORTED: u64 = 10;

/// A count as staff see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportedCount {
    Exactly(u64),
    FewerThanTen,
}

impl ReportedCount {
    pub fn of(count: u64) -> Self {
        match count {
            0 => Self::Exactly(0),
            count if count < MIN_REPORTED => Self::FewerThanTen,
            count => Self::Exactly(count),
        }
    }
}

/// A count, or `"<10"`.
impl utoipa::PartialSchema for ReportedCount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["<10"])),
            )
            .into()
    }
}

impl utoipa::ToSchema for ReportedCount {}

impl Serialize for ReportedCount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Exactly(count) => serializer.serialize_u64(*count),
            Self::FewerThanTen => serializer.serialize_str("<10"),
        }
    }
}

/// Counts for one municipality.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MunicipalityCounts {
    pub municipality_code: String,
    pub households: ReportedCount,
    pub registered_at_counter: ReportedCount,
    /// Active consents, per purpose.
    pub consents: BTreeMap<String, ReportedCount>,
    /// Households deleted at their parents' request, per month.
    pub deleted: BTreeMap<String, ReportedCount>,
}

impl Households {
    /// Counts for the given municipalities (all when `None`), real households only.
    pub async fn counts(
        &self,
        scope: Option<MunicipalityCode>,
    ) -> Result<Vec<MunicipalityCounts>, HouseholdError> {
        let in_scope = |column: household::Column| match scope {
            Some(code) => Condition::all().add(column.eq(code.as_str())),
            None => Condition::all(),
        };
        let households: Vec<(String, i64, i64)> = household::Entity::find()
            .select_only()
            .column(household::Column::MunicipalityCode)
            .expr(Func::count(Expr::col(household::Column::Id)))
            .expr(Func::count(Expr::col(household::Column::RegisteredBy)))
            .filter(household::Column::Synthetic.eq(false))
            .filter(in_scope(household::Column::MunicipalityCode))
            .group_by(household::Column::MunicipalityCode)
            .into_tuple()
            .all(self.connection())
            .await?;
        let consents: Vec<(String, String, i64)> = consent::Entity::find()
            .select_only()
            .column_as(
                Expr::col((household::Entity, household::Column::MunicipalityCode)),
                "code",
            )
            .column(consent::Column::Purpose)
            .expr(Func::count(Expr::col((consent::Entity, consent::Column::Id))))
            .inner_join(household::Entity)
            .filter(consent::Column::WithdrawnAt.is_null())
            .filter(household::Column::Synthetic.eq(false))
            .filter(in_scope(household::Column::MunicipalityCode))
            .group_by(Expr::col((
                household::Entity,
                household::Column::MunicipalityCode,
            )))
            .group_by(consent::Column::Purpose)
            .into_tuple()
            .all(self.connection())
            .await?;
        let mut deleted_query =
            anonymous_count::Entity::find().filter(anonymous_count::Column::Metric.eq("households_deleted"));
        if let Some(code) = scope {
            deleted_query = deleted_query.filter(anonymous_count::Column::MunicipalityCode.eq(code.as_str()));
        }
        let deleted = deleted_query.all(self.connection()).await?;
        let mut by_code: BTreeMap<String, MunicipalityCounts> = BTreeMap::new();
        for (code, total, at_counter) in households {
            let counts = entry(&mut by_code, &code);
            counts.households = ReportedCount::of(total as u64);
            counts.registered_at_counter = ReportedCount::of(at_counter as u64);
        }
        for (code, purpose, count) in consents {
            entry(&mut by_code, &code)
                .consents
                .insert(purpose, ReportedCount::of(count as u64));
        }
        for row in deleted {
            entry(&mut by_code, &row.municipality_code)
                .deleted
                .insert(row.period, ReportedCount::of(row.count as u64));
        }
        Ok(by_code.into_values().collect())
    }
}

fn entry<'a>(
    by_code: &'a mut BTreeMap<String, MunicipalityCounts>,
    code: &str,
) -> &'a mut MunicipalityCounts {
    by_code
        .entry(code.to_owned())
        .or_insert_with(|| MunicipalityCounts {
            municipality_code: code.to_owned(),
            households: ReportedCount::of(0),
            registered_at_counter: ReportedCount::of(0),
            consents: BTreeMap::new(),
            deleted: BTreeMap::new(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_hidden() {
        let shown: Vec<String> = [0, 1, 9, 10, 250]
            .into_iter()
            .map(|count| serde_json::to_string(&ReportedCount::of(count)).unwrap())
            .collect();
        assert_eq!(shown, ["0", "\"<10\"", "\"<10\"", "10", "250"]);
    }
}

/// Notices of one municipality's households, by channel and status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeCount {
    pub municipality_code: String,
    pub channel: String,
    pub status: String,
    pub notices: ReportedCount,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct NoticeCountRow {
    municipality_code: String,
    channel_kind: String,
    status: String,
    count: i64,
}

impl Households {
    /// How notices fare, per municipality, channel and status (all municipalities when `None`):
    /// counts only, never a household.
    pub async fn notice_counts(
        &self,
        municipality: Option<MunicipalityCode>,
    ) -> Result<Vec<NoticeCount>, HouseholdError> {
        let backend = self.connection().get_database_backend();
        let (filter, values): (&str, Vec<sea_orm::Value>) = match (municipality, backend) {
            (Some(code), sea_orm::DatabaseBackend::Postgres) => {
                ("WHERE h.municipality_code = $1", vec![code.as_str().into()])
            }
            (Some(code), _) => ("WHERE h.municipality_code = ?", vec![code.as_str().into()]),
            (None, _) => ("", Vec::new()),
        };
        let sql = format!(
            "SELECT h.municipality_code, n.channel_kind, n.status, COUNT(*) AS count \
             FROM notices n JOIN households h ON h.id = n.household_id {filter} \
             GROUP BY h.municipality_code, n.channel_kind, n.status \
             ORDER BY h.municipality_code, n.channel_kind, n.status"
        );
        let rows = <NoticeCountRow as sea_orm::FromQueryResult>::find_by_statement(
            sea_orm::Statement::from_sql_and_values(backend, sql, values),
        )
        .all(self.connection())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| NoticeCount {
                municipality_code: row.municipality_code,
                channel: row.channel_kind,
                status: row.status,
                notices: ReportedCount::of(u64::try_from(row.count).unwrap_or(0)),
            })
            .collect())
    }
}
