//! Server-side sessions. The cookie holds 32 random bytes; the database holds their SHA-256, the
//! kind of user, and the CSRF token that every state-changing request of the session must echo
//! in `X-CSRF-Token`. Cookies are HttpOnly and SameSite=Lax, and Secure when the service is
//! reached over https.

use axum::http::HeaderMap;
use axum::http::header::{COOKIE, SET_COOKIE};
use chrono::{Duration, Utc};
use cookie::Cookie;
use kosodate_domain::digest::sha256_hex;
use kosodate_households::AccountId;
use kosodate_registry::{StaffIdentity, StaffRole};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use super::entity::session;
use super::random_secret;

pub const COOKIE_NAME: &str = "kosodate_session";
/// With https, the `__Host-` prefix makes browsers refuse the cookie from any other origin.
pub const SECURE_COOKIE_NAME: &str = "__Host-kosodate_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who a session belongs to.
#[derive(Debug, Clone)]
pub enum SessionUser {
    Parent(AccountId),
    Staff(StaffIdentity),
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub provider: String,
    pub user: SessionUser,
    pub csrf_token: String,
}

/// The session store and cookie policy. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Sessions {
    db: DatabaseConnection,
    secure: bool,
    parent_hours: i64,
    staff_hours: i64,
}

impl Sessions {
    pub fn new(db: DatabaseConnection, secure: bool, parent_hours: u64, staff_hours: u64) -> Self {
        Self {
            db,
            secure,
            parent_hours: i64::try_from(parent_hours).unwrap_or(720),
            staff_hours: i64::try_from(staff_hours).unwrap_or(9),
        }
    }

    fn cookie_name(&self) -> &'static str {
        match self.secure {
            true => SECURE_COOKIE_NAME,
            false => COOKIE_NAME,
        }
    }

    /// Starts a session and returns the `Set-Cookie` value that carries it.
    pub async fn create(&self, provider: &str, user: &SessionUser) -> Result<String, DbErr> {
        let secret = random_secret();
        let hours = match user {
            SessionUser::Parent(_) => self.parent_hours,
            SessionUser::Staff(_) => self.staff_hours,
        };
        let now = Utc::now();
        let (kind, account, staff) = match user {
            SessionUser::Parent(account) => ("parent", Some(account.to_string()), None),
            SessionUser::Staff(identity) => ("staff", None, Some(identity)),
        };
        let row = session::ActiveModel {
            id_hash: Set(sha256_hex(&secret)),
            kind: Set(kind.to_owned()),
            provider: Set(provider.to_owned()),
            account_id: Set(account),
            staff_name: Set(staff.map(|identity| identity.name.clone())),
            staff_role: Set(staff.map(|identity| identity.role.id().to_owned())),
            staff_municipality: Set(staff.and_then(|identity| match identity.role {
                StaffRole::Municipal(code) => Some(code.as_str().to_owned()),
                _ => None,
            })),
            csrf_token: Set(random_secret()),
            created_at: Set(now),
            expires_at: Set(now + Duration::hours(hours)),
        };
        session::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await?;
        // Expired sessions go as new ones come, so the table does not grow without a cron job.
        session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?;
        Ok(self.cookie(secret, Some(hours)))
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn removal_cookie(&self) -> String {
        self.cookie(String::new(), Some(0))
    }

    fn cookie(&self, value: String, hours: Option<i64>) -> String {
        let mut cookie = Cookie::build((self.cookie_name(), value))
            .path("/")
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(self.secure);
        if let Some(hours) = hours {
            cookie = cookie.max_age(cookie::time::Duration::hours(hours));
        }
        cookie.build().to_string()
    }

    /// The live session the request's cookie names, if any.
    pub async fn find(&self, headers: &HeaderMap) -> Result<Option<Session>, DbErr> {
        let Some(secret) = self.cookie_value(headers) else {
            return Ok(None);
        };
        let row = session::Entity::find_by_id(sha256_hex(&secret))
            .filter(session::Column::ExpiresAt.gt(Utc::now()))
            .one(&self.db)
            .await?;
        Ok(row.and_then(session_of))
    }

    fn cookie_value(&self, headers: &HeaderMap) -> Option<String> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == self.cookie_name())
            .map(|cookie| cookie.value().to_owned())
            .filter(|value| !value.is_empty())
    }

    pub async fn delete(&self, session: &Session) -> Result<(), DbErr> {
        session::Entity::delete_by_id(session.id_hash.clone())
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

fn session_of(row: session::Model) -> Option<Session> {
    let user = match row.kind.as_str() {
        "parent" => SessionUser::Parent(AccountId::parse(row.account_id.as_deref()?).ok()?),
        "staff" => {
            let role = StaffRole::from_stored(row.staff_role.as_deref()?, row.staff_municipality.as_deref())?;
            SessionUser::Staff(StaffIdentity {
                name: row.staff_name?,
                role,
                credential: kosodate_registry::Credential::Person,
            })
        }
        _ => return None,
    };
    Some(Session {
        id_hash: row.id_hash,
        provider: row.provider,
        user,
        csrf_token: row.csrf_token,
    })
}

/// Whether a state-changing request of `session` carries its CSRF token.
pub fn csrf_matches(session: &Session, headers: &HeaderMap) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|token| tokens_match(token, &session.csrf_token))
}

/// Compares a token a request carries with the session's, in time independent of where they differ.
pub fn tokens_match(given: &str, expected: &str) -> bool {
    let (left, right) = (given.as_bytes(), expected.as_bytes());
    left.len() == right.len() && left.iter().zip(right).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Appends a `Set-Cookie` header.
pub fn set_cookie(headers: &mut HeaderMap, value: &str) {
    if let Ok(value) = value.parse() {
        headers.append(SET_COOKIE, value);
    }
}
