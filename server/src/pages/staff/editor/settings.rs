//! `/staff/settings`: the organisation's own settings, which its staff change themselves; today
//! one: 「公開前に別の職員の確認を必要とする」.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_registry::audit::Outcome;
use serde::Deserialize;

use crate::audit;
use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestContext};
use crate::pages::staff::StaffChrome;
use crate::pages::visitor::{SignedInStaff, StaffForm};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/settings.html")]
struct SettingsPage {
    chrome: StaffChrome,
    /// `None` for administrators, who belong to no organisation.
    review_required: Option<bool>,
    saved: bool,
}

#[derive(Debug, Deserialize)]
pub struct SettingsQuery {
    saved: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    ApiQuery(query): ApiQuery<SettingsQuery>,
) -> Result<Response, ApiError> {
    let review_required = match staff.identity.role.organisation() {
        Some(organisation) => Some(state.registry.review_before_publishing(organisation).await?),
        None => None,
    };
    let page = SettingsPage {
        chrome: StaffChrome::load(&state, &staff, "/staff/settings").await,
        review_required,
        saved: query.saved.is_some(),
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
pub struct SettingsFields {
    review_before_publishing: Option<String>,
}

pub async fn save(
    State(state): State<AppState>,
    context: RequestContext,
    form: StaffForm<SettingsFields>,
) -> Result<Response, ApiError> {
    let StaffForm { staff, fields } = form;
    let Some(organisation) = staff.identity.role.organisation() else {
        return Err(ApiError::forbidden(
            "運営者には団体の設定がありません",
            "administrators belong to no organisation",
        ));
    };
    let required = fields.review_before_publishing.is_some();
    let result = state
        .registry
        .set_review_before_publishing(&staff.identity, organisation, required)
        .await;
    let outcome = match &result {
        Ok(()) => Outcome::Allowed,
        Err(_) => Outcome::Failed,
    };
    audit::staff_action(
        &state,
        &staff.identity,
        &context,
        "organisation.review_setting",
        Some(organisation),
        outcome,
    )
    .await?;
    result?;
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/staff/settings?saved=1")],
    )
        .into_response())
}
