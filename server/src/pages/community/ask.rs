//! `/community/ask`: asking a question. The button 「似た質問を確かめる」 shows questions like it
//! before posting (no script needed); posting checks for personal data, and when some is found
//! the page shows each finding's kind and the text as it would be stored, and asks to edit it or
//! to post it masked (「伏せ字にして投稿」). Nothing is stored until then.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_community::{QuestionCategory, QuestionInput};
use kosodate_domain::{AgeBand, Vocabulary};

use super::{
    CommunityTabs, FieldMessages, FoundView, PlaceGroup, Refusal, age_choices, category_choices, masking,
    member_or_join, place_groups, place_tag,
};
use crate::community::{Refused, SimilarFound};
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::me::see_other;
use crate::pages::visitor::{ParentForm, SignedInParent};
use crate::state::AppState;

/// Similar questions shown before posting.
const SIMILAR: usize = 5;

#[derive(Template)]
#[template(path = "community_ask.html")]
struct AskPage {
    tabs: CommunityTabs,
    csrf_token: String,
    form: AskForm,
    categories: Vec<(&'static str, &'static str)>,
    ages: Vec<(&'static str, &'static str)>,
    places: Vec<PlaceGroup>,
    similar: Option<Vec<SimilarFound>>,
    found: Option<FoundView>,
    errors: FieldMessages,
    /// A refusal that is no field's: too many posts.
    refusal: Option<String>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct AskForm {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub age_band: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// `similar`, `post` or `mask`.
    #[serde(default)]
    pub action: String,
}

impl AskForm {
    fn input(&self) -> Result<QuestionInput, FieldMessages> {
        let Some(category) = QuestionCategory::parse(&self.category) else {
            return Err(FieldMessages(vec![(
                "category".into(),
                "分類を選んでください".into(),
            )]));
        };
        let (municipality, region) = place_tag(&self.place);
        Ok(QuestionInput {
            category,
            municipality,
            region,
            age_band: AgeBand::parse(&self.age_band),
            title: self.title.clone(),
            body: self.body.clone(),
        })
    }
}

pub async fn page(State(state): State<AppState>, parent: SignedInParent) -> Result<Response, ApiError> {
    if let Err(join) = member_or_join(&state, &parent).await? {
        return Ok(join);
    }
    render(&state, &parent, Shown::form(AskForm::default()), StatusCode::OK).await
}

/// What the page shows beside the form.
struct Shown {
    form: AskForm,
    similar: Option<Vec<SimilarFound>>,
    refusal: Refusal,
}

impl Shown {
    fn form(form: AskForm) -> Self {
        Self {
            form,
            similar: None,
            refusal: Refusal::default(),
        }
    }
}

async fn render(
    state: &AppState,
    parent: &SignedInParent,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let page = AskPage {
        tabs: CommunityTabs {
            current: "/community/ask",
        },
        csrf_token: parent.csrf_token().to_owned(),
        form: shown.form,
        categories: category_choices(),
        ages: age_choices(),
        places: place_groups(state).await?,
        similar: shown.similar,
        found: shown.refusal.found,
        errors: shown.refusal.errors,
        refusal: shown.refusal.message,
    };
    Ok(crate::pages::html(status, &page))
}

/// Shows similar questions, or posts (masked when the parent accepted it).
pub async fn post(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<AskForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    if let Err(join) = member_or_join(&state, &parent).await? {
        return Ok(join);
    }
    if fields.action == "similar" {
        let similar = crate::community::similar(&state, &fields.title, &fields.body, SIMILAR).await?;
        let mut shown = Shown::form(fields);
        shown.similar = Some(similar);
        return render(&state, &parent, shown, StatusCode::OK).await;
    }
    let input = match fields.input() {
        Ok(input) => input,
        Err(errors) => {
            let mut shown = Shown::form(fields);
            shown.refusal.errors = errors;
            return render(&state, &parent, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let masking = masking(&fields.action);
    match crate::community::ask(&state, parent.account, &context, &input, masking).await {
        Ok(id) => Ok(see_other(&crate::community::question_path(id))),
        Err(Refused::Community(refusal)) => {
            let (status, refusal) = Refusal::of(refusal)?;
            let mut shown = Shown::form(fields);
            shown.refusal = refusal;
            render(&state, &parent, shown, status).await
        }
        Err(Refused::Other(error)) => Err(error),
    }
}
