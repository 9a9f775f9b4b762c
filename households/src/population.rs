//! The households the matcher reads: consenting households page by page in id order, those never
//! matched, and the synthetic population tests and benchmarks load in bulk.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use kosodate_database::begin_write;
use kosodate_domain::MunicipalityCode;
use kosodate_domain::Vocabulary;
use kosodate_matcher::Household;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};

use crate::consents::consent_row;
use crate::entity::{consent, household, household_match, id_range};
use crate::error::HouseholdError;
use crate::ids::HouseholdId;
use crate::match_store;
use crate::profile::{Profile, StoredHousehold, stored};
use crate::purposes::{ConsentMethod, ConsentPurpose};
use crate::store::Households;

/// Rows per multi-row INSERT: under SQLite's and PostgreSQL's bound-parameter limits.
const INSERT_CHUNK: usize = 2_000;

/// One page of households in id order, and those of them with an active consent to matching.
#[derive(Debug)]
pub struct ConsentingPage {
    pub households: Vec<StoredHousehold>,
    /// The last id read, consenting or not: where the next page starts.
    pub last_read: Option<String>,
    /// Whether the page was full, so that another may follow.
    pub full: bool,
}

/// Which households a page reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageScope<'a> {
    /// Only households living in these municipalities.
    pub municipalities: Option<&'a [MunicipalityCode]>,
    /// Only these households (at most one page's worth).
    pub ids: Option<&'a [String]>,
    /// Only households whose id is at most this one: the end of a partition of a shared run.
    pub until: Option<&'a str>,
}

impl Households {
    /// Stores households, each with consent to matching when `consent` is given, in one
    /// transaction. Returns their ids in input order.
    pub async fn insert_many(
        &self,
        households: &[Household],
        synthetic: bool,
        consent: Option<(ConsentMethod, i32)>,
    ) -> Result<Vec<HouseholdId>, HouseholdError> {
        let now = Utc::now();
        let ids: Vec<HouseholdId> = households.iter().map(|_| HouseholdId::new()).collect();
        let txn = begin_write(self.connection()).await?;
        for (chunk_ids, chunk) in ids.chunks(INSERT_CHUNK).zip(households.chunks(INSERT_CHUNK)) {
            let rows = chunk_ids
                .iter()
                .zip(chunk)
                .map(|(id, household)| household_row(*id, household, synthetic, now));
            household::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
            if let Some((method, text_version)) = consent {
                let consents = chunk_ids
                    .iter()
                    .map(|id| consent_row(*id, ConsentPurpose::Matching, method, text_version, now));
                consent::Entity::insert_many(consents)
                    .exec_without_returning(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
        Ok(ids)
    }

    /// Removes every synthetic household, with its consents and everything derived from it.
    pub async fn delete_synthetic(&self) -> Result<u64, HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        let synthetic = Query::select()
            .column(household::Column::Id)
            .from(household::Entity)
            .and_where(Expr::col(household::Column::Synthetic).eq(true))
            .to_owned();
        match_store::forget_households(&txn, synthetic).await?;
        let result = household::Entity::delete_many()
            .filter(household::Column::Synthetic.eq(true))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(result.rows_affected)
    }
}

/// The households after `after` in id order, at most `limit` read, keeping those with an active
/// consent to matching, within `scope`.
///
/// Two index-driven queries rather than one with `EXISTS`: with a correlated subquery, PostgreSQL
/// chose a full scan of `consents` for every page (0.6 s a page at 150,000 households without
/// statistics, 0.07 s with them), where reading the page by primary key and then its consents
/// costs a few milliseconds whatever the planner knows.
pub async fn consenting_page(
    db: &impl ConnectionTrait,
    after: Option<&str>,
    limit: u64,
    scope: PageScope<'_>,
) -> Result<ConsentingPage, HouseholdError> {
    let mut query = household::Entity::find()
        .order_by_asc(household::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(household::Column::Id.gt(after));
    }
    if let Some(codes) = scope.municipalities {
        query = query.filter(
            household::Column::MunicipalityCode.is_in(codes.iter().map(|code| code.as_str().to_owned())),
        );
    }
    if let Some(ids) = scope.ids {
        query = query.filter(household::Column::Id.is_in(ids.iter().cloned()));
    }
    if let Some(until) = scope.until {
        query = query.filter(household::Column::Id.lte(until));
    }
    let rows = query.all(db).await?;
    let last_read = rows.last().map(|row| row.id.clone());
    let full = rows.len() as u64 == limit;
    let Some((first, last)) = rows.first().zip(rows.last()) else {
        return Ok(ConsentingPage {
            households: Vec::new(),
            last_read,
            full,
        });
    };
    let of_page = match scope.ids {
        None => id_range(consent::Column::HouseholdId, &first.id, &last.id),
        Some(_) => consent::Column::HouseholdId.is_in(rows.iter().map(|row| row.id.clone())),
    };
    let consenting: HashSet<String> = consent::Entity::find()
        .select_only()
        .column(consent::Column::HouseholdId)
        .filter(of_page)
        .filter(consent::Column::Purpose.eq(ConsentPurpose::Matching.id()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let households = rows
        .iter()
        .filter(|row| consenting.contains(&row.id))
        .map(stored)
        .collect::<Result<_, _>>()?;
    Ok(ConsentingPage {
        households,
        last_read,
        full,
    })
}

/// Every `stride`-th household id in id order (the last of each run of `stride`): the bounds that
/// cut the households into partitions of `stride` for a run shared by several processes. One
/// walk of the primary key's index, numbered by a window function.
pub async fn id_boundaries(db: &impl ConnectionTrait, stride: u64) -> Result<Vec<String>, HouseholdError> {
    let stride = Ord::max(stride, 1);
    let sql = format!(
        "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM households) AS numbered \
         WHERE n % {stride} = 0 ORDER BY id"
    );
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "id").map_err(HouseholdError::from))
        .collect()
}

/// An active consent to matching for the household of the outer query's row.
fn matching_consent() -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(consent::Entity)
        .and_where(
            Expr::col((consent::Entity, consent::Column::HouseholdId))
                .equals((household::Entity, household::Column::Id)),
        )
        .and_where(Expr::col((consent::Entity, consent::Column::Purpose)).eq(ConsentPurpose::Matching.id()))
        .and_where(Expr::col((consent::Entity, consent::Column::WithdrawnAt)).is_null())
        .to_owned()
}

/// Consenting households without a stored match state.
pub async fn never_matched(db: &impl ConnectionTrait) -> Result<Vec<String>, HouseholdError> {
    let matched = Query::select()
        .expr(Expr::val(1))
        .from(household_match::Entity)
        .and_where(
            Expr::col((household_match::Entity, household_match::Column::HouseholdId))
                .equals((household::Entity, household::Column::Id)),
        )
        .to_owned();
    let ids = household::Entity::find()
        .select_only()
        .column(household::Column::Id)
        .filter(Expr::exists(matching_consent()))
        .filter(Expr::exists(matched).not())
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids)
}

fn household_row(
    id: HouseholdId,
    household: &Household,
    synthetic: bool,
    now: DateTime<Utc>,
) -> household::ActiveModel {
    household::ActiveModel {
        id: Set(id.to_string()),
        municipality_code: Set(household.municipality.as_str().to_owned()),
        profile: Set(serde_json::to_value(Profile::of(household)).unwrap_or_default()),
        synthetic: Set(synthetic),
        nicknames: Set(None),
        preferences: Set(None),
        registered_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}
