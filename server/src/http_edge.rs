//! The edge of the HTTP service: what every request meets before its handler, and every answer
//! after it. A request id is ours unless the caller's is a UUID; a request over our URI or header
//! limits is answered with a problem document; a handler that panics answers a logged 500 problem;
//! an error that left without a problem document (the router's 405, a framework rejection) gets
//! one. `serve` runs hyper with limits above ours, so that ours are the ones clients meet.

use std::any::Any;
use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::{ApiError, PROBLEM_JSON};

pub const REQUEST_ID: &str = "x-request-id";
/// Longer URIs answer 414. Browsers and proxies commonly stop at 8 KiB; no query of this API
/// needs more.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// More header fields answer 431.
pub const MAX_HEADER_COUNT: usize = 100;
/// A larger header section (names and values) answers 431.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// hyper's own limits, far above ours: past them hyper answers 431 itself, without a body. Its
/// URI limit (65,534 bytes) is fixed; past it hyper answers a bare 414.
const HYPER_MAX_HEADERS: usize = 1_000;
const HYPER_MAX_BUFFER_BYTES: usize = 1024 * 1024;
/// How much of a bare error's plain-text body is kept as `detail_en`.
const BARE_DETAIL_MAX_BYTES: usize = 500;

/// Drops a client's `X-Request-Id` unless it is one UUID (hyphenated), so that the id generated
/// next is what logs and the audit log keep: a client may correlate, not write into our records.
pub async fn only_uuid_request_ids(mut request: Request, next: Next) -> Response {
    if !has_one_uuid_request_id(request.headers()) {
        request.headers_mut().remove(REQUEST_ID);
    }
    next.run(request).await
}

fn has_one_uuid_request_id(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(REQUEST_ID).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    value
        .to_str()
        .ok()
        .filter(|text| text.len() == 36)
        .is_some_and(|text| uuid::Uuid::try_parse(text).is_ok())
}

/// Answers 414 and 431 as problem documents, below the limits at which hyper would answer them
/// without a body.
pub async fn enforce_request_limits(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let uri_bytes = uri.scheme_str().map_or(0, str::len)
        + uri.authority().map_or(0, |authority| authority.as_str().len())
        + uri.path_and_query().map_or(0, |path| path.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        return ApiError::for_status(
            StatusCode::URI_TOO_LONG,
            format!("the URI has {uri_bytes} bytes; at most {MAX_URI_BYTES} are accepted"),
        )
        .into_response();
    }
    let headers = request.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADER_COUNT || header_bytes > MAX_HEADER_BYTES {
        return ApiError::for_status(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "{} header fields of {header_bytes} bytes; at most {MAX_HEADER_COUNT} fields of {MAX_HEADER_BYTES} bytes are accepted",
                headers.len()
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// Turns an error answered without a problem document (the router's 405, a rejection of the
/// framework's own extractors, a plain-text 503) into one, keeping its headers (`Allow`,
/// `Retry-After`). HTML pages meant for people who followed a link are left as they are, and so
/// are JSON errors a handler wrote on purpose in a shape a standard fixes (OAuth 2.0's
/// `{"error": …}`, RFC 6749 §5.2, which OAuth clients read).
pub async fn problem_for_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response
        .extensions()
        .get::<crate::error::ProtocolErrorBody>()
        .is_some()
    {
        return response;
    }
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !(status.is_client_error() || status.is_server_error())
        || content_type.starts_with(PROBLEM_JSON)
        || content_type.starts_with("text/html")
        || content_type.starts_with("application/json")
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match content_type.starts_with("text/plain") {
        true => axum::body::to_bytes(body, 64 * 1024)
            .await
            .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
            .unwrap_or_default(),
        false => String::new(),
    };
    let detail_en = match text.is_empty() {
        true => status.canonical_reason().unwrap_or("error").to_lowercase(),
        false => truncate(&text, BARE_DETAIL_MAX_BYTES).to_owned(),
    };
    let mut problem = ApiError::for_status(status, detail_en).into_response();
    carry_headers(parts.headers, &mut problem);
    problem
}

/// Moves what a replaced error response said in its headers (`Allow`, `Retry-After`, the request
/// id) onto its replacement, which keeps its own body's `Content-Type` and length and any header
/// it sets itself.
pub fn carry_headers(mut from: HeaderMap, to: &mut Response) {
    from.remove(header::CONTENT_TYPE);
    from.remove(header::CONTENT_LENGTH);
    for (name, value) in from.drain().filter_map(|(name, value)| Some((name?, value))) {
        to.headers_mut().entry(name).or_insert(value);
    }
}

fn truncate(text: &str, max_bytes: usize) -> &str {
    let mut end = text.len().min(max_bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Defence in depth: a handler that panics answers 500 with a problem document and the panic
/// is logged, instead of the connection closing without an answer. Handlers must not panic on
/// any input; this is for the bug nobody found yet.
pub fn catch_panic() -> CatchPanicLayer<fn(Box<dyn Any + Send + 'static>) -> Response> {
    CatchPanicLayer::custom(panic_response as fn(Box<dyn Any + Send + 'static>) -> Response)
}

#[allow(clippy::needless_pass_by_value)] // the signature CatchPanicLayer calls
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    tracing::error!(panic = message, "a handler panicked");
    ApiError::internal().into_response()
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open requests finish. Unlike
/// `axum::serve`, hyper's header limits are raised above this module's, so that clients get a
/// problem document for all but absurd requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_headers(HYPER_MAX_HEADERS)
        .max_buf_size(HYPER_MAX_BUFFER_BYTES);
    builder
        .http2()
        .max_header_list_size(u32::try_from(HYPER_MAX_BUFFER_BYTES).unwrap_or(u32::MAX));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                // Out of file descriptors and the like: give the process a moment.
                tracing::warn!(error = ?error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // The peer's address, for what needs to tell browsers apart without a cookie (the
        // search log's day pseudonym); never logged.
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                request
            },
        ));
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = ?error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use axum::body::Body;
    use axum::http::HeaderValue;
    use axum::middleware;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn body_text(body: Body) -> String {
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    async fn panicking_handler() -> StatusCode {
        panic!("boom")
    }

    fn app() -> Router {
        Router::new()
            .route("/panics", get(panicking_handler))
            .route("/plain", get(|| async { (StatusCode::BAD_REQUEST, "bad thing") }))
            .layer(catch_panic())
            .layer(middleware::from_fn(problem_for_bare_errors))
    }

    async fn call(request: Request<Body>) -> (StatusCode, HeaderMap, serde_json::Value) {
        let response = app().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let text = body_text(body).await;
        (parts.status, parts.headers, serde_json::from_str(&text).unwrap())
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_a_problem() {
        let (status, headers, problem) = call(Request::get("/panics").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(headers[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(problem["status"], 500);
    }

    #[tokio::test]
    async fn bare_errors_become_problems_and_keep_their_headers() {
        let (status, headers, problem) = call(Request::post("/panics").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[header::CONTENT_TYPE], PROBLEM_JSON);
        assert!(headers[header::ALLOW].to_str().unwrap().contains("GET"));
        assert_eq!(problem["type"], "/problems/method-not-allowed");
        let (_, _, problem) = call(Request::get("/plain").body(Body::empty()).unwrap()).await;
        assert_eq!(problem["detail_en"], "bad thing");
        assert!(!problem["title"].as_str().unwrap().is_ascii());
    }

    #[test]
    fn only_one_hyphenated_uuid_is_a_request_id() {
        let with = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append(REQUEST_ID, HeaderValue::from_str(value).unwrap());
            }
            has_one_uuid_request_id(&headers)
        };
        assert!(with(&["01a2001e-955f-76f3-983c-101ec63eeaa6"]));
        assert!(!with(&["trace-me-123"]));
        assert!(!with(&["01a2001e955f76f3983c101ec63eeaa6"]));
        assert!(!with(&[&"a".repeat(6_000)]));
        assert!(!with(&[
            "01a2001e-955f-76f3-983c-101ec63eeaa6",
            "01a2001e-955f-76f3-983c-101ec63eeaa7"
        ]));
        assert!(!with(&[]));
    }
}
