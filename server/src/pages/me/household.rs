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
use kosodate_domain::{CalendarDate, Vocabulary, japan};
use kosodate_households::{ChildInput, HouseholdInput};
use kosodate_matcher::{Childcare, IncomeBand};
use kosodate_registry::FieldError;

use super::{Progress, Tabs, see_other};
use crate::error::ApiError;
use crate::extract::RequestContext;
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
    /// The message for a field, if it has one.
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// Each error with the id of the control it is about, for the summary's links.
    fn error_links(&self) -> Vec<(String, &str)> {
        self.errors
            .iter()
            .map(|(field, message)| {
                let anchor = match field.as_str() {
                    "municipality_code" => "municipality".to_owned(),
                    "single_parent" => "single_parent_yes".to_owned(),
                    other => other.to_owned(),
                };
                (anchor, message.as_str())
            })
            .collect()
    }
}

/// What the form holds, as entered (strings), so that a form with errors comes back as typed.
#[derive(Debug, Clone, Default)]
struct HouseholdForm {
    municipality_code: String,
    children: Vec<ChildRow>,
    single_parent: String,
    income_band: String,
}

#[derive(Debug, Clone, Default)]
struct ChildRow {
    kind: String,
    date: String,
    nickname: String,
    disability: String,
    childcare: String,
    /// What is wrong with the row's date, once validated.
    date_error: Option<String>,
    nickname_error: Option<String>,
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
    for (index, row) in form.children.iter_mut().enumerate() {
        row.date_error = errors.get(&format!("child{index}_date")).cloned();
        row.nickname_error = errors.get(&format!("child{index}_nickname")).cloned();
    }
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

fn labels<T: Vocabulary>() -> Vec<(&'static str, &'static str)> {
    T::VARIANTS
        .iter()
        .map(|value| (value.id(), value.label_ja()))
        .collect()
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
    let removed = action
        .strip_prefix("remove_")
        .and_then(|index| index.parse::<usize>().ok());
    if action == "add_child" || removed.is_some() {
        match removed {
            Some(index) if index < entered.children.len() => drop(entered.children.remove(index)),
            Some(_) => {}
            None => entered.children.push(ChildRow::default()),
        }
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

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.trim())
}

/// The validation's JSON pointers, as the form's field names.
fn field_errors(errors: &[FieldError]) -> BTreeMap<String, String> {
    let mut by_field = BTreeMap::new();
    for error in errors {
        let parts: Vec<&str> = error.pointer.trim_start_matches('/').split('/').collect();
        let name = match parts.as_slice() {
            ["children", index, "birth_date" | "due_date"] | ["children", index] => {
                format!("child{index}_date")
            }
            ["children", index, "nickname"] => format!("child{index}_nickname"),
            ["children", index, "disability_certificate"] => format!("child{index}_disability"),
            ["children", index, "childcare"] => format!("child{index}_childcare"),
            ["children"] => "child0_date".to_owned(),
            [first, ..] => (*first).to_owned(),
            [] => "municipality_code".to_owned(),
        };
        by_field.entry(name).or_insert_with(|| error.detail.clone());
    }
    by_field
}

impl HouseholdForm {
    fn of(input: &HouseholdInput) -> Self {
        let answer = |value: Option<bool>| match value {
            Some(true) => "yes".to_owned(),
            Some(false) => "no".to_owned(),
            None => String::new(),
        };
        let children = input
            .children
            .iter()
            .map(|child| {
                let (kind, date) = match (child.birth_date, child.due_date) {
                    (_, Some(due)) => ("due", due.to_string()),
                    (Some(born), None) => ("born", born.to_string()),
                    (None, None) => ("born", String::new()),
                };
                ChildRow {
                    kind: kind.to_owned(),
                    date,
                    nickname: child.nickname.clone().unwrap_or_default(),
                    disability: answer(child.disability_certificate),
                    childcare: child
                        .childcare
                        .map(|care| care.id().to_owned())
                        .unwrap_or_default(),
                    ..ChildRow::default()
                }
            })
            .collect();
        Self {
            municipality_code: input.municipality_code.clone(),
            children,
            single_parent: answer(input.single_parent),
            income_band: input
                .income_band
                .map(|band| band.id().to_owned())
                .unwrap_or_default(),
        }
    }

    fn from_fields(fields: &[(String, String)]) -> Self {
        let rows = fields
            .iter()
            .filter_map(|(name, _)| {
                name.strip_prefix("child")?
                    .split('_')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .max()
            .map_or(0, |last| (last + 1).min(16));
        let children = (0..rows)
            .map(|index| {
                let value = |name: &str| field(fields, &format!("child{index}_{name}")).to_owned();
                ChildRow {
                    kind: value("kind"),
                    date: value("date"),
                    nickname: value("nickname"),
                    disability: value("disability"),
                    childcare: value("childcare"),
                    ..ChildRow::default()
                }
            })
            .collect();
        Self {
            municipality_code: field(fields, "municipality_code").to_owned(),
            children,
            single_parent: field(fields, "single_parent").to_owned(),
            income_band: field(fields, "income_band").to_owned(),
        }
    }

    /// The API's input, or the fields the form itself cannot read (a date that is no date).
    fn to_input(&self) -> (HouseholdInput, BTreeMap<String, String>) {
        let mut errors = BTreeMap::new();
        let mut children = Vec::new();
        for (index, row) in self.children.iter().enumerate() {
            if row.date.is_empty() {
                continue;
            }
            let Ok(date) = CalendarDate::parse(&row.date) else {
                errors.insert(
                    format!("child{index}_date"),
                    "日付を「2025-04-01」のように入力してください".to_owned(),
                );
                continue;
            };
            let (birth_date, due_date) = match row.kind.as_str() {
                "due" => (None, Some(date)),
                _ => (Some(date), None),
            };
            children.push(ChildInput {
                nickname: Some(row.nickname.clone()).filter(|nickname| !nickname.is_empty()),
                birth_date,
                due_date,
                disability_certificate: yes_no(&row.disability),
                childcare: Childcare::parse(&row.childcare),
            });
        }
        if children.is_empty() && errors.is_empty() {
            errors.insert(
                "child0_date".to_owned(),
                "お子さんの生年月日か出産予定日を1人分以上入力してください".to_owned(),
            );
        }
        let input = HouseholdInput {
            municipality_code: self.municipality_code.clone(),
            children,
            single_parent: yes_no(&self.single_parent),
            income_band: IncomeBand::parse(&self.income_band),
            preferences: None,
        };
        (input, errors)
    }
}

fn yes_no(answer: &str) -> Option<bool> {
    match answer {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}
