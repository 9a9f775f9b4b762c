//! The roll-ups and the reports over them, on SQLite and PostgreSQL: a synthetic fortnight of
//! searches with a planted rising term, a planted query that finds nothing and a rare one that
//! must never show; idempotence (twice, and two processes at once, equal once); retention; the
//! week's pseudonym key forgotten once its week is rolled up; and, as a property, no published
//! count under 10 and no text fewer than 10 people used in any report.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, Utc};
use kosodate_community::{
    AnswerInput, Community, DisplayName, Masking, QuestionCategory, QuestionInput, Region,
};
use kosodate_database::ScratchDatabase;
use kosodate_domain::japan;
use kosodate_insights::{
    Area, Areas, Cell, Click, Dimension, Granularity, Insights, MIN_CELL, Period, Source,
};
use kosodate_migrations::{Migrator, MigratorTrait};
use kosodate_search::MatchMode;
use kosodate_search::log::{SearchLogEntry, record};
use sea_orm::{ConnectionTrait, DatabaseConnection};

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A migrated database of its own; the directory keeps a SQLite file alive.
struct TestDb {
    db: DatabaseConnection,
    _dir: tempfile::TempDir,
}

async fn database(backend: Backend) -> TestDb {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("insights.db").display()),
        Backend::Postgres => {
            let admin = std::env::var("KOSODATE_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("kosodate_insights_{}", uuid::Uuid::now_v7().simple());
            ScratchDatabase::create(&admin, &name)
                .await
                .expect("a scratch database")
                .url
        }
    };
    let db = kosodate_database::connect(&url, 5)
        .await
        .expect("the database opens");
    Migrator::up(&db, None).await.expect("the migrations run");
    TestDb { db, _dir: dir }
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).expect("a valid date")
}

/// Noon in Japan.
fn noon(day: NaiveDate) -> DateTime<Utc> {
    japan::at(day, NaiveTime::from_hms_opt(12, 0, 0).expect("noon"))
}

/// A search as the server logs it.
fn search(day: NaiveDate, query: &str, searcher: &str, results: usize) -> SearchLogEntry {
    let at = noon(day);
    SearchLogEntry {
        id: uuid::Uuid::now_v7(),
        searched_hour: at,
        query: Some(query.to_owned()),
        municipality: None,
        filters: serde_json::json!({"categories": [], "child_age_months": 10, "open_now": false}),
        result_count: results,
        mode: MatchMode::AllWords,
        searcher: Some(searcher.to_owned()),
    }
}

/// `people` different searchers each search `query` once on `day`.
fn searches_by(day: NaiveDate, query: &str, people: usize, results: usize) -> Vec<SearchLogEntry> {
    (0..people)
        .map(|person| search(day, query, &format!("{query}-{person}"), results))
        .collect()
}

const LAST_WEEK: (u32, u32) = (11, 16);
const THIS_WEEK: (u32, u32) = (11, 23);

/// Two weeks: steady terms, 病児保育 rising from 3 to 40 people, おむつ助成 finding nothing for
/// 15 people each week, and 山田花子 typed by 5 people.
fn fortnight() -> Vec<SearchLogEntry> {
    let mut entries = Vec::new();
    for (week, rising_people) in [
        (date(LAST_WEEK.0, LAST_WEEK.1), 3),
        (date(THIS_WEEK.0, THIS_WEEK.1), 40),
    ] {
        for steady in ["保育園", "児童手当", "予防接種", "一時預かり"] {
            entries.extend(searches_by(week + Days::new(1), steady, 30, 5));
        }
        entries.extend(searches_by(week + Days::new(2), "病児保育", rising_people, 2));
        entries.extend(searches_by(week + Days::new(3), "おむつ助成", 15, 0));
    }
    let this_week = date(THIS_WEEK.0, THIS_WEEK.1);
    entries.extend(searches_by(this_week + Days::new(4), "山田花子", 5, 0));
    entries
}

fn aomori_areas() -> Areas {
    let area = |code: &str, name: &str, region: &str| Area {
        code: kosodate_domain::MunicipalityCode::parse(code).expect("a valid code"),
        name: name.to_owned(),
        region: Some(region.to_owned()),
    };
    Areas::new(vec![
        area("022012", "青森市", "東青"),
        area("022021", "弘前市", "中南"),
    ])
}

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("the count is read")
        .expect("one row");
    row.try_get("", "n").expect("a number")
}

const ROLLUP_TABLES: [&str; 5] = [
    "insights_search_hourly",
    "insights_search_daily",
    "insights_terms_weekly",
    "insights_queries_weekly",
    "insights_rollups",
];

async fn rollup_counts(db: &DatabaseConnection) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ROLLUP_TABLES {
        counts.push(count(db, table).await);
    }
    counts
}

async fn a_planted_rising_term_rises_and_a_rare_one_never_shows(backend: Backend) {
    let test = database(backend).await;
    record(&test.db, &fortnight())
        .await
        .expect("the searches are logged");
    let insights = Insights::new(test.db.clone());
    let now = noon(date(12, 1));
    let report = insights.roll_up(now).await.expect("the roll-up runs");
    assert!(report.days >= 14 && report.weeks >= 2, "{report:?}");

    let terms = insights
        .terms(
            Source::Searches,
            date(THIS_WEEK.0, THIS_WEEK.1) + Days::new(3),
            50,
        )
        .await
        .expect("the terms are read");
    assert_eq!(terms.week_starting, date(THIS_WEEK.0, THIS_WEEK.1));
    let rising: Vec<&str> = terms.rising.iter().map(|term| term.term.as_str()).collect();
    assert_eq!(rising, ["病児保育"], "{terms:?}");
    assert_eq!(terms.rising[0].last_week, Cell::Suppressed);
    assert!(terms.rising[0].q_value < 0.05);
    let top: Vec<&str> = terms.top.iter().map(|term| term.term.as_str()).collect();
    assert!(top.contains(&"保育園") && top.contains(&"おむつ助成"), "{top:?}");
    assert!(!top.contains(&"山田花子"), "{top:?}");

    let period = Period::new(date(LAST_WEEK.0, LAST_WEEK.1), date(11, 30)).expect("a period");
    let gaps = insights.gaps(period, 3).await.expect("the gaps are read");
    let zero: Vec<(&str, Cell)> = gaps
        .zero_result_queries
        .iter()
        .map(|gap| (gap.query.as_str(), gap.people))
        .collect();
    assert_eq!(zero, [("おむつ助成", Cell::Count(30))]);
    let everything = serde_json::to_string(&(&terms, &gaps)).expect("serialisable");
    assert!(!everything.contains("山田花子"));
}

async fn rolling_up_twice_or_at_once_counts_once(backend: Backend) {
    let test = database(backend).await;
    record(&test.db, &fortnight())
        .await
        .expect("the searches are logged");
    let (first, second) = (Insights::new(test.db.clone()), Insights::new(test.db.clone()));
    let now = noon(date(12, 1));
    let (a, b) = tokio::join!(first.roll_up(now), second.roll_up(now));
    let (a, b) = (a.expect("one roll-up"), b.expect("the other"));
    assert_eq!(a.days + b.days, 14, "each day once: {a:?} {b:?}");
    assert_eq!(a.hours + b.hours, 48, "each hour once: {a:?} {b:?}");
    // Two complete weeks, and the running one's first day.
    assert_eq!(a.weeks + b.weeks, 3, "each week once: {a:?} {b:?}");
    let counts = rollup_counts(&test.db).await;
    let again = first.roll_up(now).await.expect("a third roll-up");
    assert_eq!((again.hours, again.days, again.weeks), (0, 0, 0));
    assert_eq!(rollup_counts(&test.db).await, counts);

    let period = Period::new(date(LAST_WEEK.0, LAST_WEEK.1), date(11, 30)).expect("a period");
    let total = first
        .volumes(
            Source::Searches,
            Granularity::Week,
            Dimension::Total,
            period,
            &aomori_areas(),
        )
        .await
        .expect("the volumes are read");
    // 4 × 30 + 3 + 15 last week; 4 × 30 + 40 + 15 + 5 this week.
    assert_eq!(total.rows[0].cells, [Cell::Count(138), Cell::Count(180)]);
}

async fn raw_rows_go_after_thirteen_months_and_roll_ups_stay(backend: Backend) {
    let test = database(backend).await;
    let old_day = date(1, 5) - Days::new(365);
    let mut entries = searches_by(old_day, "保育園", 12, 3);
    let recent = date(11, 24);
    entries.extend(searches_by(recent, "保育園", 12, 3));
    record(&test.db, &entries).await.expect("the searches are logged");
    let insights = Insights::new(test.db.clone());
    let click = Click {
        search_id: entries[0].id,
        program: kosodate_domain::ProgramId::parse("0193a6c0-0000-7000-8000-000000000001").expect("an id"),
        rank: 1,
    };
    insights
        .record_click(&click, noon(old_day))
        .await
        .expect("the click is recorded");
    let now = noon(date(12, 1));
    assert_eq!(
        insights
            .forget_raw_before(now)
            .await
            .expect("nothing rolled up yet"),
        0
    );
    insights.roll_up(now).await.expect("the roll-up runs");
    let daily_before = count(&test.db, "insights_search_daily").await;
    let deleted = insights.forget_raw_before(now).await.expect("the old rows go");
    assert_eq!(deleted, 12 + 1);
    assert_eq!(count(&test.db, "search_log").await, 12);
    assert_eq!(count(&test.db, "search_clicks").await, 0);
    assert_eq!(count(&test.db, "insights_search_daily").await, daily_before);
    let old = Period::new(old_day, old_day + Days::new(1)).expect("a day");
    let volumes = insights
        .volumes(
            Source::Searches,
            Granularity::Day,
            Dimension::Total,
            old,
            &aomori_areas(),
        )
        .await
        .expect("the old day is still counted");
    assert_eq!(volumes.rows[0].cells, [Cell::Count(12)]);
    let terms = insights
        .terms(Source::Searches, japan::week_starting(old_day), 10)
        .await
        .expect("the old week's terms are still counted");
    let top: Vec<_> = terms
        .top
        .iter()
        .map(|term| (term.term.as_str(), term.people))
        .collect();
    assert_eq!(top, [("保育園", Cell::Count(12))]);
}

/// A week's key lives through the week (and past its daily roll-ups), then goes with the week's
/// roll-up of terms and queries.
async fn a_weeks_pseudonyms_cannot_be_recomputed_after_its_roll_up(backend: Backend) {
    let test = database(backend).await;
    let insights = Insights::new(test.db.clone());
    let monday = noon(date(11, 23));
    let browser = "visitor-cookie-value";
    let first = insights
        .searcher_pseudonym(browser, monday)
        .await
        .expect("a pseudonym");
    let sunday = Insights::new(test.db.clone())
        .searcher_pseudonym(browser, monday + TimeDelta::days(6))
        .await
        .expect("the same week's key, from another process");
    assert_eq!(first, sunday);
    assert_eq!(first.len(), 16);
    let next_monday = insights
        .searcher_pseudonym(browser, monday + TimeDelta::days(7))
        .await
        .expect("the next week's");
    assert_ne!(first, next_monday);
    let entry = search(date(11, 23), "保育園", &first, 3);
    record(&test.db, &[entry]).await.expect("logged");
    assert_eq!(count(&test.db, "insights_weekly_keys").await, 2);
    let report = insights.roll_up(noon(date(11, 25))).await.expect("rolled up");
    assert_eq!((report.days, report.keys_deleted), (2, 0), "{report:?}");
    assert_eq!(count(&test.db, "insights_weekly_keys").await, 2);
    let report = insights.roll_up(noon(date(12, 1))).await.expect("rolled up");
    assert_eq!(report.keys_deleted, 1, "{report:?}");
    assert_eq!(count(&test.db, "insights_weekly_keys").await, 1);
    let report = insights.roll_up(noon(date(12, 8))).await.expect("rolled up");
    assert_eq!(report.keys_deleted, 1, "{report:?}");
    assert_eq!(count(&test.db, "insights_weekly_keys").await, 0);
}

/// The open data publishes each complete week once: asking again gives the same numbers, and a
/// week still running is not published at all.
async fn the_open_data_gives_the_same_answer_however_often_it_is_asked(backend: Backend) {
    let test = database(backend).await;
    record(&test.db, &fortnight()).await.expect("logged");
    let insights = Insights::new(test.db.clone());
    let (last_week, this_week) = (date(LAST_WEEK.0, LAST_WEEK.1), date(THIS_WEEK.0, THIS_WEEK.1));
    let period = Period::new(last_week, this_week + Days::new(7)).expect("a fortnight");
    insights
        .roll_up(noon(this_week + Days::new(2)))
        .await
        .expect("rolled up");
    let running = insights.open_data(period, 1.0).await.expect("open data");
    let weeks: Vec<NaiveDate> = running.rows.iter().map(|row| row.week_starting).collect();
    assert_eq!(weeks, [last_week], "the running week is not published");
    insights.roll_up(noon(date(12, 1))).await.expect("rolled up");
    let first = insights.open_data(period, 1.0).await.expect("open data");
    let weeks: Vec<NaiveDate> = first.rows.iter().map(|row| row.week_starting).collect();
    assert_eq!(weeks, [last_week, this_week]);
    assert_eq!(first.rows[0], running.rows[0]);
    for _ in 0..20 {
        let again = Insights::new(test.db.clone())
            .open_data(period, 1.0)
            .await
            .expect("open data");
        assert_eq!(again, first);
    }
    // 4 × 30 steady, 病児保育, 15 おむつ助成 (and 5 山田花子 in the second week) searchers.
    for (row, truth) in first.rows.iter().zip([138i64, 180]) {
        let count = row.count.count().expect("published") as i64;
        assert!((count - truth).abs() <= 20, "{count} for {truth}");
    }
}

/// One family searching one word every day of a week, with three other families, is four people:
/// the word stays under 10 and is never published.
async fn a_family_searching_every_day_of_a_week_counts_once(backend: Backend) {
    let test = database(backend).await;
    let insights = Insights::new(test.db.clone());
    let monday = date(11, 16);
    let mut entries = Vec::new();
    let mut pseudonyms = Vec::new();
    for day in monday.iter_days().take(7) {
        for hour in [9, 20] {
            let at = japan::at(day, NaiveTime::from_hms_opt(hour, 0, 0).expect("an hour"));
            let pseudonym = insights
                .searcher_pseudonym("one-family", at)
                .await
                .expect("a pseudonym");
            pseudonyms.push(pseudonym.clone());
            entries.push(search(day, "病児保育", &pseudonym, 2));
        }
    }
    pseudonyms.dedup();
    assert_eq!(pseudonyms.len(), 1, "one key for the whole week");
    entries.extend(searches_by(monday + Days::new(3), "病児保育", 3, 2));
    record(&test.db, &entries).await.expect("logged");
    insights.roll_up(noon(date(11, 24))).await.expect("rolled up");
    let people = test
        .db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            test.db.get_database_backend(),
            "SELECT people FROM insights_terms_weekly WHERE week = $1 AND term = $2",
            [monday.into(), "病児保育".into()],
        ))
        .await
        .expect("read")
        .map(|row| row.try_get::<i64>("", "people").expect("a number"));
    assert_eq!(people, Some(4));
    assert_eq!(count(&test.db, "insights_search_weekly").await, 1);
    let searchers = test
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            test.db.get_database_backend(),
            "SELECT searchers FROM insights_search_weekly",
        ))
        .await
        .expect("read")
        .map(|row| row.try_get::<i64>("", "searchers").expect("a number"));
    assert_eq!(
        searchers,
        Some(4),
        "the open data's weekly cell counts the family once"
    );
    let terms = insights
        .terms(Source::Searches, monday, 100)
        .await
        .expect("terms");
    assert!(terms.top.iter().all(|term| term.term != "病児保育"), "{terms:?}");
}

async fn clicks_count_for_their_search_and_low_click_through_shows(backend: Backend) {
    let test = database(backend).await;
    let day = date(11, 24);
    let opened = searches_by(day, "保育園", 20, 5);
    let ignored = searches_by(day, "手当", 20, 5);
    record(&test.db, &opened).await.expect("logged");
    record(&test.db, &ignored).await.expect("logged");
    let insights = Insights::new(test.db.clone());
    for (rank, entry) in opened.iter().enumerate() {
        let click = Click {
            search_id: entry.id,
            program: kosodate_domain::ProgramId::parse("0193a6c0-0000-7000-8000-000000000001")
                .expect("an id"),
            rank: u32::try_from(rank % 3 + 1).expect("small"),
        };
        insights.record_click(&click, noon(day)).await.expect("recorded");
    }
    insights.roll_up(noon(date(12, 1))).await.expect("rolled up");
    let gaps = insights
        .gaps(
            Period::new(japan::week_starting(day), day + Days::new(7)).expect("a period"),
            3,
        )
        .await
        .expect("the gaps");
    let low: Vec<(&str, Cell, Option<f64>)> = gaps
        .low_click_through
        .iter()
        .map(|gap| (gap.query.as_str(), gap.clicks, gap.click_through))
        .collect();
    assert_eq!(
        low,
        [
            ("手当", Cell::Suppressed, None),
            ("保育園", Cell::Count(20), Some(1.0))
        ]
    );
}

/// `count` members each ask `title` on `day`; the first `without_program` are related to no
/// program. The question ids, in order.
async fn ask(
    community: &Community,
    (day, title, count): (NaiveDate, &str, usize),
    without_program: usize,
) -> Vec<uuid::Uuid> {
    let mut ids = Vec::new();
    for n in 0..count {
        let account = uuid::Uuid::now_v7();
        let name = DisplayName::parse(&format!("{}さん{n}", &title.chars().take(3).collect::<String>()))
            .expect("a display name");
        community
            .join(account, &name, false, noon(day))
            .await
            .expect("joined");
        let input = QuestionInput {
            category: QuestionCategory::Money,
            municipality: None,
            region: Some(Region::Chunan),
            age_band: Some(kosodate_domain::AgeBand::Age0),
            title: title.to_owned(),
            body: "どこに相談すればよいでしょうか。".to_owned(),
        };
        let id = community
            .ask(account, &input, Masking::Ask, noon(day))
            .await
            .expect("asked");
        if n < without_program {
            community.set_related_program_count(id, 0).await.expect("counted");
        }
        ids.push(id);
    }
    ids
}

async fn questions_roll_up_into_volumes_gaps_and_terms(backend: Backend) {
    let test = database(backend).await;
    let community = Community::new(test.db.clone());
    let day = date(11, 24);
    let ids = ask(&community, (day, "保育料の減免について", 12), 11).await;
    ask(&community, (day + Days::new(1), "ひとりで悩んでいます", 3), 0).await;
    let answerer = uuid::Uuid::now_v7();
    let name = DisplayName::parse("こたえる人").expect("a display name");
    community
        .join(answerer, &name, false, noon(day))
        .await
        .expect("joined");
    let answer = AnswerInput {
        body: "市役所の窓口で聞けます。".to_owned(),
    };
    community
        .answer(answerer, ids[0], &answer, Masking::Ask, noon(day + Days::new(5)))
        .await
        .expect("answered after five days");

    let insights = Insights::new(test.db.clone());
    let report = insights.roll_up(noon(date(12, 1))).await.expect("rolled up");
    assert!(report.question_days > 0, "{report:?}");
    let period = Period::new(
        japan::week_starting(day),
        japan::week_starting(day) + Days::new(7),
    )
    .expect("a week");
    let volumes = insights
        .volumes(
            Source::Questions,
            Granularity::Week,
            Dimension::Category,
            period,
            &aomori_areas(),
        )
        .await
        .expect("volumes");
    let rows: Vec<(&str, &str, Vec<Cell>)> = volumes
        .rows
        .iter()
        .map(|row| (row.key.as_str(), row.label.as_str(), row.cells.clone()))
        .collect();
    assert_eq!(rows, [("money", "お金", vec![Cell::Count(15)])]);

    let gaps = insights.gaps(period, 3).await.expect("gaps");
    let cells = |gaps: &[kosodate_insights::CategoryGap]| -> Vec<(String, Cell)> {
        gaps.iter()
            .map(|gap| (gap.label.clone(), gap.questions))
            .collect()
    };
    assert_eq!(
        cells(&gaps.questions_without_program),
        [("お金".to_owned(), Cell::Count(11))]
    );
    // Answered after five days: still unanswered after three, not after seven.
    assert_eq!(cells(&gaps.unanswered), [("お金".to_owned(), Cell::Count(15))]);
    let gaps = insights.gaps(period, 7).await.expect("gaps");
    // …and the day after's three are not seven days old on the day of the roll-up.
    assert_eq!(cells(&gaps.unanswered), [("お金".to_owned(), Cell::Count(11))]);

    let terms = insights.terms(Source::Questions, day, 50).await.expect("terms");
    let top: Vec<(&str, Cell)> = terms
        .top
        .iter()
        .map(|term| (term.term.as_str(), term.people))
        .collect();
    assert_eq!(top, [("保育料の減免について", Cell::Count(12))]);
}

macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
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
    )+};
}

both_backends!(
    a_planted_rising_term_rises_and_a_rare_one_never_shows,
    rolling_up_twice_or_at_once_counts_once,
    raw_rows_go_after_thirteen_months_and_roll_ups_stay,
    a_weeks_pseudonyms_cannot_be_recomputed_after_its_roll_up,
    a_family_searching_every_day_of_a_week_counts_once,
    the_open_data_gives_the_same_answer_however_often_it_is_asked,
    clicks_count_for_their_search_and_low_click_through_shows,
    questions_roll_up_into_volumes_gaps_and_terms,
);

mod published_cells {
    use super::*;
    use proptest::prelude::*;

    /// Every report of a random fortnight: counts are 10 or more or suppressed, and a query or
    /// term appears only when at least 10 people used it.
    async fn check(searches: Vec<(u8, u8, u8, bool)>) {
        let test = database(Backend::Sqlite).await;
        let entries: Vec<SearchLogEntry> = searches
            .iter()
            .map(|(day, word, person, found)| {
                search(
                    date(11, 16) + Days::new(u64::from(*day % 14)),
                    &format!("語{}", word % 6),
                    &format!("p{person}"),
                    usize::from(*found),
                )
            })
            .collect();
        record(&test.db, &entries).await.expect("logged");
        let insights = Insights::new(test.db.clone());
        insights.roll_up(noon(date(12, 1))).await.expect("rolled up");
        let period = Period::new(date(11, 16), date(11, 30)).expect("a period");
        let people_of = |word: &str| {
            let mut people: Vec<(NaiveDate, &str)> = entries
                .iter()
                .filter(|entry| entry.query.as_deref() == Some(word))
                .map(|entry| {
                    (
                        japan::week_starting(japan::date_of(entry.searched_hour)),
                        entry.searcher.as_deref().unwrap_or(""),
                    )
                })
                .collect();
            people.sort();
            people.dedup();
            people.len() as u64
        };
        let mut cells = Vec::new();
        let mut texts = Vec::new();
        for dimension in [
            Dimension::Total,
            Dimension::Category,
            Dimension::AgeBand,
            Dimension::Municipality,
            Dimension::Region,
        ] {
            for granularity in [Granularity::Day, Granularity::Week, Granularity::Month] {
                let table = insights
                    .volumes(Source::Searches, granularity, dimension, period, &aomori_areas())
                    .await
                    .expect("volumes");
                cells.extend(table.rows.into_iter().flat_map(|row| row.cells));
            }
        }
        for week in [date(11, 16), date(11, 23)] {
            let terms = insights.terms(Source::Searches, week, 100).await.expect("terms");
            for term in &terms.top {
                cells.extend([term.uses, term.people]);
                texts.push(term.term.clone());
            }
            for term in &terms.rising {
                cells.extend([term.this_week, term.last_week]);
                texts.push(term.term.clone());
            }
        }
        let gaps = insights.gaps(period, 3).await.expect("gaps");
        for gap in &gaps.zero_result_queries {
            cells.extend([gap.searches, gap.people]);
            texts.push(gap.query.clone());
        }
        for gap in &gaps.low_click_through {
            cells.extend([gap.searches, gap.clicks]);
            texts.push(gap.query.clone());
        }
        let open = insights
            .open_data_with_key(period, 1.0, b"a test key")
            .await
            .expect("open data");
        cells.extend(open.rows.iter().map(|row| row.count));
        for cell in cells {
            if let Cell::Count(n) = cell {
                assert!(n >= MIN_CELL, "a published cell of {n}");
            }
        }
        for text in texts {
            assert!(
                people_of(&text) >= MIN_CELL,
                "{text} published with fewer than 10 people"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        #[test]
        fn no_published_cell_is_under_ten(searches in proptest::collection::vec((0u8..14, 0u8..6, 0u8..40, proptest::bool::ANY), 0..600)) {
            tokio::runtime::Runtime::new().expect("a runtime").block_on(check(searches));
        }
    }
}
