//! The HTML pages, server-rendered from compiled templates (askama, `server/templates/`) over the
//! same `AppState` services as the JSON API; `api/` and `pages/` never import each other. Every
//! page is answered through [`html`], which sets the headers all pages share: a strict
//! Content-Security-Policy (no inline script or style, nothing from other sites, no framing),
//! no referrer (links may carry tokens), and no caching of what may be personal.

pub mod assets;
mod calendar;
mod calendar_feed;
mod charts;
mod community;
pub mod errors;
pub mod events;
mod home;
mod household_form;
mod me;
mod notice_links;
mod oauth;
pub mod places;
mod programs;
mod review_links;
mod search;
mod staff;
pub mod visitor;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kosodate_domain::error_chain;

use crate::error::ApiError;
use crate::state::AppState;

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     script-src 'self'; worker-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/search", get(search::search))
        .route("/assets/{name}", get(assets::serve))
        .route("/sw.js", get(assets::service_worker))
        .route(
            "/notices/actions/{token}",
            get(notice_links::confirm).post(notice_links::perform),
        )
        .route(
            "/staff/reviews/{token}",
            get(review_links::confirm).post(review_links::perform),
        )
        .route("/programs/{id}", get(programs::show).post(programs::check))
        .route("/me/calendar", get(calendar::page).post(calendar::replace))
        .route("/me/calendar/revoke", post(calendar::revoke))
        .route("/calendar/{file}", get(calendar::feed))
        .merge(me::router())
        .merge(events::router())
        .merge(oauth::router())
        .merge(community::router())
        .merge(staff::router())
}

/// A rendered page with the headers every page carries.
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    let body = match page.render() {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(error = %error_chain(&error), "a page could not be rendered");
            return ApiError::internal().into_response();
        }
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
