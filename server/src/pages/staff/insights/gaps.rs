//! `/staff/insights/gaps`: needs the registry may not meet: searches that found nothing,
//! questions no program relates to, questions unanswered after N days, searches whose results are
//! rarely opened. Four tables, each with its CSV file.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::japan;
use kosodate_insights::{CategoryGap, ClickGap, Gaps, QueryGap};

use super::{FormQuery, shown};
use crate::error::ApiError;
use crate::evidence::{self, Format, GapsQuery};
use crate::extract::RequestContext;
use crate::pages::staff::StaffChrome;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

/// A row of any gap table: what it is about and its written counts.
pub struct GapRow {
    pub name: String,
    pub counts: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff/insights_gaps.html")]
struct GapsPage {
    chrome: StaffChrome,
    from: String,
    until: String,
    days: u32,
    period_label: String,
    tables: GapViews,
    csv_href: String,
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    context: RequestContext,
    FormQuery(query): FormQuery<GapsQuery>,
) -> Result<Response, ApiError> {
    evidence::authorize_view(&state, &staff.identity, &context, "insights.view_gaps").await?;
    let (period, days) = query.checked(japan::date_of(chrono::Utc::now()))?;
    let gaps = state.insights.gaps(period, days).await?;
    if query.format == Some(Format::Csv) {
        return Ok(evidence::gaps_file(&gaps, query.table, period));
    }
    let last_day = period.until.pred_opt().unwrap_or(period.until);
    let page = GapsPage {
        chrome: StaffChrome::load(&state, &staff, "/staff/insights").await,
        from: period.from.to_string(),
        until: period.until.to_string(),
        days,
        period_label: format!(
            "{}〜{}",
            japan::format_date(period.from),
            japan::format_date(last_day)
        ),
        csv_href: format!(
            "/staff/insights/gaps?from={}&until={}&days={days}&format=csv",
            period.from, period.until
        ),
        tables: views(&gaps),
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

/// The four tables as written.
pub struct GapViews {
    pub zero_results: Vec<GapRow>,
    pub without_program: Vec<GapRow>,
    pub unanswered: Vec<GapRow>,
    pub low_click_through: Vec<GapRow>,
}

pub fn views(gaps: &Gaps) -> GapViews {
    GapViews {
        zero_results: gaps.zero_result_queries.iter().map(query_row).collect(),
        without_program: gaps.questions_without_program.iter().map(category_row).collect(),
        unanswered: gaps.unanswered.iter().map(category_row).collect(),
        low_click_through: gaps.low_click_through.iter().map(click_row).collect(),
    }
}

fn query_row(gap: &QueryGap) -> GapRow {
    GapRow {
        name: gap.query.clone(),
        counts: vec![shown(gap.searches), shown(gap.people)],
    }
}

fn category_row(gap: &CategoryGap) -> GapRow {
    GapRow {
        name: gap.label.clone(),
        counts: vec![shown(gap.questions)],
    }
}

fn click_row(gap: &ClickGap) -> GapRow {
    let rate = gap
        .click_through
        .map_or_else(|| "—".to_owned(), |rate| format!("{:.1}%", rate * 100.0));
    GapRow {
        name: gap.query.clone(),
        counts: vec![shown(gap.searches), shown(gap.clicks), rate],
    }
}

impl GapsPage {
    /// The CSV file of one of the page's tables.
    pub fn csv_href_for(&self, table: &str) -> Option<String> {
        Some(format!("{}&table={table}", self.csv_href))
    }
}
