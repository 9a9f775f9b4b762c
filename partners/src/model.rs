//! A partner as the rest of the service sees it, and what an administrator registers.

use chrono::{DateTime, TimeDelta, Utc};
use kosodate_domain::EmailAddress;
use url::Url;
use uuid::Uuid;

use crate::scope::{Scope, Scopes};
use crate::standard_webhooks::SigningSecret;

/// How long the signing secret before a rotation still signs, so that a partner can switch over.
pub const SIGNING_ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);
/// The highest rate an administrator may grant, per minute.
pub const MAX_RATE_PER_MINUTE: u32 = 60_000;
const MAX_NAME_CHARS: usize = 100;
const MAX_REDIRECT_URIS: usize = 10;

/// A registered partner. It holds no client secret (only its hash is kept, in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    pub id: Uuid,
    pub name: String,
    pub contact_email: EmailAddress,
    pub client_id: String,
    pub scopes: Scopes,
    /// Where the authorization-code linking of a household may send the parent back.
    pub redirect_uris: Vec<Url>,
    /// Where a linked household's notices are delivered.
    pub notice_webhook_url: Option<Url>,
    pub signing: SigningSecrets,
    pub rate_limit_per_minute: u32,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Partner {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }

    pub fn may(&self, scope: Scope) -> bool {
        !self.is_revoked() && self.scopes.contains(scope)
    }
}

/// The partner's Standard Webhooks signing secret, and the one before its last rotation while
/// that one is still honoured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningSecrets {
    pub current: SigningSecret,
    pub previous: Option<(SigningSecret, DateTime<Utc>)>,
}

impl SigningSecrets {
    /// The secrets to sign with at `now`: every one a partner may still hold.
    pub fn active(&self, now: DateTime<Utc>) -> Vec<&SigningSecret> {
        let previous = self
            .previous
            .as_ref()
            .filter(|(_, until)| now < *until)
            .map(|(secret, _)| secret);
        std::iter::once(&self.current).chain(previous).collect()
    }
}

/// What an administrator registers, validated by [`PartnerInput::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerInput {
    pub name: String,
    pub contact_email: String,
    pub scopes: String,
    pub redirect_uris: Vec<String>,
    pub notice_webhook_url: Option<String>,
    pub rate_limit_per_minute: u32,
}

/// A registration that holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValidPartnerInput {
    pub name: String,
    pub contact_email: EmailAddress,
    pub scopes: Scopes,
    pub redirect_uris: Vec<Url>,
    pub notice_webhook_url: Option<Url>,
    pub rate_limit_per_minute: u32,
}

/// What is wrong with a registration, field by field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid partner: {}", .0.iter().map(|(field, _)| *field).collect::<Vec<_>>().join(", "))]
pub struct PartnerInputErrors(pub Vec<(&'static str, &'static str)>);

impl PartnerInputErrors {
    /// Each field's problem in Japanese, as `field: message` lines.
    pub fn message_ja(&self) -> String {
        self.0
            .iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl PartnerInput {
    /// Whether the registration holds, before anything is stored (for a form to answer at once).
    pub fn check(&self) -> Result<(), PartnerInputErrors> {
        self.validate().map(|_| ())
    }

    pub(crate) fn validate(&self) -> Result<ValidPartnerInput, PartnerInputErrors> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            errors.push(("name", "アプリ名は1〜100文字で入力してください"));
        }
        let contact_email = EmailAddress::parse(self.contact_email.trim())
            .map_err(|_| errors.push(("contact_email", "連絡先メールアドレスの形式が正しくありません")))
            .ok();
        let scopes = match crate::Scopes::parse(&self.scopes) {
            Ok(scopes) if !scopes.is_empty() => Some(scopes),
            _ => {
                errors.push(("scopes", "スコープを一覧から1つ以上選んでください"));
                None
            }
        };
        let redirect_uris: Option<Vec<Url>> =
            self.redirect_uris.iter().map(|text| partner_url(text)).collect();
        if redirect_uris.is_none() || self.redirect_uris.len() > MAX_REDIRECT_URIS {
            errors.push((
                "redirect_uris",
                "リダイレクトURIは https のURL(最大10件)にしてください",
            ));
        }
        let notice_webhook_url = match self.notice_webhook_url.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(text) => partner_url(text).map(Some),
        };
        if notice_webhook_url.is_none() {
            errors.push((
                "notice_webhook_url",
                "お知らせの送信先URLは https のURLにしてください",
            ));
        }
        if !(1..=MAX_RATE_PER_MINUTE).contains(&self.rate_limit_per_minute) {
            errors.push(("rate_limit_per_minute", "毎分の上限は1〜60000にしてください"));
        }
        match (contact_email, scopes, redirect_uris, notice_webhook_url) {
            (Some(contact_email), Some(scopes), Some(redirect_uris), Some(notice_webhook_url))
                if errors.is_empty() =>
            {
                Ok(ValidPartnerInput {
                    name,
                    contact_email,
                    scopes,
                    redirect_uris,
                    notice_webhook_url,
                    rate_limit_per_minute: self.rate_limit_per_minute,
                })
            }
            _ => Err(PartnerInputErrors(errors)),
        }
    }
}

/// A URL we send a partner's data or a parent to: https, or http to this machine's loopback
/// (a partner's development server, and the test partner), never with credentials in it.
pub fn partner_url(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain == "localhost",
        None => false,
    };
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    let plain = url.username().is_empty() && url.password().is_none() && url.fragment().is_none();
    (scheme_ok && plain && url.host().is_some()).then_some(url)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn input() -> PartnerInput {
        PartnerInput {
            name: "母子手帳アプリ".into(),
            contact_email: "dev@example.jp".into(),
            scopes: "programs:read webhooks:manage".into(),
            redirect_uris: vec!["https://app.example.jp/callback".into()],
            notice_webhook_url: Some("http://127.0.0.1:8080/notices".into()),
            rate_limit_per_minute: 600,
        }
    }

    #[test]
    fn a_complete_registration_holds() {
        let valid = input().validate().unwrap();
        assert_eq!(valid.scopes.to_string(), "programs:read webhooks:manage");
        assert_eq!(valid.redirect_uris.len(), 1);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let wrong = PartnerInput {
            name: " ".into(),
            contact_email: "nobody".into(),
            scopes: "programs:write".into(),
            redirect_uris: vec!["http://app.example.jp/callback".into()],
            notice_webhook_url: Some("ftp://example.jp".into()),
            rate_limit_per_minute: 0,
        };
        let fields: Vec<&str> = wrong
            .validate()
            .unwrap_err()
            .0
            .iter()
            .map(|(field, _)| *field)
            .collect();
        assert_eq!(
            fields,
            [
                "name",
                "contact_email",
                "scopes",
                "redirect_uris",
                "notice_webhook_url",
                "rate_limit_per_minute"
            ]
        );
    }

    #[test]
    fn urls_are_https_or_loopback_http_without_credentials() {
        assert!(partner_url("https://example.jp/hook").is_some());
        assert!(partner_url("http://localhost:3000/hook").is_some());
        assert!(partner_url("http://[::1]:3000/hook").is_some());
        assert!(partner_url("http://example.jp/hook").is_none());
        assert!(partner_url("https://user:pw@example.jp/hook").is_none());
        assert!(partner_url("javascript:alert(1)").is_none());
    }
}
