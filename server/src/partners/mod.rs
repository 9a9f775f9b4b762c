//! Partner apps in this process, said once for the JSON API and the staff page: admitting a
//! partner's bearer token (`admission.rs`), and the administrators' registering, listing, revoking and rotating,
//! each checked as `StaffAction::ManagePartners` and audited. The change webhooks' follower and
//! delivery worker live in `webhooks.rs`.

pub mod admission;
pub mod webhooks;

use chrono::{DateTime, Utc};
use kosodate_partners::{Partner, PartnerInput};
use kosodate_registry::audit::Outcome;
use kosodate_registry::{StaffAction, StaffIdentity};
use serde::Serialize;
use url::Url;
use uuid::Uuid;

use crate::audit::{authorize, staff_action_on};
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::state::AppState;

/// A partner as administrators see it: never a secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartnerView {
    pub id: Uuid,
    pub name: String,
    pub contact_email: String,
    pub client_id: String,
    /// Scopes separated by spaces, as OAuth writes them.
    pub scopes: String,
    pub redirect_uris: Vec<Url>,
    pub notice_webhook_url: Option<Url>,
    pub rate_limit_per_minute: u32,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&Partner> for PartnerView {
    fn from(partner: &Partner) -> Self {
        Self {
            id: partner.id,
            name: partner.name.clone(),
            contact_email: partner.contact_email.as_str().to_owned(),
            client_id: partner.client_id.clone(),
            scopes: partner.scopes.to_string(),
            redirect_uris: partner.redirect_uris.clone(),
            notice_webhook_url: partner.notice_webhook_url.clone(),
            rate_limit_per_minute: partner.rate_limit_per_minute,
            created_at: partner.created_at,
            revoked_at: partner.revoked_at,
        }
    }
}

/// Secrets shown once: at registration, or after a rotation (the one rotated; the other absent).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartnerSecrets {
    pub partner: PartnerView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The Standard Webhooks signing secret (`whsec_…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

async fn allow(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    action: &'static str,
) -> Result<(), ApiError> {
    authorize(state, staff, context, StaffAction::ManagePartners, action, None).await
}

/// Records what was done to which partner once it is done.
async fn done(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    action: &'static str,
    id: Uuid,
) -> Result<(), ApiError> {
    staff_action_on(
        state,
        staff,
        context,
        action,
        format!("partner:{id}"),
        Outcome::Allowed,
    )
    .await
}

pub async fn register(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    input: &PartnerInput,
) -> Result<PartnerSecrets, ApiError> {
    allow(state, staff, context, "partner.register").await?;
    let registered = state.partners.register(input, Utc::now()).await?;
    done(state, staff, context, "partner.registered", registered.partner.id).await?;
    tracing::info!(partner_id = %registered.partner.id, actor = %staff.name, "partner registered");
    Ok(PartnerSecrets {
        signing_secret: Some(registered.partner.signing.current.expose().to_owned()),
        partner: PartnerView::from(&registered.partner),
        client_secret: Some(registered.client_secret),
    })
}

pub async fn list(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
) -> Result<Vec<PartnerView>, ApiError> {
    allow(state, staff, context, "partner.list").await?;
    let partners = state.partners.list().await?;
    Ok(partners.iter().map(PartnerView::from).collect())
}

pub async fn revoke(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    id: Uuid,
) -> Result<PartnerView, ApiError> {
    allow(state, staff, context, "partner.revoke").await?;
    let partner = state.partners.revoke(id, Utc::now()).await?;
    done(state, staff, context, "partner.revoked", id).await?;
    Ok(PartnerView::from(&partner))
}

/// Which secret to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// The OAuth client secret: the old one stops working at once.
    ClientSecret,
    /// The webhook signing secret: the old one keeps signing beside the new one for 24 hours.
    SigningSecret,
}

pub async fn rotate(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    id: Uuid,
    kind: SecretKind,
) -> Result<PartnerSecrets, ApiError> {
    allow(state, staff, context, "partner.rotate").await?;
    let secrets = match kind {
        SecretKind::ClientSecret => {
            let client_secret = state.partners.rotate_client_secret(id).await?;
            PartnerSecrets {
                partner: PartnerView::from(&state.partners.partner(id).await?),
                client_secret: Some(client_secret),
                signing_secret: None,
            }
        }
        SecretKind::SigningSecret => {
            let partner = state.partners.rotate_signing_secret(id, Utc::now()).await?;
            PartnerSecrets {
                signing_secret: Some(partner.signing.current.expose().to_owned()),
                partner: PartnerView::from(&partner),
                client_secret: None,
            }
        }
    };
    done(state, staff, context, "partner.rotated", id).await?;
    Ok(secrets)
}
