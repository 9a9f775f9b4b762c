//! Partner apps as a notice channel, as the server serves them (issue 19): the check of an
//! OAuth 2.0 authorization request shared by the consent page's GET and POST
//! (`pages::oauth`), and the authorization-code grant and the link token's revocation (RFC 6749
//! §4.1.3, RFC 7009) for the token endpoint. The directory that tells the notifier's partner app
//! channel where each partner takes notices is built with the channels, in `notices.rs`.
//!
//! The link itself (consent record, pseudonymous subject, codes, unlinking) lives in the
//! households crate; the partner registry in the partners crate. This module only joins them.

use axum::response::{IntoResponse, Response};
use chrono::Utc;
use kosodate_domain::{Vocabulary, error_chain};
use kosodate_households::{LinkRequest, is_s256_challenge};
use kosodate_partners::{Partner, PartnersError, Scope};
use serde::Deserialize;
use url::Url;

use crate::error::{ApiError, OAuthError};
use crate::state::AppState;

/// An authorization request (RFC 6749 §4.1.1 with RFC 7636 §4.3), as the page receives it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub code_challenge: String,
    #[serde(default)]
    pub code_challenge_method: String,
}

/// A request that holds: the app, and where to send the parent back.
#[derive(Debug, Clone)]
pub struct Authorize {
    pub partner: Partner,
    pub request: LinkRequest,
    pub state: Option<String>,
}

/// Why a request cannot be asked of the parent. RFC 6749 §4.1.2.1: an unknown client or a
/// redirect URI it did not register is told to the parent and never redirected to; anything
/// else goes back to the app as `error` on its redirect URI.
#[derive(Debug)]
pub enum AuthorizeRefusal {
    ToParent(ApiError),
    ToApp(Response),
}

impl Authorize {
    pub async fn check(state: &AppState, params: &AuthorizeParams) -> Result<Self, AuthorizeRefusal> {
        let partner = state
            .partners
            .by_client_id(&params.client_id)
            .await
            .map_err(|error| AuthorizeRefusal::ToParent(internal(&error)))?
            .filter(|partner| !partner.is_revoked())
            .ok_or_else(|| AuthorizeRefusal::ToParent(unknown_app()))?;
        let redirect_uri = partner
            .redirect_uris
            .iter()
            .find(|uri| uri.as_str() == params.redirect_uri)
            .cloned()
            .ok_or_else(|| AuthorizeRefusal::ToParent(unknown_app()))?;
        let back = |error: &str, description: &str| {
            AuthorizeRefusal::ToApp(redirect_back(
                &redirect_uri,
                &[("error", error), ("error_description", description)],
                params.state.as_deref(),
            ))
        };
        if params.response_type != "code" {
            return Err(back("unsupported_response_type", "response_type must be code"));
        }
        if params.code_challenge_method != "S256" || !is_s256_challenge(&params.code_challenge) {
            return Err(back(
                "invalid_request",
                "PKCE with code_challenge_method S256 is required",
            ));
        }
        if params.scope.trim() != Scope::NoticesDeliver.id() || !partner.may(Scope::NoticesDeliver) {
            return Err(back(
                "invalid_scope",
                "the scope must be notices:deliver, granted to the app",
            ));
        }
        Ok(Self {
            request: LinkRequest {
                partner_id: partner.id,
                redirect_uri,
                code_challenge: params.code_challenge.clone(),
            },
            partner,
            state: params.state.clone(),
        })
    }
}

/// The parent sent back to the app's redirect URI with `params` and the request's `state`.
pub fn redirect_back(uri: &Url, params: &[(&str, &str)], state: Option<&str>) -> Response {
    let mut uri = uri.clone();
    {
        let mut query = uri.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    (
        axum::http::StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, uri.to_string())],
    )
        .into_response()
}

fn unknown_app() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "unknown-partner-app",
        "連携を始められません",
        "連携しようとしたアプリが登録されていないか、戻り先が登録と違います。アプリを閉じて、アプリの案内に従ってもう一度お試しください",
        "the app is not registered, or the redirect uri is not one it registered",
    )
}

fn internal(error: &PartnersError) -> ApiError {
    tracing::error!(error = %error_chain(error), "partner registry failed");
    ApiError::internal()
}

/// The authorization-code grant (RFC 6749 §4.1.3, RFC 7636 §4.5) for the token endpoint,
/// after it authenticated `partner`: the link's subject and a new link token for a code, once.
pub async fn authorization_code_grant(
    state: &AppState,
    partner: &Partner,
    code: Option<&str>,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<Response, OAuthError> {
    let (Some(code), Some(redirect_uri), Some(code_verifier)) = (code, redirect_uri, code_verifier) else {
        return Err(OAuthError::invalid_request(
            "code, redirect_uri and code_verifier are required",
        ));
    };
    let exchanged = state
        .households
        .exchange_partner_code(partner.id, code, redirect_uri, code_verifier, Utc::now())
        .await
        .map_err(|error| OAuthError::from_failure(&error))?;
    let grant = exchanged.map_err(|refused| {
        tracing::info!(partner_id = %partner.id, reason = %refused, "authorization code refused");
        OAuthError::invalid_grant()
    })?;
    tracing::info!(partner_id = %partner.id, "household link granted");
    Ok(axum::Json(serde_json::json!({
        "access_token": grant.link_token,
        "token_type": "Bearer",
        "scope": Scope::NoticesDeliver.id(),
        "link_subject": grant.subject,
    }))
    .into_response())
}

/// RFC 7009 for link tokens: the partner revoking one ends the household's link. Whether there
/// was one is not said (§2.2).
pub async fn revoke_link_token(state: &AppState, partner: &Partner, token: &str) -> Result<(), OAuthError> {
    state
        .households
        .unlink_by_partner_token(partner.id, token, Utc::now())
        .await
        .map_err(|error| OAuthError::from_failure(&error))?;
    Ok(())
}
