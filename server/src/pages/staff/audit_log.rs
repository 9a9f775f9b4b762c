//! `/staff/audit`: the audit log, newest first, narrowed by a GET form (organisation for the
//! prefecture, kind of action, outcome, days), a page at a time. Municipal staff see what was
//! done to their organisation's data and what their own staff did, as through the API.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{Vocabulary, japan};
use kosodate_registry::audit::{self, AuditRecord, Outcome};
use kosodate_registry::{StaffAction, StaffRole};
use strum::VariantArray;

use super::StaffChrome;
use crate::audit::{AuditQuery, authorize};
use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestContext};
use crate::pages::places::{Places, Region};
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    chrome: StaffChrome,
    query: AuditQuery,
    /// Empty for municipal staff, who see their own organisation only.
    regions: Vec<Region>,
    prefecture: Option<(String, String)>,
    actions: Vec<String>,
    outcomes: Vec<(&'static str, &'static str)>,
    entries: Vec<EntryRow>,
    next_page: Option<String>,
}

struct EntryRow {
    when: String,
    actor: String,
    action: String,
    target: String,
    organisation: String,
    outcome: &'static str,
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    context: RequestContext,
    ApiQuery(form): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    let mut query = form.without_empty_fields();
    if let StaffRole::Municipal(code) = staff.identity.role {
        query.municipality = Some(code.to_string());
    }
    let filter = query.filter()?;
    let action = StaffAction::ViewAuditLog(filter.scope);
    authorize(
        &state,
        &staff.identity,
        &context,
        action,
        "audit.view",
        filter.scope,
    )
    .await?;
    let db = state.registry.connection();
    let entries = audit::list(db, &filter, &query.page()).await?;
    let places = Places::load(&state).await?;
    let next_page = entries
        .next_cursor
        .as_deref()
        .map(|cursor| next_page_href(&query, cursor));
    let prefecture_wide = !matches!(staff.identity.role, StaffRole::Municipal(_));
    let page = AuditPage {
        chrome: StaffChrome::load(&state, &staff, "/staff/audit").await,
        regions: if prefecture_wide {
            places.regions.clone()
        } else {
            Vec::new()
        },
        prefecture: places
            .prefecture
            .clone()
            .filter(|_| prefecture_wide)
            .map(|place| (place.code, place.name)),
        actions: audit::actions(db).await?,
        outcomes: Outcome::VARIANTS
            .iter()
            .map(|outcome| (outcome.id(), outcome.label_ja()))
            .collect(),
        entries: entries.items.iter().map(|entry| row(entry, &places)).collect(),
        next_page,
        query,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

fn row(entry: &AuditRecord, places: &Places) -> EntryRow {
    EntryRow {
        when: japan::local(entry.occurred_at)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        actor: entry.actor.clone(),
        action: entry.action.clone(),
        target: entry.target.clone().unwrap_or_default(),
        organisation: entry
            .municipality_code
            .as_deref()
            .map(|code| places.name_of(code))
            .unwrap_or_default(),
        outcome: Outcome::parse(&entry.outcome).map_or("不明", Outcome::label_ja),
    }
}

/// The same filters with the cursor of the next page.
fn next_page_href(query: &AuditQuery, cursor: &str) -> String {
    let mut href = form_urlencoded::Serializer::new(String::new());
    let filters = [
        ("municipality", &query.municipality),
        ("action", &query.action),
        ("outcome", &query.outcome),
        ("from", &query.from),
        ("until", &query.until),
    ];
    for (name, value) in filters {
        if let Some(value) = value.as_deref().filter(|value| !value.is_empty()) {
            href.append_pair(name, value);
        }
    }
    href.append_pair("cursor", cursor);
    format!("/staff/audit?{}", href.finish())
}
