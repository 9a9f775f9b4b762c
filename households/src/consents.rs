//! The consent ledger: what a household agreed to, to which version of the text, how, and when it
//! withdrew. Nothing is processed for a purpose without an active consent to it, and withdrawing
//! takes effect in the same transaction: what matching derived from the household is deleted and
//! notices waiting for the purpose's channels are cancelled.

use chrono::{DateTime, Utc};
use kosodate_database::begin_write;
use kosodate_domain::Vocabulary;
use kosodate_notifier::outbox::{self, Scope};
use kosodate_notifier::{ChannelKind, NoticeKind, NoticeStatus};
use kosodate_registry::{FieldError, ValidationErrors};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar;
use crate::consent_texts;
use crate::entity::{account_consent, consent, household};
use crate::error::HouseholdError;
use crate::ids::{AccountId, HouseholdId};
use crate::match_store;
use crate::purposes::{ConsentMethod, ConsentPurpose};
use crate::store::{Households, this_household};

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
    /// the same version is kept as it is. Returns whether anything was recorded.
    pub async fn consent(
        &self,
        id: HouseholdId,
        purpose: ConsentPurpose,
        text_version: i32,
        method: ConsentMethod,
    ) -> Result<bool, HouseholdError> {
        let current = check_current(purpose, text_version)?;
        let now = Utc::now();
        let txn = begin_write(self.connection()).await?;
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
        // A consent to notices may make a channel deliverable for what waited.
        match_store::release_waiting(&txn, id).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Ends every active consent for `purpose`, at once. The stored match state, change events
    /// and calendar feed go with a withdrawn matching consent: nothing derived from the household
    /// is kept or shown without it. A matching run writing at the same moment either commits
    /// before (and its rows are removed here) or waits and then leaves this household out
    /// ([`match_store::exclude_matching_writes`]).
    pub async fn withdraw_consent(
        &self,
        id: HouseholdId,
        purpose: ConsentPurpose,
    ) -> Result<u64, HouseholdError> {
        let txn = begin_write(self.connection()).await?;
        // Notice planning holds the same lock: it either committed before (and what it planned is
        // cancelled here) or sees the withdrawal.
        match_store::exclude_matching_writes(&txn).await?;
        let ended = end_consents(&txn, id, purpose, Utc::now()).await?;
        let cancel = match purpose {
            ConsentPurpose::Matching => {
                match_store::forget_households(&txn, this_household(id)).await?;
                calendar::forget_calendar_feed(&txn, id).await?;
                Some(Scope::Household(id.as_uuid()))
            }
            ConsentPurpose::NoticeEmail => Some(Scope::ChannelKind(id.as_uuid(), ChannelKind::Email)),
            ConsentPurpose::NoticeLine => Some(Scope::ChannelKind(id.as_uuid(), ChannelKind::Line)),
            ConsentPurpose::NoticeWebPush => Some(Scope::ChannelKind(id.as_uuid(), ChannelKind::WebPush)),
            ConsentPurpose::Community => Some(Scope::Kind(id.as_uuid(), NoticeKind::CommunityAnswer)),
            ConsentPurpose::Statistics => None,
        };
        if let Some(scope) = cancel {
            outbox::stop_pending(&txn, scope, NoticeStatus::Cancelled).await?;
        }
        txn.commit().await?;
        Ok(ended)
    }
}

/// The version of the purpose's text a consent must be given to now.
pub(crate) fn current_version(purpose: ConsentPurpose) -> Result<i32, HouseholdError> {
    consent_texts::current(purpose)
        .map(|text| text.version)
        .ok_or_else(|| HouseholdError::Corrupt(format!("no consent text for {}", purpose.id())))
}

/// The consent channel kind's purpose: notices through a channel need consent to it. A partner
/// app has none in the ledger: its link is the consent, to that app and purpose.
pub fn purpose_of_channel(kind: ChannelKind) -> Option<ConsentPurpose> {
    match kind {
        ChannelKind::Email => Some(ConsentPurpose::NoticeEmail),
        ChannelKind::Line => Some(ConsentPurpose::NoticeLine),
        ChannelKind::WebPush => Some(ConsentPurpose::NoticeWebPush),
        ChannelKind::PartnerApp => None,
    }
}

async fn ensure_household(db: &impl ConnectionTrait, id: HouseholdId) -> Result<(), HouseholdError> {
    household::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| HouseholdError::HouseholdNotFound(id.to_string()))
}

async fn end_consents(
    db: &impl ConnectionTrait,
    id: HouseholdId,
    purpose: ConsentPurpose,
    at: DateTime<Utc>,
) -> Result<u64, HouseholdError> {
    let result = consent::Entity::update_many()
        .col_expr(consent::Column::WithdrawnAt, Expr::value(at))
        .filter(consent::Column::HouseholdId.eq(id.to_string()))
        .filter(consent::Column::Purpose.eq(purpose.id()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

pub(crate) async fn insert_consent(
    db: &impl ConnectionTrait,
    id: HouseholdId,
    purpose: ConsentPurpose,
    method: ConsentMethod,
    text_version: i32,
    now: DateTime<Utc>,
) -> Result<(), HouseholdError> {
    consent::Entity::insert(consent_row(id, purpose, method, text_version, now))
        .exec_without_returning(db)
        .await?;
    Ok(())
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
        paper_form_number: Set(None),
        paper_form_signed_on: Set(None),
    }
}

/// Consent given after signing in and before a household exists: the order the parent's pages
/// follow, so that nothing personal is stored before the parent agreed to why.
impl Households {
    /// Records that the account agreed to the purpose's current text (`text_version`, which the
    /// parent was shown). Returns whether anything changed.
    pub async fn consent_before_household(
        &self,
        account: AccountId,
        purpose: ConsentPurpose,
        text_version: i32,
    ) -> Result<bool, HouseholdError> {
        let current = check_current(purpose, text_version)?;
        let txn = begin_write(self.connection()).await?;
        let existing = account_consent::Entity::find_by_id((account.to_string(), purpose.id().to_owned()))
            .one(&txn)
            .await?;
        if existing.is_some_and(|row| row.text_version == current) {
            return Ok(false);
        }
        account_consent::Entity::insert(account_consent::ActiveModel {
            account_id: Set(account.to_string()),
            purpose: Set(purpose.id().to_owned()),
            text_version: Set(current),
            granted_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::columns([
                account_consent::Column::AccountId,
                account_consent::Column::Purpose,
            ])
            .update_columns([
                account_consent::Column::TextVersion,
                account_consent::Column::GrantedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Withdraws a consent given before the household existed. Returns how many ended.
    pub async fn withdraw_before_household(
        &self,
        account: AccountId,
        purpose: ConsentPurpose,
    ) -> Result<u64, HouseholdError> {
        let result = account_consent::Entity::delete_by_id((account.to_string(), purpose.id().to_owned()))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected)
    }

    /// The consents an account without a household has given, as ledger entries.
    pub async fn consents_before_household(
        &self,
        account: AccountId,
    ) -> Result<Vec<ConsentRecord>, HouseholdError> {
        let rows = account_consent::Entity::find()
            .filter(account_consent::Column::AccountId.eq(account.to_string()))
            .order_by_asc(account_consent::Column::GrantedAt)
            .all(self.connection())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| ConsentRecord {
                purpose: row.purpose,
                text_version: row.text_version,
                method: ConsentMethod::Online.id().to_owned(),
                granted_at: row.granted_at,
                withdrawn_at: None,
            })
            .collect())
    }
}

/// Whether the household's consent to `purpose` is active, read on `db`: inside a planning
/// transaction that holds [`match_store::exclude_consent_changes`], a withdrawal either committed
/// before and is seen, or waits and then cancels what was planned.
pub async fn consent_active_on(
    db: &impl ConnectionTrait,
    household: HouseholdId,
    purpose: ConsentPurpose,
) -> Result<bool, HouseholdError> {
    let active = consent::Entity::find()
        .filter(consent::Column::HouseholdId.eq(household.to_string()))
        .filter(consent::Column::Purpose.eq(purpose.id()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .count(db)
        .await?;
    Ok(active > 0)
}

/// Moves the account's consents to the household it registers, keeping when they were given, in
/// the registering transaction. Registering online needs consent to matching: the household's
/// data is stored for that purpose alone.
pub(crate) async fn adopt_account_consents(
    db: &impl ConnectionTrait,
    account: AccountId,
    household: HouseholdId,
) -> Result<(), HouseholdError> {
    let rows = account_consent::Entity::find()
        .filter(account_consent::Column::AccountId.eq(account.to_string()))
        .all(db)
        .await?;
    if !rows
        .iter()
        .any(|row| row.purpose == ConsentPurpose::Matching.id())
    {
        return Err(HouseholdError::ConsentRequired);
    }
    for row in &rows {
        let Some(purpose) = ConsentPurpose::parse(&row.purpose) else {
            return Err(HouseholdError::Corrupt(format!(
                "unknown consent purpose {}",
                row.purpose
            )));
        };
        insert_consent(
            db,
            household,
            purpose,
            ConsentMethod::Online,
            row.text_version,
            row.granted_at,
        )
        .await?;
    }
    account_consent::Entity::delete_many()
        .filter(account_consent::Column::AccountId.eq(account.to_string()))
        .exec(db)
        .await?;
    Ok(())
}

fn check_current(purpose: ConsentPurpose, text_version: i32) -> Result<i32, HouseholdError> {
    let current = current_version(purpose)?;
    if text_version == current {
        return Ok(current);
    }
    Err(HouseholdError::Invalid(ValidationErrors(vec![FieldError::new(
        "/text_version",
        format!("同意文が更新されています（最新の版: {current}）。最新の同意文を確認してください"),
        format!("the consent text has changed; the current version is {current}"),
    )])))
}
