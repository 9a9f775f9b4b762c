//! Children's events: public reads of published events (by area, dates, a child's age in months,
//! kind and words) and their days, staff writes (the owner's municipality or the prefecture,
//! audited, `If-Match` versions).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kosodate_domain::CalendarDate;
use kosodate_places::{
    Event, EventContent, EventFilter, EventInput, EventKind, Occurrence, RecordVersion, Status,
};
use kosodate_registry::page::{Page, PageRequest};
use kosodate_registry::review::ReviewRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use kosodate_places::import::{ImportKind, ImportReport};

use super::places::{sheet_of, with_etag};
use super::programs::{IfMatch, if_match_version, visibility};
use super::transfer::ImportQuery;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, Body, JsonBody, MaybeStaff, RequestContext, Staff};
use crate::path_ids::{self, RecordId};
use crate::places::import_audited;
use crate::places::{area, audited, query_age_months, query_date};
use crate::state::AppState;

/// Filters for listing events.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Events of this municipality, and the prefecture's.
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub municipality: Option<String>,
    /// Events of a region's municipalities (東青, 中南, 三八, 西北, 上北, 下北), and the prefecture's.
    #[param(schema_with = crate::places::region_schema)]
    pub region: Option<String>,
    /// Events of exactly this owner.
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub owner: Option<String>,
    pub kind: Option<EventKind>,
    /// Events held at this place.
    #[param(format = Uuid)]
    pub place: Option<String>,
    /// Events taking place on a day from `from` to `to` (both needed for the days of a
    /// recurring event to be looked at).
    #[param(value_type = Option<CalendarDate>)]
    pub from: Option<String>,
    #[param(value_type = Option<CalendarDate>)]
    pub to: Option<String>,
    /// Events for a child of this many completed months.
    #[param(minimum = 0, maximum = 240)]
    pub age_months: Option<u16>,
    /// Words in the title, reading or description.
    pub q: Option<String>,
    /// Staff only; the public always sees published events.
    pub status: Option<Status>,
}

/// The days asked for: `from` to `to`, both included.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    #[param(value_type = CalendarDate)]
    pub from: Option<String>,
    #[param(value_type = CalendarDate)]
    pub to: Option<String>,
}

fn respond(status: StatusCode, event: Event) -> Response {
    let (version, location) = (event.version, format!("/api/v1/events/{}", event.id));
    with_etag(status, event, version, &location)
}

/// Events, filtered, in creation order.
#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    params(EventQuery, PageRequest),
    security((), ("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Page<Event>),
        (status = 400, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn list_events(
    State(state): State<AppState>,
    staff: MaybeStaff,
    ApiQuery(query): ApiQuery<EventQuery>,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> Result<Json<Page<Event>>, ApiError> {
    let place = query
        .place
        .as_deref()
        .map(|raw| {
            uuid::Uuid::parse_str(raw).map_err(|_| {
                ApiError::invalid_query(
                    "place",
                    "施設IDの形式が正しくありません",
                    format!("invalid place id {raw:?}"),
                )
            })
        })
        .transpose()?;
    let filter = EventFilter {
        area: area(
            query.municipality.as_deref(),
            query.region.as_deref(),
            query.owner.as_deref(),
        )?,
        kind: query.kind,
        place,
        from: query_date("from", query.from.as_deref())?,
        to: query_date("to", query.to.as_deref())?,
        age_months: query_age_months(query.age_months)?.map(|months| months..=months),
        text: query.q,
        status: query.status,
    };
    Ok(Json(
        state
            .places
            .list_events(&filter, visibility(&staff), &page)
            .await?,
    ))
}

/// The days an event takes place from `from` to `to` (at most about three years from `from`).
#[utoipa::path(
    get,
    path = "/events/{id}/occurrences",
    tag = "events",
    params(("id" = String, Path, format = Uuid), DaysQuery),
    security((), ("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Vec<Occurrence>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn event_occurrences(
    State(state): State<AppState>,
    staff: MaybeStaff,
    RecordId(id): RecordId<path_ids::Event>,
    ApiQuery(days): ApiQuery<DaysQuery>,
) -> Result<Json<Vec<Occurrence>>, ApiError> {
    let required = |parameter: &str, value: Option<chrono::NaiveDate>| {
        value.ok_or_else(|| {
            ApiError::invalid_query(
                parameter,
                "期間の始まりと終わりの日付を指定してください",
                format!("{parameter} is required"),
            )
        })
    };
    let from = required("from", query_date("from", days.from.as_deref())?)?;
    let to = required("to", query_date("to", days.to.as_deref())?)?;
    let event = state.places.event(id, visibility(&staff)).await?;
    Ok(Json(event.occurrences_between(from, to)))
}

/// Creates an event as a draft.
#[utoipa::path(
    post,
    path = "/events",
    tag = "events",
    request_body = EventInput,
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 201, body = Event),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn create_event(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    JsonBody(input): JsonBody<EventInput>,
) -> Result<Response, ApiError> {
    let result = state.places.create_event(&staff, &input).await;
    let event = audited(&state, &staff, &context, "event.create", None, result).await?;
    tracing::info!(event_id = %event.id, actor = %staff.name, "event created");
    Ok(respond(StatusCode::CREATED, event))
}

/// One event. Drafts and archived events are visible to staff only.
#[utoipa::path(
    get,
    path = "/events/{id}",
    tag = "events",
    params(("id" = String, Path, format = Uuid)),
    security((), ("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Event),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn get_event(
    State(state): State<AppState>,
    staff: MaybeStaff,
    RecordId(id): RecordId<path_ids::Event>,
) -> Result<Response, ApiError> {
    let event = state.places.event(id, visibility(&staff)).await?;
    Ok(respond(StatusCode::OK, event))
}

/// Replaces an event's content. Send the `ETag` you read as `If-Match` to be told (412) when a
/// colleague changed it meanwhile.
#[utoipa::path(
    put,
    path = "/events/{id}",
    tag = "events",
    params(("id" = String, Path, format = Uuid), IfMatch),
    request_body = EventInput,
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Event),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn update_event(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Event>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<EventInput>,
) -> Result<Response, ApiError> {
    let expected_version = if_match_version(&headers)?;
    let result = state
        .places
        .update_event(&staff, id, &input, expected_version)
        .await;
    let event = audited(&state, &staff, &context, "event.update", Some(id), result).await?;
    Ok(respond(StatusCode::OK, event))
}

/// Publishes an event: everyone sees it from now on.
#[utoipa::path(
    post,
    path = "/events/{id}/publish",
    tag = "events",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Event),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn publish_event(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Event>,
) -> Result<Response, ApiError> {
    let result = state.places.publish_event(&staff, id).await;
    let event = audited(&state, &staff, &context, "event.publish", Some(id), result).await?;
    Ok(respond(StatusCode::OK, event))
}

/// The event's open request for a colleague's review, for staff who may change it: who asked,
/// when, and about which version. A request whose `version` is older than the event's is stale.
/// Not found when nobody asked, or the event was published since.
#[utoipa::path(
    get,
    path = "/events/{id}/review-request",
    tag = "events",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = ReviewRequest),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn event_review_request(
    State(state): State<AppState>,
    Staff(staff): Staff,
    RecordId(id): RecordId<path_ids::Event>,
) -> Result<Json<ReviewRequest>, ApiError> {
    Ok(Json(state.places.open_event_review_request(&staff, id).await?))
}

/// Asks a colleague to review the event as it is now, where the organisation publishes only after
/// a second person's review: then a colleague (another staff member or token of the
/// organisation) publishes it with `POST /events/{id}/publish`. A later change makes the request
/// stale; asking again replaces it.
#[utoipa::path(
    post,
    path = "/events/{id}/review-request",
    tag = "events",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = ReviewRequest),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn request_event_review(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Event>,
) -> Result<Response, ApiError> {
    let result = state.places.request_event_review(&staff, id).await;
    let action = "event.review_request";
    let (_, request) = audited(&state, &staff, &context, action, Some(id), result).await?;
    Ok((StatusCode::OK, Json(request)).into_response())
}

/// Archives an event (cancelled, ended).
#[utoipa::path(
    post,
    path = "/events/{id}/archive",
    tag = "events",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Event),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn archive_event(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Event>,
) -> Result<Response, ApiError> {
    let result = state.places.archive_event(&staff, id).await;
    let event = audited(&state, &staff, &context, "event.archive", Some(id), result).await?;
    Ok(respond(StatusCode::OK, event))
}

/// Every version of an event, oldest first: what was done, by whom, when, and the event's status
/// and content after it. For staff who may change the event.
#[utoipa::path(
    get,
    path = "/events/{id}/history",
    tag = "events",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = [RecordVersion<EventContent>]),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn event_history(
    State(state): State<AppState>,
    Staff(staff): Staff,
    RecordId(id): RecordId<path_ids::Event>,
) -> Result<Json<Vec<kosodate_places::EventVersion>>, ApiError> {
    Ok(Json(state.places.event_history(&staff, id).await?))
}

/// What a new event of a common kind starts from in the editor (title, description, audience,
/// how it repeats, its hours, sign-up and capacity).
#[utoipa::path(
    get,
    path = "/event-templates",
    tag = "events",
    responses((status = 200, body = Vec<kosodate_places::EventTemplate>))
)]
pub async fn event_templates() -> Json<Vec<kosodate_places::EventTemplate>> {
    Json(kosodate_places::event_templates())
}

/// Imports a spreadsheet of events (CSV in UTF-8 or Shift_JIS, or .xlsx), all or nothing: new
/// events as drafts; a row with the title and first day of an event of its owner that is not
/// archived replaces that event's content (its status kept), so a file imported twice is stored
/// once. Columns: 団体コード, 種類, タイトル, よみがな, 説明, 施設名 (a place of the same owner)
/// or 会場, くり返し (empty for once; 「毎週火・木」「第2火曜」「最終土曜」「毎月20日」), 開始日, 終了日,
/// 開始時刻, 終了時刻, 休みの日, 妊娠中 (○), 対象月齢（から）, 対象月齢（まで）, 対象学年（から）,
/// 対象学年（まで）, 対象の補足, 定員, 申込方法, 申込URL, 申込電話番号, 申込締切日,
/// 申込締切（何日前）, 参加費, 参加費の補足, 問い合わせ先, 問い合わせ電話番号, 問い合わせメール, ライセンス.
#[utoipa::path(
    post,
    path = "/events/import",
    tag = "events",
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
pub async fn import_events(
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
        ImportKind::Events,
        &sheet,
        query.dry_run,
    )
    .await??;
    Ok(Json(report))
}
