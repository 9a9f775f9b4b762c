//! Households as stored: the municipality, the children and the optional facts (the profile), and
//! the consent records that decide whether a household may be matched at all.

use kosodate_notifier::outbox::{self, Scope};
use kosodate_notifier::{ChannelKind, NoticeStatus};
use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, Utc};
use kosodate_domain::MunicipalityCode;
use kosodate_matcher::{Child, Household, IncomeBand};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entity::{consent, household, household_match};
use crate::error::HouseholdError;

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

    pub fn parse(input: &str) -> Result<Self, HouseholdError> {
        Uuid::parse_str(input.trim())
            .map(Self)
            .map_err(|_| HouseholdError::HouseholdNotFound(input.to_owned()))
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

impl Serialize for HouseholdId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl fmt::Debug for HouseholdId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "HouseholdId({})", self.0)
    }
}

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
}

/// What a household may agree to. Matching needs `Matching`; notices need their channel's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentPurpose {
    Matching,
    NoticeEmail,
    NoticeLine,
    NoticeWebPush,
    Statistics,
}

impl ConsentPurpose {
    pub const ALL: [ConsentPurpose; 5] = [
        Self::Matching,
        Self::NoticeEmail,
        Self::NoticeLine,
        Self::NoticeWebPush,
        Self::Statistics,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|purpose| purpose.id() == text)
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Matching => "matching",
            Self::NoticeEmail => "notice_email",
            Self::NoticeLine => "notice_line",
            Self::NoticeWebPush => "notice_web_push",
            Self::Statistics => "statistics",
        }
    }
}

/// How a consent was given: by the parent online, or on paper at a municipal counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentMethod {
    Online,
    Paper,
}

impl ConsentMethod {
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Online, Self::Paper]
            .into_iter()
            .find(|method| method.id() == text)
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Paper => "paper",
        }
    }
}

/// A household and its id, as loaded for matching.
#[derive(Debug, Clone)]
pub struct StoredHousehold {
    pub id: HouseholdId,
    pub household: Household,
}

/// The household data access. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Households {
    db: DatabaseConnection,
}

/// Rows per multi-row INSERT: under SQLite's and PostgreSQL's bound-parameter limits.
const INSERT_CHUNK: usize = 2_000;

impl Households {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

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
        let txn = kosodate_registry::db::begin_write(&self.db).await?;
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

    pub async fn update_profile(&self, id: HouseholdId, household: &Household) -> Result<(), HouseholdError> {
        let profile = serde_json::to_value(Profile::of(household))
            .map_err(|e| HouseholdError::Corrupt(e.to_string()))?;
        let result = household::Entity::update_many()
            .col_expr(
                household::Column::MunicipalityCode,
                Expr::value(household.municipality.as_str()),
            )
            .col_expr(household::Column::Profile, Expr::value(profile))
            .col_expr(household::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(household::Column::Id.eq(id.to_string()))
            .exec(&self.db)
            .await?;
        match result.rows_affected {
            0 => Err(HouseholdError::HouseholdNotFound(id.to_string())),
            _ => Ok(()),
        }
    }

    pub async fn grant_consent(
        &self,
        id: HouseholdId,
        purpose: ConsentPurpose,
        method: ConsentMethod,
        text_version: i32,
    ) -> Result<(), HouseholdError> {
        consent::Entity::insert(consent_row(id, purpose, method, text_version, Utc::now()))
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Ends every active consent for `purpose`, at once. The stored match state and change events
    /// go with a withdrawn matching consent: nothing derived from the household is kept without
    /// it. A matching run writing at the same moment either commits before (and its rows are
    /// removed here) or waits and then leaves this household out (`exclude_matching_writes`).
    pub async fn withdraw_consent(
        &self,
        id: HouseholdId,
        purpose: ConsentPurpose,
    ) -> Result<u64, HouseholdError> {
        let txn = kosodate_registry::db::begin_write(&self.db).await?;
        // Notice planning holds the same lock: it either committed before (and what it planned is
        // cancelled here) or sees the withdrawal.
        crate::matching::exclude_matching_writes(&txn).await?;
        let ended = crate::parents::end_consents(&txn, id, purpose, Utc::now()).await?;
        let cancel = match purpose {
            ConsentPurpose::Matching => {
                crate::matching::forget_households(&txn, crate::parents::this_household(id)).await?;
                Some(Scope::Household(id.as_uuid()))
            }
            ConsentPurpose::NoticeEmail => Some(Scope::ChannelKind(id.as_uuid(), ChannelKind::Email)),
            ConsentPurpose::NoticeLine => Some(Scope::ChannelKind(id.as_uuid(), ChannelKind::Line)),
            ConsentPurpose::NoticeWebPush => Some(Scope::ChannelKind(id.as_uuid(), ChannelKind::WebPush)),
            ConsentPurpose::Statistics => None,
        };
        if let Some(scope) = cancel {
            outbox::stop_pending(&txn, scope, NoticeStatus::Cancelled).await?;
        }
        txn.commit().await?;
        Ok(ended)
    }

    /// Removes every synthetic household, with its consents and everything derived from it.
    pub async fn delete_synthetic(&self) -> Result<u64, HouseholdError> {
        let txn = kosodate_registry::db::begin_write(&self.db).await?;
        let synthetic = Query::select()
            .column(household::Column::Id)
            .from(household::Entity)
            .and_where(Expr::col(household::Column::Synthetic).eq(true))
            .to_owned();
        crate::matching::forget_households(&txn, synthetic).await?;
        let result = household::Entity::delete_many()
            .filter(household::Column::Synthetic.eq(true))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(result.rows_affected)
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
}

/// One page of households in id order, and those of them with an active consent to matching.
#[derive(Debug)]
pub(crate) struct ConsentingPage {
    pub households: Vec<StoredHousehold>,
    /// The last id read, consenting or not: where the next page starts.
    pub last_read: Option<String>,
    /// Whether the page was full, so that another may follow.
    pub full: bool,
}

/// The households after `after` in id order, at most `limit` read, keeping those with an active
/// consent to matching; optionally only those living in `municipalities` or with `ids`.
///
/// Two index-driven queries rather than one with `EXISTS`: with a correlated subquery, PostgreSQL
/// chose a full scan of `consents` for every page (0.6 s a page at 150,000 households without
/// statistics, 0.07 s with them), where reading the page by primary key and then its consents
/// costs a few milliseconds whatever the planner knows.
pub(crate) async fn consenting_page(
    db: &impl ConnectionTrait,
    after: Option<&str>,
    limit: u64,
    municipalities: Option<&[MunicipalityCode]>,
    ids: Option<&[String]>,
) -> Result<ConsentingPage, HouseholdError> {
    let mut query = household::Entity::find()
        .order_by_asc(household::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(household::Column::Id.gt(after));
    }
    if let Some(codes) = municipalities {
        query = query.filter(
            household::Column::MunicipalityCode.is_in(codes.iter().map(|code| code.as_str().to_owned())),
        );
    }
    if let Some(ids) = ids {
        query = query.filter(household::Column::Id.is_in(ids.iter().cloned()));
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
    let of_page = match ids {
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

/// Rows whose household id lies between those of a page's first and last household. For a page
/// read in id order this selects exactly its households' rows by an index range: PostgreSQL
/// answers it in 4 ms at 150,000 households, where an `IN` list of the same 2,000 ids makes it
/// scan the whole table (45 ms). Callers keep only the ids they asked for.
pub(crate) fn id_range(column: impl ColumnTrait, first: &str, last: &str) -> sea_orm::sea_query::SimpleExpr {
    column.between(first, last)
}

/// An active consent to matching for the household of the outer query's row.
fn matching_consent() -> sea_orm::sea_query::SelectStatement {
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
pub(crate) async fn never_matched(db: &impl ConnectionTrait) -> Result<Vec<String>, HouseholdError> {
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

fn stored(row: &household::Model) -> Result<StoredHousehold, HouseholdError> {
    let corrupt = |what: String| HouseholdError::Corrupt(format!("household {}: {what}", row.id));
    let id = HouseholdId::parse(&row.id).map_err(|e| corrupt(e.to_string()))?;
    let municipality = MunicipalityCode::parse(&row.municipality_code).map_err(|e| corrupt(e.to_string()))?;
    let profile: Profile = Profile::deserialize(&row.profile).map_err(|e| corrupt(e.to_string()))?;
    Ok(StoredHousehold {
        id,
        household: profile.into_household(municipality),
    })
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

pub(crate) fn consent_row(
    id: HouseholdId,
    purpose: ConsentPurpose,
    method: ConsentMethod,
    text_version: i32,
    now: DateTime<Utc>,
) -> consent::ActiveModel {
    consent::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        household_id: Set(id.to_string()),
        purpose: Set(purpose.id().to_owned()),
        text_version: Set(text_version),
        method: Set(method.id().to_owned()),
        granted_at: Set(now),
        withdrawn_at: Set(None),
    }
}
