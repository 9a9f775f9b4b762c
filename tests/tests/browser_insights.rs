//! Evidence for policy in real headless Chromium: prefecture staff sign in through the real
//! OpenID Provider's own form, and over a synthetic fortnight of searches (rolled up by the
//! insights crate) the planted rising term is shown as rising, the planted zero-result query as a
//! gap, and a term fewer than 10 people used nowhere; the forms work without script; every page
//! has no serious or critical axe-core violation at a phone's and a desktop's width. Screenshots
//! (`insights-*`) are kept under the build directory (`tmp/screenshots/`).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use kosodate_tests::browser::Chromium;
use kosodate_tests::insights_fixtures::{
    RARE_TERM, RISING_TERM, ZERO_RESULT_QUERY, seed_fortnight_of_searches,
};
use kosodate_tests::{Backend, both_backends, spawn_app_with_sign_in};
use serde_json::json;

both_backends!(prefecture_staff_read_the_evidence_in_the_browser);

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

async fn prefecture_staff_read_the_evidence_in_the_browser(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let last_week = seed_fortnight_of_searches(&app.app).await;
    let chromium = Chromium::start().await;
    chromium.visit(&app.app.url("/staff/insights"), (1280, 800)).await;
    chromium
        .click_and_wait("a.button[href^='/auth/login/staff']")
        .await;
    chromium.fill("input[name=login]", "prefecture").await;
    chromium.click_and_wait("button[type=submit]").await;
    assert_eq!(chromium.path().await, "/staff/insights");

    let overview = chromium.text().await;
    assert!(overview.contains(RISING_TERM), "{overview}");
    assert!(overview.contains(ZERO_RESULT_QUERY), "{overview}");
    assert!(!overview.contains(RARE_TERM), "{overview}");
    let rising = chromium
        .evaluate(
            "return [...document.querySelectorAll('.insights-rising-list strong')].map(e => e.textContent)",
        )
        .await;
    assert_eq!(rising, json!([RISING_TERM]), "only the planted term rises");

    // The terms form, as a person fills it: last week's searches.
    chromium
        .click_and_wait(".insights-nav a[href='/staff/insights/terms']")
        .await;
    // Date fields take what a date picker gives them.
    chromium
        .evaluate(&format!(
            "document.querySelector('input[name=week]').value = '{last_week}'; return null"
        ))
        .await;
    chromium
        .click_and_wait("form.filters-form button[type=submit]")
        .await;
    let rising_rows = chromium
        .evaluate(
            "return [...document.querySelectorAll('table.insights-rising tbody th')].map(e => e.textContent)",
        )
        .await;
    assert_eq!(rising_rows, json!([RISING_TERM]));
    assert!(!chromium.text().await.contains(RARE_TERM));

    chromium
        .click_and_wait(".insights-nav a[href='/staff/insights/gaps']")
        .await;
    let gaps = chromium
        .evaluate("return [...document.querySelectorAll('table.insights-zero-results tbody th')].map(e => e.textContent)")
        .await;
    assert_eq!(gaps, json!([ZERO_RESULT_QUERY]));

    // Volumes by municipality over the fortnight: the cities stand alone, the villages are
    // rolled up into their region.
    chromium
        .click_and_wait(".insights-nav a[href='/staff/insights/volumes']")
        .await;
    let (from, until) = (last_week - chrono::Days::new(7), last_week + chrono::Days::new(7));
    chromium
        .evaluate(&format!(
            "document.querySelector('select[name=dimension]').value = 'municipality'; \
             document.querySelector('input[name=from]').value = '{from}'; \
             document.querySelector('input[name=until]').value = '{until}'; return null"
        ))
        .await;
    chromium
        .click_and_wait("form.filters-form button[type=submit]")
        .await;
    let rows = chromium
        .evaluate("return [...document.querySelectorAll('table.insights-volumes tbody th')].map(e => e.textContent)")
        .await;
    let rows: Vec<String> = serde_json::from_value(rows).unwrap();
    assert!(rows.iter().any(|row| row == "青森市"), "{rows:?}");
    assert!(
        rows.iter()
            .any(|row| row.starts_with("中南地域（小規模町村の合計）")),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|row| row == "西目屋村"), "{rows:?}");
    let lines = chromium
        .evaluate("return document.querySelectorAll('figure.insights-chart svg[role=img] path').length")
        .await;
    assert!(lines.as_u64().is_some_and(|lines| lines >= 1), "{lines}");

    let pages = [
        ("insights-overview", "/staff/insights".to_owned()),
        (
            "insights-volumes",
            format!("/staff/insights/volumes?dimension=municipality&from={from}&until={until}"),
        ),
        (
            "insights-volumes-daily",
            "/staff/insights/volumes?granularity=day&dimension=region".to_owned(),
        ),
        (
            "insights-terms",
            format!("/staff/insights/terms?week={last_week}"),
        ),
        ("insights-gaps", "/staff/insights/gaps".to_owned()),
    ];
    let urls = pages
        .iter()
        .map(|(name, path)| (format!("{name}-{backend:?}"), app.app.url(path)));
    chromium.check_pages_at_every_width(urls, &screenshots()).await;
    chromium.close().await;
}
