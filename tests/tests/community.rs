//! The parents' community through its JSON API and its pages, without a browser: the community
//! consent and display name before posting, similar questions before asking, personal data
//! refused (422 with each finding's kind and pointer) and then stored masked, the asker told of an
//! answer once by email, the expert badge after staff verification, accepting, reporting through
//! the moderation queue to a hide that is audited and a restore, the rate limit (429), leaving with
//! the posts anonymised or removed, and "My data".

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use chrono::Utc;
use kosodate_community::{AnswerInput, Community, Masking};
use kosodate_domain::EmailAddress;
use kosodate_households::{HouseholdId, Households};
use kosodate_planner::CommunityNotices;
use kosodate_server::community::sweep_answer_notices;
use kosodate_test_peers::smtp::SmtpServer;
use kosodate_tests::{Backend, Browser, PREFECTURE_TOKEN, SignInApp, TestApp, both_backends, call};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

both_backends!(
    posting_needs_the_community_consent_and_a_display_name,
    an_answer_reaches_the_asker_once_by_email,
    the_sweep_plans_an_answer_notice_the_request_did_not,
    withdrawing_the_community_consent_cancels_queued_answer_notices,
    the_author_edits_an_answer_on_its_page,
    personal_data_is_refused_then_masked,
    the_question_list_names_a_filter_it_does_not_know,
    an_expert_answers_with_a_badge_once_verified,
    a_report_reaches_the_queue_and_a_hide_is_audited,
    too_many_questions_are_refused_with_retry_after,
    leaving_anonymises_or_removes_the_posts,
    the_pages_ask_show_similar_questions_and_catch_personal_data
);

/// Parents (`hanako`, `taro`, `kana`) and the prefecture's staff, with a real SMTP peer for
/// notices when `smtp` is given.
async fn app(backend: Backend, smtp: Option<&SmtpServer>) -> SignInApp {
    let extra = json!({
        "taro": {"name": "八戸 太郎"},
        "kana": {"name": "むつ 佳奈", "email": "kana.nurse@example.jp"},
    });
    let smtp = smtp.map(SmtpServer::url);
    kosodate_tests::spawn_app_with_sign_in_accounts_and(backend, extra, move |settings| {
        if let Some(smtp) = smtp {
            settings.notices.worker_in_server = true;
            settings.notices.idle_poll_millis = 50;
            settings.notices.smtp_url = Some(SecretString::from(smtp));
        }
    })
    .await
}

/// A parent signed in, with the community consent and a display name.
async fn member(app: &TestApp, login: &str, name: &str) -> Browser {
    let parent = Browser::sign_in(app, "parents", login).await;
    parent.consent("community").await;
    let joined = call(
        parent
            .send(Method::POST, "/api/v1/community/members")
            .json(&json!({"display_name": name})),
        201,
    )
    .await;
    assert_eq!(joined["display_name"], name);
    parent
}

fn question(title: &str, body: &str) -> Value {
    json!({"category": "infant", "municipality": "022012", "age_band": "age0", "title": title, "body": body})
}

async fn ask(parent: &Browser, body: &Value, status: u16) -> Value {
    call(
        parent
            .send(Method::POST, "/api/v1/community/questions")
            .json(body),
        status,
    )
    .await
}

async fn answer(parent: &Browser, question: &str, body: &str, status: u16) -> Value {
    let path = format!("/api/v1/community/questions/{question}/answers");
    call(
        parent.send(Method::POST, &path).json(&json!({"body": body})),
        status,
    )
    .await
}

async fn read(parent: &Browser, question: &str, status: u16) -> Value {
    call(
        parent.get(&format!("/api/v1/community/questions/{question}")),
        status,
    )
    .await
}

/// A moderation decision sent by `staff`, answered with `status`.
async fn moderate(staff: &Browser, decision: &Value, status: u16) -> Value {
    call(
        staff
            .send(Method::POST, "/api/v1/community/moderation")
            .json(decision),
        status,
    )
    .await
}

async fn posting_needs_the_community_consent_and_a_display_name(backend: Backend) {
    let signed = app(backend, None).await;
    let app = &signed.app;
    let parent = Browser::sign_in(app, "parents", "hanako").await;
    let join = |name: &str| {
        parent
            .send(Method::POST, "/api/v1/community/members")
            .json(&json!({"display_name": name}))
    };
    let refused = call(join("りんごママ"), 403).await;
    assert_eq!(refused["type"], "/problems/community-consent-required");
    assert!(refused["detail_en"].as_str().is_some());
    ask(&parent, &question("夜泣きについて", "夜泣きがひどいです"), 403).await;
    parent.consent("community").await;
    for impersonating in ["運営", "保健師さん", "x"] {
        let invalid = call(join(impersonating), 422).await;
        assert_eq!(invalid["errors"][0]["pointer"], "/display_name", "{invalid}");
    }
    call(join("りんごママ"), 201).await;
    let other = Browser::sign_in(app, "parents", "taro").await;
    other.consent("community").await;
    let taken = call(
        other
            .send(Method::POST, "/api/v1/community/members")
            .json(&json!({"display_name": "リンゴママ"})),
        409,
    )
    .await;
    assert!(taken["detail"].as_str().unwrap().contains("表示名"), "{taken}");
    let me = call(parent.get("/api/v1/community/members/me"), 200).await;
    assert_eq!(me["display_name"], "りんごママ");
    ask(&parent, &question("夜泣きについて", "夜泣きがひどいです"), 201).await;
}

/// The asker's household in 青森市 with a verified email address and consent to email notices.
async fn with_email(app: &TestApp, parent: &Browser, address: &str) -> HouseholdId {
    parent.consent("matching").await;
    parent.consent("notice_email").await;
    let birth = Utc::now().date_naive() - chrono::Days::new(200);
    let household = json!({
        "municipality_code": "022012",
        "children": [{"birth_date": birth}],
        "preferences": {"quiet_from": "00:00", "quiet_until": "00:00", "daily_digest": false},
    });
    let created = call(
        parent.send(Method::PUT, "/api/v1/me/household").json(&household),
        201,
    )
    .await;
    let id = HouseholdId::parse(created["id"].as_str().unwrap()).unwrap();
    let households = Households::new(app.db.clone());
    let (_, token) = households
        .add_email(id, &EmailAddress::parse(address).unwrap())
        .await
        .unwrap();
    households.verify_email(&token.0).await.unwrap();
    id
}

/// Questions like `text`, once the index has caught up with what was just posted.
async fn similar_eventually(parent: &Browser, text: &str, wanted: &str) -> Value {
    for _ in 0..50 {
        let found = call(
            parent
                .send(Method::POST, "/api/v1/community/similar")
                .json(&json!({"title": text})),
            200,
        )
        .await;
        if found
            .as_array()
            .unwrap()
            .iter()
            .any(|question| question["id"] == wanted)
        {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{wanted} never became similar to {text}");
}

async fn an_answer_reaches_the_asker_once_by_email(backend: Backend) {
    let smtp = SmtpServer::start().await.unwrap();
    let signed = app(backend, Some(&smtp)).await;
    let app = &signed.app;
    let asker = member(app, "hanako", "りんごママ").await;
    with_email(app, &asker, "hanako.parent@example.jp").await;
    let asked = ask(
        &asker,
        &question(
            "夜泣きで眠れません",
            "生後6か月の夜泣きがひどくて、毎晩眠れません。",
        ),
        201,
    )
    .await;
    let id = asked["id"].as_str().unwrap().to_owned();
    assert_eq!(asked["url"], format!("/community/questions/{id}"));
    let similar = similar_eventually(&asker, "夜泣きがひどい", &id).await;
    assert_eq!(similar[0]["title"], "夜泣きで眠れません", "{similar}");

    let helper = member(app, "taro", "八戸のパパ").await;
    let posted = answer(
        &helper,
        &id,
        "うちは寝る前の授乳の時間を決めたら落ち着きました。",
        201,
    )
    .await;
    let mail = smtp.wait_for_count(1, Duration::from_secs(20)).await.unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["hanako.parent@example.jp"]);
    let subject = mail[0].subject.clone().unwrap_or_default();
    assert!(
        subject.contains("質問「夜泣きで眠れません」に回答がありました"),
        "{subject}"
    );
    let body = mail[0].text_body.clone().unwrap_or_default();
    assert!(body.contains(&format!("/community/questions/{id}")), "{body}");
    assert!(
        !body.contains("授乳"),
        "a notice never repeats the answer: {body}"
    );

    // The asker's own answer tells nobody; accepting moves the chosen answer first.
    answer(&asker, &id, "ありがとうございます、試してみます。", 201).await;
    let second = answer(&helper, &id, "昼間に外で遊ぶとよく寝ました。", 201).await;
    let accepted = posted["id"].as_str().unwrap();
    let path = format!("/api/v1/community/answers/{accepted}/accept");
    call(helper.send(Method::POST, &path), 403).await;
    call(asker.send(Method::POST, &path), 204).await;
    let shown = read(&asker, &id, 200).await;
    assert_eq!(shown["question"]["accepted_answer"], accepted);
    assert_eq!(shown["question"]["answers"][0]["id"], accepted);
    let helpful = format!(
        "/api/v1/community/answers/{}/helpful",
        second["id"].as_str().unwrap()
    );
    call(asker.send(Method::PUT, &helpful), 204).await;
    call(helper.send(Method::PUT, &helpful), 409).await;

    let mail = smtp.wait_for_count(3, Duration::from_secs(3)).await;
    let count = mail.map_or_else(|_| smtp.messages().unwrap().len(), |mail| mail.len());
    assert_eq!(count, 2, "one mail per answer by someone else");
}

/// A member's account id, found by their display name.
async fn member_account(app: &TestApp, display_name: &str) -> Uuid {
    let statement = Statement::from_sql_and_values(
        app.db.get_database_backend(),
        match app.backend {
            Backend::Sqlite => "SELECT account_id FROM community_members WHERE display_name = ?",
            Backend::Postgres => "SELECT account_id FROM community_members WHERE display_name = $1",
        },
        [display_name.into()],
    );
    let row = app.db.query_one_raw(statement).await.unwrap().unwrap();
    let account: String = row.try_get("", "account_id").unwrap();
    Uuid::parse_str(&account).unwrap()
}

async fn the_sweep_plans_an_answer_notice_the_request_did_not(backend: Backend) {
    let smtp = SmtpServer::start().await.unwrap();
    let signed = app(backend, Some(&smtp)).await;
    let app = &signed.app;
    let asker = member(app, "hanako", "りんごママ").await;
    with_email(app, &asker, "hanako.parent@example.jp").await;
    let asked = ask(
        &asker,
        &question("卒乳の時期", "みなさんはいつ頃卒乳しましたか。"),
        201,
    )
    .await;
    let asked = Uuid::parse_str(asked["id"].as_str().unwrap()).unwrap();
    member(app, "taro", "八戸のパパ").await;
    let helper = member_account(app, "八戸のパパ").await;

    // Stored by the community alone: as if the process stopped before planning the notice.
    let community = Community::new(app.db.clone());
    let body = AnswerInput {
        body: "うちは1歳半でした。".into(),
    };
    let posted = community
        .answer(helper, asked, &body, Masking::Ask, Utc::now())
        .await
        .unwrap();
    assert!(posted.notify.is_some());
    let notices = CommunityNotices::new(Households::new(app.db.clone()));
    let public_url = url::Url::parse(&format!("http://{}/", app.address)).unwrap();
    let sweep = |now| sweep_answer_notices(&community, &notices, &public_url, now);
    assert_eq!(
        sweep(Utc::now()).await.unwrap(),
        0,
        "the request path has a minute"
    );
    let later = Utc::now() + chrono::TimeDelta::minutes(2);
    assert_eq!(sweep(later).await.unwrap(), 1);
    let left = community.answers_awaiting_notice(later, 10, later).await.unwrap();
    assert!(left.is_empty(), "planned and marked in one go: {left:?}");
    assert_eq!(sweep(later).await.unwrap(), 0, "a second sweep sends nothing");

    let mail = smtp.wait_for_count(1, Duration::from_secs(20)).await.unwrap();
    let subject = mail[0].subject.clone().unwrap_or_default();
    assert!(subject.contains("卒乳の時期"), "{subject}");
    let mail = smtp.wait_for_count(2, Duration::from_secs(2)).await;
    let count = mail.map_or_else(|_| smtp.messages().unwrap().len(), |mail| mail.len());
    assert_eq!(count, 1, "notified once");
}

/// The statuses of a household's community answer notices.
async fn answer_notice_statuses(app: &TestApp, household: HouseholdId) -> Vec<String> {
    // A UUID written into the text: no placeholder syntax to tell the backends apart.
    let sql = format!(
        "SELECT status FROM notices WHERE household_id = '{household}' AND kind = 'community_answer'"
    );
    let statement = Statement::from_string(app.db.get_database_backend(), sql);
    let rows = app.db.query_all_raw(statement).await.unwrap();
    rows.iter()
        .map(|row| row.try_get::<String>("", "status").unwrap())
        .collect()
}

async fn withdrawing_the_community_consent_cancels_queued_answer_notices(backend: Backend) {
    // No notice worker: the notice stays queued.
    let signed = app(backend, None).await;
    let app = &signed.app;
    let asker = member(app, "hanako", "りんごママ").await;
    let household = with_email(app, &asker, "hanako.parent@example.jp").await;
    let asked = ask(&asker, &question("離乳食の進め方", "離乳食を嫌がります。"), 201).await;
    let helper = member(app, "taro", "八戸のパパ").await;
    answer(
        &helper,
        asked["id"].as_str().unwrap(),
        "少しずつで大丈夫でした。",
        201,
    )
    .await;
    assert_eq!(answer_notice_statuses(app, household).await, ["queued"]);

    call(asker.send(Method::DELETE, "/api/v1/me/consents/community"), 200).await;
    assert_eq!(answer_notice_statuses(app, household).await, ["cancelled"]);
}

async fn personal_data_is_refused_then_masked(backend: Backend) {
    let signed = app(backend, None).await;
    let app = &signed.app;
    let parent = member(app, "hanako", "りんごママ").await;
    let phone = question(
        "保育園の見学",
        "見学の日程を相談したいので０９０−１２３４−５６７８に電話ください。",
    );
    let refused = ask(&parent, &phone, 422).await;
    assert_eq!(refused["type"], "/problems/personal-data");
    assert_eq!(refused["errors"][0]["kind"], "phone_number", "{refused}");
    assert_eq!(refused["errors"][0]["pointer"], "/body");
    assert!(refused["detail_en"].as_str().is_some());
    let listed = call(parent.get("/api/v1/community/questions"), 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "nothing stored");

    let mut masked = phone.clone();
    masked["accept_masking"] = json!(true);
    let asked = ask(&parent, &masked, 201).await;
    let shown = read(&parent, asked["id"].as_str().unwrap(), 200).await;
    let body = shown["question"]["body"].as_str().unwrap();
    assert!(!body.contains("５６７８") && !body.contains("5678"), "{body}");
    assert!(body.contains("電話番号"), "{body}");

    let reply = json!({"body": "メールは hanako@example.jp まで"});
    let path = format!(
        "/api/v1/community/questions/{}/answers",
        asked["id"].as_str().unwrap()
    );
    let refused = call(parent.send(Method::POST, &path).json(&reply), 422).await;
    assert_eq!(refused["errors"][0]["kind"], "email_address", "{refused}");
}

/// A filter the list does not know, empty included, is named in a 400 rather than read as no
/// filter: the API says what it was given (the pages send their own forms, not through it).
async fn the_question_list_names_a_filter_it_does_not_know(backend: Backend) {
    let signed = app(backend, None).await;
    let app = &signed.app;
    for (query, parameter) in [
        ("category=&age_band=age1_to2", "category"),
        ("municipality=", "municipality"),
        ("region=", "region"),
        ("age_band=age9", "age_band"),
    ] {
        let refused = call(app.get(&format!("/api/v1/community/questions?{query}")), 400).await;
        assert_eq!(refused["errors"][0]["parameter"], parameter, "{refused}");
        assert!(refused["detail_en"].as_str().is_some(), "{refused}");
    }
    let narrowed = "/api/v1/community/questions?category=money&municipality=022012&age_band=age0";
    call(app.get(narrowed), 200).await;
}

async fn an_expert_answers_with_a_badge_once_verified(backend: Backend) {
    let signed = app(backend, None).await;
    let app = &signed.app;
    let asker = member(app, "hanako", "りんごママ").await;
    let asked = ask(
        &asker,
        &question("離乳食の進め方", "離乳食をいつから始めればよいですか。"),
        201,
    )
    .await;
    let id = asked["id"].as_str().unwrap();
    let nurse = member(app, "kana", "むつの保健室").await;
    let request = json!({"profession": "public_health_nurse", "organisation": "むつ市 保健センター"});
    let requested = call(
        nurse
            .send(Method::POST, "/api/v1/community/members/me/expert")
            .json(&request),
        200,
    )
    .await;
    answer(&nurse, id, "生後5〜6か月ごろが目安です。", 201).await;
    let before = read(&asker, id, 200).await;
    assert_eq!(before["question"]["answers"][0]["author"]["expert"], Value::Null);

    let staff = Browser::sign_in(app, "staff", "prefecture").await;
    let requests = call(staff.get("/api/v1/community/experts"), 200).await;
    assert_eq!(requests[0]["display_name"], "むつの保健室");
    let account = requested["account"].as_str().unwrap();
    let path = format!("/api/v1/community/experts/{account}");
    let verified = json!({"verified": true});
    let municipal = Browser::sign_in(app, "staff", "hirosaki").await;
    call(municipal.send(Method::PUT, &path).json(&verified), 403).await;
    call(app.put(&path, PREFECTURE_TOKEN).json(&verified), 403).await;
    call(staff.send(Method::PUT, &path).json(&verified), 200).await;
    answer(&nurse, id, "最初はおかゆをひとさじから始めましょう。", 201).await;
    let after = read(&asker, id, 200).await;
    let badges: Vec<&Value> = after["question"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|answer| &answer["author"]["expert"])
        .collect();
    assert!(badges.contains(&&json!("public_health_nurse")), "{after}");
    let (_, page) = asker.html_page(&format!("/community/questions/{id}")).await;
    assert!(page.contains("保健師（確認済み）"), "{page}");
}

async fn a_report_reaches_the_queue_and_a_hide_is_audited(backend: Backend) {
    let signed = app(backend, None).await;
    let app = &signed.app;
    let asker = member(app, "hanako", "りんごママ").await;
    let reporter = member(app, "taro", "八戸のパパ").await;
    let asked = ask(
        &asker,
        &question("おすすめの商品", "このサプリを買うと発達が早くなります。"),
        201,
    )
    .await;
    let id = asked["id"].as_str().unwrap();
    let report = json!({"post_kind": "question", "post_id": id, "reason": "misinformation", "note": "根拠がありません"});
    call(
        reporter
            .send(Method::POST, "/api/v1/community/reports")
            .json(&report),
        204,
    )
    .await;
    let staff = Browser::sign_in(app, "staff", "prefecture").await;
    let queue = call(staff.get("/api/v1/community/moderation"), 200).await;
    assert_eq!(queue[0]["post"]["id"], id, "{queue}");
    assert_eq!(queue[0]["reports"], 1);
    let municipal = Browser::sign_in(app, "staff", "hirosaki").await;
    call(municipal.get("/api/v1/community/moderation"), 403).await;

    let hide =
        json!({"post_kind": "question", "post_id": id, "action": "hide", "reason": "医学的根拠のない宣伝"});
    moderate(&municipal, &hide, 403).await;
    moderate(&staff, &hide, 200).await;
    call(app.get(&format!("/api/v1/community/questions/{id}")), 404).await;
    read(&asker, id, 200).await;
    let audit = call(staff.get("/api/v1/staff/audit-log?action=community.hide"), 200).await;
    let outcomes: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["target"].as_str().unwrap_or_default(),
                entry["outcome"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let target = format!("question:{id}");
    assert!(outcomes.contains(&(target.as_str(), "allowed")), "{audit}");
    assert!(outcomes.contains(&(target.as_str(), "denied")), "{audit}");

    let restore =
        json!({"post_kind": "question", "post_id": id, "action": "restore", "reason": "本人が修正予定"});
    moderate(&staff, &restore, 200).await;
    call(app.get(&format!("/api/v1/community/questions/{id}")), 200).await;
}

async fn too_many_questions_are_refused_with_retry_after(backend: Backend) {
    let signed = app(backend, None).await;
    let app = &signed.app;
    let parent = member(app, "hanako", "りんごママ").await;
    let mut refused = None;
    for number in 1..=10 {
        let body = question(
            &format!("質問その{number}"),
            "保育園の申し込みについて教えてください。",
        );
        let response = parent
            .send(Method::POST, "/api/v1/community/questions")
            .json(&body)
            .send()
            .await
            .unwrap();
        if response.status().as_u16() == 429 {
            refused = Some(response);
            break;
        }
        assert_eq!(response.status().as_u16(), 201);
    }
    let refused = refused.expect("the rate limit refuses within 10 questions an hour");
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/rate-limited");
    assert!(
        problem["detail"].as_str().unwrap().contains("分ほど待って"),
        "{problem}"
    );
}

async fn leaving_anonymises_or_removes_the_posts(backend: Backend) {
    let signed = app(backend, None).await;
    let app = &signed.app;
    let staying = member(app, "hanako", "りんごママ").await;
    let anonymous = member(app, "taro", "八戸のパパ").await;
    with_email(app, &anonymous, "taro@example.jp").await;
    let asked = ask(
        &staying,
        &question("保育園の申し込み", "締め切りはいつですか。"),
        201,
    )
    .await;
    let id = asked["id"].as_str().unwrap();
    answer(&anonymous, id, "市のホームページに載っています。", 201).await;
    let exported = call(anonymous.get("/api/v1/me/export"), 200).await;
    assert_eq!(
        exported["community"]["member"]["display_name"], "八戸のパパ",
        "{exported}"
    );
    assert_eq!(
        exported["community"]["answers"][0]["body"],
        "市のホームページに載っています。"
    );

    call(
        anonymous.send(Method::DELETE, "/api/v1/me/household?community_posts=sideways"),
        400,
    )
    .await;
    call(
        anonymous.send(Method::DELETE, "/api/v1/me/household?community_posts=anonymise"),
        204,
    )
    .await;
    let kept = read(&staying, id, 200).await;
    assert_eq!(
        kept["question"]["answers"][0]["author"]["display_name"],
        "退会したメンバー"
    );
    assert_eq!(
        kept["question"]["answers"][0]["body"],
        "市のホームページに載っています。"
    );

    let removing = member(app, "kana", "むつの保健室").await;
    answer(&removing, id, "窓口でも聞けますよ。", 201).await;
    call(
        removing.send(Method::DELETE, "/api/v1/community/members/me?posts=remove"),
        204,
    )
    .await;
    let after = read(&staying, id, 200).await;
    let bodies: Vec<&str> = after["question"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|answer| answer["body"].as_str())
        .collect();
    assert!(!bodies.contains(&"窓口でも聞けますよ。"), "{after}");
    call(removing.get("/api/v1/community/members/me"), 404).await;
}

/// A form as the page posts it, with the session's CSRF token; the status and the page.
async fn submit(parent: &Browser, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", parent.csrf.as_deref().unwrap())];
    form.extend_from_slice(fields);
    let response = parent
        .send(Method::POST, path)
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn the_pages_ask_show_similar_questions_and_catch_personal_data(backend: Backend) {
    let signed = app(backend, None).await;
    let app = &signed.app;
    let parent = Browser::sign_in(app, "parents", "hanako").await;
    let (status, page) = parent.html_page("/community/ask").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("子育てコミュニティへの参加"),
        "joining first: {page}"
    );
    let (status, page) = submit(&parent, "/community/join", &[("display_name", "りんごママ")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("同意が必要です"), "{page}");
    let version = call(parent.get("/api/v1/me/consents"), 200).await["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|purpose| purpose["purpose"] == "community")
        .unwrap()["current_text"]["version"]
        .to_string();
    let join = [
        ("display_name", "りんごママ"),
        ("consent", "yes"),
        ("consent_version", version.as_str()),
        ("notify_answers", "yes"),
    ];
    let (status, page) = submit(&parent, "/community/join", &join).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("コミュニティに参加しました"), "{page}");

    let first = [
        ("category", "infant"),
        ("place", "022012"),
        ("title", "夜泣きで眠れません"),
        ("body", "毎晩夜泣きがひどいです。"),
        ("action", "post"),
    ];
    let (status, page) = submit(&parent, "/community/ask", &first).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("夜泣きで眠れません") && page.contains("青森市"),
        "the question page: {page}"
    );
    assert!(page.contains("直接相談できる窓口"), "{page}");

    let mut shown = String::new();
    for _ in 0..50 {
        let check = [
            ("category", "infant"),
            ("title", "夜泣きがひどい"),
            ("body", ""),
            ("action", "similar"),
        ];
        (_, shown) = submit(&parent, "/community/ask", &check).await;
        if shown.contains("夜泣きで眠れません") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        shown.contains("似た質問") && shown.contains("夜泣きで眠れません"),
        "{shown}"
    );

    let phone = [
        ("category", "infant"),
        ("title", "見学について"),
        ("body", "０９０−１２３４−５６７８に連絡ください"),
        ("action", "post"),
    ];
    let (status, page) = submit(&parent, "/community/ask", &phone).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("電話番号") && page.contains("伏せ字にして投稿"),
        "{page}"
    );
    assert!(page.contains("［電話番号］"), "the masked text is shown: {page}");
    let masked = [
        ("category", "infant"),
        ("title", "見学について"),
        ("body", "０９０−１２３４−５６７８に連絡ください"),
        ("action", "mask"),
    ];
    let (status, page) = submit(&parent, "/community/ask", &masked).await;
    assert_eq!(status, 200);
    assert!(!page.contains("５６７８"), "{page}");
    let (status, page) = parent.html_page("/community").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("見学について") && page.contains("夜泣きで眠れません"),
        "{page}"
    );
    let (status, _) = parent.html_page("/community/mine").await;
    assert_eq!(status, 200);
}

async fn the_author_edits_an_answer_on_its_page(backend: Backend) {
    let signed = app(backend, None).await;
    let app = &signed.app;
    let asker = member(app, "hanako", "りんごママ").await;
    let asked = ask(
        &asker,
        &question("保育園の見学", "見学はいつ頃がよいですか。"),
        201,
    )
    .await;
    let question = asked["id"].as_str().unwrap();
    let helper = member(app, "taro", "八戸のパパ").await;
    let posted = answer(&helper, question, "秋に見学しました。", 201).await;
    let edit = format!(
        "/community/questions/{question}/answers/{}/edit",
        posted["id"].as_str().unwrap()
    );

    let (status, page) = helper
        .html_page(&format!("/community/questions/{question}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains(&edit), "the author sees the edit link: {page}");
    let (_, page) = asker.html_page(&format!("/community/questions/{question}")).await;
    assert!(!page.contains(&edit), "nobody else does: {page}");
    let (status, _) = asker.html_page(&edit).await;
    assert_eq!(status, 403);
    let (status, page) = helper.html_page(&edit).await;
    assert_eq!(status, 200);
    assert!(page.contains("秋に見学しました。"), "{page}");

    let phone = [
        ("body", "０９０−１２３４−５６７８に電話して聞きました"),
        ("action", "post"),
    ];
    let (status, page) = submit(&helper, &edit, &phone).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("電話番号") && page.contains("伏せ字にして保存"),
        "{page}"
    );
    let masked = [
        ("body", "０９０−１２３４−５６７８に電話して聞きました"),
        ("action", "mask"),
    ];
    let (status, page) = submit(&helper, &edit, &masked).await;
    assert_eq!(status, 200, "{page}");
    let shown = read(&asker, question, 200).await;
    let body = shown["question"]["answers"][0]["body"].as_str().unwrap();
    assert!(
        body.contains("［電話番号］") && !body.contains("５６７８"),
        "{body}"
    );
    assert_eq!(shown["question"]["answers"][0]["edited"], true);
}
