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
        let here = parts.uri.path_and_query().map_or("/me", |path| path.as_str());
        let back = match parts.method {
            axum::http::Method::GET => here,
            _ => "/me",
        };
        let location = format!(
            "/login?return_to={}",
            form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
        );
        Err((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
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
        let Body(bytes) = Body::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let token = form_urlencoded::parse(&bytes)
            .find(|(name, _)| name == "csrf_token")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        if !tokens_match(&token, parent.csrf_token()) {
            return Err(ApiError::csrf().into_response());
        }
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes));
        let fields = serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let parameter = error.path().to_string();
            ApiError::invalid_query(
                &parameter,
                "入力内容を読み取れませんでした。前の画面に戻って、もう一度入力してください",
                format!("the form could not be read: {}", error.inner()),
            )
            .into_response()
        })?;
        Ok(Self { parent, fields })
    }
}
