//! `/login`: the sign-in buttons, LINE first where it is configured. Signing in only proves who
//! the parent is; nothing is stored about the household until the consent page.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::auth::Authenticator;
use crate::extract::ApiQuery;
use crate::pages::visitor::Visitor;
use crate::settings::Audience;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    providers: Vec<ProviderButton>,
    signed_in: bool,
}

#[derive(Debug)]
pub struct ProviderButton {
    pub label: String,
    pub href: String,
    /// LINE's button is drawn in LINE's colours.
    pub line: bool,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(query): ApiQuery<LoginQuery>,
) -> Response {
    let return_to = query.return_to.unwrap_or_else(|| "/me".to_owned());
    let providers = parent_buttons(&state.auth, &return_to);
    let page = LoginPage {
        providers,
        signed_in: visitor.parent().is_some(),
    };
    crate::pages::html(StatusCode::OK, &page)
}

/// The providers parents sign in with, LINE first, each a link that comes back to `return_to`.
pub fn parent_buttons(auth: &Authenticator, return_to: &str) -> Vec<ProviderButton> {
    let encoded: String = form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
    auth.links()
        .iter()
        .filter(|link| link.audience == Audience::Parents)
        .map(|link| ProviderButton {
            label: link.label.clone(),
            href: format!("{}?return_to={encoded}", link.login_url),
            line: auth.is_line(&link.id),
        })
        .collect()
}
