//! Showing the editor: a blank form, a stored program, or a posted form again with its messages,
//! the rule's plain sentence and the preview.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{MunicipalityCode, ProgramId, Vocabulary, japan};
use kosodate_matcher::{IncomeBand, PlainCondition};
use kosodate_registry::{
    ApplicationMethodKind, Category, LifeEvent, Program, ProgramInput, ProgramOwner, StaffAction, StaffRole,
    Visibility,
};
use serde::Deserialize;
use strum::VariantArray;

use super::builder::{self, ConditionRow, GROUPS, KINDS, Places, RuleMode};
use super::form::{FieldMessages, METHODS, ProgramForm};
use super::preview::{self, PreviewRow};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::pages::staff::StaffChrome;
use crate::pages::staff::records::Review;
use crate::pages::staff::versions::DiffRow;
use crate::pages::visitor::SignedInStaff;
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/editor.html")]
pub struct EditorPage {
    pub chrome: StaffChrome,
    /// Where the form posts.
    pub action: String,
    pub program: Option<ProgramState>,
    pub form: ProgramForm,
    pub messages: FieldMessages,
    /// Said at the top of the page after a save, a publication or a conflict.
    pub notice: Option<String>,
    pub conflict: Vec<DiffRow>,
    pub owners: Vec<(String, String)>,
    /// The rule's plain sentences, each with its depth.
    pub plain: Vec<(usize, String)>,
    pub preview: Vec<PreviewRow>,
    pub households: Option<String>,
    pub review: Review,
}

/// Where the program stands with its organisation's review before publication.
async fn review_of(
    state: &AppState,
    staff: &SignedInStaff,
    owner: &ProgramOwner,
    program: Option<&ProgramState>,
) -> Result<Review, ApiError> {
    let organisation = kosodate_registry::review::organisation_of(owner);
    let required = state.registry.review_before_publishing(organisation).await?;
    let Some(program) = program.filter(|_| required) else {
        return Ok(Review::new(required, None, None, &staff.identity.name));
    };
    let id = ProgramId::parse(&program.id).map_err(|_| ApiError::internal())?;
    let request = state.registry.review_request(id).await?;
    Ok(Review::new(
        required,
        request,
        Some(program.version),
        &staff.identity.name,
    ))
}

/// The stored program the form edits.
#[derive(Debug, Clone)]
pub struct ProgramState {
    pub id: String,
    pub version: i32,
    pub owner: ProgramOwner,
    pub status: &'static str,
    pub published: bool,
    pub archived: bool,
}

impl ProgramState {
    pub fn of(program: &Program) -> Self {
        Self {
            id: program.id.to_string(),
            version: program.version,
            owner: program.content.owner,
            status: program.status.label_ja(),
            published: program.status == kosodate_registry::ProgramStatus::Published,
            archived: program.status == kosodate_registry::ProgramStatus::Archived,
        }
    }
}

/// What a control's `aria-describedby` and `aria-invalid` say, for the template.
impl EditorPage {
    pub fn message(&self, field: &str) -> Option<&str> {
        self.messages.get(field).map(String::as_str)
    }

    pub fn invalid(&self, field: &str) -> &'static str {
        match self.messages.contains_key(field) {
            true => "true",
            false => "false",
        }
    }

    pub fn categories(&self) -> Vec<(&'static str, &'static str, bool)> {
        Category::VARIANTS
            .iter()
            .map(|category| {
                (
                    category.id(),
                    category.label_ja(),
                    self.form.categories.iter().any(|id| id == category.id()),
                )
            })
            .collect()
    }

    pub fn events(&self) -> Vec<(&'static str, &'static str)> {
        labels::<LifeEvent>()
    }

    pub fn methods(&self) -> Vec<(&'static str, &'static str, usize)> {
        METHODS
            .iter()
            .enumerate()
            .map(|(index, kind)| (kind.id(), kind.label_ja(), index))
            .collect()
    }

    pub fn online(&self) -> &'static str {
        ApplicationMethodKind::Online.id()
    }

    pub fn kinds(&self) -> &'static [(&'static str, &'static str)] {
        KINDS
    }

    pub fn kind_label(&self, kind: &str) -> &'static str {
        KINDS
            .iter()
            .find(|(id, _)| *id == kind)
            .map_or("条件", |(_, label)| label)
    }

    pub fn stages(&self) -> Vec<(&'static str, &'static str)> {
        builder::stages()
    }

    pub fn income_bands(&self) -> Vec<(&'static str, &'static str)> {
        labels::<IncomeBand>()
    }

    pub fn groups(&self) -> Vec<(String, &'static str)> {
        (1..=GROUPS)
            .map(|group| (group.to_string(), self.form.builder.group_joins[group - 1].id()))
            .collect()
    }

    /// Whether a condition is in the group, so that its join is worth asking about.
    pub fn group_used(&self, group: &str) -> bool {
        self.form.builder.rows.iter().any(|row| row.group == group)
    }

    pub fn keeps_rule(&self) -> bool {
        self.form.builder.mode == RuleMode::Keep
    }

    pub fn row_error(&self, index: &usize) -> Option<&str> {
        self.message(&format!("c{index}"))
    }

    pub fn rows(&self) -> &[ConditionRow] {
        &self.form.builder.rows
    }
}

fn labels<T: Vocabulary>() -> Vec<(&'static str, &'static str)> {
    T::VARIANTS
        .iter()
        .map(|value| (value.id(), value.label_ja()))
        .collect()
}

/// The prefecture's places both ways, for the residence condition and the owner list.
pub struct Lookup {
    codes: HashMap<String, MunicipalityCode>,
    names: HashMap<MunicipalityCode, String>,
}

impl Lookup {
    pub async fn load(state: &AppState) -> Result<Self, ApiError> {
        let places = crate::pages::places::Places::load(state).await?;
        let all = places
            .prefecture
            .iter()
            .chain(places.regions.iter().flat_map(|region| &region.places));
        let mut lookup = Self {
            codes: HashMap::new(),
            names: HashMap::new(),
        };
        for place in all {
            if let Ok(code) = MunicipalityCode::parse(&place.code) {
                lookup.codes.insert(place.name.clone(), code);
                lookup.names.insert(code, place.name.clone());
            }
        }
        Ok(lookup)
    }

    pub fn name(&self, code: MunicipalityCode) -> Option<String> {
        self.names.get(&code).cloned()
    }

    pub fn with_places<T>(&self, use_places: impl FnOnce(&Places<'_>) -> T) -> T {
        let code_of = |name: &str| self.codes.get(name).copied();
        let name_of = |code: MunicipalityCode| self.name(code);
        use_places(&Places {
            code_of: &code_of,
            name_of: &name_of,
        })
    }

    /// Whose programs the staff member may enter: the organisation's own; for the prefecture
    /// also the national ones; for administrators every owner.
    pub fn owners(&self, role: &StaffRole) -> Vec<(String, String)> {
        let owner = |code: MunicipalityCode| {
            (
                code.to_string(),
                self.name(code).unwrap_or_else(|| code.to_string()),
            )
        };
        let national = || (ProgramOwner::National.as_key(), "国".to_owned());
        match role {
            StaffRole::Municipal(code) => vec![owner(*code)],
            StaffRole::Prefecture => vec![owner(kosodate_domain::PREFECTURE_CODE), national()],
            StaffRole::Administrator => {
                let mut all: Vec<_> = self.names.keys().copied().map(owner).collect();
                all.sort();
                all.push(national());
                all
            }
        }
    }
}

/// `?type=KEY`: start from the template of a program type (制度類型) of the catalogue.
#[derive(Debug, Deserialize)]
pub struct NewQuery {
    #[serde(rename = "type")]
    program_type: Option<String>,
}

pub async fn new_program(
    State(state): State<AppState>,
    staff: SignedInStaff,
    ApiQuery(query): ApiQuery<NewQuery>,
) -> Result<Response, ApiError> {
    let lookup = Lookup::load(&state).await?;
    let owners = lookup.owners(&staff.identity.role);
    let owner_key = owners.first().map(|(key, _)| key.clone()).unwrap_or_default();
    let template = query
        .program_type
        .as_deref()
        .and_then(kosodate_registry::program_types::find)
        .zip(ProgramOwner::parse(&owner_key).ok())
        .map(|(program_type, owner)| program_type.template(&owner));
    let form = match template {
        Some(template) => lookup.with_places(|places| ProgramForm::of_input(&template, places)),
        None => ProgramForm {
            owner: owner_key,
            window_kind: "always".to_owned(),
            ..ProgramForm::default()
        },
    };
    let view = View::new("/staff/programs/new".to_owned(), None);
    render(
        &state,
        &staff,
        &lookup,
        form,
        FieldMessages::new(),
        view,
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct EditQuery {
    pub saved: Option<String>,
}

pub async fn edit_program(
    State(state): State<AppState>,
    staff: SignedInStaff,
    RecordId(id): RecordId<path_ids::Program>,
    ApiQuery(query): ApiQuery<EditQuery>,
) -> Result<Response, ApiError> {
    let program = load_writable(&state, &staff, id).await?;
    let lookup = Lookup::load(&state).await?;
    let mut form = lookup
        .with_places(|places| ProgramForm::of_input(&ProgramInput::from(program.content.clone()), places));
    form.version = program.version.to_string();
    let mut view = View::new(format!("/staff/programs/{}/edit", program.id), Some(&program));
    view.notice = query.saved.as_deref().map(saved_notice);
    render(
        &state,
        &staff,
        &lookup,
        form,
        FieldMessages::new(),
        view,
        StatusCode::OK,
    )
    .await
}

fn saved_notice(what: &str) -> String {
    match what {
        "review" => "下書きを保存し、確認を依頼しました。同じ団体の別の職員が確認して公開します。",
        "published" => "公開しました。保護者の検索とお知らせに反映されます。",
        "archived" => "終了にしました。保護者には表示されません。",
        _ => "下書きを保存しました。",
    }
    .to_owned()
}

/// A program the staff member may change; anything else is "not found" or "forbidden".
pub async fn load_writable(
    state: &AppState,
    staff: &SignedInStaff,
    id: ProgramId,
) -> Result<Program, ApiError> {
    let program = state.registry.program(id, Visibility::Staff).await?;
    if !staff
        .identity
        .permits(StaffAction::WriteProgram(&program.content.owner))
    {
        return Err(ApiError::forbidden(
            "この制度を変更する権限がありません（自分の団体の制度だけを変更できます）",
            "staff may change their own organisation's programs only",
        ));
    }
    Ok(program)
}

/// What the page shows besides the form.
pub struct View {
    pub chrome_current: &'static str,
    pub action: String,
    pub program: Option<ProgramState>,
    pub notice: Option<String>,
    pub conflict: Vec<DiffRow>,
}

impl View {
    pub fn new(action: String, program: Option<&Program>) -> Self {
        Self {
            chrome_current: match program {
                None => "/staff/programs/types",
                Some(_) => "/staff",
            },
            action,
            program: program.map(ProgramState::of),
            notice: None,
            conflict: Vec::new(),
        }
    }
}

/// The page for a form: its rule in words, the preview and the household count computed from
/// what the form holds now.
pub async fn render(
    state: &AppState,
    staff: &SignedInStaff,
    lookup: &Lookup,
    form: ProgramForm,
    messages: FieldMessages,
    view: View,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let chrome = StaffChrome::load(state, staff, view.chrome_current).await;
    let (input, _) = lookup.with_places(|places| {
        let complete = ProgramForm {
            builder: form.builder.without_wrong_rows(places),
            ..form.clone()
        };
        match form.builder.mode {
            RuleMode::Keep => form.to_input(places),
            RuleMode::Build => complete.to_input(places),
        }
    });
    let rule = builder::stored_rule(&input.eligibility);
    let plain = match &rule {
        Some(rule) => flatten(&rule.plain_japanese_naming(&|code| lookup.name(code)), 0),
        None => Vec::new(),
    };
    let program_rule = rule.and_then(|rule| preview::program_rule(&input, rule));
    let today = japan::date_of(chrono::Utc::now());
    let households = match &program_rule {
        Some(rule) => Some(preview::count_text(
            kosodate_matching::eligible_households(&state.households, rule, today).await?,
        )),
        None => None,
    };
    let owner = ProgramOwner::parse(&form.owner).unwrap_or(ProgramOwner::National);
    let owner = view.program.as_ref().map_or(owner, |program| program.owner);
    let review = review_of(state, staff, &owner, view.program.as_ref()).await?;
    let page = EditorPage {
        review,
        chrome,
        action: view.action,
        program: view.program,
        owners: lookup.owners(&staff.identity.role),
        form,
        messages,
        notice: view.notice,
        conflict: view.conflict,
        plain,
        preview: program_rule
            .map(|rule| preview::preview(&rule, today))
            .unwrap_or_default(),
        households,
    };
    Ok(crate::pages::html(status, &page))
}

fn flatten(condition: &PlainCondition, depth: usize) -> Vec<(usize, String)> {
    let mut lines = vec![(depth, condition.sentence.clone())];
    for part in &condition.parts {
        lines.extend(flatten(part, depth + 1));
    }
    lines
}
