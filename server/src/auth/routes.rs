//! The sign-in endpoints: `/auth/login/{provider}` sends the browser to the provider,
//! `/auth/callback/{provider}` comes back from it and starts a session, `/auth/logout` ends it.
//! `/api/v1/session` tells a page who is signed in and the CSRF token to send.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kosodate_domain::error_chain;
use kosodate_registry::audit::{self, AuditActor, AuditEvent, Outcome};
use kosodate_registry::freshness::staff::StaffSignIn;
use serde::{Deserialize, Serialize};

use super::session::{SessionUser, csrf_matches, set_cookie};
use super::{AuthError, Callback, ProviderLink, SignedIn};
use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestContext};
use crate::state::AppState;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/auth/login/{provider}", get(login))
        .route("/auth/callback/{provider}", get(callback))
        .route("/auth/logout", post(logout))
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    return_to: Option<String>,
    login_hint: Option<String>,
}

/// Only paths of this service: an open redirect would let a phishing link borrow our name.
fn safe_return_to(requested: Option<&str>) -> String {
    match requested {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

async fn login(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    ApiQuery(query): ApiQuery<LoginQuery>,
) -> Result<Response, ApiError> {
    let return_to = safe_return_to(query.return_to.as_deref());
    let url = state
        .auth
        .start(&provider, &return_to, query.login_hint.as_deref())
        .await?;
    Ok(redirect(url.as_str()))
}

async fn callback(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    context: RequestContext,
    ApiQuery(query): ApiQuery<Callback>,
) -> Result<Response, ApiError> {
    let signed_in = match state.auth.finish(&provider, &query).await {
        Ok(signed_in) => signed_in,
        Err(error) => {
            tracing::warn!(provider = %provider, error = %error_chain(&error), "sign-in failed");
            if matches!(error, AuthError::NotStaff) {
                let event = AuditEvent {
                    actor: AuditActor::Anonymous,
                    action: "staff.sign_in",
                    target: Some(provider.clone()),
                    municipality: None,
                    outcome: Outcome::Denied,
                    request_id: context.request_id.clone(),
                };
                audit::record(state.registry.connection(), event).await?;
            }
            return Err(error.into());
        }
    };
    let (provider, user, return_to) = match signed_in {
        SignedIn::Parent {
            provider,
            subject,
            return_to,
        } => {
            let account = state.households.account_for_subject(&provider, &subject).await?;
            (provider, SessionUser::Parent(account.id), return_to)
        }
        SignedIn::Staff {
            provider,
            subject,
            email,
            identity: staff,
            return_to,
        } => {
            // The staff directory: who to remind when the organisation's programs are due.
            let sign_in = StaffSignIn {
                provider: &provider,
                subject: &subject,
                identity: &staff,
                email: email.as_ref(),
            };
            state.registry.record_staff_sign_in(sign_in).await?;
            let event = AuditEvent {
                actor: AuditActor::Staff(&staff),
                action: "staff.sign_in",
                target: Some(provider.clone()),
                municipality: staff.role.organisation(),
                outcome: Outcome::Allowed,
                request_id: context.request_id.clone(),
            };
            audit::record(state.registry.connection(), event).await?;
            (provider, SessionUser::Staff(staff), return_to)
        }
    };
    let cookie = state.sessions.create(&provider, &user).await?;
    let mut response = redirect(&return_to);
    set_cookie(response.headers_mut(), &cookie);
    Ok(response)
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(session) = state.sessions.find(&headers).await? {
        if !csrf_matches(&session, &headers) {
            return Err(ApiError::csrf());
        }
        state.sessions.delete(&session).await?;
    }
    set_cookie(response.headers_mut(), &state.sessions.removal_cookie());
    Ok(response)
}

fn redirect(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}

/// Who is signed in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    /// `parent`, `staff`, or absent when nobody is signed in.
    pub kind: Option<String>,
    /// Send this in `X-CSRF-Token` with every state-changing request.
    pub csrf_token: Option<String>,
    pub household_id: Option<String>,
    pub staff: Option<StaffInfo>,
    /// Where to sign in.
    pub providers: Vec<ProviderLink>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffInfo {
    pub name: String,
    pub role: String,
    pub organisation: Option<String>,
}

/// Who is signed in, and the CSRF token of the session.
#[utoipa::path(get, path = "/session", tag = "session",
    security((), ("parent_session" = []), ("staff_session" = [])),
    responses((status = 200, body = SessionInfo)))]
pub async fn session_info(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<SessionInfo>, ApiError> {
    let mut info = SessionInfo {
        kind: None,
        csrf_token: None,
        household_id: None,
        staff: None,
        providers: state.auth.links(),
    };
    let Some(session) = state.sessions.find(&headers).await? else {
        return Ok(Json(info));
    };
    info.csrf_token = Some(session.csrf_token.clone());
    match &session.user {
        SessionUser::Parent(account) => {
            info.kind = Some("parent".into());
            let account = state.households.account(*account).await?;
            info.household_id = account
                .and_then(|account| account.household)
                .map(|id| id.to_string());
        }
        SessionUser::Staff(staff) => {
            info.kind = Some("staff".into());
            info.staff = Some(StaffInfo {
                name: staff.name.clone(),
                role: staff.role.id().to_owned(),
                organisation: staff.role.organisation().map(|code| code.as_str().to_owned()),
            });
        }
    }
    Ok(Json(info))
}
