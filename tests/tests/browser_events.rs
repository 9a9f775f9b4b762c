//! A clerk enters a recurring event from a template in real headless Chromium, on both
//! databases, through the real OpenID Provider: she picks 「子育てサロン」 on `/staff/events`,
//! ticks a second weekday, types a day off and the first day in 和暦, and publishes. A parent
//! whose baby is of age sees it on `/me`, opens it, says 行く, and the household's calendar feed
//! holds its days. axe-core checks the editor, the public list and the event page at a phone's
//! and a desktop's width, and the place editor she enters the venue's place with first; the
//! screenshots of `/events` and the editors are kept for the docs.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use kosodate_tests::browser::Chromium;
use kosodate_tests::{Backend, Browser, both_backends, spawn_app_with_sign_in};

both_backends!(a_clerk_enters_a_recurring_event_and_a_parent_goes);

fn screenshots(backend: Backend) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots/events")
        .join(format!("{backend:?}").to_lowercase())
}

fn months_ago(months: u32) -> String {
    let today = kosodate_domain::japan::date_of(chrono::Utc::now());
    (today - chrono::Months::new(months)).to_string()
}

async fn a_clerk_enters_a_recurring_event_and_a_parent_goes(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |_| {}).await;
    let app = &signed_in.app;
    let shots = screenshots(backend);
    let chromium = Chromium::start().await;
    chromium.visit(&app.url("/staff/events"), (1280, 800)).await;
    chromium
        .click_and_wait("a.button[href^='/auth/login/staff']")
        .await;
    chromium.fill("input[name=login]", "hirosaki").await;
    chromium.click_and_wait("button[type=submit]").await;
    assert_eq!(chromium.path().await, "/staff/events");
    // The place first, from its kind's template, the hours already filled in.
    chromium.visit(&app.url("/staff/places"), (1280, 800)).await;
    chromium
        .click_and_wait("a[href='/staff/places/new?kind=childrens_hall']")
        .await;
    chromium.check_open_page(&shots, "place-editor").await;
    // The opening hours' rows, as a phone and a desktop show them.
    for (width, height) in [(360, 740), (1280, 800)] {
        chromium.client.set_window_size(width, height).await.unwrap();
        chromium
            .evaluate("document.getElementById('hours').scrollIntoView(); return true")
            .await;
        chromium
            .screenshot(&shots, &format!("place-editor-hours-{width}x{height}"))
            .await;
    }
    chromium.fill("#name", "弘前市児童センター").await;
    chromium.fill("#address", "弘前市大字末広4丁目10-1").await;
    chromium.fill("#postal_code", "０３６－８０９１").await;
    chromium
        .click_and_wait("button[name=action][value=publish]")
        .await;
    let path = chromium.path().await;
    assert!(
        path.starts_with("/staff/places/") && path.ends_with("/edit?saved=published"),
        "{path}: {}",
        chromium.text().await
    );
    let place_id = path
        .strip_prefix("/staff/places/")
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    chromium
        .visit(&app.url("/staff/places/import"), (1280, 800))
        .await;
    chromium.check_open_page(&shots, "places-import").await;
    // The whole import as a clerk goes through it: choose the file, check, import.
    let sheet = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(
        sheet.path(),
        "団体コード,種類,名称,住所,開館時間,設備\n\
         022021,児童館,取込児童館,弘前市大字城東中央1-1-1,月-金 9:00-18:00,授乳室\n\
         022021,児童館,弘前市児童センター,弘前市大字末広4丁目10-1,火-日 9:00-17:00,\n",
    )
    .unwrap();
    chromium.choose_file("#file", sheet.path()).await;
    chromium.click_and_wait(".buttons button[type=submit]").await;
    let text = chromium.text().await;
    assert!(
        text.contains("新しく登録するもの：1件") && text.contains("内容を更新するもの：1件"),
        "{text}"
    );
    chromium.check_open_page(&shots, "places-import-check").await;
    chromium.click_and_wait(".buttons button[type=submit]").await;
    let text = chromium.text().await;
    assert!(text.contains("2件を登録・更新しました"), "{text}");
    chromium.check_open_page(&shots, "places-import-done").await;
    chromium.visit(&app.url("/staff/events"), (1280, 800)).await;
    chromium
        .click_and_wait("a[href='/staff/events/new?template=parenting_salon']")
        .await;
    chromium.check_open_page(&shots, "event-editor").await;
    chromium.fill("#venue", "弘前市児童センター 遊戯室").await;
    chromium.click("#weekday-sat").await;
    chromium.fill("#from", "令和8年1月1日").await;
    chromium.fill("#except", "2026/12/30\n令和8年12月31日").await;
    chromium.fill("#contact_phone", "０１７２－３７－３７５０").await;
    chromium
        .click_and_wait("button[name=action][value=publish]")
        .await;
    let path = chromium.path().await;
    assert!(
        path.ends_with("/edit?saved=published"),
        "{path}: {}",
        chromium.text().await
    );
    let id = path
        .strip_prefix("/staff/events/")
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    chromium
        .check_pages_at_every_width(
            [
                ("events".to_owned(), app.url("/events?area=022021")),
                ("event".to_owned(), app.url(&format!("/events/{id}"))),
                (
                    "event-preview".to_owned(),
                    app.url(&format!("/staff/events/{id}/preview")),
                ),
                (
                    "event-history".to_owned(),
                    app.url(&format!("/staff/events/{id}/history")),
                ),
                // Created in the editor, then updated by the file: its hours and facilities differ.
                (
                    "place-history".to_owned(),
                    app.url(&format!("/staff/places/{place_id}/history")),
                ),
            ],
            &shots,
        )
        .await;

    let baby =
        serde_json::json!({"municipality_code": "022021", "children": [{"birth_date": months_ago(10)}]});
    let parent = Browser::parent_with_matching(app, "hanako", &baby).await;
    chromium
        .visit(&parent.login_url("parents", "hanako"), (360, 740))
        .await;
    chromium.visit(&app.url("/me"), (360, 740)).await;
    assert!(chromium.text().await.contains("お子さんの月齢に合ったイベント"));
    chromium
        .click_and_wait(&format!("#main a[href='/events/{id}']"))
        .await;
    chromium
        .click_and_wait(&format!("form[action='/events/{id}/attend'] button[type=submit]"))
        .await;
    assert!(chromium.text().await.contains("「行く」にしています"));
    chromium.check_open_page(&shots, "event-going").await;

    let token = parent.csrf.clone().unwrap();
    let made = parent
        .client
        .post(parent.url("/me/calendar"))
        .form(&[("csrf_token", token)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let url = kosodate_tests::form_browser::calendar_feed_url(&made);
    let ics = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(ics.contains("SUMMARY:子育てサロン"), "{ics}");
    assert!(ics.contains(&format!("UID:{id}-")), "{ics}");
    chromium.close().await;
}
