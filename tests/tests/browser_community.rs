//! The parents' community in real headless Chromium, on both databases, signed in through the
//! OpenID Provider's own form: a parent joins, checks for similar questions and is shown one,
//! has a phone number caught before anything is stored, and posts; another parent answers; a
//! 保健師 verified by the prefecture on its page answers with the badge; the asker accepts and was
//! told by email; a report reaches the moderation queue, where a hide is recorded in the audit
//! log. axe-core runs at a phone's and a desktop's width on every page; screenshots are kept
//! (`community-…`).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use kosodate_domain::EmailAddress;
use kosodate_households::{HouseholdId, Households};
use kosodate_test_peers::smtp::SmtpServer;
use kosodate_tests::browser::Chromium;
use kosodate_tests::{Backend, Browser, TestApp, both_backends, call};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::json;

both_backends!(parents_ask_answer_and_staff_moderate_in_a_browser);

fn screenshots(backend: Backend) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots")
        .join(format!("{backend:?}").to_lowercase())
}

/// A parent of the API with the community consent and a display name.
async fn member(app: &TestApp, login: &str, name: &str) -> Browser {
    let parent = Browser::sign_in(app, "parents", login).await;
    parent.consent("community").await;
    let body = json!({"display_name": name});
    call(
        parent.send(Method::POST, "/api/v1/community/members").json(&body),
        201,
    )
    .await;
    parent
}

/// The asker's household with a verified email address and consent to email notices.
async fn asker_email(app: &TestApp) {
    let parent = Browser::sign_in(app, "parents", "hanako").await;
    parent.consent("matching").await;
    parent.consent("notice_email").await;
    let household = json!({
        "municipality_code": "022012",
        "children": [{"birth_date": Utc::now().date_naive() - chrono::Days::new(200)}],
        "preferences": {"quiet_from": "00:00", "quiet_until": "00:00", "daily_digest": false},
    });
    let created = call(
        parent.send(Method::PUT, "/api/v1/me/household").json(&household),
        201,
    )
    .await;
    let id = HouseholdId::parse(created["id"].as_str().unwrap()).unwrap();
    let households = Households::new(app.db.clone());
    let address = EmailAddress::parse("hanako.parent@example.jp").unwrap();
    let (_, token) = households.add_email(id, &address).await.unwrap();
    households.verify_email(&token.0).await.unwrap();
}

async fn sign_in(chromium: &Chromium, url: &str, provider: &str, login: &str) {
    chromium.visit(url, (360, 740)).await;
    let button = format!("a.button[href^='/auth/login/{provider}']");
    chromium.click_and_wait(&button).await;
    chromium.fill("input[name=login]", login).await;
    chromium.click_and_wait("button[type=submit]").await;
}

async fn parents_ask_answer_and_staff_moderate_in_a_browser(backend: Backend) {
    let smtp = SmtpServer::start().await.unwrap();
    let smtp_url = smtp.url();
    let extra = json!({
        "taro": {"name": "八戸 太郎"},
        "kana": {"name": "むつ 佳奈"},
    });
    let signed_in = kosodate_tests::spawn_app_with_sign_in_accounts_and(backend, extra, |settings| {
        settings.load_examples = Some(true);
        settings.notices.worker_in_server = true;
        settings.notices.idle_poll_millis = 50;
        settings.notices.smtp_url = Some(SecretString::from(smtp_url));
    })
    .await;
    let app = &signed_in.app;
    let shots = screenshots(backend);
    let helper = member(app, "taro", "八戸のパパ").await;
    let earlier = json!({"category": "infant", "title": "夜泣きで眠れません", "body": "生後6か月の夜泣きがひどいです。"});
    let earlier_id = call(
        helper
            .send(Method::POST, "/api/v1/community/questions")
            .json(&earlier),
        201,
    )
    .await["id"]
        .as_str()
        .expect("the question's id")
        .to_owned();
    asker_email(app).await;

    let asker = Chromium::start().await;
    join(&asker, app, &shots).await;
    let question = ask(&asker, &shots).await;
    let answered = json!({"body": "寝る前の授乳の時間を決めたら落ち着きました。"});
    let path = format!("/api/v1/community/questions/{question}/answers");
    call(helper.send(Method::POST, &path).json(&answered), 201).await;
    let nurse = member(app, "kana", "むつの保健室").await;
    let request = json!({"profession": "public_health_nurse", "organisation": "むつ市 保健センター"});
    call(
        nurse
            .send(Method::POST, "/api/v1/community/members/me/expert")
            .json(&request),
        200,
    )
    .await;

    let staff = Chromium::start().await;
    sign_in(&staff, &app.url("/staff/community"), "staff", "prefecture").await;
    assert_eq!(staff.path().await, "/staff/community");
    assert!(
        staff.text().await.contains("むつの保健室"),
        "{}",
        staff.text().await
    );
    staff.check_open_page(&shots, "community-staff-experts").await;
    staff.click_and_wait("button[name=decision][value=verify]").await;
    let nursing =
        json!({"body": "夜泣きは成長の一時期によくあります。つらいときは保健センターにご相談ください。"});
    call(nurse.send(Method::POST, &path).json(&nursing), 201).await;

    accept(&asker, app, &question, &shots).await;
    // The household's first results are mailed too; the answers are the mails about the question.
    let mail = smtp.wait_for_count(3, Duration::from_secs(60)).await.unwrap();
    let answers: Vec<String> = mail
        .iter()
        .filter_map(|mail| mail.subject.clone())
        .filter(|subject| subject.contains("質問「夜泣きがひどい」に回答がありました"))
        .collect();
    assert_eq!(answers.len(), 2, "one mail per answer: {answers:?}");
    assert!(mail.iter().all(|mail| mail.to == ["hanako.parent@example.jp"]));

    let report = json!({"post_kind": "question", "post_id": question, "reason": "personal_data"});
    call(
        helper
            .send(Method::POST, "/api/v1/community/reports")
            .json(&report),
        204,
    )
    .await;
    moderate(&staff, app, &question, &shots).await;
    pages_pass_axe(&asker, app, [&question, &earlier_id], &shots).await;
    staff.close().await;
    asker.close().await;
}

/// `/community/ask` sends a parent to sign in, then to join: the consent and a display name.
async fn join(chromium: &Chromium, app: &TestApp, shots: &Path) {
    sign_in(chromium, &app.url("/community/ask"), "parents", "hanako").await;
    assert_eq!(chromium.path().await, "/community/join");
    chromium.check_open_page(shots, "community-join").await;
    chromium.fill("#display_name", "りんごママ").await;
    chromium.click_and_wait("button[type=submit]").await;
    assert!(
        chromium.text().await.contains("同意が必要です"),
        "{}",
        chromium.text().await
    );
    chromium.click("#consent").await;
    chromium.click_and_wait("button[type=submit]").await;
    assert!(
        chromium.path().await.starts_with("/community/mine"),
        "{}",
        chromium.path().await
    );
    chromium.check_open_page(shots, "community-mine").await;
}

/// Similar questions first; a phone number is caught, shown masked, and nothing is stored until
/// the parent edits it out; then the question's page with where to ask in person.
async fn ask(chromium: &Chromium, shots: &Path) -> String {
    chromium.click_and_wait("a[href='/community/ask']").await;
    chromium.select("#category", "infant").await;
    chromium.select("#place", "022012").await;
    chromium.fill("#title", "夜泣きがひどい").await;
    chromium
        .fill(
            "#body",
            "毎晩夜泣きで困っています。０９０−１２３４−５６７８に電話ください。",
        )
        .await;
    chromium
        .click_and_wait("button[name=action][value=similar]")
        .await;
    let shown = chromium.text().await;
    assert!(
        shown.contains("似た質問") && shown.contains("夜泣きで眠れません"),
        "{shown}"
    );
    chromium.check_open_page(shots, "community-similar").await;
    chromium.click_and_wait("button[name=action][value=post]").await;
    let caught = chromium.text().await;
    assert!(
        caught.contains("電話番号") && caught.contains("［電話番号］"),
        "{caught}"
    );
    assert!(chromium.path().await.starts_with("/community/ask"));
    chromium.check_open_page(shots, "community-personal-data").await;
    chromium
        .fill("#body", "毎晩夜泣きで困っています。みなさんはどうしていますか。")
        .await;
    chromium.click_and_wait("button[name=action][value=post]").await;
    let path = chromium.path().await;
    assert!(path.starts_with("/community/questions/"), "{path}");
    assert!(chromium.text().await.contains("直接相談できる窓口"));
    path.trim_start_matches("/community/questions/").to_owned()
}

/// The asker sees the expert's badge and chooses the other parent's answer.
async fn accept(chromium: &Chromium, app: &TestApp, question: &str, shots: &Path) {
    chromium
        .visit(&app.url(&format!("/community/questions/{question}")), (360, 740))
        .await;
    let page = chromium.text().await;
    assert!(page.contains("保健師（確認済み）"), "{page}");
    assert!(page.contains("八戸のパパ"), "{page}");
    chromium
        .click_and_wait("form[action$='/accept'] button[type=submit]")
        .await;
    assert!(chromium.text().await.contains("質問者が選んだ回答"));
    chromium.check_open_page(shots, "community-question").await;
}

/// The report is in the queue; hiding it with a reason is in the audit log.
async fn moderate(chromium: &Chromium, app: &TestApp, question: &str, shots: &Path) {
    chromium.visit(&app.url("/staff/community"), (1280, 800)).await;
    let queue = chromium.text().await;
    assert!(
        queue.contains("報告 1件") && queue.contains("個人情報"),
        "{queue}"
    );
    chromium.check_open_page(shots, "community-staff-queue").await;
    chromium
        .fill(&format!("#reason-{question}"), "個人が特定されるおそれ")
        .await;
    chromium.click_and_wait("button[name=action][value=hide]").await;
    assert!(chromium.text().await.contains("記録しました"));
    chromium
        .visit(&app.url("/staff/audit?action=community.hide"), (1280, 800))
        .await;
    let audit = chromium.text().await;
    assert!(audit.contains("community.hide"), "{audit}");
    let public = app
        .get(&format!("/api/v1/community/questions/{question}"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status().as_u16(), 404);
}

/// Every community page the asker meets, after she answers the earlier question so that her
/// answer's edit page is there too.
async fn pages_pass_axe(chromium: &Chromium, app: &TestApp, [question, earlier]: [&str; 2], shots: &Path) {
    let answer_edit = answer_and_find_edit_page(chromium, app, earlier).await;
    let pages = [
        ("community-list", "/community".to_owned()),
        (
            "community-list-filtered",
            "/community?category=infant&unanswered=1".to_owned(),
        ),
        ("community-search", "/community?q=夜泣き".to_owned()),
        (
            "community-own-hidden-question",
            format!("/community/questions/{question}"),
        ),
        (
            "community-history",
            format!("/community/questions/{question}/history"),
        ),
        ("community-ask", "/community/ask".to_owned()),
        ("community-mine-after", "/community/mine".to_owned()),
        ("community-answer-edit", answer_edit),
    ];
    let urls = pages.map(|(name, path)| (name.to_owned(), app.url(&path)));
    chromium.check_pages_at_every_width(urls, shots).await;
}

/// Answers `question` through its page's form; the path of the answer's edit page, which only
/// its author is offered.
async fn answer_and_find_edit_page(chromium: &Chromium, app: &TestApp, question: &str) -> String {
    chromium
        .visit(&app.url(&format!("/community/questions/{question}")), (1280, 800))
        .await;
    chromium
        .fill("#body", "うちは寝る前に部屋を暗くしたら落ち着きました。")
        .await;
    chromium.click_and_wait("button[name=action][value=post]").await;
    let edit = chromium
        .evaluate("return document.querySelector(\"a[href$='/edit'][href*='/answers/']\")?.getAttribute('href') ?? ''")
        .await;
    let path = edit.as_str().unwrap_or_default().to_owned();
    assert!(
        path.ends_with("/edit"),
        "no edit link for the author's answer: {}",
        chromium.text().await
    );
    path
}
