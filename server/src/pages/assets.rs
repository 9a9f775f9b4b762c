//! Static files, compiled into the binary and served under a name that carries a hash of their
//! content, so that browsers may keep them for a year and still never use a stale one. The one
//! exception is the service worker, which browsers look up at a fixed address (`/sw.js`, so that
//! its scope is the whole site) and check for updates themselves.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

struct Asset {
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const STYLESHEET: Asset = Asset {
    stem: "site",
    extension: "css",
    content_type: "text/css; charset=utf-8",
    bytes: include_bytes!("../../assets/site.css"),
};

/// Web Push sign-up on the channels page: the only script pages load, and only there.
const PUSH_SCRIPT: Asset = Asset {
    stem: "push",
    extension: "js",
    content_type: "text/javascript; charset=utf-8",
    bytes: include_bytes!("../../assets/push.js"),
};

/// The site's icon: without one, every browser asks for `/favicon.ico` and logs the 404.
const ICON: Asset = Asset {
    stem: "icon",
    extension: "svg",
    content_type: "image/svg+xml",
    bytes: include_bytes!("../../assets/icon.svg"),
};

/// The program editor's live check: posts the form as the clerk types and shows the messages,
/// the rule's sentence and the preview the server answers.
const EDITOR_SCRIPT: Asset = Asset {
    stem: "staff-editor",
    extension: "js",
    content_type: "text/javascript; charset=utf-8",
    bytes: include_bytes!("../../assets/staff-editor.js"),
};

const SERVICE_WORKER: &[u8] = include_bytes!("../../assets/sw.js");

const ASSETS: [&Asset; 4] = [&STYLESHEET, &PUSH_SCRIPT, &ICON, &EDITOR_SCRIPT];

static NAMES: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let hash = xxhash_rust::xxh3::xxh3_64(asset.bytes);
            format!("{}.{hash:016x}.{}", asset.stem, asset.extension)
        })
        .collect()
});

/// Where pages find the stylesheet.
pub fn stylesheet_href() -> String {
    format!("/assets/{}", NAMES[0])
}

/// Where pages find the site's icon.
pub fn icon_href() -> String {
    format!("/assets/{}", NAMES[2])
}

/// Where the channels page finds its script.
pub fn push_script_href() -> String {
    format!("/assets/{}", NAMES[1])
}

/// Where the program editor finds its script.
pub fn editor_script_href() -> String {
    format!("/assets/{}", NAMES[3])
}

pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(index) = NAMES.iter().position(|known| *known == name) else {
        return ApiError::not_found("このファイルはありません", "no such asset").into_response();
    };
    let asset = ASSETS[index];
    respond(
        asset.content_type,
        "public, max-age=31536000, immutable",
        asset.bytes,
    )
}

/// The service worker that shows pushed notices; `no-cache` makes browsers check for a new one.
pub async fn service_worker() -> Response {
    respond("text/javascript; charset=utf-8", "no-cache", SERVICE_WORKER)
}

fn respond(content_type: &'static str, cache_control: &'static str, bytes: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache_control)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response()
}
