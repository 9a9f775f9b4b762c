//! Searching the published programs (public), and the search trends staff analyse.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kosodate_domain::{CalendarDate, ProgramId};
use kosodate_insights::{Click, MAX_RANK};
use kosodate_registry::Category;
use kosodate_registry::StaffAction;
use kosodate_search::log::QueryTrend;
use kosodate_search::{Facets, MAX_PAGE, MatchMode, SearchHit, SearchQuery, SearchQueryError, SearchRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::municipalities::query_code;
use super::staff::{ScopeQuery, authorize, scope};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, JsonBody, RequestContext, Staff};
use crate::insights::Searcher;
use crate::path_ids::{self, RecordId};
use crate::state::AppState;
use kosodate_domain::Vocabulary;
use kosodate_domain::japan;
use strum::VariantArray;

/// The oldest child the age filter is for: 20 years.
const MAX_AGE_MONTHS: u32 = 240;
/// How deep paging goes; beyond it a parent should narrow the search.
const MAX_OFFSET: usize = 1_000;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What the parent typed (up to 200 characters). Absent or empty: every program that passes
    /// the filters.
    pub q: Option<String>,
    /// Programs that apply to residents of this municipality: its own, the prefecture's and the
    /// national ones.
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub municipality: Option<String>,
    /// Categories, comma-separated (any of them), e.g. `medical,allowance`.
    #[param(schema_with = categories_schema)]
    pub category: Option<String>,
    /// 制度類型, comma-separated (any of them): keys of the catalogue (`GET /program-types`) or
    /// their Japanese names, e.g. `vaccine_bcg,vaccine_mr`.
    #[serde(rename = "type")]
    #[param(schema_with = kosodate_registry::program_types::key_list_schema)]
    pub program_type: Option<String>,
    /// Programs whose eligibility can hold for a child of this age in completed months (2歳3か月 =
    /// 27).
    #[param(minimum = 0, maximum = 240)]
    pub child_age_months: Option<u32>,
    /// Only programs one can apply for today.
    #[serde(default)]
    pub open_now: bool,
    /// Results per page: 1 to 100, default 20 (more counts as 100, 0 as 1).
    #[param(schema_with = kosodate_registry::page::limit_schema)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page (`search-cursor`: the unpadded base64url of
    /// `o:` and the offset, at most 1000).
    #[param(pattern = "^[A-Za-z0-9_-]*$", format = "search-cursor")]
    pub cursor: Option<String>,
}

/// Category ids, comma-separated.
fn categories_schema() -> utoipa::openapi::schema::Object {
    let ids: Vec<&str> = Category::VARIANTS.iter().map(|category| category.id()).collect();
    let one = format!("({})", ids.join("|"));
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(format!("^({one}(,{one})*)?$")))
        .build()
}

/// One page of results, in the same shape as the API's other lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    // Shared with the answer the index keeps for repeated searches, as are the facets.
    #[schema(value_type = Vec<SearchHit>)]
    pub items: Arc<[SearchHit]>,
    pub next_cursor: Option<String>,
    /// How many programs match in all.
    pub total: usize,
    /// `all_words`, `some_words` (nothing had every word) or `browse` (no query).
    pub mode: MatchMode,
    #[schema(value_type = Facets)]
    pub facets: Arc<Facets>,
    /// This search as the search log keeps it: report which result was opened with
    /// `POST /search/{search_id}/clicks`. Absent when the search is not logged (a later page, a
    /// query that looks like personal data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_id: Option<uuid::Uuid>,
}

fn bad_parameter(parameter: &str, detail: &str, detail_en: &str) -> ApiError {
    ApiError::invalid_query(parameter, detail, detail_en)
}

impl SearchParams {
    fn request(&self) -> Result<SearchRequest, ApiError> {
        let query = match self.q.as_deref().map(SearchQuery::parse) {
            None | Some(Err(SearchQueryError::Empty)) => None,
            Some(Ok(query)) => Some(query),
            Some(Err(SearchQueryError::TooLong)) => {
                return Err(bad_parameter(
                    "q",
                    "検索語は200文字以内で入力してください",
                    "the query is longer than 200 characters",
                ));
            }
        };
        let today = japan::date_of(chrono::Utc::now());
        let mut request = SearchRequest::new(query, today);
        request.municipality = self
            .municipality
            .as_deref()
            .map(|raw| query_code("municipality", raw))
            .transpose()?;
        request.categories = self.categories()?;
        request.program_types = self.program_types()?;
        request.child_age_months = self.child_age_months.map(check_age).transpose()?;
        request.open_on = self.open_now.then_some(today);
        request.limit = self.limit.unwrap_or(20).clamp(1, MAX_PAGE);
        request.offset = decode_cursor(self.cursor.as_deref())?;
        Ok(request)
    }

    /// Each type once, as its key, however the caller wrote it.
    fn program_types(&self) -> Result<Vec<String>, ApiError> {
        let Some(raw) = self.program_type.as_deref() else {
            return Ok(Vec::new());
        };
        let mut keys = raw
            .split(',')
            .filter(|part| !part.trim().is_empty())
            .map(|part| {
                kosodate_registry::program_types::find_by_key_or_name(part)
                    .map(|program_type| program_type.key.clone())
                    .ok_or_else(|| {
                        bad_parameter(
                            "type",
                            &format!("制度類型「{}」は制度類型の一覧にありません", part.trim()),
                            &format!("unknown program type {:?}", part.trim()),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    /// Each category once, however often the caller repeats it.
    fn categories(&self) -> Result<Vec<Category>, ApiError> {
        let Some(raw) = self.category.as_deref() else {
            return Ok(Vec::new());
        };
        let mut categories = raw
            .split(',')
            .filter(|part| !part.trim().is_empty())
            .map(|part| {
                Category::parse(part).ok_or_else(|| {
                    bad_parameter(
                        "category",
                        &format!("分類「{}」はありません", part.trim()),
                        &format!("unknown category {:?}", part.trim()),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        categories.sort();
        categories.dedup();
        Ok(categories)
    }
}

fn check_age(months: u32) -> Result<u32, ApiError> {
    match months <= MAX_AGE_MONTHS {
        true => Ok(months),
        false => Err(bad_parameter(
            "child_age_months",
            "子どもの月齢は0から240（20歳）までで指定してください",
            "child_age_months must be between 0 and 240",
        )),
    }
}

/// The cursor is the offset of the next page, opaque to clients as elsewhere in the API.
fn decode_cursor(cursor: Option<&str>) -> Result<usize, ApiError> {
    let Some(cursor) = cursor.filter(|cursor| !cursor.is_empty()) else {
        return Ok(0);
    };
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("o:").and_then(|offset| offset.parse().ok()))
        .filter(|offset| *offset <= MAX_OFFSET)
        .ok_or_else(|| {
            bad_parameter(
                "cursor",
                "ページの指定が正しくありません。最初のページから検索し直してください",
                "invalid page cursor",
            )
        })
}

fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

/// Searches the published programs: Japanese text (any mix of kanji, ひらがな, カタカナ and full or
/// half width), synonyms, filters by municipality, category, child's age and open applications;
/// ranked by name, then summary, then the rest, with highlighted snippets.
#[utoipa::path(get, path = "/programs/search", tag = "programs", params(SearchParams),
    responses((status = 200, body = SearchPage), (status = 400, body = Problem)))]
pub async fn search_programs(
    State(state): State<AppState>,
    Searcher(searcher): Searcher,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchPage>, ApiError> {
    let request = params.request()?;
    let (offset, limit) = (request.offset, request.limit);
    let (results, search_id) = state.search.search(request, searcher).await?;
    let next = offset + results.hits.len();
    let next_cursor = (next < results.total && next <= MAX_OFFSET && results.hits.len() == limit)
        .then(|| encode_cursor(next));
    Ok(Json(SearchPage {
        items: results.hits,
        next_cursor,
        total: results.total,
        mode: results.mode,
        facets: results.facets,
        search_id,
    }))
}

/// Which result of a search was opened.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClickInput {
    #[schema(format = Uuid)]
    pub program_id: String,
    /// 1 for the first result of the first page; any whole number written as JSON writes it
    /// (`3` or `3.0`).
    #[schema(value_type = u32, minimum = 1, maximum = 1000)]
    pub rank: serde_json::Number,
}

/// Records that a result of a search was opened (the search, the program, its rank; nothing
/// about who), so that staff find searches whose results nobody opens.
#[utoipa::path(post, path = "/search/{search_id}/clicks", tag = "programs",
    params(("search_id" = String, Path, format = Uuid)),
    request_body = ClickInput,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn record_click(
    State(state): State<AppState>,
    RecordId(search_id): RecordId<path_ids::Search>,
    JsonBody(input): JsonBody<ClickInput>,
) -> Result<StatusCode, ApiError> {
    let program = ProgramId::parse(&input.program_id).map_err(|_| {
        bad_field(
            "/program_id",
            "制度のIDが正しくありません",
            "program_id must be a program's id",
        )
    })?;
    let rank = input
        .rank
        .as_f64()
        .filter(|rank| rank.fract() == 0.0 && (1.0..=f64::from(MAX_RANK)).contains(rank))
        .ok_or_else(|| {
            bad_field(
                "/rank",
                "順位は1から1000までの整数にしてください",
                "rank must be a whole number from 1 to 1000",
            )
        })?;
    let click = Click {
        search_id,
        program,
        rank: rank as u32,
    };
    state
        .insights
        .record_click(&click, chrono::Utc::now())
        .await
        .map_err(|error| ApiError::failure("recording a search result click", &error))?;
    Ok(StatusCode::NO_CONTENT)
}

fn bad_field(pointer: &str, detail: &str, detail_en: &str) -> ApiError {
    ApiError::invalid_input(
        vec![serde_json::json!({"pointer": pointer, "detail": detail, "detail_en": detail_en})],
        detail_en,
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendParams {
    /// First day (Japan time), default 30 days ago.
    pub from: Option<CalendarDate>,
    /// Last day (Japan time, included), default today.
    pub until: Option<CalendarDate>,
    /// Searches filtered by this municipality only; municipal staff must give their own.
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub municipality: Option<String>,
}

/// Queries shared by fewer searches are not shown, so that no single family's search is.
pub const MIN_SEARCHES: u64 = 3;

/// What parents searched for, most searched first, with how often nothing (or only part) was
/// found. Only queries searched at least 3 times appear; nothing identifies who searched.
#[utoipa::path(get, path = "/staff/search-trends", tag = "staff", params(TrendParams),
    responses((status = 200, body = Vec<QueryTrend>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("staff_token" = []), ("staff_session" = [])))]
pub async fn search_trends(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    ApiQuery(params): ApiQuery<TrendParams>,
) -> Result<Json<Vec<QueryTrend>>, ApiError> {
    let municipality = scope(&ScopeQuery {
        municipality: params.municipality.clone(),
    })?;
    authorize(
        &state,
        &staff,
        &context,
        StaffAction::ViewCounts(municipality),
        "search_trends.view",
        municipality,
    )
    .await?;
    let until_day = params
        .until
        .map_or_else(|| japan::date_of(chrono::Utc::now()), CalendarDate::date);
    // Both ends lie within 1900–2200 (`CalendarDate`), so this arithmetic cannot overflow.
    let from_day = params
        .from
        .map_or(until_day - chrono::Days::new(29), CalendarDate::date);
    let trends = kosodate_search::log::trends(
        state.registry.connection(),
        japan::start_of(from_day),
        japan::start_of(until_day + chrono::Days::new(1)),
        municipality,
        MIN_SEARCHES,
        200,
    )
    .await?;
    Ok(Json(trends))
}
