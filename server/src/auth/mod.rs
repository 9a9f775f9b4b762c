//! Sign-in with OpenID Connect, for parents and for staff: authorization code flow with PKCE
//! (S256), `state` and `nonce`, each pending sign-in usable once; ID tokens checked for issuer,
//! audience, expiry, nonce and signature (RS256 and ES256 by the provider's keys, HS256 by the
//! client secret, as LINE Login signs them). Providers come from settings. Staff roles come from
//! configured claims; a staff sign-in without a recognised role is refused.

mod entity;
pub mod routes;
pub mod session;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::Utc;
use kosodate_domain::digest::sha256_hex;
use kosodate_domain::{EmailAddress, MunicipalityCode};
use kosodate_registry::{StaffIdentity, StaffRole};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use rand::RngCore;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use secrecy::ExposeSecret;
use tokio::sync::RwLock;

use crate::settings::{Audience, OidcProviderSetting};
use entity::login_request;

/// How long a started sign-in may take at the provider.
const LOGIN_VALIDITY_MINUTES: i64 = 10;
/// Discovery documents and keys are re-read this often, so that key rotation is picked up.
const METADATA_TTL: Duration = Duration::from_secs(600);

/// Why a sign-in failed. Messages name the failure, never a token or a claim's value.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no sign-in provider {0:?}")]
    UnknownProvider(String),
    #[error("unknown, used or expired sign-in state")]
    BadState,
    #[error("the provider answered with an error: {0}")]
    ProviderDenied(String),
    #[error("the provider cannot be reached or answered nonsense: {0}")]
    ProviderUnavailable(String),
    #[error("id token rejected: {0}")]
    TokenRejected(&'static str),
    #[error("signed in, but not as staff with a known role")]
    NotStaff,
    #[error("reading or writing sign-in state failed")]
    Database(#[from] sea_orm::DbErr),
}

/// Who signed in.
#[derive(Debug)]
pub enum SignedIn {
    Parent {
        provider: String,
        subject: String,
        return_to: String,
    },
    Staff {
        provider: String,
        /// Who the provider says signed in, and the address its claims gave: the staff
        /// directory's key and where review reminders go.
        subject: String,
        email: Option<EmailAddress>,
        identity: StaffIdentity,
        return_to: String,
    },
}

struct Provider {
    setting: OidcProviderSetting,
    metadata: RwLock<Option<(Instant, CoreProviderMetadata)>>,
}

/// The configured providers. Cheap to clone.
#[derive(Clone)]
pub struct Authenticator {
    providers: Arc<HashMap<String, Provider>>,
    http: reqwest::Client,
    public_url: url::Url,
    db: DatabaseConnection,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Authenticator")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A provider as the sign-in page lists it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProviderLink {
    pub id: String,
    pub label: String,
    #[schema(value_type = String)]
    pub audience: Audience,
    pub login_url: String,
}

impl Authenticator {
    pub fn new(settings: &[OidcProviderSetting], public_url: url::Url, db: DatabaseConnection) -> Self {
        let providers = settings
            .iter()
            .map(|setting| {
                let provider = Provider {
                    setting: setting.clone(),
                    metadata: RwLock::new(None),
                };
                (setting.id.clone(), provider)
            })
            .collect();
        Self {
            providers: Arc::new(providers),
            // Following redirects from a provider would open the server to SSRF.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            public_url,
            db,
        }
    }

    pub fn links(&self) -> Vec<ProviderLink> {
        let mut links: Vec<ProviderLink> = self
            .providers
            .values()
            .map(|provider| ProviderLink {
                id: provider.setting.id.clone(),
                label: provider.setting.label.clone(),
                audience: provider.setting.audience,
                login_url: format!("/auth/login/{}", provider.setting.id),
            })
            .collect();
        // LINE first: most parents in Aomori have it, and it also links LINE notices.
        links.sort_by_key(|link| (!self.is_line(&link.id), link.id.clone()));
        links
    }

    pub fn audience(&self, provider: &str) -> Option<Audience> {
        self.providers
            .get(provider)
            .map(|provider| provider.setting.audience)
    }

    pub fn is_line(&self, provider: &str) -> bool {
        self.providers
            .get(provider)
            .is_some_and(|provider| provider.setting.line_user_ids)
    }

    fn provider(&self, id: &str) -> Result<&Provider, AuthError> {
        self.providers
            .get(id)
            .ok_or_else(|| AuthError::UnknownProvider(id.to_owned()))
    }

    fn redirect_uri(&self, provider: &str) -> Result<RedirectUrl, AuthError> {
        let url = self
            .public_url
            .join(&format!("auth/callback/{provider}"))
            .map_err(|e| AuthError::ProviderUnavailable(e.to_string()))?;
        Ok(RedirectUrl::from_url(url))
    }

    /// Starts a sign-in: remembers state, nonce and PKCE verifier, and returns the provider's
    /// authorization URL to send the browser to.
    pub async fn start(
        &self,
        provider_id: &str,
        return_to: &str,
        login_hint: Option<&str>,
    ) -> Result<url::Url, AuthError> {
        let provider = self.provider(provider_id)?;
        let metadata = self.metadata(provider).await?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.setting.client_id.clone()),
            Some(ClientSecret::new(
                provider.setting.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(self.redirect_uri(provider_id)?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in provider.setting.scopes.iter().filter(|scope| *scope != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint);
        }
        let (url, state, nonce) = request.url();
        login_request::Entity::insert(login_request::ActiveModel {
            state_hash: Set(sha256_hex(state.secret())),
            provider: Set(provider_id.to_owned()),
            nonce: Set(nonce.secret().clone()),
            pkce_verifier: Set(verifier.secret().clone()),
            return_to: Set(return_to.to_owned()),
            expires_at: Set(Utc::now() + chrono::Duration::minutes(LOGIN_VALIDITY_MINUTES)),
        })
        .exec_without_returning(&self.db)
        .await?;
        Ok(url)
    }

    /// Finishes a sign-in from the provider's redirect.
    pub async fn finish(&self, provider_id: &str, callback: &Callback) -> Result<SignedIn, AuthError> {
        let provider = self.provider(provider_id)?;
        let pending = self
            .take_login_request(provider_id, callback.state.as_deref())
            .await?;
        if let Some(error) = &callback.error {
            return Err(AuthError::ProviderDenied(error.clone()));
        }
        let metadata = self.metadata(provider).await?;
        // RFC 9207: a provider that names itself on the redirect must name itself.
        if let Some(iss) = &callback.iss
            && iss.trim_end_matches('/') != metadata.issuer().as_str().trim_end_matches('/')
        {
            return Err(AuthError::TokenRejected(
                "issuer on the redirect is not the provider",
            ));
        }
        let code = callback.code.clone().ok_or(AuthError::BadState)?;
        let verified = self
            .redeem(provider_id, provider, metadata, code, &pending)
            .await?;
        let provider_name = provider_id.to_owned();
        match provider.setting.audience {
            Audience::Parents => Ok(SignedIn::Parent {
                provider: provider_name,
                subject: verified.subject,
                return_to: pending.return_to,
            }),
            Audience::Staff => {
                let identity = staff_identity(&provider.setting, &verified.claims, &verified.subject)
                    .ok_or(AuthError::NotStaff)?;
                let email = verified
                    .claims
                    .get("email")
                    .and_then(|email| email.as_str())
                    .and_then(|email| EmailAddress::parse(email).ok());
                Ok(SignedIn::Staff {
                    provider: provider_name,
                    subject: verified.subject,
                    email,
                    identity,
                    return_to: pending.return_to,
                })
            }
        }
    }

    /// Exchanges the code for tokens and verifies the ID token. For staff, whose roles are
    /// custom claims, the claims are the ID token's, completed from the userinfo endpoint when
    /// the ID token lacks the roles claim: a standard provider puts scope-requested claims only
    /// in userinfo when it issues an access token (OIDC Core 5.4).
    async fn redeem(
        &self,
        provider_id: &str,
        provider: &Provider,
        metadata: CoreProviderMetadata,
        code: String,
        pending: &login_request::Model,
    ) -> Result<Verified, AuthError> {
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.setting.client_id.clone()),
            Some(ClientSecret::new(
                provider.setting.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(self.redirect_uri(provider_id)?)
        .set_auth_type(match provider.setting.token_auth.as_deref() {
            Some("client_secret_post") => AuthType::RequestBody,
            _ => AuthType::BasicAuth,
        });
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| AuthError::ProviderUnavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| AuthError::ProviderDenied(token_error(&e)))?;
        let id_token = token.id_token().ok_or(AuthError::TokenRejected("no id token"))?;
        let mut verifier = client.id_token_verifier();
        if let Some(algs) = &provider.setting.id_token_algs {
            verifier = verifier.set_allowed_algs(algs.iter().filter_map(|alg| signing_alg(alg)));
        }
        let id_claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce.clone()))
            .map_err(|e| AuthError::TokenRejected(claims_error(&e)))?;
        let subject = id_claims.subject().clone();
        // Verified above; the payload is read again only for the configured custom claims.
        let mut claims =
            jwt_payload(&id_token.to_string()).ok_or(AuthError::TokenRejected("unreadable payload"))?;
        let lacks_roles = claims.get(&provider.setting.roles_claim).is_none();
        if provider.setting.audience == Audience::Staff && lacks_roles {
            // The subject must be the ID token's, or the answer is not about who signed in.
            let userinfo: UserInfoClaims<CustomClaims, CoreGenderClaim> = client
                .user_info(token.access_token().clone(), Some(subject.clone()))
                .map_err(|e| AuthError::ProviderUnavailable(e.to_string()))?
                .request_async(&self.http)
                .await
                .map_err(|e| AuthError::ProviderUnavailable(userinfo_error(&e)))?;
            merge_missing(&mut claims, serde_json::to_value(&userinfo).unwrap_or_default());
        }
        Ok(Verified {
            subject: subject.as_str().to_owned(),
            claims,
        })
    }

    /// The pending sign-in that `state` names, removed so that it works once.
    async fn take_login_request(
        &self,
        provider_id: &str,
        state: Option<&str>,
    ) -> Result<login_request::Model, AuthError> {
        let state_hash = sha256_hex(state.ok_or(AuthError::BadState)?);
        let pending = login_request::Entity::find_by_id(state_hash.clone())
            .one(&self.db)
            .await?
            .ok_or(AuthError::BadState)?;
        let removed = login_request::Entity::delete_many()
            .filter(login_request::Column::StateHash.eq(state_hash))
            .exec(&self.db)
            .await?;
        login_request::Entity::delete_many()
            .filter(login_request::Column::ExpiresAt.lt(Utc::now()))
            .exec(&self.db)
            .await?;
        // Two callbacks with one state: only the one that removed the row goes on.
        if removed.rows_affected != 1 || pending.provider != provider_id || pending.expires_at < Utc::now() {
            return Err(AuthError::BadState);
        }
        Ok(pending)
    }

    async fn metadata(&self, provider: &Provider) -> Result<CoreProviderMetadata, AuthError> {
        if let Some((fetched, metadata)) = provider.metadata.read().await.as_ref()
            && fetched.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(provider.setting.issuer.as_str().trim_end_matches('/').to_owned())
            .map_err(|e| AuthError::ProviderUnavailable(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| AuthError::ProviderUnavailable(e.to_string()))?;
        *provider.metadata.write().await = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }
}

/// Who a provider says signed in: the verified subject and every claim known about them.
struct Verified {
    subject: String,
    claims: serde_json::Value,
}

/// The claims beyond the standard ones (roles, municipality), kept as they came.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(transparent)]
struct CustomClaims(serde_json::Map<String, serde_json::Value>);

impl openidconnect::AdditionalClaims for CustomClaims {}

/// Adds to `claims` what `more` has and it lacks: the ID token's claims win.
fn merge_missing(claims: &mut serde_json::Value, more: serde_json::Value) {
    let (Some(claims), serde_json::Value::Object(more)) = (claims.as_object_mut(), more) else {
        return;
    };
    for (name, value) in more {
        claims.entry(name).or_insert(value);
    }
}

/// A short description of a failed userinfo request, without the token.
fn userinfo_error<E: std::error::Error + 'static>(error: &openidconnect::UserInfoError<E>) -> String {
    match error {
        openidconnect::UserInfoError::ClaimsVerification(_) => "userinfo is about another subject".to_owned(),
        openidconnect::UserInfoError::Response(status, _, _) => format!("userinfo answered {status}"),
        other => format!("userinfo failed: {}", kosodate_domain::error_chain(other)),
    }
}

/// The provider's redirect back to us.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
}

fn signing_alg(name: &str) -> Option<CoreJwsSigningAlgorithm> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// The role the configured claims give, if any: administrator wins over prefecture over
/// municipal, and a municipal role needs a valid municipality code.
fn staff_identity(
    setting: &OidcProviderSetting,
    payload: &serde_json::Value,
    subject: &str,
) -> Option<StaffIdentity> {
    let roles: Vec<&str> = match payload.get(&setting.roles_claim) {
        Some(serde_json::Value::Array(values)) => values.iter().filter_map(|value| value.as_str()).collect(),
        Some(serde_json::Value::String(value)) => value.split_whitespace().collect(),
        _ => Vec::new(),
    };
    let has = |wanted: &str| roles.contains(&wanted);
    let municipality = payload
        .get(&setting.municipality_claim)
        .and_then(|value| value.as_str())
        .and_then(|code| MunicipalityCode::parse(code).ok());
    let role = if has(&setting.role_values.administrator) {
        StaffRole::Administrator
    } else if has(&setting.role_values.prefecture) {
        StaffRole::Prefecture
    } else if has(&setting.role_values.municipal) {
        StaffRole::Municipal(municipality?)
    } else {
        return None;
    };
    let name = ["name", "preferred_username", "email"]
        .iter()
        .find_map(|claim| payload.get(*claim).and_then(|value| value.as_str()))
        .unwrap_or(subject);
    Some(StaffIdentity {
        name: name.to_owned(),
        role,
        credential: kosodate_registry::Credential::Person,
    })
}

fn jwt_payload(jwt: &str) -> Option<serde_json::Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A short, value-free description of a rejected ID token.
fn claims_error(error: &openidconnect::ClaimsVerificationError) -> &'static str {
    use openidconnect::ClaimsVerificationError as E;
    match error {
        E::Expired(_) => "expired",
        E::InvalidAudience(_) => "wrong audience",
        E::InvalidIssuer(_) => "wrong issuer",
        E::InvalidNonce(_) => "nonce mismatch",
        E::SignatureVerification(_) => "bad signature",
        E::Unsupported(_) => "unsupported token",
        _ => "invalid claims",
    }
}

fn token_error<E: std::error::Error>(
    error: &openidconnect::RequestTokenError<
        E,
        openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    >,
) -> String {
    match error {
        openidconnect::RequestTokenError::ServerResponse(response) => response.error().to_string(),
        openidconnect::RequestTokenError::Request(_) => "token request failed".to_owned(),
        openidconnect::RequestTokenError::Parse(_, _) => "token response unreadable".to_owned(),
        openidconnect::RequestTokenError::Other(message) => message.clone(),
    }
}

/// 32 random bytes, URL-safe.
pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
