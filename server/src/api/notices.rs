//! Notices over the JSON API: the Web Push public key for browsers, counts for staff, and dead
//! letters for administrators. The links in a notice are pages (`pages/notice_links.rs`).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kosodate_households::NoticeCount;
use kosodate_notifier::outbox::{self, DeadLetter};
use kosodate_registry::StaffAction;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::staff::{ScopeQuery, authorize, scope};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, JsonBody, RequestContext, Staff};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct WebPushKey {
    /// The VAPID public key: `applicationServerKey` for `PushManager.subscribe`.
    pub public_key: String,
}

/// The key a browser subscribes with, so that only this service can push to it.
#[utoipa::path(get, path = "/web-push/public-key", tag = "notices",
    responses((status = 200, body = WebPushKey)))]
pub async fn web_push_key(State(state): State<AppState>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        Json(WebPushKey {
            public_key: state.notices.vapid_public_key,
        }),
    )
        .into_response()
}

/// How notices fare per municipality, channel and status: counts only (under 10 shows "<10").
#[utoipa::path(get, path = "/staff/notices", tag = "staff", security(("staff_token" = []), ("staff_session" = [])), params(ScopeQuery),
    responses((status = 200, body = Vec<NoticeCount>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn notice_counts(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    ApiQuery(query): ApiQuery<ScopeQuery>,
) -> Result<Json<Vec<NoticeCount>>, ApiError> {
    let scope = scope(&query)?;
    authorize(
        &state,
        &staff,
        &context,
        StaffAction::ViewCounts(scope),
        "notices.view",
        scope,
    )
    .await?;
    Ok(Json(state.households.notice_counts(scope).await?))
}

/// Notices given up on: what and why, never to whom or what they said.
#[utoipa::path(get, path = "/admin/notices/dead", tag = "staff", security(("staff_token" = []), ("staff_session" = [])),
    responses((status = 200, body = Vec<DeadLetter>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn dead_letters(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
) -> Result<Json<Vec<DeadLetter>>, ApiError> {
    authorize(
        &state,
        &staff,
        &context,
        StaffAction::ManageDeliveries,
        "notices.dead.view",
        None,
    )
    .await?;
    Ok(Json(
        outbox::dead_letters(state.registry.connection(), 500).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Redrive {
    /// The dead notices to send again; absent: all of them.
    #[serde(default)]
    pub ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Redriven {
    pub requeued: u64,
}

/// Sends dead notices again, from a fresh attempt count (after fixing what made them fail).
#[utoipa::path(post, path = "/admin/notices/dead/redrive", tag = "staff", security(("staff_token" = []), ("staff_session" = [])), request_body = Redrive,
    responses((status = 200, body = Redriven), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn redrive(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    JsonBody(body): JsonBody<Redrive>,
) -> Result<Json<Redriven>, ApiError> {
    authorize(
        &state,
        &staff,
        &context,
        StaffAction::ManageDeliveries,
        "notices.redrive",
        None,
    )
    .await?;
    let requeued = outbox::redrive(state.registry.connection(), body.ids.as_deref()).await?;
    Ok(Json(Redriven { requeued }))
}
