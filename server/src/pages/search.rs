//! The search page `/search`: a plain GET form over the search service (the same index and query
//! handling as the API's search, so a parent's sentence is cut into its words there), with
//! filters by municipality, child's age, category and open applications, category counts, and
//! results that link to each program's page (saying which result of which logged search they
//! are, for click-through). A search that finds nothing always offers a way on:
//! nearby words, the same search in the whole prefecture, and whom to ask.

use std::sync::Arc;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{MunicipalityCode, Vocabulary, japan};
use kosodate_registry::Category;
use kosodate_search::{
    Facets, MAX_QUERY_CHARS, MatchMode, SearchHit, SearchQuery, SearchQueryError, SearchRequest, Suggestions,
};
use strum::VariantArray;

use super::places::{Place, Places, Region};
use crate::error::ApiError;
use crate::insights::Searcher;
use crate::state::AppState;

const PAGE_SIZE: usize = 20;
/// Deeper pages are not offered: a parent should narrow the search.
const MAX_PAGE_NUMBER: usize = 50;
/// The oldest child the age filter offers, in years.
const MAX_AGE_YEARS: u32 = 18;

/// The form as the parent sent it, kept as typed so that it is shown again.
#[derive(Debug, Clone, Default)]
struct SearchForm {
    q: String,
    municipality: String,
    age: String,
    categories: Vec<String>,
    open_now: bool,
    /// 1-based.
    page: usize,
}

impl SearchForm {
    /// Repeated checkboxes (`category=a&category=b`) are why this is read by hand.
    fn parse(raw: Option<&str>) -> Self {
        let mut form = Self {
            page: 1,
            ..Self::default()
        };
        for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let value = value.trim().to_owned();
            match &*name {
                "q" => form.q = value,
                "municipality" => form.municipality = value,
                "age" => form.age = value,
                "category" if !value.is_empty() => form.categories.push(value),
                "open_now" => form.open_now = !value.is_empty(),
                "page" => form.page = value.parse().unwrap_or(1).clamp(1, MAX_PAGE_NUMBER),
                _ => {}
            }
        }
        form
    }

    /// The page's address with this form's fields, leaving out the empty ones.
    fn href(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", &self.q),
            ("municipality", &self.municipality),
            ("age", &self.age),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        for category in &self.categories {
            query.append_pair("category", category);
        }
        if self.open_now {
            query.append_pair("open_now", "1");
        }
        if self.page > 1 {
            query.append_pair("page", &self.page.to_string());
        }
        format!("/search?{}", query.finish())
    }

    /// How many filters are chosen, for the closed filter section to say so.
    fn conditions(&self) -> usize {
        [!self.municipality.is_empty(), !self.age.is_empty(), self.open_now]
            .into_iter()
            .filter(|chosen| *chosen)
            .count()
            + self.categories.len()
    }

    fn with(&self, change: impl FnOnce(&mut Self)) -> Self {
        let mut changed = self.clone();
        changed.page = 1;
        change(&mut changed);
        changed
    }
}

/// What was wrong with each field, in words for the parent.
#[derive(Debug, Default)]
struct FieldErrors {
    q: Option<String>,
    municipality: Option<&'static str>,
    age: Option<&'static str>,
    category: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.q.is_some() || self.municipality.is_some() || self.age.is_some() || self.category.is_some()
    }
}

fn search_request(form: &SearchForm, places: &Places) -> Result<SearchRequest, FieldErrors> {
    let mut errors = FieldErrors::default();
    let query = match SearchQuery::parse(&form.q) {
        Ok(query) => Some(query),
        Err(SearchQueryError::Empty) => None,
        Err(SearchQueryError::TooLong) => {
            errors.q = Some(format!("{MAX_QUERY_CHARS}文字以内で入力してください。"));
            None
        }
    };
    let mut request = SearchRequest::new(query, japan::date_of(chrono::Utc::now()));
    if !form.municipality.is_empty() {
        request.municipality = MunicipalityCode::parse(&form.municipality)
            .ok()
            .filter(|code| places.knows(&code.to_string()));
        if request.municipality.is_none() {
            errors.municipality = Some("一覧にある市町村を選んでください。");
        }
    }
    if !form.age.is_empty() {
        match form
            .age
            .parse::<u32>()
            .ok()
            .filter(|years| *years <= MAX_AGE_YEARS)
        {
            Some(years) => {
                request.child_age_months = Some(years * 12);
                request.child_age_span_months = 12;
            }
            None => errors.age = Some("一覧にある年齢を選んでください。"),
        }
    }
    for id in &form.categories {
        match Category::parse(id) {
            Some(category) if !request.categories.contains(&category) => request.categories.push(category),
            Some(_) => {}
            None => errors.category = Some(format!("分類「{id}」はありません。一覧から選んでください。")),
        }
    }
    request.open_on = form.open_now.then_some(request.today);
    request.offset = (form.page - 1) * PAGE_SIZE;
    request.limit = PAGE_SIZE;
    if errors.any() { Err(errors) } else { Ok(request) }
}

struct HitView {
    href: String,
    name: String,
    owner: String,
    categories: Vec<&'static str>,
    summary: String,
    /// HTML from the search service: the program's own text escaped, the query's words in `<mark>`.
    snippet: Option<String>,
}

struct CategoryOption {
    id: &'static str,
    label: &'static str,
    count: u64,
    checked: bool,
}

struct AgeOption {
    value: String,
    label: String,
    selected: bool,
}

struct Link {
    href: String,
    label: String,
    count: usize,
}

struct ProgramLink {
    href: String,
    name: String,
    owner: String,
}

/// What the page says when nothing was found.
struct Empty {
    words: Vec<Link>,
    prefecture: Option<Link>,
    consultation: Vec<ProgramLink>,
}

struct Outcome {
    total: usize,
    /// The words a sentence was cut into, when that is not what the parent typed.
    searched_words: Option<String>,
    partial: bool,
    hits: Vec<HitView>,
    owners: Vec<(String, u64)>,
    previous: Option<String>,
    next: Option<String>,
    empty: Option<Empty>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    form: &'a SearchForm,
    prefecture: Option<&'a Place>,
    regions: &'a [Region],
    ages: Vec<AgeOption>,
    categories: Vec<CategoryOption>,
    errors: FieldErrors,
    outcome: Option<Outcome>,
    /// Events whose words match, beside the programs.
    events: Vec<super::events::EventDay>,
}

pub async fn search(
    State(state): State<AppState>,
    searcher: Searcher,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let form = SearchForm::parse(raw.as_deref());
    let places = Places::load(&state).await?;
    let (status, errors, outcome, facets, events) = match search_request(&form, &places) {
        Err(errors) => (StatusCode::BAD_REQUEST, errors, None, Arc::default(), Vec::new()),
        Ok(request) => {
            let events = events_beside(&state, &form, &request).await?;
            let (outcome, facets) = run(&state, (&form, &places), request, searcher).await?;
            (
                StatusCode::OK,
                FieldErrors::default(),
                Some(outcome),
                facets,
                events,
            )
        }
    };
    let page = SearchPage {
        events,
        form: &form,
        prefecture: places.prefecture.as_ref(),
        regions: &places.regions,
        ages: age_options(&form),
        categories: category_options(&form, &facets),
        errors,
        outcome,
    };
    Ok(super::html(status, &page))
}

/// The events whose words hold the query, in the chosen municipality and for a child of the
/// chosen age, as the programs are.
async fn events_beside(
    state: &AppState,
    form: &SearchForm,
    request: &SearchRequest,
) -> Result<Vec<super::events::EventDay>, ApiError> {
    let text = form.q.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let ages = request.child_age_months.map(|first| {
        let last = first.saturating_add(request.child_age_span_months.max(1) - 1);
        let months = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
        months(first)..=months(last)
    });
    super::events::matching(state, text, request.municipality, ages).await
}

async fn run(
    state: &AppState,
    (form, places): (&SearchForm, &Places),
    request: SearchRequest,
    Searcher(searcher): Searcher,
) -> Result<(Outcome, Arc<Facets>), ApiError> {
    let (results, search_id) = state.search.search(request.clone(), searcher).await?;
    let first_rank = (form.page - 1) * PAGE_SIZE + 1;
    let empty = match results.total {
        0 => Some(empty(form, places, state.search.suggest(request).await?)),
        _ => None,
    };
    let shown = (form.page - 1) * PAGE_SIZE + results.hits.len();
    let outcome = Outcome {
        total: results.total,
        searched_words: searched_words(form, &results.words),
        partial: results.mode == MatchMode::SomeWords,
        hits: results
            .hits
            .iter()
            .enumerate()
            .map(|(index, hit)| hit_view(hit, places, search_id.map(|id| (id, first_rank + index))))
            .collect(),
        owners: results
            .facets
            .owners
            .iter()
            .map(|owner| (owner_label(&owner.value, places), owner.count))
            .collect(),
        previous: (form.page > 1).then(|| form.with(|changed| changed.page = form.page - 1).href()),
        next: (shown < results.total && form.page < MAX_PAGE_NUMBER)
            .then(|| form.with(|changed| changed.page = form.page + 1).href()),
        empty,
    };
    Ok((outcome, results.facets))
}

/// 「妊娠」 for 「妊娠したら」: shown when the words differ from the query and each is spelled as
/// typed (the index folds カタカナ to ひらがな, which a parent should not see).
fn searched_words(form: &SearchForm, words: &[String]) -> Option<String> {
    let typed = kosodate_search::normalize(&form.q);
    let differs = words.join(" ") != typed;
    let as_typed = words.iter().all(|word| typed.contains(word.as_str()));
    (differs && as_typed && !words.is_empty()).then(|| {
        let quoted: Vec<String> = words.iter().map(|word| format!("「{word}」")).collect();
        quoted.concat()
    })
}

fn owner_label(value: &str, places: &Places) -> String {
    match value {
        kosodate_registry::NATIONAL_OWNER => "国".to_owned(),
        code => places.name_of(code),
    }
}

fn program_href(id: impl std::fmt::Display) -> String {
    format!("/programs/{id}")
}

/// A result's link says which result of which search it is (`?from=`), so that the program page
/// records the click; without a logged search it is the program's own address.
fn hit_view(hit: &SearchHit, places: &Places, click: Option<(uuid::Uuid, usize)>) -> HitView {
    let program = &hit.program;
    let href = match click {
        Some((search, rank)) => format!(
            "{}?{}",
            program_href(program.id),
            crate::insights::from_parameter(search, rank)
        ),
        None => program_href(program.id),
    };
    HitView {
        href,
        name: program.name.clone(),
        owner: places.owner_name(&program.owner),
        categories: program
            .categories
            .iter()
            .map(|category| category.label_ja())
            .collect(),
        summary: program.summary.clone(),
        snippet: hit.snippet.as_ref().map(|snippet| snippet.html.clone()),
    }
}

fn empty(form: &SearchForm, places: &Places, suggestions: Suggestions) -> Empty {
    Empty {
        words: suggestions
            .words
            .into_iter()
            .map(|word| Link {
                href: form.with(|changed| changed.q = word.word.clone()).href(),
                label: word.word,
                count: word.total,
            })
            .collect(),
        prefecture: suggestions.prefecture_total.map(|count| Link {
            href: form.with(|changed| changed.municipality.clear()).href(),
            label: places
                .prefecture
                .as_ref()
                .map_or_else(|| "青森県".to_owned(), |prefecture| prefecture.name.clone()),
            count,
        }),
        consultation: suggestions
            .consultation
            .iter()
            .map(|program| ProgramLink {
                href: program_href(program.id),
                name: program.name.clone(),
                owner: places.owner_name(&program.owner),
            })
            .collect(),
    }
}

fn age_options(form: &SearchForm) -> Vec<AgeOption> {
    (0..=MAX_AGE_YEARS)
        .map(|years| {
            let value = years.to_string();
            AgeOption {
                selected: form.age == value,
                label: format!("{years}歳"),
                value,
            }
        })
        .collect()
}

/// Every category with how many of the found programs it holds (counted without the category
/// filter, so that a parent sees what choosing another would give).
fn category_options(form: &SearchForm, facets: &Facets) -> Vec<CategoryOption> {
    Category::VARIANTS
        .iter()
        .map(|category| CategoryOption {
            id: category.id(),
            label: category.label_ja(),
            count: facets
                .categories
                .iter()
                .find(|facet| facet.value == category.id())
                .map_or(0, |facet| facet.count),
            checked: form.categories.iter().any(|id| id == category.id()),
        })
        .collect()
}
