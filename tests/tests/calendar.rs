//! The household's calendar feed end to end, on both databases: a signed-in parent makes the feed
//! on `/me/calendar` (a CSRF-checked form), a calendar app fetches `/calendar/{secret}.ics`
//! without a session, and the feed, read back with an iCalendar parser, holds the household's
//! deadlines and window ends as all-day events linking to the program pages, with nothing
//! personal in it; the Python icalendar library reads the same events from it. Replacing or
//! revoking the feed, withdrawing consent to matching and deleting the household make the
//! address answer 404.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use chrono::{Datelike, Days, Months, NaiveDate};
use icalendar::{Calendar, Component, DatePerhapsTime, Event};
use kosodate_tests::{
    AOMORI_CITY_TOKEN, Backend, Browser, TestApp, both_backends, call, program_body, spawn_app_with_sign_in,
};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

both_backends!(
    a_parent_subscribes_to_the_household_calendar,
    the_feed_ends_with_its_revocation_consent_or_household
);

const NICKNAME: &str = "はなちゃん";

fn today() -> NaiveDate {
    kosodate_domain::japan::date_of(chrono::Utc::now())
}

/// The first of this month `years` ago: month anniversaries fall on the 1st.
fn years_ago(years: i32) -> NaiveDate {
    let today = today();
    NaiveDate::from_ymd_opt(today.year() - years, today.month(), 1).unwrap()
}

/// The younger child, 第2子 in birth order, whose dates the feed is about.
fn birth_date() -> NaiveDate {
    years_ago(1)
}

/// Two children: the younger one entered first, so that birth order is not entry order.
fn household() -> serde_json::Value {
    json!({
        "municipality_code": "022012",
        "children": [
            {"nickname": NICKNAME, "birth_date": birth_date().to_string()},
            {"nickname": "たろう", "birth_date": years_ago(4).to_string()}
        ]
    })
}

/// Publishes a program of 青森市 with `rule` and `window`; returns its id.
async fn publish(app: &TestApp, name: &str, rule: serde_json::Value, window: serde_json::Value) -> String {
    let mut body = program_body("022012", name);
    body["eligibility"] = json!({"version": 1, "rule": rule});
    body["application_window"] = window;
    app.publish_program(AOMORI_CITY_TOKEN, &body).await
}

async fn calendar_page(parent: &Browser) -> String {
    let response = parent.get("/me/calendar").send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.unwrap()
}

/// Posts one of the page's forms with the session's token; returns the page it answers with.
async fn submit(parent: &Browser, action: &str) -> String {
    let token = parent.csrf.clone().unwrap();
    let response = parent
        .client
        .post(parent.url(action))
        .form(&[("csrf_token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{action}");
    response.text().await.unwrap()
}

/// The feed's address as the page shows it right after making it.
fn feed_url(page: &str) -> String {
    let input = page.find("id=\"feed-url\"").expect("the page shows the address");
    let value = &page[input..];
    let start = value.find("value=\"").unwrap() + "value=\"".len();
    let end = start + value[start..].find('"').unwrap();
    value[start..end].replace("&#x2f;", "/").replace("&#47;", "/")
}

/// Fetches the feed as a calendar app does: no cookies, no session.
async fn fetch(url: &str) -> reqwest::Response {
    reqwest::Client::new().get(url).send().await.unwrap()
}

fn all_day(date: NaiveDate) -> Option<DatePerhapsTime> {
    Some(DatePerhapsTime::Date(date))
}

/// The programs of the test besides the examples: their ids and the application period's dates.
struct Published {
    grant: String,
    under_three: String,
    opens: NaiveDate,
    closes: NaiveDate,
}

async fn publish_programs(app: &TestApp) -> Published {
    let today = today();
    let (opens, closes) = (today + Days::new(40), today + Days::new(70));
    let grant = publish(
        app,
        "子育て応援給付金",
        json!({"some_child": {"age": {"unit": "years", "lt": 6}}}),
        json!({"kind": "fixed", "from": opens.to_string(), "to": closes.to_string()}),
    )
    .await;
    let under_three = publish(
        app,
        "3歳未満の子の見守り支援",
        json!({"some_child": {"age": {"unit": "years", "lt": 3}}}),
        json!({"kind": "always"}),
    )
    .await;
    Published {
        grant,
        under_three,
        opens,
        closes,
    }
}

/// Makes the feed on the page; returns its address.
async fn make_feed(app: &TestApp, parent: &Browser) -> String {
    let page = calendar_page(parent).await;
    assert!(page.contains("カレンダー用のURLを作る"), "{page}");
    let made = submit(parent, "/me/calendar").await;
    let url = feed_url(&made);
    assert!(
        url.starts_with(&app.url("/calendar/")) && url.ends_with(".ics"),
        "{url}"
    );
    assert!(made.contains("webcal://"), "an iOS link");
    assert!(
        made.contains("https://calendar.google.com/calendar/render?cid=webcal"),
        "a Google link"
    );
    url
}

/// Fetches the feed as a calendar app does and checks what is sent with it and what is not in it.
async fn fetch_feed(url: &str) -> String {
    let response = fetch(url).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "text/calendar; charset=utf-8");
    assert_eq!(response.headers()["cache-control"], "private, max-age=3600");
    let text = response.text().await.unwrap();
    assert_lines_are_rfc_5545(&text);
    for private in [NICKNAME, "たろう"] {
        assert!(!text.contains(private), "no nickname in the feed");
    }
    for birth in [birth_date(), years_ago(4)] {
        assert!(
            !text.contains(&birth.format("%Y%m%d").to_string()),
            "no birth date"
        );
    }
    text
}

async fn a_parent_subscribes_to_the_household_calendar(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |settings| settings.load_examples = Some(true)).await;
    let published = publish_programs(&app.app).await;
    let parent = Browser::parent_with_matching(&app.app, "hanako", &household()).await;
    let url = make_feed(&app.app, &parent).await;
    let text = fetch_feed(&url).await;
    let calendar: Calendar = text.parse().unwrap();
    let events: Vec<&Event> = calendar.events().collect();
    assert_expected_events(&app.app, &published, &events);
    python_reads_the_same(&text, &events);
    let mut uids: Vec<_> = events.iter().map(|event| event.get_uid().unwrap()).collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), events.len(), "every event has its own UID");

    // The same feed fetched again has the same events (calendar apps match them by UID).
    let again: Calendar = fetch(&url).await.text().await.unwrap().parse().unwrap();
    let uids_of = |events: Vec<&Event>| -> Vec<String> {
        events
            .iter()
            .map(|event| event.get_uid().unwrap().to_owned())
            .collect()
    };
    assert_eq!(uids_of(again.events().collect()), uids_of(events));
    // The page no longer shows the address, only that a feed is active.
    let page = calendar_page(&parent).await;
    assert!(!page.contains(&url) && page.contains("URLを作り直す"), "{page}");
}

/// The application period's start and end, and window ends past the matcher's horizon, each on
/// its day, linking to its program.
fn assert_expected_events(app: &TestApp, published: &Published, events: &[&Event]) {
    let find = |summary: &str| {
        *events
            .iter()
            .find(|event| event.get_summary() == Some(summary))
            .unwrap_or_else(|| panic!("{summary} in {events:#?}"))
    };
    let grant_url = app.url(&format!("/programs/{}", published.grant));
    let sixth_birthday = birth_date().checked_add_months(Months::new(72)).unwrap();
    for (summary, date) in [
        ("子育て応援給付金（申請開始）", published.opens),
        ("子育て応援給付金（申請期限）", published.closes),
        (
            "子育て応援給付金（第2子の対象期間の最終日）",
            sixth_birthday - Days::new(1),
        ),
    ] {
        let event = find(summary);
        assert_eq!(event.get_start(), all_day(date), "{summary}");
        assert_eq!(event.get_end(), all_day(date + Days::new(1)), "{summary}");
        assert_eq!(event.get_url(), Some(grant_url.as_str()));
        assert!(event.get_description().unwrap().contains(&grant_url));
        assert!(event.get_timestamp().is_some(), "DTSTAMP");
    }
    // Both ends lie past the matcher's 366-day horizon.
    let third_birthday = birth_date().checked_add_months(Months::new(36)).unwrap();
    let ends = find("3歳未満の子の見守り支援（第2子の対象期間の最終日）");
    assert_eq!(ends.get_start(), all_day(third_birthday - Days::new(1)));
    let under_three_url = app.url(&format!("/programs/{}", published.under_three));
    assert_eq!(ends.get_url(), Some(under_three_url.as_str()));
    let child_allowance = find("児童手当（第2子の対象期間の最終日）");
    assert_eq!(
        child_allowance.get_start(),
        all_day(march_31_after_18th_birthday(birth_date()))
    );
}

fn date_text(date: Option<DatePerhapsTime>) -> String {
    match date {
        Some(DatePerhapsTime::Date(date)) => date.to_string(),
        other => panic!("not an all-day event: {other:?}"),
    }
}

/// A second, independent reader sees the same events.
fn python_reads_the_same(text: &str, events: &[&Event]) {
    let python = read_with_python(text);
    assert_eq!(python["name"], "子育て支援の申請日程（青森県）");
    let python_events = python["events"].as_array().unwrap();
    assert_eq!(python_events.len(), events.len());
    for (theirs, ours) in python_events.iter().zip(events) {
        assert_eq!(theirs["uid"], ours.get_uid().unwrap());
        assert_eq!(theirs["summary"], ours.get_summary().unwrap());
        assert_eq!(theirs["start"], date_text(ours.get_start()).as_str());
        assert_eq!(theirs["end"], date_text(ours.get_end()).as_str());
        assert_eq!(theirs["url"], ours.get_url().unwrap());
        assert_eq!(theirs["description"], ours.get_description().unwrap());
    }
}

/// The first 31 March after the 18th birthday (the day before it counts: born on 1 April, the
/// 31 March before the birthday).
fn march_31_after_18th_birthday(birth: NaiveDate) -> NaiveDate {
    let eighteenth = birth.checked_add_months(Months::new(18 * 12)).unwrap() - Days::new(1);
    let year = if eighteenth.month() <= 3 {
        eighteenth.year()
    } else {
        eighteenth.year() + 1
    };
    NaiveDate::from_ymd_opt(year, 3, 31).unwrap()
}

/// The feed as the Python icalendar library reads it (`tests/icalendar/read_feed.py`).
fn read_with_python(feed: &str) -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let status = Command::new(root.join("scripts/ensure-icalendar.sh"))
            .status()
            .expect("scripts/ensure-icalendar.sh runs");
        assert!(
            status.success(),
            "the Python icalendar library could not be installed"
        );
    });
    let mut reader = Command::new(root.join(".cache/icalendar-venv/bin/python"))
        .arg(root.join("tests/icalendar/read_feed.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    reader.stdin.take().unwrap().write_all(feed.as_bytes()).unwrap();
    let output = reader.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "Python icalendar rejects the feed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// CRLF line ends, no line over 75 octets, continuation lines start with a space (RFC 5545 3.1).
fn assert_lines_are_rfc_5545(text: &str) {
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"));
    for line in text.split_terminator("\r\n") {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare line break in {line:?}"
        );
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    assert!(text.contains("\r\n "), "long Japanese lines are folded");
}

async fn rows(app: &TestApp, table: &str) -> i64 {
    let backend = app.db.get_database_backend();
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn status(url: &str) -> u16 {
    fetch(url).await.status().as_u16()
}

async fn the_feed_ends_with_its_revocation_consent_or_household(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |settings| settings.load_examples = Some(true)).await;
    let parent = Browser::parent_with_matching(&app.app, "hanako", &household()).await;

    // A form without the session's token changes nothing.
    let forged = parent
        .client
        .post(parent.url("/me/calendar"))
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(rows(&app.app, "calendar_feeds").await, 0);

    let first = feed_url(&submit(&parent, "/me/calendar").await);
    assert_eq!(status(&first).await, 200);
    let wrong = first.replace(&first[first.len() - 10..first.len() - 4], "AAAAAA");
    assert_eq!(status(&wrong).await, 404, "a wrong secret");
    assert_eq!(status(&first.replace(".ics", "")).await, 404, "no .ics");
    assert_eq!(status(&app.app.url("/calendar/short.ics")).await, 404);

    let second = feed_url(&submit(&parent, "/me/calendar").await);
    assert_ne!(first, second);
    assert_eq!(status(&first).await, 404, "replaced");
    assert_eq!(status(&second).await, 200);
    assert_eq!(rows(&app.app, "calendar_feeds").await, 1);

    let revoked = submit(&parent, "/me/calendar/revoke").await;
    assert!(revoked.contains("配信を止めました"), "{revoked}");
    assert_eq!(status(&second).await, 404, "revoked");

    let third = feed_url(&submit(&parent, "/me/calendar").await);
    assert_eq!(status(&third).await, 200);
    call(parent.send(Method::DELETE, "/api/v1/me/consents/matching"), 200).await;
    assert_eq!(status(&third).await, 404, "consent withdrawn");
    assert_eq!(
        rows(&app.app, "calendar_feeds").await,
        0,
        "forgotten with the consent"
    );
    let page = calendar_page(&parent).await;
    assert!(page.contains("同意すると使えるようになります"), "{page}");

    parent.consent("matching").await;
    let fourth = feed_url(&submit(&parent, "/me/calendar").await);
    assert_eq!(status(&fourth).await, 200);
    let deleted = parent
        .send(Method::DELETE, "/api/v1/me/household")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(status(&fourth).await, 404, "household deleted");
    assert_eq!(
        rows(&app.app, "calendar_feeds").await,
        0,
        "deleted with the household"
    );
}
