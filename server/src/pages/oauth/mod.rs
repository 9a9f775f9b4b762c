//! `/oauth/authorize`: the page where a signed-in parent links a partner app to the household
//! (issue 19). The app is the OAuth 2.0 client (authorization code with PKCE S256, scope
//! `notices:deliver`); the page says which app, what it will receive (only what a notice needs,
//! never the household record) and how to unlink, and on "連携する" records the consent and sends
//! the parent back to the app with a one-time code. "連携しない" sends them back with
//! `access_denied`.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use kosodate_households::consent_texts;
use serde::Deserialize;

use super::me::household_or_step;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::pages::visitor::{ParentForm, SignedInParent};
use crate::partner_links::{Authorize, AuthorizeParams, AuthorizeRefusal, redirect_back};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/oauth/authorize", get(page).post(decide))
}

#[derive(Template)]
#[template(path = "oauth_authorize.html")]
struct AuthorizePage {
    app_name: String,
    consent_text: String,
    consent_version: i32,
    csrf_token: String,
    params: AuthorizeParams,
    state_value: String,
}

pub async fn page(
    State(state): State<AppState>,
    parent: SignedInParent,
    ApiQuery(params): ApiQuery<AuthorizeParams>,
) -> Result<Response, ApiError> {
    if let Err(step) = household_or_step(&state, &parent).await? {
        return Ok(step);
    }
    let authorize = match Authorize::check(&state, &params).await {
        Ok(authorize) => authorize,
        Err(refusal) => return refused(refusal),
    };
    let text = consent_texts::partner_app();
    let page = AuthorizePage {
        app_name: authorize.partner.name.clone(),
        consent_text: text.map_or_else(String::new, |text| text.text_ja.clone()),
        consent_version: text.map_or(0, |text| text.version),
        csrf_token: parent.csrf_token().to_owned(),
        state_value: params.state.clone().unwrap_or_default(),
        params,
    };
    let mut response = crate::pages::html(StatusCode::OK, &page);
    allow_form_redirect_to(&mut response, &authorize.request.redirect_uri);
    Ok(response)
}

/// The form's own fields beside the request's.
#[derive(Debug, Deserialize)]
pub struct Decision {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    decision: String,
}

pub async fn decide(State(state): State<AppState>, form: ParentForm<Decision>) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let household = match household_or_step(&state, &parent).await? {
        Ok(id) => id,
        Err(step) => return Ok(step),
    };
    let mut params = fields.params;
    // The page sends an empty field for a request without `state`.
    params.state = params.state.filter(|value| !value.is_empty());
    let authorize = match Authorize::check(&state, &params).await {
        Ok(authorize) => authorize,
        Err(refusal) => return refused(refusal),
    };
    let back_to = &authorize.request.redirect_uri;
    if fields.decision != "allow" {
        let params = [("error", "access_denied")];
        return Ok(redirect_back(back_to, &params, authorize.state.as_deref()));
    }
    let code = state
        .households
        .link_partner(household, &authorize.request, Utc::now())
        .await?;
    Ok(redirect_back(
        back_to,
        &[("code", &code)],
        authorize.state.as_deref(),
    ))
}

fn refused(refusal: AuthorizeRefusal) -> Result<Response, ApiError> {
    match refusal {
        AuthorizeRefusal::ToParent(error) => Err(error),
        AuthorizeRefusal::ToApp(response) => Ok(response),
    }
}

/// The pages' policy lets forms go to this site only; this page's form ends at the app's
/// redirect URI, which browsers check `form-action` against too.
fn allow_form_redirect_to(response: &mut Response, redirect_uri: &url::Url) {
    let Some(policy) = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|value| value.to_str().ok())
    else {
        return;
    };
    let origin = redirect_uri.origin().ascii_serialization();
    let policy = policy.replace("form-action 'self'", &format!("form-action 'self' {origin}"));
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
}
