//! The channel implementations: one module each, and what the HTTP channels share.

use std::time::Duration;

pub mod email;
pub mod line;
pub mod partner_app;
mod smtp;
pub mod web_push;

/// A `Retry-After` header (RFC 9110 §10.2.3): seconds, or an HTTP date; a date in the past means
/// "now".
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        at.signed_duration_since(chrono::Utc::now())
            .to_std()
            .unwrap_or_default(),
    )
}
