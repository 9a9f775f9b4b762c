//! What a signed-in parent does with the household, said once for both ways in: the JSON API
//! (`api/me.rs`) and the pages (`pages/me/`). Each operation here finds the account's own
//! household (no request can name another), calls the `households` service, records the access in
//! the audit log and starts matching again where the data changed. Handlers only parse and
//! present.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use kosodate_domain::{EmailAddress, Vocabulary, error_chain, japan};
use kosodate_households::{AccountId, Registration};
use kosodate_households::{
    ConsentMethod, ConsentPurpose, ConsentRecord, HouseholdError, HouseholdId, HouseholdInput,
    HouseholdRecord, consent_texts,
};
use kosodate_registry::audit::AuditActor;
use serde::Serialize;
use strum::VariantArray;
use utoipa::ToSchema;

use crate::audit;
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::state::AppState;

/// The account's household, if one is registered.
pub async fn household(state: &AppState, account: AccountId) -> Result<Option<HouseholdId>, ApiError> {
    Ok(state
        .households
        .account(account)
        .await?
        .and_then(|account| account.household))
}

/// The account's household, or 404 with what to do.
pub async fn require_household(state: &AppState, account: AccountId) -> Result<HouseholdId, ApiError> {
    household(state, account)
        .await?
        .ok_or_else(|| HouseholdError::HouseholdNotFound("of this account".into()).into())
}

pub fn actor(household: Option<HouseholdId>) -> AuditActor<'static> {
    AuditActor::Parent {
        household: household.map(|id| id.to_string()),
    }
}

/// Records that the parent read or changed the household's personal data.
pub async fn record_access(
    state: &AppState,
    context: &RequestContext,
    action: &'static str,
    household: HouseholdId,
) -> Result<(), ApiError> {
    audit::personal_data(
        state,
        actor(Some(household)),
        context,
        action,
        Some(household),
        None,
    )
    .await
}

/// The household as it is stored, read by its parent.
pub async fn read_household(
    state: &AppState,
    context: &RequestContext,
    id: HouseholdId,
) -> Result<HouseholdRecord, ApiError> {
    let record = state.households.record(id).await?;
    let municipality = Some(record.household.municipality);
    audit::personal_data(
        state,
        actor(Some(id)),
        context,
        "household.read",
        Some(id),
        municipality,
    )
    .await?;
    Ok(record)
}

/// Registers the account's household (`true`) or replaces what was entered (`false`), then
/// matches it again in the background. Registering needs consent to matching first.
pub async fn save_household(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
    input: HouseholdInput,
) -> Result<(HouseholdId, bool), ApiError> {
    let valid = input
        .validate(japan::date_of(chrono::Utc::now()))
        .map_err(HouseholdError::Invalid)?;
    let (id, created, action) = match household(state, account).await? {
        Some(id) => {
            state.households.change(id, &valid).await?;
            (id, false, "household.update")
        }
        None => {
            let id = state
                .households
                .register(&valid, &Registration::Online(account))
                .await?;
            (id, true, "household.create")
        }
    };
    let municipality = Some(valid.household.municipality);
    audit::personal_data(state, actor(Some(id)), context, action, Some(id), municipality).await?;
    crate::rematch::household_later(state.matching.clone(), id);
    Ok((id, created))
}

/// Deletes the household and everything held about it. Only an anonymous count remains.
pub async fn delete_household(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
) -> Result<(), ApiError> {
    let id = require_household(state, account).await?;
    let municipality = state.households.record(id).await?.household.municipality;
    state.households.delete_household(id).await?;
    audit::personal_data(
        state,
        actor(Some(id)),
        context,
        "household.delete",
        Some(id),
        Some(municipality),
    )
    .await
}

/// "My data": everything held about the household.
pub async fn export(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
) -> Result<serde_json::Value, ApiError> {
    let id = require_household(state, account).await?;
    let data = state.households.export(id).await?;
    record_access(state, context, "household.export", id).await?;
    Ok(data)
}

/// "My data" as a JSON file to download, not kept by any cache.
pub fn download(data: &serde_json::Value) -> Result<Response, ApiError> {
    let body = serde_json::to_vec_pretty(data).map_err(|_| ApiError::internal())?;
    let headers = [
        (header::CONTENT_TYPE, "application/json"),
        (
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"kosodate-my-data.json\"",
        ),
        (header::CACHE_CONTROL, "no-store"),
    ];
    Ok((headers, body).into_response())
}

/// One purpose in the consent screen.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentState {
    pub purpose: String,
    pub current_text: Option<consent_texts::ConsentText>,
    /// The active consent, if any.
    pub active: Option<ConsentRecord>,
    /// Consented to an older text: ask again.
    pub needs_renewal: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Consents {
    pub purposes: Vec<ConsentState>,
    /// Every consent given and withdrawn, oldest first.
    pub ledger: Vec<ConsentRecord>,
}

impl Consents {
    /// Whether the parent has agreed to `purpose` (to any version of its text).
    pub fn is_active(&self, purpose: ConsentPurpose) -> bool {
        self.purposes
            .iter()
            .any(|state| state.purpose == purpose.id() && state.active.is_some())
    }
}

/// Each purpose with the text to agree to, and the ledger: the household's, or before a household
/// exists, the account's.
pub async fn consents(state: &AppState, account: AccountId) -> Result<Consents, ApiError> {
    let ledger = match household(state, account).await? {
        Some(id) => state.households.consent_ledger(id).await?,
        None => state.households.consents_before_household(account).await?,
    };
    let purposes = ConsentPurpose::VARIANTS
        .iter()
        .copied()
        .map(|purpose| consent_state(purpose, &ledger))
        .collect();
    Ok(Consents { purposes, ledger })
}

fn consent_state(purpose: ConsentPurpose, ledger: &[ConsentRecord]) -> ConsentState {
    let current_text = consent_texts::current(purpose).cloned();
    let active = ledger
        .iter()
        .rev()
        .find(|record| record.purpose == purpose.id() && record.withdrawn_at.is_none())
        .cloned();
    let needs_renewal = match (&active, &current_text) {
        (Some(active), Some(text)) => active.text_version < text.version,
        _ => false,
    };
    ConsentState {
        purpose: purpose.id().to_owned(),
        current_text,
        active,
        needs_renewal,
    }
}

/// A partner app a household is linked to, as its parent names it.
#[derive(Debug)]
pub struct LinkedApp {
    /// The link's id, which is also its notice channel's.
    pub link_id: String,
    pub name: String,
    pub linked_at: chrono::DateTime<chrono::Utc>,
}

/// The household's live partner app links with each app's name.
pub async fn linked_apps(state: &AppState, id: HouseholdId) -> Result<Vec<LinkedApp>, ApiError> {
    let links = state.households.partner_links(id).await?;
    let mut apps = Vec::with_capacity(links.len());
    for link in links {
        let name = match state.partners.partner(link.partner_id).await {
            Ok(partner) => partner.name,
            Err(kosodate_partners::PartnersError::NotFound(_)) => "登録のなくなったアプリ".to_owned(),
            Err(error) => return Err(error.into()),
        };
        apps.push(LinkedApp {
            link_id: link.id,
            name,
            linked_at: link.linked_at,
        });
    }
    Ok(apps)
}

/// Gives consent to a purpose's current text; before a household exists, to the account. Consent
/// to matching starts matching at once.
pub async fn give_consent(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
    purpose: ConsentPurpose,
    text_version: i32,
) -> Result<(), ApiError> {
    let Some(id) = household(state, account).await? else {
        state
            .households
            .consent_before_household(account, purpose, text_version)
            .await?;
        return audit::personal_data(state, actor(None), context, "consent.give", None, None).await;
    };
    let recorded = state
        .households
        .consent(id, purpose, text_version, ConsentMethod::Online)
        .await?;
    record_access(state, context, "consent.give", id).await?;
    if recorded && purpose == ConsentPurpose::Matching {
        crate::rematch::household_later(state.matching.clone(), id);
    }
    Ok(())
}

/// Withdraws consent to a purpose, effective at once. Withdrawing matching deletes its results.
pub async fn withdraw_consent(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
    purpose: ConsentPurpose,
) -> Result<(), ApiError> {
    let Some(id) = household(state, account).await? else {
        state
            .households
            .withdraw_before_household(account, purpose)
            .await?;
        return audit::personal_data(state, actor(None), context, "consent.withdraw", None, None).await;
    };
    state.households.withdraw_consent(id, purpose).await?;
    record_access(state, context, "consent.withdraw", id).await
}

/// Adds an email address to the household and mails it the verification link.
pub async fn add_email(
    state: &AppState,
    household: HouseholdId,
    address: &EmailAddress,
) -> Result<(), ApiError> {
    let (_, token) = state.households.add_email(household, address).await?;
    state
        .mailer
        .send_verification(address, &token.0)
        .await
        .map_err(|error| {
            tracing::error!(error = %error_chain(&error), "verification mail not sent");
            ApiError::internal()
        })
}
