//! The OAuth 2.0 endpoints of partner apps: `POST /oauth/token` (RFC 6749 §4.4, the client
//! credentials grant; §4.1.3, the authorization-code grant of household links, in
//! `partner_links`) and `POST /oauth/revoke` (RFC 7009). Clients authenticate with HTTP Basic
//! (`client_secret_basic`: the id and secret form-urlencoded, then base64) or in the form body
//! (`client_secret_post`), never both (§2.3). Bodies are `application/x-www-form-urlencoded` and
//! no parameter may appear twice (§3.2). Errors are RFC 6749's JSON (`OAuthError`), not
//! problem+json, because that is what OAuth client libraries read.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use chrono::Utc;
use kosodate_partners::{ACCESS_TOKEN_LIFETIME, Partner, Partners};

use crate::error::OAuthError;
use crate::partner_links;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
}

/// A form body's parameters, each at most once. Empty values count as absent (§3.1).
#[derive(Debug)]
struct Form(HashMap<String, String>);

impl Form {
    fn read(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        let form_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .trim_start()
                    .starts_with("application/x-www-form-urlencoded")
            });
        if !form_type {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let mut parameters = HashMap::new();
        for (name, value) in form_urlencoded::parse(body) {
            if value.is_empty() {
                continue;
            }
            if parameters.insert(name.to_string(), value.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {name} is repeated"
                )));
            }
        }
        Ok(Self(parameters))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// The client id and secret of HTTP Basic: each form-urlencoded before encoding (§2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::invalid_request("the Authorization header is not HTTP Basic");
    let encoded = value
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Basic "))
        .ok_or_else(malformed)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(malformed)?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |text: &str| {
        form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// The partner that authenticated by exactly one method.
async fn authenticate(partners: &Partners, headers: &HeaderMap, form: &Form) -> Result<Partner, OAuthError> {
    let posted = match (form.get("client_id"), form.get("client_secret")) {
        (Some(id), Some(secret)) => Some((id.to_owned(), secret.to_owned())),
        _ => None,
    };
    let (id, secret) = match (basic_credentials(headers)?, posted) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not both",
            ));
        }
        (Some(credentials), None) | (None, Some(credentials)) => credentials,
        (None, None) => return Err(kosodate_partners::PartnersError::InvalidClient.into()),
    };
    Ok(partners.authenticate(&id, &secret).await?)
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The client credentials grant: an opaque bearer token for an hour, with the scopes asked for
/// (all the partner was granted when it asks for none). Counts toward the partner's rate.
async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let form = Form::read(&headers, &body)?;
    let grant_type = form.get("grant_type");
    match grant_type {
        None => return Err(OAuthError::invalid_request("grant_type is missing")),
        Some("client_credentials" | "authorization_code") => {}
        Some(_) => return Err(OAuthError::unsupported_grant_type()),
    }
    let partner = authenticate(&state.partners, &headers, &form).await?;
    state.partners.take_request(&partner).await?;
    if grant_type == Some("authorization_code") {
        let (code, redirect_uri, verifier) = (
            form.get("code"),
            form.get("redirect_uri"),
            form.get("code_verifier"),
        );
        let granted = partner_links::authorization_code_grant(&state, &partner, code, redirect_uri, verifier);
        return Ok(no_store(granted.await?));
    }
    let issued = state
        .partners
        .issue_token(&partner, form.get("scope"), Utc::now())
        .await?;
    tracing::info!(partner_id = %partner.id, scope = %issued.scopes, "partner token issued");
    let body = serde_json::json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME.num_seconds(),
        "scope": issued.scopes.to_string(),
    });
    Ok(no_store(axum::Json(body).into_response()))
}

/// RFC 7009: revokes one of the client's own access tokens. An unknown token, or another
/// client's, is answered 200 all the same (§2.2).
async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let form = Form::read(&headers, &body)?;
    let partner = authenticate(&state.partners, &headers, &form).await?;
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    state.partners.revoke_token(&partner, token, Utc::now()).await?;
    partner_links::revoke_link_token(&state, &partner, token).await?;
    Ok(no_store(axum::http::StatusCode::OK.into_response()))
}
