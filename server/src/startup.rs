//! The composition root: the one place that builds the service from its settings. It opens and
//! migrates the database, builds every service into the `AppState`, assembles the router (the
//! JSON API, sign-in, health and metrics) with its middleware, starts this process's background
//! work (the matching tick, the notice loop, the search and community question followers, the
//! evidence roll-ups) and serves until shut down; and
//! it starts `kosodate worker` processes. Nothing but `cli` and the tests call into it.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware};
use kosodate_community::Community;
use kosodate_domain::error_chain;
use kosodate_households::Households;
use kosodate_planner::CommunityNotices;
use kosodate_registry::Registry;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::Authenticator;
use crate::auth::session::Sessions;
use crate::community::QuestionSearch;
use crate::error::ApiError;
use crate::extract::StaffTokens;
use crate::freshness::Freshness;
use crate::mail::Mailer;
use crate::notices::Notices;
use crate::search::Search;
use crate::settings::Settings;
use crate::state::AppState;
use crate::{http_edge, telemetry};

/// Connects to the database (SQLite under the data directory unless a URL is configured).
pub async fn open_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    std::fs::create_dir_all(&settings.data_dir)?;
    let db = kosodate_database::connect(&settings.database_url(), settings.max_connections).await?;
    Ok(db)
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    kosodate_migrations::upgrade(db).await?;
    kosodate_registry::seed::seed_municipalities(db).await?;
    Ok(())
}

/// The registry over a migrated database, for the command-line tools.
pub async fn registry(settings: &Settings) -> anyhow::Result<Registry> {
    let db = open_database(settings).await?;
    migrate(&db).await?;
    Ok(Registry::new(db))
}

/// Everything the server needs, ready: database migrated, reference data seeded, examples loaded
/// when configured. `public_url` is where people reach it (for sign-in redirects).
pub async fn prepare(settings: &Settings, public_url: url::Url) -> anyhow::Result<AppState> {
    let db = open_database(settings).await?;
    if settings.migrate_on_start {
        migrate(&db).await?;
    }
    let registry = Registry::new(db);
    let secure = public_url.scheme() == "https";
    let db = registry.connection().clone();
    let community = Community::new(db.clone());
    let places = kosodate_places::Places::new(db.clone());
    if settings.should_load_examples() {
        load_examples(&registry, &community).await?;
        crate::places::load_examples(&places).await?;
    }
    let notices = Notices::build(settings, &registry, &public_url).await?;
    let search = Search::start(settings, &registry).await?;
    let question_search = QuestionSearch::start(settings, community.clone()).await?;
    let community_notices = CommunityNotices::new(Households::new(db.clone()));
    let insights = crate::insights::build(settings, db.clone()).await?;
    let freshness =
        Freshness::build(&settings.freshness, &registry, notices.email.clone(), &public_url).await?;
    Ok(AppState {
        matching: crate::rematch::runner(&registry, settings),
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
        mailer: Mailer::new(notices.email.clone(), public_url.clone()),
        notices,
        search,
        community,
        question_search,
        community_notices,
        insights,
        places,
        freshness,
        partners: kosodate_partners::Partners::new(registry.connection().clone()),
        registry,
        metrics: telemetry::metrics_handle(),
        public_url,
    })
}

/// The example programs and the example community, each only into an empty database, so that a
/// first `cargo run` shows the product as parents and staff meet it.
async fn load_examples(registry: &Registry, community: &Community) -> anyhow::Result<()> {
    if let Some(report) = registry.load_examples_if_empty().await? {
        tracing::info!(programs = report.created, "example programs loaded");
    }
    if let Some(loaded) = community.load_examples_if_empty(chrono::Utc::now()).await? {
        tracing::info!(
            questions = loaded.questions,
            answers = loaded.answers,
            "example community loaded"
        );
    }
    Ok(())
}

pub fn router(state: AppState, settings: &Settings) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(crate::api::router())
        .merge(crate::auth::routes::router())
        .merge(crate::pages::router())
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
            let path = telemetry::loggable_path(request.uri().path());
            tracing::info_span!("request", method = %request.method(), %path, request_id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(middleware::from_fn(http_edge::only_uuid_request_ids))
        .layer(middleware::from_fn(http_edge::problem_for_bare_errors))
        .layer(middleware::from_fn(crate::pages::errors::html_for_browsers))
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.registry.connection().ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(error = %error_chain(&error), "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database not reachable").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    crate::allocator::record_memory_metrics();
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
        crate::rematch::spawn_tick(state.matching.clone(), interval);
    }
    state.freshness.spawn(&settings.freshness);
    crate::community::spawn_answer_notice_sweep(state.clone());
    if settings.partners.webhooks_in_server {
        crate::partners::webhooks::Webhooks::new(
            state.partners.clone(),
            state.registry.clone(),
            state.places.clone(),
            state.public_url.clone(),
            &settings.partners,
        )?
        .spawn();
    }
    if settings.insights_roll_up_minutes > 0 {
        let interval = std::time::Duration::from_secs(settings.insights_roll_up_minutes * 60);
        crate::insights::spawn_roll_ups(state.insights.clone(), interval);
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

/// `kosodate worker`: plans and delivers notices, and takes partitions of the open full re-match,
/// without serving HTTP, until SIGTERM or Ctrl-C.
pub async fn run_worker(settings: &Settings) -> anyhow::Result<()> {
    let db = open_database(settings).await?;
    if settings.migrate_on_start {
        migrate(&db).await?;
    }
    let registry = Registry::new(db);
    let public_url = match &settings.public_url {
        Some(url) => url.clone(),
        None => url::Url::parse(&format!("http://{}/", settings.listen))?,
    };
    let notices = Notices::build(settings, &registry, &public_url).await?;
    crate::rematch::spawn_run_helper(crate::rematch::runner(&registry, settings));
    // Change webhooks are safe in any number of processes (leased deliveries, a feed position
    // that only moves forward), so every worker shares them with the servers that run them.
    let db = registry.connection().clone();
    crate::partners::webhooks::Webhooks::new(
        kosodate_partners::Partners::new(db.clone()),
        registry.clone(),
        kosodate_places::Places::new(db),
        public_url.clone(),
        &settings.partners,
    )?
    .spawn();
    tracing::info!("notice and webhook worker running");
    notices.run(shutdown_signal()).await;
    Ok(())
}
