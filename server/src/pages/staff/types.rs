//! `/staff/programs/types`: where a clerk starts a program, by picking its type (制度類型) from
//! the catalogue grouped by life stage, so that the editor opens pre-filled with the type's
//! category, typical rule, documents and window and only what is local is left to enter. Types
//! the organisation already runs are marked, so that a second entry is a choice, not a slip.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{PREFECTURE_CODE, Vocabulary};
use kosodate_registry::program_types::{LifeStage, catalogue};
use kosodate_registry::{ProgramFilter, ProgramOwner, StaffRole, Visibility};
use strum::VariantArray;

use super::StaffChrome;
use crate::error::ApiError;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/types.html")]
struct TypesPage {
    chrome: StaffChrome,
    groups: Vec<TypeGroup>,
}

struct TypeGroup {
    id: &'static str,
    label: &'static str,
    types: Vec<TypeLink>,
}

struct TypeLink {
    href: String,
    name: String,
    summary: String,
    already_run: bool,
}

pub async fn page(State(state): State<AppState>, staff: SignedInStaff) -> Result<Response, ApiError> {
    let owner = match staff.identity.role {
        StaffRole::Municipal(code) => ProgramOwner::Local(code),
        StaffRole::Prefecture | StaffRole::Administrator => ProgramOwner::Local(PREFECTURE_CODE),
    };
    let filter = ProgramFilter {
        owner: Some(owner),
        ..ProgramFilter::default()
    };
    let run: BTreeSet<String> = state
        .registry
        .all_programs(&filter, Visibility::Staff)
        .await?
        .into_iter()
        .filter_map(|program| program.content.program_type)
        .collect();
    let groups = LifeStage::VARIANTS
        .iter()
        .map(|stage| TypeGroup {
            id: stage.id(),
            label: stage.label_ja(),
            types: catalogue()
                .iter()
                .filter(|program_type| program_type.group == *stage)
                .map(|program_type| TypeLink {
                    href: format!("/staff/programs/new?type={}", program_type.key),
                    name: program_type.name.clone(),
                    summary: program_type.summary.clone(),
                    already_run: run.contains(&program_type.key),
                })
                .collect(),
        })
        .filter(|group| !group.types.is_empty())
        .collect();
    let page = TypesPage {
        chrome: StaffChrome::load(&state, &staff, "/staff/programs/types").await,
        groups,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}
