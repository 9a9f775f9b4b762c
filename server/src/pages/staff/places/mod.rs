//! The staff pages of places to go with children, under `/staff/places`: the organisation's
//! places with their kind, state and address, one template per kind (子育て支援センター, 児童館 …:
//! the usual facilities, ages and opening hours already entered) to start from, the place editor
//! (`editor`, with the form ↔ `PlaceInput` in `form`), each place's versions compared field by
//! field (`history`), and the spreadsheet import of places and events (`import`). Writing goes
//! through the places crate, which decides who may and keeps every version; each write is
//! audited with the place's municipality.

mod editor;
mod form;
mod history;
mod import;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::Vocabulary;
use kosodate_places::{PlaceFilter, place_templates};
use kosodate_registry::Visibility;
use kosodate_registry::page::PageRequest;
use uuid::Uuid;

use super::StaffChrome;
use crate::error::ApiError;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

/// More than an organisation keeps, so that one page holds them all.
const LIST_LIMIT: u64 = 500;

pub fn router() -> Router<AppState> {
    use axum::routing::get;
    Router::new()
        .route("/staff/places", get(list))
        .route("/staff/places/import", get(import::page).post(import::upload))
        .route("/staff/places/import/{id}", get(import::review))
        .route(
            "/staff/places/import/{id}/apply",
            axum::routing::post(import::apply),
        )
        .route("/staff/places/new", get(editor::new_place).post(editor::create))
        .route(
            "/staff/places/{id}/edit",
            get(editor::edit_place).post(editor::update),
        )
        .route("/staff/places/{id}/preview", get(editor::preview))
        .route("/staff/places/{id}/history", get(history::page))
}

#[derive(Template)]
#[template(path = "staff/places.html")]
struct PlacesPage {
    chrome: StaffChrome,
    places: Vec<PlaceRow>,
    /// (kind id, kind name, what the template fills in)
    templates: Vec<(&'static str, &'static str, String)>,
}

struct PlaceRow {
    id: Uuid,
    name: String,
    kind: &'static str,
    status: &'static str,
    address: String,
}

async fn list(State(state): State<AppState>, staff: SignedInStaff) -> Result<Response, ApiError> {
    let filter = PlaceFilter {
        area: super::records::own_area(&staff.identity.role),
        ..PlaceFilter::default()
    };
    let request = PageRequest {
        limit: Some(LIST_LIMIT),
        cursor: None,
    };
    let places = state
        .places
        .list_places(&filter, Visibility::Staff, &request)
        .await?
        .items
        .into_iter()
        .map(|place| PlaceRow {
            id: place.id,
            kind: place.content.kind.label_ja(),
            status: place.status.label_ja(),
            address: place.content.address,
            name: place.content.name,
        })
        .collect();
    let templates = place_templates()
        .iter()
        .map(|template| {
            let kind = template.kind;
            (kind.id(), kind.label_ja(), template.description.clone())
        })
        .collect();
    let page = PlacesPage {
        chrome: StaffChrome::load(&state, &staff, "/staff/places").await,
        places,
        templates,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}
