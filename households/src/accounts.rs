//! What parents (and counter staff on a resident's behalf) do with a household: sign-in accounts,
//! registration and changes. Nothing here logs a value a household entered.

use chrono::Utc;
use kosodate_database::begin_write;
use kosodate_domain::{MunicipalityCode, japan};
use kosodate_registry::{FieldError, ValidationErrors};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::consents::{adopt_account_consents, consent_row, current_version};
use crate::entity::{account, household};
use crate::error::HouseholdError;
use crate::ids::{AccountId, HouseholdId};
use crate::input::ValidHousehold;
use crate::match_store;
use crate::profile::{HouseholdRecord, Profile, record, to_json};
use crate::purposes::{ConsentMethod, ConsentPurpose};
use crate::store::Households;

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
    /// signed, to the texts' current versions, on the paper form when it is named.
    Counter {
        staff: String,
        consents: Vec<ConsentPurpose>,
        paper_form: Option<PaperForm>,
    },
}

/// The signed consent form a counter registration rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperForm {
    /// The number printed or written on the form (at most 64 characters).
    pub number: String,
    pub signed_on: kosodate_domain::CalendarDate,
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
            id: Set(AccountId::new().to_string()),
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
        let txn = begin_write(self.connection()).await?;
        ensure_municipality(&txn, valid.household.municipality).await?;
        let registered_by = match registration {
            Registration::Online(_) => None,
            Registration::Counter { staff, .. } => Some(staff.clone()),
        };
        household::Entity::insert(household::ActiveModel {
            id: Set(id.to_string()),
            municipality_code: Set(valid.household.municipality.as_str().to_owned()),
            profile: Set(Profile::to_json(&valid.household)?),
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
                claim_account(&txn, *account, id).await?;
                adopt_account_consents(&txn, *account, id).await?;
            }
            Registration::Counter {
                consents, paper_form, ..
            } => {
                for purpose in consents {
                    let version = current_version(*purpose)?;
                    let mut row = consent_row(id, *purpose, ConsentMethod::Paper, version, now);
                    if let Some(form) = paper_form {
                        row.paper_form_number = Set(Some(form.number.clone()));
                        row.paper_form_signed_on = Set(Some(form.signed_on.date()));
                    }
                    crate::entity::consent::Entity::insert(row)
                        .exec_without_returning(&txn)
                        .await?;
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

    /// Replaces the household's data. The caller re-runs matching for it at once; should that
    /// fail, the stored match state is marked due, so that the next tick re-runs it.
    pub async fn change(&self, id: HouseholdId, valid: &ValidHousehold) -> Result<(), HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        ensure_municipality(&txn, valid.household.municipality).await?;
        let result = household::Entity::update_many()
            .col_expr(
                household::Column::MunicipalityCode,
                Expr::value(valid.household.municipality.as_str()),
            )
            .col_expr(
                household::Column::Profile,
                Expr::value(Profile::to_json(&valid.household)?),
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
        match_store::mark_due(&txn, id, japan::date_of(Utc::now())).await?;
        txn.commit().await?;
        Ok(())
    }
}

async fn claim_account(
    db: &impl ConnectionTrait,
    account: AccountId,
    household: HouseholdId,
) -> Result<(), HouseholdError> {
    let claimed = account::Entity::update_many()
        .col_expr(account::Column::HouseholdId, Expr::value(household.to_string()))
        .filter(account::Column::Id.eq(account.to_string()))
        .filter(account::Column::HouseholdId.is_null())
        .exec(db)
        .await?;
    match claimed.rows_affected {
        0 => Err(HouseholdError::AlreadyRegistered),
        _ => Ok(()),
    }
}

fn parent_account(row: account::Model) -> Result<ParentAccount, HouseholdError> {
    let id = AccountId::parse(&row.id).map_err(|error| HouseholdError::corrupt("account id", error))?;
    let household = row
        .household_id
        .as_deref()
        .map(HouseholdId::parse)
        .transpose()
        .map_err(|error| HouseholdError::corrupt("account's household id", error))?;
    Ok(ParentAccount {
        id,
        provider: row.provider,
        household,
    })
}

/// The municipality must be one the registry knows (the prefecture's 40).
async fn ensure_municipality(
    db: &impl ConnectionTrait,
    code: MunicipalityCode,
) -> Result<(), HouseholdError> {
    let query = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new("municipalities"))
        .and_where(Expr::col(Alias::new("code")).eq(code.as_str()))
        .to_owned();
    match db.query_one(&query).await? {
        Some(_) => Ok(()),
        None => Err(HouseholdError::Invalid(ValidationErrors(vec![FieldError::new(
            "/municipality_code",
            "青森県内の市町村を選んでください",
            format!("{code} is not a municipality of Aomori Prefecture"),
        )]))),
    }
}
