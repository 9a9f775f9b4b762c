use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
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
    /// The file's format; when absent, told by the `Content-Type` (`text/csv`,
    /// `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, `application/json`) or
    /// by the file name in `Content-Disposition` (`.csv`, `.xlsx`, `.json`).
    #[param(inline)]
    pub format: Option<ImportFormat>,
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
    request_body(content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (String = "application/json")
    ), description = "CSV (UTF-8 or Shift_JIS), an Excel workbook (.xlsx) or Tokyo registry JSON"),
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
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<ImportReport>, ApiError> {
    let format = match query.format {
        Some(format) => format,
        None => format_of(&headers)?,
    };
    let result = state
        .registry
        .import_file(&staff, format, &body, query.dry_run, |_| {})
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

/// The format the request's headers name: its content type, or the file name it was sent as
/// (`filename*=UTF-8''…` or a plain `filename="…"`, which clients often send as raw UTF-8).
pub(super) fn format_of(headers: &HeaderMap) -> Result<ImportFormat, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let disposition = headers
        .get(header::CONTENT_DISPOSITION)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let file_name = disposition.as_deref().and_then(|disposition| {
        disposition
            .split(';')
            .map(str::trim)
            .filter_map(|part| {
                part.strip_prefix("filename*=")
                    .and_then(|encoded| encoded.rsplit('\'').next())
                    .or_else(|| part.strip_prefix("filename="))
            })
            .map(|name| name.trim_matches('"'))
            .next()
    });
    ImportFormat::recognise(content_type, file_name).ok_or_else(|| {
        ApiError::invalid_query(
            "format",
            "ファイルの形式が分かりません。format に csv・xlsx・tokyo_json のいずれかを指定してください",
            "the format is neither given nor told by the content type or file name",
        )
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    #[param(inline)]
    pub format: ExportFormat,
}

/// Exports every program matching the filters as a file (CSV or an Excel workbook, or JSON open
/// data).
#[utoipa::path(
    get,
    path = "/programs/export",
    tag = "programs",
    params(ExportQuery, ProgramQuery),
    security((), ("staff_token" = []), ("staff_session" = [])),
    responses(
        (status = 200, description = "the file: CSV (text/csv), an Excel workbook (.xlsx) or JSON (application/json), by format"),
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
