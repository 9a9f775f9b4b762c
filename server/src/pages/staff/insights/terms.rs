//! `/staff/insights/terms`: the terms parents used most in a week, and those rising against the
//! week before (exact test, Benjamini–Hochberg q-values), as tables with CSV files and a bar chart
//! of the most used.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{Vocabulary, japan};
use kosodate_insights::{RisingTerm, Source, TermRow};

use super::{Choice, FormQuery, choices, shown};
use crate::error::ApiError;
use crate::evidence::{self, Format, TOP_TERMS, TermsQuery};
use crate::extract::RequestContext;
use crate::pages::charts::{Bar, BarChart, Svg};
use crate::pages::staff::StaffChrome;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

/// A term as the tables write it.
pub struct TermView {
    pub term: String,
    pub uses: String,
    pub people: String,
}

/// A rising term as the table writes it.
pub struct RisingView {
    pub term: String,
    pub this_week: String,
    pub last_week: String,
    pub ratio: String,
    pub q_value: String,
}

#[derive(Template)]
#[template(path = "staff/insights_terms.html")]
struct TermsPage {
    chrome: StaffChrome,
    sources: Vec<Choice>,
    week: String,
    week_label: String,
    source_label: &'static str,
    top: Vec<TermView>,
    rising: Vec<RisingView>,
    chart: Svg,
    csv_href: String,
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    context: RequestContext,
    FormQuery(query): FormQuery<TermsQuery>,
) -> Result<Response, ApiError> {
    evidence::authorize_view(&state, &staff.identity, &context, "insights.view_terms").await?;
    let (source, week) = query.checked(japan::date_of(chrono::Utc::now()))?;
    let report = state.insights.terms(source, week, TOP_TERMS).await?;
    if query.format == Some(Format::Csv) {
        return Ok(evidence::terms_file(&report, query.table, source));
    }
    let page = TermsPage {
        chrome: StaffChrome::load(&state, &staff, "/staff/insights").await,
        sources: choices::<Source>(source),
        week: week.to_string(),
        week_label: japan::format_date_with_weekday(week),
        source_label: source.label_ja(),
        chart: top_chart(&report.top),
        top: report.top.iter().map(term_view).collect(),
        rising: report.rising.iter().map(rising_view).collect(),
        csv_href: format!(
            "/staff/insights/terms?source={}&week={week}&format=csv",
            source.id()
        ),
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

pub fn term_view(term: &TermRow) -> TermView {
    TermView {
        term: term.term.clone(),
        uses: shown(term.uses),
        people: shown(term.people),
    }
}

pub fn rising_view(term: &RisingTerm) -> RisingView {
    RisingView {
        term: term.term.clone(),
        this_week: shown(term.this_week),
        last_week: shown(term.last_week),
        ratio: format!("{:.1}倍", term.ratio),
        q_value: format!("{:.4}", term.q_value),
    }
}

fn top_chart(top: &[TermRow]) -> Svg {
    BarChart {
        id: "terms-chart",
        title: "よく使われた語",
        description: "語ごとに使われた回数を横棒で示します。数値は上の表と同じです。",
        colours: &["#1f5fa8"],
        label_width: 150,
        bars: top
            .iter()
            .map(|term| Bar {
                label: term.term.clone(),
                values: vec![term.uses.count().unwrap_or(0)],
                note: format!("{}回", shown(term.uses)),
            })
            .collect(),
    }
    .svg()
}
