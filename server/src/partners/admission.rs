//! Admitting a partner app's bearer token: the scope each read route needs, then the partner's
//! rate limit. It depends on nothing of the server but the error policy, so that the extractors
//! can use it.

use axum::http::Method;
use chrono::{DateTime, Utc};
use kosodate_partners::{PartnerAccess, Partners, Scope};

use crate::error::ApiError;

/// The scope a partner's token needs for a request: reading programs (and what a program list
/// is read with: municipalities, program types, search), places or events. Partners only read;
/// any other request is not theirs (`None`).
pub fn read_scope(method: &Method, path: &str) -> Option<Scope> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let rest = path.strip_prefix("/api/v1/")?;
    let first = rest.split('/').next().unwrap_or_default();
    match first {
        "programs" | "program-types" | "municipalities" | "search" => Some(Scope::ProgramsRead),
        "places" => Some(Scope::PlacesRead),
        "events" => Some(Scope::EventsRead),
        _ => None,
    }
}

/// Admits a partner's bearer token for `scope`: a token that is unknown, expired or revoked is
/// 401, one without the scope 403, and a partner past its rate 429.
pub async fn admit(
    partners: &Partners,
    token: &str,
    scope: Option<Scope>,
    now: DateTime<Utc>,
) -> Result<PartnerAccess, ApiError> {
    let access = partners
        .access(token, now)
        .await?
        .ok_or_else(ApiError::partner_token_invalid)?;
    match scope {
        Some(scope) if access.scopes.contains(scope) => {}
        other => return Err(ApiError::partner_scope_missing(other)),
    }
    partners.take_request(&access.partner).await?;
    Ok(access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partners_read_programs_places_and_events_only() {
        let get = Method::GET;
        assert_eq!(read_scope(&get, "/api/v1/programs"), Some(Scope::ProgramsRead));
        assert_eq!(
            read_scope(&get, "/api/v1/programs/abc"),
            Some(Scope::ProgramsRead)
        );
        assert_eq!(read_scope(&get, "/api/v1/places/abc"), Some(Scope::PlacesRead));
        assert_eq!(read_scope(&get, "/api/v1/events"), Some(Scope::EventsRead));
        assert_eq!(read_scope(&get, "/api/v1/me/household"), None);
        assert_eq!(read_scope(&get, "/api/v1/programsx"), None);
        assert_eq!(read_scope(&Method::POST, "/api/v1/programs"), None);
    }
}
