use axum::Json;
use axum::extract::{Path, State};
use kosodate_registry::coverage::MunicipalityGaps;
use kosodate_registry::program_types::{self, ProgramType};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// The catalogue of program types (制度類型), each with the template a program of the type
/// starts from, in life-stage order.
#[utoipa::path(
    get,
    path = "/program-types",
    tag = "programs",
    responses((status = 200, body = Vec<ProgramType>))
)]
pub async fn list_program_types() -> Json<&'static [ProgramType]> {
    Json(program_types::catalogue())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TypePath {
    /// The type's key, e.g. `vaccine_bcg`.
    pub key: String,
}

/// One program type by its key.
#[utoipa::path(
    get,
    path = "/program-types/{key}",
    tag = "programs",
    params(TypePath),
    responses(
        (status = 200, body = ProgramType),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn get_program_type(
    Path(TypePath { key }): Path<TypePath>,
) -> Result<Json<&'static ProgramType>, ApiError> {
    program_types::find(&key).map(Json).ok_or_else(|| {
        ApiError::not_found(
            format!("制度類型「{key}」は見つかりません"),
            format!("no program type {key:?}"),
        )
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GapsQuery {
    /// A type is common when at least this percentage of the 40 municipalities publish it
    /// (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub min_percent: Option<u8>,
}

/// Per municipality, the program types most municipalities publish and it does not (a national
/// or prefectural program of a type applies everywhere, so it is never a gap). Published
/// programs only.
#[utoipa::path(
    get,
    path = "/program-types/gaps",
    tag = "programs",
    params(GapsQuery),
    responses(
        (status = 200, body = Vec<MunicipalityGaps>),
        (status = 400, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn missing_common_types(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<GapsQuery>,
) -> Result<Json<Vec<MunicipalityGaps>>, ApiError> {
    let percent = query.min_percent.unwrap_or(50);
    if !(1..=100).contains(&percent) {
        return Err(ApiError::invalid_query(
            "min_percent",
            "min_percent は1〜100で指定してください",
            "min_percent must be between 1 and 100",
        ));
    }
    let gaps = state
        .registry
        .missing_common_types(f64::from(percent) / 100.0)
        .await?;
    Ok(Json(gaps))
}
