//! `/staff`: the staff member's own organisation at a glance, tasks first: its programs, places
//! and events waiting for a colleague's review before publication; programs with a
//! problem to fix (the registry's freshness rules: overdue or coming review, broken link, missing
//! contact, no structured rule, a national or prefecture change of its type), then every current
//! program of the organisation with its status and review dates.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{PREFECTURE_CODE, Vocabulary, japan};
use kosodate_places::Subject;
use kosodate_registry::freshness::problems::{ProgramFreshness, ProgramProblem};
use kosodate_registry::review::ReviewRequest;
use kosodate_registry::{ProgramOwner, StaffRole};

use super::StaffChrome;
use crate::error::ApiError;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/home.html")]
struct HomePage {
    chrome: StaffChrome,
    /// Drafts a colleague asked to be reviewed before publication.
    waiting: Vec<WaitingRow>,
    tasks: Vec<ProgramRow>,
    programs: Vec<ProgramRow>,
}

/// A program, place or event waiting for a colleague's review.
struct WaitingRow {
    href: String,
    name: String,
    requested_by: String,
    requested_on: String,
    /// Asked by the signed-in staff member: someone else must review it.
    own: bool,
}

/// One program as the home page lists it.
#[derive(Debug, Clone)]
struct ProgramRow {
    href: String,
    name: String,
    status: &'static str,
    last_reviewed: String,
    review_due: String,
    problems: Vec<String>,
}

pub async fn page(State(state): State<AppState>, staff: SignedInStaff) -> Result<Response, ApiError> {
    let chrome = StaffChrome::load(&state, &staff, "/staff").await;
    let today = japan::date_of(chrono::Utc::now());
    let mut programs = Vec::new();
    for owner in owners(&staff.identity.role) {
        programs.extend(state.registry.program_freshness(owner, today).await?);
    }
    programs.sort_by(|left, right| left.program.content.name.cmp(&right.program.content.name));
    let rows: Vec<ProgramRow> = programs.iter().map(row).collect();
    let tasks = rows
        .iter()
        .filter(|row| !row.problems.is_empty())
        .cloned()
        .collect();
    let waiting = waiting_for_review(&state, &staff, &programs).await?;
    let page = HomePage {
        chrome,
        waiting,
        tasks,
        programs: rows,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

/// Whose programs an organisation looks after: a municipality its own; the prefecture, and the
/// operators with it, its own and the national ones it curates for its residents.
fn owners(role: &StaffRole) -> Vec<ProgramOwner> {
    match role {
        StaffRole::Municipal(code) => vec![ProgramOwner::Local(*code)],
        StaffRole::Prefecture | StaffRole::Administrator => {
            vec![ProgramOwner::Local(PREFECTURE_CODE), ProgramOwner::National]
        }
    }
}

async fn waiting_for_review(
    state: &AppState,
    staff: &SignedInStaff,
    programs: &[ProgramFreshness],
) -> Result<Vec<WaitingRow>, ApiError> {
    let ids: Vec<_> = programs.iter().map(|freshness| freshness.program.id).collect();
    let requests = state.registry.review_requests(&ids).await?;
    let mut waiting: Vec<WaitingRow> = programs
        .iter()
        .filter_map(|freshness| {
            let program = &freshness.program;
            let request = requests.get(&program.id)?;
            let href = format!("/staff/programs/{}/edit", program.id);
            Some(WaitingRow::new(
                href,
                program.content.name.clone(),
                request,
                staff,
            ))
        })
        .collect();
    let organisation = match staff.identity.role {
        StaffRole::Municipal(code) => code,
        StaffRole::Prefecture | StaffRole::Administrator => PREFECTURE_CODE,
    };
    for record in state.places.waiting_for_review(organisation).await? {
        let section = match record.subject {
            Subject::Place => "places",
            Subject::Event => "events",
        };
        let href = format!("/staff/{section}/{}/edit", record.id);
        waiting.push(WaitingRow::new(href, record.name, &record.request, staff));
    }
    Ok(waiting)
}

impl WaitingRow {
    fn new(href: String, name: String, request: &ReviewRequest, staff: &SignedInStaff) -> Self {
        Self {
            href,
            name,
            requested_on: japan::format_date_with_weekday(japan::date_of(request.requested_at)),
            own: request.requested_by == staff.identity.name,
            requested_by: request.requested_by.clone(),
        }
    }
}

fn row(freshness: &ProgramFreshness) -> ProgramRow {
    let program = &freshness.program;
    let content = &program.content;
    ProgramRow {
        href: format!("/staff/programs/{}/edit", program.id),
        name: content.name.clone(),
        status: program.status.label_ja(),
        last_reviewed: content
            .last_reviewed_on
            .map(|date| japan::format_date(date.into()))
            .unwrap_or_else(|| "未確認".to_owned()),
        review_due: japan::format_date(freshness.review_due_on),
        problems: freshness
            .problems
            .iter()
            .map(ProgramProblem::message_ja)
            .collect(),
    }
}
