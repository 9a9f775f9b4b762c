//! Static files, compiled into the binary and served under a name that carries a hash of their
//! content, so that browsers may keep them for a year and still never use a stale one.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

const STYLESHEET: &[u8] = include_bytes!("../../assets/site.css");

static STYLESHEET_NAME: LazyLock<String> =
    LazyLock::new(|| format!("site.{:016x}.css", xxhash_rust::xxh3::xxh3_64(STYLESHEET)));

/// Where pages find the stylesheet.
pub fn stylesheet_href() -> String {
    format!("/assets/{}", *STYLESHEET_NAME)
}

pub async fn serve(Path(name): Path<String>) -> Response {
    if name != *STYLESHEET_NAME {
        return ApiError::not_found("このファイルはありません", "no such asset").into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        STYLESHEET,
    )
        .into_response()
}
