//! `/staff/places/import`: many places or events at once from a spreadsheet (CSV in UTF-8 or
//! Shift_JIS, or Excel .xlsx), the columns the JSON API's import reads. As on the programs'
//! import page, the upload is kept in the database (`Registry::stage_import`, subject places or
//! events) and the page redirects to its dry run, `/staff/places/import/{id}`: what would be
//! created, updated (a row that is a record already, see `kosodate_places::import`) or left as
//! it is, or every problem by line and column. 「取り込む」 posts only the id and the CSRF token;
//! the apply plans again first and, should the records have changed since the plan shown, shows
//! the new plan instead of writing it. Checks and imports are audited as the API's are.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use kosodate_places::PlacesError;
use kosodate_places::import::{ImportKind, ImportReport, ImportedRow, Sheet, headers};
use kosodate_registry::import::ImportError;
use kosodate_registry::import::staged::{StagedImport, StagedSubject, digest_of};
use kosodate_registry::transfer::ImportFormat;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::staff::StaffChrome;
use crate::pages::staff::form_fields::field;
use crate::pages::staff::upload::{self, ProblemRow, problem_rows};
use crate::pages::visitor::{SignedInStaff, StaffForm};
use crate::path_ids::{self, RecordId};
use crate::places::import_audited;
use crate::state::AppState;

const HERE: &str = "/staff/places/import";
const SUBJECTS: &[StagedSubject] = &[StagedSubject::Places, StagedSubject::Events];

#[derive(Template)]
#[template(path = "staff/places_import.html")]
struct UploadPage {
    chrome: StaffChrome,
    /// `places` or `events`: what the form imports.
    kind: &'static str,
    file_error: Option<&'static str>,
    place_headers: Vec<&'static str>,
    event_headers: Vec<&'static str>,
}

impl UploadPage {
    fn is(&self, kind: &str) -> bool {
        self.kind == kind
    }
}

/// `?kind=events` opens the form for events.
#[derive(Debug, Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

fn subject_of(kind: &str) -> StagedSubject {
    match kind {
        "events" => StagedSubject::Events,
        _ => StagedSubject::Places,
    }
}

/// The form's value, the places crate's kind and the page's word for a staged subject.
fn kind_of(subject: StagedSubject) -> (&'static str, ImportKind, &'static str) {
    match subject {
        StagedSubject::Events => ("events", ImportKind::Events, "イベント"),
        _ => ("places", ImportKind::Places, "施設"),
    }
}

async fn upload_page(
    state: &AppState,
    staff: &SignedInStaff,
    subject: StagedSubject,
    file_error: Option<&'static str>,
) -> Response {
    let page = UploadPage {
        chrome: StaffChrome::load(state, staff, "/staff/places").await,
        kind: kind_of(subject).0,
        file_error,
        place_headers: headers(ImportKind::Places),
        event_headers: headers(ImportKind::Events),
    };
    let status = match file_error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    crate::pages::html(status, &page)
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    Query(query): Query<KindQuery>,
) -> Response {
    let subject = subject_of(query.kind.as_deref().unwrap_or_default());
    upload_page(&state, &staff, subject, None).await
}

pub async fn upload(State(state): State<AppState>, staff: SignedInStaff, multipart: Multipart) -> Response {
    let posted = match upload::read(&staff, multipart).await {
        Ok(posted) => posted,
        Err(refused) => return refused,
    };
    let subject = subject_of(field(&posted.fields, "kind"));
    match upload::spreadsheet(posted.upload) {
        Ok(file) => upload::stage(&state, &staff, subject, file, HERE).await,
        Err(message) => upload_page(&state, &staff, subject, Some(message)).await,
    }
}

#[derive(Template)]
#[template(path = "staff/places_import_review.html")]
struct ReviewPage {
    chrome: StaffChrome,
    id: String,
    file_name: String,
    /// 「取り込む施設の確認」, or 「施設を取り込みました」 once done.
    heading: String,
    /// 施設 or イベント.
    what: &'static str,
    /// The records changed since the plan last shown: this is a new plan.
    replanned: bool,
    problems: Vec<ProblemRow>,
    outcome: Option<Outcome>,
}

/// What a file gave: the rows a check would write, or those an import wrote, by what was done.
struct Outcome {
    checked_only: bool,
    written: usize,
    groups: Vec<OutcomeGroup>,
}

/// Rows that had the same fate, under a heading that says which.
struct OutcomeGroup {
    heading: String,
    rows: Vec<OutcomeRow>,
}

struct OutcomeRow {
    line: usize,
    name: String,
    /// The record's editor; none for a record a check would create.
    editor: Option<String>,
}

/// What planning or importing the staged file gave: a report, or every problem with the file.
enum Planned {
    Report(ImportReport),
    Problems(Vec<ImportError>),
}

/// Reads the staged file and imports it (a dry run unless `dry_run` is false), audited.
async fn import_staged(
    state: &AppState,
    staff: &SignedInStaff,
    context: &RequestContext,
    staged: &StagedImport,
    dry_run: bool,
) -> Result<Planned, ApiError> {
    let sheet = match staged.format {
        ImportFormat::Xlsx => Sheet::from_xlsx(&staged.content),
        _ => Sheet::from_csv(&staged.content),
    };
    let sheet = match sheet {
        Ok(sheet) => sheet,
        Err(problems) => return Ok(Planned::Problems(problems.0)),
    };
    let kind = kind_of(staged.subject).1;
    match import_audited(state, &staff.identity, context, kind, &sheet, dry_run).await? {
        Ok(report) => Ok(Planned::Report(report)),
        Err(PlacesError::Import(problems)) => Ok(Planned::Problems(problems.0)),
        Err(error) => Err(error.into()),
    }
}

async fn review_page(
    state: &AppState,
    staff: &SignedInStaff,
    staged: &StagedImport,
    planned: Planned,
    replanned: bool,
) -> Result<Response, ApiError> {
    let (kind, _, what) = kind_of(staged.subject);
    let heading = match &planned {
        Planned::Report(report) if !report.dry_run => format!("{what}を取り込みました"),
        _ => format!("取り込む{what}の確認"),
    };
    let mut page = ReviewPage {
        heading,
        chrome: StaffChrome::load(state, staff, "/staff/places").await,
        id: staged.id.clone(),
        file_name: staged.file_name.clone(),
        what,
        replanned,
        problems: Vec::new(),
        outcome: None,
    };
    match planned {
        Planned::Report(report) => {
            if report.dry_run {
                state
                    .registry
                    .note_checked_plan(&staged.id, &digest_of(&report))
                    .await?;
            }
            page.outcome = Some(outcome(kind, report));
        }
        Planned::Problems(problems) => page.problems = problem_rows(&problems),
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
        .staged_import(&staff.identity, SUBJECTS, id, Utc::now())
        .await?;
    let planned = import_staged(&state, &staff, &context, &staged, true).await?;
    review_page(&state, &staff, &staged, planned, false).await
}

/// The apply form carries nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct ApplyForm {}

pub async fn apply(
    State(state): State<AppState>,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::StagedImport>,
    form: StaffForm<ApplyForm>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let staged = state
        .registry
        .staged_import(&staff.identity, SUBJECTS, id, Utc::now())
        .await?;
    let planned = import_staged(&state, &staff, &context, &staged, true).await?;
    let unchanged_since_shown = match &planned {
        Planned::Report(report) => staged.checked_plan.as_deref() == Some(digest_of(report).as_str()),
        Planned::Problems(_) => false,
    };
    if !unchanged_since_shown {
        return review_page(&state, &staff, &staged, planned, true).await;
    }
    let done = import_staged(&state, &staff, &context, &staged, false).await?;
    if let Planned::Report(_) = done {
        state.registry.discard_staged_import(&staged.id).await?;
    }
    review_page(&state, &staff, &staged, done, false).await
}

fn outcome(kind: &str, report: ImportReport) -> Outcome {
    let (created, updated, unchanged) = match report.dry_run {
        true => (
            "新しく登録するもの",
            "内容を更新するもの",
            "登録済みで変更のないもの",
        ),
        false => (
            "新しく登録したもの（下書き）",
            "内容を更新したもの",
            "登録済みで変更のなかったもの",
        ),
    };
    let group = |heading: &str, rows: Vec<ImportedRow>| OutcomeGroup {
        heading: format!("{heading}：{}件", rows.len()),
        rows: rows
            .into_iter()
            .map(|row| OutcomeRow {
                line: row.line,
                name: row.name,
                editor: row.id.map(|id| format!("/staff/{kind}/{id}/edit")),
            })
            .collect(),
    };
    Outcome {
        checked_only: report.dry_run,
        written: report.created.len() + report.updated.len(),
        groups: [
            group(created, report.created),
            group(updated, report.updated),
            group(unchanged, report.unchanged),
        ]
        .into_iter()
        .filter(|group| !group.rows.is_empty())
        .collect(),
    }
}
