//! Places and events against real databases: every test runs on SQLite and on PostgreSQL (a
//! scratch database on the server `KOSODATE_TEST_POSTGRES_URL` names).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::NaiveDate;
use kosodate_database::{ScratchDatabase, connect};
use kosodate_domain::MunicipalityCode;
use kosodate_migrations::{Migrator, MigratorTrait};
use kosodate_places::{
    Area, EventFilter, EventInput, FeedPosition, PlaceFilter, PlaceInput, Places, PlacesError, Status,
};
use kosodate_registry::page::PageRequest;
use kosodate_registry::{StaffIdentity, Visibility};
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

struct Fixture {
    places: Places,
    _directory: tempfile::TempDir,
}

async fn open(backend: Backend) -> Fixture {
    let fixture = open_before_history(backend).await;
    Migrator::up(fixture.places.connection(), None)
        .await
        .expect("migrations run");
    fixture
}

/// A database migrated up to, not including, the history of places and events (migration 133).
async fn open_before_history(backend: Backend) -> Fixture {
    let directory = tempfile::tempdir().expect("temporary directory");
    let url = match backend {
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            directory.path().join("places.sqlite").display()
        ),
        Backend::Postgres => {
            let admin = std::env::var("KOSODATE_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("kosodate_test_{}", Uuid::now_v7().simple());
            // Left in place for scripts/test to drop, so that a failure's data can be read.
            ScratchDatabase::create(&admin, &name)
                .await
                .expect("scratch database")
                .url
        }
    };
    let db = connect(&url, 4).await.expect("database opens");
    let before_history = Migrator::migrations()
        .iter()
        .position(|migration| migration.name().contains("place_event_versions"))
        .expect("the history migration");
    Migrator::up(&db, Some(u32::try_from(before_history).unwrap()))
        .await
        .expect("migrations run");
    kosodate_registry::seed::seed_municipalities(&db)
        .await
        .expect("municipalities");
    Fixture {
        places: Places::new(db),
        _directory: directory,
    }
}

macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::open(super::Backend::Sqlite).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::open(super::Backend::Postgres).await).await;
            }
        }
    )+};
}

both_backends!(
    writes_are_authorized_versioned_and_published,
    lists_filter_by_area_dates_age_and_words,
    the_change_feed_follows_updated_at_then_id,
    the_examples_load_once_and_are_published,
    imports_are_all_or_nothing_with_problems_by_line_and_column,
    importing_a_file_again_updates_what_it_created,
    every_change_is_a_version_with_who_made_it,
    a_colleague_publishes_what_a_clerk_asked_to_review
);

/// Runs a test on a database migrated up to the one before the history of places and events.
macro_rules! both_backends_before_history {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await;
            }
        }
    };
}

both_backends_before_history!(a_place_from_before_history_starts_from_its_version_then);

fn code(text: &str) -> MunicipalityCode {
    MunicipalityCode::parse(text).unwrap()
}

fn aomori_staff() -> StaffIdentity {
    StaffIdentity::for_organisation("青森市 職員", code("022012"))
}

fn place_input(owner: &str, name: &str) -> PlaceInput {
    serde_json::from_value(json!({
        "owner": owner, "kind": "児童館", "name": name, "address": "青森市新町1-1",
        "age_months": {"from": 0, "to": 36}
    }))
    .unwrap()
}

fn event_input(owner: &str, title: &str, schedule: Value, audience: Value) -> EventInput {
    let mut value = json!({"owner": owner, "kind": "子育てサロン", "title": title, "venue": "公民館"});
    value["schedule"] = schedule;
    value["audience"] = audience;
    serde_json::from_value(value).unwrap()
}

fn once(date: &str) -> Value {
    json!({"kind": "once", "date": date, "start": "10:00"})
}

async fn writes_are_authorized_versioned_and_published(fixture: Fixture) {
    let places = &fixture.places;
    let hirosaki = StaffIdentity::for_organisation("弘前市 職員", code("022021"));
    let prefecture = StaffIdentity::for_organisation("県 職員", code("020001"));
    let refused = places
        .create_place(&hirosaki, &place_input("022012", "浪打児童館"))
        .await;
    assert!(
        matches!(refused, Err(PlacesError::Forbidden { .. })),
        "{refused:?}"
    );
    let unknown = places
        .create_place(&prefecture, &place_input("011002", "札幌の館"))
        .await;
    assert!(matches!(unknown, Err(PlacesError::Invalid(_))), "{unknown:?}");
    let place = places
        .create_place(&aomori_staff(), &place_input("022012", "浪打児童館"))
        .await
        .unwrap();
    assert_eq!((place.status, place.version), (Status::Draft, 1));
    let same_name = places
        .create_place(&aomori_staff(), &place_input("022012", "浪打児童館"))
        .await;
    assert!(matches!(same_name, Err(PlacesError::Invalid(_))), "{same_name:?}");
    assert!(matches!(
        places.place(place.id, Visibility::Public).await,
        Err(PlacesError::PlaceNotFound(_))
    ));
    // The prefecture gathers every municipality's places and may correct them.
    let renamed = places
        .update_place(
            &prefecture,
            place.id,
            &place_input("022012", "浪打児童館（なみうち）"),
            Some(1),
        )
        .await
        .unwrap();
    assert_eq!(renamed.version, 2);
    let stale = places
        .update_place(&aomori_staff(), place.id, &place_input("022012", "x"), Some(1))
        .await;
    assert!(matches!(
        stale,
        Err(PlacesError::VersionMismatch {
            expected: 1,
            current: 2
        })
    ));
    let unchanged = places
        .update_place(
            &aomori_staff(),
            place.id,
            &place_input("022012", "浪打児童館（なみうち）"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(unchanged.version, 2, "the same content again changes nothing");
    let published = places.publish_place(&aomori_staff(), place.id).await.unwrap();
    assert_eq!((published.status, published.version), (Status::Published, 3));
    assert!(matches!(
        places.publish_place(&aomori_staff(), place.id).await,
        Err(PlacesError::InvalidTransition { .. })
    ));
    assert_eq!(
        places.place(place.id, Visibility::Public).await.unwrap(),
        published
    );

    let mut at_place = event_input("022012", "親子サロン", once("2026-12-10"), json!({}));
    at_place.venue = None;
    at_place.place_id = Some(Uuid::now_v7());
    let missing = places.create_event(&aomori_staff(), &at_place).await;
    assert!(matches!(missing, Err(PlacesError::Invalid(ref errors)) if errors.0[0].pointer == "/place_id"));
    at_place.place_id = Some(place.id);
    let event = places.create_event(&aomori_staff(), &at_place).await.unwrap();
    let event = places.publish_event(&aomori_staff(), event.id).await.unwrap();
    let archived = places.archive_event(&aomori_staff(), event.id).await.unwrap();
    assert_eq!((archived.status, archived.version), (Status::Archived, 3));
    assert!(places.event(event.id, Visibility::Public).await.is_err());
    assert_eq!(places.event(event.id, Visibility::Staff).await.unwrap(), archived);
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

async fn publish_event(places: &Places, actor: &StaffIdentity, input: &EventInput) -> Uuid {
    let event = places.create_event(actor, input).await.unwrap();
    places.publish_event(actor, event.id).await.unwrap().id
}

async fn lists_filter_by_area_dates_age_and_words(fixture: Fixture) {
    let places = &fixture.places;
    let prefecture = StaffIdentity::for_organisation("県 職員", code("020001"));
    let hachinohe = StaffIdentity::for_organisation("八戸市 職員", code("022039"));
    let weekly_tuesday = json!({"kind": "recurring", "rule": {"every": "weekly", "weekdays": ["tue"]},
        "start": "10:00", "from": "2026-12-01"});
    let salon = publish_event(
        places,
        &aomori_staff(),
        &event_input(
            "022012",
            "ひよこサロン",
            weekly_tuesday,
            json!({"age_months": {"from": 0, "to": 11}}),
        ),
    )
    .await;
    let online = publish_event(
        places,
        &prefecture,
        &event_input(
            "020001",
            "オンライン両親学級",
            once("2026-12-12"),
            json!({"pregnancy": true}),
        ),
    )
    .await;
    let hachinohe_story = publish_event(
        places,
        &hachinohe,
        &event_input("022039", "こどもおはなし会", once("2026-12-09"), json!({})),
    )
    .await;
    let draft = places
        .create_event(
            &aomori_staff(),
            &event_input("022012", "下書き", once("2026-12-09"), json!({})),
        )
        .await
        .unwrap()
        .id;
    let ids = |page: kosodate_registry::page::Page<kosodate_places::Event>| {
        page.items.into_iter().map(|event| event.id).collect::<Vec<_>>()
    };
    let all = PageRequest::default();
    let in_aomori = EventFilter {
        area: Area {
            municipality: Some(code("022012")),
            ..Area::default()
        },
        ..EventFilter::default()
    };
    assert_eq!(
        ids(places
            .list_events(&in_aomori, Visibility::Public, &all)
            .await
            .unwrap()),
        [salon, online]
    );
    let staff = ids(places
        .list_events(&in_aomori, Visibility::Staff, &all)
        .await
        .unwrap());
    assert_eq!(staff, [salon, online, draft]);
    let sanpachi = EventFilter {
        area: Area {
            region: Some("三八".into()),
            ..Area::default()
        },
        ..EventFilter::default()
    };
    let region = ids(places
        .list_events(&sanpachi, Visibility::Public, &all)
        .await
        .unwrap());
    assert_eq!(region, [online, hachinohe_story]);
    // Wednesday 9 December to Friday 11 December: no Tuesday, no 12th.
    let midweek = EventFilter {
        from: Some(day("2026-12-09")),
        to: Some(day("2026-12-11")),
        ..EventFilter::default()
    };
    assert_eq!(
        ids(places
            .list_events(&midweek, Visibility::Public, &all)
            .await
            .unwrap()),
        [hachinohe_story]
    );
    let baby = EventFilter {
        age_months: Some(4..=4),
        ..EventFilter::default()
    };
    assert_eq!(
        ids(places.list_events(&baby, Visibility::Public, &all).await.unwrap()),
        [salon, hachinohe_story]
    );
    let words = EventFilter {
        text: Some("ＳＡＬＯＮ サロン".into()),
        ..EventFilter::default()
    };
    assert!(
        ids(places
            .list_events(&words, Visibility::Public, &all)
            .await
            .unwrap())
        .is_empty()
    );
    let words = EventFilter {
        text: Some("ひよこ　サロン".into()),
        ..EventFilter::default()
    };
    assert_eq!(
        ids(places
            .list_events(&words, Visibility::Public, &all)
            .await
            .unwrap()),
        [salon]
    );
    // Words are compared as the program search compares them: kana and width folded, and a
    // word of a synonym group finds the others (子供 ~ こども).
    for (query, found) in [
        ("ヒヨコさろん", vec![salon]),
        ("ｵﾝﾗｲﾝ 両親", vec![online]),
        ("子供 おハナし", vec![hachinohe_story]),
        ("児童 ひよこ", vec![]),
    ] {
        let words = EventFilter {
            text: Some(query.into()),
            ..EventFilter::default()
        };
        let listed = ids(places
            .list_events(&words, Visibility::Public, &all)
            .await
            .unwrap());
        assert_eq!(listed, found, "{query}");
    }
    // Pages of one: every event once, in id order.
    let mut seen = Vec::new();
    let mut page = PageRequest {
        limit: Some(1),
        cursor: None,
    };
    loop {
        let result = places
            .list_events(&EventFilter::default(), Visibility::Public, &page)
            .await
            .unwrap();
        seen.extend(result.items.iter().map(|event| event.id));
        match result.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen, [salon, online, hachinohe_story]);
    let place = places
        .create_place(&aomori_staff(), &place_input("022012", "浪打児童館"))
        .await
        .unwrap();
    places.publish_place(&aomori_staff(), place.id).await.unwrap();
    let older = PlaceFilter {
        age_months: Some(48),
        ..PlaceFilter::default()
    };
    assert!(
        places
            .list_places(&older, Visibility::Public, &all)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let by_kind = PlaceFilter {
        kind: Some(kosodate_places::PlaceKind::ChildrensHall),
        text: Some("浪打".into()),
        ..PlaceFilter::default()
    };
    assert_eq!(
        places
            .list_places(&by_kind, Visibility::Public, &all)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

async fn the_change_feed_follows_updated_at_then_id(fixture: Fixture) {
    let places = &fixture.places;
    let first = places
        .create_place(&aomori_staff(), &place_input("022012", "一"))
        .await
        .unwrap();
    let second = places
        .create_place(&aomori_staff(), &place_input("022012", "二"))
        .await
        .unwrap();
    let feed = places.places_changed_after(None, 10).await.unwrap();
    assert_eq!(
        feed.iter().map(|place| place.id).collect::<Vec<_>>(),
        [first.id, second.id]
    );
    let after_second = FeedPosition {
        updated_at: second.updated_at,
        id: Some(second.id),
    };
    assert!(
        places
            .places_changed_after(Some(after_second), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let published = places.publish_place(&aomori_staff(), first.id).await.unwrap();
    let feed = places.places_changed_after(Some(after_second), 10).await.unwrap();
    assert_eq!(feed, [published]);
    let event = places
        .create_event(
            &aomori_staff(),
            &event_input("022012", "サロン", once("2026-12-10"), json!({})),
        )
        .await
        .unwrap();
    assert_eq!(places.events_changed_after(None, 10).await.unwrap(), [event]);
}

async fn the_examples_load_once_and_are_published(fixture: Fixture) {
    let places = &fixture.places;
    let loaded = places.load_examples_if_empty().await.unwrap().unwrap();
    assert!(loaded.places >= 5 && loaded.events >= 5, "{loaded:?}");
    assert_eq!(places.load_examples_if_empty().await.unwrap(), None);
    let all = PageRequest {
        limit: Some(500),
        cursor: None,
    };
    let events = places
        .list_events(&EventFilter::default(), Visibility::Public, &all)
        .await
        .unwrap();
    assert_eq!(events.items.len(), loaded.events);
    let december = EventFilter {
        from: Some(day("2026-12-01")),
        to: Some(day("2026-12-31")),
        ..EventFilter::default()
    };
    let held = places
        .list_events(&december, Visibility::Public, &all)
        .await
        .unwrap();
    assert!(held.items.len() >= 4, "recurring examples take place in December");
}

const PLACES_CSV: &str = "団体コード,種類,名称,住所,開館時間,設備,対象月齢（から）,対象月齢（まで）\n\
022012,児童館,浪打児童館,青森市浪打2-6-10,月-金 9:00-18:00、土 9:00-17:00,授乳室、おむつ替え,0,215\n\
022012,支援センター,つどいの広場,青森市新町1-3-7,火 10:00-16:00,,,\n";

fn events_xlsx(rows: &[[&str; 8]]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let headers = [
        "団体コード",
        "種類",
        "タイトル",
        "施設名",
        "くり返し",
        "開始日",
        "開始時刻",
        "対象月齢（まで）",
    ];
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string(0, column as u16, *header).unwrap();
    }
    for (row, cells) in rows.iter().enumerate() {
        for (column, cell) in cells.iter().enumerate() {
            sheet.write_string(row as u32 + 1, column as u16, *cell).unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

async fn imports_are_all_or_nothing_with_problems_by_line_and_column(fixture: Fixture) {
    use kosodate_places::import::{ImportKind, Sheet};
    let places = &fixture.places;
    let sheet = Sheet::from_csv(PLACES_CSV.as_bytes()).unwrap();
    let dry = places
        .import(&aomori_staff(), ImportKind::Places, &sheet, true)
        .await
        .unwrap();
    assert_eq!(dry.created.len(), 2);
    assert!(dry.created.iter().all(|row| row.id.is_none()));
    assert!(
        places.places_changed_after(None, 10).await.unwrap().is_empty(),
        "a dry run writes nothing"
    );
    let done = places
        .import(&aomori_staff(), ImportKind::Places, &sheet, false)
        .await
        .unwrap();
    assert_eq!(
        done.created.iter().map(|row| row.line).collect::<Vec<_>>(),
        [2, 3]
    );
    let hall = places
        .place(done.created[0].id.unwrap(), Visibility::Staff)
        .await
        .unwrap();
    assert_eq!(hall.content.opening_hours.days.len(), 6);
    assert_eq!(hall.content.facilities.len(), 2);

    let wrong = events_xlsx(&[
        [
            "022012",
            "離乳食教室",
            "もぐもぐ",
            "浪打児童館",
            "第2火曜",
            "2026-04-01",
            "10:00",
            "8",
        ],
        [
            "022012",
            "遊園地",
            "",
            "ない館",
            "隔週",
            "2026-04-31",
            "25:00",
            "8",
        ],
    ]);
    let sheet = Sheet::from_xlsx(&wrong).unwrap();
    let Err(PlacesError::Import(problems)) = places
        .import(&aomori_staff(), ImportKind::Events, &sheet, false)
        .await
    else {
        panic!("a file with problems is refused");
    };
    let found: Vec<(usize, Option<&str>)> =
        problems.0.iter().map(|p| (p.line, p.column.as_deref())).collect();
    assert_eq!(
        found,
        [(3, Some("E")), (3, Some("F")), (3, Some("G"))],
        "{problems:?}"
    );
    assert!(
        places.events_changed_after(None, 10).await.unwrap().is_empty(),
        "nothing is written"
    );

    let right = events_xlsx(&[
        [
            "022012",
            "離乳食教室",
            "もぐもぐ",
            "浪打児童館",
            "第2火曜",
            "2026-04-01",
            "10:00",
            "8",
        ],
        [
            "022012",
            "遊びの広場",
            "ひろば",
            "",
            "毎週水",
            "2026-04-01",
            "10:30",
            "",
        ],
    ]);
    let sheet = Sheet::from_xlsx(&right).unwrap();
    let Err(PlacesError::Import(problems)) = places
        .import(&aomori_staff(), ImportKind::Events, &sheet, false)
        .await
    else {
        panic!("an event needs a place or a venue");
    };
    assert_eq!(problems.0[0].column.as_deref(), Some("D"), "{problems:?}");
    let right = events_xlsx(&[
        [
            "022012",
            "離乳食教室",
            "もぐもぐ",
            "浪打児童館",
            "第2火曜",
            "2026-04-01",
            "10:00",
            "8",
        ],
        // Several days in the first day's cell, no repetition: an event on those days.
        [
            "022012",
            "両親学級",
            "パパママ教室",
            "浪打児童館",
            "",
            "2026/9/8、令和8年6月9日\n2026-06-09",
            "13:30",
            "",
        ],
    ]);
    let sheet = Sheet::from_xlsx(&right).unwrap();
    let done = places
        .import(&aomori_staff(), ImportKind::Events, &sheet, false)
        .await
        .unwrap();
    let event = places
        .event(done.created[0].id.unwrap(), Visibility::Staff)
        .await
        .unwrap();
    assert_eq!(
        event.content.venue,
        kosodate_places::Venue::Place { place_id: hall.id }
    );
    let classes = places
        .event(done.created[1].id.unwrap(), Visibility::Staff)
        .await
        .unwrap();
    let kosodate_places::Schedule::Dates { dates, .. } = &classes.content.schedule else {
        panic!("{:?}", classes.content.schedule);
    };
    let dates: Vec<String> = dates.iter().map(ToString::to_string).collect();
    assert_eq!(dates, ["2026-06-09", "2026-09-08"], "in order, once each");
    let hirosaki = StaffIdentity::for_organisation("弘前市 職員", code("022021"));
    let refused = places.import(&hirosaki, ImportKind::Events, &sheet, true).await;
    assert!(
        matches!(refused, Err(PlacesError::Forbidden { .. })),
        "{refused:?}"
    );
}

fn titles_on_first_days(rows: &[(&str, &str)]) -> Vec<u8> {
    let rows: Vec<[&str; 8]> = rows
        .iter()
        .map(|(title, first_day)| {
            [
                "022012",
                "子育てサロン",
                title,
                "浪打児童館",
                "毎週水",
                first_day,
                "10:00",
                "36",
            ]
        })
        .collect();
    events_xlsx(&rows)
}

async fn importing_a_file_again_updates_what_it_created(fixture: Fixture) {
    use kosodate_places::import::{ImportKind, Sheet};
    let places = &fixture.places;
    let staff = aomori_staff();
    let sheet = Sheet::from_csv(PLACES_CSV.as_bytes()).unwrap();
    let first = places
        .import(&staff, ImportKind::Places, &sheet, false)
        .await
        .unwrap();
    let again = places
        .import(&staff, ImportKind::Places, &sheet, false)
        .await
        .unwrap();
    assert!(again.created.is_empty() && again.updated.is_empty(), "{again:?}");
    let ids =
        |rows: &[kosodate_places::import::ImportedRow]| rows.iter().map(|row| row.id).collect::<Vec<_>>();
    assert_eq!(
        ids(&again.unchanged),
        ids(&first.created),
        "the same two places, untouched"
    );
    let hall_id = first.created[0].id.unwrap();
    places.publish_place(&staff, hall_id).await.unwrap();

    let moved = PLACES_CSV.replace("青森市浪打2-6-10", "青森市浪打2-7-1");
    let sheet = Sheet::from_csv(moved.as_bytes()).unwrap();
    let checked = places
        .import(&staff, ImportKind::Places, &sheet, true)
        .await
        .unwrap();
    assert_eq!(
        ids(&checked.updated),
        [Some(hall_id)],
        "a check names the record it would change"
    );
    let hall = places.place(hall_id, Visibility::Staff).await.unwrap();
    assert_eq!(hall.content.address, "青森市浪打2-6-10", "a check writes nothing");
    let moved_report = places
        .import(&staff, ImportKind::Places, &sheet, false)
        .await
        .unwrap();
    assert_eq!(
        (
            moved_report.created.len(),
            ids(&moved_report.updated),
            moved_report.unchanged.len()
        ),
        (0, vec![Some(hall_id)], 1)
    );
    let hall = places.place(hall_id, Visibility::Staff).await.unwrap();
    assert_eq!(hall.content.address, "青森市浪打2-7-1");
    assert_eq!(
        hall.status,
        kosodate_places::Status::Published,
        "an update keeps the status"
    );
    assert_eq!(hall.version, 3, "created, published, updated");
    assert_eq!(
        moved_report.updated[0].version,
        Some(3),
        "the report says the version written"
    );
    assert_eq!(
        checked.updated[0].version,
        Some(2),
        "a check, the version it would replace"
    );
    assert_eq!(places.places_changed_after(None, 10).await.unwrap().len(), 2);

    let salons = titles_on_first_days(&[("ひろば", "2026-04-01"), ("ひろば", "2026-10-07")]);
    let sheet = Sheet::from_xlsx(&salons).unwrap();
    let created = places
        .import(&staff, ImportKind::Events, &sheet, false)
        .await
        .unwrap();
    assert_eq!(
        created.created.len(),
        2,
        "one title on two first days is two events"
    );
    let again = places
        .import(&staff, ImportKind::Events, &sheet, false)
        .await
        .unwrap();
    assert_eq!((again.created.len(), again.unchanged.len()), (0, 2), "{again:?}");
    assert_eq!(places.events_changed_after(None, 10).await.unwrap().len(), 2);

    let twice = titles_on_first_days(&[("ひろば", "2026-04-01"), ("ひろば", "2026/4/1")]);
    let Err(PlacesError::Import(problems)) = places
        .import(
            &staff,
            ImportKind::Events,
            &Sheet::from_xlsx(&twice).unwrap(),
            true,
        )
        .await
    else {
        panic!("one event on two lines is refused");
    };
    let found: Vec<_> = problems.0.iter().map(|p| (p.line, p.column.as_deref())).collect();
    assert_eq!(found, [(3, Some("C"))], "{problems:?}");
    assert!(problems.0[0].detail.contains("2行目"), "{problems:?}");

    // An event made in the editor with the same title and first day: the row could be either.
    let input = event_input("022012", "ひろば", once("2026-04-01"), json!({}));
    let made = places.create_event(&staff, &input).await.unwrap();
    let Err(PlacesError::Import(problems)) = places.import(&staff, ImportKind::Events, &sheet, true).await
    else {
        panic!("a row that is two stored events is refused");
    };
    assert_eq!(problems.0.len(), 1, "{problems:?}");
    assert_eq!(
        (problems.0[0].line, problems.0[0].column.as_deref()),
        (2, Some("C"))
    );
    places.archive_event(&staff, made.id).await.unwrap();
    let after = places
        .import(&staff, ImportKind::Events, &sheet, false)
        .await
        .unwrap();
    assert_eq!(after.unchanged.len(), 2, "archived events are not the row's");
}

async fn every_change_is_a_version_with_who_made_it(fixture: Fixture) {
    use kosodate_places::VersionAction::{
        Archived, Created, CreatedFromFile, Published, Updated, UpdatedFromFile,
    };
    use kosodate_places::import::{ImportKind, Sheet};
    let places = &fixture.places;
    let prefecture = StaffIdentity::for_organisation("県 職員", code("020001"));
    let place = places
        .create_place(&aomori_staff(), &place_input("022012", "浪打児童館"))
        .await
        .unwrap();
    let renamed = place_input("022012", "浪打児童館（なみうち）");
    places
        .update_place(&prefecture, place.id, &renamed, Some(1))
        .await
        .unwrap();
    places
        .update_place(&aomori_staff(), place.id, &renamed, None)
        .await
        .unwrap();
    places.publish_place(&aomori_staff(), place.id).await.unwrap();
    places.archive_place(&prefecture, place.id).await.unwrap();
    let history = places.place_history(&aomori_staff(), place.id).await.unwrap();
    let summary: Vec<_> = history
        .iter()
        .map(|version| {
            (
                version.version,
                version.action,
                version.actor.as_deref(),
                version.status,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, Created, Some("青森市 職員"), Status::Draft),
            (2, Updated, Some("県 職員"), Status::Draft),
            (3, Published, Some("青森市 職員"), Status::Published),
            (4, Archived, Some("県 職員"), Status::Archived),
        ],
        "saving the same content again is no version"
    );
    assert_eq!(history[0].content.name, "浪打児童館");
    assert_eq!(history[3].content.name, "浪打児童館（なみうち）");
    assert!(
        history
            .windows(2)
            .all(|pair| pair[0].recorded_at <= pair[1].recorded_at)
    );
    let hirosaki = StaffIdentity::for_organisation("弘前市 職員", code("022021"));
    assert!(matches!(
        places.place_history(&hirosaki, place.id).await,
        Err(PlacesError::Forbidden { .. })
    ));
    assert!(matches!(
        places.place_history(&prefecture, Uuid::now_v7()).await,
        Err(PlacesError::PlaceNotFound(_))
    ));

    let event = places
        .create_event(
            &aomori_staff(),
            &event_input("022012", "親子サロン", once("2026-12-10"), json!({})),
        )
        .await
        .unwrap();
    places.publish_event(&prefecture, event.id).await.unwrap();
    let actions: Vec<_> = places
        .event_history(&aomori_staff(), event.id)
        .await
        .unwrap()
        .iter()
        .map(|version| (version.action, version.content.title.clone()))
        .collect();
    assert_eq!(
        actions,
        [
            (Created, "親子サロン".to_owned()),
            (Published, "親子サロン".to_owned())
        ]
    );

    let sheet = Sheet::from_csv(PLACES_CSV.as_bytes()).unwrap();
    let checked = places
        .import(&aomori_staff(), ImportKind::Places, &sheet, true)
        .await
        .unwrap();
    assert!(
        checked.created.iter().all(|row| row.id.is_none()),
        "a check makes no record"
    );
    let imported = places
        .import(&aomori_staff(), ImportKind::Places, &sheet, false)
        .await
        .unwrap();
    let hall = imported.created[0].id.unwrap();
    let moved = PLACES_CSV.replace("青森市浪打2-6-10", "青森市浪打2-7-1");
    let sheet = Sheet::from_csv(moved.as_bytes()).unwrap();
    places
        .import(&aomori_staff(), ImportKind::Places, &sheet, true)
        .await
        .unwrap();
    places
        .import(&aomori_staff(), ImportKind::Places, &sheet, false)
        .await
        .unwrap();
    places
        .import(&aomori_staff(), ImportKind::Places, &sheet, false)
        .await
        .unwrap();
    let history = places.place_history(&aomori_staff(), hall).await.unwrap();
    let summary: Vec<_> = history
        .iter()
        .map(|version| (version.version, version.action, version.content.address.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, CreatedFromFile, "青森市浪打2-6-10"),
            (2, UpdatedFromFile, "青森市浪打2-7-1")
        ],
        "a check and an unchanged row write no version"
    );
}

/// Migration 133 gives every place and event that existed before it its version then, as the
/// one its history starts from, with nobody named.
async fn a_place_from_before_history_starts_from_its_version_then(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let fixture = open_before_history(backend).await;
    let db = fixture.places.connection();
    let content = serde_json::to_value(place_input("022012", "浪打児童館").validate().unwrap()).unwrap();
    let id = Uuid::now_v7();
    let statement = sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO places (id, owner_code, kind, name, content, status, version, created_at, updated_at) \
         VALUES ($1, '022012', 'childrens_hall', '浪打児童館', $2, 'published', 4, $3, $3)",
        [id.to_string().into(), content.into(), chrono::Utc::now().into()],
    );
    db.execute_raw(statement).await.unwrap();
    Migrator::up(db, None).await.expect("the history migration runs");
    let history = fixture.places.place_history(&aomori_staff(), id).await.unwrap();
    let summary: Vec<_> = history
        .iter()
        .map(|version| {
            (
                version.version,
                version.action,
                version.actor.clone(),
                version.status,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [(
            4,
            kosodate_places::VersionAction::Recorded,
            None,
            Status::Published
        )]
    );
    assert_eq!(history[0].content.name, "浪打児童館");
    let renamed = fixture
        .places
        .update_place(
            &aomori_staff(),
            id,
            &place_input("022012", "浪打児童館（なみうち）"),
            Some(4),
        )
        .await
        .unwrap();
    assert_eq!(renamed.version, 5);
    assert_eq!(
        fixture
            .places
            .place_history(&aomori_staff(), id)
            .await
            .unwrap()
            .len(),
        2
    );
}

fn refused_for(result: Result<impl std::fmt::Debug, PlacesError>, expected: &str) {
    match result {
        Err(PlacesError::Registry(error)) => assert_eq!(format!("{error:?}"), expected),
        other => panic!("expected {expected}, got {other:?}"),
    }
}

/// Where an organisation turned review on (the setting its programs follow), a place or an event
/// is published only by a colleague of the one who asked for a review of that very version.
async fn a_colleague_publishes_what_a_clerk_asked_to_review(fixture: Fixture) {
    let places = &fixture.places;
    let registry = kosodate_registry::Registry::new(places.connection().clone());
    let clerk = aomori_staff();
    let colleague = StaffIdentity::for_organisation("青森市 係長", code("022012"));
    registry
        .set_review_before_publishing(&clerk, code("022012"), true)
        .await
        .unwrap();
    let place = places
        .create_place(&clerk, &place_input("022012", "浪打児童館"))
        .await
        .unwrap();
    refused_for(places.publish_place(&colleague, place.id).await, "ReviewRequired");
    let (_, request) = places.request_place_review(&clerk, place.id).await.unwrap();
    assert_eq!(
        (request.version, request.requested_by.as_str()),
        (1, "青森市 職員")
    );
    refused_for(
        places.publish_place(&clerk, place.id).await,
        "ReviewBySomeoneElse",
    );
    // A save after the request makes it stale: the colleague would publish what nobody asked about.
    places
        .update_place(
            &clerk,
            place.id,
            &place_input("022012", "浪打児童館（なみうち）"),
            Some(1),
        )
        .await
        .unwrap();
    refused_for(places.publish_place(&colleague, place.id).await, "ReviewRequired");
    assert_eq!(
        places
            .place_review_request(place.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );
    places.request_place_review(&clerk, place.id).await.unwrap();
    let published = places.publish_place(&colleague, place.id).await.unwrap();
    assert_eq!((published.status, published.version), (Status::Published, 3));
    assert_eq!(
        places.place_review_request(place.id).await.unwrap(),
        None,
        "used up"
    );
    let history = places.place_history(&clerk, place.id).await.unwrap();
    assert_eq!(history[2].actor.as_deref(), Some("青森市 係長"));
    // Publishing again after archiving needs a review again; an archived record cannot be asked about.
    places.archive_place(&clerk, place.id).await.unwrap();
    refused_for(places.publish_place(&colleague, place.id).await, "ReviewRequired");
    assert!(matches!(
        places.request_place_review(&clerk, place.id).await,
        Err(PlacesError::InvalidTransition { .. })
    ));

    let event = places
        .create_event(
            &clerk,
            &event_input("022012", "親子サロン", once("2026-12-10"), json!({})),
        )
        .await
        .unwrap();
    refused_for(places.publish_event(&clerk, event.id).await, "ReviewRequired");
    places.request_event_review(&clerk, event.id).await.unwrap();
    assert_eq!(
        places.place_review_request(event.id).await.unwrap(),
        None,
        "requests are per subject"
    );
    assert_eq!(
        places.publish_event(&colleague, event.id).await.unwrap().status,
        Status::Published
    );
    // Another organisation's setting is its own.
    let hirosaki = StaffIdentity::for_organisation("弘前市 職員", code("022021"));
    let theirs = places
        .create_place(&hirosaki, &place_input("022021", "弘前の館"))
        .await
        .unwrap();
    assert_eq!(
        places.publish_place(&hirosaki, theirs.id).await.unwrap().status,
        Status::Published
    );
    assert!(matches!(
        places.request_place_review(&hirosaki, place.id).await,
        Err(PlacesError::Forbidden { .. })
    ));
}
