//! Notices over HTTP: the links in a notice that act without signing in ("applied already", "not
//! interested", one-click unsubscribe per RFC 8058), the Web Push public key for browsers, counts
//! for staff, and dead letters for administrators.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use kosodate_households::{Dismissal, HouseholdId, NoticeCount};
use kosodate_notifier::NoticeAction;
use kosodate_notifier::outbox::{self, DeadLetter};
use kosodate_registry::StaffAction;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::staff::{ScopeQuery, authorize, scope};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, JsonBody, RequestContext, Staff};
use crate::state::AppState;

fn page(title: &str, body: &str, form_action: Option<&str>) -> Html<String> {
    let form = form_action.map_or_else(String::new, |action| {
        format!(r#"<form method="post" action="{action}"><button type="submit">{title}</button></form>"#)
    });
    Html(format!(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}｜青森県 子育て支援</title></head>\
         <body><main><h1>{title}</h1><p>{body}</p>{form}</main></body></html>"
    ))
}

fn invalid_link() -> Response {
    (
        StatusCode::NOT_FOUND,
        page(
            "リンクが無効です",
            "このリンクは正しくないか、お知らせが削除されています。",
            None,
        ),
    )
        .into_response()
}

/// Shows what the link will do, with a button: mail scanners follow links, so a GET never acts.
pub async fn confirm_action(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some((_, action, _)) = state.notices.signer.verify(&token) else {
        return invalid_link();
    };
    let (title, body) = match action {
        NoticeAction::Applied => (
            "申請済みにする",
            "この制度の申請期限などのお知らせを今後送りません。",
        ),
        NoticeAction::NotInterested => (
            "この制度のお知らせを止める",
            "この制度についてのお知らせを今後送りません。",
        ),
        NoticeAction::Unsubscribe => (
            "配信を停止する",
            "この方法（メール・LINE・プッシュ通知）でのお知らせを停止します。マイページからいつでも再開できます。",
        ),
    };
    page(title, body, Some(&format!("/notices/actions/{token}"))).into_response()
}

/// Does what the link says; also the RFC 8058 one-click unsubscribe target.
pub async fn perform_action(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let Some((notice, action, position)) = state.notices.signer.verify(&token) else {
        return Ok(invalid_link());
    };
    let Some(found) = outbox::notice_ref(state.registry.connection(), notice).await? else {
        return Ok(invalid_link());
    };
    let household = HouseholdId::from(found.household_id);
    let (title, body) = match action {
        NoticeAction::Unsubscribe => {
            let channel = found.channel_id.to_string();
            match state
                .households
                .set_channel_opt_in(household, &channel, false)
                .await
            {
                Ok(()) | Err(kosodate_households::HouseholdError::ChannelNotFound(_)) => {}
                Err(error) => return Err(error.into()),
            }
            (
                "配信を停止しました",
                "この方法でのお知らせを停止しました。マイページからいつでも再開できます。",
            )
        }
        NoticeAction::Applied | NoticeAction::NotInterested => {
            let Some(program) = found.content.programs.get(usize::from(position)) else {
                return Ok(invalid_link());
            };
            let reason = match action {
                NoticeAction::Applied => Dismissal::Applied,
                _ => Dismissal::NotInterested,
            };
            state
                .households
                .dismiss_program(household, &program.program_id, reason)
                .await?;
            ("承りました", "この制度についてのお知らせを今後送りません。")
        }
    };
    Ok(page(title, body, None).into_response())
}

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
