//! The weekly events notice on both databases: a household that asked for it hears, once a
//! week, of the events of its region that suit its children's ages; never a household that did
//! not ask, never an event for another age, never twice for one week, and the mail that reaches a
//! real SMTP server says what, when and where. An event published after the week was planned is
//! told in an addendum the next day, at most one a day, never with what was told before.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use kosodate_domain::japan;
use kosodate_domain::{EmailAddress, MunicipalityCode};
use kosodate_households::{ConsentPurpose, HouseholdId, HouseholdInput, Households, Registration};
use kosodate_places::{EventInput, Places};
use kosodate_planner::WeeklyEventNotices;
use kosodate_registry::{Registry, StaffIdentity};
use kosodate_tests::{Backend, TestApp, both_backends, spawn_app_with};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

both_backends!(
    events_for_the_childrens_ages_are_told_once_a_week,
    events_published_after_the_week_was_planned_are_told_the_next_day
);

/// Next week's Monday, 09:00 in Japan: a week whose days are all still to come.
fn next_monday_morning() -> DateTime<Utc> {
    let today = japan::date_of(Utc::now());
    let monday = today + Days::new(7 - u64::from(today.weekday().num_days_from_monday()));
    japan::at(monday, chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap())
}

/// A household in `municipality` with one child born on `birth`, consenting to
/// matching and email notices, with a verified address.
async fn household(
    households: &Households,
    municipality: &str,
    birth: NaiveDate,
    weekly_events: bool,
    email: &str,
) -> HouseholdId {
    let input: HouseholdInput = serde_json::from_value(json!({
        "municipality_code": municipality,
        "children": [{"nickname": "はな", "birth_date": birth}],
        "preferences": {"quiet_from": "00:00", "quiet_until": "00:00", "daily_digest": false,
                        "weekly_events": weekly_events},
    }))
    .unwrap();
    let registration = Registration::Counter {
        staff: "窓口".into(),
        consents: vec![ConsentPurpose::Matching, ConsentPurpose::NoticeEmail],
        paper_form: None,
    };
    let today = japan::date_of(Utc::now());
    let id = households
        .register(&input.validate(today).unwrap(), &registration)
        .await
        .unwrap();
    let (_, token) = households
        .add_email(id, &EmailAddress::parse(email).unwrap())
        .await
        .unwrap();
    households.verify_email(&token.0).await.unwrap();
    id
}

async fn publish_event(places: &Places, owner: &str, title: &str, on: NaiveDate, audience: Value) {
    let staff = StaffIdentity::for_organisation("職員", MunicipalityCode::parse(owner).unwrap());
    let input: EventInput = serde_json::from_value(json!({
        "owner": owner, "kind": "離乳食教室", "title": title, "venue": "保健センター 2階",
        "schedule": {"kind": "once", "date": on, "start": "10:00", "end": "11:30"},
        "audience": audience,
    }))
    .unwrap();
    let event = places.create_event(&staff, &input).await.unwrap();
    places.publish_event(&staff, event.id).await.unwrap();
}

fn planner(app: &TestApp, households: &Households, places: &Places) -> WeeklyEventNotices {
    WeeklyEventNotices::new(
        households.clone(),
        Registry::new(app.db.clone()),
        places.clone(),
        url::Url::parse(&app.url("/events/")).unwrap(),
    )
}

/// (household, kind, content) of every notice.
async fn notices(app: &TestApp) -> Vec<(String, String, String)> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT CAST(household_id AS TEXT) AS household_id, kind, CAST(content AS TEXT) AS content \
             FROM notices ORDER BY household_id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get::<String>("", "household_id").unwrap(),
                row.try_get::<String>("", "kind").unwrap(),
                row.try_get::<String>("", "content").unwrap(),
            )
        })
        .collect()
}

async fn events_for_the_childrens_ages_are_told_once_a_week(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.load_examples = Some(false);
        settings.notices.worker_in_server = false;
    })
    .await;
    let households = Households::new(app.db.clone());
    let places = Places::new(app.db.clone());
    let now = next_monday_morning();
    let monday = japan::date_of(now);
    let wednesday = monday + Days::new(2);
    // Eight months old on Wednesday; another child three years old; a household that did not ask.
    let eight_months = wednesday.checked_sub_months(chrono::Months::new(8)).unwrap();
    let asked = household(&households, "022012", eight_months, true, "asked@example.jp").await;
    let too_old = wednesday.checked_sub_months(chrono::Months::new(36)).unwrap();
    let older = household(&households, "022012", too_old, true, "older@example.jp").await;
    let silent = household(&households, "022012", eight_months, false, "silent@example.jp").await;
    // Hirosaki is in 中南, not 青森市's 東青: its events are not told in Aomori.
    let elsewhere = household(&households, "022021", eight_months, true, "hirosaki@example.jp").await;
    let months = json!({"age_months": {"from": 7, "to": 11}});
    publish_event(&places, "022012", "離乳食教室（中期）", wednesday, months.clone()).await;
    publish_event(
        &places,
        "022012",
        "幼児健康教室",
        wednesday,
        json!({"age_months": {"from": 24, "to": 48}}),
    )
    .await;
    publish_event(
        &places,
        "022012",
        "来週の離乳食教室",
        monday + Days::new(9),
        months.clone(),
    )
    .await;
    // Events for everybody are not "for your child's age".
    publish_event(&places, "022012", "市民まつり", wednesday, json!({})).await;

    let planner = planner(&app, &households, &places);
    let queued = planner.plan_due(now).await.unwrap();
    let found = notices(&app).await;
    let asked_id = asked.to_string();
    let older_id = older.to_string();
    let mine: Vec<_> = found.iter().filter(|(id, _, _)| *id == asked_id).collect();
    assert_eq!(mine.len(), 1, "one notice for the one channel: {found:?}");
    let (_, kind, content) = mine[0];
    assert_eq!(kind, "weekly_events");
    assert!(content.contains("離乳食教室（中期）"), "{content}");
    assert!(
        content.contains("はなさん"),
        "the child as the parent named them: {content}"
    );
    for absent in ["幼児健康教室", "来週の離乳食教室", "市民まつり"] {
        assert!(!content.contains(absent), "{absent} told: {content}");
    }
    let older_notices: Vec<_> = found.iter().filter(|(id, _, _)| *id == older_id).collect();
    assert_eq!(older_notices.len(), 1, "the three-year-old's event: {found:?}");
    assert!(older_notices[0].2.contains("幼児健康教室"));
    for nobody in [silent, elsewhere] {
        let id = nobody.to_string();
        assert!(
            found.iter().all(|(household, _, _)| *household != id),
            "{found:?}"
        );
    }
    assert_eq!(queued, 2);

    // Asked again (another process, the next tick): the week is planned already.
    assert_eq!(planner.plan_due(now).await.unwrap(), 0);
    assert_eq!(notices(&app).await.len(), 2);
    // The next week is a new week.
    let next_week = now + chrono::Duration::days(7);
    assert_eq!(
        planner.plan_due(next_week).await.unwrap(),
        1,
        "来週の離乳食教室 for the baby"
    );
}

async fn events_published_after_the_week_was_planned_are_told_the_next_day(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.load_examples = Some(false);
        settings.notices.worker_in_server = false;
    })
    .await;
    let households = Households::new(app.db.clone());
    let places = Places::new(app.db.clone());
    let monday_morning = next_monday_morning();
    let monday = japan::date_of(monday_morning);
    let day = |days: u64| monday + Days::new(days);
    let at = |days: i64, hours: i64| {
        monday_morning + chrono::Duration::days(days) + chrono::Duration::hours(hours)
    };
    let eight_months = day(2).checked_sub_months(chrono::Months::new(8)).unwrap();
    let baby = household(&households, "022012", eight_months, true, "baby@example.jp").await;
    let months = json!({"age_months": {"from": 7, "to": 11}});
    publish_event(&places, "022012", "離乳食教室（中期）", day(2), months.clone()).await;
    let planner = planner(&app, &households, &places);
    assert_eq!(planner.plan_due(monday_morning).await.unwrap(), 1);

    // Published on Monday afternoon: one on Tuesday, one on Thursday, one for older children.
    publish_event(&places, "022012", "火曜の親子ひろば", day(1), months.clone()).await;
    publish_event(
        &places,
        "022012",
        "木曜のベビーマッサージ",
        day(3),
        months.clone(),
    )
    .await;
    publish_event(
        &places,
        "022012",
        "幼児の運動あそび",
        day(3),
        json!({"age_months": {"from": 36, "to": 60}}),
    )
    .await;
    assert_eq!(
        planner.plan_due(at(0, 6)).await.unwrap(),
        0,
        "the week was told today already"
    );
    assert_eq!(planner.plan_due(at(1, 0)).await.unwrap(), 1);
    let baby_id = baby.to_string();
    let told: Vec<_> = notices(&app)
        .await
        .into_iter()
        .filter(|(id, _, _)| *id == baby_id)
        .collect();
    assert_eq!(told.len(), 2, "{told:?}");
    let (_, kind, content) = told
        .iter()
        .find(|(_, kind, _)| kind == "weekly_events_added")
        .unwrap_or_else(|| panic!("an addendum: {told:?}"));
    assert_eq!(kind, "weekly_events_added");
    for expected in ["火曜の親子ひろば", "木曜のベビーマッサージ"] {
        assert!(content.contains(expected), "{expected}: {content}");
    }
    for absent in ["離乳食教室（中期）", "幼児の運動あそび"] {
        assert!(!content.contains(absent), "{absent} told: {content}");
    }

    // Another process on Tuesday, and Wednesday with nothing new: nothing more.
    assert_eq!(planner.plan_due(at(1, 3)).await.unwrap(), 0);
    assert_eq!(planner.plan_due(at(2, 0)).await.unwrap(), 0);
    // An event for Monday published on Wednesday is past: it is not told.
    publish_event(&places, "022012", "月曜の教室", day(0), months.clone()).await;
    assert_eq!(planner.plan_due(at(3, 0)).await.unwrap(), 0);
    assert_eq!(notices(&app).await.len(), 2);
}
