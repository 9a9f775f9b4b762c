use axum::Json;
use axum::extract::{Path, State};
use kosodate_domain::MunicipalityCode;
use kosodate_registry::Municipality;
use kosodate_registry::page::{Page, PageRequest};

use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// The prefecture and its municipalities, in code order.
#[utoipa::path(
    get,
    path = "/municipalities",
    tag = "municipalities",
    params(PageRequest),
    responses(
        (status = 200, body = Page<Municipality>),
        (status = 400, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn list_municipalities(
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> Result<Json<Page<Municipality>>, ApiError> {
    Ok(Json(state.registry.municipalities(&page).await?))
}

/// One municipality by its 全国地方公共団体コード (5 or 6 digits).
#[utoipa::path(
    get,
    path = "/municipalities/{code}",
    tag = "municipalities",
    params(CodePath),
    responses(
        (status = 200, body = Municipality),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "not a municipality code (the check digit is named)")
    )
)]
pub async fn get_municipality(
    State(state): State<AppState>,
    Path(CodePath { code: raw }): Path<CodePath>,
) -> Result<Json<Municipality>, ApiError> {
    let code = parse_code("/code", &raw)?;
    Ok(Json(state.registry.municipality(code).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CodePath {
    /// 全国地方公共団体コード (5 or 6 digits).
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub code: String,
}

/// A municipality code given as a query parameter.
pub fn query_code(parameter: &str, raw: &str) -> Result<MunicipalityCode, ApiError> {
    MunicipalityCode::parse(raw)
        .map_err(|error| ApiError::invalid_query(parameter, error.message_ja(), error.to_string()))
}

/// A municipality code in a JSON body, at `pointer`.
pub fn parse_code(pointer: &str, raw: &str) -> Result<MunicipalityCode, ApiError> {
    MunicipalityCode::parse(raw).map_err(|error| {
        ApiError::invalid_input(
            vec![serde_json::json!({"pointer": pointer, "detail": error.message_ja(), "detail_en": error.to_string()})],
            error.to_string(),
        )
    })
}
