//! What every request handler (the JSON API, and the pages) is given: the services of this
//! process, built once by `startup`. Handlers reach the library crates through it and never build
//! their own.

use axum::extract::FromRef;
use kosodate_community::Community;
use kosodate_households::Households;
use kosodate_insights::Insights;
use kosodate_matching::MatchRunner;
use kosodate_partners::Partners;
use kosodate_places::Places;
use kosodate_planner::CommunityNotices;
use kosodate_registry::Registry;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::Authenticator;
use crate::auth::session::Sessions;
use crate::community::QuestionSearch;
use crate::extract::StaffTokens;
use crate::freshness::Freshness;
use crate::mail::Mailer;
use crate::notices::Notices;
use crate::search::Search;

#[derive(Debug, Clone)]
pub struct AppState {
    pub registry: Registry,
    pub households: Households,
    pub matching: MatchRunner,
    pub tokens: StaffTokens,
    pub auth: Authenticator,
    pub sessions: Sessions,
    pub mailer: Mailer,
    pub notices: Notices,
    pub search: Search,
    /// The parents' community, the index of its questions, and the notices of its answers.
    pub community: Community,
    pub question_search: QuestionSearch,
    pub community_notices: CommunityNotices,
    /// Evidence for policy: the search-log pseudonyms, clicks, roll-ups and reports.
    pub insights: Insights,
    /// Places to go with children and children's events.
    pub places: Places,
    /// Review reminders and the link checker.
    pub freshness: Freshness,
    /// Registered partner apps, their tokens, rate limits and webhooks.
    pub partners: Partners,
    pub metrics: PrometheusHandle,
    /// Where people reach the service: pages name themselves with it (canonical links,
    /// OpenGraph) and links that leave it (calendar feeds) start from it, whatever address a
    /// request came through.
    pub public_url: url::Url,
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

impl FromRef<AppState> for Partners {
    fn from_ref(state: &AppState) -> Self {
        state.partners.clone()
    }
}
