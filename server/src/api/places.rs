//! Places to go with children: public reads of published places, staff writes (the owner's
//! municipality or the prefecture, audited, `If-Match` versions).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_places::{Place, PlaceFilter, PlaceInput, PlaceKind, Status};
use kosodate_registry::page::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::programs::{IfMatch, if_match_version, visibility};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, JsonBody, MaybeStaff, RequestContext, Staff};
use crate::places::{area, audited, parse_id};
use crate::state::AppState;

/// Filters for listing places.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceQuery {
    /// Places of this municipality, and the prefecture's.
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub municipality: Option<String>,
    /// Places of a region's municipalities (東青, 中南, 三八, 西北, 上北, 下北), and the prefecture's.
    pub region: Option<String>,
    /// Places of exactly this owner.
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub owner: Option<String>,
    pub kind: Option<PlaceKind>,
    /// Places suited to a child of this many completed months.
    #[param(minimum = 0, maximum = 240)]
    pub age_months: Option<u16>,
    /// Words in the name, reading, address or description.
    pub q: Option<String>,
    /// Staff only; the public always sees published places.
    pub status: Option<Status>,
}

/// A record with its version as a strong `ETag`, for `If-Match` on the next update, and where it
/// lives when it was just created.
pub(super) fn with_etag(
    status: StatusCode,
    body: impl Serialize,
    version: i32,
    location: String,
) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{version}\"")).ok();
    let location = HeaderValue::from_str(&location).ok();
    let mut response = (status, Json(body)).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED
        && let Some(location) = location
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn respond(status: StatusCode, place: Place) -> Response {
    let (version, location) = (place.version, format!("/api/v1/places/{}", place.id));
    with_etag(status, place, version, location)
}

/// Places, filtered, in creation order.
#[utoipa::path(
    get,
    path = "/places",
    tag = "places",
    params(PlaceQuery, PageRequest),
    security((), ("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Page<Place>),
        (status = 400, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn list_places(
    State(state): State<AppState>,
    staff: MaybeStaff,
    ApiQuery(query): ApiQuery<PlaceQuery>,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> Result<Json<Page<Place>>, ApiError> {
    let filter = PlaceFilter {
        area: area(
            query.municipality.as_deref(),
            query.region.as_deref(),
            query.owner.as_deref(),
        )?,
        kind: query.kind,
        age_months: query.age_months.map(i32::from),
        text: query.q,
        status: query.status,
    };
    Ok(Json(
        state
            .places
            .list_places(&filter, visibility(&staff), &page)
            .await?,
    ))
}

/// Creates a place as a draft.
#[utoipa::path(
    post,
    path = "/places",
    tag = "places",
    request_body = PlaceInput,
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 201, body = Place),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn create_place(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    JsonBody(input): JsonBody<PlaceInput>,
) -> Result<Response, ApiError> {
    let result = state.places.create_place(&staff, &input).await;
    let place = audited(&state, &staff, &context, "place.create", None, result).await?;
    tracing::info!(place_id = %place.id, actor = %staff.name, "place created");
    Ok(respond(StatusCode::CREATED, place))
}

/// One place. Drafts and archived places are visible to staff only.
#[utoipa::path(
    get,
    path = "/places/{id}",
    tag = "places",
    params(("id" = String, Path, format = Uuid)),
    security((), ("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Place),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn get_place(
    State(state): State<AppState>,
    staff: MaybeStaff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let place = state
        .places
        .place(parse_id(&id, "施設")?, visibility(&staff))
        .await?;
    Ok(respond(StatusCode::OK, place))
}

/// Replaces a place's content. Send the `ETag` you read as `If-Match` to be told (412) when a
/// colleague changed it meanwhile.
#[utoipa::path(
    put,
    path = "/places/{id}",
    tag = "places",
    params(("id" = String, Path, format = Uuid), IfMatch),
    request_body = PlaceInput,
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Place),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn update_place(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<PlaceInput>,
) -> Result<Response, ApiError> {
    let expected_version = if_match_version(&headers)?;
    let id = parse_id(&id, "施設")?;
    let result = state
        .places
        .update_place(&staff, id, &input, expected_version)
        .await;
    let place = audited(&state, &staff, &context, "place.update", Some(id), result).await?;
    Ok(respond(StatusCode::OK, place))
}

/// Publishes a place: everyone sees it from now on.
#[utoipa::path(
    post,
    path = "/places/{id}/publish",
    tag = "places",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Place),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn publish_place(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "施設")?;
    let result = state.places.publish_place(&staff, id).await;
    let place = audited(&state, &staff, &context, "place.publish", Some(id), result).await?;
    Ok(respond(StatusCode::OK, place))
}

/// Archives a place (closed, moved).
#[utoipa::path(
    post,
    path = "/places/{id}/archive",
    tag = "places",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Place),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn archive_place(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "施設")?;
    let result = state.places.archive_place(&staff, id).await;
    let place = audited(&state, &staff, &context, "place.archive", Some(id), result).await?;
    Ok(respond(StatusCode::OK, place))
}
