//! What the evidence-for-policy pages (`pages/staff/insights/`) and the evidence API
//! (`api/insights.rs`) share: the question each view asks, read once from its query string with
//! the defaults both show; the areas for the insights crate, from the registry; who may look (and
//! that every look is audited); and the CSV export of every table, UTF-8 with a byte-order mark
//! so that Excel opens the Japanese.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Days, Months, NaiveDate};
use kosodate_domain::{CalendarDate, Vocabulary, japan};
use kosodate_insights::{
    Area, Areas, Dimension, Gaps, Granularity, OpenDataExport, Period, RisingTerm, Source, TermReport,
    TermRow, VolumeTable,
};
use kosodate_registry::StaffAction;
use kosodate_registry::StaffIdentity;
use serde::Deserialize;

use crate::audit::authorize;
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::state::AppState;

/// How many days after it was asked a question counts as unanswered, unless staff say otherwise.
pub const DEFAULT_UNANSWERED_DAYS: u32 = 7;
/// The privacy budget of one open-data release (docs/insights.md).
pub const OPEN_DATA_EPSILON: f64 = 1.0;

/// Checks that `staff` may see the evidence and records the look in the audit log.
pub async fn authorize_view(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    view: &'static str,
) -> Result<(), ApiError> {
    authorize(state, staff, context, StaffAction::ViewInsights, view, None).await
}

/// The municipalities with their regions, as the insights crate needs them.
pub async fn areas(state: &AppState) -> Result<Areas, ApiError> {
    let municipalities = state.registry.all_municipalities().await?;
    Ok(Areas::new(
        municipalities
            .iter()
            .map(|municipality| Area {
                code: municipality.code,
                name: municipality.name.clone(),
                region: municipality.region.clone(),
            })
            .collect(),
    ))
}

/// `format=csv` asks for the table as a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

/// The tables of the terms view, as a CSV file names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TermsTable {
    #[default]
    Top,
    Rising,
}

/// The tables of the gaps view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapsTable {
    #[default]
    ZeroResults,
    WithoutProgram,
    Unanswered,
    LowClickThrough,
}

/// The question of the volumes view.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VolumesQuery {
    /// `searches` (検索, the default) or `questions` (質問).
    #[param(inline)]
    pub source: Option<Source>,
    /// `day`, `week` (the default; weeks start on Monday) or `month`.
    #[param(inline)]
    pub granularity: Option<Granularity>,
    /// `total` (the default), `category`, `region`, `municipality` or `age_band`.
    #[param(inline)]
    pub dimension: Option<Dimension>,
    /// The first day (Japan), `YYYY-MM-DD`; by default twelve periods back from the current one.
    #[param(value_type = Option<CalendarDate>)]
    pub from: Option<String>,
    /// The day after the last (exclusive); by default the end of the current period. The period is
    /// at most 400 days.
    #[param(value_type = Option<CalendarDate>)]
    pub until: Option<String>,
    /// `csv` for the table as a CSV file.
    #[param(inline)]
    pub format: Option<Format>,
}

/// The volumes view's question, checked.
#[derive(Debug, Clone, Copy)]
pub struct VolumesRequest {
    pub source: Source,
    pub granularity: Granularity,
    pub dimension: Dimension,
    pub period: Period,
}

impl VolumesRequest {
    /// The table asked for, over the registry's areas.
    pub async fn table(&self, state: &AppState) -> Result<VolumeTable, ApiError> {
        let areas = areas(state).await?;
        Ok(state
            .insights
            .volumes(self.source, self.granularity, self.dimension, self.period, &areas)
            .await?)
    }

    /// The table as a CSV file.
    pub fn csv_file(&self, table: &VolumeTable) -> Response {
        let name = format!("volumes-{}-{}.csv", self.source.id(), self.period.from);
        volumes_csv(table).response(&name)
    }
}

impl VolumesQuery {
    pub fn checked(&self, today: NaiveDate) -> Result<VolumesRequest, ApiError> {
        let granularity = self.granularity.unwrap_or(Granularity::Week);
        let default = recent_periods(granularity, today);
        Ok(VolumesRequest {
            source: self.source.unwrap_or(Source::Searches),
            granularity,
            dimension: self.dimension.unwrap_or(Dimension::Total),
            period: period(self.from.as_deref(), self.until.as_deref(), default)?,
        })
    }
}

/// Twelve periods of `granularity` up to and including the one `today` is in.
pub fn recent_periods(granularity: Granularity, today: NaiveDate) -> Period {
    let (from, until) = match granularity {
        Granularity::Day => (today - Days::new(27), today + Days::new(1)),
        Granularity::Week => {
            let monday = japan::week_starting(today);
            (monday - Days::new(7 * 11), monday + Days::new(7))
        }
        Granularity::Month => {
            let first = today.with_day(1).unwrap_or(today);
            (first - Months::new(11), first + Months::new(1))
        }
    };
    Period { from, until }
}

/// A period from optional fields, each empty one taken from `default`.
pub fn period(from: Option<&str>, until: Option<&str>, default: Period) -> Result<Period, ApiError> {
    let from = date("from", from)?.unwrap_or(default.from);
    let until = date("until", until)?.unwrap_or(default.until);
    Period::new(from, until)
        .map_err(|error| ApiError::invalid_query("until", error.message_ja(), error.to_string()))
}

fn date(parameter: &str, text: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    // An empty value is a wrong one, as everywhere in the API; the pages drop their form's empty
    // fields first (`FormQuery`).
    let Some(text) = text.map(str::trim) else {
        return Ok(None);
    };
    japan::read_date(text)
        .map(Some)
        .map_err(|error| ApiError::invalid_query(parameter, error.message_ja(), error.to_string()))
}

/// The question of the terms view.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TermsQuery {
    /// `searches` (the default) or `questions`.
    #[param(inline)]
    pub source: Option<Source>,
    /// Any day of the week (Monday to Sunday) to look at; by default last week, the last whole one.
    #[param(value_type = Option<CalendarDate>)]
    pub week: Option<String>,
    /// Which table a CSV file holds (`top` by default).
    #[param(inline)]
    pub table: Option<TermsTable>,
    #[param(inline)]
    pub format: Option<Format>,
}

/// How many top terms a view lists.
pub const TOP_TERMS: usize = 30;

impl TermsQuery {
    /// The source and the Monday of the week asked for.
    pub fn checked(&self, today: NaiveDate) -> Result<(Source, NaiveDate), ApiError> {
        let last_week = japan::week_starting(today) - Days::new(7);
        let week = date("week", self.week.as_deref())?.map_or(last_week, japan::week_starting);
        Ok((self.source.unwrap_or(Source::Searches), week))
    }
}

/// The question of the gaps view.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GapsQuery {
    /// The first day (Japan), `YYYY-MM-DD`; by default four weeks back.
    #[param(value_type = Option<CalendarDate>)]
    pub from: Option<String>,
    /// The day after the last; by default tomorrow. The period is at most 400 days.
    #[param(value_type = Option<CalendarDate>)]
    pub until: Option<String>,
    /// A question is unanswered when it has no answer this many days after it was asked (7).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 365)]
    pub days: Option<String>,
    /// Which table a CSV file holds (`zero_results` by default).
    #[param(inline)]
    pub table: Option<GapsTable>,
    #[param(inline)]
    pub format: Option<Format>,
}

impl GapsQuery {
    pub fn checked(&self, today: NaiveDate) -> Result<(Period, u32), ApiError> {
        let default = Period {
            from: today - Days::new(27),
            until: today + Days::new(1),
        };
        let period = period(self.from.as_deref(), self.until.as_deref(), default)?;
        let days = match self.days.as_deref().map(str::trim) {
            None => DEFAULT_UNANSWERED_DAYS,
            Some(days) => days
                .parse::<u32>()
                .ok()
                .filter(|days| (1..=365).contains(days))
                .ok_or_else(|| {
                    ApiError::invalid_query(
                        "days",
                        "日数は1から365までの整数で入力してください",
                        "days must be a whole number from 1 to 365",
                    )
                })?,
        };
        Ok((period, days))
    }
}

/// The question of the open data: whole weeks, by default the last twelve.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpenDataQuery {
    /// The first week: the Monday of the week of this day (Japan), `YYYY-MM-DD`.
    #[param(value_type = Option<CalendarDate>)]
    pub from: Option<String>,
    /// The end: the Monday of the week of this day, which is not included. At most 400 days.
    #[param(value_type = Option<CalendarDate>)]
    pub until: Option<String>,
    #[param(inline)]
    pub format: Option<Format>,
}

impl OpenDataQuery {
    pub fn checked(&self, today: NaiveDate) -> Result<Period, ApiError> {
        let this_week = japan::week_starting(today);
        let default = Period {
            from: this_week - Days::new(7 * 12),
            until: this_week,
        };
        let asked = period(self.from.as_deref(), self.until.as_deref(), default)?;
        // Whole weeks only, so that a cell's noise is the same whatever period it was asked in.
        Period::new(
            japan::week_starting(asked.from),
            japan::week_starting(asked.until),
        )
        .map_err(|error| ApiError::invalid_query("until", error.message_ja(), error.to_string()))
    }
}

/// A CSV file: a header and rows, written with a byte-order mark and CRLF (RFC 4180).
#[derive(Debug, Clone, Default)]
pub struct Csv {
    text: String,
}

impl Csv {
    pub fn new(header: &[&str]) -> Self {
        let mut csv = Self {
            text: "\u{feff}".to_owned(),
        };
        csv.row(header.iter().map(|field| (*field).to_owned()));
        csv
    }

    pub fn row(&mut self, fields: impl IntoIterator<Item = String>) {
        let fields: Vec<String> = fields.into_iter().map(|field| quoted(&field)).collect();
        self.text.push_str(&fields.join(","));
        self.text.push_str("\r\n");
    }

    /// The file as an attachment named `name`.
    pub fn response(self, name: &str) -> Response {
        let mut response = (StatusCode::OK, self.text).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        response
    }
}

fn quoted(field: &str) -> String {
    // A leading = + - @ would be a formula in a spreadsheet: written as text.
    let field = match field.starts_with(['=', '+', '-', '@']) && field.parse::<f64>().is_err() {
        true => format!("'{field}"),
        false => field.to_owned(),
    };
    match field.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", field.replace('"', "\"\"")),
        false => field,
    }
}

fn volumes_csv(table: &VolumeTable) -> Csv {
    let periods: Vec<String> = table.periods.iter().map(NaiveDate::to_string).collect();
    let mut header = vec!["key", "名前"];
    header.extend(periods.iter().map(String::as_str));
    let mut csv = Csv::new(&header);
    for row in &table.rows {
        let cells = row.cells.iter().map(|cell| cell.csv_field());
        csv.row([row.key.clone(), row.label.clone()].into_iter().chain(cells));
    }
    csv
}

/// One of a term report's two tables as a CSV file.
pub fn terms_file(report: &TermReport, table: Option<TermsTable>, source: Source) -> Response {
    let (name, csv) = match table.unwrap_or_default() {
        TermsTable::Top => ("top", top_terms_csv(&report.top)),
        TermsTable::Rising => ("rising", rising_terms_csv(&report.rising)),
    };
    csv.response(&format!(
        "terms-{name}-{}-{}.csv",
        source.id(),
        report.week_starting
    ))
}

/// One of the gaps' four tables as a CSV file.
pub fn gaps_file(gaps: &Gaps, table: Option<GapsTable>, period: Period) -> Response {
    let table = table.unwrap_or_default();
    let name = match table {
        GapsTable::ZeroResults => "zero_results",
        GapsTable::WithoutProgram => "without_program",
        GapsTable::Unanswered => "unanswered",
        GapsTable::LowClickThrough => "low_click_through",
    };
    gaps_csv(gaps, table).response(&format!("gaps-{name}-{}.csv", period.from))
}

fn top_terms_csv(terms: &[TermRow]) -> Csv {
    let mut csv = Csv::new(&["語", "使われた回数", "使った人数"]);
    for term in terms {
        csv.row([term.term.clone(), term.uses.csv_field(), term.people.csv_field()]);
    }
    csv
}

fn rising_terms_csv(terms: &[RisingTerm]) -> Csv {
    let mut csv = Csv::new(&["語", "今週", "前週", "比", "p値", "q値"]);
    for term in terms {
        csv.row([
            term.term.clone(),
            term.this_week.csv_field(),
            term.last_week.csv_field(),
            format!("{:.2}", term.ratio),
            format!("{:.2e}", term.p_value),
            format!("{:.2e}", term.q_value),
        ]);
    }
    csv
}

fn gaps_csv(gaps: &Gaps, table: GapsTable) -> Csv {
    match table {
        GapsTable::ZeroResults => {
            let mut csv = Csv::new(&["検索語", "検索数", "検索した人数"]);
            for gap in &gaps.zero_result_queries {
                csv.row([
                    gap.query.clone(),
                    gap.searches.csv_field(),
                    gap.people.csv_field(),
                ]);
            }
            csv
        }
        GapsTable::WithoutProgram | GapsTable::Unanswered => {
            let rows = match table {
                GapsTable::Unanswered => &gaps.unanswered,
                _ => &gaps.questions_without_program,
            };
            let mut csv = Csv::new(&["分類", "分類名", "質問数"]);
            for gap in rows {
                csv.row([gap.category.clone(), gap.label.clone(), gap.questions.csv_field()]);
            }
            csv
        }
        GapsTable::LowClickThrough => {
            let mut csv = Csv::new(&["検索語", "検索数", "結果を開いた数", "開いた割合"]);
            for gap in &gaps.low_click_through {
                let rate = gap
                    .click_through
                    .map_or_else(|| "10未満".to_owned(), |rate| format!("{rate:.3}"));
                csv.row([
                    gap.query.clone(),
                    gap.searches.csv_field(),
                    gap.clicks.csv_field(),
                    rate,
                ]);
            }
            csv
        }
    }
}

pub fn open_data_csv(export: &OpenDataExport) -> Csv {
    let mut csv = Csv::new(&[
        "week_starting",
        "source",
        "region",
        "count",
        "epsilon",
        "mechanism",
    ]);
    for row in &export.rows {
        let source: &'static str = row.source.into();
        csv.row([
            row.week_starting.to_string(),
            source.to_owned(),
            row.region.clone(),
            row.count.csv_field(),
            export.epsilon.to_string(),
            export.mechanism.to_owned(),
        ]);
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it_and_opens_in_excel() {
        let mut csv = Csv::new(&["語", "数"]);
        csv.row(["保育園, 一時預かり".to_owned(), "12".to_owned()]);
        csv.row(["=HYPERLINK(\"x\")".to_owned(), "10未満".to_owned()]);
        assert_eq!(
            csv.text,
            "\u{feff}語,数\r\n\"保育園, 一時預かり\",12\r\n\"'=HYPERLINK(\"\"x\"\")\",10未満\r\n"
        );
    }

    #[test]
    fn default_periods_end_with_the_current_one() {
        let thursday = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default();
        let weeks = recent_periods(Granularity::Week, thursday);
        assert_eq!(
            weeks.from,
            NaiveDate::from_ymd_opt(2026, 9, 14).unwrap_or_default()
        );
        assert_eq!(
            weeks.until,
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default()
        );
        let months = recent_periods(Granularity::Month, thursday);
        assert_eq!(
            months.from,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
        );
        assert_eq!(
            months.until,
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default()
        );
    }
}
