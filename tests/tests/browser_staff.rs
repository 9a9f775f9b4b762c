//! The staff pages' frame and the prefecture's oversight pages in real headless Chromium: staff
//! sign in through the real OpenID Provider's own form from `/staff`, and every page (sign-in,
//! home, counts, dead letters, audit log) has no serious or critical axe-core violation at a
//! phone's and a desktop's width and reflows at 320 px with text at 200 %. Screenshots are kept
//! under the build directory (`tmp/screenshots/`).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use kosodate_tests::browser::Chromium;
use kosodate_tests::notice_fixtures::dead_letter;
use kosodate_tests::{Backend, HIROSAKI_CITY_TOKEN, both_backends, program_body, spawn_app_with_sign_in};

both_backends!(
    the_prefectures_pages_pass_axe_at_every_width,
    a_clerk_signs_in_from_the_staff_home
);

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

/// `/staff` sends a visitor to the staff sign-in; the provider's own form signs her in as
/// `login` and she comes back to the staff home.
async fn sign_in_as_staff(chromium: &Chromium, base: &str, login: &str) {
    chromium.visit(&format!("{base}/staff"), (1280, 800)).await;
    assert!(chromium.path().await.starts_with("/staff/login"));
    chromium.check_open_page(&screenshots(), "staff-login").await;
    chromium
        .click_and_wait("a.button[href^='/auth/login/staff']")
        .await;
    chromium.fill("input[name=login]", login).await;
    chromium.click_and_wait("button[type=submit]").await;
    assert_eq!(chromium.path().await, "/staff");
}

async fn the_prefectures_pages_pass_axe_at_every_width(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |_| {}).await;
    let app = &signed_in.app;
    dead_letter(&app.db, "550 5.1.1 mailbox unavailable")
        .await
        .unwrap();
    let chromium = Chromium::start().await;
    sign_in_as_staff(&chromium, &app.url(""), "prefecture").await;
    let pages = [
        ("staff-home", "/staff"),
        ("staff-counts", "/staff/counts"),
        ("staff-deliveries", "/staff/deliveries"),
        ("staff-audit", "/staff/audit"),
        (
            "staff-audit-filtered",
            "/staff/audit?outcome=allowed&action=counts.view",
        ),
    ];
    let urls = pages
        .iter()
        .map(|(name, path)| (format!("{name}-{backend:?}"), app.url(path)));
    chromium.check_pages_at_every_width(urls, &screenshots()).await;
    chromium.close().await;
}

async fn a_clerk_signs_in_from_the_staff_home(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |_| {}).await;
    let app = &signed_in.app;
    app.create_program(HIROSAKI_CITY_TOKEN, &program_body("022021", "弘前市の下書き事業"))
        .await;
    let chromium = Chromium::start().await;
    sign_in_as_staff(&chromium, &app.url(""), "hirosaki").await;
    let home = chromium.text().await;
    assert!(home.contains("弘前市の制度"), "{home}");
    assert!(home.contains("弘前市の下書き事業"), "{home}");
    assert!(home.contains("下書き"), "{home}");
    let urls = [(format!("staff-clerk-home-{backend:?}"), app.url("/staff"))];
    chromium.check_pages_at_every_width(urls, &screenshots()).await;
    chromium.close().await;
}
