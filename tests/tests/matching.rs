//! Matching end to end, on both databases: states and change events stored once, a program's
//! change re-matching only its area, consent withdrawal forgetting everything derived, and the
//! tick touching only what is due.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use kosodate_domain::{NoticeKind, ProgramId};
use kosodate_households::match_store::StoredMatch;
use kosodate_households::{ConsentMethod, ConsentPurpose, HouseholdId, Households};
use kosodate_matcher::{Child, Eligibility, Household};
use kosodate_matching::{MatchPolicy, MatchRunner, ProgramMatch};
use kosodate_registry::{ProgramInput, Registry, StaffIdentity};
use kosodate_tests::{
    AOMORI_CITY_TOKEN, Backend, Browser, TestApp, both_backends, call, program_body, spawn_app,
    spawn_app_with_sign_in,
};
use serde_json::{Value, json};

both_backends!(
    states_and_events_are_stored_once,
    a_changed_program_rematches_only_its_area,
    a_changed_program_where_nobody_lives_reads_no_catalogue,
    withdrawn_consent_leaves_nothing_behind,
    withdrawal_racing_a_match_leaves_nothing_behind,
    nothing_is_matched_without_consent,
    the_tick_handles_only_what_is_due,
    a_parent_sees_where_windows_end_past_the_horizon
);

fn d(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn household(municipality: &str, births: &[NaiveDate]) -> Household {
    Household {
        municipality: municipality.parse().unwrap(),
        children: births.iter().map(|birth| Child::born(*birth)).collect(),
        single_parent: None,
        income_band: None,
    }
}

fn runner(app: &TestApp) -> MatchRunner {
    let households = Households::new(app.db.clone());
    MatchRunner::new(households, Registry::new(app.db.clone()), MatchPolicy::default())
}

/// Creates and publishes a program of 青森市 with `rule` through the registry itself, so that no
/// background re-match of the server races with the test's own runs.
async fn publish_quietly(app: &TestApp, name: &str, rule: Value) -> ProgramId {
    let mut body = program_body("022012", name);
    body["eligibility"] = json!({"version": 1, "rule": rule});
    body["application_window"] = json!({"kind": "always"});
    let input: ProgramInput = serde_json::from_value(body).unwrap();
    let registry = Registry::new(app.db.clone());
    let staff = StaffIdentity::administrator("テスト");
    let program = registry.create_program(&staff, &input).await.unwrap();
    registry.publish_program(&staff, program.id).await.unwrap();
    program.id
}

/// Creates and publishes a program of 青森市 with `rule` through the API.
async fn publish(app: &TestApp, name: &str, rule: Value) -> ProgramId {
    let mut body = program_body("022012", name);
    body["eligibility"] = json!({"version": 1, "rule": rule});
    body["application_window"] = json!({"kind": "always"});
    let id = app.publish_program(AOMORI_CITY_TOKEN, &body).await;
    ProgramId::parse(&id).unwrap()
}

async fn insert(app: &TestApp, households: &[Household]) -> Vec<HouseholdId> {
    Households::new(app.db.clone())
        .insert_many(households, false, Some((ConsentMethod::Online, 1)))
        .await
        .unwrap()
}

async fn stored(runner: &MatchRunner, household: HouseholdId) -> StoredMatch {
    runner
        .households()
        .stored_match(household)
        .await
        .unwrap()
        .unwrap()
}

async fn states_and_events_are_stored_once(backend: Backend) {
    let app = spawn_app(backend).await;
    // Published first, so that it precedes the others in the catalogue until it is archived.
    let teenagers = publish_quietly(
        &app,
        "高校生年代の支援",
        json!({"some_child": {"school_stage": "high_school"}}),
    )
    .await;
    let program = publish_quietly(
        &app,
        "3歳未満の子の支援",
        json!({"some_child": {"age": {"unit": "years", "lt": 3}}}),
    )
    .await;
    let ids = insert(
        &app,
        &[
            household("022012", &[d("2025-01-10")]),
            household("022021", &[d("2025-01-10")]),
            household("022012", &[d("2015-01-01")]),
        ],
    )
    .await;
    let without_consent = Households::new(app.db.clone())
        .insert_many(&[household("022012", &[d("2025-02-01")])], false, None)
        .await
        .unwrap()[0];
    let runner = runner(&app);
    let today = d("2026-11-21");

    let first = runner.run_full(today).await.unwrap();
    assert_eq!(first.households, 3, "only consenting households are matched");
    assert_eq!(first.events.get(&NoticeKind::FirstMatch), Some(&1));
    assert_eq!(first.eligible.get(&program), Some(&1));
    let state = stored(&runner, ids[0]).await;
    assert_eq!(state.eligible, [program]);
    // The 3rd birthday (2028-01-10) is beyond the 366-day horizon: looked at again 30 days before
    // the horizon ends.
    assert_eq!(state.next_check, Some(d("2027-10-23")));
    let found: Vec<ProgramMatch> = runner.programs_for(ids[0], today).await.unwrap().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].eligibility, Eligibility::Eligible);
    assert_eq!(found[0].detail.windows[0].from, today);
    assert_eq!(
        found[0].detail.windows[0].until,
        Some(d("2028-01-09")),
        "the day before the 3rd birthday, beyond the horizon"
    );
    assert!(
        stored(&runner, ids[1]).await.eligible.is_empty(),
        "弘前市 is outside 青森市's program"
    );
    assert!(
        stored(&runner, ids[2]).await.eligible.is_empty(),
        "an 11-year-old is not eligible"
    );
    assert!(
        runner.households().events(ids[2]).await.unwrap().is_empty(),
        "nothing to say"
    );
    assert_eq!(
        runner.households().stored_match(without_consent).await.unwrap(),
        None
    );
    assert_eq!(runner.programs_for(without_consent, today).await.unwrap(), None);

    let second = runner.run_full(today).await.unwrap();
    assert_eq!((second.households, second.unchanged), (0, 3), "nothing changed");
    assert_eq!(second.states_written, 0);
    assert!(second.events.is_empty(), "{:?}", second.events);
    let events = runner.households().events(ids[0]).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].kind, events[0].program_id, events[0].anchor_on),
        (NoticeKind::FirstMatch, None, today)
    );

    // A changed household is evaluated again, alone, and hears about the change.
    Households::new(app.db.clone())
        .update_profile(ids[2], &household("022012", &[d("2015-01-01"), d("2026-10-01")]))
        .await
        .unwrap();
    let changed = runner.run_household(ids[2], today).await.unwrap();
    assert_eq!((changed.households, changed.pairs_evaluated), (1, 2));
    assert_eq!(event_kinds(&runner, ids[2]).await, [NoticeKind::NewlyEligible]);

    // Changing 青森市's programs re-evaluates only its households; 弘前市's keep a state that
    // names programs by their positions in the previous catalogue, and the stored positions of
    // 青森市's households are translated (the archived program shifts them) before comparing.
    Registry::new(app.db.clone())
        .archive_program(&StaffIdentity::administrator("テスト"), teenagers)
        .await
        .unwrap();
    let infants = publish_quietly(
        &app,
        "乳児の支援",
        json!({"some_child": {"age": {"unit": "years", "lt": 1}}}),
    )
    .await;
    let widened = runner.run_full(today).await.unwrap();
    assert_eq!(
        (widened.households, widened.unchanged),
        (2, 1),
        "弘前市 is unaffected"
    );
    // The program was published after the household's last evaluation: a new program for it.
    assert_eq!(widened.events.get(&NoticeKind::NewProgram), Some(&1));
    assert_eq!(
        stored(&runner, ids[0]).await.eligible,
        [program],
        "no change, no event"
    );
    let mut expected = vec![program, infants];
    expected.sort();
    assert_eq!(stored(&runner, ids[2]).await.eligible, expected);
    assert_eq!(
        event_kinds(&runner, ids[2]).await,
        [NoticeKind::NewlyEligible, NoticeKind::NewProgram]
    );
}

async fn event_kinds(runner: &MatchRunner, household: HouseholdId) -> Vec<NoticeKind> {
    let events = runner.households().events(household).await.unwrap();
    events.iter().map(|event| event.kind).collect()
}

/// Waits for the server's background re-match to reach `expected`.
async fn wait_for(runner: &MatchRunner, household: HouseholdId, expected: impl Fn(&[ProgramId]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let results = runner
            .households()
            .stored_match(household)
            .await
            .unwrap()
            .map(|state| state.eligible);
        if results.as_deref().is_some_and(&expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "background re-match did not arrive: {results:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_changed_program_rematches_only_its_area(backend: Backend) {
    let app = spawn_app(backend).await;
    let today = kosodate_domain::japan::date_of(chrono::Utc::now());
    let eight_years_ago = today.checked_sub_days(Days::new(8 * 365 + 100)).unwrap();
    let ids = insert(
        &app,
        &[
            household("022012", &[eight_years_ago]),
            household("022021", &[eight_years_ago]),
        ],
    )
    .await;
    let runner = runner(&app);

    let program = publish(
        &app,
        "小学生の学びの支援",
        json!({"some_child": {"school_stage": "elementary"}}),
    )
    .await;
    wait_for(&runner, ids[0], |eligible| eligible.contains(&program)).await;
    assert_eq!(
        runner.households().stored_match(ids[1]).await.unwrap(),
        None,
        "弘前市 was never evaluated"
    );

    let mut body = program_body("022012", "小学生の学びの支援");
    body["eligibility"] = json!({"version": 1, "rule": {"some_child": {"age": {"unit": "years", "lt": 3}}}});
    body["application_window"] = json!({"kind": "always"});
    call(
        app.put(&format!("/api/v1/programs/{program}"), AOMORI_CITY_TOKEN)
            .header("if-match", "\"2\"")
            .json(&body),
        200,
    )
    .await;
    wait_for(&runner, ids[0], <[ProgramId]>::is_empty).await;
    let kinds = event_kinds(&runner, ids[0]).await;
    assert_eq!(kinds, [NoticeKind::FirstMatch, NoticeKind::NoLongerEligible]);
    assert!(
        runner.households().events(ids[1]).await.unwrap().is_empty(),
        "弘前市 was never evaluated"
    );
}

/// 青森市's program is re-matched without reading the catalogue while nobody lives in 青森市,
/// and against it once someone does: `programs` counts the catalogue the run read.
async fn a_changed_program_where_nobody_lives_reads_no_catalogue(backend: Backend) {
    let app = spawn_app(backend).await;
    let today = kosodate_domain::japan::date_of(chrono::Utc::now());
    let runner = runner(&app);
    let program = publish_quietly(
        &app,
        "青森市の子育て支援",
        json!({"some_child": {"age": {"unit": "years", "lt": 6}}}),
    )
    .await;

    let nobody = runner.run_program(program, today).await.unwrap();
    assert_eq!((nobody.programs, nobody.households), (0, 0), "{nobody:?}");

    insert(&app, &[household("022021", &[today])]).await;
    let elsewhere = runner.run_program(program, today).await.unwrap();
    assert_eq!(
        elsewhere.programs, 0,
        "only 弘前市 has a household: {elsewhere:?}"
    );

    insert(&app, &[household("022012", &[today])]).await;
    let someone = runner.run_program(program, today).await.unwrap();
    assert!(someone.programs > 0, "{someone:?}");
    assert_eq!(someone.households, 1, "{someone:?}");
}

async fn withdrawn_consent_leaves_nothing_behind(backend: Backend) {
    let app = spawn_app(backend).await;
    publish_quietly(
        &app,
        "乳児の支援",
        json!({"some_child": {"age": {"unit": "years", "lt": 1}}}),
    )
    .await;
    let ids = insert(&app, &[household("022012", &[d("2026-06-01")])]).await;
    let households = Households::new(app.db.clone());
    let runner = runner(&app);
    runner.run_full(d("2026-11-21")).await.unwrap();
    assert_eq!(stored(&runner, ids[0]).await.eligible.len(), 1);
    assert_eq!(runner.households().events(ids[0]).await.unwrap().len(), 1);

    households
        .withdraw_consent(ids[0], ConsentPurpose::Matching)
        .await
        .unwrap();
    assert_eq!(
        runner.households().stored_match(ids[0]).await.unwrap(),
        None,
        "the state goes with the consent"
    );
    assert!(
        runner.households().events(ids[0]).await.unwrap().is_empty(),
        "and so do its events"
    );
    let again = runner.run_full(d("2026-11-22")).await.unwrap();
    assert_eq!((again.households, again.unchanged), (0, 0));
    assert_eq!(runner.households().stored_match(ids[0]).await.unwrap(), None);
    let tick = runner.run_tick(d("2026-11-23")).await.unwrap();
    assert_eq!(tick.households, 0, "the tick leaves it alone too");
}

async fn the_tick_handles_only_what_is_due(backend: Backend) {
    let app = spawn_app(backend).await;
    publish_quietly(
        &app,
        "1歳6か月の健診",
        json!({"some_child": {"age": {"unit": "months", "gte": 18, "lt": 24}}}),
    )
    .await;
    // Turns 18 months old on 2027-01-15; the other child is far from it.
    let ids = insert(
        &app,
        &[
            household("022012", &[d("2025-07-15")]),
            household("022012", &[d("2016-04-02")]),
        ],
    )
    .await;
    let runner = runner(&app);
    let full = runner.run_full(d("2026-11-21")).await.unwrap();
    assert_eq!(full.households, 2);
    assert!(
        full.events.is_empty(),
        "nobody is eligible yet: {:?}",
        full.events
    );
    let found = runner
        .programs_for(ids[0], d("2026-11-21"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found[0].eligibility, Eligibility::NotEligible);
    assert_eq!(found[0].detail.windows[0].from, d("2027-01-15"));
    // The window opens soon 30 days before it opens.
    assert_eq!(stored(&runner, ids[0]).await.next_check, Some(d("2026-12-16")));

    let early = runner.run_tick(d("2026-12-15")).await.unwrap();
    assert_eq!(
        (early.households, early.pairs_evaluated),
        (0, 0),
        "nothing is due yet"
    );
    let due = runner.run_tick(d("2026-12-16")).await.unwrap();
    assert_eq!(
        (due.households, due.pairs_evaluated),
        (1, 1),
        "only the due household"
    );
    assert_eq!(due.events.get(&NoticeKind::WindowOpensSoon), Some(&1));
    let opened = runner.run_tick(d("2027-01-15")).await.unwrap();
    assert_eq!(opened.events.get(&NoticeKind::NewlyEligible), Some(&1));
    let kinds = event_kinds(&runner, ids[0]).await;
    assert_eq!(kinds, [NoticeKind::WindowOpensSoon, NoticeKind::NewlyEligible]);
    let opens_soon = &runner.households().events(ids[0]).await.unwrap()[0];
    assert_eq!(opens_soon.opens_on, Some(d("2027-01-15")));
    assert!(opens_soon.closes_on.is_some(), "the 2nd birthday ends it");
    assert!(opens_soon.program_id.is_some());
    assert!(runner.households().events(ids[1]).await.unwrap().is_empty());
}

/// Consents withdrawn while a full run is evaluating and writing: whatever the interleaving, no
/// state and no event of a withdrawn household survives (the run re-reads consent inside each
/// write transaction, and a withdrawal waits for a write in flight).
async fn withdrawal_racing_a_match_leaves_nothing_behind(backend: Backend) {
    let app = spawn_app(backend).await;
    publish_quietly(
        &app,
        "乳幼児の支援",
        json!({"some_child": {"age": {"unit": "years", "lt": 6}}}),
    )
    .await;
    let population: Vec<Household> = (0..3_000u64)
        .map(|index| household("022012", &[d("2022-01-01") + Days::new(index % 1_400)]))
        .collect();
    let ids = insert(&app, &population).await;
    let households = Households::new(app.db.clone());
    let runner = runner(&app);
    let run = tokio::spawn({
        let runner = runner.clone();
        async move { runner.run_full(d("2026-11-21")).await }
    });
    // Every 15th household withdraws, spread over the run.
    let withdrawn: Vec<HouseholdId> = ids.iter().step_by(15).copied().collect();
    for id in &withdrawn {
        households
            .withdraw_consent(*id, ConsentPurpose::Matching)
            .await
            .unwrap();
        tokio::task::yield_now().await;
    }
    let report = run.await.unwrap().unwrap();
    assert!(report.households > 0);
    for id in &withdrawn {
        assert_eq!(
            runner.households().stored_match(*id).await.unwrap(),
            None,
            "no state for {id}"
        );
        assert!(
            runner.households().events(*id).await.unwrap().is_empty(),
            "no event for {id}"
        );
    }
    let kept = ids.iter().find(|id| !withdrawn.contains(id)).unwrap();
    assert!(
        runner.households().stored_match(*kept).await.unwrap().is_some(),
        "the others are matched"
    );
}

/// A household without consent to matching is never evaluated, by a full run or the tick.
async fn nothing_is_matched_without_consent(backend: Backend) {
    let app = spawn_app(backend).await;
    publish_quietly(
        &app,
        "乳児の支援",
        json!({"some_child": {"age": {"unit": "years", "lt": 1}}}),
    )
    .await;
    let households = Households::new(app.db.clone());
    let ids = households
        .insert_many(&[household("022012", &[d("2026-06-01")])], false, None)
        .await
        .unwrap();
    let runner = runner(&app);
    let full = runner.run_full(d("2026-11-21")).await.unwrap();
    let tick = runner.run_tick(d("2026-11-22")).await.unwrap();
    assert_eq!((full.households, tick.households), (0, 0));
    assert_eq!(runner.households().stored_match(ids[0]).await.unwrap(), None);
    assert!(runner.households().events(ids[0]).await.unwrap().is_empty());
    assert_eq!(runner.programs_for(ids[0], d("2026-11-21")).await.unwrap(), None);
}

/// `/api/v1/me/programs` gives a window's last day wherever the rule puts it, even years past
/// the matcher's horizon: 児童手当 (an example program) until the first 31 March after the 18th
/// birthday, a program for children under 3 until the day before the 3rd birthday.
async fn a_parent_sees_where_windows_end_past_the_horizon(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |settings| settings.load_examples = Some(true)).await;
    let under_three = publish(
        &app.app,
        "3歳未満の子の見守り支援",
        json!({"some_child": {"age": {"unit": "years", "lt": 3}}}),
    )
    .await;
    let household = json!({
        "municipality_code": "022012",
        "children": [{"birth_date": "2024-05-10"}]
    });
    let parent = Browser::parent_with_matching(&app.app, "hanako", &household).await;
    // The horizon from 2026-03-01 ends on 2027-03-02, before both ends.
    let findings = call(parent.get("/api/v1/me/programs?on=2026-03-01"), 200).await;
    let windows_of = |id: &str| {
        findings
            .as_array()
            .and_then(|findings| findings.iter().find(|finding| finding["program_id"] == id))
            .map(|finding| finding["windows"].clone())
            .unwrap_or_else(|| panic!("{id} is found: {findings}"))
    };
    assert_eq!(
        windows_of(&under_three.to_string()),
        json!([{"from": "2026-03-01", "until": "2027-05-09", "eligibility": "eligible"}])
    );
    let child_allowance = findings
        .as_array()
        .and_then(|findings| findings.iter().find(|finding| finding["name"] == "児童手当"))
        .expect("児童手当 is found");
    assert_eq!(
        child_allowance["windows"],
        json!([{"from": "2026-03-01", "until": "2043-03-31", "eligibility": "eligible"}])
    );
}
