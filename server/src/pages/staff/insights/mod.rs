//! The evidence-for-policy pages (政策分析), for prefecture staff and administrators: an overview
//! (`/staff/insights`), volumes over time (`/staff/insights/volumes`), the terms of a week
//! (`/staff/insights/terms`) and the gaps (`/staff/insights/gaps`). Each is a plain GET form over
//! the insights crate, every table with its CSV file (`…&format=csv`) and every chart drawn on
//! the server beside its table; each look is checked and audited (`insights.view…`). Counts reach
//! them only as `Cell`s, so a count under 10 can only be written 「10件未満」.

mod gaps;
mod overview;
mod terms;
mod volumes;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::Uri;
use axum::http::request::Parts;
use axum::routing::get;
use chrono::NaiveDate;
use kosodate_domain::Vocabulary;
use kosodate_insights::{Cell, Granularity, VolumeTable};

use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::pages::charts::{LineChart, MAX_SERIES, Series, Svg};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/insights", get(overview::page))
        .route("/staff/insights/volumes", get(volumes::page))
        .route("/staff/insights/terms", get(terms::page))
        .route("/staff/insights/gaps", get(gaps::page))
}

/// A page's GET form, read as the API reads its query string once the form's empty fields (a
/// cleared date) are dropped: an empty field is the view's default.
#[derive(Debug)]
pub struct FormQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for FormQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let filled = form_urlencoded::parse(query.as_bytes()).filter(|(_, value)| !value.trim().is_empty());
        let kept = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(filled)
            .finish();
        // Only the query changes; a path that parsed once parses again.
        if let Ok(uri) = format!("{}?{kept}", parts.uri.path()).parse::<Uri>() {
            parts.uri = uri;
        }
        let ApiQuery(value) = ApiQuery::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// What a page writes for a cell.
pub fn shown(cell: Cell) -> String {
    match cell {
        Cell::Count(count) => count.to_string(),
        Cell::Suppressed => "10件未満".to_owned(),
    }
}

/// One option of a select, from a closed list.
#[derive(Debug)]
pub struct Choice {
    pub id: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub fn choices<T: Vocabulary + PartialEq>(selected: T) -> Vec<Choice> {
    T::VARIANTS
        .iter()
        .map(|value| Choice {
            id: value.id(),
            label: value.label_ja(),
            selected: *value == selected,
        })
        .collect()
}

/// A volume table as a page shows it: headers, rows of written cells.
#[derive(Debug)]
pub struct TableView {
    pub periods: Vec<String>,
    pub rows: Vec<RowView>,
}

#[derive(Debug)]
pub struct RowView {
    pub label: String,
    /// The municipalities a rolled-up row adds together, 「、」-separated; empty otherwise.
    pub members: String,
    pub cells: Vec<String>,
}

pub fn table_view(table: &VolumeTable, granularity: Granularity) -> TableView {
    TableView {
        periods: table
            .periods
            .iter()
            .map(|start| period_label(*start, granularity))
            .collect(),
        rows: table
            .rows
            .iter()
            .map(|row| RowView {
                label: row.label.clone(),
                members: row.members.join("、"),
                cells: row.cells.iter().map(|cell| shown(*cell)).collect(),
            })
            .collect(),
    }
}

/// A period's column header: its first day, or its month.
pub fn period_label(start: NaiveDate, granularity: Granularity) -> String {
    use chrono::Datelike;
    match granularity {
        Granularity::Month => format!("{}年{}月", start.year(), start.month()),
        Granularity::Day => format!("{}/{}", start.month(), start.day()),
        Granularity::Week => format!("{}/{}〜", start.month(), start.day()),
    }
}

/// The line chart of a volume table: its largest rows (by their published counts), a point per
/// period, suppressed cells as gaps.
pub fn volume_chart(id: &str, title: &str, table: &VolumeTable, granularity: Granularity) -> Svg {
    let mut rows: Vec<_> = table.rows.iter().collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.cells.iter().filter_map(|cell| cell.count()).sum::<u64>()));
    let drawn = rows.len().min(MAX_SERIES);
    let description = match rows.len() > MAX_SERIES {
        true => format!(
            "件数の多い{drawn}項目の推移です（全{}項目）。10件未満の期間は線が途切れます。数値はすべて下の表にあります。",
            rows.len()
        ),
        false => "10件未満の期間は線が途切れます。数値は下の表と同じです。".to_owned(),
    };
    LineChart {
        id,
        title,
        description: &description,
        x_title: match granularity {
            Granularity::Day => "日",
            Granularity::Week => "週の始まり（月曜日）",
            Granularity::Month => "月",
        },
        y_title: "件数",
        x_labels: table
            .periods
            .iter()
            .map(|start| period_label(*start, granularity))
            .collect(),
        series: rows
            .into_iter()
            .take(drawn)
            .map(|row| Series {
                name: row.label.clone(),
                values: row.cells.iter().map(|cell| cell.count()).collect(),
            })
            .collect(),
    }
    .svg()
}
