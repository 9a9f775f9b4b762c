//! Evidence for policy in a server process: the roll-ups every `insights_roll_up_minutes` (idempotent,
//! so every process may run them), and who searched, as the search log may know it: a pseudonym
//! of the browser that lives one week, Monday to Sunday in Japan (`kosodate_insights`), made from the session cookie
//! when there is one, else from the connection's address and the user agent. Neither is stored.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{COOKIE, USER_AGENT};
use axum::http::request::Parts;
use chrono::Utc;
use kosodate_database::retry_while_busy;
use kosodate_domain::{ProgramId, error_chain};
use kosodate_insights::{Click, Insights, InsightsError, RollUpReport};
use uuid::Uuid;

use crate::auth::session::{COOKIE_NAME, SECURE_COOKIE_NAME};
use crate::settings::Settings;
use crate::state::AppState;

/// The insights service over the process's database, cutting terms with the same IPADIC
/// dictionary as program search.
pub async fn build(settings: &Settings, db: sea_orm::DatabaseConnection) -> anyhow::Result<Insights> {
    let owned = settings.clone();
    // Loading the reading dictionary may build it the first time: off the async workers.
    let reader = tokio::task::spawn_blocking(move || crate::search::readings(&owned)).await?;
    Ok(Insights::new(db).with_reader(reader))
}

/// Rolls up what has settled and forgets raw rows past their retention; what `kosodate insights
/// roll-up` and the periodic job run.
pub async fn roll_up_now(insights: &Insights) -> Result<(RollUpReport, u64), InsightsError> {
    let report = retry_while_busy("rolling up evidence", || insights.roll_up(Utc::now())).await?;
    let forgotten = retry_while_busy("forgetting old search-log rows", || {
        insights.forget_raw_before(Utc::now())
    })
    .await?;
    Ok((report, forgotten))
}

/// The roll-ups every `interval`, the first at once.
pub fn spawn_roll_ups(insights: Insights, interval: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            match roll_up_now(&insights).await {
                Ok((report, forgotten)) => tracing::info!(
                    hours = report.hours,
                    days = report.days,
                    weeks = report.weeks,
                    forgotten,
                    "evidence rolled up"
                ),
                Err(error) => tracing::error!(error = %error_chain(&error), "evidence roll-up failed"),
            }
        }
    });
}

/// The week's pseudonym of whoever searches, for the search log; `None` when it cannot be made
/// (the search is then logged without one: it counts as a search, not as a person).
#[derive(Debug, Clone)]
pub struct Searcher(pub Option<String>);

impl FromRequestParts<AppState> for Searcher {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(browser) = browser(parts) else {
            return Ok(Self(None));
        };
        match state.insights.searcher_pseudonym(&browser, Utc::now()).await {
            Ok(pseudonym) => Ok(Self(Some(pseudonym))),
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "no searcher pseudonym; the search is logged without one");
                Ok(Self(None))
            }
        }
    }
}

/// What tells one browser from another for a day: its session cookie, else its address and user
/// agent (several people behind one address with the same browser count as one, which only ever
/// makes a count of people smaller).
fn browser(parts: &Parts) -> Option<String> {
    let session = parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME || *name == SECURE_COOKIE_NAME)
        .map(|(_, value)| format!("session:{value}"));
    if session.is_some() {
        return session;
    }
    let address = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let agent = parts
        .headers
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    Some(format!("address:{address} {agent}"))
}

/// The query parameter a search result's link carries: the search's id and the result's rank.
pub fn from_parameter(search: Uuid, rank: usize) -> String {
    format!("from={search}.{rank}")
}

/// Records the click a `from` parameter describes. A parameter that names no logged search or
/// program is ignored, and a click that cannot be recorded is logged: the parent still gets the
/// page.
pub async fn record_result_click(state: &AppState, program: ProgramId, from: &str) {
    let Some((search, rank)) = from.split_once('.') else {
        return;
    };
    let (Ok(search_id), Ok(rank)) = (Uuid::parse_str(search), rank.parse::<u32>()) else {
        return;
    };
    let click = Click {
        search_id,
        program,
        rank,
    };
    if let Err(error) = state.insights.record_click(&click, Utc::now()).await {
        tracing::warn!(error = %error_chain(&error), "a search result click was not recorded");
    }
}
