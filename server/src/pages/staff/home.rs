//! `/staff`: the staff member's own organisation at a glance, tasks first: programs with a
//! problem to fix, then every program of the organisation with its status and review dates.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{PREFECTURE_CODE, Vocabulary, japan};
use kosodate_registry::{Program, ProgramFilter, ProgramOwner, StaffRole, Visibility};

use super::StaffChrome;
use crate::error::ApiError;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/home.html")]
struct HomePage {
    chrome: StaffChrome,
    tasks: Vec<ProgramRow>,
    programs: Vec<ProgramRow>,
}

/// One program as the home page lists it.
#[derive(Debug, Clone)]
struct ProgramRow {
    href: String,
    name: String,
    status: &'static str,
    last_reviewed: String,
    problems: Vec<&'static str>,
}

pub async fn page(State(state): State<AppState>, staff: SignedInStaff) -> Result<Response, ApiError> {
    let chrome = StaffChrome::load(&state, &staff, "/staff").await;
    let mut programs = Vec::new();
    for owner in owners(&staff.identity.role) {
        let filter = ProgramFilter {
            owner,
            ..ProgramFilter::default()
        };
        programs.extend(state.registry.all_programs(&filter, Visibility::Staff).await?);
    }
    programs.sort_by(|left, right| left.content.name.cmp(&right.content.name));
    let rows: Vec<ProgramRow> = programs.iter().map(row).collect();
    let tasks = rows
        .iter()
        .filter(|row| !row.problems.is_empty())
        .cloned()
        .collect();
    let page = HomePage {
        chrome,
        tasks,
        programs: rows,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

/// Whose programs an organisation looks after: a municipality its own; the prefecture its own
/// and the national ones it curates for its residents; administrators everything (`None`).
fn owners(role: &StaffRole) -> Vec<Option<ProgramOwner>> {
    match role {
        StaffRole::Municipal(code) => vec![Some(ProgramOwner::Local(*code))],
        StaffRole::Prefecture => vec![
            Some(ProgramOwner::Local(PREFECTURE_CODE)),
            Some(ProgramOwner::National),
        ],
        StaffRole::Administrator => vec![None],
    }
}

fn row(program: &Program) -> ProgramRow {
    let content = &program.content;
    ProgramRow {
        href: format!("/staff/programs/{}/edit", program.id),
        name: content.name.clone(),
        status: program.status.label_ja(),
        last_reviewed: content
            .last_reviewed_on
            .map(|date| japan::format_date(date.into()))
            .unwrap_or_else(|| "未確認".to_owned()),
        problems: problems(program),
    }
}

/// What a clerk should fix, in the words the home page uses.
fn problems(program: &Program) -> Vec<&'static str> {
    let content = &program.content;
    let contact = &content.contact;
    let mut found = Vec::new();
    if contact.phone.is_none() && contact.email.is_none() && contact.url.is_none() {
        found.push("問い合わせ先がありません");
    }
    if content
        .eligibility
        .get("rule")
        .is_none_or(serde_json::Value::is_null)
    {
        found.push("対象条件が文章のみです（お知らせの対象になりません）");
    }
    found
}
