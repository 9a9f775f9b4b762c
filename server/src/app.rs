//! Assembling the service: the database and its migrations, the registry, the router with its
//! middleware, and the server loop.

use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::{HeaderName, Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware};
use kosodate_households::{Households, MatchRunner};
use kosodate_migrations::{Migrator, MigratorTrait};
use kosodate_registry::Registry;
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::Authenticator;
use crate::auth::session::Sessions;
use crate::error::ApiError;
use crate::extract::StaffTokens;
use crate::mail::Mailer;
use crate::settings::Settings;
use crate::{http_edge, telemetry};

#[derive(Debug, Clone)]
pub struct AppState {
    pub registry: Registry,
    pub households: Households,
    pub matching: MatchRunner,
    pub tokens: StaffTokens,
    pub auth: Authenticator,
    pub sessions: Sessions,
    pub mailer: Mailer,
    pub notices: crate::notices::Notices,
    pub search: crate::search::Search,
    pub metrics: PrometheusHandle,
}

impl FromRef<AppState> for StaffTokens {
    fn from_ref(state: &AppState) -> Self {
        state.tokens.clone()
    }
}

impl FromRef<AppState> for Sessions {
    fn from_ref(state: &AppState) -> Self {
        state.sessions.clone()
    }
}

/// Connects to the database (SQLite under the data directory unless a URL is configured).
pub async fn open_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    std::fs::create_dir_all(&settings.data_dir)?;
    let db = kosodate_registry::db::connect(&settings.database_url(), settings.max_connections).await?;
    Ok(db)
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    kosodate_registry::seed::seed_municipalities(db).await?;
    Ok(())
}

/// Everything the server needs, ready: database migrated, reference data seeded, examples loaded
/// when configured. `public_url` is where people reach it (for sign-in redirects).
pub async fn prepare(settings: &Settings, public_url: url::Url) -> anyhow::Result<AppState> {
    let db = open_database(settings).await?;
    if settings.migrate_on_start {
        migrate(&db).await?;
    }
    let registry = Registry::new(db);
    if settings.should_load_examples()
        && let Some(report) = registry.load_examples_if_empty().await?
    {
        tracing::info!(programs = report.created, "example programs loaded");
    }
    let secure = public_url.scheme() == "https";
    let db = registry.connection().clone();
    let notices = crate::notices::Notices::build(settings, &registry, &public_url).await?;
    let search = crate::search::Search::start(settings, &registry).await?;
    Ok(AppState {
        matching: crate::matching::runner(&registry),
        households: Households::new(db.clone()),
        tokens: StaffTokens::from_settings(&settings.api_tokens)?,
        auth: Authenticator::new(&settings.oidc, public_url.clone(), db.clone()),
        sessions: Sessions::new(
            db,
            secure,
            settings.parent_session_hours,
            settings.staff_session_hours,
        ),
        // The embedded default delivers email into this directory (see the notifier crate).
        mailer: Mailer::new(notices.email.clone(), public_url),
        notices,
        search,
        registry,
        metrics: telemetry::metrics_handle(),
    })
}

pub fn router(state: AppState, settings: &Settings) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(crate::api::router())
        .merge(crate::auth::routes::router())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(settings.body_limit_bytes))
        .layer(http_edge::catch_panic())
        .layer(middleware::from_fn(http_edge::enforce_request_limits))
        .layer(middleware::from_fn(telemetry::record_metrics))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or_default()
                .to_owned();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(middleware::from_fn(http_edge::only_uuid_request_ids))
        .layer(middleware::from_fn(http_edge::problem_for_bare_errors))
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.registry.connection().ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(error = %error, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database not reachable").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

async fn not_found() -> ApiError {
    ApiError::for_status(StatusCode::NOT_FOUND, "no such route")
}

/// A server running in the background, as the tests and `serve` use it.
#[derive(Debug)]
pub struct RunningServer {
    pub address: std::net::SocketAddr,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Binds `settings.listen` (port 0 picks a free port) and serves until `shutdown` resolves.
pub async fn start(
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<RunningServer> {
    let listener = TcpListener::bind(settings.listen).await?;
    start_on(listener, settings, shutdown).await
}

/// Serves on a listener already bound, so that a test can tell an OpenID Provider the redirect
/// URI before the service starts.
pub async fn start_on(
    listener: TcpListener,
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<RunningServer> {
    let address = listener.local_addr()?;
    let public_url = match &settings.public_url {
        Some(url) => url.clone(),
        None => url::Url::parse(&format!("http://{address}/"))?,
    };
    let state = prepare(settings, public_url).await?;
    if settings.match_tick_minutes > 0 {
        let interval = std::time::Duration::from_secs(settings.match_tick_minutes * 60);
        crate::matching::spawn_tick(state.matching.clone(), interval);
    }
    if settings.notices.worker_in_server {
        let notices = state.notices.clone();
        tokio::spawn(notices.run(std::future::pending()));
    }
    let app = router(state, settings);
    let task = tokio::spawn(http_edge::serve(listener, app, shutdown));
    tracing::info!(%address, "listening");
    Ok(RunningServer { address, task })
}

/// Resolves on Ctrl-C or SIGTERM, so that in-flight requests finish before the process exits.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
