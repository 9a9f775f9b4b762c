//! `/staff/import`: many programs at once from a spreadsheet (CSV in UTF-8 or Shift_JIS, or an
//! Excel workbook). The upload is kept in the database (`Registry::stage_import`) and the page
//! redirects to its dry run, `/staff/import/{id}`: what would be created, what would change field
//! by field, how many stay as they are, and every problem with its row and column. 「すべて反映
//! する」 posts only the id (in the path) and the CSRF token; the apply first plans again and,
//! should the registry have changed since the plan shown, shows the new plan instead of applying
//! it. The registry's import is all or nothing and checks each record against the staff member's
//! permissions, exactly as the JSON API's import does.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use kosodate_registry::audit::Outcome;
use kosodate_registry::import::staged::{StagedImport, StagedSubject, plan_digest};
use kosodate_registry::import::{ImportAction, ImportError, ImportItem, ImportReport};
use kosodate_registry::{RegistryError, StaffIdentity};
use serde::Deserialize;

use super::StaffChrome;
use super::changes::ChangeInWords;
use super::upload::{ProblemRow, problem_rows};
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::visitor::{SignedInStaff, StaffForm};
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

const HERE: &str = "/staff/import";

#[derive(Template)]
#[template(path = "staff/import.html")]
struct UploadPage {
    chrome: StaffChrome,
    file_error: Option<&'static str>,
    exports: Vec<(String, &'static str)>,
}

/// The organisation's programs as files, through the JSON API's export (which sees the session).
fn export_links(staff: &StaffIdentity) -> Vec<(String, &'static str)> {
    let owner = staff
        .role
        .organisation()
        .map(|code| format!("&owner={code}"))
        .unwrap_or_default();
    vec![
        (
            format!("/api/v1/programs/export?format=xlsx{owner}"),
            "Excel（.xlsx）で書き出す",
        ),
        (
            format!("/api/v1/programs/export?format=csv{owner}"),
            "CSV（UTF-8）で書き出す",
        ),
    ]
}

async fn upload_page(
    state: &AppState,
    staff: &SignedInStaff,
    status: StatusCode,
    file_error: Option<&'static str>,
) -> Response {
    let page = UploadPage {
        chrome: StaffChrome::load(state, staff, HERE).await,
        file_error,
        exports: export_links(&staff.identity),
    };
    crate::pages::html(status, &page)
}

pub async fn page(State(state): State<AppState>, staff: SignedInStaff) -> Response {
    upload_page(&state, &staff, StatusCode::OK, None).await
}

pub async fn upload(State(state): State<AppState>, staff: SignedInStaff, multipart: Multipart) -> Response {
    let posted = match super::upload::read(&staff, multipart).await {
        Ok(posted) => posted,
        Err(refused) => return refused,
    };
    match super::upload::spreadsheet(posted.upload) {
        Ok(file) => super::upload::stage(&state, &staff, StagedSubject::Programs, file, HERE).await,
        Err(message) => upload_page(&state, &staff, StatusCode::UNPROCESSABLE_ENTITY, Some(message)).await,
    }
}

#[derive(Template)]
#[template(path = "staff/import_review.html")]
struct ReviewPage {
    chrome: StaffChrome,
    id: String,
    file_name: String,
    /// The registry changed since the plan last shown: this is a new plan.
    replanned: bool,
    created: Vec<ItemRow>,
    changed: Vec<ItemRow>,
    unchanged: usize,
    problems: Vec<ProblemRow>,
}

#[derive(Debug)]
struct ItemRow {
    line: usize,
    name: String,
    status: &'static str,
    changes: Vec<ChangeInWords>,
}

impl ItemRow {
    fn of(item: &ImportItem) -> Self {
        Self {
            line: item.line,
            name: item.name.clone(),
            status: kosodate_domain::Vocabulary::label_ja(item.status),
            changes: item.changes.iter().map(ChangeInWords::of).collect(),
        }
    }
}

/// What planning the staged file gave: a plan, or every problem with it.
enum Planned {
    Plan(ImportReport),
    Problems(Vec<ImportError>),
}

/// Plans the staged file without writing (and records the check in the audit log).
async fn dry_run(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    staged: &StagedImport,
) -> Result<Planned, ApiError> {
    let result = state
        .registry
        .import_file(staff, staged.format, &staged.content, true, |_| {})
        .await;
    let outcome = match &result {
        Ok(_) => Outcome::Allowed,
        Err(_) => Outcome::Failed,
    };
    let organisation = staff.role.organisation();
    crate::audit::staff_action(
        state,
        staff,
        context,
        "program.import_check",
        organisation,
        outcome,
    )
    .await?;
    match result {
        Ok(report) => Ok(Planned::Plan(report)),
        Err(RegistryError::Import(errors)) => Ok(Planned::Problems(errors.0)),
        Err(other) => Err(other.into()),
    }
}

async fn review_page(
    state: &AppState,
    staff: &SignedInStaff,
    staged: &StagedImport,
    planned: Planned,
    replanned: bool,
) -> Result<Response, ApiError> {
    let chrome = StaffChrome::load(state, staff, HERE).await;
    let mut page = ReviewPage {
        chrome,
        id: staged.id.clone(),
        file_name: staged.file_name.clone(),
        replanned,
        created: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
        problems: Vec::new(),
    };
    match planned {
        Planned::Plan(report) => {
            state
                .registry
                .note_checked_plan(&staged.id, &plan_digest(&report))
                .await?;
            let rows = |action| report.items.iter().filter(move |item| item.action == action);
            page.created = rows(ImportAction::Create).map(ItemRow::of).collect();
            page.changed = rows(ImportAction::Update).map(ItemRow::of).collect();
            page.unchanged = report.unchanged;
        }
        Planned::Problems(problems) => {
            page.problems = problem_rows(&problems);
        }
    }
    let status = match page.problems.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok(crate::pages::html(status, &page))
}

pub async fn review(
    State(state): State<AppState>,
    staff: SignedInStaff,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::StagedImport>,
) -> Result<Response, ApiError> {
    let staged = state
        .registry
        .staged_import(&staff.identity, &[StagedSubject::Programs], id, Utc::now())
        .await?;
    let planned = dry_run(&state, &staff.identity, &context, &staged).await?;
    review_page(&state, &staff, &staged, planned, false).await
}

/// The apply form carries nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct ApplyForm {}

#[derive(Template)]
#[template(path = "staff/import_done.html")]
struct DonePage {
    chrome: StaffChrome,
    file_name: String,
    report: ImportReport,
}

pub async fn apply(
    State(state): State<AppState>,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::StagedImport>,
    form: StaffForm<ApplyForm>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let staged = state
        .registry
        .staged_import(&staff.identity, &[StagedSubject::Programs], id, Utc::now())
        .await?;
    let planned = dry_run(&state, &staff.identity, &context, &staged).await?;
    let unchanged_since_shown = match &planned {
        Planned::Plan(report) => staged.checked_plan.as_deref() == Some(plan_digest(report).as_str()),
        Planned::Problems(_) => false,
    };
    if !unchanged_since_shown {
        return review_page(&state, &staff, &staged, planned, true).await;
    }
    // The write re-plans inside its transaction should anything change from here on.
    let result = state
        .registry
        .import_file(&staff.identity, staged.format, &staged.content, false, |_| {})
        .await;
    let outcome = match &result {
        Ok(_) => Outcome::Allowed,
        Err(_) => Outcome::Failed,
    };
    let organisation = staff.identity.role.organisation();
    crate::audit::staff_action(
        &state,
        &staff.identity,
        &context,
        "program.import",
        organisation,
        outcome,
    )
    .await?;
    let report = match result {
        Ok(report) => report,
        Err(RegistryError::Import(errors)) => {
            return review_page(&state, &staff, &staged, Planned::Problems(errors.0), true).await;
        }
        Err(other) => return Err(other.into()),
    };
    state.registry.discard_staged_import(&staged.id).await?;
    tracing::info!(
        actor = %staff.identity.name,
        created = report.created,
        updated = report.updated,
        unchanged = report.unchanged,
        "programs imported from the staff page"
    );
    if report.created + report.updated > 0 {
        crate::rematch::everything_later(state.matching.clone());
        state.search.follower.nudge();
    }
    let page = DonePage {
        chrome: StaffChrome::load(&state, &staff, HERE).await,
        file_name: staged.file_name,
        report,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}
