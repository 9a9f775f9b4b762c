//! `/staff/insights`: the overview: searches and questions per week over the last twelve weeks
//! (a chart and its table), last week's most used and rising terms in both, and the gaps of the
//! last four weeks; each part links to its own page.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::japan;
use kosodate_insights::{Dimension, Granularity, Source, VolumeRow, VolumeTable};

use super::gaps::{GapViews, views};
use super::terms::{RisingView, TermView, rising_view, term_view};
use super::volumes::href;
use super::{TableView, table_view, volume_chart};
use crate::error::ApiError;
use crate::evidence::{self, GapsQuery, TermsQuery, VolumesRequest};
use crate::extract::RequestContext;
use crate::pages::charts::Svg;
use crate::pages::staff::StaffChrome;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

/// How many terms the overview lists per source; the terms page has more.
const OVERVIEW_TERMS: usize = 10;

/// One source's terms of last week.
struct SourceTerms {
    label: &'static str,
    href: String,
    top: Vec<TermView>,
    rising: Vec<RisingView>,
}

#[derive(Template)]
#[template(path = "staff/insights.html")]
struct OverviewPage {
    chrome: StaffChrome,
    week_label: String,
    chart: Svg,
    table: TableView,
    volumes_links: Vec<(&'static str, String)>,
    terms: Vec<SourceTerms>,
    days: u32,
    tables: GapViews,
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    context: RequestContext,
) -> Result<Response, ApiError> {
    evidence::authorize_view(&state, &staff.identity, &context, "insights.view").await?;
    let today = japan::date_of(chrono::Utc::now());
    let (table, volumes_links) = weekly_volumes(&state, today).await?;
    let (_, last_week) = TermsQuery::default().checked(today)?;
    let mut terms = Vec::new();
    for source in [Source::Searches, Source::Questions] {
        let report = state.insights.terms(source, last_week, OVERVIEW_TERMS).await?;
        terms.push(SourceTerms {
            label: kosodate_domain::Vocabulary::label_ja(source),
            href: format!(
                "/staff/insights/terms?source={}&week={last_week}",
                kosodate_domain::Vocabulary::id(source)
            ),
            top: report.top.iter().map(term_view).collect(),
            rising: report.rising.iter().map(rising_view).collect(),
        });
    }
    let (period, days) = GapsQuery::default().checked(today)?;
    let gaps = state.insights.gaps(period, days).await?;
    let page = OverviewPage {
        chrome: StaffChrome::load(&state, &staff, "/staff/insights").await,
        week_label: japan::format_date_with_weekday(last_week),
        chart: volume_chart(
            "overview-chart",
            "検索と質問の件数（週ごと）",
            &table,
            Granularity::Week,
        ),
        table: table_view(&table, Granularity::Week),
        volumes_links,
        terms,
        days,
        tables: views(&gaps),
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

/// Searches and questions per week, one row each, and the volumes page of each.
async fn weekly_volumes(
    state: &AppState,
    today: chrono::NaiveDate,
) -> Result<(VolumeTable, Vec<(&'static str, String)>), ApiError> {
    let areas = evidence::areas(state).await?;
    let period = evidence::recent_periods(Granularity::Week, today);
    let mut combined = VolumeTable {
        periods: Vec::new(),
        rows: Vec::new(),
    };
    let mut links = Vec::new();
    for source in [Source::Searches, Source::Questions] {
        let request = VolumesRequest {
            source,
            granularity: Granularity::Week,
            dimension: Dimension::Total,
            period,
        };
        let table = state
            .insights
            .volumes(source, Granularity::Week, Dimension::Total, period, &areas)
            .await?;
        let label = kosodate_domain::Vocabulary::label_ja(source);
        combined.periods = table.periods;
        combined.rows.extend(table.rows.into_iter().map(|row| VolumeRow {
            label: label.to_owned(),
            ..row
        }));
        links.push((label, href(&request)));
    }
    Ok((combined, links))
}

impl OverviewPage {
    /// The overview's gap tables link to the gaps page, which has their files.
    pub fn csv_href_for(&self, _table: &str) -> Option<String> {
        None
    }
}
