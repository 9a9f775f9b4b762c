//! The front door `/`: what the service does, a search box, sign-in for parents (LINE first where
//! it is configured) and programs by place: the prefecture and its 40 municipalities by region.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::me::ProviderButton;
use super::me::parent_buttons;
use super::places::Places;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    sign_in: Vec<ProviderButton>,
    places: &'a Places,
}

pub async fn home(State(state): State<AppState>) -> Result<Response, ApiError> {
    let places = Places::load(&state).await?;
    let page = HomePage {
        sign_in: parent_buttons(&state.auth, "/me"),
        places: &places,
    };
    Ok(super::html(StatusCode::OK, &page))
}
