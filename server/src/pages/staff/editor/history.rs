//! `/staff/programs/{id}/history`: every version of a program (who, when, what was done) and the
//! difference between any two, chosen with two selects of a plain GET form, field by field in
//! the form's words.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_registry::page::PageRequest;
use kosodate_registry::{ProgramAction, ProgramInput, ProgramVersion};

use super::diff::diff;
use super::page::{Lookup, load_writable};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::pages::staff::StaffChrome;
use crate::pages::staff::versions::{Compare, HistoryPage, VersionRow};
use crate::pages::visitor::SignedInStaff;
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

/// Versions read per page of the registry's history.
const HISTORY_PAGE: u64 = 100;

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    RecordId(id): RecordId<path_ids::Program>,
    ApiQuery(compare): ApiQuery<Compare>,
) -> Result<Response, ApiError> {
    let program = load_writable(&state, &staff, id).await?;
    let versions = all_versions(&state, &program).await?;
    let numbers: Vec<i32> = versions.iter().map(|version| version.version).collect();
    let (from, to) = compare.chosen(&numbers);
    let snapshot = |number: i32| {
        versions
            .iter()
            .find(|version| version.version == number)
            .map(|version| ProgramInput::from(version.snapshot.content.clone()))
    };
    let lookup = Lookup::load(&state).await?;
    let differences = match (snapshot(from), snapshot(to)) {
        (Some(before), Some(after)) => diff(&before, &after, &|code| lookup.name(code)),
        _ => Vec::new(),
    };
    let page = HistoryPage {
        chrome: StaffChrome::load(&state, &staff, "/staff").await,
        name: program.content.name.clone(),
        editor: format!("/staff/programs/{id}/edit"),
        path: format!("/staff/programs/{id}/history"),
        versions: versions.iter().rev().map(row).collect(),
        from,
        to,
        differences,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

async fn all_versions(
    state: &AppState,
    program: &kosodate_registry::Program,
) -> Result<Vec<ProgramVersion>, ApiError> {
    let mut versions = Vec::new();
    let mut cursor = None;
    loop {
        let request = PageRequest {
            limit: Some(HISTORY_PAGE),
            cursor,
        };
        let page = state.registry.history(program.id, &request).await?;
        versions.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(versions),
        }
    }
}

fn row(version: &ProgramVersion) -> VersionRow {
    let action = match version.action {
        ProgramAction::Created => "作成",
        ProgramAction::Updated => "変更",
        ProgramAction::Published => "公開",
        ProgramAction::Archived => "終了",
        ProgramAction::Reviewed => "確認（変更なし）",
    };
    VersionRow::new(version.version, action, Some(&version.actor), version.recorded_at)
}
