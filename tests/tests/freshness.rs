//! A registry that stays fresh without extra work: review reminders mailed once per cycle through
//! the real SMTP test server to the staff who signed in through the real OpenID Provider, their
//! signed 「内容に変更なし」 link recording a review, the link checker against a small HTTP server
//! on loopback, and the freshness figures the staff pages read. Both backends.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use kosodate_domain::{MunicipalityCode, ProgramId};
use kosodate_registry::freshness::problems::ProgramProblem;
use kosodate_registry::{ProgramOwner, Registry};
use kosodate_server::freshness::links::{LinkChecker, LinkCheckerConfig};
use kosodate_test_peers::smtp::SmtpServer;
use kosodate_tests::{
    Backend, Browser, HIROSAKI_CITY_TOKEN, PREFECTURE_TOKEN, both_backends, call, program_body, spawn_app,
    spawn_app_with_sign_in,
};
use secrecy::SecretString;
use serde_json::json;

fn today() -> chrono::NaiveDate {
    kosodate_domain::japan::date_of(chrono::Utc::now())
}

const HIROSAKI: &str = "022021";
const STAFF_EMAIL: &str = "sato.kodomo@city.hirosaki.example.jp";

/// A review due a year and a day ago.
fn overdue_program(name: &str) -> serde_json::Value {
    let mut body = program_body(HIROSAKI, name);
    let reviewed = today() - chrono::Months::new(12) - chrono::Days::new(1);
    body["last_reviewed_on"] = json!(reviewed);
    body
}

/// The link in a reminder's text that records 「内容に変更なし」 for the program named `name`.
fn review_link(text: &str, name: &str) -> String {
    let section = text
        .split("■ ")
        .find(|section| section.starts_with(name))
        .unwrap_or_else(|| panic!("the mail lists {name}: {text}"));
    let line = section
        .lines()
        .find_map(|line| line.trim().strip_prefix("内容に変更なし: "))
        .unwrap_or_else(|| panic!("a review link for {name}: {section}"));
    line.trim().to_owned()
}

async fn a_due_review_is_mailed_once_and_its_link_records_the_review(backend: Backend) {
    let smtp = SmtpServer::start().await.unwrap();
    let smtp_url = smtp.url();
    let app = spawn_app_with_sign_in(backend, |settings| {
        settings.notices.smtp_url = Some(SecretString::from(smtp_url));
        settings.freshness.review_reminder_seconds = 1;
        let staff = settings
            .oidc
            .iter_mut()
            .find(|provider| provider.id == "staff")
            .expect("the staff provider");
        staff.scopes.push("email".into());
    })
    .await;
    let due = app
        .app
        .publish_program(HIROSAKI_CITY_TOKEN, &overdue_program("弘前市 乳児家庭訪問"))
        .await;
    // Reviewed yesterday: not due, not in the mail.
    app.app
        .publish_program(
            HIROSAKI_CITY_TOKEN,
            &program_body(HIROSAKI, "弘前市 子ども医療費"),
        )
        .await;
    // Nobody to remind yet: the reminder waits for a staff member with an address.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(smtp.messages().unwrap().is_empty());

    Browser::sign_in(&app.app, "staff", "hirosaki").await;
    let mails = smtp.wait_for_count(1, Duration::from_secs(20)).await.unwrap();
    // Several more rounds of the job: still one mail for this cycle.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails_later = smtp.messages().unwrap();
    assert_eq!(
        mails_later.len(),
        1,
        "one reminder per cycle, however often the job runs"
    );
    let mail = &mails[0];
    assert_eq!(mail.envelope_recipients, [STAFF_EMAIL]);
    assert!(
        mail.subject
            .as_deref()
            .unwrap()
            .contains("内容確認のお願い（1件）"),
        "{:?}",
        mail.subject
    );
    let text = mail.text_body.as_deref().unwrap();
    assert!(text.contains("弘前市 こども家庭課 佐藤 様"), "{text}");
    assert!(
        !text.contains("弘前市 子ども医療費"),
        "a program not due is not listed: {text}"
    );
    let link = review_link(text, "弘前市 乳児家庭訪問");

    // A GET (a mail scanner) records nothing.
    let browser = reqwest::Client::new();
    let confirm = browser.get(&link).send().await.unwrap();
    assert_eq!(confirm.status(), 200);
    let page = confirm.text().await.unwrap();
    assert!(
        page.contains("内容に変更なし") && page.contains("<form method=\"post\""),
        "{page}"
    );
    let program = call(app.app.get(&format!("/api/v1/programs/{due}")), 200).await;
    assert_ne!(program["last_reviewed_on"], json!(today()));

    let recorded = browser.post(&link).send().await.unwrap();
    assert_eq!(recorded.status(), 200);
    assert!(recorded.text().await.unwrap().contains("確認を記録しました"));
    let program = call(app.app.get(&format!("/api/v1/programs/{due}")), 200).await;
    assert_eq!(program["last_reviewed_on"], json!(today()));
    let history = call(
        app.app
            .get(&format!("/api/v1/programs/{due}/history"))
            .bearer_auth(HIROSAKI_CITY_TOKEN),
        200,
    )
    .await;
    let last = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "reviewed", "{last}");
    assert_eq!(last["actor"], "弘前市 こども家庭課 佐藤");

    // The same link again: the program moved on, and the page says so without recording.
    let again = browser.post(&link).send().await.unwrap();
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("すでに更新されています"));
    // An altered token is refused.
    // The last character changed, whatever it was (a token may end in 'A').
    let last_character = if link.ends_with('A') { 'B' } else { 'A' };
    let forged = format!("{}{last_character}", &link[..link.len() - 1]);
    assert_eq!(browser.get(&forged).send().await.unwrap().status(), 404);
}

/// A small web server on loopback with every answer a program's page may give.
struct Website {
    base: String,
    missing: Arc<AtomicBool>,
}

async fn website() -> Website {
    let missing = Arc::new(AtomicBool::new(true));
    let flaky = missing.clone();
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route(
            "/page",
            get(move || {
                let missing = flaky.load(Ordering::SeqCst);
                async move {
                    match missing {
                        true => StatusCode::NOT_FOUND,
                        false => StatusCode::OK,
                    }
                }
            }),
        )
        .route("/error", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route(
            "/moved",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/ok")]) }),
        )
        .route(
            "/loop",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop")]) }),
        )
        .route(
            "/no-head",
            any(|method: Method| async move {
                match method == Method::HEAD {
                    true => StatusCode::METHOD_NOT_ALLOWED.into_response(),
                    false => "ok".into_response(),
                }
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Website { base, missing }
}

fn checker(registry: &Registry) -> LinkChecker {
    LinkChecker::new(
        registry.clone(),
        LinkCheckerConfig {
            timeout: Duration::from_millis(800),
            host_delay: Duration::from_millis(10),
            allow_private_addresses: true,
        },
    )
}

async fn the_link_checker_flags_a_404_after_two_failures_and_clears_on_recovery(backend: Backend) {
    let site = website().await;
    let app = spawn_app(backend).await;
    let registry = Registry::new(app.db.clone());
    let links = checker(&registry);

    for (path, ok) in [
        ("/ok", true),
        ("/moved", true),
        ("/no-head", true),
        ("/page", false),
        ("/error", false),
        ("/loop", false),
        ("/slow", false),
    ] {
        let status = links.check_url(&format!("{}{path}", site.base)).await;
        assert_eq!(status.is_ok(), ok, "{path}: {status:?}");
    }
    let slow = links.check_url(&format!("{}/slow", site.base)).await;
    assert_eq!(slow.status, None, "nothing answered in time");
    // Without permission, the checker does not reach into its own network.
    let guarded = LinkChecker::new(
        registry.clone(),
        LinkCheckerConfig {
            timeout: Duration::from_secs(1),
            host_delay: Duration::ZERO,
            allow_private_addresses: false,
        },
    );
    assert!(!guarded.check_url(&format!("{}/ok", site.base)).await.is_ok());

    let mut body = program_body(HIROSAKI, "弘前市 一時預かり");
    body["source_url"] = json!(format!("{}/page", site.base));
    body["contact"]["url"] = json!(format!("{}/moved", site.base));
    body["application_methods"] = json!([{"kind": "online", "url": format!("{}/no-head", site.base)}]);
    let id = app.publish_program(HIROSAKI_CITY_TOKEN, &body).await;
    let id = ProgramId::parse(&id).unwrap();
    let broken = |problems: &[ProgramProblem]| {
        problems
            .iter()
            .filter_map(|problem| match problem {
                ProgramProblem::BrokenLink { url, .. } => Some(url.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };

    let first = links.run().await.unwrap();
    assert_eq!((first.checked, first.failed), (3, 1), "{first:?}");
    let problems = registry.program_problems(id, today()).await.unwrap();
    assert!(
        broken(&problems).is_empty(),
        "one failure is a blip: {problems:?}"
    );

    links.run().await.unwrap();
    let problems = registry.program_problems(id, today()).await.unwrap();
    assert_eq!(broken(&problems), [format!("{}/page", site.base)]);
    let hirosaki = hirosaki_line(&registry).await;
    assert_eq!(hirosaki.broken_links, 1);

    site.missing.store(false, Ordering::SeqCst);
    let states = links.check_program(id).await.unwrap();
    assert!(states.iter().all(|state| !state.is_broken()), "{states:?}");
    let problems = registry.program_problems(id, today()).await.unwrap();
    assert!(broken(&problems).is_empty(), "{problems:?}");
}

async fn hirosaki_line(registry: &Registry) -> kosodate_registry::freshness::problems::MunicipalityFreshness {
    let lines = registry.municipality_freshness(today()).await.unwrap();
    assert_eq!(lines.len(), 40, "the prefecture's 40 municipalities");
    lines
        .into_iter()
        .find(|line| line.municipality.code == MunicipalityCode::parse(HIROSAKI).unwrap())
        .unwrap()
}

async fn problems_and_counts_follow_reviews_and_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let registry = Registry::new(app.db.clone());
    let mut body = overdue_program("弘前市 産後ケア");
    body["contact"] = json!({"section": "こども家庭課"});
    let id = app.publish_program(HIROSAKI_CITY_TOKEN, &body).await;
    let program_id = ProgramId::parse(&id).unwrap();
    let owner = ProgramOwner::parse(HIROSAKI).unwrap();

    let programs = registry.program_freshness(owner, today()).await.unwrap();
    let problems = &programs[0].problems;
    assert!(
        matches!(problems[0], ProgramProblem::ReviewOverdue { .. }),
        "{problems:?}"
    );
    assert!(problems.contains(&ProgramProblem::MissingContact));
    assert!(problems.contains(&ProgramProblem::NoStructuredRule));
    assert_eq!(hirosaki_line(&registry).await.overdue_reviews, 1);
    assert_eq!(hirosaki_line(&registry).await.programs, 1);

    // Any change by staff is a review.
    body["summary"] = json!("産後の母子の心身のケアを行います。");
    body["review_cycle_months"] = json!(6);
    let changed = call(
        app.client
            .put(app.url(&format!("/api/v1/programs/{id}")))
            .bearer_auth(HIROSAKI_CITY_TOKEN)
            .json(&body),
        200,
    )
    .await;
    assert_eq!(changed["last_reviewed_on"], json!(today()), "{changed}");
    assert_eq!(changed["review_cycle_months"], 6);
    let problems = registry.program_problems(program_id, today()).await.unwrap();
    assert!(
        !problems
            .iter()
            .any(|p| matches!(p, ProgramProblem::ReviewOverdue { .. })),
        "{problems:?}"
    );
    assert_eq!(hirosaki_line(&registry).await.overdue_reviews, 0);

    // A cycle out of range is refused at its field.
    body["review_cycle_months"] = json!(0);
    let refused = call(
        app.client
            .put(app.url(&format!("/api/v1/programs/{id}")))
            .bearer_auth(HIROSAKI_CITY_TOKEN)
            .json(&body),
        422,
    )
    .await;
    assert_eq!(
        refused["errors"][0]["pointer"], "/review_cycle_months",
        "{refused}"
    );
}

/// 「国・県の制度が変更されました」: a prefecture program's material change flags the municipal
/// programs of its type until each is reviewed; a change that tells parents nothing new does not.
async fn a_prefecture_change_flags_municipal_programs_of_its_type(backend: Backend) {
    let app = spawn_app(backend).await;
    let registry = Registry::new(app.db.clone());
    let typed = |owner: &str, name: &str| {
        let mut body = program_body(owner, name);
        body["program_type"] = json!("prenatal_checkup");
        body
    };
    let prefecture = app
        .publish_program(PREFECTURE_TOKEN, &typed("020001", "青森県 妊婦健診の助成"))
        .await;
    let hirosaki = app
        .publish_program(HIROSAKI_CITY_TOKEN, &typed(HIROSAKI, "弘前市 妊婦健康診査"))
        .await;
    let other_type = app
        .publish_program(
            HIROSAKI_CITY_TOKEN,
            &program_body(HIROSAKI, "弘前市 子ども医療費"),
        )
        .await;
    let flagged = |problems: &[ProgramProblem]| {
        problems
            .iter()
            .filter_map(|problem| match problem {
                ProgramProblem::RelatedProgramChanged(change) => Some(change.changed_program_name.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let problems_of = |id: &str| {
        let registry = registry.clone();
        let id = ProgramId::parse(id).unwrap();
        async move { registry.program_problems(id, today()).await.unwrap() }
    };
    let update = |body: serde_json::Value| {
        app.client
            .put(app.url(&format!("/api/v1/programs/{prefecture}")))
            .bearer_auth(PREFECTURE_TOKEN)
            .json(&body)
    };

    let mut body = typed("020001", "青森県 妊婦健診の助成");
    body["summary"] = json!("妊婦健康診査の費用を助成します（表現の修正）。");
    call(update(body.clone()), 200).await;
    assert!(
        flagged(&problems_of(&hirosaki).await).is_empty(),
        "a wording change is not material"
    );

    body["benefit"] = json!({"description": "14回分の健診費用", "amount_yen": 120000});
    call(update(body), 200).await;
    let problems = problems_of(&hirosaki).await;
    assert_eq!(flagged(&problems), ["青森県 妊婦健診の助成"], "{problems:?}");
    let message = problems
        .iter()
        .find(|problem| matches!(problem, ProgramProblem::RelatedProgramChanged(_)))
        .unwrap()
        .message_ja();
    assert!(message.starts_with("国・県の制度が変更されました"), "{message}");
    assert!(
        flagged(&problems_of(&other_type).await).is_empty(),
        "another type is not flagged"
    );
    assert!(
        flagged(&problems_of(&prefecture).await).is_empty(),
        "the changed program itself is not"
    );

    let staff = kosodate_registry::StaffIdentity::for_organisation(
        "弘前市 こども家庭課",
        MunicipalityCode::parse(HIROSAKI).unwrap(),
    );
    let reviewed = registry
        .record_review(&staff, ProgramId::parse(&hirosaki).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        reviewed.content.last_reviewed_on.map(|date| date.date()),
        Some(today())
    );
    assert!(
        flagged(&problems_of(&hirosaki).await).is_empty(),
        "reviewed: the flag is done"
    );
}

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

async fn staff_page(browser: &Browser, path: &str, status: u16) -> String {
    let response = browser
        .get(path)
        .header(reqwest::header::ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), status, "{path}");
    response.text().await.unwrap()
}

/// The row of the freshness table that names `municipality`, as its cells' text.
fn table_row(page: &str, municipality: &str) -> Vec<String> {
    let tbody = &page[page.find("<tbody>").unwrap()..page.find("</tbody>").unwrap()];
    let row = tbody
        .split("<tr>")
        .find(|row| row.contains(&format!(">{municipality}</th>")))
        .unwrap_or_else(|| panic!("a row for {municipality}"));
    row.split_inclusive(['\n'])
        .flat_map(|line| line.split("</td>"))
        .map(without_tags)
        .filter(|cell| !cell.trim().is_empty())
        .collect()
}

fn without_tags(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    text
}

async fn the_prefecture_table_shows_an_overdue_program(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    app.app
        .publish_program(HIROSAKI_CITY_TOKEN, &overdue_program("弘前市 乳児家庭訪問"))
        .await;
    app.app
        .publish_program(
            HIROSAKI_CITY_TOKEN,
            &program_body(HIROSAKI, "弘前市 子ども医療費"),
        )
        .await;
    let prefecture = Browser::sign_in(&app.app, "staff", "prefecture").await;
    let page = staff_page(&prefecture, "/staff/freshness", 200).await;
    assert_eq!(
        page.matches("<th scope=\"row\">").count(),
        40,
        "the 40 municipalities"
    );
    let hirosaki = table_row(&page, "弘前市");
    assert_eq!(
        hirosaki[1..4],
        ["2", "1", "0"],
        "programs, overdue, broken: {hirosaki:?}"
    );
    assert!(page.contains("role=\"img\"") && page.contains("<title id=\"chart-title\">"));
    assert!(
        page.contains("2件（期限切れ1件）"),
        "the chart's label for 弘前市"
    );

    // Sorted by overdue reviews, most first: 弘前市 leads, and the header says how it is sorted.
    let sorted = staff_page(&prefecture, "/staff/freshness?sort=overdue&order=desc", 200).await;
    let first_row = &sorted[sorted.find("<tbody>").unwrap()..];
    let first = first_row.split("<th scope=\"row\">").nth(1).unwrap();
    assert!(first.starts_with("弘前市<"), "{first}");
    assert!(
        sorted.contains(
            "aria-sort=\"descending\"><a href=\"/staff/freshness?sort=overdue&#38;order=asc\">確認期限切れ"
        ),
        "the sorted header turns the order around: {}",
        &sorted[sorted.find("<thead>").unwrap()..sorted.find("</thead>").unwrap()]
    );
    assert_eq!(sorted.matches("aria-sort=").count(), 1);
    // An unknown sort shows the default order rather than an error.
    staff_page(&prefecture, "/staff/freshness?sort=everything", 200).await;

    let municipal = Browser::sign_in(&app.app, "staff", "hirosaki").await;
    staff_page(&municipal, "/staff/freshness", 403).await;
}

both_backends!(
    the_prefecture_table_shows_an_overdue_program,
    a_prefecture_change_flags_municipal_programs_of_its_type,
    a_due_review_is_mailed_once_and_its_link_records_the_review,
    the_link_checker_flags_a_404_after_two_failures_and_clears_on_recovery,
    problems_and_counts_follow_reviews_and_changes,
);
