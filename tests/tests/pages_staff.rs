//! The staff pages' frame over HTTP: who may see them, where others are sent, the menu each role
//! gets, the home page listing the organisation's own programs with their problems, and signing
//! out with the page's CSRF token.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::{
    Backend, Browser, HIROSAKI_CITY_TOKEN, both_backends, program_body, spawn_app_with_sign_in,
};
use reqwest::header::{ACCEPT, LOCATION};
use serde_json::json;

both_backends!(
    visitors_and_parents_are_sent_to_the_staff_sign_in,
    the_home_lists_the_organisations_own_programs_tasks_first,
    prefecture_staff_see_the_oversight_menu,
    signing_out_needs_the_pages_token
);

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

async fn page(browser: &Browser, path: &str) -> String {
    let response = browser
        .get(path)
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn visitors_and_parents_are_sent_to_the_staff_sign_in(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let response = no_redirects()
        .get(app.app.url("/staff?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()[LOCATION],
        "/staff/login?return_to=%2Fstaff%3Fx%3D1"
    );

    let login = page(&Browser::new(&app.app, false), "/staff/login").await;
    assert!(login.contains("/auth/login/staff?return_to=%2Fstaff"), "{login}");
    assert!(
        !login.contains("/auth/login/parents"),
        "parents' providers are not offered: {login}"
    );

    // A parent's session is no staff session.
    let parent = Browser::sign_in(&app.app, "parents", "hanako").await;
    let response = parent
        .get("/staff")
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().path(), "/staff/login");
}

async fn the_home_lists_the_organisations_own_programs_tasks_first(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let mut without_contact = program_body("022021", "弘前市テスト連絡先なし事業");
    without_contact["contact"] = json!({});
    app.app
        .create_program(HIROSAKI_CITY_TOKEN, &without_contact)
        .await;
    let mut complete = program_body("022021", "弘前市テスト整った事業");
    complete["eligibility"] = json!({"version": 1, "rule": {"some_child": {"school_stage": "preschool"}}});
    app.app.create_program(HIROSAKI_CITY_TOKEN, &complete).await;

    let staff = Browser::sign_in(&app.app, "staff", "hirosaki").await;
    let home = page(&staff, "/staff").await;
    assert!(home.contains("弘前市の制度"), "{home}");
    assert!(
        home.contains("弘前市 こども家庭課 佐藤"),
        "who is signed in: {home}"
    );
    let tasks = &home[..home.find("すべての制度").unwrap()];
    assert!(tasks.contains("弘前市テスト連絡先なし事業"), "{tasks}");
    assert!(tasks.contains("問い合わせ先がありません"), "{tasks}");
    assert!(tasks.contains("対象条件が文章のみです"), "{tasks}");
    assert!(!tasks.contains("弘前市テスト整った事業"), "{tasks}");
    assert!(home.contains("弘前市テスト整った事業"), "{home}");
    assert!(
        !home.contains("あおもり親子はぐくみプラザ"),
        "another organisation's program: {home}"
    );
    assert!(
        !home.contains("/staff/freshness"),
        "municipal staff get no oversight menu: {home}"
    );
}

async fn prefecture_staff_see_the_oversight_menu(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let staff = Browser::sign_in(&app.app, "staff", "prefecture").await;
    let home = page(&staff, "/staff").await;
    assert!(home.contains("青森県の制度"), "{home}");
    for path in [
        "/staff/freshness",
        "/staff/counts",
        "/staff/deliveries",
        "/staff/audit",
    ] {
        assert!(home.contains(&format!("href=\"{path}\"")), "{path}: {home}");
    }
}

async fn signing_out_needs_the_pages_token(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let staff = Browser::sign_in(&app.app, "staff", "hirosaki").await;
    let forged = staff
        .client
        .post(staff.url("/staff/logout"))
        .header(ACCEPT, BROWSER_ACCEPT)
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    page(&staff, "/staff").await;

    let token = staff.csrf.clone().unwrap();
    let response = staff
        .client
        .post(staff.url("/staff/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().path(), "/staff/login");
    let after = staff
        .get("/staff")
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(after.url().path(), "/staff/login", "the session is gone");
}
