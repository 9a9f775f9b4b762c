//! `/me/household`: the household form, the second step. The municipality is picked from a list
//! grouped by region; each child is given by birth date or, before the birth, by due date; each
//! optional fact says why it is asked and can be left as 「答えない」. Without JavaScript, "add a
//! child" and "remove" are buttons of the same form that show it again with what was entered.
//! Errors are shown at their fields, from the same validation the API runs.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::japan;
use kosodate_households::HouseholdInput;
use kosodate_matcher::{Childcare, IncomeBand};

use super::{Progress, Tabs, see_other};
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::household_form::{
    ChildRow, HouseholdForm, RowAction, error_links, error_of, field, field_errors, labels,
};
use crate::pages::places::{Places, Region};
use crate::pages::visitor::{ParentForm, SignedInParent};
use crate::parent;
use crate::state::AppState;

/// Rows for children shown on a new form: most families start with one child or one pregnancy.
const EMPTY_ROWS: usize = 1;

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    tabs: Tabs,
    first_time: bool,
    csrf_token: String,
    regions: Vec<Region>,
    form: HouseholdForm,
    errors: BTreeMap<String, String>,
    income_bands: Vec<(&'static str, &'static str)>,
    childcare: Vec<(&'static str, &'static str)>,
}

impl HouseholdPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }

    fn error_links(&self) -> Vec<(String, &str)> {
        let anchors = [
            ("municipality_code", "municipality"),
            ("single_parent", "single_parent_yes"),
        ];
        error_links(&self.errors, &anchors)
    }
}

pub async fn page(State(state): State<AppState>, parent: SignedInParent) -> Result<Response, ApiError> {
    let progress = super::progress(&state, &parent).await?;
    let form = match progress {
        Progress::NeedsConsent => return Ok(see_other("/me/consent")),
        Progress::NeedsHousehold => HouseholdForm {
            children: vec![ChildRow::default(); EMPTY_ROWS],
            ..HouseholdForm::default()
        },
        Progress::Ready(id) => {
            let context = RequestContext { request_id: None };
            HouseholdForm::of(&parent::read_household(&state, &context, id).await?.to_input())
        }
    };
    let first_time = !matches!(progress, Progress::Ready(_));
    render(&state, &parent, form, BTreeMap::new(), first_time, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    parent: &SignedInParent,
    form: HouseholdForm,
    errors: BTreeMap<String, String>,
    first_time: bool,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let mut form = form;
    form.show_errors(&errors);
    let page = HouseholdPage {
        tabs: Tabs {
            current: "/me/household",
        },
        first_time,
        csrf_token: parent.csrf_token().to_owned(),
        regions: Places::load(state).await?.regions,
        form,
        errors,
        income_bands: labels::<IncomeBand>(),
        childcare: labels::<Childcare>(),
    };
    Ok(crate::pages::html(status, &page))
}

/// Saves the household, or shows the form again: with a child row added or removed, or with
/// the errors at their fields.
pub async fn save(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let progress = super::progress(&state, &parent).await?;
    if matches!(progress, Progress::NeedsConsent) {
        return Ok(see_other("/me/consent"));
    }
    let first_time = !matches!(progress, Progress::Ready(_));
    let action = field(&fields, "action");
    let mut entered = HouseholdForm::from_fields(&fields);
    if let Some(row_action) = RowAction::of(action) {
        entered.apply(row_action);
        let no_errors = BTreeMap::new();
        return render(&state, &parent, entered, no_errors, first_time, StatusCode::OK).await;
    }
    let (input, mut errors) = entered.to_input();
    if errors.is_empty()
        && let Err(invalid) = input.clone().validate(japan::date_of(chrono::Utc::now()))
    {
        errors = field_errors(&invalid.0);
    }
    if !errors.is_empty() {
        return render(
            &state,
            &parent,
            entered,
            errors,
            first_time,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let input = keep_preferences(&state, &parent, input).await?;
    parent::save_household(&state, parent.account, &context, input).await?;
    Ok(match first_time {
        true => see_other("/me/channels?welcome=1"),
        false => see_other("/me?saved=1"),
    })
}

/// The household form does not show notice preferences: keep those already chosen.
async fn keep_preferences(
    state: &AppState,
    parent: &SignedInParent,
    mut input: HouseholdInput,
) -> Result<HouseholdInput, ApiError> {
    if let Some(id) = parent::household(state, parent.account).await? {
        input.preferences = Some(state.households.record(id).await?.preferences);
    }
    Ok(input)
}
