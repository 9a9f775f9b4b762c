//! Children's events and places over HTTP, as a clerk's and a parent's browsers without
//! JavaScript use them: a recurring event entered from a template (第2火曜, days off in 和暦)
//! and published, wrong entries stopped at their controls, drafts and archived events kept from
//! the public, another organisation's event refused, the public list narrowed by a child's
//! age in months and region, and a place's page with its hours, facilities and events.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_places::{DayHours, Facility, OpeningHours, PlaceInput, PlaceKind, Places, Weekday};
use kosodate_registry::{Credential, StaffIdentity, StaffRole};
use kosodate_tests::form_browser::FormBrowser;
use kosodate_tests::{
    Backend, Browser, SignInApp, both_backends, spawn_app_with_sign_in, spawn_app_with_sign_in_accounts,
};

both_backends!(
    a_clerk_enters_a_recurring_event_from_a_template_and_publishes_it,
    wrong_entries_are_stopped_at_their_controls,
    drafts_and_archived_events_are_not_public,
    another_organisations_event_cannot_be_opened,
    the_public_list_is_narrowed_by_age_region_and_kind,
    a_place_shows_its_hours_facilities_and_events,
    a_parent_sees_events_for_the_childrens_ages_on_me,
    a_parent_says_going_and_the_calendar_feed_has_the_event,
    a_clerk_enters_a_place_from_its_kind_and_publishes_it,
    wrong_place_entries_are_stopped_at_their_controls,
    a_clerk_imports_places_then_events_from_a_spreadsheet,
    a_clerk_enters_an_event_held_every_other_week,
    a_clerk_enters_an_event_on_listed_days,
    with_review_on_a_colleague_publishes_places_and_events
);

/// The weaning class template as a clerk finishes it: venue, first day, days off, contact.
fn weaning_class(title: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("owner", "022021"),
        ("kind", "weaning_class"),
        ("title", title),
        ("venue", "弘前市保健センター 2階"),
        ("repeat", "monthly_weekday"),
        ("nth", "2"),
        ("nth_weekday", "tue"),
        ("start", "１０：００"),
        ("end", "11:30"),
        ("from", "令和8年1月1日"),
        ("except", "2026/8/11\n令和9年1月12日"),
        ("age_from", "5"),
        ("age_to", "8か月"),
        ("audience_note", "生後5〜8か月ごろの赤ちゃんと保護者"),
        ("capacity", "15"),
        ("sign_up_method", "phone"),
        ("deadline_days_before", "3"),
        ("fee_yen", "0"),
        ("contact_section", "健康づくり推進課"),
        ("contact_phone", "0172-37-3750"),
    ]
}

/// The message a refused form shows at `control`.
fn error_at<'a>(body: &'a str, control: &str) -> &'a str {
    body.split(&format!(r#"id="{control}-error">"#))
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or_else(|| panic!("{control}: {body}"))
}

fn event_id(location: &str) -> String {
    location
        .strip_prefix("/staff/events/")
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned()
}

/// Enters and publishes the weaning class; its id.
async fn published_event(clerk: &FormBrowser, title: &'static str) -> String {
    let mut fields = weaning_class(title);
    fields.push(("action", "publish"));
    let (status, location, body) = clerk.post("/staff/events/new", &fields).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.ends_with("/edit?saved=published"), "{location}");
    event_id(&location)
}

async fn clerk(app: &SignInApp, login: &str) -> FormBrowser {
    FormBrowser::sign_in(&app.app, "staff", login).await
}

async fn a_clerk_enters_a_recurring_event_from_a_template_and_publishes_it(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let list = clerk.page("/staff/events", 200).await;
    assert!(
        list.contains(r#"href="/staff/events/new?template=weaning_class""#),
        "{list}"
    );
    assert!(
        list.contains(r#"<a href="/staff/events" aria-current="page">イベント</a>"#),
        "{list}"
    );

    let form = clerk.page("/staff/events/new?template=weaning_class", 200).await;
    assert!(
        form.contains(r#"id="title" name="title" value="離乳食教室""#),
        "{form}"
    );
    assert!(form.contains(r#"value="monthly_weekday" checked"#), "{form}");
    assert!(
        form.contains(r#"<option value="2" selected>第2</option>"#),
        "{form}"
    );
    assert!(
        form.contains(r#"<option value="tue" selected>火曜日</option>"#),
        "{form}"
    );
    clerk.page("/staff/events/new?template=nothing", 404).await;

    let id = published_event(&clerk, "もぐもぐ離乳食教室").await;
    let edit = clerk
        .page(&format!("/staff/events/{id}/edit?saved=published"), 200)
        .await;
    assert!(edit.contains("公開しました"), "{edit}");
    // The form reads the stored event back as typed, the days off one a line.
    assert!(edit.contains("2026-08-11\n2027-01-12</textarea>"), "{edit}");
    let list = clerk.page("/staff/events", 200).await;
    assert!(
        list.contains("もぐもぐ離乳食教室") && list.contains("公開"),
        "{list}"
    );

    let public = FormBrowser::sign_in(&app.app, "parents", "hanako").await;
    let page = public.page(&format!("/events/{id}"), 200).await;
    assert!(page.contains("生後5か月から8か月のお子さん"), "{page}");
    assert!(page.contains("（火） 10:00〜11:30"), "{page}");
    assert!(page.contains("各開催日の3日前までに"), "{page}");
    assert!(page.contains("弘前市保健センター 2階"), "{page}");
    let audit = app
        .app
        .rows_once(
            "SELECT action FROM audit_log WHERE action IN ('event.create', 'event.publish')",
            2,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(audit.len(), 2);
}

async fn wrong_entries_are_stopped_at_their_controls(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let fields = [
        ("owner", "022021"),
        ("kind", "parenting_salon"),
        ("title", ""),
        ("venue", "児童館"),
        ("repeat", "weekly"),
        ("start", "25:00"),
        ("from", "2026年4月1日"),
        ("until", "2026年3月1日"),
        ("except", "そのうち"),
        ("sign_up_method", "web"),
        ("action", "save"),
    ];
    let (status, _, body) = clerk.post("/staff/events/new", &fields).await;
    assert_eq!(status, 422, "{body}");
    for (control, words) in [
        ("title", "タイトル"),
        ("weekdays", "曜日を1つ以上"),
        ("start", "24時間制"),
        ("until", "開始日以降"),
        ("except", "そのうち"),
        ("sign_up_url", "URL"),
    ] {
        let error = error_at(&body, control);
        assert!(error.contains(words), "{control}: {error}");
    }
    // What was typed is kept.
    assert!(body.contains(r#"value="2026年4月1日""#), "{body}");
    let none = app
        .app
        .rows_once("SELECT id FROM events", 0, std::time::Duration::from_secs(1))
        .await;
    assert!(none.is_empty());
}

async fn drafts_and_archived_events_are_not_public(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let mut fields = weaning_class("下書きの離乳食教室");
    fields.push(("action", "save"));
    let (status, location, body) = clerk.post("/staff/events/new", &fields).await;
    assert_eq!(status, 303, "{body}");
    let id = event_id(&location);
    clerk.page(&format!("/events/{id}"), 404).await;
    let listed = clerk.page("/events?area=022021", 200).await;
    assert!(!listed.contains("下書きの離乳食教室"), "{listed}");

    let edit = clerk.page(&location, 200).await;
    assert!(edit.contains("下書きを保存しました"), "{edit}");
    // The clerk sees the draft as parents will, before publishing it.
    let preview_path = format!("/staff/events/{id}/preview");
    assert!(edit.contains(&format!(r#"href="{preview_path}""#)), "{edit}");
    let preview = clerk.page(&preview_path, 200).await;
    assert!(
        preview.contains("プレビュー（下書き）") && preview.contains("公開するまで住民には表示されません"),
        "{preview}"
    );
    assert!(preview.contains("<h1>下書きの離乳食教室</h1>"), "{preview}");
    assert!(preview.contains("弘前市保健センター 2階"), "{preview}");
    let version = edit
        .split(r#"name="version" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let mut fields = weaning_class("下書きの離乳食教室");
    fields.extend([("version", version.as_str()), ("action", "publish")]);
    let path = format!("/staff/events/{id}/edit");
    let (status, _, body) = clerk.post(&path, &fields).await;
    assert_eq!(status, 303, "{body}");
    clerk.page(&format!("/events/{id}"), 200).await;

    let (status, location, body) = clerk.post(&path, &[("action", "archive")]).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.ends_with("saved=archived"), "{location}");
    clerk.page(&format!("/events/{id}"), 404).await;
    // A stale version is a conflict, not a silent overwrite.
    let mut stale = weaning_class("古い版");
    stale.extend([("version", "1"), ("action", "save")]);
    let (status, _, _) = clerk.post(&path, &stale).await;
    assert_eq!(status, 412);

    // Every step is a version, with who took it; the refused save is none.
    let history_path = format!("/staff/events/{id}/history");
    assert!(edit.contains(&format!(r#"href="{history_path}""#)), "{edit}");
    let history = clerk.page(&history_path, 200).await;
    for row in [
        "<th scope=\"row\">第3版</th><td>終了</td><td>弘前市 こども家庭課 佐藤</td>",
        "<th scope=\"row\">第2版</th><td>公開</td>",
        "<th scope=\"row\">第1版</th><td>作成</td>",
    ] {
        assert!(history.contains(row), "{row} in {history}");
    }
    assert!(!history.contains("第4版"), "{history}");
    assert!(history.contains("第2版と第3版の違い"), "{history}");
    assert!(history.contains("内容の違いはありません"), "{history}");
}

async fn another_organisations_event_cannot_be_opened(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let hirosaki = clerk(&app, "hirosaki").await;
    let id = published_event(&hirosaki, "弘前の離乳食教室").await;
    let aomori = clerk(&app, "aomori").await;
    aomori.page(&format!("/staff/events/{id}/edit"), 403).await;
    aomori.page(&format!("/staff/events/{id}/preview"), 403).await;
    aomori.page(&format!("/staff/events/{id}/history"), 403).await;
    aomori
        .page("/staff/events/0190a000-0000-7000-8000-000000000000/history", 404)
        .await;
    let (status, _, _) = aomori
        .post(&format!("/staff/events/{id}/edit"), &[("action", "archive")])
        .await;
    assert_eq!(status, 403);
    // Entering for another municipality is refused at the owner control.
    let mut fields = weaning_class("なりすまし");
    fields.push(("action", "save"));
    let (status, _, _) = aomori.post("/staff/events/new", &fields).await;
    assert_eq!(status, 403);
    let list = aomori.page("/staff/events", 200).await;
    assert!(!list.contains("弘前の離乳食教室"), "{list}");
}

async fn the_public_list_is_narrowed_by_age_region_and_kind(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    published_event(&clerk, "弘前の離乳食教室").await;
    let visitor = FormBrowser::sign_in(&app.app, "parents", "hanako").await;
    let all = visitor.page("/events", 200).await;
    assert!(all.contains("弘前の離乳食教室"), "{all}");
    for (query, shown) in [
        ("?area=022021&age=6", true),
        ("?area=022021&age=%EF%BC%96", true),
        ("?area=022021&age=20", false),
        ("?area=region:%E4%B8%AD%E5%8D%97", true),
        ("?area=region:%E4%B8%8B%E5%8C%97", false),
        ("?area=022012", false),
        ("?kind=weaning_class", true),
        ("?kind=story_time", false),
        ("?grade=1", false),
    ] {
        let page = visitor.page(&format!("/events{query}"), 200).await;
        assert_eq!(page.contains("弘前の離乳食教室"), shown, "{query}: {page}");
    }
    // The search page shows matching events beside programs.
    let search = visitor
        .page("/search?q=%E9%9B%A2%E4%B9%B3%E9%A3%9F&municipality=022021", 200)
        .await;
    assert!(search.contains("「離乳食」に合うイベント"), "{search}");
    assert!(search.contains("弘前の離乳食教室"), "{search}");
    let elsewhere = visitor
        .page("/search?q=%E9%9B%A2%E4%B9%B3%E9%A3%9F&municipality=022012", 200)
        .await;
    assert!(!elsewhere.contains("弘前の離乳食教室"), "{elsewhere}");
    // The child's age chosen for the programs narrows the events too: 0歳 is 0 to 11 months.
    for (age, shown) in [("0", true), ("1", false), ("3", false)] {
        let path = format!("/search?q=%E9%9B%A2%E4%B9%B3%E9%A3%9F&municipality=022021&age={age}");
        let page = visitor.page(&path, 200).await;
        assert_eq!(page.contains("弘前の離乳食教室"), shown, "{age}: {page}");
    }
    // Every day is listed in order, the second Tuesday of each month.
    let page = visitor.page("/events?area=022021", 200).await;
    let days: Vec<&str> = page
        .split(r#"<p class="event-date">"#)
        .skip(1)
        .map(|rest| rest.split(' ').next().unwrap())
        .collect();
    assert!((1..=3).contains(&days.len()), "{days:?}");
    assert!(days.iter().all(|day| day.ends_with("（火）")), "{days:?}");
}

async fn a_place_shows_its_hours_facilities_and_events(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let places = Places::new(app.app.db.clone());
    let staff = StaffIdentity {
        name: "弘前市 こども家庭課 佐藤".to_owned(),
        role: StaffRole::Municipal("022021".parse().unwrap()),
        credential: Credential::Person,
    };
    let input = PlaceInput {
        owner: "022021".to_owned(),
        kind: PlaceKind::SupportCenter,
        name: "弘前市子育て支援センター".to_owned(),
        reading: None,
        address: "青森県弘前市大字野田2-7-1".to_owned(),
        postal_code: Some("036-8062".to_owned()),
        latitude: None,
        longitude: None,
        phone: Some("0172-33-1234".to_owned()),
        url: None,
        opening_hours: OpeningHours {
            days: vec![DayHours {
                weekday: Weekday::Tue,
                open: clock("9:00"),
                close: clock("16:00"),
                note: None,
            }],
            closed_days: Some("祝日、年末年始".to_owned()),
            note: None,
        },
        age_months: None,
        facilities: vec![Facility::NursingRoom, Facility::DiaperChanging],
        description: None,
        license: None,
    };
    let place = places.create_place(&staff, &input).await.unwrap();
    let clerk = clerk(&app, "hirosaki").await;
    clerk.page(&format!("/places/{}", place.id), 404).await;
    places.publish_place(&staff, place.id).await.unwrap();

    let form = clerk.page("/staff/events/new", 200).await;
    assert!(form.contains("弘前市子育て支援センター</option>"), "{form}");
    let place_id = place.id.to_string();
    let mut fields: Vec<(&str, &str)> = weaning_class("センターの離乳食教室")
        .into_iter()
        .filter(|(name, _)| *name != "venue")
        .collect();
    fields.extend([("place_id", place_id.as_str()), ("action", "publish")]);
    let (status, location, body) = clerk.post("/staff/events/new", &fields).await;
    assert_eq!(status, 303, "{body}");
    let id = event_id(&location);

    let page = clerk.page(&format!("/places/{}", place.id), 200).await;
    for words in [
        "火曜日",
        "09:00〜16:00",
        "授乳室",
        "おむつ替え",
        "祝日、年末年始",
        "〒036-8062",
    ] {
        assert!(page.contains(words), "{words}: {page}");
    }
    assert!(page.contains(&format!(r#"href="/events/{id}""#)), "{page}");
    let event = clerk.page(&format!("/events/{id}"), 200).await;
    assert!(
        event.contains(&format!(r#"href="/places/{}""#, place.id)),
        "{event}"
    );
    clerk.page("/places/not-a-uuid", 404).await;
}

fn clock(text: &str) -> kosodate_places::ClockTime {
    kosodate_places::ClockTime::parse(text).unwrap()
}

/// A weekly event for babies of 5 to 8 months, every day of the week, so that the next four
/// weeks always hold it.
async fn daily_baby_salon(clerk: &FormBrowser) -> String {
    let mut fields: Vec<(&str, &str)> = weaning_class("毎日の赤ちゃんサロン")
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "repeat" | "deadline_days_before" | "sign_up_method"))
        .collect();
    fields.push(("repeat", "weekly"));
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        fields.push(("weekday", day));
    }
    fields.push(("action", "publish"));
    let (status, location, body) = clerk.post("/staff/events/new", &fields).await;
    assert_eq!(status, 303, "{body}");
    event_id(&location)
}

fn born_months_ago(months: u32) -> String {
    let today = kosodate_domain::japan::date_of(chrono::Utc::now());
    (today - chrono::Months::new(months)).to_string()
}

async fn a_parent_sees_events_for_the_childrens_ages_on_me(backend: Backend) {
    let extra = serde_json::json!({"jiro": {"name": "黒石 次郎"}});
    let app = spawn_app_with_sign_in_accounts(backend, extra).await;
    let clerk = clerk(&app, "hirosaki").await;
    let id = daily_baby_salon(&clerk).await;
    // 黒石市 is in 弘前市's region (中南): the region's events are shown too.
    let baby =
        serde_json::json!({"municipality_code": "022047", "children": [{"birth_date": born_months_ago(6)}]});
    let parent = Browser::parent_with_matching(&app.app, "hanako", &baby).await;
    let (status, page) = parent.html_page("/me").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("お子さんの月齢に合ったイベント"), "{page}");
    assert!(page.contains(&format!(r#"href="/events/{id}""#)), "{page}");

    let older =
        serde_json::json!({"municipality_code": "022047", "children": [{"birth_date": born_months_ago(48)}]});
    let other = Browser::parent_with_matching(&app.app, "jiro", &older).await;
    let (status, page) = other.html_page("/me").await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains(&format!(r#"href="/events/{id}""#)), "{page}");
}

/// Posts a form of the parent's pages with the session's token; the page it ends on.
async fn submit(parent: &Browser, path: &str, fields: &[(&str, &str)]) -> String {
    let token = parent.csrf.clone().unwrap();
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    let response = parent
        .client
        .post(parent.url(path))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap()
}

/// The feed as a calendar app fetches it: no cookies, no session.
async fn feed(url: &str) -> String {
    let response = reqwest::Client::new().get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{url}");
    response.text().await.unwrap()
}

async fn a_parent_says_going_and_the_calendar_feed_has_the_event(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let id = daily_baby_salon(&clerk).await;
    let anonymous = reqwest::Client::new();
    let page = anonymous
        .get(app.app.url(&format!("/events/{id}")))
        .send()
        .await
        .unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("マイページ</a>にログインして"), "{page}");

    let baby =
        serde_json::json!({"municipality_code": "022021", "children": [{"birth_date": born_months_ago(6)}]});
    let parent = Browser::parent_with_matching(&app.app, "hanako", &baby).await;
    let (_, page) = parent.html_page(&format!("/events/{id}")).await;
    assert!(page.contains(r#"<button type="submit">行く</button>"#), "{page}");
    let page = submit(&parent, &format!("/events/{id}/attend"), &[("going", "yes")]).await;
    assert!(page.contains("「行く」にしています"), "{page}");
    // Saying it twice is the same.
    submit(&parent, &format!("/events/{id}/attend"), &[("going", "yes")]).await;

    let made = submit(&parent, "/me/calendar", &[]).await;
    let url = kosodate_tests::form_browser::calendar_feed_url(&made);
    let ics = feed(&url).await;
    assert!(ics.contains("SUMMARY:毎日の赤ちゃんサロン"), "{ics}");
    assert!(ics.contains(&format!("UID:{id}-")), "{ics}");
    // 10:00 in Japan is 01:00 UTC.
    assert!(ics.contains("T010000Z"), "{ics}");
    assert!(ics.contains("LOCATION:弘前市保健センター 2階"), "{ics}");

    let exported = kosodate_tests::call(parent.get("/api/v1/me/export"), 200).await;
    assert_eq!(
        exported["event_attendance"][0]["event_id"],
        id.as_str(),
        "{exported}"
    );

    submit(&parent, &format!("/events/{id}/attend"), &[("going", "no")]).await;
    assert!(!feed(&url).await.contains("毎日の赤ちゃんサロン"));
    submit(&parent, &format!("/events/{id}/attend"), &[("going", "yes")]).await;
    let deleted = parent
        .send(reqwest::Method::DELETE, "/api/v1/me/household")
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    let left = app
        .app
        .rows_once(
            "SELECT household_id FROM event_attendance",
            0,
            std::time::Duration::from_secs(1),
        )
        .await;
    assert!(left.is_empty());
}

/// The children's hall a clerk finishes from its kind's template: the rows the template filled
/// in, and a second session on Saturday afternoon.
fn childrens_hall(name: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("owner", "022021"),
        ("kind", "childrens_hall"),
        ("name", name),
        ("address", "弘前市大字末広4丁目10-1"),
        ("postal_code", "０３６－８０９１"),
        ("phone", "0172-26-3880"),
        ("hours-0-weekday", "tue"),
        ("hours-0-open", "9:00"),
        ("hours-0-close", "18:00"),
        ("hours-1-weekday", "sat"),
        ("hours-1-open", "９：００"),
        ("hours-1-close", "12:00"),
        ("hours-2-weekday", "sat"),
        ("hours-2-open", "13:00"),
        ("hours-2-close", "17:00"),
        ("hours-2-note", "午後は小学生以上"),
        ("closed_days", "月曜日、祝日、年末年始"),
        ("age_from", "0"),
        ("age_to", "215"),
        ("facility", "diaper_changing"),
        ("facility", "kids_toilet"),
    ]
}

fn place_id(location: &str) -> String {
    location
        .strip_prefix("/staff/places/")
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned()
}

async fn a_clerk_enters_a_place_from_its_kind_and_publishes_it(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let list = clerk.page("/staff/places", 200).await;
    assert!(
        list.contains(r#"href="/staff/places/new?kind=childrens_hall""#),
        "{list}"
    );
    assert!(
        list.contains(r#"<a href="/staff/places" aria-current="page">施設</a>"#),
        "{list}"
    );
    let form = clerk.page("/staff/places/new?kind=childrens_hall", 200).await;
    assert!(
        form.contains(r#"<option value="childrens_hall" selected>児童館</option>"#),
        "{form}"
    );
    assert!(form.contains(r#"name="hours-5-open" value="09:00""#), "{form}");
    assert!(
        form.contains(r#"id="facility-diaper_changing" name="facility" value="diaper_changing" checked"#),
        "{form}"
    );
    clerk.page("/staff/places/new?kind=amusement_park", 404).await;

    let mut fields = childrens_hall("弘前市児童センター");
    fields.push(("action", "publish"));
    let (status, location, body) = clerk.post("/staff/places/new", &fields).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.ends_with("/edit?saved=published"), "{location}");
    let id = place_id(&location);
    let edit = clerk.page(&location, 200).await;
    assert!(edit.contains("公開しました"), "{edit}");
    // Both Saturday sessions come back as rows, with their note.
    assert!(edit.contains(r#"value="午後は小学生以上""#), "{edit}");
    assert!(edit.contains(r#"name="postal_code" value="036-8091""#), "{edit}");

    let public = clerk.page(&format!("/places/{id}"), 200).await;
    assert!(public.contains("弘前市児童センター"), "{public}");
    assert!(public.contains("13:00"), "{public}");
    assert!(!public.contains("プレビュー"), "{public}");
    let preview = clerk.page(&format!("/staff/places/{id}/preview"), 200).await;
    assert!(preview.contains("プレビュー（公開）"), "{preview}");
    assert!(!preview.contains("公開するまで"), "{preview}");
    assert!(preview.contains("13:00"), "{preview}");
    // The event editor offers the new place as a venue.
    let event_form = clerk.page("/staff/events/new", 200).await;
    assert!(
        event_form.contains(&format!(r#"<option value="{id}">弘前市児童センター</option>"#)),
        "{event_form}"
    );

    // A move is a version; the history compares it with the one before, field by field.
    let mut moved = childrens_hall("弘前市児童センター");
    moved[3] = ("address", "弘前市大字茂森町126");
    moved.extend([("version", "2"), ("action", "save")]);
    let (status, _, body) = clerk.post(&format!("/staff/places/{id}/edit"), &moved).await;
    assert_eq!(status, 303, "{body}");
    let history_path = format!("/staff/places/{id}/history");
    let edit = clerk.page(&location, 200).await;
    assert!(edit.contains(&format!(r#"href="{history_path}""#)), "{edit}");
    let history = clerk.page(&history_path, 200).await;
    assert!(history.contains("第2版と第3版の違い"), "{history}");
    assert!(
        history.contains(
            "<th scope=\"row\">住所</th><td>弘前市大字末広4丁目10-1</td><td>弘前市大字茂森町126</td>"
        ),
        "{history}"
    );
    assert!(
        !history.contains("<th scope=\"row\">名称</th>"),
        "only what changed: {history}"
    );
    let first_two = clerk.page(&format!("{history_path}?from=1&to=2"), 200).await;
    assert!(
        first_two.contains("内容の違いはありません"),
        "publishing changes no field: {first_two}"
    );
    let mistyped = clerk.page(&format!("{history_path}?from=x"), 400).await;
    assert!(mistyped.contains("from"), "{mistyped}");

    // Another municipality cannot open it; archiving takes it off the public pages.
    let aomori = FormBrowser::sign_in(&app.app, "staff", "aomori").await;
    aomori.page(&format!("/staff/places/{id}/edit"), 403).await;
    aomori.page(&history_path, 403).await;
    let path = format!("/staff/places/{id}/edit");
    let (status, location, _) = clerk.post(&path, &[("action", "archive")]).await;
    assert_eq!(status, 303);
    assert!(location.ends_with("saved=archived"), "{location}");
    clerk.page(&format!("/places/{id}"), 404).await;
    // Each write is audited under the place's municipality, as the API's are.
    let audit = app
        .app
        .rows_once(
            "SELECT action FROM audit_log WHERE action LIKE 'place.%' AND municipality_code = '022021'",
            4,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(audit.len(), 4, "create, publish, update and archive");
}

async fn wrong_place_entries_are_stopped_at_their_controls(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let mut fields = childrens_hall("");
    fields.retain(|(name, _)| *name != "postal_code" && *name != "hours-2-close");
    fields.extend([
        ("postal_code", "03680"),
        ("hours-2-close", "12:30"),
        ("hours-4-weekday", "sun"),
        ("hours-4-open", "朝"),
        ("hours-4-close", "12:00"),
        ("latitude", "北緯40度"),
        ("action", "save"),
    ]);
    fields.retain(|(name, value)| !(*name == "hours-2-open" && *value == "13:00"));
    fields.push(("hours-2-open", "14:00"));
    let stored = async || {
        let sql = "SELECT id FROM places";
        app.app.rows_once(sql, 0, std::time::Duration::ZERO).await.len()
    };
    let before = stored().await;
    let (status, _, body) = clerk.post("/staff/places/new", &fields).await;
    assert_eq!(status, 422, "{body}");
    for (control, words) in [
        ("name", "名称"),
        ("postal_code", "郵便番号"),
        ("hours-2-close", "開館時刻より後"),
        ("hours-4-open", "24時間制"),
        ("latitude", "数字"),
    ] {
        let error = error_at(&body, control);
        assert!(error.contains(words), "{control}: {error}");
    }
    // What was typed is kept, and nothing was stored.
    assert!(body.contains(r#"value="北緯40度""#), "{body}");
    assert_eq!(stored().await, before);
}

/// Uploads `csv` on the places and events import page and opens the check it redirects to;
/// with `action` "import", imports it from there when the check offers it. The status and the
/// last page.
async fn upload_sheet(clerk: &FormBrowser, kind: &str, action: &str, csv: &str) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", clerk.csrf.clone())
        .text("kind", kind.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("一覧.csv"),
        );
    let response = clerk
        .client
        .post(clerk.url("/staff/places/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let Some(check) = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned())
    else {
        return (status, response.text().await.unwrap());
    };
    assert_eq!(status, 303);
    let response = clerk.client.get(clerk.url(&check)).send().await.unwrap();
    let (status, page) = (response.status().as_u16(), response.text().await.unwrap());
    if action != "import" || !page.contains(&format!(r#"action="{check}/apply""#)) {
        return (status, page);
    }
    let (status, _, done) = clerk.post(&format!("{check}/apply"), &[]).await;
    (status, done)
}

async fn a_clerk_imports_places_then_events_from_a_spreadsheet(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let page = clerk.page("/staff/places/import", 200).await;
    assert!(
        page.contains("団体コード、種類、名称"),
        "the columns are listed: {page}"
    );
    let places = "団体コード,種類,名称,住所,開館時間,設備\n\
        022021,児童館,取込児童館,弘前市大字城東中央1-1-1,月-金 9:00-18:00,授乳室、おむつ替え\n";
    let (status, checked) = upload_sheet(&clerk, "places", "check", places).await;
    assert_eq!(status, 200, "{checked}");
    assert!(
        checked.contains("1件を登録・更新できます")
            && checked.contains("新しく登録するもの：1件")
            && checked.contains("取込児童館"),
        "{checked}"
    );
    let (status, done) = upload_sheet(&clerk, "places", "import", places).await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("新しく登録したもの（下書き）：1件"), "{done}");
    let editor = done
        .split(r#"<a href="/staff/places/"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let form = clerk.page(&format!("/staff/places/{editor}"), 200).await;
    assert!(form.contains(r#"value="取込児童館""#), "{form}");

    // The same file again is the same place, not a second one; a changed row updates it.
    let (status, again) = upload_sheet(&clerk, "places", "import", places).await;
    assert_eq!(status, 200, "{again}");
    assert!(again.contains("すべて登録済みです"), "{again}");
    assert!(again.contains("登録済みで変更のないもの：1件"), "{again}");
    assert!(
        again.contains(&format!(r#"href="/staff/places/{editor}""#)),
        "{again}"
    );
    let moved = places.replace("城東中央1-1-1", "城東中央2-2-2");
    let (_, updated) = upload_sheet(&clerk, "places", "import", &moved).await;
    assert!(updated.contains("内容を更新したもの：1件"), "{updated}");
    let named = app
        .app
        .rows_once(
            "SELECT id FROM places WHERE name = '取込児童館'",
            0,
            std::time::Duration::ZERO,
        )
        .await;
    assert_eq!(named.len(), 1, "one place, however often its file is imported");
    let form = clerk.page(&format!("/staff/places/{editor}"), 200).await;
    assert!(form.contains("城東中央2-2-2"), "{form}");

    // A check goes stale when the place changes before 取り込む: the new plan is shown instead,
    // and nothing is written until the clerk confirms it.
    let (_, stale) = upload_sheet(&clerk, "places", "check", places).await;
    let apply = stale
        .split(r#"action="/staff/places/import/"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|rest| format!("/staff/places/import/{rest}"))
        .unwrap();
    let elsewhere = places.replace("城東中央1-1-1", "城東中央3-3-3");
    upload_sheet(&clerk, "places", "import", &elsewhere).await;
    let (status, _, replanned) = clerk.post(&apply, &[]).await;
    assert_eq!(status, 200, "{replanned}");
    assert!(replanned.contains("計算し直しました"), "{replanned}");
    let form = clerk.page(&format!("/staff/places/{editor}"), 200).await;
    assert!(form.contains("城東中央3-3-3"), "nothing written yet: {form}");
    let (_, _, done) = clerk.post(&apply, &[]).await;
    assert!(done.contains("内容を更新したもの：1件"), "{done}");
    let form = clerk.page(&format!("/staff/places/{editor}"), 200).await;
    assert!(form.contains("城東中央1-1-1"), "{form}");
    let (status, _, gone) = clerk.post(&apply, &[]).await;
    assert_eq!(status, 404, "an applied file is gone: {gone}");
    let mistyped = clerk.page("/staff/places/import/zzz", 404).await;
    assert!(
        mistyped.contains("アップロードしたファイル（ID: zzz）"),
        "{mistyped}"
    );

    // A file with a problem stores nothing and names its line and column.
    let events = "団体コード,種類,タイトル,会場,くり返し,開始日,開始時刻\n\
        022021,遊びの広場,ひろば,弘前市児童センター,毎週水,2026-04-01,10:30\n\
        022021,離乳食教室,もぐもぐ,弘前市保健センター,隔週,2026-04-01,10:00\n";
    let (status, refused) = upload_sheet(&clerk, "events", "import", events).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.contains("3行目 E列（くり返し）"), "{refused}");
    assert!(refused.contains("<h1>取り込むイベントの確認</h1>"), "{refused}");
    assert!(
        !refused.contains("/apply"),
        "a file with problems cannot be imported: {refused}"
    );
    let events_form = clerk.page("/staff/places/import?kind=events", 200).await;
    assert!(
        events_form.contains(r#"id="kind-events" name="kind" value="events" checked"#),
        "{events_form}"
    );
    let stored = app
        .app
        .rows_once(
            "SELECT id FROM events WHERE owner_code = '022021'",
            0,
            std::time::Duration::ZERO,
        )
        .await;
    let (status, refused) = upload_sheet(&clerk, "events", "import", "").await;
    assert_eq!(status, 422, "an empty upload is refused at the file control");
    assert!(refused.contains(r##"<ul><li><a href="#file">"##), "{refused}");
    let again = app
        .app
        .rows_once(
            "SELECT id FROM events WHERE owner_code = '022021'",
            0,
            std::time::Duration::ZERO,
        )
        .await;
    assert_eq!(again.len(), stored.len());
    let audit = app
        .app
        .rows_once(
            "SELECT action FROM audit_log WHERE action IN ('place.import', 'event.import')",
            4,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(audit.len(), 4, "four imports of places, none of events");
    let checks = app
        .app
        .rows_once(
            "SELECT action FROM audit_log WHERE action = 'event.import_check'",
            1,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(checks.len(), 1);
}

async fn a_clerk_enters_an_event_held_every_other_week(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let mut fields: Vec<(&str, &str)> = weaning_class("隔週の親子ひろば")
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "repeat" | "from" | "except"))
        .collect();
    // 2026-12-02 is a Wednesday.
    fields.extend([
        ("repeat", "weekly"),
        ("weekday", "wed"),
        ("interval_weeks", "2"),
        ("from", "令和8年12月2日"),
        ("action", "publish"),
    ]);
    let (status, location, body) = clerk.post("/staff/events/new", &fields).await;
    assert_eq!(status, 303, "{body}");
    let id = event_id(&location);
    let event = kosodate_tests::call(app.app.get(&format!("/api/v1/events/{id}")), 200).await;
    assert_eq!(
        event["schedule"]["rule"],
        serde_json::json!({"every": "weekly", "weekdays": ["wed"], "interval_weeks": 2})
    );
    let days = kosodate_tests::call(
        app.app.get(&format!(
            "/api/v1/events/{id}/occurrences?from=2026-12-01&to=2026-12-31"
        )),
        200,
    )
    .await;
    let dates: Vec<&str> = days
        .as_array()
        .unwrap()
        .iter()
        .map(|day| day["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-12-02", "2026-12-16", "2026-12-30"]);
    let edit = clerk.page(&location, 200).await;
    assert!(
        edit.contains(r#"<option value="2" selected>隔週（2週ごと）</option>"#),
        "{edit}"
    );
    let feed = app.app.text("/api/v1/open-data/events.ics").await;
    assert!(feed.contains("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"), "{feed}");

    // Five weeks apart is not on the list: a hand-made form is refused at the control.
    fields.retain(|(name, _)| *name != "interval_weeks" && *name != "action");
    fields.extend([("interval_weeks", "5"), ("action", "save")]);
    let (status, _, body) = clerk.post("/staff/events/new", &fields).await;
    assert_eq!(status, 422, "{body}");
    assert!(error_at(&body, "interval_weeks").contains("隔週は2"), "{body}");
}

async fn a_clerk_enters_an_event_on_listed_days(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let mut fields: Vec<(&str, &str)> = weaning_class("パパママ教室")
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "repeat" | "from" | "except" | "deadline_days_before"))
        .collect();
    fields.extend([
        ("repeat", "dates"),
        ("dates", "令和8年9月8日\n2026/6/9\n\n2026/6/9"),
        ("deadline_days_before", "7"),
        ("action", "publish"),
    ]);
    let (status, location, body) = clerk.post("/staff/events/new", &fields).await;
    assert_eq!(status, 303, "{body}");
    let id = event_id(&location);
    let event = kosodate_tests::call(app.app.get(&format!("/api/v1/events/{id}")), 200).await;
    assert_eq!(event["schedule"]["kind"], "dates");
    assert_eq!(
        event["schedule"]["dates"],
        serde_json::json!(["2026-06-09", "2026-09-08"])
    );
    let edit = clerk.page(&location, 200).await;
    assert!(edit.contains(r#"value="dates" checked"#), "{edit}");
    assert!(edit.contains("2026-06-09\n2026-09-08</textarea>"), "{edit}");
    let feed = app.app.text("/api/v1/open-data/events.ics").await;
    assert!(feed.contains("DTSTART;TZID=Asia/Tokyo:20260609T100000"), "{feed}");
    assert!(feed.contains("RDATE;TZID=Asia/Tokyo:20260908T100000"), "{feed}");
    let described = kosodate_tests::call(app.app.get("/api/v1/open-data/events"), 200).await;
    let listed = &described["@graph"][0];
    assert_eq!(listed["startDate"], "2026-06-09T10:00:00+09:00");
    assert_eq!(listed["eventSchedule"][1]["startDate"], "2026-09-08");

    // No day at all is refused at the list.
    fields.retain(|(name, _)| *name != "dates" && *name != "action");
    fields.extend([("dates", ""), ("action", "save")]);
    let (status, _, body) = clerk.post("/staff/events/new", &fields).await;
    assert_eq!(status, 422, "{body}");
    assert!(error_at(&body, "dates").contains("1日以上"), "{body}");
}

/// The organisation's review before publication, which its programs follow, holds for its places
/// and events: the clerk asks, a colleague publishes what is stored.
async fn with_review_on_a_colleague_publishes_places_and_events(backend: Backend) {
    let app = spawn_app_with_sign_in_accounts(
        backend,
        serde_json::json!({"hirosaki2": {"name": "弘前市 こども家庭課 山田", "roles": ["municipal_staff"], "municipality_code": "022021"}}),
    )
    .await;
    let sato = clerk(&app, "hirosaki").await;
    let settings = sato.page("/staff/settings", 200).await;
    assert!(settings.contains("制度・施設・イベントの編集画面"), "{settings}");
    let (status, _, _) = sato
        .post("/staff/settings", &[("review_before_publishing", "on")])
        .await;
    assert_eq!(status, 303);
    let form = sato.page("/staff/places/new?kind=childrens_hall", 200).await;
    assert!(form.contains(r#"value="request_review""#), "{form}");
    assert!(!form.contains(r#"value="publish""#), "{form}");

    let mut fields = childrens_hall("確認つき児童センター");
    fields.push(("action", "request_review"));
    let (status, location, body) = sato.post("/staff/places/new", &fields).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.ends_with("saved=review"), "{location}");
    let id = place_id(&location);
    let edit = sato.page(&location, 200).await;
    assert!(edit.contains("確認を依頼しました"), "{edit}");
    assert!(edit.contains("佐藤さんが確認を依頼しています"), "{edit}");
    assert!(
        !edit.contains(r#"value="approve""#),
        "the one who asked may not publish: {edit}"
    );
    let path = format!("/staff/places/{id}/edit");
    let (status, _, body) = sato.post(&path, &[("action", "approve")]).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("別の職員"), "{body}");
    sato.page(&format!("/places/{id}"), 404).await;

    let yamada = clerk(&app, "hirosaki2").await;
    // The colleague's home lists the place as waiting, beside the programs.
    let home = yamada.page("/staff", 200).await;
    assert!(
        home.contains(&format!(r#"<a href="{path}">確認つき児童センター</a>"#)),
        "{home}"
    );
    let aomori = clerk(&app, "aomori").await;
    let elsewhere = aomori.page("/staff", 200).await;
    assert!(!elsewhere.contains("確認つき児童センター"), "{elsewhere}");
    let edit = yamada.page(&path, 200).await;
    assert!(edit.contains(r#"value="approve""#), "{edit}");
    let (status, location, body) = yamada.post(&path, &[("action", "approve")]).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.ends_with("saved=published"), "{location}");
    yamada.page(&format!("/places/{id}"), 200).await;

    let mut fields = weaning_class("確認つき離乳食教室");
    fields.push(("action", "publish"));
    let (status, _, body) = sato.post("/staff/events/new", &fields).await;
    assert_eq!(status, 409, "publishing without a review is refused: {body}");
    assert!(body.contains("公開の前に確認が必要です"), "{body}");
    let mut fields = weaning_class("確認つき離乳食教室（依頼）");
    fields.push(("action", "request_review"));
    let (status, location, body) = sato.post("/staff/events/new", &fields).await;
    assert_eq!(status, 303, "{body}");
    let id = event_id(&location);
    let path = format!("/staff/events/{id}/edit");
    let (status, location, body) = yamada.post(&path, &[("action", "approve")]).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.ends_with("saved=published"), "{location}");
    yamada.page(&format!("/events/{id}"), 200).await;
    let audit = app
        .app
        .rows_once(
            "SELECT action FROM audit_log WHERE action IN ('place.review_request', 'event.review_request')",
            2,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(audit.len(), 2, "each request is audited");
}
