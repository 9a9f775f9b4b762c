//! Evidence for policy over the API: the same views as the staff pages (`/staff/insights/...`,
//! staff token or session, `ViewInsights`, every call audited), as JSON or, with
//! `format=csv`, the same CSV files; and the open data (`/open-data/trends`), public, with
//! calibrated noise whose epsilon and mechanism the answer states (docs/insights.md).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use kosodate_domain::japan;
use kosodate_insights::{Gaps, OpenDataExport, TermReport, VolumeTable};

use crate::error::{ApiError, Problem};
use crate::evidence::{
    self, Format, GapsQuery, OPEN_DATA_EPSILON, OpenDataQuery, TOP_TERMS, TermsQuery, VolumesQuery,
};
use crate::extract::{ApiQuery, RequestContext, Staff};
use crate::state::AppState;

fn today() -> chrono::NaiveDate {
    japan::date_of(chrono::Utc::now())
}

/// Searches or questions per day, week or month, in all or by category, region, municipality
/// (small municipalities rolled up into their region) or child's age band. A count under 10 is
/// `null` (CSV: 10未満).
#[utoipa::path(get, path = "/staff/insights/volumes", tag = "insights", security(("staff_token" = []), ("staff_session" = [])), params(VolumesQuery),
    responses((status = 200, description = "JSON, or the table as CSV with format=csv", content((VolumeTable = "application/json"), (String = "text/csv"))), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn volumes(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    ApiQuery(query): ApiQuery<VolumesQuery>,
) -> Result<Response, ApiError> {
    let request = query.checked(today())?;
    evidence::authorize_view(&state, &staff, &context, "insights.view_volumes").await?;
    let table = request.table(&state).await?;
    Ok(match query.format {
        Some(Format::Csv) => request.csv_file(&table),
        _ => Json(table).into_response(),
    })
}

/// A week's most used terms (at least 10 distinct people each) and the terms rising against the
/// week before (one-sided exact test, Benjamini–Hochberg q-values at most 0.05).
#[utoipa::path(get, path = "/staff/insights/terms", tag = "insights", security(("staff_token" = []), ("staff_session" = [])), params(TermsQuery),
    responses((status = 200, description = "JSON, or the table named by `table` as CSV with format=csv", content((TermReport = "application/json"), (String = "text/csv"))), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn terms(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    ApiQuery(query): ApiQuery<TermsQuery>,
) -> Result<Response, ApiError> {
    let (source, week) = query.checked(today())?;
    evidence::authorize_view(&state, &staff, &context, "insights.view_terms").await?;
    let report = state.insights.terms(source, week, TOP_TERMS).await?;
    match query.format {
        Some(Format::Csv) => Ok(evidence::terms_file(&report, query.table, source)),
        _ => Ok(Json(report).into_response()),
    }
}

/// Searches that found nothing, questions no program relates to, questions unanswered after
/// `days` days, and searches whose results are rarely opened.
#[utoipa::path(get, path = "/staff/insights/gaps", tag = "insights", security(("staff_token" = []), ("staff_session" = [])), params(GapsQuery),
    responses((status = 200, description = "JSON, or the table named by `table` as CSV with format=csv", content((Gaps = "application/json"), (String = "text/csv"))), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn gaps(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    ApiQuery(query): ApiQuery<GapsQuery>,
) -> Result<Response, ApiError> {
    let (period, days) = query.checked(today())?;
    evidence::authorize_view(&state, &staff, &context, "insights.view_gaps").await?;
    let gaps = state.insights.gaps(period, days).await?;
    match query.format {
        Some(Format::Csv) => Ok(evidence::gaps_file(&gaps, query.table, period)),
        _ => Ok(Json(gaps).into_response()),
    }
}

/// Open data: the households that searched in each complete week (Monday to Sunday), for the whole
/// prefecture, with noise from the two-sided geometric mechanism at the stated `epsilon` (one
/// household counts once per weekly cell), clamped at 0 and suppressed under 10 (`null`). Each
/// cell's noise is fixed by a key the service keeps, so asking again gives the same answer. By
/// default the last twelve weeks.
#[utoipa::path(get, path = "/open-data/trends", tag = "insights", params(OpenDataQuery),
    responses((status = 200, description = "JSON, or the rows as CSV with format=csv", content((OpenDataExport = "application/json"), (String = "text/csv"))), (status = 400, body = Problem)))]
pub async fn open_data(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<OpenDataQuery>,
) -> Result<Response, ApiError> {
    let period = query.checked(today())?;
    let export = state.insights.open_data(period, OPEN_DATA_EPSILON).await?;
    Ok(match query.format {
        Some(Format::Csv) => {
            evidence::open_data_csv(&export).response(&format!("trends-{}.csv", period.from))
        }
        _ => Json(export).into_response(),
    })
}
