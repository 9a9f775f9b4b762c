//! The public program page, `/programs/{id}`, over HTTP: every field a parent needs, OpenGraph
//! tags and a canonical link, who is eligible in words generated from the rule itself, dates in
//! 和暦 and 西暦, and "is my child eligible?" answered from a birth or due date without signing in
//! and without storing anything. Drafts are not found; archived programs say they ended.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{Days, Months, NaiveDate, Utc};
use kosodate_domain::japan;
use kosodate_matcher::date::{march_31_after_age_end, month_anniversary};
use kosodate_tests::{
    AOMORI_CITY_TOKEN, Backend, PREFECTURE_TOKEN, TestApp, both_backends, call, program_body, spawn_app,
};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

both_backends!(
    the_page_shows_what_a_parent_needs,
    the_eligibility_words_follow_the_rule,
    a_born_child_is_checked_against_the_rule,
    the_prefectures_and_the_nations_programs_are_checked_in_aomori,
    where_the_rule_names_municipalities_the_parent_says_where_they_live,
    an_expected_child_is_checked_from_the_due_date,
    a_check_that_depends_on_other_facts_names_them,
    a_wrong_date_is_shown_at_its_field,
    a_program_described_in_words_only_offers_no_check,
    drafts_are_not_found_and_archived_programs_have_ended,
    what_staff_wrote_is_escaped,
    the_check_is_posted_and_keeps_the_date_out_of_the_address
);

const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// 児童手当-like: every child until the first 31 March after the 18th birthday, apply within
/// 15 days of the birth.
fn allowance_rule() -> Value {
    json!({"version": 1, "rule": {"some_child": {"until_march_31_after_age": 18}}})
}

/// A published program of 青森市 with `eligibility`; returns its id.
async fn published(app: &TestApp, name: &str, eligibility: Value) -> String {
    let mut body = program_body("022012", name);
    body["eligibility"] = eligibility;
    body["benefit"]["amount_yen"] = json!(15000);
    app.publish_program(AOMORI_CITY_TOKEN, &body).await
}

/// The page as a browser gets it, asserting the status.
async fn fetch_page(app: &TestApp, path: &str, status: u16) -> String {
    let response = app.get(path).header(ACCEPT, BROWSER_ACCEPT).send().await.unwrap();
    assert_eq!(response.status().as_u16(), status, "{path}");
    let content_type = response.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    response.text().await.unwrap()
}

fn today() -> NaiveDate {
    japan::date_of(Utc::now())
}

/// The verdict of the inline check, from its `data-verdict` attribute.
fn verdict(page: &str) -> &str {
    let start = page.find("data-verdict=\"").expect("an answer") + 14;
    let end = start + page[start..].find('"').unwrap();
    &page[start..end]
}

async fn the_page_shows_what_a_parent_needs(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published(&app, "子ども医療費助成", allowance_rule()).await;
    let page = fetch_page(&app, &format!("/programs/{id}"), 200).await;
    let canonical = app.url(&format!("/programs/{id}"));
    for expected in [
        "<html lang=\"ja\">",
        "<title>子ども医療費助成｜",
        "青森市の制度",
        "高校生年代までの子どもの医療費の自己負担分を助成します。",
        // The staff's summary and, beside it, the words generated from the rule.
        "市内に住所があり、健康保険に加入している0歳から18歳到達後最初の3月31日までの子ども",
        "18歳到達後最初の3月31日までのお子さんがいる方",
        "保険診療の自己負担分",
        "15,000円",
        "出生日の翌日から15日以内",
        "窓口：市役所 1階 窓口",
        "<a href=\"https://example.jp/apply\">",
        "健康保険の資格確認書",
        "振込先口座がわかるもの",
        "こども支援課",
        "<a href=\"tel:017-734-1111\">",
        "<a href=\"mailto:kodomo@example.jp\">",
        "<a href=\"https://www.city.aomori.aomori.jp/\">",
        "最終確認日：令和8年11月1日（2026年11月1日）",
        "<meta property=\"og:title\" content=\"子ども医療費助成\">",
        "<meta property=\"og:description\" content=\"高校生年代までの子どもの医療費の自己負担分を助成します。\">",
        "<meta property=\"og:type\" content=\"article\">",
        "<meta property=\"og:site_name\" content=\"青森県 子育て支援\">",
        "<meta property=\"og:locale\" content=\"ja_JP\">",
        "<form method=\"post\" action=\"/programs/",
        "<label for=\"birth_date\">",
        "<label for=\"due_date\">",
    ] {
        assert!(page.contains(expected), "{expected} missing in {page}");
    }
    let escaped_url = canonical.replace('/', "&#x2f;");
    let names_itself = |tag: &str| {
        page.contains(&format!("{tag}\"{canonical}\">")) || page.contains(&format!("{tag}\"{escaped_url}\">"))
    };
    assert!(names_itself("<link rel=\"canonical\" href="), "{page}");
    assert!(names_itself("<meta property=\"og:url\" content="), "{page}");
    assert!(!page.contains("data-verdict"), "no answer before a question");
    // A shared link comes back with what the sharing site added.
    let shared = fetch_page(&app, &format!("/programs/{id}?fbclid=abc&utm_source=line"), 200).await;
    assert!(!shared.contains("data-verdict"), "{shared}");
    assert!(!page.contains("<script"), "no script: {page}");
    assert!(!page.contains("style="), "no inline style: {page}");
}

async fn the_eligibility_words_follow_the_rule(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published(&app, "一時預かり", allowance_rule()).await;
    let path = format!("/programs/{id}");
    assert!(
        fetch_page(&app, &path, 200)
            .await
            .contains("18歳到達後最初の3月31日までのお子さんがいる方")
    );

    let mut change = program_body("022012", "一時預かり");
    change["eligibility"] = json!({"version": 1, "rule": {"all": [
        {"some_child": {"age": {"unit": "years", "lt": 3}}},
        {"single_parent": true}
    ]}});
    call(
        app.put(&format!("/api/v1/programs/{id}"), AOMORI_CITY_TOKEN)
            .json(&change),
        200,
    )
    .await;
    let changed = fetch_page(&app, &path, 200).await;
    assert!(
        !changed.contains("18歳到達後最初の3月31日までのお子さんがいる方"),
        "{changed}"
    );
    for expected in [
        "次のすべてにあてはまる方",
        "<li>年齢が3歳未満のお子さんがいる方",
        "<li>ひとり親家庭の方",
    ] {
        assert!(changed.contains(expected), "{expected} missing in {changed}");
    }

    // Municipalities are named as parents know them, not by their codes.
    change["eligibility"] = json!({"version": 1, "rule": {"all": [
        {"municipality": ["022012", "022021"]},
        {"some_child": {"school_stage": "preschool"}}
    ]}});
    call(
        app.put(&format!("/api/v1/programs/{id}"), AOMORI_CITY_TOKEN)
            .json(&change),
        200,
    )
    .await;
    let named = fetch_page(&app, &path, 200).await;
    assert!(named.contains("<li>青森市・弘前市にお住まいの方"), "{named}");
    assert!(named.contains("<li>未就学のお子さんがいる方"), "{named}");
}

async fn a_born_child_is_checked_against_the_rule(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published(&app, "児童手当", allowance_rule()).await;
    let one_year_old = today().checked_sub_months(Months::new(12)).unwrap();
    let eligible = fetch_page(
        &app,
        &format!("/programs/{id}?birth_date={one_year_old}&due_date="),
        200,
    )
    .await;
    assert_eq!(verdict(&eligible), "yes", "{eligible}");
    assert!(eligible.contains("はい、対象です。"), "{eligible}");
    // Eligible from today until the first 31 March after the 18th birthday, in both calendars.
    let last_day = march_31_after_age_end(one_year_old, 18).pred_opt().unwrap();
    let window = format!(
        "{}から{}まで",
        japan::format_date(today()),
        japan::format_date(last_day)
    );
    assert!(eligible.contains(&window), "{window} missing in {eligible}");
    assert!(
        eligible.contains(&format!("value=\"{one_year_old}\"")),
        "the form keeps what was typed"
    );
    let passed = japan::format_date(one_year_old.checked_add_days(Days::new(15)).unwrap());
    let late = format!("生まれた日の翌日から15日以内の申請期限（{passed}）は過ぎています。");
    assert!(eligible.contains(&late), "{late} missing in {eligible}");

    // A newborn may apply from today until the 15th day after the birth.
    let newborn = today().checked_sub_days(Days::new(3)).unwrap();
    let in_time = fetch_page(&app, &format!("/programs/{id}?birth_date={newborn}"), 200).await;
    let deadline = japan::format_date(newborn.checked_add_days(Days::new(15)).unwrap());
    let period = format!("{}から{deadline}まで", japan::format_date(today()));
    assert!(in_time.contains(&period), "{period} missing in {in_time}");
    assert!(
        in_time.contains(&format!("申請の期限は{deadline}です")),
        "{in_time}"
    );

    // Typed the way people do: 20250401.
    let nineteen = today().checked_sub_months(Months::new(19 * 12)).unwrap();
    let compact = nineteen.format("%Y%m%d").to_string();
    let too_old = fetch_page(&app, &format!("/programs/{id}?birth_date={compact}"), 200).await;
    assert_eq!(verdict(&too_old), "no", "{too_old}");
    assert!(too_old.contains("いいえ、対象ではありません。"), "{too_old}");

    let stored = app
        .rows_once("SELECT id FROM households", 1, std::time::Duration::ZERO)
        .await;
    assert!(stored.is_empty(), "nothing is stored by a check");
}

async fn the_prefectures_and_the_nations_programs_are_checked_in_aomori(backend: Backend) {
    let app = spawn_app(backend).await;
    let birth = today().checked_sub_months(Months::new(24)).unwrap();
    for (owner, owner_words) in [("020001", "青森県の制度"), ("national", "国の制度")] {
        let mut body = program_body(owner, "子育て応援パスポート");
        body["eligibility"] = allowance_rule();
        let id = app.publish_program(PREFECTURE_TOKEN, &body).await;
        let answer = fetch_page(&app, &format!("/programs/{id}?birth_date={birth}"), 200).await;
        assert!(answer.contains(owner_words), "{owner_words} missing in {answer}");
        assert_eq!(verdict(&answer), "yes", "{owner}: {answer}");
        assert!(answer.contains("青森県内にお住まいで"), "{answer}");
    }
}

async fn where_the_rule_names_municipalities_the_parent_says_where_they_live(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = program_body("020001", "県の子育て支援（一部の市）");
    body["eligibility"] = json!({"version": 1, "rule": {"all": [
        {"municipality": ["022012"]},
        {"some_child": {"until_march_31_after_age": 18}}
    ]}});
    let id = app.publish_program(PREFECTURE_TOKEN, &body).await;
    let form = fetch_page(&app, &format!("/programs/{id}"), 200).await;
    assert!(
        form.contains("<label for=\"municipality\">お住まいの市町村</label>"),
        "{form}"
    );
    assert!(
        form.contains("<option value=\"022021\">弘前市</option>"),
        "{form}"
    );

    let birth = today().checked_sub_months(Months::new(24)).unwrap();
    let path = format!("/programs/{id}?birth_date={birth}");
    let aomori = fetch_page(&app, &format!("{path}&municipality=022012"), 200).await;
    assert_eq!(verdict(&aomori), "yes", "{aomori}");
    assert!(aomori.contains("青森市にお住まいで"), "{aomori}");
    assert!(
        aomori.contains("<option value=\"022012\" selected>青森市</option>"),
        "{aomori}"
    );
    let hirosaki = fetch_page(&app, &format!("{path}&municipality=022021"), 200).await;
    assert_eq!(verdict(&hirosaki), "no", "{hirosaki}");

    let unsaid = fetch_page(&app, &format!("{path}&municipality="), 422).await;
    assert!(unsaid.contains("id=\"municipality-error\""), "{unsaid}");
    assert!(
        unsaid.contains("aria-describedby=\"municipality-hint municipality-error\" aria-invalid=\"true\""),
        "{unsaid}"
    );
    assert!(!unsaid.contains("data-verdict"), "{unsaid}");
}

async fn an_expected_child_is_checked_from_the_due_date(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published(&app, "児童手当", allowance_rule()).await;
    let due = today().checked_add_days(Days::new(100)).unwrap();
    let expected = fetch_page(&app, &format!("/programs/{id}?birth_date=&due_date={due}"), 200).await;
    assert_eq!(verdict(&expected), "after_birth", "{expected}");
    let from_birth = format!(
        "出産予定日に生まれた場合は{}から対象です。",
        japan::format_date(due)
    );
    assert!(
        expected.contains(&from_birth),
        "{from_birth} missing in {expected}"
    );
    let deadline = japan::format_date(due.checked_add_days(Days::new(15)).unwrap());
    let period = format!("{}から{deadline}まで", japan::format_date(due));
    assert!(expected.contains(&period), "{period} missing in {expected}");
    assert!(
        expected.contains("申請は生まれた日の翌日から15日以内です。"),
        "{expected}"
    );

    // A program for the pregnancy itself is open now.
    let pregnancy = published(
        &app,
        "妊婦のための支援給付",
        json!({"version": 1, "rule": {"some_child": {"unborn": true}}}),
    )
    .await;
    let now = fetch_page(&app, &format!("/programs/{pregnancy}?due_date={due}"), 200).await;
    assert_eq!(verdict(&now), "yes", "{now}");
}

async fn a_check_that_depends_on_other_facts_names_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published(
        &app,
        "ひとり親家庭等医療費助成",
        json!({"version": 1, "rule": {"all": [
            {"single_parent": true},
            {"some_child": {"until_march_31_after_age": 18}}
        ]}}),
    )
    .await;
    let birth = today().checked_sub_months(Months::new(30)).unwrap();
    let depends = fetch_page(&app, &format!("/programs/{id}?birth_date={birth}"), 200).await;
    assert_eq!(verdict(&depends), "depends", "{depends}");
    assert!(depends.contains("ひとり親家庭かどうか"), "{depends}");
    assert!(depends.contains("（ほかの条件によります）"), "{depends}");

    let later = published(
        &app,
        "3歳児健康診査",
        json!({"version": 1, "rule": {"some_child": {"age": {"unit": "years", "gte": 3, "lt": 4}}}}),
    )
    .await;
    let young = today().checked_sub_months(Months::new(12)).unwrap();
    let answer = fetch_page(&app, &format!("/programs/{later}?birth_date={young}"), 200).await;
    assert_eq!(verdict(&answer), "later", "{answer}");
    let third_birthday = month_anniversary(young, 36);
    let opens = format!("{}から対象になります", japan::format_date(third_birthday));
    assert!(answer.contains(&opens), "{opens} missing in {answer}");
}

async fn a_wrong_date_is_shown_at_its_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published(&app, "児童手当", allowance_rule()).await;
    let malformed = fetch_page(
        &app,
        &format!("/programs/{id}?birth_date=2025-13-45&due_date="),
        422,
    )
    .await;
    assert!(malformed.contains("id=\"birth_date-error\""), "{malformed}");
    assert!(
        malformed.contains("aria-describedby=\"birth_date-hint birth_date-error\" aria-invalid=\"true\""),
        "{malformed}"
    );
    assert!(
        malformed.contains("日付は「2026-04-01」の形で入力してください"),
        "{malformed}"
    );
    assert!(malformed.contains("value=\"2025-13-45\""), "{malformed}");
    assert!(!malformed.contains("data-verdict"), "{malformed}");

    let tomorrow = today().checked_add_days(Days::new(1)).unwrap();
    let future = fetch_page(&app, &format!("/programs/{id}?birth_date={tomorrow}"), 422).await;
    assert!(future.contains("生年月日が未来の日付です"), "{future}");

    let neither = fetch_page(&app, &format!("/programs/{id}?birth_date=&due_date="), 422).await;
    assert!(neither.contains("id=\"birth_date-error\""), "{neither}");

    let far = today().checked_add_days(Days::new(400)).unwrap();
    let due = fetch_page(&app, &format!("/programs/{id}?due_date={far}"), 422).await;
    assert!(due.contains("id=\"due_date-error\""), "{due}");
    assert!(
        due.contains("aria-describedby=\"due_date-hint due_date-error\""),
        "{due}"
    );
}

async fn a_program_described_in_words_only_offers_no_check(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published(&app, "不妊治療費助成", json!({"version": 1})).await;
    let page = fetch_page(&app, &format!("/programs/{id}"), 200).await;
    assert!(
        page.contains("市内に住所があり"),
        "the staff's words are there: {page}"
    );
    assert!(page.contains("生年月日からの判定はできません"), "{page}");
    assert!(!page.contains("<form"), "{page}");
}

async fn drafts_are_not_found_and_archived_programs_have_ended(backend: Backend) {
    let app = spawn_app(backend).await;
    let draft = app
        .create_program(AOMORI_CITY_TOKEN, &program_body("022012", "準備中の制度"))
        .await;
    let draft_page = fetch_page(&app, &format!("/programs/{}", draft["id"].as_str().unwrap()), 404).await;
    assert!(!draft_page.contains("準備中の制度"), "{draft_page}");
    fetch_page(&app, "/programs/not-an-id", 404).await;
    fetch_page(&app, "/programs/0190d2a4-0000-7000-8000-000000000000", 404).await;

    let id = published(&app, "終わった制度", allowance_rule()).await;
    call(
        app.post(&format!("/api/v1/programs/{id}/archive"), AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    let ended = fetch_page(&app, &format!("/programs/{id}"), 404).await;
    assert!(ended.contains("「終わった制度」は終了しました"), "{ended}");
    assert!(ended.contains(&japan::format_date(today())), "{ended}");
}

async fn what_staff_wrote_is_escaped(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = program_body("022012", "<script>alert(1)</script>");
    body["summary"] = json!("\"><img src=x onerror=alert(2)>");
    let id = app.publish_program(AOMORI_CITY_TOKEN, &body).await;
    let page = fetch_page(&app, &format!("/programs/{id}?birth_date=%3Cb%3E"), 422).await;
    assert!(!page.contains("<script>alert(1)"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(!page.contains("<b>"), "{page}");
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{page}"
    );
    assert!(page.contains("content=\"&#34;&#62;&#60;img src=x"), "{page}");
}

/// The page's own form posts the date: the same answer as the query, an address without the
/// child's date, and a form that posts.
async fn the_check_is_posted_and_keeps_the_date_out_of_the_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published(&app, "児童手当", allowance_rule()).await;
    let page = fetch_page(&app, &format!("/programs/{id}"), 200).await;
    assert!(
        page.contains(&format!("<form method=\"post\" action=\"/programs/{id}#check\"")),
        "the check's form posts"
    );
    let one_year_old = today().checked_sub_months(Months::new(12)).unwrap();
    let response = app
        .client
        .post(app.url(&format!("/programs/{id}")))
        .header(ACCEPT, BROWSER_ACCEPT)
        .form(&[
            ("birth_date", one_year_old.to_string()),
            ("due_date", String::new()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let answered = response.text().await.unwrap();
    assert_eq!(verdict(&answered), "yes", "{answered}");
    let wrong = app
        .client
        .post(app.url(&format!("/programs/{id}")))
        .header(ACCEPT, BROWSER_ACCEPT)
        .form(&[("birth_date", "2025-13-45")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 422, "a wrong date is shown at its field");
}
