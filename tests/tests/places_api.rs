//! Places and events over HTTP, on SQLite and PostgreSQL: staff writes (their own municipality,
//! the prefecture everywhere, audited, `If-Match`), public reads with their filters, the days of
//! a recurring event, and the open data read back (schema.org JSON-LD and iCalendar).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use icalendar::{Calendar, Component, EventLike};
use kosodate_domain::MunicipalityCode;
use kosodate_registry::{Registry, StaffIdentity};
use kosodate_tests::{
    AOMORI_CITY_TOKEN, Backend, HIROSAKI_CITY_TOKEN, PREFECTURE_TOKEN, TestApp, both_backends, call,
    program_body, spawn_app, spawn_app_with,
};
use serde_json::{Value, json};

both_backends!(
    places_are_written_by_their_staff_and_read_by_everyone,
    saves_racing_on_one_place_each_make_a_version,
    events_are_found_by_area_dates_and_age,
    open_data_reads_back_as_json_ld_and_icalendar,
    spreadsheets_import_places_and_events_all_or_nothing,
    with_review_on_a_colleague_publishes_through_the_api_what_a_clerk_asked_about
);

fn place_body(owner: &str, name: &str) -> Value {
    json!({
        "owner": owner, "kind": "子育て支援センター", "name": name, "reading": "つどいのひろば",
        "address": "青森市新町1-3-7", "postal_code": "0300801", "latitude": 40.8256, "longitude": 140.7386,
        "opening_hours": {"days": [{"weekday": "mon", "open": "10:00", "close": "16:00"}], "closed_days": "木曜日"},
        "age_months": {"from": 0, "to": 47},
        "facilities": ["授乳室", "おむつ替え"]
    })
}

fn event_body(owner: &str, title: &str, place: Option<&str>, schedule: Value, audience: Value) -> Value {
    let mut body = json!({"owner": owner, "kind": "離乳食教室", "title": title,
        "sign_up": {"method": "phone"}, "fee": {"yen": 300, "note": "材料費"}});
    match place {
        Some(id) => body["place_id"] = json!(id),
        None => body["venue"] = json!("市民センター"),
    }
    body["schedule"] = schedule;
    body["audience"] = audience;
    body
}

async fn create(app: &TestApp, kind: &str, token: &str, body: &Value) -> String {
    let created = call(app.post(&format!("/api/v1/{kind}"), token).json(body), 201).await;
    let id = created["id"].as_str().unwrap().to_owned();
    call(app.post(&format!("/api/v1/{kind}/{id}/publish"), token), 200).await;
    id
}

/// A second token of 青森市: a colleague of the holder of `AOMORI_CITY_TOKEN`.
const AOMORI_COLLEAGUE_TOKEN: &str = "test-token-aomori-city-colleague";

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn places_are_written_by_their_staff_and_read_by_everyone(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = place_body("022012", "つどいの広場");
    call(app.post("/api/v1/places", HIROSAKI_CITY_TOKEN).json(&body), 403).await;
    call(app.client.post(app.url("/api/v1/places")).json(&body), 401).await;
    let mut wrong = body.clone();
    wrong["postal_code"] = json!("03008");
    wrong["opening_hours"]["days"][0]["close"] = json!("09:00");
    let problem = call(app.post("/api/v1/places", AOMORI_CITY_TOKEN).json(&wrong), 422).await;
    let pointers: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].clone())
        .collect();
    assert_eq!(
        pointers,
        [json!("/postal_code"), json!("/opening_hours/days/0/close")]
    );
    let unknown_kind = json!({"owner": "022012", "kind": "遊園地", "name": "x", "address": "y"});
    let problem = call(
        app.post("/api/v1/places", AOMORI_CITY_TOKEN).json(&unknown_kind),
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/kind");

    let created = app
        .post("/api/v1/places", AOMORI_CITY_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let place: Value = created.json().await.unwrap();
    assert_eq!(place["postal_code"], "030-0801");
    assert_eq!(place["license"], "https://creativecommons.org/licenses/by/4.0/");
    let path = format!("/api/v1/places/{}", place["id"].as_str().unwrap());
    call(app.get(&path), 404).await;
    // The prefecture gathers and may correct a municipality's places; a stale edit is refused.
    let mut renamed = body.clone();
    renamed["name"] = json!("つどいの広場さんぽぽ");
    let updated = call(
        app.put(&path, PREFECTURE_TOKEN)
            .header("If-Match", "\"1\"")
            .json(&renamed),
        200,
    )
    .await;
    assert_eq!(updated["version"], 2);
    call(
        app.put(&path, AOMORI_CITY_TOKEN)
            .header("If-Match", "\"1\"")
            .json(&body),
        412,
    )
    .await;
    call(app.post(&format!("{path}/publish"), HIROSAKI_CITY_TOKEN), 403).await;
    call(app.post(&format!("{path}/publish"), AOMORI_CITY_TOKEN), 200).await;
    call(app.post(&format!("{path}/publish"), AOMORI_CITY_TOKEN), 409).await;
    assert_eq!(call(app.get(&path), 200).await["name"], "つどいの広場さんぽぽ");
    // Each change is a version with who made it; staff of other municipalities do not see it.
    let history = call(
        app.get(&format!("{path}/history")).bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "updated", "published"], "{history}");
    assert_eq!(history[0]["content"]["name"], "つどいの広場");
    assert_eq!(history[1]["content"]["name"], "つどいの広場さんぽぽ");
    assert_ne!(
        history[0]["actor"], history[1]["actor"],
        "the city, then the prefecture"
    );
    assert_eq!(history[2]["status"], "published");
    call(
        app.get(&format!("{path}/history"))
            .bearer_auth(HIROSAKI_CITY_TOKEN),
        403,
    )
    .await;
    call(app.get(&format!("{path}/history")), 401).await;

    let listed = call(
        app.get("/api/v1/places")
            .query(&[("municipality", "022012"), ("age_months", "6")]),
        200,
    )
    .await;
    assert_eq!(ids(&listed).len(), 1);
    let older = call(app.get("/api/v1/places").query(&[("age_months", "60")]), 200).await;
    assert!(ids(&older).is_empty());
    let elsewhere = call(app.get("/api/v1/places").query(&[("region", "三八")]), 200).await;
    assert!(ids(&elsewhere).is_empty());
    call(app.get("/api/v1/places").query(&[("region", "北海道")]), 400).await;
    let actions = app
        .rows_once(
            "SELECT action, outcome FROM audit_log WHERE action LIKE 'place.%' ORDER BY action, outcome",
            5,
            std::time::Duration::from_secs(1),
        )
        .await;
    let actions: Vec<(String, String)> = actions
        .iter()
        .map(|row| {
            (
                row.try_get("", "action").unwrap(),
                row.try_get("", "outcome").unwrap(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("place.create".into(), "denied".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("place.update".into(), "allowed".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("place.publish".into(), "denied".into())),
        "{actions:?}"
    );
}

fn weekly(weekdays: &Value) -> Value {
    json!({"kind": "recurring", "rule": {"every": "weekly", "weekdays": weekdays.clone()}, "start": "10:00",
           "end": "11:30", "from": "2026-12-01", "until": "2027-03-31", "except": ["2026-12-29"]})
}

/// Saves of one place at the same moment wait for each other: each is a version of its own,
/// none writes over another's as the same version.
async fn saves_racing_on_one_place_each_make_a_version(backend: Backend) {
    const SAVES: usize = 8;
    let app = spawn_app(backend).await;
    let created = call(
        app.post("/api/v1/places", AOMORI_CITY_TOKEN)
            .json(&place_body("022012", "つどいの広場")),
        201,
    )
    .await;
    let path = format!("/api/v1/places/{}", created["id"].as_str().unwrap());
    let mut saves = tokio::task::JoinSet::new();
    for save in 0..SAVES {
        let mut body = place_body("022012", "つどいの広場");
        body["description"] = json!(format!("{save} 番目の保存です。"));
        let request = app.put(&path, AOMORI_CITY_TOKEN).json(&body);
        saves.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let statuses = saves.join_all().await;
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    let stored = call(app.get(&path).bearer_auth(AOMORI_CITY_TOKEN), 200).await;
    assert_eq!(stored["version"], 1 + SAVES);
    let history = call(
        app.get(&format!("{path}/history")).bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    let versions: Vec<u64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|version| version["version"].as_u64().unwrap())
        .collect();
    assert_eq!(
        versions,
        (1..=1 + SAVES as u64).collect::<Vec<_>>(),
        "one version per save"
    );
    let descriptions: std::collections::HashSet<&str> = history.as_array().unwrap()[1..]
        .iter()
        .map(|version| version["content"]["description"].as_str().unwrap())
        .collect();
    assert_eq!(descriptions.len(), SAVES, "each save's own content: {history}");
}

async fn events_are_found_by_area_dates_and_age(backend: Backend) {
    let app = spawn_app(backend).await;
    let place = create(
        &app,
        "places",
        AOMORI_CITY_TOKEN,
        &place_body("022012", "つどいの広場"),
    )
    .await;
    let weaning = create(
        &app,
        "events",
        AOMORI_CITY_TOKEN,
        &event_body(
            "022012",
            "もぐもぐ教室",
            Some(&place),
            weekly(&json!(["tue"])),
            json!({"age_months": {"from": 5, "to": 8}}),
        ),
    )
    .await;
    let online = create(
        &app,
        "events",
        PREFECTURE_TOKEN,
        &event_body(
            "020001",
            "オンライン両親学級",
            None,
            json!({"kind": "once", "date": "2026-12-12", "start": "14:00"}),
            json!({"pregnancy": true}),
        ),
    )
    .await;
    let hirosaki = create(
        &app,
        "events",
        HIROSAKI_CITY_TOKEN,
        &event_body("022021", "ひろさき教室", None, weekly(&json!(["wed"])), json!({})),
    )
    .await;
    let list = |query: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move { ids(&call(app.get("/api/v1/events").query(&query), 200).await) }
    };
    assert_eq!(
        list(vec![("municipality", "022012")]).await,
        [weaning.clone(), online.clone()]
    );
    assert_eq!(
        list(vec![("region", "中南")]).await,
        [online.clone(), hirosaki.clone()]
    );
    assert_eq!(
        list(vec![("from", "2026-12-29"), ("to", "2026-12-31")]).await,
        [hirosaki.as_str()]
    );
    assert_eq!(
        list(vec![("age_months", "6")]).await,
        [weaning.clone(), hirosaki.clone()]
    );
    assert_eq!(list(vec![("q", "もぐもぐ")]).await, [weaning.as_str()]);
    assert_eq!(
        list(vec![("place", "00000000-0000-0000-0000-000000000000")]).await,
        Vec::<String>::new()
    );
    call(app.get("/api/v1/events").query(&[("from", "2026-13-01")]), 400).await;

    let days = call(
        app.get(&format!("/api/v1/events/{weaning}/occurrences"))
            .query(&[("from", "2026-12-20"), ("to", "2027-01-10")]),
        200,
    )
    .await;
    let dates: Vec<_> = days
        .as_array()
        .unwrap()
        .iter()
        .map(|day| day["date"].clone())
        .collect();
    assert_eq!(
        dates,
        [json!("2026-12-22"), json!("2027-01-05")],
        "29 December is excluded"
    );
    assert_eq!(days[0]["start"], "10:00");
    call(app.get(&format!("/api/v1/events/{weaning}/occurrences")), 400).await;

    let mut at_missing_place = event_body(
        "022012",
        "x",
        Some("0193a5b2-7c1e-7000-8000-000000000001"),
        weekly(&json!(["mon"])),
        json!({}),
    );
    at_missing_place["capacity"] = json!(0);
    let problem = call(
        app.post("/api/v1/events", AOMORI_CITY_TOKEN)
            .json(&at_missing_place),
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/capacity");
    let path = format!("/api/v1/events/{weaning}");
    call(app.post(&format!("{path}/archive"), AOMORI_CITY_TOKEN), 200).await;
    call(app.get(&path), 404).await;
}

async fn open_data_reads_back_as_json_ld_and_icalendar(backend: Backend) {
    let app = spawn_app(backend).await;
    let place = create(
        &app,
        "places",
        AOMORI_CITY_TOKEN,
        &place_body("022012", "つどいの広場"),
    )
    .await;
    let second_tuesday = json!({"kind": "recurring", "rule": {"every": "monthly_weekday", "nth": 2, "weekday": "tue"},
        "start": "10:00", "end": "11:30", "from": "2026-04-01", "until": "2027-03-31", "except": ["2026-12-08"]});
    let event = create(
        &app,
        "events",
        AOMORI_CITY_TOKEN,
        &event_body(
            "022012",
            "もぐもぐ離乳食教室",
            Some(&place),
            second_tuesday,
            json!({"age_months": {"from": 5, "to": 8}}),
        ),
    )
    .await;

    // Programs carry their licence too, in their public JSON.
    let program = app
        .publish_program(AOMORI_CITY_TOKEN, &program_body("022012", "子ども医療費助成"))
        .await;
    let program = call(app.get(&format!("/api/v1/programs/{program}")), 200).await;
    assert_eq!(program["license"], "https://creativecommons.org/licenses/by/4.0/");
    // Or one of their own; a licence is named by its URL.
    let mut own_terms = program_body("022012", "ファミリー・サポート");
    own_terms["license"] = json!("https://www.city.aomori.aomori.jp/opendata/terms.html");
    let program = app.publish_program(AOMORI_CITY_TOKEN, &own_terms).await;
    let program = call(app.get(&format!("/api/v1/programs/{program}")), 200).await;
    assert_eq!(
        program["license"],
        "https://www.city.aomori.aomori.jp/opendata/terms.html"
    );
    own_terms["license"] = json!("CC BY");
    let refused = call(
        app.post("/api/v1/programs", AOMORI_CITY_TOKEN).json(&own_terms),
        422,
    )
    .await;
    assert_eq!(refused["errors"][0]["pointer"], "/license", "{refused}");

    let response = app.get("/api/v1/open-data/places").send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    let places: Value = response.json().await.unwrap();
    assert_eq!(places["@context"], "https://schema.org");
    let described = &places["@graph"][0];
    assert_eq!(described["@type"], json!(["CivicStructure", "Place"]));
    assert_eq!(described["address"]["addressLocality"], "青森市");
    assert_eq!(
        described["openingHoursSpecification"][0]["dayOfWeek"],
        "https://schema.org/Monday"
    );
    assert_eq!(described["amenityFeature"][0]["name"], "授乳室");
    assert_eq!(
        described["license"],
        "https://creativecommons.org/licenses/by/4.0/"
    );

    let events: Value = app
        .get("/api/v1/open-data/events")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let described = &events["@graph"][0];
    assert_eq!(described["@type"], "Event");
    assert_eq!(described["identifier"], event);
    assert_eq!(described["eventSchedule"]["repeatFrequency"], "P1M");
    assert_eq!(described["eventSchedule"]["byMonthWeek"], 2);
    assert_eq!(described["eventSchedule"]["exceptDate"], json!(["2026-12-08"]));
    assert_eq!(described["location"]["name"], "つどいの広場");
    assert_eq!(described["audience"]["suggestedAge"]["minValue"], 5);
    assert_eq!(described["offers"]["price"], 300);
    assert_eq!(described["organizer"]["name"], "青森市");
    assert_eq!(
        described["license"],
        "https://creativecommons.org/licenses/by/4.0/"
    );

    let response = app.get("/api/v1/open-data/events.ics").send().await.unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\n"), "{text}");
    let calendar: Calendar = text.parse().unwrap();
    let vevent = calendar.events().next().unwrap();
    assert_eq!(vevent.get_summary(), Some("もぐもぐ離乳食教室"));
    let start = vevent.properties().get("DTSTART").unwrap();
    // The second Tuesday of April 2026 is the 14th.
    assert_eq!(start.value(), "20260414T100000");
    assert_eq!(start.params().get("TZID").unwrap().value(), "Asia/Tokyo");
    assert_eq!(
        vevent.property_value("RRULE"),
        Some("FREQ=MONTHLY;BYDAY=2TU;UNTIL=20270331T145959Z")
    );
    let excluded = &vevent.multi_properties()["EXDATE"];
    assert_eq!(excluded[0].value(), "20261208T100000");
    assert_eq!(vevent.get_location(), Some("つどいの広場（青森市新町1-3-7）"));
}

async fn spreadsheets_import_places_and_events_all_or_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let places = "団体コード,種類,名称,住所,開館時間,設備\n\
        022012,児童館,浪打児童館,青森市浪打2-6-10,月-金 9:00-18:00,授乳室、おむつ替え\n";
    let checked = call(
        app.post("/api/v1/places/import", AOMORI_CITY_TOKEN)
            .query(&[("dry_run", "true")])
            .header("Content-Type", "text/csv")
            .body(places),
        200,
    )
    .await;
    assert_eq!(checked["created"][0]["id"], Value::Null);
    assert!(
        ids(&call(
            app.get("/api/v1/places")
                .query(&[("status", "draft")])
                .bearer_auth(AOMORI_CITY_TOKEN),
            200
        )
        .await)
        .is_empty()
    );
    let done = call(
        app.post("/api/v1/places/import", AOMORI_CITY_TOKEN)
            .query(&[("format", "csv")])
            .body(places),
        200,
    )
    .await;
    assert_eq!(done["created"][0]["name"], "浪打児童館");
    let events = "団体コード,種類,タイトル,施設名,くり返し,開始日,開始時刻,対象月齢（まで）\n\
        022012,遊びの広場,あかちゃんひろば,浪打児童館,毎週水,2026-04-01,10:30,23\n\
        022012,離乳食教室,もぐもぐ,ない館,隔週,2026-04-01,10:00,8\n";
    let refused = call(
        app.post("/api/v1/events/import", AOMORI_CITY_TOKEN)
            .header("Content-Type", "text/csv")
            .body(events),
        422,
    )
    .await;
    let problems: Vec<_> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| (problem["line"].clone(), problem["column"].clone()))
        .collect();
    assert_eq!(problems, [(json!(3), json!("E"))], "{refused}");
    let good: String = events.lines().take(2).map(|line| format!("{line}\n")).collect();
    call(
        app.post("/api/v1/events/import", HIROSAKI_CITY_TOKEN)
            .header("Content-Type", "text/csv")
            .body(good.clone()),
        403,
    )
    .await;
    let import_events = async |body: String| {
        let request = app
            .post("/api/v1/events/import", AOMORI_CITY_TOKEN)
            .header("Content-Type", "text/csv")
            .body(body);
        call(request, 200).await
    };
    let done = import_events(good.clone()).await;
    assert_eq!(done["created"].as_array().unwrap().len(), 1);
    // The same file again: the same event, untouched, not a second one.
    let again = import_events(good.clone()).await;
    assert_eq!(again["created"], json!([]), "{again}");
    assert_eq!(again["updated"], json!([]), "{again}");
    assert_eq!(again["unchanged"][0]["id"], done["created"][0]["id"], "{again}");
    let later = good.replace(",10:30,", ",11:00,");
    let moved = import_events(later).await;
    assert_eq!(moved["updated"][0]["id"], done["created"][0]["id"], "{moved}");
    let event_id = done["created"][0]["id"].as_str().unwrap();
    let event = call(
        app.get(&format!("/api/v1/events/{event_id}"))
            .bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    assert_eq!(event["schedule"]["start"], "11:00", "{event}");
}

/// Where 青森市 wants a second person's review, a clerk's token asks for it through the API, a
/// colleague's token reads the open request and publishes; programs, places and events alike.
async fn with_review_on_a_colleague_publishes_through_the_api_what_a_clerk_asked_about(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        let colleague = kosodate_tests::token("青森市 子育て支援課", "022012", AOMORI_COLLEAGUE_TOKEN);
        settings.api_tokens.push(colleague);
    })
    .await;
    let aomori = MunicipalityCode::parse("022012").unwrap();
    Registry::new(app.db.clone())
        .set_review_before_publishing(&StaffIdentity::administrator("test"), aomori, true)
        .await
        .unwrap();
    let place = place_body("022012", "つどいの広場さんかく");
    let schedule = json!({"kind": "once", "date": "2027-02-10", "start": "10:00"});
    let event = event_body(
        "022012",
        "離乳食教室",
        None,
        schedule,
        json!({"age_months": {"from": 5, "to": 8}}),
    );
    let records = [
        ("programs", program_body("022012", "青森市確認つき事業")),
        ("places", place),
        ("events", event),
    ];
    for (kind, body) in records {
        let created = call(
            app.post(&format!("/api/v1/{kind}"), AOMORI_CITY_TOKEN)
                .json(&body),
            201,
        )
        .await;
        let id = created["id"].as_str().unwrap();
        let publish = format!("/api/v1/{kind}/{id}/publish");
        let ask = format!("/api/v1/{kind}/{id}/review-request");

        let unasked = call(app.post(&publish, AOMORI_CITY_TOKEN), 409).await;
        assert_eq!(unasked["title"], "公開の前に確認が必要です", "{kind}: {unasked}");
        let none = call(app.get(&ask).bearer_auth(AOMORI_CITY_TOKEN), 404).await;
        assert!(
            none["detail"]
                .as_str()
                .unwrap()
                .contains("確認の依頼はありません"),
            "{none}"
        );
        call(app.post(&ask, HIROSAKI_CITY_TOKEN), 403).await;
        let request = call(app.post(&ask, AOMORI_CITY_TOKEN), 200).await;
        assert_eq!(request["version"], created["version"], "{kind}: {request}");
        assert_eq!(request["requested_by"], "青森市 こども支援課", "{kind}");
        let open = call(app.get(&ask).bearer_auth(AOMORI_COLLEAGUE_TOKEN), 200).await;
        assert_eq!(open, request, "{kind}: a colleague reads what was asked");
        call(app.get(&ask).bearer_auth(HIROSAKI_CITY_TOKEN), 403).await;
        call(app.get(&ask), 401).await;
        let own = call(app.post(&publish, AOMORI_CITY_TOKEN), 409).await;
        assert_eq!(own["title"], "別の職員が公開してください", "{kind}: {own}");
        let published = call(app.post(&publish, AOMORI_COLLEAGUE_TOKEN), 200).await;
        assert_eq!(published["status"], "published", "{kind}: {published}");
        call(app.get(&ask).bearer_auth(AOMORI_CITY_TOKEN), 404).await;

        call(
            app.post(&format!("/api/v1/{kind}/{id}/archive"), AOMORI_CITY_TOKEN),
            200,
        )
        .await;
        let archived = call(app.post(&ask, AOMORI_CITY_TOKEN), 409).await;
        assert!(archived["detail_en"].is_string(), "{kind}: {archived}");
        let unknown = format!("/api/v1/{kind}/{}/review-request", uuid::Uuid::now_v7());
        call(app.post(&unknown, AOMORI_CITY_TOKEN), 404).await;
        let missing = call(app.get(&unknown).bearer_auth(AOMORI_CITY_TOKEN), 404).await;
        assert!(
            missing["detail"].as_str().unwrap().contains("見つかりません"),
            "{missing}"
        );
    }
    let asked = app
        .rows_once(
            "SELECT action FROM audit_log WHERE action LIKE '%.review_request' AND outcome = 'allowed'",
            3,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(asked.len(), 3, "each request is in the audit log: {asked:?}");
}
