//! A loopback HTTP server playing a partner app that receives change webhooks, and checks each
//! request as the Standard Webhooks specification tells a receiver to
//! (<https://www.standardwebhooks.com/>): it verifies the signature and the timestamp's
//! tolerance with the specification's own reference implementation (the `standardwebhooks`
//! crate), so a test passes only if any conforming receiver would have taken the request, and it
//! drops a `webhook-id` it has already accepted (a replay, or a retry of a delivery it took).
//!
//! A test tells it how to answer the next requests in order ([`Answer`]): a status, or taking the
//! delivery and then stalling past the sender's timeout, as a slow partner does. Afterwards every
//! request is answered 204. It counts what it saw.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub const HOOK_PATH: &str = "/hooks";

/// How to answer one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Verify, then answer this status; only a 2xx takes the delivery.
    Status(u16),
    /// Verify and take the delivery, then answer 200 only after this long: the sender's timeout
    /// runs out first, and it must send again with the same id.
    TakeAndStall(Duration),
}

/// A delivery the partner took.
#[derive(Debug, Clone)]
pub struct ReceivedWebhook {
    pub id: String,
    pub timestamp: i64,
    pub body: Value,
    pub received_at: SystemTime,
}

/// The partner's webhook endpoint on `127.0.0.1`, on a random port, until dropped.
pub struct PartnerServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl fmt::Debug for PartnerServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Drop for PartnerServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug, Default)]
struct Shared {
    requests_seen: AtomicUsize,
    ledger: Mutex<Ledger>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct Ledger {
    secret: Option<String>,
    planned: VecDeque<Answer>,
    taken_ids: HashSet<String>,
    received: Vec<ReceivedWebhook>,
    replays_dropped: usize,
    rejections: Vec<String>,
}

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl PartnerServer {
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route(HOOK_PATH, post(receive))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the test partner stopped");
            }
        });
        Ok(Self {
            address,
            shared,
            task,
        })
    }

    /// The URL to subscribe.
    pub fn hook_url(&self) -> String {
        format!("http://{}{HOOK_PATH}", self.address)
    }

    /// The signing secret (`whsec_…`) the service gave the partner; until it is set every
    /// request is refused.
    pub fn set_secret(&self, secret: &str) {
        self.shared.ledger().secret = Some(secret.to_owned());
    }

    /// How to answer the next requests, in order, after those planned before.
    pub fn plan(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared.ledger().planned.extend(answers);
    }

    /// Every delivery taken, in order, each id once.
    pub fn received(&self) -> Vec<ReceivedWebhook> {
        self.shared.ledger().received.clone()
    }

    /// Requests of any kind.
    pub fn requests_seen(&self) -> usize {
        self.shared.requests_seen.load(Ordering::Relaxed)
    }

    /// Valid requests whose id was taken before.
    pub fn replays_dropped(&self) -> usize {
        self.shared.ledger().replays_dropped
    }

    /// Why requests were refused (signature, timestamp, missing headers).
    pub fn rejections(&self) -> Vec<String> {
        self.shared.ledger().rejections.clone()
    }

    /// Waits until `count` deliveries were taken or `within` passed; whether they were.
    pub async fn wait_for_received(&self, count: usize, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.shared.ledger().received.len() >= count {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return self.shared.ledger().received.len() >= count;
            }
        }
    }

    /// Waits until `count` requests of any kind arrived or `within` passed.
    pub async fn wait_for_requests(&self, count: usize, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while self.requests_seen() < count {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }
}

/// Checks the request with the reference implementation: signature over `id.timestamp.body`
/// with the partner's secret, and a timestamp within five minutes of this clock.
fn verify(secret: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<(String, i64), String> {
    let secret = secret.ok_or("no signing secret configured yet")?;
    let webhook = standardwebhooks::Webhook::new(secret).map_err(|error| format!("secret: {error}"))?;
    webhook.verify(body, headers).map_err(|error| error.to_string())?;
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let id = header("webhook-id").unwrap_or_default().to_owned();
    let timestamp = header("webhook-timestamp")
        .and_then(|text| text.parse().ok())
        .unwrap_or_default();
    Ok((id, timestamp))
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    shared.requests_seen.fetch_add(1, Ordering::Relaxed);
    let answer = {
        let mut ledger = shared.ledger();
        let checked = verify(ledger.secret.as_deref(), &headers, &body);
        let answer = ledger.planned.pop_front().unwrap_or(Answer::Status(204));
        match checked {
            Err(reason) => {
                ledger.rejections.push(reason);
                Answer::Status(401)
            }
            Ok((id, timestamp)) => take(&mut ledger, answer, id, timestamp, &body),
        }
    };
    shared.changed.notify_waiters();
    match answer {
        Answer::Status(status) => StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Answer::TakeAndStall(stall) => {
            tokio::time::sleep(stall).await;
            StatusCode::OK.into_response()
        }
    }
}

/// Takes a verified delivery when the answer is a 2xx or a stall: a repeated id is answered 200
/// without being taken again (the sender may stop; the partner already has it).
fn take(ledger: &mut Ledger, answer: Answer, id: String, timestamp: i64, body: &[u8]) -> Answer {
    let takes = match answer {
        Answer::Status(status) => (200..300).contains(&status),
        Answer::TakeAndStall(_) => true,
    };
    if !takes {
        return answer;
    }
    if !ledger.taken_ids.insert(id.clone()) {
        ledger.replays_dropped += 1;
        return Answer::Status(200);
    }
    ledger.received.push(ReceivedWebhook {
        id,
        timestamp,
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
        received_at: SystemTime::now(),
    });
    answer
}
