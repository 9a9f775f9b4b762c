//! Who is looking at a page, and forms that change something. Pages read the session themselves
//! (an API request without a session is a 401; a page without one offers to sign in), and a form
//! proves it came from one of our pages by echoing the session's CSRF token in a hidden
//! `csrf_token` field, the form counterpart of the API's `X-CSRF-Token` header.

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_domain::error_chain;
use kosodate_households::AccountId;
use kosodate_registry::StaffIdentity;
use serde::de::DeserializeOwned;

use crate::auth::session::{Session, SessionUser, Sessions, tokens_match};
use crate::error::ApiError;
use crate::extract::Body;

/// The session of whoever asks for a page, if any.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub session: Option<Session>,
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor
where
    Sessions: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Sessions::from_ref(state)
            .find(&parts.headers)
            .await
            .map_err(|error| {
                tracing::error!(error = %error_chain(&error), "session lookup failed");
                ApiError::internal()
            })?;
        Ok(Self { session })
    }
}

impl Visitor {
    /// The signed-in parent's account.
    pub fn parent(&self) -> Option<AccountId> {
        match self.session.as_ref()?.user {
            SessionUser::Parent(account) => Some(account),
            SessionUser::Staff(_) => None,
        }
    }
}

/// A page only a signed-in parent sees. Anyone else is sent to sign in and comes back here.
#[derive(Debug, Clone)]
pub struct SignedInParent {
    pub account: AccountId,
    pub session: Session,
}

impl SignedInParent {
    /// The token every form of the page carries in its hidden `csrf_token` field.
    pub fn csrf_token(&self) -> &str {
        &self.session.csrf_token
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedInParent
where
    Sessions: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if let (Some(account), Some(session)) = (visitor.parent(), visitor.session) {
            return Ok(Self { account, session });
        }
        Err(sign_in_first(parts, "/login", "/me"))
    }
}

/// A form posted by a signed-in parent from one of our pages: the session's CSRF token is checked
/// before the fields are read. Fields the type does not name are ignored, so one token field
/// serves every form.
#[derive(Debug)]
pub struct ParentForm<T> {
    pub parent: SignedInParent,
    pub fields: T,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ParentForm<T>
where
    Sessions: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let parent = SignedInParent::from_request_parts(&mut parts, state).await?;
        let fields = checked_form(Request::from_parts(parts, body), state, parent.csrf_token()).await?;
        Ok(Self { parent, fields })
    }
}

/// A page only staff see. Anyone else is sent to the staff sign-in and comes back here.
#[derive(Debug, Clone)]
pub struct SignedInStaff {
    pub identity: StaffIdentity,
    pub session: Session,
}

impl SignedInStaff {
    /// The token every form of the page carries in its hidden `csrf_token` field.
    pub fn csrf_token(&self) -> &str {
        &self.session.csrf_token
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedInStaff
where
    Sessions: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if let Some(session) = visitor.session
            && let SessionUser::Staff(identity) = &session.user
        {
            return Ok(Self {
                identity: identity.clone(),
                session,
            });
        }
        Err(sign_in_first(parts, "/staff/login", "/staff"))
    }
}

/// A form posted by staff from one of our pages, checked like [`ParentForm`].
#[derive(Debug)]
pub struct StaffForm<T> {
    pub staff: SignedInStaff,
    pub fields: T,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for StaffForm<T>
where
    Sessions: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let staff = SignedInStaff::from_request_parts(&mut parts, state).await?;
        let fields = checked_form(Request::from_parts(parts, body), state, staff.csrf_token()).await?;
        Ok(Self { staff, fields })
    }
}

/// Sends a visitor to `login` and, after signing in, back to the page asked for (a GET) or to
/// `fallback` (a form's target is no page to come back to).
fn sign_in_first(parts: &Parts, login: &str, fallback: &str) -> Response {
    let here = parts.uri.path_and_query().map_or(fallback, |path| path.as_str());
    let back = match parts.method {
        axum::http::Method::GET => here,
        _ => fallback,
    };
    let location = format!(
        "{login}?return_to={}",
        form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
    );
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Reads a urlencoded form after checking its `csrf_token` field against the session's, in
/// constant time. Fields the type does not name are ignored, so one token field serves every form.
async fn checked_form<S: Send + Sync, T: DeserializeOwned>(
    request: Request,
    state: &S,
    session_token: &str,
) -> Result<T, Response> {
    let Body(bytes) = Body::from_request(request, state)
        .await
        .map_err(IntoResponse::into_response)?;
    let token = form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == "csrf_token")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    if !tokens_match(&token, session_token) {
        return Err(ApiError::csrf().into_response());
    }
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let parameter = error.path().to_string();
        ApiError::invalid_query(
            &parameter,
            "入力内容を読み取れませんでした。前の画面に戻って、もう一度入力してください",
            format!("the form could not be read: {}", error.inner()),
        )
        .into_response()
    })
}
