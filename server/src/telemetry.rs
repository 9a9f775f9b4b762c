//! Logs, request ids and metrics. Logs never carry secrets or personal data: handlers log ids and
//! counts, and request logging records method, matched route, status and latency only (no query
//! strings, no bodies, no headers).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::settings::LogFormat;

/// Installs the global tracing subscriber (`RUST_LOG` filters; default `info`).
pub fn init_tracing(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    init_tracing_to(format, filter, std::io::stderr);
}

/// Installs the global subscriber writing to `writer`: the tests read the logs back to check
/// that they hold no personal data.
pub fn init_tracing_to<W>(format: LogFormat, filter: EnvFilter, writer: W)
where
    W: for<'writer> tracing_subscriber::fmt::MakeWriter<'writer> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// How often histogram samples are folded into their buckets (see [`metrics_handle`]).
const METRICS_UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The process-wide Prometheus recorder. Installed once, however many apps a process starts
/// (the tests start many). A recorder built this way keeps every histogram sample until it is
/// folded into the buckets, which only a scrape of `/metrics` or an upkeep does: without a
/// scraper its memory would grow with every request. So a thread of its own does the upkeep,
/// outside any one app's runtime.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
                .map(|builder| builder.build_recorder())
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            let upkept = handle.clone();
            let upkeep = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(METRICS_UPKEEP_INTERVAL);
                        upkept.run_upkeep();
                    }
                });
            if let Err(error) = upkeep {
                tracing::warn!(%error, "no thread for the metrics' upkeep: histogram samples wait for a scrape of /metrics");
            }
            handle
        })
        .clone()
}

/// Counts requests and their latency by method, route template and status.
pub async fn record_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// Paths whose last segment is a secret that opens something without signing in.
const SECRET_PATHS: [&str; 3] = ["/calendar/", "/notices/actions/", "/staff/reviews/"];

/// The request path as logs may hold it: a calendar feed's secret or a notice link's token is
/// replaced by `…`, since the log would otherwise open the feed or act for the household (or,
/// for a review reminder's link, for the staff member).
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match SECRET_PATHS.iter().find(|prefix| path.starts_with(**prefix)) {
        Some(prefix) => format!("{prefix}…").into(),
        None => path.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn secrets_in_paths_are_not_logged() {
        assert_eq!(loggable_path("/calendar/c2VjcmV0.ics"), "/calendar/…");
        assert_eq!(loggable_path("/notices/actions/token"), "/notices/actions/…");
        assert_eq!(loggable_path("/staff/reviews/token"), "/staff/reviews/…");
        assert_eq!(loggable_path("/me/calendar"), "/me/calendar");
        assert_eq!(loggable_path("/api/v1/programs"), "/api/v1/programs");
    }
}
