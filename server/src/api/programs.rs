use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_domain::ProgramId;
use kosodate_registry::page::{Page, PageRequest};
use kosodate_registry::{
    Category, Program, ProgramFilter, ProgramInput, ProgramOwner, ProgramStatus, ProgramVersion, Visibility,
    review::ReviewRequest,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::municipalities::query_code;
use crate::audit;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, JsonBody, MaybeStaff, RequestContext, Staff};
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

/// Filters for listing and exporting programs.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgramQuery {
    /// Programs run by this owner: `national` or a 全国地方公共団体コード.
    #[param(schema_with = kosodate_registry::seed::owner_schema)]
    pub owner: Option<String>,
    /// Programs that apply to residents of this municipality (its own, the prefecture's and the
    /// national ones).
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub applies_to: Option<String>,
    pub category: Option<Category>,
    /// Programs of this 制度類型: a key of the program type catalogue (`GET /program-types`) or
    /// its Japanese name.
    #[param(schema_with = kosodate_registry::program_types::key_schema)]
    pub program_type: Option<String>,
    /// Staff only; the public always sees published programs.
    pub status: Option<ProgramStatus>,
}

impl ProgramQuery {
    pub fn filter(&self) -> Result<ProgramFilter, ApiError> {
        let owner = self
            .owner
            .as_deref()
            .map(|raw| match ProgramOwner::parse(raw) {
                Ok(owner) => Ok(owner),
                Err(_) => query_code("owner", raw).map(ProgramOwner::Local),
            })
            .transpose()?;
        let applies_to = self
            .applies_to
            .as_deref()
            .map(|raw| query_code("applies_to", raw))
            .transpose()?;
        let program_type = self
            .program_type
            .as_deref()
            .map(
                |raw| match kosodate_registry::program_types::find_by_key_or_name(raw) {
                    Some(program_type) => Ok(program_type.key.clone()),
                    None => Err(ApiError::invalid_query(
                        "program_type",
                        format!("制度類型「{raw}」は制度類型の一覧にありません"),
                        format!("unknown program type {raw:?}"),
                    )),
                },
            )
            .transpose()?;
        Ok(ProgramFilter {
            owner,
            applies_to,
            category: self.category,
            program_type,
            status: self.status,
        })
    }
}

pub fn visibility(staff: &MaybeStaff) -> Visibility {
    match staff.0 {
        Some(_) => Visibility::Staff,
        None => Visibility::Public,
    }
}

/// The program with its version as a strong `ETag`, for `If-Match` on the next update.
fn with_etag(status: StatusCode, program: Program) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", program.version)).ok();
    let location = HeaderValue::from_str(&format!("/api/v1/programs/{}", program.id)).ok();
    let mut response = (status, Json(program)).into_response();
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

/// What follows a change to a program: households are matched again, and this process's search
/// index looks at once (other processes see it at their next poll).
fn program_changed(state: &AppState, id: ProgramId) {
    crate::rematch::program_later(state.matching.clone(), id);
    state.search.follower.nudge();
}

/// Programs, filtered, in creation order.
#[utoipa::path(
    get,
    path = "/programs",
    tag = "programs",
    params(ProgramQuery, PageRequest),
    security((), ("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Page<Program>),
        (status = 400, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn list_programs(
    State(state): State<AppState>,
    staff: MaybeStaff,
    ApiQuery(query): ApiQuery<ProgramQuery>,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> Result<Json<Page<Program>>, ApiError> {
    let filter = query.filter()?;
    let page = state
        .registry
        .list_programs(&filter, visibility(&staff), &page)
        .await?;
    Ok(Json(page))
}

/// Creates a program as a draft.
#[utoipa::path(
    post,
    path = "/programs",
    tag = "programs",
    request_body = ProgramInput,
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 201, body = Program),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn create_program(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    JsonBody(input): JsonBody<ProgramInput>,
) -> Result<Response, ApiError> {
    let result = state.registry.create_program(&staff, &input).await;
    let program = audit::program_action(&state, &staff, &context, "program.create", None, result).await?;
    tracing::info!(program_id = %program.id, actor = %staff.name, "program created");
    Ok(with_etag(StatusCode::CREATED, program))
}

/// One program. Drafts and archived programs are visible to staff only.
#[utoipa::path(
    get,
    path = "/programs/{id}",
    tag = "programs",
    params(("id" = String, Path, format = Uuid)),
    security((), ("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Program),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn get_program(
    State(state): State<AppState>,
    staff: MaybeStaff,
    RecordId(id): RecordId<path_ids::Program>,
) -> Result<Response, ApiError> {
    let program = state.registry.program(id, visibility(&staff)).await?;
    Ok(with_etag(StatusCode::OK, program))
}

/// Replaces a program's content. Send the `ETag` you read as `If-Match` to be told (412) when a
/// colleague changed it meanwhile instead of overwriting their change.
#[utoipa::path(
    put,
    path = "/programs/{id}",
    tag = "programs",
    params(
        ("id" = String, Path, format = Uuid),
        IfMatch
    ),
    request_body = ProgramInput,
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Program),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn update_program(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Program>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<ProgramInput>,
) -> Result<Response, ApiError> {
    let expected_version = if_match_version(&headers)?;
    let result = state
        .registry
        .update_program(&staff, id, &input, expected_version)
        .await;
    let program = audit::program_action(
        &state,
        &staff,
        &context,
        "program.update",
        Some(id.to_string()),
        result,
    )
    .await?;
    tracing::info!(program_id = %program.id, version = program.version, actor = %staff.name, "program updated");
    program_changed(&state, program.id);
    Ok(with_etag(StatusCode::OK, program))
}

/// The `If-Match` header as the document describes it; the handler reads it from the headers.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // describes the header, for the OpenAPI document only
pub(super) struct IfMatch {
    /// The ETag (version) last read, or `*` for whatever version is current.
    #[param(
        rename = "If-Match",
        required = false,
        pattern = r#"^(\*|(W/)?"[0-9]{1,9}")$"#
    )]
    if_match: String,
}

pub(super) fn if_match_version(headers: &HeaderMap) -> Result<Option<i32>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().ok().map(str::trim);
    // RFC 9110 13.1.1: `*` matches whatever version is current.
    if value == Some("*") {
        return Ok(None);
    }
    value
        .map(|v| v.strip_prefix("W/").unwrap_or(v))
        .and_then(|v| v.strip_prefix('"')?.strip_suffix('"'))
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid-if-match",
                "If-Match が正しくありません",
                "If-Match には読み込んだときの ETag（例: \"3\"）をそのまま指定してください",
                "If-Match must be the ETag that was read",
            )
        })
}

/// Publishes a draft: parents can see it from now on.
#[utoipa::path(
    post,
    path = "/programs/{id}/publish",
    tag = "programs",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Program),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn publish_program(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Program>,
) -> Result<Response, ApiError> {
    let result = state.registry.publish_program(&staff, id).await;
    let program = audit::program_action(
        &state,
        &staff,
        &context,
        "program.publish",
        Some(id.to_string()),
        result,
    )
    .await?;
    tracing::info!(program_id = %program.id, actor = %staff.name, "program published");
    program_changed(&state, program.id);
    Ok(with_etag(StatusCode::OK, program))
}

/// The program's open request for a colleague's review, for staff who may change it: who asked,
/// when, and about which version. A request whose `version` is older than the program's is stale.
/// Not found when nobody asked, or the program was published since.
#[utoipa::path(
    get,
    path = "/programs/{id}/review-request",
    tag = "programs",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = ReviewRequest),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn program_review_request(
    State(state): State<AppState>,
    Staff(staff): Staff,
    RecordId(id): RecordId<path_ids::Program>,
) -> Result<Json<ReviewRequest>, ApiError> {
    Ok(Json(state.registry.open_review_request(&staff, id).await?))
}

/// Asks a colleague to review the program as it is now, where the organisation publishes only
/// after a second person's review: then a colleague (another staff member or token of the
/// organisation) publishes it with `POST /programs/{id}/publish`. A later change makes the request
/// stale; asking again replaces it.
#[utoipa::path(
    post,
    path = "/programs/{id}/review-request",
    tag = "programs",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = ReviewRequest),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn request_program_review(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Program>,
) -> Result<Response, ApiError> {
    let result = state.registry.request_review(&staff, id).await;
    let (_, request) = audit::program_action(
        &state,
        &staff,
        &context,
        "program.review_request",
        Some(id.to_string()),
        result,
    )
    .await?;
    Ok((StatusCode::OK, Json(request)).into_response())
}

/// Archives a program (ended or replaced). Its history is kept.
#[utoipa::path(
    post,
    path = "/programs/{id}/archive",
    tag = "programs",
    params(("id" = String, Path, format = Uuid)),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Program),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn archive_program(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Program>,
) -> Result<Response, ApiError> {
    let result = state.registry.archive_program(&staff, id).await;
    let program = audit::program_action(
        &state,
        &staff,
        &context,
        "program.archive",
        Some(id.to_string()),
        result,
    )
    .await?;
    tracing::info!(program_id = %program.id, actor = %staff.name, "program archived");
    program_changed(&state, program.id);
    Ok(with_etag(StatusCode::OK, program))
}

/// Every version of a program, oldest first: who changed which fields, when, and the program as
/// it stood after each change.
#[utoipa::path(
    get,
    path = "/programs/{id}/history",
    tag = "programs",
    params(("id" = String, Path, format = Uuid), PageRequest),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = Page<ProgramVersion>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn program_history(
    State(state): State<AppState>,
    Staff(_staff): Staff,
    RecordId(id): RecordId<path_ids::Program>,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> Result<Json<Page<ProgramVersion>>, ApiError> {
    Ok(Json(state.registry.history(id, &page).await?))
}
