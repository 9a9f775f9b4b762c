//! Evidence for policy over HTTP: only prefecture staff and administrators see it (pages and
//! API, every look audited), the menu offers it to them alone, every table comes as a CSV file
//! Excel opens (BOM, CRLF, 「10未満」), the open data states its epsilon and mechanism, and over a
//! seeded dataset with counts on both sides of 10 no page, JSON answer or CSV file shows a count
//! under 10.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::{Backend, Browser, PREFECTURE_TOKEN, both_backends, call, spawn_app_with_sign_in};
use reqwest::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};

both_backends!(
    only_prefecture_staff_and_administrators_see_the_evidence,
    every_table_is_a_csv_file_excel_opens,
    the_open_data_states_its_epsilon_and_mechanism,
    no_page_json_or_csv_shows_a_count_under_ten
);

const PAGES: [&str; 4] = [
    "/staff/insights",
    "/staff/insights/volumes",
    "/staff/insights/terms",
    "/staff/insights/gaps",
];

async fn only_prefecture_staff_and_administrators_see_the_evidence(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let prefecture = Browser::sign_in(&app.app, "staff", "prefecture").await;
    let clerk = Browser::sign_in(&app.app, "staff", "hirosaki").await;
    for path in PAGES {
        let (status, html) = prefecture.html_page(path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(html.contains("10件未満"), "{path} explains the rule: {html}");
        let (status, _) = clerk.html_page(path).await;
        assert_eq!(status, 403, "{path}");
    }
    let (_, home) = prefecture.html_page("/staff").await;
    assert!(home.contains(r#"href="/staff/insights""#) && home.contains("政策分析"));
    let (_, home) = clerk.html_page("/staff").await;
    assert!(!home.contains(r#"href="/staff/insights""#), "{home}");

    // The API: a session of prefecture staff or an administrator; a machine token is refused
    // as for every view of counts (the registry's rule: tokens only write programs).
    let api = "/api/v1/staff/insights/volumes";
    call(app.app.get(api), 401).await;
    call(clerk.get(api), 403).await;
    call(app.app.get(api).bearer_auth(PREFECTURE_TOKEN), 403).await;
    let admin = Browser::sign_in(&app.app, "staff", "admin").await;
    for staff in [&prefecture, &admin] {
        let table = call(staff.get(api), 200).await;
        assert!(
            table["periods"]
                .as_array()
                .is_some_and(|periods| periods.len() == 12),
            "{table}"
        );
    }
    let audit = call(
        admin.get("/api/v1/staff/audit-log?action=insights.view_volumes&limit=50"),
        200,
    )
    .await;
    let outcomes: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["outcome"].as_str())
        .collect();
    assert!(
        outcomes.contains(&"denied") && outcomes.contains(&"allowed"),
        "{audit}"
    );
}

/// A CSV file as served to `staff`, its lines without the BOM.
async fn csv(staff: &Browser, path: &str) -> Vec<String> {
    let response = staff.get(path).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "text/csv; charset=utf-8",
        "{path}"
    );
    let disposition = response.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let body = response.text().await.unwrap();
    let text = body
        .strip_prefix('\u{feff}')
        .unwrap_or_else(|| panic!("{path} has no BOM: {body}"));
    assert!(text.ends_with("\r\n"), "{path}: {text:?}");
    text.split("\r\n")
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn every_table_is_a_csv_file_excel_opens(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let prefecture = Browser::sign_in(&app.app, "staff", "prefecture").await;
    let lines = csv(
        &prefecture,
        "/api/v1/staff/insights/volumes?source=questions&granularity=month&dimension=total&from=2026-01-01&until=2026-04-01&format=csv",
    )
    .await;
    assert_eq!(lines[0], "key,名前,2026-01-01,2026-02-01,2026-03-01");
    let headers = [
        (
            "/api/v1/staff/insights/terms?format=csv",
            "語,使われた回数,使った人数",
        ),
        (
            "/api/v1/staff/insights/terms?format=csv&table=rising",
            "語,今週,前週,比,p値,q値",
        ),
        (
            "/api/v1/staff/insights/gaps?format=csv",
            "検索語,検索数,検索した人数",
        ),
        (
            "/api/v1/staff/insights/gaps?format=csv&table=unanswered",
            "分類,分類名,質問数",
        ),
        (
            "/api/v1/staff/insights/gaps?format=csv&table=low_click_through",
            "検索語,検索数,結果を開いた数,開いた割合",
        ),
        (
            "/api/v1/open-data/trends?format=csv",
            "week_starting,source,region,count,epsilon,mechanism",
        ),
    ];
    for (path, header) in headers {
        assert_eq!(csv(&prefecture, path).await[0], header, "{path}");
    }
    // The pages link the same files.
    let (_, html) = prefecture.html_page("/staff/insights/gaps").await;
    assert!(html.contains("format=csv&#38;table=without_program"), "{html}");
    let response = prefecture
        .get("/staff/insights/volumes?format=csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    let problem = call(
        prefecture.get("/api/v1/staff/insights/gaps?format=csv&table=nope"),
        400,
    )
    .await;
    assert_eq!(problem["errors"][0]["parameter"], "table", "{problem}");
    let problem = call(
        prefecture.get("/api/v1/staff/insights/volumes?from=2026-05-01&until=2026-04-01"),
        400,
    )
    .await;
    assert_eq!(problem["errors"][0]["parameter"], "until", "{problem}");
    // A page's cleared date field is the default period; in the API an empty value is a wrong one.
    let (status, html) = prefecture
        .html_page("/staff/insights/volumes?source=searches&from=&until=")
        .await;
    assert_eq!(status, 200, "{html}");
    let problem = call(prefecture.get("/api/v1/staff/insights/volumes?from="), 400).await;
    assert_eq!(problem["errors"][0]["parameter"], "from", "{problem}");
    let (status, html) = prefecture
        .html_page("/staff/insights/volumes?granularity=fortnight")
        .await;
    assert_eq!(status, 400);
    assert!(html.contains("granularity"), "{html}");
}

async fn the_open_data_states_its_epsilon_and_mechanism(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let trends = call(app.app.get("/api/v1/open-data/trends"), 200).await;
    assert_eq!(trends["epsilon"], 1.0, "{trends}");
    assert!(
        trends["mechanism"]
            .as_str()
            .is_some_and(|name| name.contains("geometric")),
        "{trends}"
    );
    let response = app
        .app
        .get("/api/v1/open-data/trends")
        .header(ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

/// Every number a page's table cell, a JSON cell or a CSV field shows is 10 or more.
fn assert_no_small_number(what: &str, fields: impl IntoIterator<Item = String>) {
    for field in fields {
        if let Ok(number) = field.trim().parse::<u64>() {
            assert!(number >= 10, "{what} shows {number}");
        }
    }
}

fn table_cells(html: &str) -> Vec<String> {
    html.split("<td>")
        .skip(1)
        .filter_map(|rest| rest.split("</td>").next())
        .map(str::to_owned)
        .collect()
}

fn json_counts(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let is_count = [
                    "cells",
                    "uses",
                    "people",
                    "this_week",
                    "last_week",
                    "searches",
                    "clicks",
                    "questions",
                    "count",
                ]
                .contains(&key.as_str());
                match (is_count, value) {
                    (true, serde_json::Value::Number(number)) => out.push(number.to_string()),
                    _ => json_counts(value, out),
                }
                if key == "cells" {
                    out.extend(value.as_array().into_iter().flatten().map(ToString::to_string));
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| json_counts(item, out)),
        _ => {}
    }
}

async fn no_page_json_or_csv_shows_a_count_under_ten(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    kosodate_tests::insights_fixtures::seed_fortnight_of_searches(&app.app).await;
    let prefecture = Browser::sign_in(&app.app, "staff", "prefecture").await;
    let queries = [
        "granularity=day&dimension=municipality",
        "granularity=week&dimension=municipality",
        "granularity=week&dimension=region",
        "granularity=month&dimension=category",
        "granularity=week&dimension=age_band",
        "source=questions&granularity=week&dimension=municipality",
    ];
    let mut suppressed_somewhere = false;
    for query in queries {
        let (status, html) = prefecture
            .html_page(&format!("/staff/insights/volumes?{query}"))
            .await;
        assert_eq!(status, 200, "{query}");
        suppressed_somewhere |= html.contains("10件未満</td>");
        assert_no_small_number(query, table_cells(&html));
        let path = format!("/api/v1/staff/insights/volumes?{query}");
        let mut counts = Vec::new();
        json_counts(&call(prefecture.get(&path), 200).await, &mut counts);
        assert_no_small_number(&path, counts);
        let fields = csv(&prefecture, &format!("{path}&format=csv")).await;
        assert_no_small_number(
            &path,
            fields
                .iter()
                .skip(1)
                .flat_map(|line| line.split(',').skip(2).map(str::to_owned).collect::<Vec<_>>()),
        );
    }
    assert!(
        suppressed_somewhere,
        "the dataset has small counts, which must show as 10件未満"
    );
    for path in ["/staff/insights", "/staff/insights/terms", "/staff/insights/gaps"] {
        let (_, html) = prefecture.html_page(path).await;
        assert_no_small_number(path, table_cells(&html));
    }
    for path in [
        "/api/v1/staff/insights/terms",
        "/api/v1/staff/insights/gaps",
        "/api/v1/open-data/trends",
    ] {
        let mut counts = Vec::new();
        json_counts(&call(prefecture.get(path), 200).await, &mut counts);
        assert_no_small_number(path, counts);
    }
}
