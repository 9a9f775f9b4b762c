//! `/staff/freshness`, for the prefecture: how current each of the 40 municipalities keeps its
//! programs (programs, overdue reviews, broken links, common program types it lacks), as a table
//! sorted by any column through plain links (`?sort=…&order=…`, `aria-sort` on the sorted
//! header) and as a chart drawn on the server as SVG, whose text equivalent is the table.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{MunicipalityCode, japan};
use kosodate_registry::StaffAction;
use kosodate_registry::freshness::problems::MunicipalityFreshness;
use serde::Deserialize;

use super::StaffChrome;
use crate::error::ApiError;
use crate::pages::charts::{Bar, BarChart, Svg};
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

/// A type is "common" when at least half of the municipalities publish a program of it.
const COMMON_SHARE: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SortKey {
    #[default]
    Code,
    Programs,
    Overdue,
    Broken,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Order {
    #[default]
    Asc,
    Desc,
}

#[derive(Debug, Default, Deserialize)]
struct SortQuery {
    #[serde(default)]
    sort: SortKey,
    #[serde(default)]
    order: Order,
}

/// One municipality's row.
struct Row {
    code: MunicipalityCode,
    name: String,
    programs: u64,
    overdue: u64,
    broken: u64,
    missing: Vec<String>,
}

/// A column header: its label, the link that sorts by it, and its `aria-sort` when sorted.
struct Header {
    label: &'static str,
    href: String,
    aria_sort: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "staff/freshness.html")]
struct FreshnessPage {
    chrome: StaffChrome,
    today: String,
    headers: Vec<Header>,
    rows: Vec<Row>,
    chart: Svg,
}

const COLUMNS: [(SortKey, &str); 5] = [
    (SortKey::Code, "市町村"),
    (SortKey::Programs, "制度数"),
    (SortKey::Overdue, "確認期限切れ"),
    (SortKey::Broken, "リンク切れ"),
    (SortKey::Missing, "多くの市町村にある制度類型のうち未登録"),
];

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if !staff.identity.permits(StaffAction::ViewFreshness) {
        return Err(ApiError::forbidden(
            "更新状況は県と運営者の職員が見るページです",
            "the freshness overview is for prefecture staff and administrators",
        ));
    }
    // A sort the page does not offer (an old bookmark, a typo) shows the default order.
    let query: SortQuery = serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let chrome = StaffChrome::load(&state, &staff, "/staff/freshness").await;
    let today = japan::date_of(chrono::Utc::now());
    let lines = state.registry.municipality_freshness(today).await?;
    let gaps: BTreeMap<MunicipalityCode, Vec<String>> = state
        .registry
        .missing_common_types(COMMON_SHARE)
        .await?
        .into_iter()
        .map(|gap| {
            (
                gap.municipality,
                gap.missing.into_iter().map(|common| common.name).collect(),
            )
        })
        .collect();
    let mut rows: Vec<Row> = lines.into_iter().map(|line| row(line, &gaps)).collect();
    let chart = chart(&rows);
    sort(&mut rows, query.sort, query.order);
    let page = FreshnessPage {
        chrome,
        today: japan::format_date(today),
        headers: headers(query.sort, query.order),
        rows,
        chart,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

fn row(line: MunicipalityFreshness, gaps: &BTreeMap<MunicipalityCode, Vec<String>>) -> Row {
    let code = line.municipality.code;
    Row {
        code,
        name: line.municipality.name,
        programs: line.programs,
        overdue: line.overdue_reviews,
        broken: line.broken_links,
        missing: gaps.get(&code).cloned().unwrap_or_default(),
    }
}

fn sort(rows: &mut [Row], key: SortKey, order: Order) {
    rows.sort_by(|left, right| {
        let by_key = match key {
            SortKey::Code => left.code.cmp(&right.code),
            SortKey::Programs => left.programs.cmp(&right.programs),
            SortKey::Overdue => left.overdue.cmp(&right.overdue),
            SortKey::Broken => left.broken.cmp(&right.broken),
            SortKey::Missing => left.missing.len().cmp(&right.missing.len()),
        };
        let by_key = match order {
            Order::Asc => by_key,
            Order::Desc => by_key.reverse(),
        };
        // Ties stay in code order whichever way the column runs.
        by_key.then(left.code.cmp(&right.code))
    });
}

fn headers(sorted: SortKey, order: Order) -> Vec<Header> {
    COLUMNS
        .iter()
        .map(|&(key, label)| {
            let is_sorted = key == sorted;
            // The sorted column's link turns it around; another column's starts with the most
            // telling end: the most problems (or the first code) on top.
            let next = match (is_sorted, order, key) {
                (true, Order::Asc, _) => Order::Desc,
                (true, Order::Desc, _) => Order::Asc,
                (false, _, SortKey::Code) => Order::Asc,
                (false, _, _) => Order::Desc,
            };
            Header {
                label,
                href: format!("/staff/freshness?sort={}&order={}", key_id(key), order_id(next)),
                aria_sort: is_sorted.then_some(match order {
                    Order::Asc => "ascending",
                    Order::Desc => "descending",
                }),
            }
        })
        .collect()
}

fn key_id(key: SortKey) -> &'static str {
    match key {
        SortKey::Code => "code",
        SortKey::Programs => "programs",
        SortKey::Overdue => "overdue",
        SortKey::Broken => "broken",
        SortKey::Missing => "missing",
    }
}

fn order_id(order: Order) -> &'static str {
    match order {
        Order::Asc => "asc",
        Order::Desc => "desc",
    }
}

/// The chart in code order: each municipality's programs, the overdue part in another colour.
fn chart(rows: &[Row]) -> Svg {
    BarChart {
        id: "chart",
        title: "市町村ごとの制度数と確認期限切れの数",
        description: "40市町村それぞれの制度数を横棒で、そのうち確認期限切れの数を濃い色の部分で示します。数値は上の一覧と同じです。",
        colours: &["#7a9cc6", "#a3161c"],
        label_width: 110,
        bars: rows
            .iter()
            .map(|row| Bar {
                label: row.name.clone(),
                values: vec![row.programs, row.overdue],
                note: format!("{}件（期限切れ{}件）", row.programs, row.overdue),
            })
            .collect(),
    }
    .svg()
}
