//! Places to go with children: public reads of published places, staff writes (the owner's
//! municipality or the prefecture, audited, `If-Match` versions).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_places::{Place, PlaceContent, PlaceFilter, PlaceInput, PlaceKind, RecordVersion, Status};
use kosodate_registry::page::{Page, PageRequest};
use kosodate_registry::review::ReviewRequest;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use kosodate_places::import::{ImportKind, ImportReport, Sheet};
use kosodate_registry::transfer::ImportFormat;

use super::programs::{IfMatch, if_match_version, visibility};
use super::transfer::{ImportQuery, format_of};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, Body, JsonBody, MaybeStaff, RequestContext, Staff};
use crate::path_ids::{self, RecordId};
use crate::places::{area, audited, import_audited, query_age_months};
use crate::state::AppState;

/// Filters for listing places.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceQuery {
    /// Places of this municipality, and the prefecture's.
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub municipality: Option<String>,
    /// Places of a region's municipalities (東青, 中南, 三八, 西北, 上北, 下北), and the prefecture's.
    #[param(schema_with = crate::places::region_schema)]
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
pub(super) fn with_etag(status: StatusCode, body: impl Serialize, version: i32, location: &str) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{version}\"")).ok();
    let location = HeaderValue::from_str(location).ok();
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
    with_etag(status, place, version, &location)
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
        age_months: query_age_months(query.age_months)?,
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
    RecordId(id): RecordId<path_ids::Place>,
) -> Result<Response, ApiError> {
    let place = state.places.place(id, visibility(&staff)).await?;
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
    RecordId(id): RecordId<path_ids::Place>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<PlaceInput>,
) -> Result<Response, ApiError> {
    let expected_version = if_match_version(&headers)?;
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
    RecordId(id): RecordId<path_ids::Place>,
) -> Result<Response, ApiError> {
    let result = state.places.publish_place(&staff, id).await;
    let place = audited(&state, &staff, &context, "place.publish", Some(id), result).await?;
    Ok(respond(StatusCode::OK, place))
}

/// The place's open request for a colleague's review, for staff who may change it: who asked,
/// when, and about which version. A request whose `version` is older than the place's is stale.
/// Not found when nobody asked, or the place was published since.
#[utoipa::path(
    get,
    path = "/places/{id}/review-request",
    tag = "places",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = ReviewRequest),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn place_review_request(
    State(state): State<AppState>,
    Staff(staff): Staff,
    RecordId(id): RecordId<path_ids::Place>,
) -> Result<Json<ReviewRequest>, ApiError> {
    Ok(Json(state.places.open_place_review_request(&staff, id).await?))
}

/// Asks a colleague to review the place as it is now, where the organisation publishes only after
/// a second person's review: then a colleague (another staff member or token of the
/// organisation) publishes it with `POST /places/{id}/publish`. A later change makes the request
/// stale; asking again replaces it.
#[utoipa::path(
    post,
    path = "/places/{id}/review-request",
    tag = "places",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = ReviewRequest),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn request_place_review(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Place>,
) -> Result<Response, ApiError> {
    let result = state.places.request_place_review(&staff, id).await;
    let action = "place.review_request";
    let (_, request) = audited(&state, &staff, &context, action, Some(id), result).await?;
    Ok((StatusCode::OK, Json(request)).into_response())
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
    RecordId(id): RecordId<path_ids::Place>,
) -> Result<Response, ApiError> {
    let result = state.places.archive_place(&staff, id).await;
    let place = audited(&state, &staff, &context, "place.archive", Some(id), result).await?;
    Ok(respond(StatusCode::OK, place))
}

/// Every version of a place, oldest first: what was done, by whom, when, and the place's status
/// and content after it. For staff who may change the place.
#[utoipa::path(
    get,
    path = "/places/{id}/history",
    tag = "places",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = [RecordVersion<PlaceContent>]),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn place_history(
    State(state): State<AppState>,
    Staff(staff): Staff,
    RecordId(id): RecordId<path_ids::Place>,
) -> Result<Json<Vec<kosodate_places::PlaceVersion>>, ApiError> {
    Ok(Json(state.places.place_history(&staff, id).await?))
}

/// What a new place of each kind starts from in the editor (description, ages, facilities,
/// opening hours).
#[utoipa::path(
    get,
    path = "/place-templates",
    tag = "places",
    responses((status = 200, body = Vec<kosodate_places::PlaceTemplate>))
)]
pub async fn place_templates() -> Json<&'static [kosodate_places::PlaceTemplate]> {
    Json(kosodate_places::place_templates())
}

/// Imports a spreadsheet of places (CSV in UTF-8 or Shift_JIS, or .xlsx), all or nothing: new
/// places as drafts; a row with the name of a place of its owner replaces that place's content
/// (its status kept), so a file imported twice is stored once. Columns: 団体コード, 種類, 名称, よみがな, 住所, 郵便番号, 緯度, 経度, 電話番号, URL,
/// 開館時間 (「月-金 9:00-17:00、土 9:00-12:00」), 休館日, 開館時間の備考, 対象月齢（から）,
/// 対象月齢（まで）, 設備 (「授乳室、おむつ替え」), 説明, ライセンス.
#[utoipa::path(
    post,
    path = "/places/import",
    tag = "places",
    params(ImportQuery),
    request_body(content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    ), description = "CSV (UTF-8 or Shift_JIS) or an Excel workbook (.xlsx)"),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = ImportReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "every problem, by line and column; nothing was imported")
    )
)]
pub async fn import_places(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<ImportReport>, ApiError> {
    let sheet = sheet_of(query.format, &headers, &body)?;
    let report = import_audited(
        &state,
        &staff,
        &context,
        ImportKind::Places,
        &sheet,
        query.dry_run,
    )
    .await??;
    Ok(Json(report))
}

/// The uploaded file as a sheet, in the format the query or the headers name.
pub(super) fn sheet_of(
    format: Option<ImportFormat>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Sheet, ApiError> {
    let format = match format {
        Some(format) => format,
        None => format_of(headers)?,
    };
    let sheet = match format {
        ImportFormat::Csv => Sheet::from_csv(body),
        ImportFormat::Xlsx => Sheet::from_xlsx(body),
        ImportFormat::TokyoJson => {
            return Err(ApiError::invalid_query(
                "format",
                "施設とイベントは CSV か Excel（.xlsx）で取り込んでください",
                "places and events are imported from csv or xlsx",
            ));
        }
    };
    sheet.map_err(|problems| kosodate_registry::RegistryError::Import(problems).into())
}
