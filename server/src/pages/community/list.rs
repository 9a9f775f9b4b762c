//! `/community`: the questions, newest first, narrowed by category, place (a region or a
//! municipality) and the child's age, unanswered only, or found by their words in the question
//! index; a page at a time, and a call to join for a parent who has not.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_community::{QuestionCategory, QuestionFilter, QuestionSummary, Viewer};
use kosodate_domain::japan::format_date_with_weekday;
use kosodate_domain::{AgeBand, MunicipalityCode, Vocabulary, japan};
use kosodate_registry::page::{Page, PageRequest};

use super::{CommunityTabs, PlaceGroup, age_choices, category_choices, place_groups, place_tag};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::pages::visitor::Visitor;
use crate::state::AppState;

/// Questions per page.
const PAGE: u64 = 20;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ListForm {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub age_band: String,
    #[serde(default)]
    pub unanswered: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
    /// For a text search: how many results came before this page.
    #[serde(default)]
    pub offset: Option<usize>,
}

/// A question in the list.
pub struct Item {
    pub id: String,
    pub title: String,
    pub excerpt: String,
    pub tags: Vec<String>,
    pub answers: u32,
    pub accepted: bool,
    pub asked_on: String,
}

#[derive(Template)]
#[template(path = "community.html")]
struct ListPage {
    tabs: CommunityTabs,
    form: ListForm,
    categories: Vec<(&'static str, &'static str)>,
    ages: Vec<(&'static str, &'static str)>,
    places: Vec<PlaceGroup>,
    items: Vec<Item>,
    /// For a text search, how many questions it found.
    total: Option<usize>,
    /// The query string of the next page, when there is one.
    next: Option<String>,
    member: bool,
}

pub async fn page(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(form): ApiQuery<ListForm>,
) -> Result<Response, ApiError> {
    let member = match visitor.parent() {
        Some(account) => crate::community::standing(&state, account)
            .await?
            .posting_member()
            .is_some(),
        None => false,
    };
    let places = place_groups(&state).await?;
    let (items, total, next) = match form.q.trim().is_empty() {
        true => listed(&state, &form, &places).await?,
        false => searched(&state, &form, &places).await?,
    };
    let page = ListPage {
        tabs: CommunityTabs {
            current: "/community",
        },
        categories: category_choices(),
        ages: age_choices(),
        places,
        form,
        items,
        total,
        next,
        member,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

type Listed = (Vec<Item>, Option<usize>, Option<String>);

async fn listed(state: &AppState, form: &ListForm, places: &[PlaceGroup]) -> Result<Listed, ApiError> {
    let (municipality, region) = place_tag(&form.place);
    let filter = QuestionFilter {
        category: QuestionCategory::parse(&form.category),
        municipality: municipality.and_then(|code| MunicipalityCode::parse(&code).ok()),
        region,
        age_band: AgeBand::parse(&form.age_band),
        unanswered: form.unanswered.is_some(),
    };
    let request = PageRequest {
        limit: Some(PAGE),
        cursor: form.cursor.clone(),
    };
    let after = request
        .after()
        .map_err(|_| kosodate_community::CommunityError::InvalidCursor)?;
    let found = state.community.questions(&filter, after.as_deref(), PAGE).await?;
    let page = Page::from_overfetch(found, PAGE, QuestionSummary::cursor_key);
    let next = page.next_cursor.as_ref().map(|cursor| {
        let mut next = form.clone();
        next.cursor = Some(cursor.clone());
        query_string(&next)
    });
    let items = page.items.iter().map(|summary| item(summary, places)).collect();
    Ok((items, None, next))
}

async fn searched(state: &AppState, form: &ListForm, places: &[PlaceGroup]) -> Result<Listed, ApiError> {
    let offset = form.offset.unwrap_or_default();
    let category = QuestionCategory::parse(&form.category).map(|category| category.id());
    let (total, found) = state
        .question_search
        .search(form.q.clone(), category, PAGE as usize, offset)
        .await?;
    let mut items = Vec::with_capacity(found.len());
    for hit in found {
        match state.community.question(hit.id, Viewer::Public).await {
            Ok(question) => items.push(Item {
                id: question.id.to_string(),
                excerpt: question.body.chars().take(120).collect(),
                tags: tags(
                    question.category,
                    question.municipality,
                    question.region,
                    question.age_band,
                    places,
                ),
                answers: u32::try_from(question.answers.len()).unwrap_or(u32::MAX),
                accepted: question.accepted_answer.is_some(),
                asked_on: format_date_with_weekday(japan::date_of(question.created_at)),
                title: question.title,
            }),
            Err(kosodate_community::CommunityError::QuestionNotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let next = (offset + (PAGE as usize) < total).then(|| {
        let mut next = form.clone();
        next.offset = Some(offset + PAGE as usize);
        query_string(&next)
    });
    Ok((items, Some(total), next))
}

fn item(summary: &QuestionSummary, places: &[PlaceGroup]) -> Item {
    Item {
        id: summary.id.to_string(),
        title: summary.title.clone(),
        excerpt: summary.excerpt.clone(),
        tags: tags(
            summary.category,
            summary.municipality,
            summary.region,
            summary.age_band,
            places,
        ),
        answers: summary.answer_count,
        accepted: summary.has_accepted_answer,
        asked_on: format_date_with_weekday(japan::date_of(summary.created_at)),
    }
}

/// A question's category, place and age as words: 「お金」「弘前市」「1〜2歳」.
pub fn tags(
    category: QuestionCategory,
    municipality: Option<MunicipalityCode>,
    region: Option<kosodate_community::Region>,
    age_band: Option<AgeBand>,
    places: &[PlaceGroup],
) -> Vec<String> {
    let place = match (municipality, region) {
        (Some(code), _) => places
            .iter()
            .flat_map(|group| &group.choices)
            .find(|choice| choice.value == code.as_str())
            .map(|choice| choice.label.clone()),
        (None, Some(region)) => Some(format!("{}地域", region.label_ja())),
        (None, None) => None,
    };
    [
        Some(category.label_ja().to_owned()),
        place,
        age_band.map(|age| age.label_ja().to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn query_string(form: &ListForm) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("q", form.q.as_str()),
        ("category", form.category.as_str()),
        ("place", form.place.as_str()),
        ("age_band", form.age_band.as_str()),
    ] {
        if !value.is_empty() {
            serializer.append_pair(name, value);
        }
    }
    if form.unanswered.is_some() {
        serializer.append_pair("unanswered", "1");
    }
    if let Some(cursor) = &form.cursor {
        serializer.append_pair("cursor", cursor);
    }
    if let Some(offset) = form.offset {
        serializer.append_pair("offset", &offset.to_string());
    }
    serializer.finish()
}
