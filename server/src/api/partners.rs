//! Partner apps over the API: administrators register, list, revoke and rotate them
//! (`/api/v1/admin/partners`, `StaffAction::ManagePartners`, audited through
//! `crate::partners`), and a partner with `webhooks:manage` keeps its change webhook
//! subscriptions (`/api/v1/partner/webhooks`, its bearer token).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use kosodate_partners::PartnerInput;
use kosodate_partners::webhooks::{DeliveryView, Subscription, SubscriptionInput};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, RequestContext, Staff, WebhookManager};
use crate::partners::{self, PartnerSecrets, PartnerView, SecretKind};
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

/// A partner app to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerRegistration {
    pub name: String,
    pub contact_email: String,
    /// From `programs:read`, `places:read`, `events:read`, `webhooks:manage`, `notices:deliver`.
    pub scopes: Vec<String>,
    /// Where linking a household may send the parent back (https).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Where a linked household's notices go (https).
    #[serde(default)]
    pub notice_webhook_url: Option<String>,
    /// Requests per minute; 600 when absent.
    #[serde(default = "default_rate")]
    pub rate_limit_per_minute: u32,
}

fn default_rate() -> u32 {
    600
}

impl From<PartnerRegistration> for PartnerInput {
    fn from(registration: PartnerRegistration) -> Self {
        Self {
            name: registration.name,
            contact_email: registration.contact_email,
            scopes: registration.scopes.join(" "),
            redirect_uris: registration.redirect_uris,
            notice_webhook_url: registration.notice_webhook_url,
            rate_limit_per_minute: registration.rate_limit_per_minute,
        }
    }
}

/// Registered partner apps, revoked ones too (never a secret).
#[utoipa::path(get, path = "/admin/partners", tag = "partners", security(("staff_session" = [])),
    responses((status = 200, body = Vec<PartnerView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_partners(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
) -> Result<Json<Vec<PartnerView>>, ApiError> {
    Ok(Json(partners::list(&state, &staff, &context).await?))
}

/// Registers a partner app. The client secret and the signing secret are in this answer only.
#[utoipa::path(post, path = "/admin/partners", tag = "partners", security(("staff_session" = [])), request_body = PartnerRegistration,
    responses((status = 201, body = PartnerSecrets), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn register_partner(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    JsonBody(registration): JsonBody<PartnerRegistration>,
) -> Result<Response, ApiError> {
    let secrets = partners::register(&state, &staff, &context, &registration.into()).await?;
    Ok((StatusCode::CREATED, Json(secrets)).into_response())
}

/// Revokes a partner app and every token it holds; its webhooks stop.
#[utoipa::path(post, path = "/admin/partners/{id}/revoke", tag = "partners", security(("staff_session" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PartnerView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_partner(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Partner>,
) -> Result<Json<PartnerView>, ApiError> {
    Ok(Json(partners::revoke(&state, &staff, &context, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    pub secret: SecretKind,
}

/// Replaces a secret: the client secret at once, the signing secret with 24 hours' overlap.
#[utoipa::path(post, path = "/admin/partners/{id}/rotate", tag = "partners", security(("staff_session" = [])),
    params(("id" = Uuid, Path)), request_body = Rotation,
    responses((status = 200, body = PartnerSecrets), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Partner>,
    JsonBody(rotation): JsonBody<Rotation>,
) -> Result<Json<PartnerSecrets>, ApiError> {
    Ok(Json(
        partners::rotate(&state, &staff, &context, id, rotation.secret).await?,
    ))
}

/// A partner's latest webhook deliveries (200 at most), newest first.
#[utoipa::path(get, path = "/admin/partners/{id}/deliveries", tag = "partners", security(("staff_session" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<DeliveryView>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn partner_deliveries(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Partner>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    partners::list(&state, &staff, &context).await?;
    Ok(Json(state.partners.deliveries(id, 200).await?))
}

/// Sends a dead delivery again, with the same `webhook-id`.
#[utoipa::path(post, path = "/admin/partners/{id}/deliveries/{delivery}/redrive", tag = "partners", security(("staff_session" = [])),
    params(("id" = Uuid, Path), ("delivery" = String, Path)),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn redrive_delivery(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = path_ids::parse::<path_ids::Partner>(&id)?;
    partners::list(&state, &staff, &context).await?;
    state.partners.redrive(id, &delivery, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The calling partner's webhook subscriptions.
#[utoipa::path(get, path = "/partner/webhooks", tag = "partners", security(("partner_token" = ["webhooks:manage"])),
    responses((status = 200, body = Vec<Subscription>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 429, body = Problem)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    WebhookManager(access): WebhookManager,
) -> Result<Json<Vec<Subscription>>, ApiError> {
    Ok(Json(state.partners.subscriptions(access.partner.id).await?))
}

/// Subscribes a URL to change events from now on. Each event type needs its read scope
/// (`program.changed`: `programs:read`). Deliveries are signed as Standard Webhooks describe,
/// with the partner's signing secret; the body is `{type, timestamp, data: {id, version, status,
/// url}}`: fetch `url` for the current content.
#[utoipa::path(post, path = "/partner/webhooks", tag = "partners", security(("partner_token" = ["webhooks:manage"])), request_body = SubscriptionInput,
    responses((status = 201, body = Subscription), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn subscribe_webhook(
    State(state): State<AppState>,
    WebhookManager(access): WebhookManager,
    JsonBody(input): JsonBody<SubscriptionInput>,
) -> Result<Response, ApiError> {
    let subscription = state
        .partners
        .subscribe(&access.partner, &input, Utc::now())
        .await?;
    tracing::info!(partner_id = %access.partner.id, subscription = %subscription.id, "webhook subscribed");
    Ok((StatusCode::CREATED, Json(subscription)).into_response())
}

/// Ends a subscription; its deliveries not yet made are dropped.
#[utoipa::path(delete, path = "/partner/webhooks/{id}", tag = "partners", security(("partner_token" = ["webhooks:manage"])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    WebhookManager(access): WebhookManager,
    RecordId(id): RecordId<path_ids::Partner>,
) -> Result<StatusCode, ApiError> {
    state.partners.unsubscribe(access.partner.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
