//! The Web Push channel (RFC 8030): a notice is encrypted for the browser (RFC 8291 `aes128gcm`)
//! and posted to the push service endpoint that the browser chose, signed with our VAPID key
//! (RFC 8292). The endpoint comes from a browser, that is from anyone: the channel refuses to post
//! to our own network (plain http, loopback, private and link-local addresses, `localhost`),
//! checks names again when they are resolved, and never follows redirects.

use kosodate_domain::error_chain;
use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use http::header;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde::Serialize;
use url::{Host, Url};
use uuid::Uuid;
use web_push_native::jwt_simple::algorithms::{ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ES256KeyPair};
use web_push_native::jwt_simple::claims::Claims;
use web_push_native::p256::PublicKey;
use web_push_native::{Auth, encrypt};

use crate::channel::{
    Address, Channel, ChannelKind, Delivered, DeliveryError, Envelope, PushSubscription, Urgency,
};

/// Push services need not accept more than 4,096 bytes of body (RFC 8030 §7.2).
const MAX_CIPHERTEXT_BYTES: usize = 4096;
/// The `aes128gcm` header (86 bytes with the 65-byte key id), the padding delimiter and the
/// AES-GCM tag leave this much for the JSON (RFC 8291 §4).
const MAX_PLAINTEXT_BYTES: usize = MAX_CIPHERTEXT_BYTES - 86 - 1 - 16;
/// RFC 8292 §2 forbids more than 24 hours; half of it leaves room for clock skew.
const VAPID_TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
const ELLIPSIS: &str = "…";
/// Longest push service answer quoted in a failure reason.
const MAX_QUOTED_ANSWER_BYTES: usize = 300;

/// Browsers give keys in unpadded base64url, but a subscription stored by other code may have
/// kept the padding.
const LENIENT_BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Our VAPID key (an ES256 P-256 key pair): push services tie a subscription to its public key,
/// so losing or changing it orphans every browser subscription.
pub struct VapidKey {
    key_pair: ES256KeyPair,
}

#[derive(Debug, thiserror::Error)]
pub enum VapidKeyError {
    #[error("vapid key is not base64url")]
    NotBase64Url,
    #[error("vapid key must be a 32-byte p-256 private key, got {0} bytes")]
    WrongLength(usize),
    #[error("vapid key is not a valid p-256 private key")]
    NotOnCurve,
}

impl VapidKey {
    pub fn generate() -> Self {
        Self {
            key_pair: ES256KeyPair::generate(),
        }
    }

    /// Reads the private scalar written by [`VapidKey::to_base64url`].
    pub fn from_base64url(text: &str) -> Result<Self, VapidKeyError> {
        let bytes = LENIENT_BASE64URL
            .decode(text.trim())
            .map_err(|_| VapidKeyError::NotBase64Url)?;
        // jwt-simple panics on a slice of the wrong length.
        if bytes.len() != 32 {
            return Err(VapidKeyError::WrongLength(bytes.len()));
        }
        let key_pair = ES256KeyPair::from_bytes(&bytes).map_err(|_| VapidKeyError::NotOnCurve)?;
        Ok(Self { key_pair })
    }

    /// The private scalar, unpadded base64url: a secret, for the configuration store only.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key_pair.to_bytes())
    }

    /// The uncompressed public point, unpadded base64url: the `applicationServerKey` that the
    /// browser passes to `pushManager.subscribe`, and the `k` of the VAPID header.
    pub fn public_key_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key_pair.public_key().public_key().to_bytes_uncompressed())
    }

    /// The RFC 8292 `Authorization` header value for one push service origin.
    fn authorization(&self, audience: &str, subject: &str) -> Result<String, String> {
        let claims = Claims::create(VAPID_TOKEN_LIFETIME.into())
            .with_audience(audience)
            .with_subject(subject);
        let token = self.key_pair.sign(claims).map_err(|error| error.to_string())?;
        Ok(format!("vapid t={token}, k={}", self.public_key_base64url()))
    }
}

impl fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VapidKey")
            .field("public_key", &self.public_key_base64url())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebPushSetupError {
    #[error("vapid subject must be a mailto: or https: uri, got {0:?}")]
    InvalidSubject(String),
    #[error("cannot build the http client")]
    HttpClient(#[source] reqwest::Error),
}

/// Delivers notices as Web Push messages.
#[derive(Debug)]
pub struct WebPushChannel {
    vapid: VapidKey,
    subject: String,
    client: reqwest::Client,
    /// Shared with the client's resolver, which is built before the option can be set.
    allow_insecure_endpoints: Arc<AtomicBool>,
}

impl WebPushChannel {
    /// `subject` is how a push service operator can reach us (RFC 8292 §2.1); `timeout` bounds
    /// one whole request.
    pub fn new(vapid: VapidKey, subject: String, timeout: Duration) -> Result<Self, WebPushSetupError> {
        let subject_is_contact = Url::parse(&subject)
            .is_ok_and(|url| (url.scheme() == "mailto" || url.scheme() == "https") && !url.path().is_empty());
        if !subject_is_contact {
            return Err(WebPushSetupError::InvalidSubject(subject));
        }
        let allow_insecure_endpoints = Arc::new(AtomicBool::new(false));
        let resolver = PublicAddressResolver {
            allow_non_public: Arc::clone(&allow_insecure_endpoints),
        };
        let client = reqwest::Client::builder()
            .timeout(timeout)
            // A redirect would let an endpoint send us anywhere after our checks.
            .redirect(reqwest::redirect::Policy::none())
            // Through a proxy, the resolver below would not see the push service's addresses.
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .build()
            .map_err(WebPushSetupError::HttpClient)?;
        Ok(Self {
            vapid,
            subject,
            client,
            allow_insecure_endpoints,
        })
    }

    /// Allows plain http and loopback or private endpoints: for tests against a push service on
    /// loopback only, never in production.
    pub fn allow_insecure_endpoints(self, allow: bool) -> Self {
        self.allow_insecure_endpoints.store(allow, Ordering::Relaxed);
        self
    }

    fn insecure_endpoints_allowed(&self) -> bool {
        self.allow_insecure_endpoints.load(Ordering::Relaxed)
    }

    async fn post(
        &self,
        subscription: &PushSubscription,
        envelope: &Envelope,
        ciphertext: Vec<u8>,
    ) -> Result<reqwest::Response, DeliveryError> {
        let audience = subscription.endpoint.origin().ascii_serialization();
        let authorization = self
            .vapid
            .authorization(&audience, &self.subject)
            .map_err(|error| rejected(format!("cannot sign the vapid token: {error}")))?;
        self.client
            .post(subscription.endpoint.clone())
            .header(header::AUTHORIZATION, authorization)
            .header(header::CONTENT_ENCODING, "aes128gcm")
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header("TTL", envelope.notice.time_to_live.as_secs())
            .header("Urgency", urgency_token(envelope.notice.urgency))
            .header("Topic", topic_for(envelope.notice_id))
            .body(ciphertext)
            .send()
            .await
            .map_err(send_failure)
    }
}

#[async_trait::async_trait]
impl Channel for WebPushChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::WebPush
    }

    /// The payload's `tag` makes the browser replace a repeat rather than show it twice.
    fn drops_repeats(&self) -> bool {
        true
    }

    async fn deliver(&self, envelope: &Envelope) -> Result<Delivered, DeliveryError> {
        let Address::WebPush(subscription) = &envelope.address else {
            return Err(rejected(
                "the web push channel was given an address of another kind".to_owned(),
            ));
        };
        if !self.insecure_endpoints_allowed() {
            refuse_non_public_endpoint(&subscription.endpoint)
                .map_err(|reason| DeliveryError::AddressGone { reason })?;
        }
        let (browser_key, auth) = subscription_keys(subscription)?;
        let plaintext = payload_within_limit(envelope)?;
        let ciphertext = encrypt(plaintext, &browser_key, &auth)
            .map_err(|error| rejected(format!("cannot encrypt the push payload: {error}")))?;
        if ciphertext.len() > MAX_CIPHERTEXT_BYTES {
            return Err(rejected(format!(
                "encrypted push payload is {} bytes, more than {MAX_CIPHERTEXT_BYTES}",
                ciphertext.len()
            )));
        }
        let response = self.post(subscription, envelope, ciphertext).await?;
        delivery_outcome(response).await
    }
}

/// What the service worker receives: it shows `title` and `body`, opens `url` on a click, and
/// `tag` makes the browser replace rather than stack a repeat of the same notice.
#[derive(Debug, Serialize)]
struct PushPayload<'a> {
    title: &'a str,
    body: String,
    url: Option<&'a Url>,
    actions: Vec<PushAction<'a>>,
    unsubscribe: &'a Url,
    tag: Uuid,
}

#[derive(Debug, Serialize)]
struct PushAction<'a> {
    title: &'a str,
    url: &'a Url,
}

impl<'a> PushPayload<'a> {
    fn from_envelope(envelope: &'a Envelope) -> Self {
        let notice = &envelope.notice;
        Self {
            title: &notice.title,
            body: notice.short.clone(),
            url: notice.link.as_ref().map(|link| &link.url),
            actions: notice
                .actions
                .iter()
                .map(|link| PushAction {
                    title: &link.label,
                    url: &link.url,
                })
                .collect(),
            unsubscribe: &notice.unsubscribe,
            tag: envelope.notice_id,
        }
    }
}

/// The payload as JSON, its body shortened until the encrypted message fits in one push.
fn payload_within_limit(envelope: &Envelope) -> Result<Vec<u8>, DeliveryError> {
    let mut payload = PushPayload::from_envelope(envelope);
    loop {
        let json = serde_json::to_vec(&payload)
            .map_err(|error| rejected(format!("cannot serialize the push payload: {error}")))?;
        if json.len() <= MAX_PLAINTEXT_BYTES {
            return Ok(json);
        }
        if payload.body.is_empty() {
            return Err(rejected(format!(
                "push payload is {} bytes without its body, more than {MAX_PLAINTEXT_BYTES}",
                json.len()
            )));
        }
        payload.body = shortened(&payload.body, json.len() - MAX_PLAINTEXT_BYTES);
    }
}

/// `text` at least `excess_bytes` shorter, cut at a character boundary and ending with an
/// ellipsis; empty when nothing worth showing would remain.
fn shortened(text: &str, excess_bytes: usize) -> String {
    let text = text.strip_suffix(ELLIPSIS).unwrap_or(text);
    let mut cut = text.len().saturating_sub(excess_bytes + ELLIPSIS.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    if cut == 0 {
        return String::new();
    }
    format!("{}{ELLIPSIS}", &text[..cut])
}

/// RFC 8030 §5.4: at most 32 characters of the URL-safe base64 alphabet. The notice id's 16 bytes
/// make 22, and a retry of the same notice replaces the undelivered first attempt.
fn topic_for(notice_id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(notice_id.as_bytes())
}

fn urgency_token(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Normal => "normal",
        Urgency::High => "high",
    }
}

/// Keys that do not decode will never work: the subscription is as good as gone.
fn subscription_keys(subscription: &PushSubscription) -> Result<(PublicKey, Auth), DeliveryError> {
    let browser_key = LENIENT_BASE64URL
        .decode(subscription.p256dh.trim())
        .ok()
        .and_then(|bytes| PublicKey::from_sec1_bytes(&bytes).ok())
        .ok_or_else(|| gone("the subscription's p256dh is not a p-256 public key"))?;
    let auth: [u8; 16] = LENIENT_BASE64URL
        .decode(subscription.auth.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| gone("the subscription's auth secret is not 16 bytes of base64url"))?;
    Ok((browser_key, Auth::from(auth)))
}

/// Refuses endpoints that would make us post into our own network (SSRF). Names are checked
/// again, after resolution, by [`PublicAddressResolver`].
fn refuse_non_public_endpoint(endpoint: &Url) -> Result<(), String> {
    if endpoint.scheme() != "https" {
        return Err(format!("push endpoint must use https, not {}", endpoint.scheme()));
    }
    match endpoint.host() {
        None => Err("push endpoint has no host".to_owned()),
        Some(Host::Domain(name)) if is_local_name(name) => {
            Err("push endpoint names the local host".to_owned())
        }
        Some(Host::Domain(_)) => Ok(()),
        Some(Host::Ipv4(ip)) if is_non_public(IpAddr::V4(ip)) => {
            Err(format!("push endpoint is a non-public address ({ip})"))
        }
        Some(Host::Ipv6(ip)) if is_non_public(IpAddr::V6(ip)) => {
            Err(format!("push endpoint is a non-public address ({ip})"))
        }
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => Ok(()),
    }
}

/// RFC 6761 reserves `localhost` and every name under it for the local host.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Loopback, private, link-local and other addresses that are not the public internet.
fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_non_public_v4(ip),
        IpAddr::V6(ip) => is_non_public_v6(ip),
    }
}

fn is_non_public_v4(ip: Ipv4Addr) -> bool {
    let [first, second, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || first == 0
        // Carrier-grade NAT (100.64.0.0/10), benchmarking (198.18.0.0/15), reserved (240/4).
        || (first == 100 && (64..128).contains(&second))
        || (first == 198 && (18..20).contains(&second))
        || first >= 240
}

fn is_non_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return is_non_public_v4(mapped);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in the last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., high, low] = segments;
        return is_non_public_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local (fc00::/7), link-local (fe80::/10), documentation (2001:db8::/32).
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
}

/// Resolves push service names, keeping only public addresses: a name that an attacker points at
/// 127.0.0.1 (or re-points after our check) is refused at connection time.
#[derive(Debug)]
struct PublicAddressResolver {
    allow_non_public: Arc<AtomicBool>,
}

#[derive(Debug, thiserror::Error)]
#[error("push endpoint's host resolves only to non-public addresses")]
struct NonPublicAddresses;

impl Resolve for PublicAddressResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_non_public = self.allow_non_public.load(Ordering::Relaxed);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|address| allow_non_public || !is_non_public(address.ip()))
                .collect();
            if usable.is_empty() {
                return Err(Box::new(NonPublicAddresses) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(usable.into_iter()) as Addrs)
        })
    }
}

fn send_failure(error: reqwest::Error) -> DeliveryError {
    if caused_by_non_public_addresses(&error) {
        return gone(&NonPublicAddresses.to_string());
    }
    // The endpoint is a capability URL: it stays out of logs and dead letters.
    let error = error.without_url();
    let what = if error.is_timeout() {
        "push service did not answer in time"
    } else {
        "cannot reach push service"
    };
    DeliveryError::Transient {
        reason: format!("{what}: {}", error_chain(&error)),
        retry_after: None,
    }
}

fn caused_by_non_public_addresses(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<NonPublicAddresses>() {
            return true;
        }
        current = error.source();
    }
    false
}

/// Maps the push service's answer (RFC 8030 §5, and what FCM, Mozilla and Apple document).
async fn delivery_outcome(response: reqwest::Response) -> Result<Delivered, DeliveryError> {
    let status = response.status();
    if status.is_success() {
        let provider_id = response
            .headers()
            .get(header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .map(str::to_owned);
        return Ok(Delivered {
            provider_id,
            repeat: false,
        });
    }
    let retry_after = super::retry_after(response.headers());
    let answer = quoted_answer(response).await;
    let code = status.as_u16();
    match code {
        404 | 410 => Err(gone(&format!(
            "push subscription expired or unsubscribed ({code}){answer}"
        ))),
        429 | 500..=599 => Err(DeliveryError::Transient {
            reason: format!("push service answered {code}{answer}"),
            retry_after,
        }),
        300..=399 => Err(gone(&format!(
            "push endpoint redirects ({code}), and redirects are not followed"
        ))),
        _ => Err(rejected(format!(
            "push service refused the message ({code}){answer}"
        ))),
    }
}

/// The start of the answer's body, which push services use to say what was wrong.
async fn quoted_answer(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < MAX_QUOTED_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&body);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let mut end = text.len().min(MAX_QUOTED_ANSWER_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(": {}", &text[..end])
}

/// `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3).
fn gone(reason: &str) -> DeliveryError {
    DeliveryError::AddressGone {
        reason: reason.to_owned(),
    }
}

fn rejected(reason: String) -> DeliveryError {
    DeliveryError::Rejected { reason }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::channel::{Link, RenderedNotice};

    fn envelope_with_short(short: String) -> Envelope {
        let url = |path: &str| Url::parse(&format!("https://kosodate.example{path}")).unwrap();
        Envelope {
            notice_id: Uuid::now_v7(),
            address: Address::WebPush(PushSubscription {
                endpoint: url("/push/1"),
                p256dh: String::new(),
                auth: String::new(),
            }),
            notice: RenderedNotice {
                kind: kosodate_domain::NoticeKind::NewlyEligible,
                due_on: None,
                title: "児童手当の現況届".to_owned(),
                body: "本文".to_owned(),
                short,
                link: Some(Link {
                    label: "詳しく見る".to_owned(),
                    url: url("/programs/1"),
                }),
                actions: vec![Link {
                    label: "申請済み".to_owned(),
                    url: url("/actions/applied"),
                }],
                unsubscribe: url("/unsubscribe"),
                urgency: Urgency::Normal,
                time_to_live: Duration::from_secs(3600),
            },
        }
    }

    #[test]
    fn endpoints_in_our_own_network_are_refused() {
        let refused = [
            "http://push.example/x",
            "https://localhost/x",
            "https://LOCALHOST./x",
            "https://api.localhost/x",
            "https://127.0.0.1/x",
            "https://2130706433/x",
            "https://10.1.2.3/x",
            "https://172.16.0.1/x",
            "https://192.168.1.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://[::1]/x",
            "https://[fe80::1]/x",
            "https://[fd00::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://[64:ff9b::a00:1]/x",
        ];
        let accepted = [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://8.8.8.8/x",
            "https://[2606:4700::1]/x",
        ];
        let cases = refused.map(|endpoint| (endpoint, true)).into_iter();
        for (endpoint, expect_refusal) in cases.chain(accepted.map(|endpoint| (endpoint, false))) {
            let refusal = refuse_non_public_endpoint(&Url::parse(endpoint).unwrap());
            assert_eq!(refusal.is_err(), expect_refusal, "{endpoint}: {refusal:?}");
        }
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused_at_connection() {
        let resolver = PublicAddressResolver {
            allow_non_public: Arc::new(AtomicBool::new(false)),
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .build()
            .unwrap();
        let error = client.get("http://localhost:9/").send().await.unwrap_err();
        assert!(matches!(send_failure(error), DeliveryError::AddressGone { .. }));
    }

    #[test]
    fn a_long_body_is_shortened_to_fit_one_push() {
        let envelope = envelope_with_short("申請期限は6月30日です。".repeat(400));
        let json = payload_within_limit(&envelope).unwrap();
        assert!(json.len() <= MAX_PLAINTEXT_BYTES);
        let payload: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let body = payload["body"].as_str().unwrap();
        assert!(body.starts_with("申請期限は6月30日です。"));
        assert!(body.ends_with(ELLIPSIS));
    }

    #[test]
    fn a_short_body_is_kept_whole() {
        let envelope = envelope_with_short("申請期限は6月30日です".to_owned());
        let payload: serde_json::Value =
            serde_json::from_slice(&payload_within_limit(&envelope).unwrap()).unwrap();
        assert_eq!(payload["body"], "申請期限は6月30日です");
        assert_eq!(payload["tag"], envelope.notice_id.to_string());
    }

    #[test]
    fn the_topic_is_short_url_safe_and_stable() {
        let notice_id = Uuid::now_v7();
        let topic = topic_for(notice_id);
        assert_eq!(topic, topic_for(notice_id));
        assert!(topic.len() <= 32);
        assert!(
            topic
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        );
    }

    #[test]
    fn vapid_keys_round_trip_and_stay_out_of_debug_output() {
        let key = VapidKey::generate();
        let restored = VapidKey::from_base64url(&key.to_base64url()).unwrap();
        assert_eq!(restored.public_key_base64url(), key.public_key_base64url());
        assert_eq!(
            URL_SAFE_NO_PAD.decode(key.public_key_base64url()).unwrap().len(),
            65
        );
        assert!(!format!("{key:?}").contains(&key.to_base64url()));
        assert!(matches!(
            VapidKey::from_base64url("c2hvcnQ"),
            Err(VapidKeyError::WrongLength(5))
        ));
        assert!(VapidKey::from_base64url("not base64!").is_err());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let retry_after_duration = |value: &'static str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static(value));
            crate::channels::retry_after(&headers)
        };
        assert_eq!(retry_after_duration("120"), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after_duration("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after_duration("soon"), None);
    }

    #[test]
    fn a_subject_must_be_a_contact_uri() {
        let timeout = Duration::from_secs(5);
        assert!(
            WebPushChannel::new(
                VapidKey::generate(),
                "mailto:ops@kosodate.example".into(),
                timeout
            )
            .is_ok()
        );
        assert!(
            WebPushChannel::new(VapidKey::generate(), "https://kosodate.example/".into(), timeout).is_ok()
        );
        assert!(WebPushChannel::new(VapidKey::generate(), "ops@kosodate.example".into(), timeout).is_err());
    }
}
