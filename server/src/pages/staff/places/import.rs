//! `/staff/places/import`: many places or events at once from a spreadsheet (CSV in UTF-8 or
//! Shift_JIS, or Excel .xlsx), the columns the JSON API's import reads. 「確認だけする」 reads
//! the file and lists what would be created, updated (a row that is a record already, see
//! `kosodate_places::import`) or left as it is, or every problem by line and column, writing
//! nothing; 「取り込む」 does the same and, when the file has no problem, writes every row at once
//! (all or nothing). Both are audited as the API's are.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_places::PlacesError;
use kosodate_places::import::{ImportKind, ImportReport, ImportedRow, Sheet, headers};
use kosodate_registry::transfer::ImportFormat;

use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::staff::StaffChrome;
use crate::pages::staff::form_fields::field;
use crate::pages::staff::upload::{self, ProblemRow, problem_rows};
use crate::pages::visitor::SignedInStaff;
use crate::places::import_audited;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/places_import.html")]
struct ImportPage {
    chrome: StaffChrome,
    /// `places` or `events`: what the form imports.
    kind: &'static str,
    file_error: Option<&'static str>,
    problems: Vec<ProblemRow>,
    outcome: Option<Outcome>,
    place_headers: Vec<&'static str>,
    event_headers: Vec<&'static str>,
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

impl ImportPage {
    fn is(&self, kind: &str) -> bool {
        self.kind == kind
    }
}

fn kind_of(fields: &[(String, String)]) -> (ImportKind, &'static str) {
    match field(fields, "kind") {
        "events" => (ImportKind::Events, "events"),
        _ => (ImportKind::Places, "places"),
    }
}

async fn render(
    state: &AppState,
    staff: &SignedInStaff,
    page: ImportPageParts,
    status: StatusCode,
) -> Response {
    let page = ImportPage {
        chrome: StaffChrome::load(state, staff, "/staff/places").await,
        kind: page.kind,
        file_error: page.file_error,
        problems: page.problems,
        outcome: page.outcome,
        place_headers: headers(ImportKind::Places),
        event_headers: headers(ImportKind::Events),
    };
    crate::pages::html(status, &page)
}

/// The page without its chrome.
struct ImportPageParts {
    kind: &'static str,
    file_error: Option<&'static str>,
    problems: Vec<ProblemRow>,
    outcome: Option<Outcome>,
}

impl ImportPageParts {
    fn blank(kind: &'static str) -> Self {
        Self {
            kind,
            file_error: None,
            problems: Vec::new(),
            outcome: None,
        }
    }

    fn file_error(kind: &'static str, message: &'static str) -> Self {
        Self {
            file_error: Some(message),
            ..Self::blank(kind)
        }
    }
}

pub async fn page(State(state): State<AppState>, staff: SignedInStaff) -> Response {
    render(&state, &staff, ImportPageParts::blank("places"), StatusCode::OK).await
}

pub async fn upload(
    State(state): State<AppState>,
    staff: SignedInStaff,
    context: RequestContext,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let posted = match upload::read(&staff, multipart).await {
        Ok(posted) => posted,
        Err(refused) => return Ok(refused),
    };
    let (kind, kind_id) = kind_of(&posted.fields);
    let refuse = async |message| {
        let page = ImportPageParts::file_error(kind_id, message);
        render(&state, &staff, page, StatusCode::UNPROCESSABLE_ENTITY).await
    };
    let Some(file) = posted.upload else {
        return Ok(refuse("取り込むファイルを選んでください").await);
    };
    let Some(format) = file.spreadsheet_format() else {
        return Ok(refuse("CSV（.csv）または Excel（.xlsx）のファイルを選んでください").await);
    };
    if file.bytes.is_empty() {
        return Ok(refuse("選んだファイルは空です").await);
    }
    let sheet = match format {
        ImportFormat::Xlsx => Sheet::from_xlsx(&file.bytes),
        _ => Sheet::from_csv(&file.bytes),
    };
    let dry_run = field(&posted.fields, "action") != "import";
    let result = match sheet {
        Ok(sheet) => import_audited(&state, &staff.identity, &context, kind, &sheet, dry_run).await?,
        Err(problems) => Err(PlacesError::Import(problems)),
    };
    let mut page = ImportPageParts::blank(kind_id);
    match result {
        Ok(report) => page.outcome = Some(outcome(kind_id, report)),
        Err(PlacesError::Import(problems)) => page.problems = problem_rows(&problems.0),
        Err(error) => return Err(error.into()),
    }
    let status = match page.problems.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok(render(&state, &staff, page, status).await)
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
