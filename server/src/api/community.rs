//! The parents' community under `/api/v1/community`: questions (listed, searched, read with their
//! answers, related programs and where to ask in person), similar questions before asking,
//! asking and answering (personal data found → 422 with each finding's kind and pointer; too many
//! posts → 429 with `Retry-After`), helpful marks, the accepted answer, reports; and for
//! prefecture staff the moderation queue and expert verification. Posting needs the community
//! consent (`POST /me/consents` with `community`) and a display name (`POST /community/members`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kosodate_community::{
    AnswerInput, CommunityError, Decision, Departure, DisplayName, ExpertRequest, Masking, Member,
    ModerationAction, PostKind, PostRef, Profession, QuestionCategory, QuestionFilter, QuestionInput,
    QuestionSummary, QuestionView, QueueItem, ReportReason, Viewer,
};
use kosodate_domain::{MunicipalityCode, Vocabulary};
use kosodate_registry::StaffAction;
use kosodate_registry::page::{Page, PageRequest};
use kosodate_search::ProgramCard;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::session::SessionUser;
use crate::community::{self, member_key};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, JsonBody, Parent, RequestContext, Staff};
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

/// How many similar questions are offered before asking.
const SIMILAR: usize = 5;

fn masking(accept: bool) -> Masking {
    match accept {
        true => Masking::Accept,
        false => Masking::Ask,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// 2 to 20 characters; never the sign-in identity, nothing that passes for staff or an expert.
    pub display_name: String,
    /// Be told of answers to one's questions through the channels consented to.
    #[serde(default = "yes")]
    pub notify_answers: bool,
}

fn yes() -> bool {
    true
}

/// Joins the community under a display name. Needs the community consent first (403).
#[utoipa::path(post, path = "/community/members", tag = "community", security(("parent_session" = [])), request_body = JoinRequest,
    responses((status = 201, body = Member), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn join(
    State(state): State<AppState>,
    parent: Parent,
    context: RequestContext,
    JsonBody(request): JsonBody<JoinRequest>,
) -> Result<Response, ApiError> {
    let name = DisplayName::parse(&request.display_name).map_err(kosodate_community::CommunityError::from)?;
    let member = community::join(&state, parent.account, &context, &name, request.notify_answers).await?;
    Ok((StatusCode::CREATED, Json(member)).into_response())
}

/// The signed-in parent's member record (404 before joining).
#[utoipa::path(get, path = "/community/members/me", tag = "community", security(("parent_session" = [])),
    responses((status = 200, body = Member), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn me(State(state): State<AppState>, parent: Parent) -> Result<Json<Member>, ApiError> {
    match state.community.member(member_key(parent.account)).await? {
        Some(member) => Ok(Json(member)),
        None => Err(ApiError::not_found(
            "コミュニティに参加していません",
            "the account is not a member of the community",
        )),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimilarRequest {
    pub title: String,
    #[serde(default)]
    pub body: String,
}

/// A question found like another.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarView {
    pub id: Uuid,
    pub title: String,
    pub answer_count: u32,
    pub score: f32,
}

/// Questions like the one about to be asked, best first (at most 5), so that a parent can read
/// an answer rather than wait for one.
#[utoipa::path(post, path = "/community/similar", tag = "community", request_body = SimilarRequest,
    responses((status = 200, body = Vec<SimilarView>)))]
pub async fn similar(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<SimilarRequest>,
) -> Result<Json<Vec<SimilarView>>, ApiError> {
    let found = community::similar(&state, &request.title, &request.body, SIMILAR).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|similar| SimilarView {
                id: similar.id,
                title: similar.title,
                answer_count: similar.answer_count,
                score: similar.score,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AskRequest {
    #[serde(flatten)]
    pub question: QuestionInput,
    /// Store the text with what looks like personal data masked (「［電話番号］」) instead of
    /// refusing it with 422.
    #[serde(default)]
    pub accept_masking: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Posted {
    pub id: Uuid,
    /// Where it is read.
    pub url: String,
}

/// Asks a question. Personal data found → 422 listing each finding's `kind` and `pointer`, and
/// nothing is stored unless `accept_masking`; too many posts → 429 with `Retry-After`.
#[utoipa::path(post, path = "/community/questions", tag = "community", security(("parent_session" = [])), request_body = AskRequest,
    responses((status = 201, body = Posted), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn ask(
    State(state): State<AppState>,
    parent: Parent,
    context: RequestContext,
    JsonBody(request): JsonBody<AskRequest>,
) -> Result<Response, ApiError> {
    let id = community::ask(
        &state,
        parent.account,
        &context,
        &request.question,
        masking(request.accept_masking),
    )
    .await?;
    let posted = Posted {
        id,
        url: community::question_path(id),
    };
    Ok((StatusCode::CREATED, Json(posted)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerRequest {
    #[serde(flatten)]
    pub answer: AnswerInput,
    #[serde(default)]
    pub accept_masking: bool,
}

/// Answers a question; its asker is told through the channels consented to. The same checks as
/// asking.
#[utoipa::path(post, path = "/community/questions/{id}/answers", tag = "community", security(("parent_session" = [])),
    params(("id" = Uuid, Path, description = "the question")), request_body = AnswerRequest,
    responses((status = 201, body = Posted), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn answer(
    State(state): State<AppState>,
    parent: Parent,
    context: RequestContext,
    RecordId(question): RecordId<path_ids::Question>,
    JsonBody(request): JsonBody<AnswerRequest>,
) -> Result<Response, ApiError> {
    let posted = community::answer(
        &state,
        parent.account,
        &context,
        question,
        &request.answer,
        masking(request.accept_masking),
    )
    .await?;
    let view = Posted {
        id: posted.answer,
        url: format!("{}#answer-{}", community::question_path(question), posted.answer),
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Words to find questions by (the question index); without it, the newest first.
    pub q: Option<String>,
    /// A category id (`money`, `infant` …).
    #[param(schema_with = category_schema)]
    pub category: Option<String>,
    /// A municipality's 6-digit code.
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub municipality: Option<String>,
    /// A region id (`tosei`, `chunan`, `sanpachi`, `seihoku`, `kamikita`, `shimokita`).
    #[param(schema_with = region_schema)]
    pub region: Option<String>,
    /// An age band id (`pregnancy`, `age0`, `age1_to2`, `age3_to5`, `elementary`, `secondary`).
    #[param(schema_with = age_band_schema)]
    pub age_band: Option<String>,
    /// Only questions without an answer yet.
    #[serde(default)]
    pub unanswered: bool,
    /// How many questions to return: 1 to 500, default 50.
    #[param(schema_with = kosodate_registry::page::limit_schema)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = community_cursor_schema)]
    pub cursor: Option<String>,
}

/// The name of the question list's cursor format: unpadded base64url of `created_at|id` (RFC 3339
/// instant, UUID) for the newest-first list, or of the next result's offset with `q`. Tools that
/// generate requests learn to make one from it.
const COMMUNITY_CURSOR_FORMAT: &str = "community-cursor";

fn community_cursor_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom(COMMUNITY_CURSOR_FORMAT.to_owned())))
        .pattern(Some("^[A-Za-z0-9_-]*$"))
        .build()
}

/// A closed list's ids as the OpenAPI document states them.
fn ids_schema<T: kosodate_domain::Vocabulary + strum::VariantArray>() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(T::VARIANTS.iter().map(|value| value.id())))
        .build()
}

fn category_schema() -> utoipa::openapi::schema::Object {
    ids_schema::<QuestionCategory>()
}

fn region_schema() -> utoipa::openapi::schema::Object {
    ids_schema::<kosodate_community::Region>()
}

fn age_band_schema() -> utoipa::openapi::schema::Object {
    ids_schema::<kosodate_domain::AgeBand>()
}

fn departure_schema() -> utoipa::openapi::schema::Object {
    ids_schema::<Departure>()
}

fn vocabulary<T: kosodate_domain::Vocabulary>(
    parameter: &str,
    raw: Option<&str>,
) -> Result<Option<T>, ApiError> {
    // An empty value is refused like any other unknown one: the API says what it was given (the
    // pages' forms, which send `category=` for "all", are read by the pages' own handlers).
    match raw {
        None => Ok(None),
        Some(raw) => T::parse(raw).map(Some).ok_or_else(|| {
            ApiError::invalid_query(
                parameter,
                format!("{parameter} の値が正しくありません"),
                format!("unknown {parameter} {raw:?}"),
            )
        }),
    }
}

fn filter_of(query: &ListQuery) -> Result<QuestionFilter, ApiError> {
    let municipality = match query.municipality.as_deref() {
        None => None,
        Some(code) => Some(MunicipalityCode::parse(code).map_err(|error| {
            ApiError::invalid_query("municipality", error.message_ja(), error.to_string())
        })?),
    };
    Ok(QuestionFilter {
        category: vocabulary("category", query.category.as_deref())?,
        municipality,
        region: vocabulary("region", query.region.as_deref())?,
        age_band: vocabulary("age_band", query.age_band.as_deref())?,
        unanswered: query.unanswered,
    })
}

/// The questions, newest first, narrowed by category, place, age band and unanswered; or, with
/// `q`, the questions found by those words (ranked, narrowed by category only).
#[utoipa::path(get, path = "/community/questions", tag = "community", params(ListQuery),
    responses((status = 200, body = Page<QuestionSummary>), (status = 400, body = Problem)))]
pub async fn list_questions(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Page<QuestionSummary>>, ApiError> {
    let filter = filter_of(&query)?;
    let request = PageRequest {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = request.limit();
    let after = request.after().map_err(|_| CommunityError::InvalidCursor)?;
    if let Some(text) = query.q.as_deref().filter(|text| !text.trim().is_empty()) {
        return Ok(Json(
            searched(&state, text, filter.category, limit, after.as_deref()).await?,
        ));
    }
    let found = state
        .community
        .questions(&filter, after.as_deref(), limit)
        .await?;
    Ok(Json(Page::from_overfetch(
        found,
        limit,
        QuestionSummary::cursor_key,
    )))
}

/// A page of a text search: its cursor is the offset of the next result.
async fn searched(
    state: &AppState,
    text: &str,
    category: Option<QuestionCategory>,
    limit: u64,
    after: Option<&str>,
) -> Result<Page<QuestionSummary>, ApiError> {
    let offset: usize = match after {
        None => 0,
        Some(key) => key.parse().map_err(|_| CommunityError::InvalidCursor)?,
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let (total, hits) = state
        .question_search
        .search(
            text.to_owned(),
            category.map(|category| category.id()),
            limit,
            offset,
        )
        .await?;
    let ids: Vec<Uuid> = hits.iter().map(|hit| hit.id).collect();
    let items = state.community.visible_questions(&ids).await?;
    let next = offset + limit;
    Ok(Page {
        items,
        next_cursor: (next < total).then(|| URL_SAFE_NO_PAD.encode(next.to_string())),
    })
}

/// Who reads: a signed-in parent sees their own hidden posts too.
async fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Viewer, ApiError> {
    let session = state.sessions.find(headers).await.map_err(|error| {
        tracing::error!(error = %kosodate_domain::error_chain(&error), "session lookup failed");
        ApiError::internal()
    })?;
    Ok(match session.map(|session| session.user) {
        Some(SessionUser::Parent(account)) => Viewer::Account(member_key(account)),
        _ => Viewer::Public,
    })
}

/// A question with its answers (the accepted one first, then the most helpful), the programs
/// that relate to it and where to ask in person.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionDetail {
    pub question: QuestionView,
    pub related_programs: Vec<ProgramCard>,
    pub places_to_ask: Vec<ProgramCard>,
}

/// A question. Hidden ones are found by their author only (and by staff in the queue).
#[utoipa::path(get, path = "/community/questions/{id}", tag = "community",
    params(("id" = Uuid, Path, description = "the question")),
    responses((status = 200, body = QuestionDetail), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn get_question(
    State(state): State<AppState>,
    headers: HeaderMap,
    RecordId(id): RecordId<path_ids::Question>,
) -> Result<Json<QuestionDetail>, ApiError> {
    let question = state
        .community
        .question(id, viewer(&state, &headers).await?)
        .await?;
    let related =
        community::related_programs(&state, &question.title, &question.body, question.municipality).await;
    let places = community::places_to_ask(&state, question.municipality).await;
    Ok(Json(QuestionDetail {
        question,
        related_programs: related,
        places_to_ask: places,
    }))
}

/// Marks an answer helpful (once per member; never one's own).
#[utoipa::path(put, path = "/community/answers/{id}/helpful", tag = "community", security(("parent_session" = [])),
    params(("id" = Uuid, Path, description = "the answer")),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn mark_helpful(
    State(state): State<AppState>,
    parent: Parent,
    RecordId(id): RecordId<path_ids::Answer>,
) -> Result<StatusCode, ApiError> {
    let member = community::require_member(&state, parent.account).await?;
    state
        .community
        .mark_helpful(member.account, id, chrono::Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a helpful mark back.
#[utoipa::path(delete, path = "/community/answers/{id}/helpful", tag = "community", security(("parent_session" = [])),
    params(("id" = Uuid, Path, description = "the answer")),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn unmark_helpful(
    State(state): State<AppState>,
    parent: Parent,
    RecordId(id): RecordId<path_ids::Answer>,
) -> Result<StatusCode, ApiError> {
    let member = community::require_member(&state, parent.account).await?;
    state.community.unmark_helpful(member.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The asker chooses the best answer (another choice replaces it).
#[utoipa::path(post, path = "/community/answers/{id}/accept", tag = "community", security(("parent_session" = [])),
    params(("id" = Uuid, Path, description = "the answer")),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn accept(
    State(state): State<AppState>,
    parent: Parent,
    RecordId(id): RecordId<path_ids::Answer>,
) -> Result<StatusCode, ApiError> {
    let member = community::require_member(&state, parent.account).await?;
    state.community.accept(member.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub post_kind: PostKind,
    pub post_id: Uuid,
    pub reason: ReportReason,
    pub note: Option<String>,
}

/// Reports a post to the prefecture's moderators.
#[utoipa::path(post, path = "/community/reports", tag = "community", security(("parent_session" = [])), request_body = ReportRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    parent: Parent,
    JsonBody(request): JsonBody<ReportRequest>,
) -> Result<StatusCode, ApiError> {
    let member = community::require_member(&state, parent.account).await?;
    let post = PostRef {
        kind: request.post_kind,
        id: request.post_id,
    };
    let now = chrono::Utc::now();
    state
        .community
        .report(member.account, post, request.reason, request.note.as_deref(), now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertRequestBody {
    pub profession: Profession,
    /// Where they work, for staff to check (at most 100 characters).
    pub organisation: String,
}

/// Asks the prefecture to verify the member as an expert; answers carry the badge once verified.
#[utoipa::path(post, path = "/community/members/me/expert", tag = "community", security(("parent_session" = [])), request_body = ExpertRequestBody,
    responses((status = 200, body = Member), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn request_expert(
    State(state): State<AppState>,
    parent: Parent,
    JsonBody(request): JsonBody<ExpertRequestBody>,
) -> Result<Json<Member>, ApiError> {
    let member = community::require_member(&state, parent.account).await?;
    let now = chrono::Utc::now();
    let member = state
        .community
        .request_expert(member.account, request.profession, &request.organisation, now)
        .await?;
    Ok(Json(member))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaveQuery {
    /// `anonymise` (the posts stay under 「退会したメンバー」) or `remove`.
    #[param(schema_with = departure_schema)]
    pub posts: String,
}

/// Leaves the community, the posts anonymised or removed as chosen.
#[utoipa::path(delete, path = "/community/members/me", tag = "community", security(("parent_session" = [])), params(LeaveQuery),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn leave(
    State(state): State<AppState>,
    parent: Parent,
    context: RequestContext,
    ApiQuery(query): ApiQuery<LeaveQuery>,
) -> Result<StatusCode, ApiError> {
    let departure: Departure = vocabulary("posts", Some(&query.posts))?.ok_or_else(|| {
        ApiError::invalid_query(
            "posts",
            "anonymise か remove を指定してください",
            "posts is required",
        )
    })?;
    community::depart(&state, parent.account, &context, departure).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The moderation queue: reported posts, oldest first, with their report counts and reasons.
/// Prefecture staff only.
#[utoipa::path(get, path = "/community/moderation", tag = "community",
    security(("staff_token" = []), ("staff_session" = [])),
    responses((status = 200, body = Vec<QueueItem>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn moderation_queue(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
) -> Result<Json<Vec<QueueItem>>, ApiError> {
    let action = StaffAction::ModerateCommunity;
    crate::audit::authorize(&state, &staff, &context, action, "community.queue.view", None).await?;
    Ok(Json(state.community.moderation_queue().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    pub post_kind: PostKind,
    pub post_id: Uuid,
    /// `hide`, `restore` or `dismiss` (the reports were unfounded).
    pub action: ModerationAction,
    /// Why, in the staff member's words; kept with the decision.
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// Hides, restores or dismisses the reports of a post, with a reason; audited.
#[utoipa::path(post, path = "/community/moderation", tag = "community", request_body = ModerationRequest,
    security(("staff_token" = []), ("staff_session" = [])),
    responses((status = 200, body = Decision), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn moderate(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    JsonBody(request): JsonBody<ModerationRequest>,
) -> Result<Json<Decision>, ApiError> {
    let post = PostRef {
        kind: request.post_kind,
        id: request.post_id,
    };
    let decision =
        community::moderate(&state, &staff, &context, post, request.action, &request.reason).await?;
    Ok(Json(decision))
}

/// Members waiting to be verified as experts, oldest first. Prefecture staff only.
#[utoipa::path(get, path = "/community/experts", tag = "community",
    security(("staff_token" = []), ("staff_session" = [])),
    responses((status = 200, body = Vec<ExpertRequest>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn expert_requests(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
) -> Result<Json<Vec<ExpertRequest>>, ApiError> {
    let action = StaffAction::VerifyExperts;
    crate::audit::authorize(&state, &staff, &context, action, "community.expert.list", None).await?;
    Ok(Json(state.community.expert_requests().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertDecision {
    /// `true` verifies the member's profession; `false` takes the badge (or the request) away.
    pub verified: bool,
}

/// Verifies a member as an expert, or takes it back; audited.
#[utoipa::path(put, path = "/community/experts/{account}", tag = "community", request_body = ExpertDecision,
    params(("account" = Uuid, Path, description = "the member, as the list of requests names them")),
    security(("staff_token" = []), ("staff_session" = [])),
    responses((status = 200, body = Member), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn decide_expert(
    State(state): State<AppState>,
    Staff(staff): Staff,
    context: RequestContext,
    RecordId(account): RecordId<path_ids::Member>,
    JsonBody(decision): JsonBody<ExpertDecision>,
) -> Result<Json<Member>, ApiError> {
    let member = community::verify_expert(&state, &staff, &context, account, decision.verified).await?;
    Ok(Json(member))
}
