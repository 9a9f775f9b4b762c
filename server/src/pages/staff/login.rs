//! `/staff/login`: the staff providers' sign-in buttons (never shown to parents), and signing out.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::session::set_cookie;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::pages::visitor::StaffForm;
use crate::settings::Audience;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff_login.html")]
struct LoginPage {
    providers: Vec<StaffProvider>,
}

#[derive(Debug)]
struct StaffProvider {
    label: String,
    href: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
}

pub async fn page(State(state): State<AppState>, ApiQuery(query): ApiQuery<LoginQuery>) -> Response {
    let return_to = query.return_to.unwrap_or_else(|| "/staff".to_owned());
    let encoded: String = form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
    let providers = state
        .auth
        .links()
        .iter()
        .filter(|link| link.audience == Audience::Staff)
        .map(|link| StaffProvider {
            label: link.label.clone(),
            href: format!("{}?return_to={encoded}", link.login_url),
        })
        .collect();
    crate::pages::html(StatusCode::OK, &LoginPage { providers })
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// Ends the session and goes back to the sign-in page.
pub async fn logout(State(state): State<AppState>, form: StaffForm<NoFields>) -> Result<Response, ApiError> {
    state.sessions.delete(&form.staff.session).await?;
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/staff/login")]).into_response();
    set_cookie(response.headers_mut(), &state.sessions.removal_cookie());
    Ok(response)
}
