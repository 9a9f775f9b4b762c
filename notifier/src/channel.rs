//! The one trait every delivery channel implements, and what travels through it. Adding a channel
//! (a partner app's signed webhook, say) is one module implementing [`Channel`] plus one
//! [`Address`] variant.

use std::fmt;
use std::time::Duration;

use chrono::NaiveDate;
use kosodate_domain::{EmailAddress, LineUserId, NoticeKind};
use uuid::Uuid;

/// The kinds of channel a household can choose; the ids are stored in `contact_channels.kind`
/// and `notices.channel_kind`, and are the names in the API.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    utoipa::ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ChannelKind {
    #[strum(message = "メール")]
    Email,
    #[strum(message = "LINE")]
    Line,
    #[strum(message = "プッシュ通知")]
    WebPush,
    /// A partner app the parent linked (issue 19): notices go to the app's signed webhook.
    #[strum(message = "連携アプリ")]
    PartnerApp,
}

kosodate_domain::vocabulary_deserialize!(ChannelKind);

/// Where one notice goes. Addresses are personal data: `Debug` never prints them.
#[derive(Clone, PartialEq, Eq)]
pub enum Address {
    Email(EmailAddress),
    Line(LineUserId),
    WebPush(PushSubscription),
    PartnerApp(PartnerAppLink),
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Self::Email(_) => "Email",
            Self::Line(_) => "Line",
            Self::WebPush(_) => "WebPush",
            Self::PartnerApp(_) => "PartnerApp",
        };
        write!(f, "Address::{kind}(..)")
    }
}

/// A browser's push subscription: the push service endpoint and the keys the browser made
/// (`p256dh`: its P-256 public key, `auth`: the 16-byte secret; both base64url without padding).
#[derive(Clone, PartialEq, Eq)]
pub struct PushSubscription {
    pub endpoint: url::Url,
    pub p256dh: String,
    pub auth: String,
}

impl fmt::Debug for PushSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The endpoint identifies one browser: personal data.
        f.write_str("PushSubscription(..)")
    }
}

/// A household's link to a partner app: which app, and the pseudonymous subject the app knows
/// the household by. Never the app's URL or secret, which the channel looks up when it delivers,
/// so that a revoked partner or a rotated secret holds for notices already queued.
#[derive(Clone, PartialEq, Eq)]
pub struct PartnerAppLink {
    pub partner_id: Uuid,
    pub subject: String,
}

impl fmt::Debug for PartnerAppLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The subject names one household at the app.
        f.debug_struct("PartnerAppLink")
            .field("partner_id", &self.partner_id)
            .finish_non_exhaustive()
    }
}

/// How soon a notice matters, for push services that save battery by delaying (RFC 8030 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Normal,
    High,
}

/// A link a parent can follow from the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub url: url::Url,
}

/// A notice as rendered from its template: channel-neutral text that each channel lays out in its
/// own format (a mail body, a LINE text message, a push notification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedNotice {
    /// What happened, for channels that pass it on as data (a partner app).
    pub kind: NoticeKind,
    /// The earliest application deadline among the notice's programs.
    pub due_on: Option<NaiveDate>,
    /// The mail subject; the push notification's title.
    pub title: String,
    /// The whole message in plain text, without the action links.
    pub body: String,
    /// A one-line summary for channels with little room (a push notification's body).
    pub short: String,
    /// Where to read more or apply.
    pub link: Option<Link>,
    /// "申請済み" and "興味なし": each stops reminders for the program.
    pub actions: Vec<Link>,
    /// One-click unsubscribe for this channel (RFC 8058 for email).
    pub unsubscribe: url::Url,
    pub urgency: Urgency,
    /// How long a push service should keep trying to reach the device.
    pub time_to_live: Duration,
}

/// One delivery attempt's input.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The notice's id: stable across retries, so that providers can drop a repeat (LINE's
    /// `X-Line-Retry-Key`, the email `Message-ID`, the Web Push `Topic`).
    pub notice_id: Uuid,
    pub address: Address,
    pub notice: RenderedNotice,
}

/// What the provider said when it took the notice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    /// The provider's id for the message, when it gives one.
    pub provider_id: Option<String>,
    /// The provider had already accepted this notice on an earlier attempt (LINE's 409).
    pub repeat: bool,
}

/// Why an attempt failed; the outbox decides from this whether to retry, dead-letter, or switch
/// the household's channel off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Try again later: the provider is down, overloaded, or rate-limiting us.
    #[error("transient failure: {reason}")]
    Transient {
        reason: String,
        /// The provider's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// The address will never work again (a bounced mailbox, a LINE user who blocked the
    /// account, an expired push subscription): the channel is switched off for the household.
    #[error("address gone: {reason}")]
    AddressGone { reason: String },
    /// This message cannot be delivered as it is (the provider refused its content, or our
    /// credentials are wrong): retrying will not help, so it goes to the dead letters at once.
    #[error("rejected: {reason}")]
    Rejected { reason: String },
}

/// A way of delivering notices. Implementations must be safe to call again with the same
/// envelope after a crash: they pass `notice_id` to the provider's own idempotency mechanism
/// where one exists.
#[async_trait::async_trait]
pub trait Channel: Send + Sync + fmt::Debug {
    fn kind(&self) -> ChannelKind;

    /// Whether a repeat of an accepted notice is dropped or replaces the first (LINE's retry
    /// key, Web Push's `tag`), so that the person sees it once. When it is not (SMTP), the worker
    /// records each accepted notice before the next one goes out, so that a crash repeats at most
    /// one.
    fn drops_repeats(&self) -> bool {
        false
    }

    async fn deliver(&self, envelope: &Envelope) -> Result<Delivered, DeliveryError>;
}

#[cfg(test)]
mod tests {
    use kosodate_domain::{Vocabulary, serde_names_agree};
    use strum::VariantArray;

    use super::*;

    #[test]
    fn channel_kinds_keep_their_stored_ids() {
        let ids: Vec<&str> = ChannelKind::VARIANTS.iter().map(|kind| kind.id()).collect();
        assert_eq!(ids, ["email", "line", "web_push", "partner_app"]);
        serde_names_agree::<ChannelKind>().unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(ChannelKind::parse("LINE"), Some(ChannelKind::Line));
    }
}
