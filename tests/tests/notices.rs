//! Notices end to end, on both databases: the matcher's events become notices that reach a real
//! SMTP server, a LINE contract server and a Web Push receiver that decrypts them; one-click
//! unsubscribe; quiet hours and digests; withdrawal cancelling what waits; a gone address
//! switching its channel off and the household told through another channel.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use chrono::{NaiveDate, Timelike, Utc};
use kosodate_domain::{EmailAddress, LineUserId};
use kosodate_households::{
    ConsentMethod, ConsentPurpose, HouseholdId, HouseholdInput, Households, PushKeys, PushSubscription,
    Registration,
};
use kosodate_matching::{MatchPolicy, MatchRunner};
use kosodate_notifier::{ChannelKind, LinkSigner, Worker, WorkerConfig, send_slots};
use kosodate_planner::NoticePlanner;
use kosodate_registry::Registry;
use kosodate_test_peers::line::LineContractServer;
use kosodate_test_peers::smtp::SmtpServer;
use kosodate_test_peers::web_push::{PushReceiver, Subscription};
use kosodate_tests::{Backend, TestApp, both_backends, spawn_app, spawn_app_with};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use secrecy::SecretString;
use serde_json::json;

both_backends!(
    events_reach_every_kind_of_sink,
    quiet_hours_digests_and_withdrawal,
    a_gone_address_switches_its_channel_off,
    the_first_notice_arrives_whatever_the_order_of_clicks,
    a_deadline_that_passed_while_waiting_for_a_channel_is_not_sent,
    send_slots_are_shared_by_every_worker
);

const LINE_TOKEN: &str = "test-line-channel-token";
const LINE_USER: &str = "U0123456789abcdef0123456789abcdef";

struct Peers {
    smtp: SmtpServer,
    line: LineContractServer,
    push: PushReceiver,
}

async fn peers() -> Peers {
    Peers {
        smtp: SmtpServer::start().await.unwrap(),
        line: LineContractServer::start(LINE_TOKEN).await.unwrap(),
        push: PushReceiver::start().await.unwrap(),
    }
}

async fn app_with(backend: Backend, peers: &Peers, worker: bool) -> TestApp {
    let smtp = peers.smtp.url();
    let line = peers.line.base_url();
    spawn_app_with(backend, |settings| {
        settings.load_examples = Some(true);
        let notices = &mut settings.notices;
        notices.worker_in_server = worker;
        notices.idle_poll_millis = 50;
        notices.smtp_url = Some(SecretString::from(smtp));
        notices.line_channel_access_token = Some(SecretString::from(LINE_TOKEN));
        notices.line_api_base = url::Url::parse(&line).unwrap();
        notices.web_push_allow_insecure_endpoints = true;
    })
    .await
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A household in 青森市 with a one-year-old, registered at the counter with every consent, and
/// its three channels.
async fn household(
    app: &TestApp,
    peers: &Peers,
    preferences: serde_json::Value,
) -> (HouseholdId, Subscription) {
    let households = Households::new(app.db.clone());
    let birth = today() - chrono::Days::new(400);
    let input: HouseholdInput = serde_json::from_value(json!({
        "municipality_code": "022012",
        "children": [{"nickname": "はなこ", "birth_date": birth}],
        "preferences": preferences,
    }))
    .unwrap();
    let valid = input.validate(today()).unwrap();
    let registration = Registration::Counter {
        staff: "青森市 窓口".into(),
        consents: vec![
            ConsentPurpose::Matching,
            ConsentPurpose::NoticeEmail,
            ConsentPurpose::NoticeLine,
            ConsentPurpose::NoticeWebPush,
        ],
        paper_form: None,
    };
    let id = households.register(&valid, &registration).await.unwrap();
    let (_, token) = households
        .add_email(id, &EmailAddress::parse("hanako.parent@example.jp").unwrap())
        .await
        .unwrap();
    households.verify_email(&token.0).await.unwrap();
    let line = households
        .add_line(id, &LineUserId::parse(LINE_USER).unwrap())
        .await
        .unwrap();
    households.set_channel_opt_in(id, &line, true).await.unwrap();
    let subscription = peers.push.subscribe();
    let push = households
        .add_web_push(
            id,
            &PushSubscription {
                endpoint: url::Url::parse(&subscription.endpoint).unwrap(),
                keys: PushKeys {
                    p256dh: subscription.p256dh.clone(),
                    auth: subscription.auth.clone(),
                },
            },
        )
        .await
        .unwrap();
    households.set_channel_opt_in(id, &push, true).await.unwrap();
    (id, subscription)
}

fn never_quiet() -> serde_json::Value {
    json!({"quiet_from": "00:00", "quiet_until": "00:00", "daily_digest": false})
}

fn runner(app: &TestApp) -> MatchRunner {
    MatchRunner::new(
        Households::new(app.db.clone()),
        Registry::new(app.db.clone()),
        MatchPolicy::default(),
    )
}

async fn statuses(app: &TestApp) -> Vec<(String, String, String)> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT channel_kind, kind, status FROM notices ORDER BY channel_kind, kind",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get::<String>("", "channel_kind").unwrap(),
                row.try_get::<String>("", "kind").unwrap(),
                row.try_get::<String>("", "status").unwrap(),
            )
        })
        .collect()
}

async fn events_reach_every_kind_of_sink(backend: Backend) {
    let peers = peers().await;
    let app = app_with(backend, &peers, true).await;
    let (household_id, subscription) = household(&app, &peers, never_quiet()).await;
    let households_db = app.db.clone();
    runner(&app).run_full(today()).await.unwrap();

    let within = Duration::from_secs(20);
    let mail = peers.smtp.wait_for_count(1, within).await.unwrap();
    assert!(peers.line.wait_for_count(1, within).await);
    let pushes = peers.push.wait_for_count(1, within).await.unwrap();

    let mail = &mail[0];
    assert!(
        mail.subject.as_deref().unwrap().contains("利用できる制度が"),
        "{:?}",
        mail.subject
    );
    assert!(mail.text_body.as_deref().unwrap().contains("児童手当"));
    assert_eq!(
        mail.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let line_text = peers.line.delivered()[0].texts().join("\n");
    assert!(line_text.contains("児童手当"), "{line_text}");
    assert!(
        peers.line.rejections().is_empty(),
        "{:?}",
        peers.line.rejections()
    );
    assert!(
        peers.push.rejections().is_empty(),
        "{:?}",
        peers.push.rejections()
    );
    let push = pushes[0].json.clone().unwrap();
    assert!(
        push["title"].as_str().unwrap().contains("利用できる制度が"),
        "{push}"
    );
    assert_eq!(pushes[0].subscription_id, subscription.id);

    // One-click unsubscribe (RFC 8058), as a mail client sends it.
    let unsubscribe = mail
        .header("List-Unsubscribe")
        .unwrap()
        .trim_matches(|c| c == '<' || c == '>')
        .to_owned();
    let response = app
        .client
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let opted_in = households_db
        .query_one_raw(Statement::from_string(
            households_db.get_database_backend(),
            "SELECT opted_in FROM contact_channels WHERE kind = 'email'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<bool>("", "opted_in")
        .unwrap();
    assert!(!opted_in);
    // A forged link does nothing.
    let forged = format!("{unsubscribe}x");
    assert_eq!(app.client.post(&forged).send().await.unwrap().status(), 404);
    let sent: Vec<_> = statuses(&app).await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(
        sent.iter()
            .all(|(_, kind, status)| kind == "first_match" && status == "sent"),
        "{sent:?}"
    );

    // "My data" holds all of it: the notices with their addresses, content and attempts, and
    // what the parent said about a program.
    let households = Households::new(app.db.clone());
    let stored = households.stored_match(household_id).await.unwrap().unwrap();
    let program = stored.eligible[0].to_string();
    households
        .dismiss_program(household_id, &program, kosodate_households::Dismissal::Applied)
        .await
        .unwrap();
    let data = households.export(household_id).await.unwrap();
    let notices = data["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 3, "{data}");
    assert!(
        notices.iter().all(|notice| notice["status"] == "sent"
            && notice["attempts"][0]["outcome"] == "sent"
            && notice["content"]["kind"] == "first_match"),
        "{notices:?}"
    );
    assert_eq!(data["program_dismissals"][0]["program_id"], program.as_str());
    assert_eq!(data["program_dismissals"][0]["reason"], "applied");
    assert!(
        data["match_result"]["eligible"]
            .as_array()
            .is_some_and(|ids| !ids.is_empty())
    );
}

/// Quiet hours from an hour ago to an hour ahead, Tokyo time.
fn quiet_now(digest: bool) -> serde_json::Value {
    let hour = (Utc::now().hour() + 9) % 24;
    json!({
        "quiet_from": format!("{:02}:00", (hour + 23) % 24),
        "quiet_until": format!("{:02}:00", (hour + 1) % 24),
        "daily_digest": digest,
    })
}

async fn quiet_hours_digests_and_withdrawal(backend: Backend) {
    let peers = peers().await;
    let app = app_with(backend, &peers, false).await;
    let (quiet, _) = household(&app, &peers, quiet_now(false)).await;
    let (digest, _) = household(
        &app,
        &peers,
        json!({"quiet_from": "00:00", "quiet_until": "00:00", "daily_digest": true}),
    )
    .await;
    runner(&app).run_full(today()).await.unwrap();
    let planner = NoticePlanner::new(Households::new(app.db.clone()), Registry::new(app.db.clone()));
    planner.plan_pending().await.unwrap();
    assert_eq!(
        planner.plan_pending().await.unwrap(),
        0,
        "every event is planned once"
    );

    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT household_id, kind, digest_id, status, not_before FROM notices",
        ))
        .await
        .unwrap();
    let of = |household: HouseholdId| {
        rows.iter()
            .filter(|row| row.try_get::<String>("", "household_id").unwrap() == household.to_string())
            .collect::<Vec<_>>()
    };
    // Quiet hours: three notices, none before the quiet hours end.
    let quiet_rows = of(quiet);
    assert_eq!(quiet_rows.len(), 3);
    for row in &quiet_rows {
        let not_before: chrono::DateTime<Utc> = row.try_get("", "not_before").unwrap();
        // The end of the quiet hours: the next full hour, Tokyo and UTC alike.
        let now = Utc::now();
        assert!(
            not_before > now && not_before <= now + chrono::Duration::hours(1),
            "{not_before}"
        );
        assert_eq!((not_before.minute(), not_before.second()), (0, 0), "{not_before}");
    }
    // Digest: per channel one digest and its member, waiting for the morning.
    let digest_rows = of(digest);
    let digests = digest_rows
        .iter()
        .filter(|row| row.try_get::<String>("", "kind").unwrap() == "digest")
        .count();
    let members = digest_rows
        .iter()
        .filter(|row| row.try_get::<Option<String>>("", "digest_id").unwrap().is_some())
        .count();
    assert_eq!((digests, members), (3, 3));

    // Withdrawing consent to email notices cancels the email notice that waits.
    Households::new(app.db.clone())
        .withdraw_consent(quiet, ConsentPurpose::NoticeEmail)
        .await
        .unwrap();
    let after = statuses(&app).await;
    let cancelled = after
        .iter()
        .filter(|(_, _, status)| status == "cancelled")
        .count();
    assert_eq!(cancelled, 1, "{after:?}");

    // A notice that comes due inside its quiet hours anyway (its worker's lease ran out at
    // night) waits again, without an attempt. The worker has no channels: an attempt would fail.
    make_due_now(&app, quiet).await;
    let worker = Worker::new(
        app.db.clone(),
        Vec::new(),
        LinkSigner::new(url::Url::parse("https://kosodate.example/").unwrap(), vec![7; 32]),
        url::Url::parse("https://kosodate.example/my").unwrap(),
        WorkerConfig::default(),
    );
    assert_eq!(worker.run_once().await.unwrap(), 2);
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!(
                "SELECT status, attempts, not_before FROM notices \
                 WHERE household_id = '{quiet}' AND status <> 'cancelled'"
            ),
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let not_before: chrono::DateTime<Utc> = row.try_get("", "not_before").unwrap();
        assert_eq!(row.try_get::<String>("", "status").unwrap(), "queued");
        assert_eq!(row.try_get::<i32>("", "attempts").unwrap(), 0);
        assert!(not_before > Utc::now(), "{not_before}");
        assert_eq!((not_before.minute(), not_before.second()), (0, 0), "{not_before}");
    }
    let attempts = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM notice_attempts",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attempts.try_get::<i64>("", "n").unwrap(), 0);
}

/// Makes the household's waiting notices due a minute ago, as an expired lease does.
async fn make_due_now(app: &TestApp, household: HouseholdId) {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE notices SET not_before = $1 WHERE household_id = $2 AND status = 'queued'"
        }
        _ => "UPDATE notices SET not_before = ? WHERE household_id = ? AND status = 'queued'",
    };
    let due = Utc::now() - chrono::Duration::minutes(1);
    app.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [due.into(), household.to_string().into()],
        ))
        .await
        .unwrap();
}

async fn a_gone_address_switches_its_channel_off(backend: Backend) {
    let peers = peers().await;
    let app = app_with(backend, &peers, true).await;
    let (household, subscription) = household(&app, &peers, never_quiet()).await;
    peers.push.mark_gone(&subscription);
    runner(&app).run_full(today()).await.unwrap();
    // The first results by mail and LINE, then the notice that push was switched off.
    let mail = peers
        .smtp
        .wait_for_count(2, Duration::from_secs(20))
        .await
        .unwrap();
    assert!(
        mail.iter()
            .any(|mail| mail.subject.as_deref().unwrap().contains("配信先を停止"))
    );
    let channels = Households::new(app.db.clone()).channels(household).await.unwrap();
    let push = channels
        .iter()
        .find(|channel| channel.kind == kosodate_households::ChannelKind::WebPush)
        .unwrap();
    assert!(!push.opted_in);
    assert!(push.disabled_reason.is_some());
}

/// What a parent does after registering the household, in any order.
#[derive(Debug, Clone, Copy)]
enum Click {
    ConsentToMatching,
    ConsentToEmail,
    VerifyEmail,
}

/// Nobody may miss a program because of the order of their clicks: in every order of consenting
/// to matching, consenting to email notices and verifying the address (with the matcher and the
/// planner running between clicks, as the server does), the first results arrive, once.
async fn the_first_notice_arrives_whatever_the_order_of_clicks(backend: Backend) {
    use Click::{ConsentToEmail, ConsentToMatching, VerifyEmail};
    let peers = peers().await;
    let app = app_with(backend, &peers, false).await;
    let households = Households::new(app.db.clone());
    let planner = NoticePlanner::new(households.clone(), Registry::new(app.db.clone()));
    let orders = [
        [ConsentToMatching, ConsentToEmail, VerifyEmail],
        [ConsentToMatching, VerifyEmail, ConsentToEmail],
        [ConsentToEmail, ConsentToMatching, VerifyEmail],
        [ConsentToEmail, VerifyEmail, ConsentToMatching],
        [VerifyEmail, ConsentToMatching, ConsentToEmail],
        [VerifyEmail, ConsentToEmail, ConsentToMatching],
    ];
    let mut ids = Vec::new();
    for (index, order) in orders.iter().enumerate() {
        let id = register_without_consents(&households, never_quiet()).await;
        let address = EmailAddress::parse(&format!("order{index}@example.jp")).unwrap();
        let (_, token) = households.add_email(id, &address).await.unwrap();
        for click in order {
            match click {
                ConsentToMatching => {
                    households.consent(id, ConsentPurpose::Matching, 1, ConsentMethod::Online)
                }
                ConsentToEmail => {
                    households.consent(id, ConsentPurpose::NoticeEmail, 1, ConsentMethod::Online)
                }
                VerifyEmail => {
                    households.verify_email(&token.0).await.unwrap();
                    continue;
                }
            }
            .await
            .unwrap();
            runner(&app).run_household(id, today()).await.unwrap();
            planner.plan_pending().await.unwrap();
        }
        ids.push(id);
    }
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT household_id, kind, channel_kind FROM notices",
        ))
        .await
        .unwrap();
    for (index, id) in ids.iter().enumerate() {
        let notices: Vec<(String, String)> = rows
            .iter()
            .filter(|row| row.try_get::<String>("", "household_id").unwrap() == id.to_string())
            .map(|row| {
                (
                    row.try_get::<String>("", "kind").unwrap(),
                    row.try_get::<String>("", "channel_kind").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            notices,
            [("first_match".to_owned(), "email".to_owned())],
            "order {:?}",
            orders[index]
        );
    }
}

async fn register_without_consents(households: &Households, preferences: serde_json::Value) -> HouseholdId {
    let birth = today() - chrono::Days::new(400);
    let input: HouseholdInput = serde_json::from_value(json!({
        "municipality_code": "022012",
        "children": [{"birth_date": birth}],
        "preferences": preferences,
    }))
    .unwrap();
    let registration = Registration::Counter {
        staff: "青森市 窓口".into(),
        consents: Vec::new(),
        paper_form: None,
    };
    households
        .register(&input.validate(today()).unwrap(), &registration)
        .await
        .unwrap()
}

/// An event that waited for a channel is dropped if its deadline passed meanwhile: a parent is
/// not told of a deadline they can no longer meet.
async fn a_deadline_that_passed_while_waiting_for_a_channel_is_not_sent(backend: Backend) {
    let peers = peers().await;
    let app = app_with(backend, &peers, false).await;
    let households = Households::new(app.db.clone());
    let planner = NoticePlanner::new(households.clone(), Registry::new(app.db.clone()));
    let id = register_without_consents(&households, never_quiet()).await;
    households
        .consent(id, ConsentPurpose::Matching, 1, ConsentMethod::Online)
        .await
        .unwrap();
    runner(&app).run_household(id, today()).await.unwrap();
    planner.plan_pending().await.unwrap();
    // The first results wait for a channel; make their application period end yesterday.
    let yesterday = (today() - chrono::Days::new(1)).to_string();
    app.db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            match app.db.get_database_backend() {
                DatabaseBackend::Postgres => {
                    "UPDATE match_events SET closes_on = $1::date WHERE household_id = $2"
                }
                _ => "UPDATE match_events SET closes_on = $1 WHERE household_id = $2",
            },
            [yesterday.into(), id.to_string().into()],
        ))
        .await
        .unwrap();
    let (_, token) = households
        .add_email(id, &EmailAddress::parse("late@example.jp").unwrap())
        .await
        .unwrap();
    households
        .consent(id, ConsentPurpose::NoticeEmail, 1, ConsentMethod::Online)
        .await
        .unwrap();
    households.verify_email(&token.0).await.unwrap();
    planner.plan_pending().await.unwrap();
    assert!(statuses(&app).await.is_empty(), "{:?}", statuses(&app).await);
    let waiting = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM match_events WHERE planned_at IS NULL OR waiting_since IS NOT NULL",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(waiting, 0, "the expired event is done with, not waiting");
}

/// Mail outside the notice queue carries a `Message-ID` at the sender's domain too (an address
/// verification link had none: lettre's default names the host, and only when asked).
#[tokio::test]
async fn the_verification_mail_carries_a_message_id_at_the_senders_domain() {
    let smtp = SmtpServer::start().await.unwrap();
    let email = kosodate_notifier::channels::email::EmailChannel::smtp(
        &kosodate_notifier::channels::email::SmtpSettings::new(smtp.url()),
        "青森県 子育て支援 <noreply@kosodate.example>".parse().unwrap(),
    )
    .unwrap();
    let mailer = kosodate_server::mail::Mailer::new(email, "https://kosodate.example/".parse().unwrap());
    let to = EmailAddress::parse("parent@example.jp").unwrap();
    mailer.send_verification(&to, "t0ken").await.unwrap();
    mailer.send_verification(&to, "t0ken").await.unwrap();

    let mails = smtp.wait_for_count(2, Duration::from_secs(10)).await.unwrap();
    let ids: Vec<&str> = mails
        .iter()
        .map(|mail| mail.message_id.as_deref().expect("the mail has a Message-ID"))
        .collect();
    for id in &ids {
        let local = id
            .strip_prefix('<')
            .and_then(|rest| rest.strip_suffix("@kosodate.example>"))
            .unwrap_or_else(|| panic!("{id} is not <id@kosodate.example>"));
        assert!(uuid::Uuid::parse_str(local).is_ok(), "{id}");
    }
    assert_ne!(ids[0], ids[1], "each mail has its own Message-ID");
}

/// A channel's send slots come from the database, so workers that reserve at the same moment get
/// one slot after another (the three-process test at the LINE server is in notice_delivery.rs).
async fn send_slots_are_shared_by_every_worker(backend: Backend) {
    const WORKERS: usize = 4;
    const SLOTS: u32 = 10;
    let app = spawn_app(backend).await;
    let rate = std::num::NonZeroU32::new(10).unwrap();
    let mut reservations = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let db = app.db.clone();
        reservations.spawn(async move {
            let slots = send_slots::reserve(&db, ChannelKind::Line, SLOTS, rate)
                .await
                .unwrap();
            (std::time::Instant::now() + slots.first_in, slots)
        });
    }
    let mut reserved = reservations.join_all().await;
    reserved.sort_by_key(|(first, _)| *first);
    for pair in reserved.windows(2) {
        let [(earlier, slots), (later, _)] = pair else {
            unreachable!()
        };
        assert_eq!(slots.interval, Duration::from_millis(100));
        // One reservation's ten slots take a second; the next starts after them. The slack is for
        // when each reservation's answer reached this task.
        let gap = *later - *earlier;
        assert!(
            gap >= Duration::from_millis(900),
            "{gap:?} between reservations: {reserved:?}"
        );
    }
}
