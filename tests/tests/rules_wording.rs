//! A clerk's everyday wording through the JSON API, on SQLite and PostgreSQL: Japanese labels of
//! the closed lists (「保育・教育」, 「出生」, 「窓口」), everyday words in the rule (「就学前」,
//! 「6か月」), dates in the era in a rule that changes on a date. Each is accepted and stored as
//! the id, and what cannot be read is refused at its field in Japanese.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::{AOMORI_CITY_TOKEN, Backend, both_backends, call, program_body, spawn_app};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

both_backends!(
    japanese_labels_and_everyday_words_are_stored_as_ids,
    a_rule_that_changes_on_a_date_is_stored_and_read_to_parents,
    words_the_api_cannot_read_are_refused_at_their_field
);

fn temporary_care(eligibility: Value) -> Value {
    let mut body = program_body("022012", "一時預かり事業");
    body["categories"] = json!(["保育・教育", "乳幼児"]);
    body["application_window"] = json!({"kind": "relative", "event": "出生", "within_days": 30});
    body["application_methods"] = json!([{"kind": "窓口", "note": "市役所 1階"}]);
    body["eligibility"] = eligibility;
    body
}

async fn japanese_labels_and_everyday_words_are_stored_as_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = temporary_care(json!({"version": 1, "rule": {"some_child": {"all": [
        {"age": {"gte": "6か月"}},
        {"school_stage": "就学前"}
    ]}}}));
    let created = app.create_program(AOMORI_CITY_TOKEN, &body).await;
    let id = created["id"].as_str().unwrap();
    let read = call(
        app.get(&format!("/api/v1/programs/{id}"))
            .bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    for program in [&created, &read] {
        assert_eq!(program["categories"], json!(["infant", "childcare_education"]));
        assert_eq!(program["application_window"]["event"], "birth");
        assert_eq!(program["application_methods"][0]["kind"], "counter");
        assert_eq!(
            program["eligibility"],
            json!({"version": 1, "rule": {"some_child": {"all": [
                {"age": {"unit": "months", "gte": 6}},
                {"school_stage": "preschool"}
            ]}}})
        );
    }
    // The category filter's index holds the ids, so a filter by id finds the program.
    let sql = format!("SELECT category FROM program_categories WHERE program_id = '{id}' ORDER BY category");
    let rows = app
        .db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap();
    let stored: Vec<String> = rows
        .iter()
        .map(|row| row.try_get::<String>("", "category").unwrap())
        .collect();
    assert_eq!(stored, ["childcare_education", "infant"]);
}

async fn a_rule_that_changes_on_a_date_is_stored_and_read_to_parents(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = program_body("022012", "子ども手当（市の上乗せ）");
    body["eligibility"] = json!({"version": 1, "rule": {"by_period": [
        {"until": "令和6年9月30日", "rule": {"some_child": {"until_march_31_after_age": 15}}},
        {"from": "令和6年10月1日", "rule": {"some_child": {"until_end_of_month_of_age": 18}}}
    ]}});
    let id = app.publish_program(AOMORI_CITY_TOKEN, &body).await;
    let read = call(app.get(&format!("/api/v1/programs/{id}")), 200).await;
    assert_eq!(
        read["eligibility"],
        json!({"version": 1, "rule": {"by_period": [
            {"until": "2024-09-30", "rule": {"some_child": {"until_march_31_after_age": 15}}},
            {"from": "2024-10-01", "rule": {"some_child": {"until_end_of_month_of_age": 18}}}
        ]}})
    );
    let page = app
        .get(&format!("/programs/{id}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for sentence in [
        "対象となる方は、時期によって次のとおりです",
        "令和6年9月30日（2024年9月30日）まで：15歳到達後最初の3月31日までのお子さんがいる方",
        "令和6年10月1日（2024年10月1日）から：18歳に達する日の属する月の末日までのお子さんがいる方",
    ] {
        assert!(page.contains(sentence), "{sentence} not in {page}");
    }
}

async fn words_the_api_cannot_read_are_refused_at_their_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = temporary_care(json!({"version": 1, "rule": {"some_child": {"school_stage": "就学前"}}}));
    body["categories"] = json!(["保育"]);
    let problem = call(app.post("/api/v1/programs", AOMORI_CITY_TOKEN).json(&body), 422).await;
    assert_eq!(problem["errors"][0]["pointer"], "/categories/0");
    assert_eq!(
        problem["errors"][0]["detail"],
        "「保育」は選択できる値ではありません"
    );

    let body = temporary_care(json!({"version": 1, "rule": {"by_period": [
        {"until": "平成31年5月1日", "rule": {"single_parent": true}},
        {"from": "令和6年10月1日", "rule": {"some_child": {"age": {"lt": "三歳"}}}}
    ]}}));
    let problem = call(app.post("/api/v1/programs", AOMORI_CITY_TOKEN).json(&body), 422).await;
    let errors: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            (
                error["pointer"].as_str().unwrap(),
                error["detail"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (
                "/eligibility/rule/by_period/0/until",
                "「平成31年5月1日」は平成の期間外です（平成は1989年1月8日から2019年4月30日まで）"
            ),
            (
                "/eligibility/rule/by_period/1/rule/some_child/age/lt",
                "「三歳」は年齢として読めません。数か、3歳・6か月・1歳6か月・10日 のように書いてください"
            ),
        ]
    );
}
