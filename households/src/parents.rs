//! What parents (and counter staff on a resident's behalf) do with a household: sign-in accounts,
//! registration, changes, the consent ledger, "My data" export and deletion. Nothing here logs a
//! value a household entered.

use std::fmt;

use chrono::{DateTime, Utc};
use kosodate_domain::MunicipalityCode;
use kosodate_matcher::Household;
use kosodate_registry::{FieldError, ValidationErrors};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::consent_texts;
use crate::entity::{account, anonymous_count, consent, household, match_event};
use crate::error::HouseholdError;
use crate::input::{Preferences, ValidHousehold};
use crate::store::{ConsentMethod, ConsentPurpose, HouseholdId, Households, Profile};

/// A parent's account: one subject at one OpenID Provider.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountId(Uuid);

impl AccountId {
    pub fn parse(input: &str) -> Option<Self> {
        Uuid::parse_str(input).ok().map(Self)
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

#[derive(Debug, Clone)]
pub struct ParentAccount {
    pub id: AccountId,
    pub provider: String,
    pub household: Option<HouseholdId>,
}

/// How a household came to be registered.
#[derive(Debug, Clone)]
pub enum Registration {
    /// By the parent, signed in with `account`.
    Online(AccountId),
    /// At a municipal counter (窓口代理登録) by `staff`, with the paper consents the resident
    /// signed, to the texts' current versions.
    Counter {
        staff: String,
        consents: Vec<ConsentPurpose>,
    },
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

/// One entry of the consent ledger.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentRecord {
    pub purpose: String,
    pub text_version: i32,
    pub method: String,
    pub granted_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl Households {
    /// The account of `subject` at `provider`, created on first sign-in.
    pub async fn account_for_subject(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<ParentAccount, HouseholdError> {
        if let Some(existing) = self.find_account(provider, subject).await? {
            return Ok(existing);
        }
        let row = account::ActiveModel {
            id: Set(Uuid::now_v7().to_string()),
            provider: Set(provider.to_owned()),
            subject: Set(subject.to_owned()),
            household_id: Set(None),
            created_at: Set(Utc::now()),
        };
        // Two first sign-ins at once: the unique key keeps one, and both then read it.
        account::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([account::Column::Provider, account::Column::Subject])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(self.connection())
            .await?;
        self.find_account(provider, subject)
            .await?
            .ok_or_else(|| HouseholdError::Corrupt("account vanished after insert".into()))
    }

    async fn find_account(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<ParentAccount>, HouseholdError> {
        account::Entity::find()
            .filter(account::Column::Provider.eq(provider))
            .filter(account::Column::Subject.eq(subject))
            .one(self.connection())
            .await?
            .map(parent_account)
            .transpose()
    }

    pub async fn account(&self, id: AccountId) -> Result<Option<ParentAccount>, HouseholdError> {
        account::Entity::find_by_id(id.to_string())
            .one(self.connection())
            .await?
            .map(parent_account)
            .transpose()
    }

    /// The provider's subject of an account: for LINE Login, the LINE user id.
    pub async fn account_subject(&self, id: AccountId) -> Result<Option<String>, HouseholdError> {
        Ok(account::Entity::find_by_id(id.to_string())
            .one(self.connection())
            .await?
            .map(|row| row.subject))
    }

    /// Stores a new household. Online, it becomes the account's household (an account has one);
    /// at a counter, the resident's paper consents are recorded with it.
    pub async fn register(
        &self,
        valid: &ValidHousehold,
        registration: &Registration,
    ) -> Result<HouseholdId, HouseholdError> {
        let id = HouseholdId::new();
        let now = Utc::now();
        let txn = kosodate_registry::db::begin_write(self.connection()).await?;
        ensure_municipality(&txn, valid.household.municipality).await?;
        let registered_by = match registration {
            Registration::Online(_) => None,
            Registration::Counter { staff, .. } => Some(staff.clone()),
        };
        household::Entity::insert(household::ActiveModel {
            id: Set(id.to_string()),
            municipality_code: Set(valid.household.municipality.as_str().to_owned()),
            profile: Set(profile_json(&valid.household)?),
            synthetic: Set(false),
            nicknames: Set(Some(to_json(&valid.nicknames)?)),
            preferences: Set(Some(to_json(&valid.preferences)?)),
            registered_by: Set(registered_by),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        match registration {
            Registration::Online(account) => {
                let claimed = account::Entity::update_many()
                    .col_expr(account::Column::HouseholdId, Expr::value(id.to_string()))
                    .filter(account::Column::Id.eq(account.to_string()))
                    .filter(account::Column::HouseholdId.is_null())
                    .exec(&txn)
                    .await?;
                if claimed.rows_affected == 0 {
                    return Err(HouseholdError::AlreadyRegistered);
                }
            }
            Registration::Counter { consents, .. } => {
                for purpose in consents {
                    let version = current_version(*purpose)?;
                    insert_consent(&txn, id, *purpose, ConsentMethod::Paper, version, now).await?;
                }
            }
        }
        txn.commit().await?;
        Ok(id)
    }

    pub async fn record(&self, id: HouseholdId) -> Result<HouseholdRecord, HouseholdError> {
        let row = household::Entity::find_by_id(id.to_string())
            .filter(household::Column::Synthetic.eq(false))
            .one(self.connection())
            .await?
            .ok_or_else(|| HouseholdError::HouseholdNotFound(id.to_string()))?;
        record(&row)
    }

    /// Replaces the household's data. The caller re-runs matching for it.
    pub async fn change(&self, id: HouseholdId, valid: &ValidHousehold) -> Result<(), HouseholdError> {
        let txn = kosodate_registry::db::begin_write(self.connection()).await?;
        ensure_municipality(&txn, valid.household.municipality).await?;
        let result = household::Entity::update_many()
            .col_expr(
                household::Column::MunicipalityCode,
                Expr::value(valid.household.municipality.as_str()),
            )
            .col_expr(
                household::Column::Profile,
                Expr::value(profile_json(&valid.household)?),
            )
            .col_expr(
                household::Column::Nicknames,
                Expr::value(to_json(&valid.nicknames)?),
            )
            .col_expr(
                household::Column::Preferences,
                Expr::value(to_json(&valid.preferences)?),
            )
            .col_expr(household::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(household::Column::Id.eq(id.to_string()))
            .exec(&txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(HouseholdError::HouseholdNotFound(id.to_string()));
        }
        txn.commit().await?;
        Ok(())
    }

    /// The whole consent ledger of a household, oldest first.
    pub async fn consent_ledger(&self, id: HouseholdId) -> Result<Vec<ConsentRecord>, HouseholdError> {
        let rows = consent::Entity::find()
            .filter(consent::Column::HouseholdId.eq(id.to_string()))
            .order_by_asc(consent::Column::Id)
            .all(self.connection())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| ConsentRecord {
                purpose: row.purpose,
                text_version: row.text_version,
                method: row.method,
                granted_at: row.granted_at,
                withdrawn_at: row.withdrawn_at,
            })
            .collect())
    }

    /// Records consent to the purpose's current text, which the parent must have been shown
    /// (`text_version`). An active consent to an older version ends as the new one starts; one to
    /// the same version is kept as it is.
    pub async fn consent(
        &self,
        id: HouseholdId,
        purpose: ConsentPurpose,
        text_version: i32,
        method: ConsentMethod,
    ) -> Result<bool, HouseholdError> {
        let current = current_version(purpose)?;
        if text_version != current {
            return Err(HouseholdError::Invalid(ValidationErrors(vec![FieldError::new(
                "/text_version",
                format!("同意文が更新されています（最新の版: {current}）。最新の同意文を確認してください"),
                format!("the consent text has changed; the current version is {current}"),
            )])));
        }
        let now = Utc::now();
        let txn = kosodate_registry::db::begin_write(self.connection()).await?;
        let active = consent::Entity::find()
            .filter(consent::Column::HouseholdId.eq(id.to_string()))
            .filter(consent::Column::Purpose.eq(purpose.id()))
            .filter(consent::Column::WithdrawnAt.is_null())
            .all(&txn)
            .await?;
        if active.iter().any(|row| row.text_version == current) {
            return Ok(false);
        }
        ensure_household(&txn, id).await?;
        end_consents(&txn, id, purpose, now).await?;
        insert_consent(&txn, id, purpose, method, current, now).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Erases the household: its data, consents, accounts, sessions, contact channels and all that
    /// matching derived from it. Only a count of deletions per municipality and month remains.
    pub async fn delete_household(&self, id: HouseholdId) -> Result<(), HouseholdError> {
        let txn = kosodate_registry::db::begin_write(self.connection()).await?;
        crate::matching::exclude_matching_writes(&txn).await?;
        let row = household::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
            .ok_or_else(|| HouseholdError::HouseholdNotFound(id.to_string()))?;
        crate::matching::forget_households(&txn, this_household(id)).await?;
        // Sessions, accounts, consents and channels cascade from the household.
        household::Entity::delete_by_id(id.to_string()).exec(&txn).await?;
        count_anonymously(&txn, &row.municipality_code, "households_deleted").await?;
        txn.commit().await?;
        Ok(())
    }

    /// Everything held about the household, for "My data" (JSON).
    pub async fn export(&self, id: HouseholdId) -> Result<serde_json::Value, HouseholdError> {
        let record = self.record(id).await?;
        let consents = self.consent_ledger(id).await?;
        let channels = self.channels(id).await?;
        let accounts: Vec<serde_json::Value> = account::Entity::find()
            .filter(account::Column::HouseholdId.eq(id.to_string()))
            .all(self.connection())
            .await?
            .into_iter()
            .map(|row| serde_json::json!({"provider": row.provider, "subject": row.subject, "created_at": row.created_at}))
            .collect();
        let events: Vec<serde_json::Value> = match_event::Entity::find()
            .filter(match_event::Column::HouseholdId.eq(id.to_string()))
            .order_by_asc(match_event::Column::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|row| {
                serde_json::json!({
                    "program_id": row.program_id, "kind": row.kind, "occurs_on": row.occurs_on,
                    "opens_on": row.opens_on, "closes_on": row.closes_on, "created_at": row.created_at,
                })
            })
            .collect();
        Ok(serde_json::json!({
            "exported_at": Utc::now(),
            "household": record,
            "consents": consents,
            "contact_channels": channels,
            "sign_in_accounts": accounts,
            "match_events": events,
        }))
    }
}

pub(crate) fn this_household(id: HouseholdId) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(household::Column::Id)
        .from(household::Entity)
        .and_where(Expr::col(household::Column::Id).eq(id.to_string()))
        .to_owned()
}

fn parent_account(row: account::Model) -> Result<ParentAccount, HouseholdError> {
    let id =
        AccountId::parse(&row.id).ok_or_else(|| HouseholdError::Corrupt(format!("account id {}", row.id)))?;
    let household = row.household_id.as_deref().map(HouseholdId::parse).transpose()?;
    Ok(ParentAccount {
        id,
        provider: row.provider,
        household,
    })
}

pub(crate) fn record(row: &household::Model) -> Result<HouseholdRecord, HouseholdError> {
    let corrupt = |what: String| HouseholdError::Corrupt(format!("household {}: {what}", row.id));
    let municipality = MunicipalityCode::parse(&row.municipality_code).map_err(|e| corrupt(e.to_string()))?;
    let profile = Profile::deserialize(&row.profile).map_err(|e| corrupt(e.to_string()))?;
    let household = profile.into_household(municipality);
    let mut nicknames: Vec<Option<String>> = match &row.nicknames {
        Some(value) => Vec::deserialize(value).map_err(|e| corrupt(e.to_string()))?,
        None => Vec::new(),
    };
    nicknames.resize(household.children.len(), None);
    let preferences = match &row.preferences {
        Some(value) => Preferences::deserialize(value).map_err(|e| corrupt(e.to_string()))?,
        None => Preferences::default(),
    };
    Ok(HouseholdRecord {
        id: HouseholdId::parse(&row.id)?,
        household,
        nicknames,
        preferences,
        registered_at_counter: row.registered_by.is_some(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn profile_json(household: &Household) -> Result<serde_json::Value, HouseholdError> {
    to_json(&Profile::of(household))
}

fn to_json(value: &impl Serialize) -> Result<serde_json::Value, HouseholdError> {
    serde_json::to_value(value).map_err(|e| HouseholdError::Corrupt(e.to_string()))
}

fn current_version(purpose: ConsentPurpose) -> Result<i32, HouseholdError> {
    consent_texts::current(purpose)
        .map(|text| text.version)
        .ok_or_else(|| HouseholdError::Corrupt(format!("no consent text for {}", purpose.id())))
}

async fn ensure_municipality(
    txn: &DatabaseTransaction,
    code: MunicipalityCode,
) -> Result<(), HouseholdError> {
    let query = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new("municipalities"))
        .and_where(Expr::col(Alias::new("code")).eq(code.as_str()))
        .to_owned();
    match txn.query_one(&query).await? {
        Some(_) => Ok(()),
        None => Err(HouseholdError::Invalid(ValidationErrors(vec![FieldError::new(
            "/municipality_code",
            "青森県内の市町村を選んでください",
            format!("{code} is not a municipality of Aomori Prefecture"),
        )]))),
    }
}

async fn ensure_household(txn: &DatabaseTransaction, id: HouseholdId) -> Result<(), HouseholdError> {
    household::Entity::find_by_id(id.to_string())
        .one(txn)
        .await?
        .map(|_| ())
        .ok_or_else(|| HouseholdError::HouseholdNotFound(id.to_string()))
}

pub(crate) async fn end_consents(
    txn: &DatabaseTransaction,
    id: HouseholdId,
    purpose: ConsentPurpose,
    at: DateTime<Utc>,
) -> Result<u64, HouseholdError> {
    let result = consent::Entity::update_many()
        .col_expr(consent::Column::WithdrawnAt, Expr::value(at))
        .filter(consent::Column::HouseholdId.eq(id.to_string()))
        .filter(consent::Column::Purpose.eq(purpose.id()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .exec(txn)
        .await?;
    Ok(result.rows_affected)
}

async fn insert_consent(
    txn: &DatabaseTransaction,
    id: HouseholdId,
    purpose: ConsentPurpose,
    method: ConsentMethod,
    text_version: i32,
    now: DateTime<Utc>,
) -> Result<(), HouseholdError> {
    consent::Entity::insert(crate::store::consent_row(id, purpose, method, text_version, now))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Adds one to an anonymous monthly count of a municipality.
async fn count_anonymously(
    txn: &DatabaseTransaction,
    municipality: &str,
    metric: &str,
) -> Result<(), HouseholdError> {
    let row = anonymous_count::ActiveModel {
        municipality_code: Set(municipality.to_owned()),
        metric: Set(metric.to_owned()),
        period: Set(Utc::now().format("%Y-%m").to_string()),
        count: Set(1),
    };
    anonymous_count::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                anonymous_count::Column::MunicipalityCode,
                anonymous_count::Column::Metric,
                anonymous_count::Column::Period,
            ])
            .value(
                anonymous_count::Column::Count,
                Expr::col((anonymous_count::Entity, anonymous_count::Column::Count)).add(1),
            )
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}
