//! `/staff/insights/volumes`: searches or questions per day, week or month, in all or by
//! category, region, municipality or child's age band, as a chart and its table.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{Vocabulary, japan};
use kosodate_insights::{Dimension, Granularity, Source};

use super::{Choice, FormQuery, TableView, choices, table_view, volume_chart};
use crate::error::ApiError;
use crate::evidence::{self, Format, VolumesQuery, VolumesRequest};
use crate::extract::RequestContext;
use crate::pages::charts::Svg;
use crate::pages::staff::StaffChrome;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/insights_volumes.html")]
struct VolumesPage {
    chrome: StaffChrome,
    sources: Vec<Choice>,
    granularities: Vec<Choice>,
    dimensions: Vec<Choice>,
    from: String,
    until: String,
    heading: String,
    chart: Svg,
    table: TableView,
    csv_href: String,
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    context: RequestContext,
    FormQuery(query): FormQuery<VolumesQuery>,
) -> Result<Response, ApiError> {
    evidence::authorize_view(&state, &staff.identity, &context, "insights.view_volumes").await?;
    let request = query.checked(japan::date_of(chrono::Utc::now()))?;
    let table = request.table(&state).await?;
    if query.format == Some(Format::Csv) {
        return Ok(request.csv_file(&table));
    }
    let heading = heading(&request);
    let page = VolumesPage {
        chrome: StaffChrome::load(&state, &staff, "/staff/insights").await,
        sources: choices::<Source>(request.source),
        granularities: choices::<Granularity>(request.granularity),
        dimensions: choices::<Dimension>(request.dimension),
        from: request.period.from.to_string(),
        until: request.period.until.to_string(),
        chart: volume_chart("volumes-chart", &heading, &table, request.granularity),
        table: table_view(&table, request.granularity),
        csv_href: format!("{}&format=csv", href(&request)),
        heading,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

fn heading(request: &VolumesRequest) -> String {
    let last_day = request.period.until.pred_opt().unwrap_or(request.period.until);
    let by = match request.dimension {
        Dimension::Total => String::new(),
        dimension => format!("、{}別", dimension.label_ja()),
    };
    format!(
        "{}の件数（{}ごと{by}）{}〜{}",
        request.source.label_ja(),
        request.granularity.label_ja(),
        japan::format_date(request.period.from),
        japan::format_date(last_day),
    )
}

/// The page of `request`, as a link.
pub fn href(request: &VolumesRequest) -> String {
    format!(
        "/staff/insights/volumes?source={}&granularity={}&dimension={}&from={}&until={}",
        request.source.id(),
        request.granularity.id(),
        request.dimension.id(),
        request.period.from,
        request.period.until,
    )
}
