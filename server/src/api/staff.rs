//! Staff endpoints besides the registry: household counts (never individuals; under 10 shows as
//! "<10"), the audit log, and registering a resident's household at a municipal counter with the
//! paper consent they signed. Every request here is checked by `StaffIdentity::permits` and
//! recorded in the audit log, allowed or denied.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kosodate_domain::MunicipalityCode;
use kosodate_households::{ConsentPurpose, HouseholdInput, MunicipalityCounts};
use kosodate_registry::StaffAction;
use kosodate_registry::audit::{AuditActor, AuditRecord};
use kosodate_registry::page::Page;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::municipalities::{parse_code, query_code};
use crate::audit;
use crate::audit::AuditQuery;
pub(super) use crate::audit::authorize;
use crate::counter;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, JsonBody, RequestContext, Staff};
use crate::path_ids::{self, RecordId};
use crate::state::AppState;
use kosodate_domain::Vocabulary;
use kosodate_domain::japan;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScopeQuery {
    /// One municipality (全国地方公共団体コード); absent means every municipality (prefecture
    /// staff and administrators).
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub municipality: Option<String>,
}

pub(super) fn scope(query: &ScopeQuery) -> Result<Option<MunicipalityCode>, ApiError> {
    query
        .municipality
        .as_deref()
        .map(|raw| query_code("municipality", raw))
        .transpose()
}

/// Household counts per municipality: registered households, active consents per purpose,
/// households registered at a counter, deletions per month. A count under 10 is "<10".
#[utoipa::path(get, path = "/staff/counts", tag = "staff", security(("staff_token" = []), ("staff_session" = [])), params(ScopeQuery),
    responses((status = 200, body = Vec<MunicipalityCounts>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn counts(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    ApiQuery(query): ApiQuery<ScopeQuery>,
) -> Result<Json<Vec<MunicipalityCounts>>, ApiError> {
    let scope = scope(&query)?;
    authorize(
        &state,
        &staff,
        &context,
        StaffAction::ViewCounts(scope),
        "counts.view",
        scope,
    )
    .await?;
    Ok(Json(state.households.counts(scope).await?))
}

/// The audit log, newest first: every staff action and every access to personal data. Municipal
/// staff see their own organisation's entries.
#[utoipa::path(get, path = "/staff/audit-log", tag = "staff", security(("staff_token" = []), ("staff_session" = [])), params(AuditQuery),
    responses((status = 200, body = Page<AuditRecord>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn audit_log(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Page<AuditRecord>>, ApiError> {
    let filter = query.filter()?;
    authorize(
        &state,
        &staff,
        &context,
        StaffAction::ViewAuditLog(filter.scope),
        "audit.view",
        filter.scope,
    )
    .await?;
    let entries = kosodate_registry::audit::list(state.registry.connection(), &filter, &query.page()).await?;
    Ok(Json(entries))
}

/// A resident's household entered at the counter (窓口代理登録).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterRegistration {
    pub household: HouseholdInput,
    /// The purposes the resident agreed to on the paper form (current texts).
    pub paper_consents: Vec<String>,
    /// The staff member confirms the signed paper form is kept.
    pub paper_form_kept: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CounterReceipt {
    /// Written on the resident's copy of the form: with it, the counter can delete the data later.
    pub household_id: String,
}

/// Registers a resident's household at the counter of the staff member's own municipality, with
/// the consents given on paper. The household's data is not shown back.
#[utoipa::path(post, path = "/staff/households", tag = "staff", security(("staff_token" = []), ("staff_session" = [])), request_body = CounterRegistration,
    responses((status = 201, body = CounterReceipt), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn register_at_counter(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    JsonBody(registration): JsonBody<CounterRegistration>,
) -> Result<Response, ApiError> {
    let code = parse_code(
        "/household/municipality_code",
        &registration.household.municipality_code,
    )?;
    counter::authorize(&state, &staff, &context, code).await?;
    if !registration.paper_form_kept {
        return Err(invalid(
            "/paper_form_kept",
            "署名された同意書を保管してから登録してください",
            "keep the signed form first",
        ));
    }
    let consents = registration
        .paper_consents
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            // The community is joined online under a display name, never on paper.
            ConsentPurpose::parse(raw)
                .filter(|purpose| *purpose != ConsentPurpose::Community)
                .ok_or_else(|| {
                    invalid(
                        &format!("/paper_consents/{index}"),
                        "同意の目的が正しくありません",
                        "unknown purpose",
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let valid = registration
        .household
        .validate(japan::date_of(chrono::Utc::now()))
        .map_err(kosodate_households::HouseholdError::Invalid)?;
    let id = counter::register(&state, &staff, &context, &valid, consents, None).await?;
    Ok((
        StatusCode::CREATED,
        Json(CounterReceipt {
            household_id: id.to_string(),
        }),
    )
        .into_response())
}

/// Deletes a household registered at the counter, at the resident's request (they bring the
/// receipt). Only the municipality where it lives may.
#[utoipa::path(delete, path = "/staff/households/{id}", tag = "staff", security(("staff_token" = []), ("staff_session" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_at_counter(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Household>,
) -> Result<Response, ApiError> {
    let record = state.households.record(id).await?;
    let code = record.household.municipality;
    authorize(
        &state,
        &staff,
        &context,
        StaffAction::RegisterAtCounter(code),
        "household.delete_at_counter",
        Some(code),
    )
    .await?;
    state.households.delete_household(id).await?;
    audit::personal_data(
        &state,
        AuditActor::Staff(&staff),
        &context,
        "household.delete",
        Some(id),
        Some(code),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn invalid(pointer: &str, detail: &str, detail_en: &str) -> ApiError {
    ApiError::invalid_input(
        vec![serde_json::json!({"pointer": pointer, "detail": detail, "detail_en": detail_en})],
        detail_en,
    )
}
