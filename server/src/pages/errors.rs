//! Errors for people: a browser that asked for a page and met an error gets an HTML page in
//! Japanese that says what happened and what to do next, instead of the problem document API
//! clients receive. The choice follows the request's `Accept` header, so `curl` and scripts
//! (`*/*`, `application/json`) keep RFC 9457 problem+json while browsers (`text/html` first) get
//! the page. It is made from the problem document itself, so both say the same.

use askama::Template;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{PROBLEM_JSON, Problem};
use crate::http_edge::carry_headers;

/// Problem documents are small; a larger body is passed on as it is.
const PROBLEM_MAX_BYTES: usize = 64 * 1024;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: String,
    detail: String,
    field_details: Vec<String>,
    next_step: &'static str,
    request_id: Option<String>,
}

/// Turns a problem document into an error page when the client prefers HTML, keeping the
/// status and the headers that matter to it (`Retry-After`, `Allow`, `X-Request-Id`).
pub async fn html_for_browsers(request: Request, next: Next) -> Response {
    let wants_html = prefers_html(request.headers());
    let response = next.run(request).await;
    if !wants_html || !is_problem(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, PROBLEM_MAX_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    let Ok(problem) = serde_json::from_slice::<Problem>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let page = ErrorPage {
        next_step: next_step(parts.status, &problem.kind),
        title: problem.title,
        detail: problem.detail,
        field_details: problem
            .errors
            .iter()
            .filter_map(|field| field["detail"].as_str().map(str::to_owned))
            .collect(),
        request_id: parts
            .headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
    };
    let mut html = super::html(parts.status, &page);
    carry_headers(parts.headers, &mut html);
    html
}

fn is_problem(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with(PROBLEM_JSON))
}

/// Whether the client ranks HTML above JSON (RFC 9110 §12.5.1 quality values). A wildcard alone
/// does not count: a client that accepts anything is a program, and programs get JSON.
fn prefers_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let mut html_quality = 0.0_f32;
    let mut json_quality = 0.0_f32;
    for range in accept.split(',') {
        let mut pieces = range.split(';').map(str::trim);
        let media_type = pieces.next().unwrap_or_default().to_ascii_lowercase();
        let quality = pieces
            .find_map(|parameter| parameter.strip_prefix("q="))
            .and_then(|value| value.parse::<f32>().ok())
            .unwrap_or(1.0);
        match media_type.as_str() {
            "text/html" | "application/xhtml+xml" => html_quality = html_quality.max(quality),
            "application/json" | "application/problem+json" => json_quality = json_quality.max(quality),
            _ => {}
        }
    }
    html_quality > 0.0 && html_quality >= json_quality
}

/// What a person can do about it, by kind of problem.
fn next_step(status: StatusCode, kind: &str) -> &'static str {
    match kind {
        "/problems/sign-in-failed" => {
            return "もう一度ログインしてください。続けて失敗する場合は、お住まいの市町村の子育て担当窓口にお問い合わせください。";
        }
        "/problems/csrf" => return "ページを読み込み直してから、もう一度操作してください。",
        "/problems/consent-required" => {
            return "「同意の確認」のページ（/me/consent）で同意してから、もう一度お試しください。";
        }
        _ => {}
    }
    match status.as_u16() {
        400 | 422 => "入力した内容を確かめて、前のページに戻ってやり直してください。",
        401 => "ログインしてから、もう一度お試しください。",
        403 => "この操作はできません。別のアカウントでログインしていないか確かめてください。",
        404 | 410 => {
            "アドレスが正しいか確かめてください。メールやLINEのリンクから来た場合は、リンクが古くなっていることがあります。"
        }
        405 => "このページはこの方法では開けません。前のページに戻ってください。",
        409 | 412 => "ほかの操作が先に行われました。ページを読み込み直してから、もう一度お試しください。",
        413 | 414 | 431 => "送った内容が大きすぎます。小さくしてから、もう一度お試しください。",
        429 | 503 => "混み合っています。少し時間をおいてから、もう一度お試しください。",
        _ => "時間をおいて、もう一度お試しください。続くときは、下の番号を添えてお問い合わせください。",
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn accepting(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn browsers_get_pages_and_programs_get_problem_documents() {
        let chromium =
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
        assert!(prefers_html(&accepting(chromium)));
        assert!(prefers_html(&accepting(
            "text/html;q=0.9, application/json;q=0.5"
        )));
        assert!(!prefers_html(&accepting("*/*")));
        assert!(!prefers_html(&accepting("application/json")));
        assert!(!prefers_html(&accepting("application/json, text/html;q=0.5")));
        assert!(!prefers_html(&accepting("text/html;q=0")));
        assert!(!prefers_html(&HeaderMap::new()));
    }

    #[test]
    fn the_next_step_follows_the_kind_of_problem_before_its_status() {
        let forbidden = StatusCode::FORBIDDEN;
        assert!(next_step(forbidden, "/problems/csrf").contains("読み込み直して"));
        assert!(next_step(forbidden, "/problems/forbidden").contains("別のアカウント"));
        assert!(next_step(StatusCode::CONFLICT, "/problems/consent-required").contains("/me/consent"));
        assert!(next_step(StatusCode::CONFLICT, "/problems/conflict").contains("読み込み直して"));
    }
}
