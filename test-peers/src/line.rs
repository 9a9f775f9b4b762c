//! A loopback HTTP server that implements the LINE Messaging API push contract
//! (`POST /v2/bot/message/push`) and checks every request strictly, so that a test passes only if
//! the real LINE would have taken the same request.
//!
//! What it follows, from LINE's documentation:
//! - request and response shapes, error bodies `{"message", "details": [{"message", "property"}]}`:
//!   <https://developers.line.biz/en/reference/messaging-api/#send-push-message>,
//!   <https://github.com/line/line-openapi/blob/main/messaging-api.yml>
//! - `X-Line-Retry-Key`: a request with an accepted key is answered 409
//!   `{"message":"The retry key is already accepted","sentMessages":[..]}` with
//!   `x-line-accepted-request-id`, and nothing is sent again:
//!   <https://developers.line.biz/en/docs/messaging-api/retrying-api-request/>
//! - text length in UTF-16 code units, at most 5,000:
//!   <https://developers.line.biz/en/docs/messaging-api/text-character-count/>
//! - a user who blocked the account is answered 200 and receives nothing; an unknown user id is
//!   answered 400 `"Failed to send messages"`: <https://developers.line.biz/en/faq/tags/message/>
//!
//! Stricter than LINE on purpose: the retry key is required (LINE makes it optional, but a push
//! without one can never be retried safely), and only text messages are accepted (the product
//! sends nothing else, so anything else is a mistake).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub const PUSH_PATH: &str = "/v2/bot/message/push";
pub const MAX_MESSAGES: usize = 5;
pub const MAX_TEXT_UTF16: usize = 5_000;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-line-request-id");
const ACCEPTED_REQUEST_ID: HeaderName = HeaderName::from_static("x-line-accepted-request-id");
const RETRY_KEY: &str = "x-line-retry-key";
const TOP_LEVEL_FIELDS: [&str; 4] = ["to", "messages", "notificationDisabled", "customAggregationUnits"];
const TEXT_MESSAGE_FIELDS: [&str; 2] = ["type", "text"];

/// One push LINE accepted and delivered.
#[derive(Debug, Clone)]
pub struct LinePush {
    pub retry_key: Uuid,
    pub to: String,
    pub messages: Vec<Value>,
    /// The `x-line-request-id` it was answered with.
    pub request_id: String,
    pub sent_message_ids: Vec<String>,
    pub received_at: SystemTime,
}

impl LinePush {
    /// The `text` of every message, in order.
    pub fn texts(&self) -> Vec<&str> {
        self.messages
            .iter()
            .filter_map(|message| message["text"].as_str())
            .collect()
    }
}

/// A request that broke the contract, and how it was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractRejection {
    pub status: u16,
    pub reason: String,
}

/// The LINE push endpoint on `127.0.0.1`, on a random port, until dropped.
pub struct LineContractServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl fmt::Debug for LineContractServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineContractServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Drop for LineContractServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug)]
struct Shared {
    channel_access_token: String,
    latency_micros: AtomicU64,
    requests_seen: AtomicUsize,
    next_message_id: AtomicU64,
    ledger: Mutex<Ledger>,
    delivered_changed: Notify,
}

#[derive(Debug, Default)]
struct Ledger {
    accepted: HashMap<Uuid, Accepted>,
    delivered: Vec<LinePush>,
    planned_failures: VecDeque<PlannedFailure>,
    blocked: HashSet<String>,
    unknown: HashSet<String>,
    blocked_drops: usize,
    repeats_dropped: usize,
    rejections: Vec<ContractRejection>,
}

#[derive(Debug, Clone)]
struct Accepted {
    request_id: String,
    sent_messages: Value,
}

#[derive(Debug, Clone)]
struct PlannedFailure {
    status: StatusCode,
    message: String,
    retry_after: Option<Duration>,
    /// LINE took the push, then the answer failed: the case the retry key exists for.
    after_accepting: bool,
}

impl LineContractServer {
    /// Starts the server on the current tokio runtime; requests must carry
    /// `Authorization: Bearer {channel_access_token}`.
    pub async fn start(channel_access_token: impl Into<String>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            channel_access_token: channel_access_token.into(),
            latency_micros: AtomicU64::new(0),
            requests_seen: AtomicUsize::new(0),
            next_message_id: AtomicU64::new(600_000_000_000_000_001),
            ledger: Mutex::new(Ledger::default()),
            delivered_changed: Notify::new(),
        });
        let app = Router::new()
            .route(PUSH_PATH, any(push))
            .fallback(unknown_endpoint)
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the LINE contract server stopped");
            }
        });
        Ok(Self {
            address,
            shared,
            task,
        })
    }

    /// `http://127.0.0.1:{port}`, to use in place of `https://api.line.me`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every answer waits this long first, to exercise the client's timeout.
    pub fn set_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.shared.latency_micros.store(micros, Ordering::Relaxed);
    }

    /// The next `count` valid pushes are refused with `status` and its reason phrase as LINE's
    /// `message` (429: `Too Many Requests`), without being delivered.
    pub fn fail_next(&self, count: usize, status: u16) {
        let reason = status_code(status).canonical_reason().unwrap_or("Error");
        self.fail_next_with(count, status, reason, None);
    }

    /// Like [`Self::fail_next`], with LINE's `message` (e.g. `You have reached your monthly limit.`)
    /// and an optional `Retry-After` in seconds.
    pub fn fail_next_with(&self, count: usize, status: u16, message: &str, retry_after: Option<Duration>) {
        let status = status_code(status);
        self.plan(
            count,
            PlannedFailure {
                status,
                message: message.to_owned(),
                retry_after,
                after_accepting: false,
            },
        );
    }

    /// The next `count` valid pushes are accepted and delivered, but answered with `status`, as
    /// when LINE took a push and its answer was lost.
    pub fn fail_next_after_accepting(&self, count: usize, status: u16) {
        let status = status_code(status);
        let message = status.canonical_reason().unwrap_or("Error").to_owned();
        self.plan(
            count,
            PlannedFailure {
                status,
                message,
                retry_after: None,
                after_accepting: true,
            },
        );
    }

    /// This user blocked the account: LINE answers 200 and delivers nothing.
    pub fn block(&self, user_id: &str) {
        self.shared.ledger().blocked.insert(user_id.to_owned());
    }

    /// LINE does not know this user id (it never existed, or another provider issued it):
    /// pushes are answered 400 `Failed to send messages`.
    pub fn forget_user(&self, user_id: &str) {
        self.shared.ledger().unknown.insert(user_id.to_owned());
    }

    pub fn delivered(&self) -> Vec<LinePush> {
        self.shared.ledger().delivered.clone()
    }

    pub fn delivered_count(&self) -> usize {
        self.shared.ledger().delivered.len()
    }

    /// Requests answered 409 because their retry key had been accepted.
    pub fn repeats_dropped(&self) -> usize {
        self.shared.ledger().repeats_dropped
    }

    /// Pushes answered 200 but not delivered because the user blocked the account.
    pub fn blocked_drops(&self) -> usize {
        self.shared.ledger().blocked_drops
    }

    /// Every request that reached the server, whatever its fate.
    pub fn requests_seen(&self) -> usize {
        self.shared.requests_seen.load(Ordering::Relaxed)
    }

    /// Requests that broke the contract; a test of a correct client expects none.
    pub fn rejections(&self) -> Vec<ContractRejection> {
        self.shared.ledger().rejections.clone()
    }

    /// Waits until `count` pushes were delivered; false if `timeout` passed first.
    pub async fn wait_for_count(&self, count: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.shared.delivered_changed.notified();
            tokio::pin!(changed);
            // Registered before checking, so a delivery in between still wakes us.
            changed.as_mut().enable();
            if self.delivered_count() >= count {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return self.delivered_count() >= count;
            }
        }
    }

    fn plan(&self, count: usize, failure: PlannedFailure) {
        let mut ledger = self.shared.ledger();
        ledger
            .planned_failures
            .extend(std::iter::repeat_n(failure, count));
    }
}

fn status_code(status: u16) -> StatusCode {
    match StatusCode::from_u16(status) {
        Ok(status) => status,
        Err(_) => panic!("{status} is not an HTTP status code"),
    }
}

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_micros.load(Ordering::Relaxed))
    }

    fn sent_messages(&self, count: usize) -> Value {
        let sent = (0..count)
            .map(|_| {
                let id = self.next_message_id.fetch_add(1, Ordering::Relaxed);
                json!({ "id": id.to_string(), "quoteToken": Uuid::now_v7().simple().to_string() })
            })
            .collect();
        Value::Array(sent)
    }

    /// Runs a valid push through the programmed behaviour and LINE's retry-key rule.
    fn process(&self, push: ValidPush, request_id: &str) -> Response {
        let mut ledger = self.ledger();
        let failure = ledger.planned_failures.pop_front();
        if let Some(failure) = failure.as_ref().filter(|failure| !failure.after_accepting) {
            return failure.response(request_id);
        }
        if let Some(accepted) = ledger.accepted.get(&push.retry_key) {
            let answer = conflict(accepted, request_id);
            ledger.repeats_dropped += 1;
            return answer;
        }
        if ledger.unknown.contains(&push.to) {
            return line_error(
                StatusCode::BAD_REQUEST,
                request_id,
                json!({ "message": "Failed to send messages" }),
            );
        }
        let sent_messages = self.sent_messages(push.messages.len());
        let accepted = Accepted {
            request_id: request_id.to_owned(),
            sent_messages: sent_messages.clone(),
        };
        ledger.accepted.insert(push.retry_key, accepted);
        if ledger.blocked.contains(&push.to) {
            ledger.blocked_drops += 1;
        } else {
            ledger
                .delivered
                .push(push.into_delivery(request_id, &sent_messages));
        }
        drop(ledger);
        self.delivered_changed.notify_waiters();
        match failure {
            Some(failure) => failure.response(request_id),
            None => {
                let body = json!({ "sentMessages": sent_messages });
                with_request_id(StatusCode::OK, request_id, body).into_response()
            }
        }
    }
}

impl PlannedFailure {
    fn response(&self, request_id: &str) -> Response {
        let mut response = line_error(self.status, request_id, json!({ "message": self.message }));
        if let Some(retry_after) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.as_secs()));
        }
        response
    }
}

fn conflict(accepted: &Accepted, request_id: &str) -> Response {
    let body = json!({
        "message": "The retry key is already accepted",
        "sentMessages": accepted.sent_messages,
    });
    let mut response = with_request_id(StatusCode::CONFLICT, request_id, body).into_response();
    if let Ok(value) = HeaderValue::from_str(&accepted.request_id) {
        response.headers_mut().insert(ACCEPTED_REQUEST_ID, value);
    }
    response
}

fn with_request_id(status: StatusCode, request_id: &str, body: Value) -> impl IntoResponse {
    let request_id = HeaderValue::from_str(request_id).unwrap_or(HeaderValue::from_static("-"));
    (status, [(REQUEST_ID, request_id)], axum::Json(body))
}

fn line_error(status: StatusCode, request_id: &str, body: Value) -> Response {
    with_request_id(status, request_id, body).into_response()
}

async fn push(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.requests_seen.fetch_add(1, Ordering::Relaxed);
    let request_id = Uuid::now_v7().to_string();
    let latency = shared.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match check_request(&shared.channel_access_token, &method, &headers, &body) {
        Ok(push) => shared.process(push, &request_id),
        Err(violation) => {
            shared.ledger().rejections.push(ContractRejection {
                status: violation.status.as_u16(),
                reason: violation.reason,
            });
            line_error(violation.status, &request_id, violation.body)
        }
    }
}

async fn unknown_endpoint(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    shared.requests_seen.fetch_add(1, Ordering::Relaxed);
    let reason = format!("{method} {} is not the push endpoint", uri.path());
    shared
        .ledger()
        .rejections
        .push(ContractRejection { status: 404, reason });
    line_error(
        StatusCode::NOT_FOUND,
        &Uuid::now_v7().to_string(),
        json!({ "message": "Not found" }),
    )
}

struct ValidPush {
    retry_key: Uuid,
    to: String,
    messages: Vec<Value>,
}

impl ValidPush {
    fn into_delivery(self, request_id: &str, sent_messages: &Value) -> LinePush {
        let sent_message_ids = sent_messages
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|sent| sent["id"].as_str().map(str::to_owned))
            .collect();
        LinePush {
            retry_key: self.retry_key,
            to: self.to,
            messages: self.messages,
            request_id: request_id.to_owned(),
            sent_message_ids,
            received_at: SystemTime::now(),
        }
    }
}

struct Violation {
    status: StatusCode,
    /// What the test reads.
    reason: String,
    /// What LINE would answer.
    body: Value,
}

impl Violation {
    fn new(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            reason: message.to_owned(),
            body: json!({ "message": message }),
        }
    }
}

fn check_request(
    token: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ValidPush, Violation> {
    if method != Method::POST {
        return Err(Violation::new(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{method} is not allowed; use POST"),
        ));
    }
    check_authorization(token, headers)?;
    check_content_type(headers)?;
    let retry_key = check_retry_key(headers)?;
    let request: Value = serde_json::from_slice(body).map_err(|error| {
        let message = format!(
            "The request body could not be parsed as JSON (line: {}, column: {})",
            error.line(),
            error.column()
        );
        Violation::new(StatusCode::BAD_REQUEST, &message)
    })?;
    let details = body_errors(&request);
    if !details.is_empty() {
        return Err(invalid_body(&details));
    }
    let to = request["to"].as_str().unwrap_or_default().to_owned();
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    Ok(ValidPush {
        retry_key,
        to,
        messages,
    })
}

fn check_authorization(token: &str, headers: &HeaderMap) -> Result<(), Violation> {
    let values: Vec<_> = headers.get_all(header::AUTHORIZATION).iter().collect();
    let [value] = values.as_slice() else {
        return Err(Violation::new(
            StatusCode::UNAUTHORIZED,
            "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'",
        ));
    };
    let presented = value
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "));
    if presented != Some(token) {
        return Err(Violation::new(
            StatusCode::UNAUTHORIZED,
            "Authentication failed. Confirm that the access token in the authorization header is valid.",
        ));
    }
    Ok(())
}

fn check_content_type(headers: &HeaderMap) -> Result<(), Violation> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let mut parts = content_type.split(';').map(str::trim);
    let essence_is_json = parts
        .next()
        .is_some_and(|essence| essence.eq_ignore_ascii_case("application/json"));
    let parameters_fit = parts.all(|parameter| parameter.eq_ignore_ascii_case("charset=utf-8"));
    if !essence_is_json || !parameters_fit {
        let message = format!("The content type, '{content_type}', is not supported; use application/json");
        return Err(Violation::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message));
    }
    Ok(())
}

fn check_retry_key(headers: &HeaderMap) -> Result<Uuid, Violation> {
    let values: Vec<_> = headers.get_all(RETRY_KEY).iter().collect();
    let [value] = values.as_slice() else {
        let message = format!(
            "exactly one X-Line-Retry-Key header is required, {} given",
            values.len()
        );
        return Err(Violation::new(StatusCode::BAD_REQUEST, &message));
    };
    let text = value.to_str().unwrap_or("");
    // LINE asks for the hexadecimal form, e.g. 123e4567-e89b-12d3-a456-426614174000.
    match Uuid::try_parse(text) {
        Ok(key) if text.len() == 36 => Ok(key),
        _ => Err(Violation::new(
            StatusCode::BAD_REQUEST,
            "The value of the X-Line-Retry-Key header is invalid",
        )),
    }
}

fn invalid_body(details: &[(String, String)]) -> Violation {
    let message = format!("The request body has {} error(s)", details.len());
    let reason = details
        .iter()
        .map(|(property, problem)| format!("{property}: {problem}"))
        .collect::<Vec<_>>()
        .join("; ");
    let details: Vec<Value> = details
        .iter()
        .map(|(property, problem)| json!({ "message": problem, "property": property }))
        .collect();
    Violation {
        status: StatusCode::BAD_REQUEST,
        reason: format!("{message}: {reason}"),
        body: json!({ "message": message, "details": details }),
    }
}

/// `(property, problem)` for everything in the body that LINE would refuse.
fn body_errors(request: &Value) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let Some(fields) = request.as_object() else {
        errors.push(("".to_owned(), "Must be a JSON object".to_owned()));
        return errors;
    };
    for name in fields
        .keys()
        .filter(|name| !TOP_LEVEL_FIELDS.contains(&name.as_str()))
    {
        errors.push((name.clone(), "Unknown property".to_owned()));
    }
    match fields.get("to").and_then(Value::as_str) {
        Some(to) if is_user_id(to) => {}
        Some(_) => errors.push((
            "to".to_owned(),
            "Must be a user id: U followed by 32 lowercase hex digits".to_owned(),
        )),
        None => errors.push(("to".to_owned(), "Must be specified as a string".to_owned())),
    }
    check_options(fields, &mut errors);
    match fields.get("messages").and_then(Value::as_array) {
        Some(messages) if (1..=MAX_MESSAGES).contains(&messages.len()) => {
            for (index, message) in messages.iter().enumerate() {
                message_errors(index, message, &mut errors);
            }
        }
        Some(_) => errors.push((
            "messages".to_owned(),
            format!("Size must be between 1 and {MAX_MESSAGES}"),
        )),
        None => errors.push(("messages".to_owned(), "Must be specified as an array".to_owned())),
    }
    errors
}

fn check_options(fields: &Map<String, Value>, errors: &mut Vec<(String, String)>) {
    if fields
        .get("notificationDisabled")
        .is_some_and(|value| !value.is_boolean())
    {
        errors.push(("notificationDisabled".to_owned(), "Must be a boolean".to_owned()));
    }
    let Some(units) = fields.get("customAggregationUnits") else {
        return;
    };
    let valid_unit = |unit: &Value| {
        unit.as_str().is_some_and(|unit| {
            (1..=30).contains(&unit.len())
                && unit
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
        })
    };
    let valid = units
        .as_array()
        .is_some_and(|units| units.len() <= 1 && units.iter().all(valid_unit));
    if !valid {
        let problem = "Must be an array of at most one name matching ^[a-zA-Z0-9_]{1,30}$";
        errors.push(("customAggregationUnits".to_owned(), problem.to_owned()));
    }
}

fn message_errors(index: usize, message: &Value, errors: &mut Vec<(String, String)>) {
    let property = |name: &str| format!("messages[{index}].{name}");
    let Some(fields) = message.as_object() else {
        errors.push((
            format!("messages[{index}]"),
            "Must be a message object".to_owned(),
        ));
        return;
    };
    if fields.get("type").and_then(Value::as_str) != Some("text") {
        errors.push((
            property("type"),
            "Must be text: this contract server checks text messages only".to_owned(),
        ));
        return;
    }
    for name in fields
        .keys()
        .filter(|name| !TEXT_MESSAGE_FIELDS.contains(&name.as_str()))
    {
        errors.push((property(name), "Unknown property".to_owned()));
    }
    match fields.get("text").and_then(Value::as_str) {
        Some("") => errors.push((property("text"), "May not be empty".to_owned())),
        Some(text) if text.encode_utf16().count() > MAX_TEXT_UTF16 => {
            errors.push((
                property("text"),
                format!("Length must be between 0 and {MAX_TEXT_UTF16}"),
            ));
        }
        Some(_) => {}
        None => errors.push((property("text"), "Must be specified as a string".to_owned())),
    }
}

fn is_user_id(text: &str) -> bool {
    text.len() == 33
        && text.starts_with('U')
        && text[1..]
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}
