//! Request extractors that turn bad input into problem documents: JSON bodies parsed with the
//! JSON pointer of the first wrong field, raw bodies within the size limit, and the staff identity.

use kosodate_domain::error_chain;
use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use kosodate_domain::text::{CONTROL_CHARACTER_EN, CONTROL_CHARACTER_JA, control_character_pointers};
use kosodate_domain::{CalendarDateError, MunicipalityCode};
use kosodate_households::AccountId;
use kosodate_partners::{PartnerAccess, Partners, Scope};
use kosodate_registry::StaffIdentity;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::auth::session::{Session, SessionUser, Sessions, csrf_matches};
use crate::error::ApiError;
use crate::settings::ApiTokenSetting;

/// A body that must be within the configured size limit.
#[derive(Debug)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(request, state)
            .await
            .map(Body)
            .map_err(|rejection| body_rejection(&rejection))
    }
}

fn body_rejection(rejection: &BytesRejection) -> ApiError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "送信された内容が大きすぎます",
            "送信できる大きさの上限を超えています。ファイルを分けて送信してください",
            rejection.body_text(),
        ),
        status => ApiError::new(
            status,
            "bad-request",
            "送信内容を読めません",
            "送信内容を読み取れませんでした",
            rejection.body_text(),
        ),
    }
}

/// A JSON body. Unlike `axum::Json`, every rejection is a problem document, and a type error names
/// the field by its JSON pointer.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                let mime = value.split(';').next().unwrap_or_default().trim();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "形式が違います",
                "Content-Type: application/json で送信してください",
                "expected Content-Type: application/json",
            ));
        }
        let Body(bytes) = Body::from_request(request, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses a JSON document into `T`. Text with control characters (other than tab, line feed and
/// carriage return) is refused first, wherever it is, so that no such character reaches storage
/// (PostgreSQL refuses U+0000 outright) or a log.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let document: serde_json::Value = serde_json::from_slice(bytes).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "JSONの形式が正しくありません",
            format!(
                "JSONとして読めません（{}行目 {}文字目付近）",
                error.line(),
                error.column()
            ),
            error.to_string(),
        )
    })?;
    let controls: Vec<serde_json::Value> =
        control_character_pointers(&document, MAX_CONTROL_CHARACTER_ERRORS)
            .into_iter()
            .map(|pointer| json!({"pointer": pointer, "detail": CONTROL_CHARACTER_JA, "detail_en": CONTROL_CHARACTER_EN}))
            .collect();
    if !controls.is_empty() {
        let detail_en = format!("{} texts hold control characters", controls.len());
        return Err(ApiError::invalid_input(controls, detail_en));
    }
    serde_path_to_error::deserialize(document).map_err(|error| {
        let message = error.inner().to_string();
        let pointer = pointer_for(error.path(), &message);
        let detail = japanese_for_serde(&message);
        ApiError::invalid_input(
            vec![json!({"pointer": pointer, "detail": detail, "detail_en": &message})],
            message,
        )
    })
}

/// More would make the answer larger than the request; the first ones show what is wrong.
const MAX_CONTROL_CHARACTER_ERRORS: usize = 100;

fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// serde_path_to_error's path as an RFC 6901 pointer; for a missing field, the field itself.
fn pointer_for(path: &serde_path_to_error::Path, message: &str) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => pointer.push_str(&format!("/{}", pointer_segment(key))),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        pointer.push_str(&format!("/{field}"));
    }
    pointer
}

fn japanese_for_serde(message: &str) -> String {
    let quoted = message.split('`').nth(1).unwrap_or_default();
    if message.starts_with("missing field") {
        format!("必須項目「{quoted}」がありません")
    } else if message.starts_with("unknown field") {
        format!("「{quoted}」という項目はありません")
    } else if message.starts_with("unknown variant") {
        format!("「{quoted}」は選択できる値ではありません")
    } else if message.starts_with("invalid date") {
        CalendarDateError::Malformed.message_ja().to_owned()
    } else if message.starts_with("date out of range") {
        CalendarDateError::OutOfRange.message_ja().to_owned()
    } else if message.starts_with("invalid type") {
        "値の種類が正しくありません（文字列・数値・配列などを確認してください）".to_owned()
    } else if message.contains("premature end of input")
        || message.contains("input contains invalid characters")
        || message.contains("input is out of range")
    {
        "日付の形式が正しくありません（例: 2026-04-01）".to_owned()
    } else {
        "値が正しくありません".to_owned()
    }
}

/// The configured API tokens, by the SHA-256 of the token so that plain tokens are not kept in
/// memory longer than start-up and lookups do not compare secrets byte by byte.
#[derive(Debug, Clone, Default)]
pub struct StaffTokens(HashMap<[u8; 32], StaffIdentity>);

#[derive(Debug, thiserror::Error)]
#[error("api token {name:?}: organisation must be a municipality code or admin: {reason}")]
pub struct TokenSettingError {
    name: String,
    reason: String,
}

impl StaffTokens {
    pub fn from_settings(settings: &[ApiTokenSetting]) -> Result<Self, TokenSettingError> {
        let mut tokens = HashMap::new();
        for setting in settings {
            let identity = match setting.organisation.trim() {
                "admin" => StaffIdentity::administrator(setting.name.clone()),
                code => {
                    let code = MunicipalityCode::parse(code).map_err(|error| TokenSettingError {
                        name: setting.name.clone(),
                        reason: error.to_string(),
                    })?;
                    StaffIdentity::for_organisation(setting.name.clone(), code)
                }
            };
            tokens.insert(digest(setting.token.expose_secret()), identity);
        }
        Ok(Self(tokens))
    }

    fn identify(&self, token: &str) -> Option<StaffIdentity> {
        self.0.get(&digest(token)).cloned()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A request made by staff: a valid bearer token or a staff session is required.
#[derive(Debug)]
pub struct Staff(pub StaffIdentity);

/// A request that may come from staff (who see drafts) or from anyone.
#[derive(Debug)]
pub struct MaybeStaff(pub Option<StaffIdentity>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeStaff
where
    StaffTokens: FromRef<S>,
    Sessions: FromRef<S>,
    Partners: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|value| value.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(ApiError::unauthenticated)?;
            // A partner app's token reads what the public reads, within its scopes and rate.
            if kosodate_partners::looks_like_access_token(token) {
                // Inside a nested router the URI lost its prefix; the original has it.
                let path = parts
                    .extensions
                    .get::<axum::extract::OriginalUri>()
                    .map_or_else(|| parts.uri.path(), |original| original.0.path());
                let scope = crate::partners::admission::read_scope(&parts.method, path);
                crate::partners::admission::admit(
                    &Partners::from_ref(state),
                    token,
                    scope,
                    chrono::Utc::now(),
                )
                .await?;
                return Ok(Self(None));
            }
            return StaffTokens::from_ref(state)
                .identify(token)
                .map(|identity| Self(Some(identity.as_machine())))
                .ok_or_else(ApiError::unauthenticated);
        }
        let Some(session) = checked_session(parts, &Sessions::from_ref(state)).await? else {
            return Ok(Self(None));
        };
        match session.user {
            SessionUser::Staff(identity) => Ok(Self(Some(identity))),
            SessionUser::Parent(_) => Ok(Self(None)),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Staff
where
    StaffTokens: FromRef<S>,
    Sessions: FromRef<S>,
    Partners: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let MaybeStaff(identity) = MaybeStaff::from_request_parts(parts, state).await?;
        identity.map(Self).ok_or_else(ApiError::unauthenticated)
    }
}

/// A request of a partner app with a bearer token holding `scope`, within its rate limit: for
/// the partner's own routes (`/api/v1/partner/…`).
#[derive(Debug)]
pub struct PartnerClient(pub PartnerAccess);

impl PartnerClient {
    /// The partner's access, admitted for `scope` (the scope is checked before the rate is
    /// counted, so a request refused for its scope costs nothing).
    pub async fn admit(parts: &Parts, partners: &Partners, scope: Scope) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::partner_token_invalid)?;
        crate::partners::admission::admit(partners, token, Some(scope), chrono::Utc::now())
            .await
            .map(Self)
    }
}

/// [`PartnerClient`] for managing webhooks (`webhooks:manage`).
#[derive(Debug)]
pub struct WebhookManager(pub PartnerAccess);

impl<S: Send + Sync> FromRequestParts<S> for WebhookManager
where
    Partners: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PartnerClient(access) =
            PartnerClient::admit(parts, &Partners::from_ref(state), Scope::WebhooksManage).await?;
        Ok(Self(access))
    }
}

/// A request of a signed-in parent.
#[derive(Debug)]
pub struct Parent {
    pub account: AccountId,
    pub session: Session,
}

impl<S: Send + Sync> FromRequestParts<S> for Parent
where
    Sessions: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = checked_session(parts, &Sessions::from_ref(state))
            .await?
            .ok_or_else(ApiError::parent_unauthenticated)?;
        match session.user {
            SessionUser::Parent(account) => Ok(Self { account, session }),
            SessionUser::Staff(_) => Err(ApiError::parent_unauthenticated()),
        }
    }
}

/// The request's session, if any; a state-changing request must carry the session's CSRF token.
async fn checked_session(parts: &Parts, sessions: &Sessions) -> Result<Option<Session>, ApiError> {
    let Some(session) = sessions.find(&parts.headers).await.map_err(|error| {
        tracing::error!(error = %error_chain(&error), "session lookup failed");
        ApiError::internal()
    })?
    else {
        return Ok(None);
    };
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !csrf_matches(&session, &parts.headers) {
        return Err(ApiError::csrf());
    }
    Ok(Some(session))
}

/// What the audit log records about the request itself.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        Ok(Self { request_id })
    }
}

/// Query parameters; a malformed one is a problem document naming the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|error| {
                let message = error.inner().to_string();
                let parameter = match error.path().to_string().as_str() {
                    "." => message.split('`').nth(1).unwrap_or_default().to_owned(),
                    path => path.to_owned(),
                };
                ApiError::invalid_query(
                    &parameter,
                    format!(
                        "パラメータ「{parameter}」の値が正しくありません: {}",
                        japanese_for_serde(&message)
                    ),
                    message,
                )
            })
    }
}
