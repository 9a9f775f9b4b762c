//! The signed-in parent's own household under `/api/v1/me`: the profile, the consent ledger, the
//! programs the matcher finds with reasons, contact channels, and "My data" (export and delete).
//! Every handler reaches only the household of the session's account, so no request can name
//! another household. Every access to the household's data is in the audit log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_domain::Vocabulary;
use kosodate_domain::{CalendarDate, EmailAddress, LineUserId, japan};
use kosodate_households::{
    ChannelRecord, ChildInput, ConsentPurpose, HouseholdId, HouseholdInput, HouseholdRecord, Preferences,
    PushSubscription,
};
use kosodate_matcher::IncomeBand;
use serde::{Deserialize, Serialize};
use strum::VariantArray;
use utoipa::ToSchema;

use crate::auth::session::set_cookie;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, JsonBody, Parent, RequestContext};
use crate::parent::{self, Consents};
use crate::state::AppState;

/// The household as its parent enters and reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: String,
    pub municipality_code: String,
    pub children: Vec<ChildInput>,
    pub single_parent: Option<bool>,
    pub income_band: Option<IncomeBand>,
    pub preferences: Preferences,
    pub registered_at_counter: bool,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn view(record: HouseholdRecord) -> HouseholdView {
    let input = record.to_input();
    HouseholdView {
        id: record.id.to_string(),
        municipality_code: input.municipality_code,
        children: input.children,
        single_parent: input.single_parent,
        income_band: input.income_band,
        preferences: record.preferences,
        registered_at_counter: record.registered_at_counter,
        updated_at: record.updated_at,
    }
}

async fn household_of(state: &AppState, parent: &Parent) -> Result<HouseholdId, ApiError> {
    parent::require_household(state, parent.account).await
}

/// The signed-in parent's household.
#[utoipa::path(get, path = "/me/household", tag = "me", security(("parent_session" = [])),
    responses((status = 200, body = HouseholdView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_household(
    State(state): State<AppState>,
    parent: Parent,
    context: RequestContext,
) -> Result<Json<HouseholdView>, ApiError> {
    let id = household_of(&state, &parent).await?;
    let record = parent::read_household(&state, &context, id).await?;
    Ok(Json(view(record)))
}

/// Registers the household (201) or replaces what was entered (200). Registering needs consent
/// to matching first (409 without it). Children may be given by
/// birth date or, before the birth, by due date; optional facts left out are "not shared".
/// Matching runs again for the household in the background.
#[utoipa::path(put, path = "/me/household", tag = "me", security(("parent_session" = [])), request_body = HouseholdInput,
    responses((status = 200, body = HouseholdView), (status = 201, body = HouseholdView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn put_household(
    State(state): State<AppState>,
    parent: Parent,
    context: RequestContext,
    JsonBody(input): JsonBody<HouseholdInput>,
) -> Result<Response, ApiError> {
    let (id, created) = parent::save_household(&state, parent.account, &context, input).await?;
    let status = match created {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    let record = state.households.record(id).await?;
    Ok((status, Json(view(record))).into_response())
}

/// Deletes the household and everything held about it, and signs out. Only an anonymous count of
/// deletions per municipality and month remains. Posts in the community are kept without a name
/// (`community_posts=anonymise`, the default) or removed (`remove`).
#[utoipa::path(delete, path = "/me/household", tag = "me", security(("parent_session" = [])), params(DeleteQuery),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_household(
    State(state): State<AppState>,
    parent: Parent,
    context: RequestContext,
    ApiQuery(query): ApiQuery<DeleteQuery>,
) -> Result<Response, ApiError> {
    let posts = match query.community_posts.as_deref() {
        None => kosodate_community::Departure::Anonymise,
        Some(raw) => kosodate_community::Departure::parse(raw).ok_or_else(|| {
            ApiError::invalid_query(
                "community_posts",
                "コミュニティの投稿は anonymise（匿名で残す）か remove（削除する）を指定してください",
                "community_posts must be anonymise or remove",
            )
        })?,
    };
    crate::community::delete_account(&state, parent.account, &context, posts).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(response.headers_mut(), &state.sessions.removal_cookie());
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// What becomes of the parent's community posts: `anonymise` (default) or `remove`.
    #[param(schema_with = departure_schema)]
    pub community_posts: Option<String>,
}

fn departure_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(
            kosodate_community::Departure::VARIANTS
                .iter()
                .map(|departure| departure.id()),
        ))
        .build()
}

/// "My data": everything held about the household, as a JSON file.
#[utoipa::path(get, path = "/me/export", tag = "me", security(("parent_session" = [])),
    responses((status = 200, content_type = "application/json"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    parent: Parent,
    context: RequestContext,
) -> Result<Response, ApiError> {
    parent::download(&crate::community::my_data(&state, parent.account, &context).await?)
}

/// The consent screen: each purpose with the text to agree to, and the ledger. Consent comes
/// first: it can be given before the household is registered.
#[utoipa::path(get, path = "/me/consents", tag = "me", security(("parent_session" = [])),
    responses((status = 200, body = Consents), (status = 401, body = Problem)))]
pub async fn get_consents(State(state): State<AppState>, parent: Parent) -> Result<Json<Consents>, ApiError> {
    Ok(Json(parent::consents(&state, parent.account).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// `matching`, `notice_email`, `notice_line`, `notice_web_push` or `statistics`.
    #[schema(schema_with = purpose_schema)]
    pub purpose: String,
    /// The version of the text the parent was shown.
    pub text_version: i32,
}

fn purpose_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(ConsentPurpose::VARIANTS.iter().map(|purpose| purpose.id())))
        .build()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PurposePath {
    #[param(schema_with = purpose_schema)]
    pub purpose: String,
}

fn parse_purpose(raw: &str) -> Result<ConsentPurpose, ApiError> {
    ConsentPurpose::parse(raw).ok_or_else(|| {
        ApiError::invalid_input(
            vec![serde_json::json!({
                "pointer": "/purpose",
                "detail": "同意の目的が正しくありません（matching, notice_email, notice_line, notice_web_push, statistics）",
                "detail_en": "unknown purpose",
            })],
            format!("unknown purpose {raw:?}"),
        )
    })
}

/// Gives consent to a purpose's current text. Consent to matching starts matching at once.
#[utoipa::path(post, path = "/me/consents", tag = "me", security(("parent_session" = [])), request_body = ConsentRequest,
    responses((status = 200, body = Consents), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn give_consent(
    State(state): State<AppState>,
    parent: Parent,
    context: RequestContext,
    JsonBody(request): JsonBody<ConsentRequest>,
) -> Result<Json<Consents>, ApiError> {
    let purpose = parse_purpose(&request.purpose)?;
    parent::give_consent(&state, parent.account, &context, purpose, request.text_version).await?;
    get_consents(State(state), parent).await
}

/// Withdraws consent to a purpose, effective at once. Withdrawing matching deletes its results.
#[utoipa::path(delete, path = "/me/consents/{purpose}", tag = "me", security(("parent_session" = [])), params(PurposePath),
    responses((status = 200, body = Consents), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn withdraw_consent(
    State(state): State<AppState>,
    parent: Parent,
    context: RequestContext,
    Path(PurposePath { purpose: raw }): Path<PurposePath>,
) -> Result<Json<Consents>, ApiError> {
    let purpose = parse_purpose(&raw)?;
    parent::withdraw_consent(&state, parent.account, &context, purpose).await?;
    get_consents(State(state), parent).await
}

/// A program the matcher found for the household, with why.
#[derive(Debug, Serialize, ToSchema)]
pub struct Finding {
    pub program_id: String,
    pub name: String,
    pub summary: String,
    pub source_url: Option<String>,
    pub contact: kosodate_registry::Contact,
    /// `eligible` or `unknown` today, or `not_eligible` when it becomes eligible later.
    pub eligibility_today: kosodate_matcher::Eligibility,
    /// When it applies: the windows that start within the horizon, each with its last day
    /// (`until`) wherever the rule puts it, also past the horizon; `null` only for no end.
    pub windows: Vec<kosodate_matcher::Window>,
    /// When to apply.
    pub application_periods: Vec<kosodate_matcher::ApplicationPeriod>,
    /// Questions whose answers would settle an unknown result.
    pub questions: Vec<Question>,
    /// Why, condition by condition.
    pub reason: kosodate_matcher::Reason,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Question {
    pub question_ja: String,
    pub question_en: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingsQuery {
    /// The reference date (default: today in Japan), to see what applies on another day.
    pub on: Option<CalendarDate>,
}

/// The programs the household is or will be eligible for, with windows, deadlines and reasons.
/// Needs consent to matching.
#[utoipa::path(get, path = "/me/programs", tag = "me", security(("parent_session" = [])), params(FindingsQuery),
    responses((status = 200, body = Vec<Finding>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn programs(
    State(state): State<AppState>,
    parent: Parent,
    context: RequestContext,
    ApiQuery(query): ApiQuery<FindingsQuery>,
) -> Result<Json<Vec<Finding>>, ApiError> {
    let id = household_of(&state, &parent).await?;
    let today = query
        .on
        .map_or_else(|| japan::date_of(chrono::Utc::now()), CalendarDate::date);
    let Some(findings) = state.matching.findings_for(id, today).await? else {
        return Err(ApiError::forbidden(
            "対象となる制度を調べるには「対象となる制度の確認」への同意が必要です",
            "matching needs consent to the matching purpose",
        ));
    };
    parent::record_access(&state, &context, "household.match", id).await?;
    Ok(Json(findings.into_iter().map(Finding::of).collect()))
}

impl Finding {
    fn of(finding: kosodate_matching::Finding) -> Self {
        let kosodate_matching::Finding {
            program,
            found,
            reason,
        } = finding;
        let questions = found
            .detail
            .missing
            .iter()
            .map(|fact| Question {
                question_ja: fact.question_ja(),
                question_en: fact.question_en(),
            })
            .collect();
        Self {
            program_id: program.id.to_string(),
            name: program.content.name,
            summary: program.content.summary,
            source_url: program.content.source_url,
            contact: program.content.contact,
            eligibility_today: found.eligibility,
            windows: found.detail.windows,
            application_periods: found.detail.periods,
            questions,
            reason,
        }
    }
}

/// The household's contact channels.
#[utoipa::path(get, path = "/me/channels", tag = "me", security(("parent_session" = [])),
    responses((status = 200, body = Vec<ChannelRecord>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn channels(
    State(state): State<AppState>,
    parent: Parent,
) -> Result<Json<Vec<ChannelRecord>>, ApiError> {
    let id = household_of(&state, &parent).await?;
    Ok(Json(state.households.channels(id).await?))
}

/// A new contact channel: `{"email": "…"}` (a verification link is mailed), `{"line": true}` (the
/// LINE account signed in with) or `{"web_push": <PushSubscription.toJSON()>}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum NewChannel {
    #[schema(format = Email)]
    Email(String),
    Line(bool),
    WebPush(PushSubscription),
}

#[utoipa::path(post, path = "/me/channels", tag = "me", security(("parent_session" = [])), request_body = NewChannel,
    responses((status = 201, body = Vec<ChannelRecord>), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn add_channel(
    State(state): State<AppState>,
    parent: Parent,
    JsonBody(channel): JsonBody<NewChannel>,
) -> Result<Response, ApiError> {
    let id = household_of(&state, &parent).await?;
    match channel {
        NewChannel::Email(raw) => {
            let address = EmailAddress::parse(&raw).map_err(|_| {
                field_error(
                    "/email",
                    "メールアドレスの形式が正しくありません",
                    "not an email address",
                )
            })?;
            parent::add_email(&state, id, &address).await?;
        }
        NewChannel::Line(link) => {
            let subject = match link && state.auth.is_line(&parent.session.provider) {
                true => state.households.account_subject(parent.account).await?,
                false => None,
            };
            let user = subject
                .as_deref()
                .and_then(|subject| LineUserId::parse(subject).ok())
                .ok_or_else(|| {
                    // The request is well formed; this session has no LINE account to link.
                    ApiError::forbidden(
                        "LINEでログインしているときに登録できます",
                        "sign in with LINE to link LINE",
                    )
                })?;
            state.households.add_line(id, &user).await?;
        }
        NewChannel::WebPush(subscription) => {
            if subscription.endpoint.scheme() != "https" {
                return Err(field_error(
                    "/web_push/endpoint",
                    "プッシュ通知の送信先が正しくありません",
                    "a push endpoint is an https URL",
                ));
            }
            state.households.add_web_push(id, &subscription).await?;
        }
    }
    Ok((StatusCode::CREATED, Json(state.households.channels(id).await?)).into_response())
}

fn field_error(pointer: &str, detail: &str, detail_en: &str) -> ApiError {
    ApiError::invalid_input(
        vec![serde_json::json!({"pointer": pointer, "detail": detail, "detail_en": detail_en})],
        detail_en,
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelChange {
    pub opted_in: bool,
}

/// Turns notices on one channel on or off.
#[utoipa::path(patch, path = "/me/channels/{id}", tag = "me", security(("parent_session" = [])), request_body = ChannelChange, params(("id" = String, Path)),
    responses((status = 200, body = Vec<ChannelRecord>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn change_channel(
    State(state): State<AppState>,
    parent: Parent,
    Path(channel): Path<String>,
    JsonBody(change): JsonBody<ChannelChange>,
) -> Result<Json<Vec<ChannelRecord>>, ApiError> {
    let id = household_of(&state, &parent).await?;
    state
        .households
        .set_channel_opt_in(id, &channel, change.opted_in)
        .await?;
    Ok(Json(state.households.channels(id).await?))
}

#[utoipa::path(delete, path = "/me/channels/{id}", tag = "me", security(("parent_session" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Vec<ChannelRecord>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_channel(
    State(state): State<AppState>,
    parent: Parent,
    Path(channel): Path<String>,
) -> Result<Json<Vec<ChannelRecord>>, ApiError> {
    let id = household_of(&state, &parent).await?;
    state.households.remove_channel(id, &channel).await?;
    Ok(Json(state.households.channels(id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    pub token: String,
}

/// The link in the verification mail: no sign-in needed, the token is the proof.
#[utoipa::path(get, path = "/me/channels/verify", tag = "me", params(VerifyQuery),
    responses((status = 200, description = "verified"), (status = 400, body = Problem)))]
pub async fn verify_email(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<VerifyQuery>,
) -> Result<Response, ApiError> {
    state.households.verify_email(&query.token).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "メールアドレスを確認しました。お知らせをこのアドレスにお送りします。",
    )
        .into_response())
}
