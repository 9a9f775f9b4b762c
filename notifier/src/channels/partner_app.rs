//! The partner app channel (issue 19): a notice for a household that linked a partner app is one
//! JSON `POST` to the app's notice webhook, signed as the Standard Webhooks specification
//! describes, with the notice's id as `webhook-id`. A retry after a lost answer carries the same
//! id, so the app can recognise the message it already has (the specification asks receivers to
//! drop ids they have seen), which is why this channel [drops repeats](Channel::drops_repeats).
//!
//! The notifier does not know partners: the service gives the channel a [`PartnerDirectory`]
//! that says, at each attempt, where a partner takes notices and signs for it. A partner that was
//! revoked, or has no notice webhook any more, is an address that is gone, so the household's
//! link is switched off and what waits for it is cancelled.
//!
//! The body holds what a notice needs and nothing of the household record: the subject the app
//! knows the household by, the kind of notice, its title and text, the action link and the
//! deadline. Answers: 2xx delivered; 408, 429 and 5xx retried (with `Retry-After`); 410 the link
//! is gone at the app; any other 4xx refused for good (dead letter).

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use kosodate_domain::Vocabulary;
use reqwest::StatusCode;
use serde::Serialize;
use url::Url;
use uuid::Uuid;

use super::retry_after;
use crate::channel::{Address, Channel, ChannelKind, Delivered, DeliveryError, Envelope, PartnerAppLink};

/// The `type` of the message, as Standard Webhooks payloads name their event.
pub const EVENT_TYPE: &str = "notice.created";

/// Reasons are stored with the notice; a partner's error body can be long.
const MAX_REASON_CHARS: usize = 300;

/// Signs one message for a partner: `(id, body)` to the header pairs to send
/// (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
pub type WebhookSigner = Box<dyn Fn(&str, &[u8]) -> Vec<(&'static str, String)> + Send + Sync>;

/// Where a partner takes notices now, and how to sign for it.
pub struct PartnerEndpoint {
    pub url: Url,
    pub sign: WebhookSigner,
}

impl fmt::Debug for PartnerEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerEndpoint")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

/// What the service knows about partners, as the channel needs it.
#[async_trait::async_trait]
pub trait PartnerDirectory: Send + Sync + fmt::Debug {
    /// The partner's notice endpoint; `Ok(None)` when the partner is revoked or takes no
    /// notices. An error is a failure to look (the database), worth retrying.
    async fn endpoint(&self, partner_id: Uuid) -> Result<Option<PartnerEndpoint>, String>;
}

#[derive(Debug, thiserror::Error)]
pub enum PartnerAppChannelError {
    #[error("cannot build the http client for partner apps")]
    Client(#[source] reqwest::Error),
}

/// The notice as a partner app receives it.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    #[serde(rename = "type")]
    event: &'static str,
    timestamp: String,
    data: NoticeData<'a>,
}

#[derive(Debug, Serialize)]
struct NoticeData<'a> {
    subject: &'a str,
    notice_id: Uuid,
    kind: &'static str,
    title: &'a str,
    body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<Action<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
struct Action<'a> {
    label: &'a str,
    url: &'a str,
}

/// Delivers notices to linked partner apps.
#[derive(Debug, Clone)]
pub struct PartnerAppChannel {
    client: reqwest::Client,
    directory: Arc<dyn PartnerDirectory>,
}

impl PartnerAppChannel {
    pub fn new(directory: Arc<dyn PartnerDirectory>) -> Result<Self, PartnerAppChannelError> {
        let client = reqwest::Client::builder()
            // A partner's redirect must not carry a household's notice somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(PartnerAppChannelError::Client)?;
        Ok(Self { client, directory })
    }

    fn body(envelope: &Envelope, link: &PartnerAppLink) -> Vec<u8> {
        let notice = &envelope.notice;
        let payload = Payload {
            event: EVENT_TYPE,
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            data: NoticeData {
                subject: &link.subject,
                notice_id: envelope.notice_id,
                kind: notice.kind.id(),
                title: &notice.title,
                body: &notice.body,
                action: notice.link.as_ref().map(|link| Action {
                    label: &link.label,
                    url: link.url.as_str(),
                }),
                due_on: notice.due_on,
            },
        };
        serde_json::to_vec(&payload).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl Channel for PartnerAppChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::PartnerApp
    }

    fn drops_repeats(&self) -> bool {
        true
    }

    async fn deliver(&self, envelope: &Envelope) -> Result<Delivered, DeliveryError> {
        let Address::PartnerApp(link) = &envelope.address else {
            return Err(DeliveryError::Rejected {
                reason: "not a partner app address".into(),
            });
        };
        let endpoint = self
            .directory
            .endpoint(link.partner_id)
            .await
            .map_err(|reason| DeliveryError::Transient {
                reason,
                retry_after: None,
            })?
            .ok_or_else(|| DeliveryError::AddressGone {
                reason: "partner revoked or without a notice webhook".into(),
            })?;
        let body = Self::body(envelope, link);
        let mut request = self
            .client
            .post(endpoint.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in (endpoint.sign)(&envelope.notice_id.to_string(), &body) {
            request = request.header(name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|error| DeliveryError::Transient {
                reason: format!("partner app unreachable: {}", error.without_url()),
                retry_after: None,
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(Delivered::default());
        }
        let retry = retry_after(response.headers());
        let text = response.text().await.unwrap_or_default();
        Err(classify(status, retry, &text))
    }
}

/// What a partner's refusal means for the notice.
fn classify(status: StatusCode, retry_after: Option<std::time::Duration>, text: &str) -> DeliveryError {
    let reason = format!(
        "partner app answered {}: {}",
        status.as_u16(),
        text.chars().take(MAX_REASON_CHARS).collect::<String>()
    );
    match status {
        StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS => {
            DeliveryError::Transient { reason, retry_after }
        }
        status if status.is_server_error() => DeliveryError::Transient { reason, retry_after },
        StatusCode::GONE => DeliveryError::AddressGone { reason },
        _ => DeliveryError::Rejected { reason },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_decide_retry_dead_letter_or_gone() {
        let kind = |status: u16| match classify(StatusCode::from_u16(status).unwrap_or_default(), None, "") {
            DeliveryError::Transient { .. } => "retry",
            DeliveryError::AddressGone { .. } => "gone",
            DeliveryError::Rejected { .. } => "dead",
        };
        let kinds: Vec<&str> = [500, 503, 429, 408, 410, 400, 401, 404].map(kind).to_vec();
        assert_eq!(
            kinds,
            ["retry", "retry", "retry", "retry", "gone", "dead", "dead", "dead"]
        );
    }
}
