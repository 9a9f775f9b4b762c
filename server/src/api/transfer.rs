use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use kosodate_registry::import::ImportReport;
use kosodate_registry::transfer::{ExportFormat, ImportFormat};
use serde::Deserialize;
use utoipa::IntoParams;

use super::programs::{ProgramQuery, visibility};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use kosodate_registry::RegistryError;
use kosodate_registry::audit::Outcome;

use crate::extract::{ApiQuery, Body, MaybeStaff, RequestContext, Staff};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    #[param(inline)]
    pub format: ImportFormat,
    /// Report what would be created or changed without keeping anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// Imports a whole file, all or nothing. Programs are matched by `ID` when the file has one, else
/// by owner and name; new ones are drafts unless the file gives a status.
#[utoipa::path(
    post,
    path = "/programs/import",
    tag = "programs",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "CSV (UTF-8 or Shift_JIS) or Tokyo registry JSON"),
    security(("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, body = ImportReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "every problem, by line and column; nothing was imported")
    )
)]
pub async fn import_programs(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    ApiQuery(query): ApiQuery<ImportQuery>,
    Body(body): Body,
) -> Result<Json<ImportReport>, ApiError> {
    let result = state
        .registry
        .import_file(&staff, query.format, &body, query.dry_run, |_| {})
        .await;
    let outcome = match &result {
        Ok(_) => Outcome::Allowed,
        Err(RegistryError::Forbidden { .. }) => Outcome::Denied,
        Err(_) => Outcome::Failed,
    };
    let action = match query.dry_run {
        true => "program.import_check",
        false => "program.import",
    };
    crate::audit::staff_action(
        &state,
        &staff,
        &context,
        action,
        staff.role.organisation(),
        outcome,
    )
    .await?;
    let report = result?;
    tracing::info!(
        actor = %staff.name,
        dry_run = report.dry_run,
        created = report.created,
        updated = report.updated,
        unchanged = report.unchanged,
        "programs imported"
    );
    if !report.dry_run && report.created + report.updated > 0 {
        crate::rematch::everything_later(state.matching.clone());
        state.search.follower.nudge();
    }
    Ok(Json(report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    #[param(inline)]
    pub format: ExportFormat,
}

/// Exports every program matching the filters as a file (CSV for Excel, or JSON open data).
#[utoipa::path(
    get,
    path = "/programs/export",
    tag = "programs",
    params(ExportQuery, ProgramQuery),
    security((), ("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, description = "the file: CSV (text/csv) or JSON (application/json), by format"),
        (status = 400, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn export_programs(
    State(state): State<AppState>,
    staff: MaybeStaff,
    ApiQuery(query): ApiQuery<ExportQuery>,
    ApiQuery(filter): ApiQuery<ProgramQuery>,
) -> Result<Response, ApiError> {
    let filter = filter.filter()?;
    let chunks = state
        .registry
        .export(query.format, &filter, visibility(&staff))
        .await?;
    // The status is sent before the last page is read: a failure then can only end the body
    // early, which the client sees as a cut-off download. It is logged with its causes.
    let chunks = chunks.inspect_err(|error| {
        tracing::error!(error = %kosodate_domain::error_chain(error), "an export stopped part-way");
    });
    let mut response = axum::body::Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(query.format.content_type()),
    );
    if let Ok(disposition) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", query.format.file_name()))
    {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}
