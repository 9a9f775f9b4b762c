//! A parent's whole journey in real headless Chromium, on both databases, with nothing but the
//! pages: sign in at the real OpenID Provider, consent first, register a household with a born
//! and an unborn child, add an email address and verify it from the mail the real SMTP server
//! received, subscribe to Web Push, set quiet hours, see the programs with their dates, mark one
//! applied, receive the first notice by email and a pushed one (decrypted by the test push
//! service), see the notices, read and download "My data", withdraw a consent, and delete
//! everything. axe-core runs in every page at a phone's and a desktop's width.
//!
//! The browser's own push service is the one substitution: headless Chromium subscribes through
//! Google's servers, which a test on loopback cannot reach, so the page's `pushManager.subscribe`
//! is given the test push service's subscription instead. Everything from the form onwards (the
//! service worker registration, the page's script, the form, storage, encryption, delivery) is
//! the real thing.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{Days, Timelike};
use kosodate_domain::japan;
use kosodate_test_peers::smtp::SmtpServer;
use kosodate_test_peers::web_push::{PushReceiver, Subscription};
use kosodate_tests::browser::Chromium;
use kosodate_tests::{AOMORI_CITY_TOKEN, Backend, both_backends, call, spawn_app_with_sign_in};
use secrecy::SecretString;
use serde_json::json;

both_backends!(
    a_parent_does_everything_in_a_browser,
    a_parent_signed_in_with_line_gets_notices_there
);

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

async fn a_parent_does_everything_in_a_browser(backend: Backend) {
    let smtp = SmtpServer::start().await.unwrap();
    let push = PushReceiver::start().await.unwrap();
    let smtp_url = smtp.url();
    let signed_in = spawn_app_with_sign_in(backend, |settings| {
        settings.load_examples = Some(true);
        kosodate_tests::with_dictionary(settings);
        settings.notices.worker_in_server = true;
        settings.notices.idle_poll_millis = 50;
        settings.notices.smtp_url = Some(SecretString::from(smtp_url));
        settings.notices.web_push_allow_insecure_endpoints = true;
    })
    .await;
    let app = &signed_in.app;
    let chromium = Chromium::start().await;
    let shots = screenshots().join(format!("{backend:?}").to_lowercase());

    front_door(&chromium, &app.url("/"), &shots).await;
    sign_in(&chromium, &app.url("/me"), &shots).await;
    consent_first(&chromium, &shots).await;
    register_household(&chromium, &shots).await;
    quiet_hours_away_from_now(&chromium).await;
    verify_email(&chromium, &smtp, &shots).await;
    let Ok(first) = smtp.wait_for_count(2, Duration::from_secs(60)).await else {
        chromium.visit(&app.url("/me/notices"), (360, 740)).await;
        let events = app
            .rows_once(
                "SELECT kind, planned_at, waiting_since FROM match_events",
                1,
                Duration::from_secs(1),
            )
            .await;
        panic!("no first notice: {}; events {events:?}", chromium.text().await);
    };
    assert_ne!(
        first[1].subject, first[0].subject,
        "the first notice follows the verification mail"
    );
    subscribe_to_push(&chromium, &push).await;
    my_programs(&chromium, &shots).await;
    answer_in_place(&chromium).await;

    // A program published now reaches the household through every channel, push included.
    let program = new_program(app).await;
    let Ok(pushed) = push.wait_for_count(1, Duration::from_secs(60)).await else {
        chromium.visit(&app.url("/me/notices"), (360, 740)).await;
        let subjects: Vec<_> = smtp
            .messages()
            .unwrap()
            .into_iter()
            .map(|mail| mail.subject)
            .collect();
        let channels = chromium
            .evaluate("return fetch('/api/v1/me/channels').then(r => r.json())")
            .await;
        let consents = chromium
            .evaluate("return fetch('/api/v1/me/consents').then(r => r.json())")
            .await;
        panic!(
            "no push; notices: {}; mails: {subjects:?}; channels {channels}; consents {}",
            chromium.text().await,
            consents["ledger"]
        );
    };
    let payload = pushed[0].json.clone().unwrap();
    assert!(payload.to_string().contains("家庭訪問"), "{payload}");
    chromium.visit(&app.url("/me/notices"), (360, 740)).await;
    let notices = chromium.text().await;
    assert!(
        notices.contains("プッシュ通知") && notices.contains("送信済み"),
        "{notices}"
    );
    assert!(notices.contains("メール"), "{notices}");
    chromium.check_open_page(&shots, "notices").await;
    assert!(!program.is_empty());

    reflow_at_double_text(&chromium).await;
    calendar_feed(&chromium, &shots).await;
    my_data_and_deletion(&chromium, &smtp, &shots).await;
    chromium.close().await;
}

/// The front door offers the parents' sign-in; a sentence finds programs; a program page opens.
async fn front_door(chromium: &Chromium, home: &str, shots: &Path) {
    chromium.visit(home, (360, 740)).await;
    assert!(
        chromium.text().await.contains("そのほかのアカウントでログイン"),
        "{}",
        chromium.text().await
    );
    chromium.check_open_page(shots, "home").await;
    chromium.fill("input[name=q]", "妊娠したら").await;
    chromium
        .click_and_wait("form[action='/search'] button[type=submit]")
        .await;
    assert!(
        chromium.path().await.starts_with("/search?"),
        "{}",
        chromium.path().await
    );
    chromium.check_open_page(shots, "search").await;
    chromium.click_and_wait("ol.hits a[href^='/programs/']").await;
    assert!(chromium.path().await.starts_with("/programs/"));
    chromium.check_open_page(shots, "program").await;
}

/// `/me` sends a visitor to sign in; the provider's own form signs her in and she comes back.
async fn sign_in(chromium: &Chromium, me: &str, shots: &Path) {
    sign_in_with(chromium, me, shots, "parents", "hanako").await;
}

async fn sign_in_with(chromium: &Chromium, me: &str, shots: &Path, provider: &str, login: &str) {
    chromium.visit(me, (360, 740)).await;
    assert!(
        chromium.path().await.starts_with("/login"),
        "{}",
        chromium.path().await
    );
    chromium.check_open_page(shots, "login").await;
    chromium
        .click_and_wait(&format!("a.button[href^='/auth/login/{provider}']"))
        .await;
    chromium.fill("input[name=login]", login).await;
    chromium.click_and_wait("button[type=submit]").await;
    assert_eq!(chromium.path().await, "/me/consent");
}

/// Nothing is stored before the consent; continuing without it says why, at the checkbox.
async fn consent_first(chromium: &Chromium, shots: &Path) {
    chromium.check_open_page(shots, "consent").await;
    chromium.click_and_wait("button[type=submit]").await;
    assert_eq!(chromium.path().await, "/me/consent");
    assert!(
        chromium
            .text()
            .await
            .contains("続けるには「対象となる制度の確認」への同意が必要です")
    );
    let described = chromium
        .evaluate("return document.getElementById('purpose-matching').getAttribute('aria-describedby')")
        .await;
    assert!(
        described.as_str().unwrap().contains("consent-error"),
        "{described}"
    );
    chromium.click("#purpose-matching").await;
    chromium.click_and_wait("button[type=submit]").await;
    assert_eq!(chromium.path().await, "/me/household");
}

/// A born child and an unborn one; a wrong date first, shown at its field.
async fn register_household(chromium: &Chromium, shots: &Path) {
    let today = japan::date_of(chrono::Utc::now());
    let born = today.checked_sub_days(Days::new(200)).unwrap();
    let due = today.checked_add_days(Days::new(60)).unwrap();
    chromium.check_open_page(shots, "household").await;
    chromium.select("#municipality", "022012").await;
    chromium
        .set_value("#child0_date", &born.format("%Y-%m-%d").to_string())
        .await;
    chromium.fill("#child0_nickname", "上の子").await;
    chromium.click_and_wait("button[value=add_child]").await;
    chromium.click("#child1_due").await;
    chromium.set_value("#child1_date", "1800-01-01").await;
    chromium.click_and_wait("button[value=save]").await;
    assert_eq!(chromium.path().await, "/me/household");
    let errors = chromium
        .evaluate("return [...document.querySelectorAll('.field-error')].map(e => e.id)")
        .await;
    assert_eq!(
        errors,
        json!(["child1_date_error"]),
        "only the wrong date: {}",
        chromium.text().await
    );
    let summary = chromium
        .evaluate("return [...document.querySelectorAll('#form-errors a')].map(a => a.getAttribute('href'))")
        .await;
    assert_eq!(summary, json!(["#child1_date"]), "the summary links to the field");
    let invalid = chromium
        .evaluate("return document.getElementById('child1_date').getAttribute('aria-invalid')")
        .await;
    assert_eq!(invalid, "true");
    assert_eq!(
        chromium
            .evaluate("return document.getElementById('child0_nickname').value")
            .await,
        "上の子",
        "what was entered is kept"
    );
    chromium.check_open_page(shots, "household-errors").await;
    chromium
        .set_value("#child1_date", &due.format("%Y-%m-%d").to_string())
        .await;
    chromium.click_and_wait("button[value=save]").await;
    assert_eq!(
        chromium.path().await,
        "/me/channels?welcome=1",
        "{}",
        chromium.text().await
    );
}

/// Quiet hours that do not cover the next hours in Japan, so the test never waits for morning.
async fn quiet_hours_away_from_now(chromium: &Chromium) {
    let hour = japan::local(chrono::Utc::now()).hour();
    chromium
        .select("#quiet_from", &format!("{:02}:00", (hour + 3) % 24))
        .await;
    chromium
        .select("#quiet_until", &format!("{:02}:00", (hour + 4) % 24))
        .await;
    chromium
        .evaluate("document.getElementById('daily_digest').checked = false; return null")
        .await;
    chromium.click_and_wait("#preferences button[type=submit]").await;
    assert_eq!(chromium.path().await, "/me/channels");
}

/// Consent to email notices next to the address, then the link from the real mail.
async fn verify_email(chromium: &Chromium, smtp: &SmtpServer, shots: &Path) {
    chromium.check_open_page(shots, "channels").await;
    chromium.fill("#email", "hanako@example.jp").await;
    chromium
        .click_and_wait("form[action='/me/channels/email'] button[type=submit]")
        .await;
    assert!(chromium.text().await.contains("メールでのお知らせを受け取るには"));
    chromium.fill("#email", "hanako@example.jp").await;
    chromium.click("#email-consent").await;
    chromium
        .click_and_wait("form[action='/me/channels/email'] button[type=submit]")
        .await;
    assert!(chromium.text().await.contains("確認のメールを送りました"));
    let mail = smtp.wait_for_count(1, Duration::from_secs(30)).await.unwrap();
    let body = mail[0].text_body.clone().unwrap_or_default();
    let start = body.find("http").expect("a link in the verification mail");
    let link: String = body[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(link.contains("/me/channels/verify?token="), "{link}");
    chromium.visit(&link, (360, 740)).await;
    assert!(chromium.text().await.contains("メールアドレスを確認しました"));
    chromium.check_open_page(shots, "verified").await;
}

/// The page's script registers the service worker and sends the subscription with the form.
async fn subscribe_to_push(chromium: &Chromium, push: &PushReceiver) {
    let Subscription {
        endpoint,
        p256dh,
        auth,
        ..
    } = push.subscribe();
    chromium
        .visit(&format!("{}/me/channels", base_of(chromium).await), (360, 740))
        .await;
    let substitute = format!(
        "Notification.requestPermission = async () => 'granted';
         PushManager.prototype.subscribe = async function () {{
           return {{ toJSON: () => ({{ endpoint: {endpoint:?}, keys: {{ p256dh: {p256dh:?}, auth: {auth:?} }} }}) }};
         }};
         return document.getElementById('web-push-form').hidden;"
    );
    assert_eq!(
        chromium.evaluate(&substitute).await,
        false,
        "the script shows the form"
    );
    chromium.click("#push-consent").await;
    chromium
        .click_and_wait("#web-push-form button[type=submit]")
        .await;
    for _ in 0..100 {
        if chromium
            .text()
            .await
            .contains("このブラウザ（または登録したブラウザ）")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        chromium.text().await.contains("プッシュ通知："),
        "{}",
        chromium.text().await
    );
    let registered = chromium
        .evaluate("return navigator.serviceWorker.getRegistration('/').then(r => !!r)")
        .await;
    assert_eq!(registered, true, "the service worker is registered");
}

async fn base_of(chromium: &Chromium) -> String {
    let url = chromium.client.current_url().await.unwrap();
    format!("{}://{}", url.scheme(), url.host_str().unwrap())
        + &url.port().map(|port| format!(":{port}")).unwrap_or_default()
}

/// The programs per child with dates; one marked applied moves to its own list.
async fn my_programs(chromium: &Chromium, shots: &Path) {
    chromium
        .visit(&format!("{}/me", base_of(chromium).await), (360, 740))
        .await;
    let page = chromium.text().await;
    assert!(page.contains("1人目のお子さん（上の子）"), "{page}");
    assert!(page.contains("2人目のお子さん・出産予定日"), "{page}");
    assert!(page.contains("児童手当"), "{page}");
    assert!(page.contains("日付は出産予定日から計算した目安です"), "{page}");
    chromium.check_open_page(shots, "programs").await;
    let first = chromium
        .evaluate("return document.querySelector('article.program').id")
        .await;
    let id = first.as_str().unwrap().to_owned();
    chromium
        .click_and_wait(&format!("#{id} button[value=applied]"))
        .await;
    let applied = chromium
        .evaluate(&format!("return document.getElementById('{id}').textContent"))
        .await;
    assert!(applied.as_str().unwrap().contains("申請済み"), "{applied}");
}

async fn new_program(app: &kosodate_tests::TestApp) -> String {
    let mut body = kosodate_tests::program_body("022012", "赤ちゃん家庭訪問（新設）");
    body["summary"] = json!("生後4か月までの赤ちゃんのいる家庭を保健師が訪問します。家庭訪問は無料です。");
    body["eligibility"] = json!({"version": 1, "rule": {"some_child": {"age": {"unit": "years", "lt": 18}}}});
    body["application_window"] = json!({"kind": "always"});
    let created = app.create_program(AOMORI_CITY_TOKEN, &body).await;
    let id = created["id"].as_str().unwrap().to_owned();
    call(
        app.post(&format!("/api/v1/programs/{id}/publish"), AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    id
}

/// The consent history, the readable data and its download, withdrawing, and deleting.
async fn my_data_and_deletion(chromium: &Chromium, smtp: &SmtpServer, shots: &Path) {
    let base = base_of(chromium).await;
    chromium.visit(&format!("{base}/me/data"), (360, 740)).await;
    let page = chromium.text().await;
    assert!(
        page.contains("対象となる制度の確認") && page.contains("第1版"),
        "{page}"
    );
    chromium.check_open_page(shots, "my-data").await;
    let download = chromium
        .evaluate("return fetch('/me/data/export.json').then(r => r.json())")
        .await;
    assert!(download["household"].is_object(), "{download}");
    assert!(download["consents"].as_array().unwrap().len() >= 3, "{download}");
    assert!(download["notices"].as_array().unwrap().len() >= 2);
    // Withdrawing email notices ends them at once.
    chromium
        .click_and_wait("form[action='/me/consent/withdraw']:has(input[value=notice_email]) button")
        .await;
    assert!(!chromium.text().await.contains("メールでのお知らせ（"));
    chromium
        .visit(&format!("{base}/me/data/delete"), (360, 740))
        .await;
    chromium.check_open_page(shots, "delete").await;
    chromium.click_and_wait("button.danger").await;
    assert!(chromium.text().await.contains("確認のチェックを入れてください"));
    chromium.click("#confirm").await;
    chromium.click_and_wait("button.danger").await;
    chromium.visit(&format!("{base}/me"), (360, 740)).await;
    assert!(
        chromium.path().await.starts_with("/login"),
        "signed out and deleted"
    );
    assert!(smtp.messages().unwrap().len() >= 2);
}

/// The signed-in pages reflow on the narrowest phone with text at 200 % (WCAG 1.4.4, 1.4.10).
async fn reflow_at_double_text(chromium: &Chromium) {
    let base = base_of(chromium).await;
    for path in [
        "/me",
        "/me/household",
        "/me/channels",
        "/me/notices",
        "/me/data",
        "/me/consent",
    ] {
        let overflow = chromium
            .sideways_scroll_at_double_text(&format!("{base}{path}"))
            .await;
        if overflow > 0 {
            let wide = chromium
                .evaluate(
                    "const width = document.documentElement.clientWidth;
                     return [...document.querySelectorAll('body *')]
                       .filter(e => e.getBoundingClientRect().right > width + 1)
                       .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className);",
                )
                .await;
            panic!("{path} scrolls sideways by {overflow} px at 320 px and 200 % text: {wide}");
        }
    }
}

/// A program one answer away is answered on the page itself, and the household holds the answer.
async fn answer_in_place(chromium: &Chromium) {
    let name = chromium
        .evaluate(
            "const question = document.querySelector('form.answer select');
             if (!question) return null;
             question.value = question.options[1].value;
             return question.name;",
        )
        .await;
    let name = name.as_str().expect("a program one answer away").to_owned();
    chromium.click_and_wait("form.answer button[type=submit]").await;
    assert!(chromium.text().await.contains("保存しました"));
    let household = chromium
        .evaluate("return fetch('/api/v1/me/household').then(r => r.json())")
        .await;
    let answered = match name.as_str() {
        "single_parent" | "income_band" => household[&name].clone(),
        child => {
            let (index, fact) = child.trim_start_matches("child").split_once('_').unwrap();
            let field = if fact == "disability" {
                "disability_certificate"
            } else {
                "childcare"
            };
            household["children"][index.parse::<usize>().unwrap()][field].clone()
        }
    };
    assert!(!answered.is_null(), "{name} answered: {household}");
}

/// LINE Login, then LINE notices from the channels page: the LINE user id the sign-in proved.
async fn a_parent_signed_in_with_line_gets_notices_there(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |settings| {
        settings.load_examples = Some(true);
    })
    .await;
    let app = &signed_in.app;
    let chromium = Chromium::start().await;
    let shots = screenshots().join(format!("{backend:?}-line").to_lowercase());
    sign_in_with(
        &chromium,
        &app.url("/me"),
        &shots,
        "line",
        kosodate_tests::LINE_USER,
    )
    .await;
    consent_first(&chromium, &shots).await;
    register_household(&chromium, &shots).await;
    chromium
        .click_and_wait("form[action='/me/channels/line'] button[type=submit]")
        .await;
    assert!(
        chromium.text().await.contains("LINEでのお知らせを受け取るには"),
        "consent is asked first"
    );
    chromium.click("#line-consent").await;
    chromium
        .click_and_wait("form[action='/me/channels/line'] button[type=submit]")
        .await;
    let channels = chromium
        .evaluate("return fetch('/api/v1/me/channels').then(r => r.json())")
        .await;
    assert_eq!(channels[0]["kind"], "line", "{channels}");
    assert_eq!(channels[0]["address"], kosodate_tests::LINE_USER);
    assert_eq!(channels[0]["opted_in"], true);
    assert!(chromium.text().await.contains("LINEは登録済みです"));
    chromium.close().await;
}

/// The calendar: a secret address made on the page, whose `.ics` names the programs with links
/// back to their pages.
async fn calendar_feed(chromium: &Chromium, shots: &Path) {
    let base = base_of(chromium).await;
    chromium.visit(&format!("{base}/me"), (360, 740)).await;
    chromium.click_and_wait("a[href='/me/calendar']").await;
    chromium
        .click_and_wait("form[action='/me/calendar'] button[type=submit]")
        .await;
    chromium.check_open_page(shots, "calendar").await;
    let feed = chromium
        .evaluate("return document.getElementById('feed-url').value")
        .await;
    let feed = feed.as_str().expect("the feed's address").to_owned();
    assert!(feed.ends_with(".ics") && feed.contains("/calendar/"), "{feed}");
    let ics = chromium
        .evaluate(&format!("return fetch({feed:?}).then(r => r.text())"))
        .await;
    let ics = ics.as_str().unwrap_or_default();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(
        ics.contains("BEGIN:VEVENT") && ics.contains("/programs/"),
        "{ics}"
    );
    assert!(!ics.contains("上の子"), "no nickname in a calendar");
}
