//! A push service on loopback that plays both the push service and the browser behind it: it
//! hands out subscriptions (a fresh P-256 key pair and auth secret each), checks every push
//! against RFC 8030 and RFC 8292 (VAPID), and decrypts the payload with its own RFC 8291/RFC 8188
//! implementation, written from the RFCs and sharing no code with the sender's library, so that a
//! bug in that library cannot cancel itself out.

use std::collections::{HashMap, VecDeque};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aes_gcm::aead::rand_core::RngCore as _;
use aes_gcm::aead::{Aead as _, KeyInit as _, OsRng};
use aes_gcm::{Aes128Gcm, Nonce};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse as _, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use http::{HeaderMap, StatusCode, header};
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use p256::{PublicKey, SecretKey};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The `Retry-After` that programmed 429 and 503 answers carry.
pub const RETRY_AFTER_SECONDS: u64 = 30;
/// RFC 8030 §7.2: the most a push service must accept.
const MAX_BODY_BYTES: usize = 4096;
/// RFC 8292 §2: a VAPID token must not expire more than 24 hours ahead.
const MAX_VAPID_LIFETIME_SECONDS: u64 = 24 * 60 * 60;
/// The `aes128gcm` header before the key id: salt (16), record size (4), key id length (1).
const FIXED_HEADER_BYTES: usize = 21;
const AES_GCM_TAG_BYTES: usize = 16;

/// A browser's subscription, as `PushSubscription.toJSON()` would give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub endpoint: String,
    /// The browser's P-256 public key, uncompressed, unpadded base64url.
    pub p256dh: String,
    /// The 16-byte auth secret, unpadded base64url.
    pub auth: String,
}

/// A push that passed every check, decrypted.
#[derive(Debug, Clone)]
pub struct ReceivedPush {
    pub subscription_id: String,
    pub plaintext: Vec<u8>,
    /// The plaintext parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    pub ttl: u64,
    pub urgency: Option<String>,
    pub topic: Option<String>,
    pub vapid: VapidClaims,
    /// The `rs` of the `aes128gcm` header.
    pub record_size: u32,
    /// The encrypted body's length.
    pub body_bytes: usize,
}

/// What the VAPID token said, once its signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VapidClaims {
    pub audience: String,
    /// Whether `aud` carried the endpoint's port: the origin proper (RFC 6454) does, some
    /// libraries leave it out, and real push services listen on 443 where both agree.
    pub audience_has_port: bool,
    pub subject: String,
    pub expires_at: u64,
    /// The `k` parameter: the application server's public key.
    pub public_key: String,
}

/// A push the receiver refused because it broke the protocol, not because it was programmed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub subscription_id: String,
    pub status: u16,
    pub reason: String,
}

/// A push service on 127.0.0.1; it stops when dropped.
#[derive(Debug)]
pub struct PushReceiver {
    state: Arc<ReceiverState>,
    server: JoinHandle<()>,
}

impl PushReceiver {
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(ReceiverState::new(port));
        let router = Router::new()
            .route("/push/{id}", post(accept_push))
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::warn!(%error, "web push receiver stopped");
            }
        });
        Ok(Self { state, server })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.state.origin
    }

    /// What a browser does on `pushManager.subscribe`: a new key pair and auth secret.
    pub fn subscribe(&self) -> Subscription {
        let secret = SecretKey::random(&mut OsRng);
        let mut auth = [0u8; 16];
        OsRng.fill_bytes(&mut auth);
        let id = Uuid::new_v4().simple().to_string();
        let subscription = Subscription {
            endpoint: format!("{}/push/{id}", self.state.origin),
            p256dh: URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes()),
            auth: URL_SAFE_NO_PAD.encode(auth),
            id: id.clone(),
        };
        self.state.lock().subscriptions.insert(
            id,
            BrowserKeys {
                secret,
                auth,
                gone: false,
            },
        );
        subscription
    }

    /// The browser unsubscribed, or the subscription expired: pushes get 410 Gone from now on.
    pub fn mark_gone(&self, subscription: &Subscription) {
        if let Some(keys) = self.state.lock().subscriptions.get_mut(&subscription.id) {
            keys.gone = true;
        }
    }

    /// The next `count` pushes to any live subscription get `status` without being looked at;
    /// 429 and 503 carry `Retry-After: RETRY_AFTER_SECONDS`.
    pub fn fail_next(&self, count: usize, status: StatusCode) {
        self.state
            .lock()
            .failures
            .extend(std::iter::repeat_n(status, count));
    }

    pub fn received(&self) -> Vec<ReceivedPush> {
        self.state.lock().received.clone()
    }

    /// Protocol failures (bad VAPID, undecryptable payload, missing headers): tests expect none.
    pub fn rejections(&self) -> Vec<Rejection> {
        self.state.lock().rejections.clone()
    }

    /// Waits until at least `count` pushes were received, and returns them all.
    pub async fn wait_for_count(&self, count: usize, within: Duration) -> anyhow::Result<Vec<ReceivedPush>> {
        let mut received_count = self.state.received_count.subscribe();
        let reached = tokio::time::timeout(within, received_count.wait_for(|received| *received >= count))
            .await
            .is_ok_and(|waited| waited.is_ok());
        let received = self.received();
        if !reached {
            anyhow::bail!(
                "received {} of {count} pushes within {within:?}; rejections: {:?}",
                received.len(),
                self.rejections()
            );
        }
        Ok(received)
    }
}

impl Drop for PushReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(Debug)]
struct ReceiverState {
    origin: String,
    origin_without_port: String,
    inner: Mutex<Inner>,
    received_count: watch::Sender<usize>,
}

#[derive(Debug, Default)]
struct Inner {
    subscriptions: HashMap<String, BrowserKeys>,
    failures: VecDeque<StatusCode>,
    received: Vec<ReceivedPush>,
    rejections: Vec<Rejection>,
}

/// The browser's side of a subscription: what it needs to decrypt.
#[derive(Debug, Clone)]
struct BrowserKeys {
    secret: SecretKey,
    auth: [u8; 16],
    gone: bool,
}

/// Why a push broke the protocol, and the status a push service would answer.
#[derive(Debug)]
struct ContractFailure {
    status: StatusCode,
    reason: String,
}

impl ContractFailure {
    fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }
}

impl ReceiverState {
    fn new(port: u16) -> Self {
        Self {
            origin: format!("http://127.0.0.1:{port}"),
            origin_without_port: "http://127.0.0.1".to_owned(),
            inner: Mutex::new(Inner::default()),
            received_count: watch::channel(0).0,
        }
    }

    /// A panicking test must not hide what the receiver saw from the next assertion.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The subscription's keys, or the status for an unknown, gone or programmed-to-fail one.
    fn keys_for_push(&self, id: &str) -> Result<BrowserKeys, StatusCode> {
        let mut inner = self.lock();
        let keys = match inner.subscriptions.get(id) {
            None => return Err(StatusCode::NOT_FOUND),
            Some(keys) if keys.gone => return Err(StatusCode::GONE),
            Some(keys) => keys.clone(),
        };
        if let Some(status) = inner.failures.pop_front() {
            return Err(status);
        }
        Ok(keys)
    }

    fn record(&self, push: ReceivedPush) {
        let count = {
            let mut inner = self.lock();
            inner.received.push(push);
            inner.received.len()
        };
        self.received_count.send_replace(count);
    }

    fn reject(&self, subscription_id: String, failure: &ContractFailure) {
        tracing::warn!(reason = %failure.reason, "web push receiver rejected a push");
        self.lock().rejections.push(Rejection {
            subscription_id,
            status: failure.status.as_u16(),
            reason: failure.reason.clone(),
        });
    }
}

/// An answer given without looking at the push.
fn bare_answer(status: StatusCode) -> Response {
    let mut response = status.into_response();
    if matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, RETRY_AFTER_SECONDS.into());
    }
    response
}

async fn accept_push(
    State(state): State<Arc<ReceiverState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let keys = match state.keys_for_push(&id) {
        Ok(keys) => keys,
        Err(status) => return bare_answer(status),
    };
    match checked_push(&state, &keys, &headers, &body) {
        Ok(mut push) => {
            push.subscription_id.clone_from(&id);
            state.record(push);
            let location = format!("{}/messages/{}", state.origin, Uuid::new_v4().simple());
            (StatusCode::CREATED, [(header::LOCATION, location)]).into_response()
        }
        Err(failure) => {
            state.reject(id, &failure);
            (failure.status, failure.reason).into_response()
        }
    }
}

/// Every check a push service and the browser behind it make, in the order they make them.
fn checked_push(
    state: &ReceiverState,
    keys: &BrowserKeys,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ReceivedPush, ContractFailure> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ContractFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body is {} bytes, more than {MAX_BODY_BYTES}", body.len()),
        ));
    }
    let origins = [state.origin.as_str(), state.origin_without_port.as_str()];
    let vapid = verified_vapid(headers, origins, unix_now())
        .map_err(|reason| ContractFailure::new(StatusCode::UNAUTHORIZED, reason))?;
    let bad_request = |reason: String| ContractFailure::new(StatusCode::BAD_REQUEST, reason);
    let content_encoding = header_text(headers, header::CONTENT_ENCODING.as_str()).map_err(bad_request)?;
    if content_encoding != Some("aes128gcm") {
        return Err(bad_request(format!(
            "content-encoding is {content_encoding:?}, not aes128gcm"
        )));
    }
    let ttl = header_text(headers, "ttl")
        .map_err(bad_request)?
        .ok_or_else(|| bad_request("ttl header is missing".to_owned()))?;
    let ttl = ttl
        .parse::<u64>()
        .map_err(|_| bad_request(format!("ttl {ttl:?} is not a number of seconds")))?;
    let urgency = header_text(headers, "urgency").map_err(bad_request)?;
    if let Some(urgency) = urgency.filter(|urgency| !["very-low", "low", "normal", "high"].contains(urgency))
    {
        return Err(bad_request(format!(
            "urgency {urgency:?} is not one of RFC 8030's"
        )));
    }
    let topic = header_text(headers, "topic").map_err(bad_request)?;
    if let Some(topic) = topic.filter(|topic| !is_valid_topic(topic)) {
        return Err(bad_request(format!(
            "topic {topic:?} is not at most 32 base64url characters"
        )));
    }
    let (plaintext, record_size) = decrypted(body, keys).map_err(bad_request)?;
    Ok(ReceivedPush {
        subscription_id: String::new(),
        json: serde_json::from_slice(&plaintext).ok(),
        plaintext,
        ttl,
        urgency: urgency.map(str::to_owned),
        topic: topic.map(str::to_owned),
        vapid,
        record_size,
        body_bytes: body.len(),
    })
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, String> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(format!("{name} header appears more than once"));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| format!("{name} header is not visible ascii"))
}

/// RFC 8030 §5.4.
fn is_valid_topic(topic: &str) -> bool {
    !topic.is_empty()
        && topic.len() <= 32
        && topic
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// RFC 8292: `Authorization: vapid t=<ES256 JWT>, k=<public key>`, the token signed by that key
/// for this push service's origin, not yet expired and not valid for more than a day.
fn verified_vapid(headers: &HeaderMap, origins: [&str; 2], now: u64) -> Result<VapidClaims, String> {
    let authorization = header_text(headers, header::AUTHORIZATION.as_str())?
        .ok_or_else(|| "authorization header is missing".to_owned())?;
    let (token, public_key) = vapid_parameters(authorization)?;
    let claims = verified_token_claims(token, public_key)?;
    let audience = claims
        .get("aud")
        .and_then(Value::as_str)
        .ok_or("vapid token has no aud")?;
    let audience_has_port = match origins {
        [with_port, _] if audience == with_port => true,
        [_, without_port] if audience == without_port => false,
        _ => {
            return Err(format!(
                "vapid aud {audience:?} is not this push service's origin {}",
                origins[0]
            ));
        }
    };
    let expires_at = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or("vapid token has no numeric exp")?;
    if expires_at <= now {
        return Err(format!("vapid token expired {} seconds ago", now - expires_at));
    }
    if expires_at > now + MAX_VAPID_LIFETIME_SECONDS {
        return Err(format!(
            "vapid token expires {} seconds ahead, more than 24 hours",
            expires_at - now
        ));
    }
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or("vapid token has no sub")?;
    if !(subject.starts_with("mailto:") || subject.starts_with("https:")) {
        return Err(format!("vapid sub {subject:?} is not a mailto: or https: uri"));
    }
    Ok(VapidClaims {
        audience: audience.to_owned(),
        audience_has_port,
        subject: subject.to_owned(),
        expires_at,
        public_key: public_key.to_owned(),
    })
}

/// The `t` and `k` of a `vapid` authorization (RFC 8292 §3).
fn vapid_parameters(authorization: &str) -> Result<(&str, &str), String> {
    let (scheme, parameters) = authorization
        .split_once(' ')
        .ok_or_else(|| format!("authorization {authorization:?} has no parameters"))?;
    if !scheme.eq_ignore_ascii_case("vapid") {
        return Err(format!("authorization scheme is {scheme:?}, not vapid"));
    }
    let (mut token, mut public_key) = (None, None);
    for parameter in parameters.split(',') {
        let (name, value) = parameter
            .trim()
            .split_once('=')
            .ok_or_else(|| format!("vapid parameter {parameter:?} has no value"))?;
        match name.trim().to_ascii_lowercase().as_str() {
            "t" => token = Some(value.trim()),
            "k" => public_key = Some(value.trim()),
            _ => {}
        }
    }
    Ok((
        token.ok_or("vapid authorization has no t")?,
        public_key.ok_or("vapid authorization has no k")?,
    ))
}

/// The claims of an ES256 JWS (RFC 7515, RFC 7518 §3.4) whose signature checks with `public_key`.
fn verified_token_claims(token: &str, public_key: &str) -> Result<Value, String> {
    let key_bytes = URL_SAFE_NO_PAD
        .decode(public_key)
        .map_err(|_| "vapid k is not unpadded base64url")?;
    if key_bytes.len() != 65 || key_bytes[0] != 0x04 {
        return Err("vapid k is not an uncompressed p-256 point".to_owned());
    }
    let verifying_key = VerifyingKey::from_sec1_bytes(&key_bytes).map_err(|_| "vapid k is not on p-256")?;
    let (signing_input, signature) = token.rsplit_once('.').ok_or("vapid token is not a jws")?;
    let (header, claims) = signing_input.split_once('.').ok_or("vapid token is not a jws")?;
    let header = base64url_json(header)?;
    if header.get("alg").and_then(Value::as_str) != Some("ES256") {
        return Err(format!("vapid token alg is {:?}, not ES256", header.get("alg")));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "vapid signature is not base64url")?;
    let signature =
        Signature::from_slice(&signature).map_err(|_| "vapid signature is not 64 bytes of r and s")?;
    verifying_key
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| "vapid signature does not verify with k")?;
    base64url_json(claims)
}

fn base64url_json(part: &str) -> Result<Value, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| "jws part is not unpadded base64url")?;
    serde_json::from_slice(&bytes).map_err(|error| format!("jws part is not json: {error}"))
}

/// The RFC 8188 `aes128gcm` content coding as RFC 8291 restricts it: one record, the sender's
/// ephemeral public key as key id. Returns the plaintext and the header's record size.
fn decrypted(body: &[u8], keys: &BrowserKeys) -> Result<(Vec<u8>, u32), String> {
    if body.len() < FIXED_HEADER_BYTES {
        return Err(format!(
            "body of {} bytes is shorter than the aes128gcm header",
            body.len()
        ));
    }
    let (salt, rest) = body.split_at(16);
    let (record_size, rest) = rest.split_at(4);
    let record_size = u32::from_be_bytes([record_size[0], record_size[1], record_size[2], record_size[3]]);
    let (key_id_length, rest) = rest.split_at(1);
    if key_id_length[0] != 65 || rest.len() < 65 {
        return Err(format!(
            "key id is {} bytes, not a 65-byte uncompressed p-256 point",
            key_id_length[0]
        ));
    }
    let (key_id, record) = rest.split_at(65);
    if record_size < 18 {
        return Err(format!(
            "record size {record_size} is below RFC 8188's minimum of 18"
        ));
    }
    if record.len() > record_size as usize {
        return Err(format!(
            "{} bytes of records exceed one record of {record_size}",
            record.len()
        ));
    }
    if record.len() <= AES_GCM_TAG_BYTES {
        return Err(format!(
            "record of {} bytes has no room for the padding delimiter",
            record.len()
        ));
    }
    let sender_key = PublicKey::from_sec1_bytes(key_id).map_err(|_| "key id is not a p-256 point")?;
    let (content_key, nonce) = content_key_and_nonce(keys, &sender_key, salt)?;
    let cipher = Aes128Gcm::new(&content_key.into());
    // The first record's nonce is the derived nonce XOR 0.
    let padded = cipher
        .decrypt(&Nonce::from(nonce), record)
        .map_err(|_| "aes-gcm authentication failed: wrong keys or a corrupted body")?;
    let delimiter_at = padded
        .iter()
        .rposition(|&byte| byte != 0)
        .ok_or("record has no padding delimiter")?;
    if padded[delimiter_at] != 0x02 {
        return Err(format!(
            "padding delimiter is {:#04x}, not 0x02 (the last record)",
            padded[delimiter_at]
        ));
    }
    Ok((padded[..delimiter_at].to_vec(), record_size))
}

/// RFC 8291 §3.3–3.4 (the input keying material from ECDH and the auth secret), then RFC 8188
/// §2.2–2.3 (the content encryption key and nonce from the salt).
fn content_key_and_nonce(
    keys: &BrowserKeys,
    sender_key: &PublicKey,
    salt: &[u8],
) -> Result<([u8; 16], [u8; 12]), String> {
    let shared_secret = p256::ecdh::diffie_hellman(keys.secret.to_nonzero_scalar(), sender_key.as_affine());
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(keys.secret.public_key().to_encoded_point(false).as_bytes());
    key_info.extend_from_slice(sender_key.to_encoded_point(false).as_bytes());
    let mut input_keying_material = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&keys.auth), shared_secret.raw_secret_bytes())
        .expand(&key_info, &mut input_keying_material)
        .map_err(|error| format!("hkdf: {error}"))?;
    let pseudorandom_key = Hkdf::<Sha256>::new(Some(salt), &input_keying_material);
    let mut content_key = [0u8; 16];
    let mut nonce = [0u8; 12];
    pseudorandom_key
        .expand(b"Content-Encoding: aes128gcm\0", &mut content_key)
        .and_then(|()| pseudorandom_key.expand(b"Content-Encoding: nonce\0", &mut nonce))
        .map_err(|error| format!("hkdf: {error}"))?;
    Ok((content_key, nonce))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer as _;
    use serde_json::json;

    use super::*;

    const ORIGINS: [&str; 2] = ["http://127.0.0.1:8080", "http://127.0.0.1"];
    const NOW: u64 = 1_750_000_000;

    fn decode(text: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(text).unwrap()
    }

    /// RFC 8291 Appendix A.
    #[test]
    fn decrypts_the_rfc_8291_example() {
        let keys = BrowserKeys {
            secret: SecretKey::from_slice(&decode("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")).unwrap(),
            auth: decode("BTBZMqHH6r4Tts7J_aSIgg").try_into().unwrap(),
            gone: false,
        };
        let body = decode(concat!(
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6Tlz",
            "AC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
        ));
        let (plaintext, record_size) = decrypted(&body, &keys).unwrap();
        assert_eq!(plaintext, b"When I grow up, I want to be a watermelon");
        assert_eq!(record_size, 4096);

        let mut corrupted = body;
        *corrupted.last_mut().unwrap() ^= 1;
        assert!(decrypted(&corrupted, &keys).is_err());
    }

    fn vapid_headers(claims: &Value, signer: &SigningKey, public_key: &VerifyingKey) -> HeaderMap {
        let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let signing_input = format!(
            "{}.{}",
            encode(&json!({"typ": "JWT", "alg": "ES256"})),
            encode(claims)
        );
        let signature: Signature = signer.sign(signing_input.as_bytes());
        let key = URL_SAFE_NO_PAD.encode(public_key.to_encoded_point(false).as_bytes());
        let value = format!(
            "vapid t={signing_input}.{}, k={key}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        );
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    fn check(claims: &Value) -> Result<VapidClaims, String> {
        let signer = SigningKey::random(&mut OsRng);
        verified_vapid(
            &vapid_headers(claims, &signer, signer.verifying_key()),
            ORIGINS,
            NOW,
        )
    }

    #[test]
    fn accepts_a_well_formed_vapid_token_and_notes_the_port() {
        let with_port =
            check(&json!({"aud": ORIGINS[0], "exp": NOW + 3600, "sub": "mailto:ops@example.org"}));
        assert!(with_port.unwrap().audience_has_port);
        let without_port =
            check(&json!({"aud": ORIGINS[1], "exp": NOW + 3600, "sub": "https://example.org/"}));
        assert!(!without_port.unwrap().audience_has_port);
    }

    #[test]
    fn refuses_vapid_tokens_that_break_rfc_8292() {
        let broken = [
            json!({"aud": "https://push.example", "exp": NOW + 3600, "sub": "mailto:ops@example.org"}),
            json!({"aud": ORIGINS[0], "exp": NOW - 1, "sub": "mailto:ops@example.org"}),
            json!({"aud": ORIGINS[0], "exp": NOW + MAX_VAPID_LIFETIME_SECONDS + 1, "sub": "mailto:ops@example.org"}),
            json!({"aud": ORIGINS[0], "exp": NOW + 3600}),
        ];
        for claims in broken {
            assert!(check(&claims).is_err(), "{claims}");
        }
    }

    #[test]
    fn refuses_a_token_signed_by_another_key() {
        let claims = json!({"aud": ORIGINS[0], "exp": NOW + 3600, "sub": "mailto:ops@example.org"});
        let signer = SigningKey::random(&mut OsRng);
        let other = SigningKey::random(&mut OsRng);
        let headers = vapid_headers(&claims, &signer, other.verifying_key());
        assert!(
            verified_vapid(&headers, ORIGINS, NOW)
                .unwrap_err()
                .contains("does not verify")
        );
    }
}
