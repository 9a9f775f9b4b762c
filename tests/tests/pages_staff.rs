//! The staff pages' frame over HTTP: who may see them, where others are sent, the menu each role
//! gets, the home page listing the organisation's own programs with their problems, and signing
//! out with the page's CSRF token.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::notice_fixtures::dead_letter;
use kosodate_tests::{
    Backend, Browser, HIROSAKI_CITY_TOKEN, both_backends, program_body, spawn_app_with_sign_in,
};
use reqwest::header::{ACCEPT, LOCATION};
use sea_orm::ConnectionTrait;
use serde_json::json;

both_backends!(
    visitors_and_parents_are_sent_to_the_staff_sign_in,
    the_home_lists_the_organisations_own_programs_tasks_first,
    prefecture_staff_see_the_oversight_menu,
    signing_out_needs_the_pages_token,
    counts_are_shown_by_municipality_never_below_ten,
    dead_letters_are_listed_without_addresses_and_sent_again,
    the_audit_log_is_narrowed_by_the_filters,
    a_program_is_started_from_its_type,
    drafts_waiting_for_review_come_first
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
    let tasks = &home[..home.find("終了していない制度").unwrap()];
    assert!(tasks.contains("弘前市テスト連絡先なし事業"), "{tasks}");
    assert!(
        tasks.contains("問い合わせ先（電話・メール・ウェブページ）がありません"),
        "{tasks}"
    );
    assert!(
        tasks.contains("対象者の条件（判定ルール）が設定されていません"),
        "{tasks}"
    );
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

async fn counts_are_shown_by_municipality_never_below_ten(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    dead_letter(&app.app.db, "550 mailbox unavailable").await.unwrap();

    let prefecture = Browser::sign_in(&app.app, "staff", "prefecture").await;
    let counts = page(&prefecture, "/staff/counts").await;
    let households = &counts[counts.find("登録世帯と同意").unwrap()..counts.find("お知らせ（").unwrap()];
    assert!(
        households.contains("<th scope=\"row\">青森市</th><td>10件未満</td>"),
        "{households}"
    );
    let notices = &counts[counts.find("お知らせ（").unwrap()..];
    assert!(notices.contains("<td>メール</td>"), "{notices}");
    assert!(notices.contains("10件未満"), "{notices}");
    assert!(
        !counts.contains("dead-letter@example.jp"),
        "no address on a staff page"
    );

    // 弘前市 sees its own municipality only, and 青森市's household is not in it.
    let hirosaki = Browser::sign_in(&app.app, "staff", "hirosaki").await;
    let own = page(&hirosaki, "/staff/counts").await;
    assert!(!own.contains("青森市"), "{own}");
}

async fn dead_letters_are_listed_without_addresses_and_sent_again(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let household = dead_letter(&app.app.db, "550 5.1.1 mailbox unavailable")
        .await
        .unwrap();

    let hirosaki = Browser::sign_in(&app.app, "staff", "hirosaki").await;
    let refused = hirosaki
        .get("/staff/deliveries")
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);

    let prefecture = Browser::sign_in(&app.app, "staff", "prefecture").await;
    let listed = page(&prefecture, "/staff/deliveries").await;
    assert!(listed.contains("550 5.1.1 mailbox unavailable"), "{listed}");
    assert!(!listed.contains("dead-letter@example.jp"), "{listed}");
    let id_at = listed.find("name=\"ids\" value=\"").unwrap() + "name=\"ids\" value=\"".len();
    let id = &listed[id_at..id_at + 36];

    let token = prefecture.csrf.clone().unwrap();
    let response = prefecture
        .client
        .post(prefecture.url("/staff/deliveries/redrive"))
        .header(ACCEPT, BROWSER_ACCEPT)
        .form(&[("csrf_token", token.as_str()), ("ids", id), ("scope", "selected")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let after = response.text().await.unwrap();
    assert!(after.contains("1件を再送の待ち行列に戻しました"), "{after}");
    let statuses = app
        .app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.app.db.get_database_backend(),
            format!("SELECT status FROM notices WHERE household_id = '{household}'"),
        ))
        .await
        .unwrap();
    let status: String = statuses[0].try_get("", "status").unwrap();
    assert_ne!(status, "dead", "the notice was sent again");
}

async fn the_audit_log_is_narrowed_by_the_filters(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let hirosaki = Browser::sign_in(&app.app, "staff", "hirosaki").await;
    // A denied look at the dead letters, and an allowed one at the counts.
    hirosaki.get("/staff/deliveries").send().await.unwrap();
    page(&hirosaki, "/staff/counts").await;

    let prefecture = Browser::sign_in(&app.app, "staff", "prefecture").await;
    let denied = page(&prefecture, "/staff/audit?outcome=denied").await;
    assert!(denied.contains("notices.dead.view"), "{denied}");
    assert!(!denied.contains("<code>counts.view</code>"), "{denied}");
    let counts = page(&prefecture, "/staff/audit?action=counts.view&municipality=022021").await;
    assert!(counts.contains("<code>counts.view</code>"), "{counts}");
    assert!(!counts.contains("<code>notices.dead.view</code>"), "{counts}");
    let tomorrow = kosodate_domain::japan::date_of(chrono::Utc::now())
        .succ_opt()
        .unwrap();
    let later = page(&prefecture, &format!("/staff/audit?from={tomorrow}")).await;
    assert!(later.contains("条件に合う記録はありません"), "{later}");

    let wrong = prefecture
        .get("/staff/audit?from=2026-13-40")
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 400);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("日付は「2026-04-01」の形で入力してください")
    );

    // 弘前市 staff see their own organisation only, whatever they ask for.
    let aomori = Browser::sign_in(&app.app, "staff", "aomori").await;
    page(&aomori, "/staff/counts").await;
    let own = page(&hirosaki, "/staff/audit?municipality=022012").await;
    assert!(!own.contains("青森市 こども支援課 田中"), "{own}");
    assert!(own.contains("弘前市 こども家庭課 佐藤"), "{own}");
}

async fn a_program_is_started_from_its_type(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let mut sick_child_care = program_body("022021", "弘前市病児保育");
    sick_child_care["program_type"] = json!("sick_child_care");
    app.app
        .create_program(HIROSAKI_CITY_TOKEN, &sick_child_care)
        .await;
    let staff = Browser::sign_in(&app.app, "staff", "hirosaki").await;
    let types = page(&staff, "/staff/programs/types").await;
    assert!(
        types.contains("<a href=\"/staff/programs/new?type=temporary_childcare\">一時預かり</a>"),
        "{types}"
    );
    let run = &types[types.find("?type=sick_child_care").unwrap()..];
    assert!(run[..run.find("</li>").unwrap()].contains("登録済み"), "{run}");
    let temporary = &types[types.find("?type=temporary_childcare").unwrap()..];
    assert!(!temporary[..temporary.find("</li>").unwrap()].contains("登録済み"));
    assert!(
        types.contains("href=\"/staff/programs/new\""),
        "a blank start is offered"
    );
    let form = page(&staff, "/staff/programs/new?type=temporary_childcare").await;
    assert!(
        form.contains("value=\"一時預かり\""),
        "the type's name fills the form"
    );
}

async fn drafts_waiting_for_review_come_first(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let created = app
        .app
        .create_program(
            HIROSAKI_CITY_TOKEN,
            &program_body("022021", "弘前市の確認待ち事業"),
        )
        .await;
    let registry = kosodate_registry::Registry::new(app.app.db.clone());
    let clerk = kosodate_registry::StaffIdentity::for_organisation(
        "弘前市 こども家庭課 佐藤",
        kosodate_domain::MunicipalityCode::parse("022021").unwrap(),
    );
    let hirosaki = clerk.role.organisation().unwrap();
    registry
        .set_review_before_publishing(&clerk, hirosaki, true)
        .await
        .unwrap();
    let id = kosodate_domain::ProgramId::parse(created["id"].as_str().unwrap()).unwrap();
    registry.request_review(&clerk, id).await.unwrap();

    let staff = Browser::sign_in(&app.app, "staff", "hirosaki").await;
    let home = page(&staff, "/staff").await;
    let waiting =
        &home[home.find("公開前の確認の依頼（1件）").unwrap()..home.find("対応が必要なこと").unwrap()];
    assert!(waiting.contains("弘前市の確認待ち事業"), "{waiting}");
    assert!(waiting.contains("あなたの依頼です"), "{waiting}");
}
