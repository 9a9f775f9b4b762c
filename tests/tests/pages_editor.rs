//! The program editor over HTTP, as a clerk's browser without JavaScript uses it: a program
//! entered in everyday wording and published, wrong entries stopped at their fields, the
//! eligibility builder's rows added and removed with buttons, the live check, a colleague's
//! change in between shown as a difference without losing what was typed, a rule the builder
//! cannot show kept as it was, the history's field-by-field difference, the household count of
//! the preview (never under 10), and who may open the editor at all.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::NaiveDate;
use kosodate_domain::MunicipalityCode;
use kosodate_households::{ConsentMethod, Households};
use kosodate_matcher::{Child, Household};
use kosodate_tests::{
    Backend, Browser, HIROSAKI_CITY_TOKEN, SignInApp, both_backends, call, program_body,
    spawn_app_with_sign_in,
};
use reqwest::header::{ACCEPT, LOCATION};
use serde_json::{Value, json};

both_backends!(
    a_clerk_enters_a_program_in_everyday_wording_and_publishes_it,
    wrong_entries_are_stopped_at_their_fields_in_japanese,
    the_builders_rows_are_added_and_removed_with_buttons,
    the_live_check_answers_the_page_for_the_form_as_typed,
    a_colleagues_change_is_shown_and_nothing_typed_is_lost,
    a_rule_the_builder_cannot_show_is_kept_as_stored,
    the_history_compares_two_versions_in_words,
    the_preview_counts_households_only_from_ten,
    staff_of_another_organisation_cannot_open_the_editor,
    with_review_on_a_colleague_publishes,
    a_program_type_prefills_the_form
);

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

/// A signed-in staff member's browser that does not follow redirects, so that a save's 303
/// can be read.
struct Clerk {
    client: reqwest::Client,
    base: String,
    csrf: String,
}

impl Clerk {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }
}

async fn clerk(app: &SignInApp, login: &str) -> Clerk {
    let signed_in = Browser::sign_in(&app.app, "staff", login).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        signed_in.cookie_header().unwrap().parse().unwrap(),
    );
    headers.insert(ACCEPT, BROWSER_ACCEPT.parse().unwrap());
    Clerk {
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap(),
        base: app.app.url(""),
        csrf: signed_in.csrf.unwrap(),
    }
}

async fn page(browser: &Clerk, path: &str, status: u16) -> String {
    let response = browser.get(path).send().await.unwrap();
    assert_eq!(response.status().as_u16(), status, "{path}");
    response.text().await.unwrap()
}

/// Posts the form fields (with the session's token) and returns the status, the `Location` and
/// the page.
async fn post(browser: &Clerk, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", browser.csrf.as_str())];
    form.extend_from_slice(fields);
    let response = browser
        .client
        .post(browser.url(path))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(LOCATION)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// A whole program as a clerk types it: full-width digits, 和暦, 「3万円」, 就学前.
fn typed_program(name: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("owner", "022021"),
        ("name", name),
        ("category", "childcare_education"),
        ("category", "infant"),
        (
            "summary",
            "保護者の用事や休息のときに、お子さんを保育所で一時的に預かります。",
        ),
        ("eligibility_summary", "生後6か月から小学校入学前のお子さん"),
        ("benefit_description", "1日まで利用できます。"),
        ("benefit_amount", "３万円"),
        ("window_kind", "fixed"),
        ("window_from", "令和8年4月1日"),
        ("window_to", "２０２７／３／３１"),
        ("method_counter", "on"),
        ("method_counter_note", "各保育所で受け付けます"),
        ("documents", "利用申込書\n母子健康手帳"),
        ("contact_section", "こども家庭課"),
        ("contact_phone", "０１７２－４０－７０３８"),
        ("source_url", "https://www.city.hirosaki.aomori.jp/"),
        ("last_reviewed", "R8.11.1"),
        ("rule_mode", "build"),
        ("rule_join", "all"),
        ("c0_kind", "age"),
        ("c0_from", "6か月"),
        ("c0_from_op", "gte"),
        ("c0_until_op", "lt"),
        ("c1_kind", "stage"),
        ("c1_value", "就学前"),
    ]
}

/// A licence of the municipality's own, instead of CC BY 4.0.
const HIROSAKI_TERMS: &str = "https://www.city.hirosaki.aomori.jp/opendata/terms.html";

fn program_id(location: &str) -> String {
    location
        .strip_prefix("/staff/programs/")
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned()
}

async fn a_clerk_enters_a_program_in_everyday_wording_and_publishes_it(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let blank = page(&clerk, "/staff/programs/new", 200).await;
    assert!(
        blank.contains(r#"<option value="022021" selected>弘前市</option>"#),
        "{blank}"
    );

    let mut fields = typed_program("弘前市一時預かり事業");
    fields.push(("license", HIROSAKI_TERMS));
    fields.push(("action", "publish"));
    let (status, location, body) = post(&clerk, "/staff/programs/new", &fields).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.ends_with("/edit?saved=published"), "{location}");

    let program = call(
        app.app
            .get(&format!("/api/v1/programs/{}", program_id(&location))),
        200,
    )
    .await;
    assert_eq!(program["status"], "published");
    assert_eq!(program["benefit"]["amount_yen"], 30000);
    assert_eq!(
        program["application_window"],
        json!({"kind": "fixed", "from": "2026-04-01", "to": "2027-03-31"})
    );
    assert_eq!(program["contact"]["phone"], "0172-40-7038");
    assert_eq!(program["last_reviewed_on"], "2026-11-01");
    assert_eq!(program["documents"], json!(["利用申込書", "母子健康手帳"]));
    assert_eq!(program["license"], HIROSAKI_TERMS);
    assert_eq!(
        program["eligibility"],
        json!({"version": 1, "rule": {"some_child": {"all": [
            {"age": {"unit": "months", "gte": 6}}, {"school_stage": "preschool"}
        ]}}})
    );

    let edit = page(&clerk, &location, 200).await;
    assert!(edit.contains("公開しました"), "{edit}");
    // The form shows the program as stored, dates in the era with the Western date.
    assert!(edit.contains("令和8年4月1日（2026年4月1日）"), "{edit}");
    assert!(
        edit.contains(&format!(r#"name="license" value="{HIROSAKI_TERMS}""#)),
        "{edit}"
    );
    let audit = app
        .app
        .rows_once(
            "SELECT action FROM audit_log WHERE action IN ('program.create', 'program.publish')",
            2,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(audit.len(), 2);
}

async fn wrong_entries_are_stopped_at_their_fields_in_japanese(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let mut fields: Vec<(&str, &str)> = typed_program("弘前市まちがい事業")
        .into_iter()
        .filter(|(name, _)| {
            !matches!(
                *name,
                "name" | "window_from" | "window_to" | "contact_phone" | "last_reviewed"
            )
        })
        .collect();
    fields.extend([
        ("window_from", "2026年4月1日"),
        ("window_to", "2026年3月1日"),
        ("last_reviewed", "令和1年4月1日"),
        ("license", "CC BY 4.0"),
        ("action", "publish"),
    ]);
    let (status, _, body) = post(&clerk, "/staff/programs/new", &fields).await;
    assert_eq!(status, 422, "{body}");
    for (field, words) in [
        ("name", "制度名"),
        ("window_to", "開始日"),
        ("last_reviewed", "期間外"),
        ("contact", "問い合わせ先"),
        ("license", "URL"),
    ] {
        let at_field = format!(r#"<p class="field-error" id="{field}-error">"#);
        let start = body
            .find(&at_field)
            .unwrap_or_else(|| panic!("{field} has its message: {body}"));
        let message = &body[start..start + body[start..].find("</p>").unwrap()];
        assert!(message.contains(words), "{field}: {message}");
    }
    assert!(body.contains(r#"id="window_to" name="window_to" value="2026年3月1日" aria-describedby="window_to-hint window_to-error" aria-invalid="true""#), "{body}");

    // A draft may wait for its contact; publishing may not.
    let mut draft: Vec<(&str, &str)> = typed_program("弘前市連絡先あとで事業")
        .into_iter()
        .filter(|(name, _)| *name != "contact_phone")
        .collect();
    draft.push(("action", "save"));
    let (status, location, body) = post(&clerk, "/staff/programs/new", &draft).await;
    assert_eq!(status, 303, "{body}");
    let program = call(
        app.app
            .get(&format!("/api/v1/programs/{}", program_id(&location)))
            .bearer_auth(HIROSAKI_CITY_TOKEN),
        200,
    )
    .await;
    assert_eq!(program["status"], "draft");
}

async fn the_builders_rows_are_added_and_removed_with_buttons(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let base = [("owner", "022021"), ("rule_mode", "build"), ("rule_join", "all")];
    let mut fields = base.to_vec();
    fields.extend([("new_kind", "age"), ("action", "add_condition")]);
    let (status, _, body) = post(&clerk, "/staff/programs/new", &fields).await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"name="c0_kind" value="age""#), "{body}");
    assert!(body.contains("条件はありません"), "no rule yet: {body}");

    let mut fields = base.to_vec();
    fields.extend([
        ("c0_kind", "age"),
        ("c0_from", "6か月"),
        ("c0_from_op", "gte"),
        ("new_kind", "stage"),
        ("action", "add_condition"),
    ]);
    let (_, _, body) = post(&clerk, "/staff/programs/new", &fields).await;
    assert!(body.contains(r#"name="c1_kind" value="stage""#), "{body}");
    let words = rule_words(&body);
    assert!(
        words.contains("6か月"),
        "the sentence follows the first row: {words}"
    );

    let mut fields = base.to_vec();
    fields.extend([
        ("c0_kind", "age"),
        ("c0_from", "6か月"),
        ("c1_kind", "stage"),
        ("c1_value", "未就学"),
        ("action", "remove_0"),
    ]);
    let (_, _, body) = post(&clerk, "/staff/programs/new", &fields).await;
    assert!(!body.contains(r#"name="c1_kind""#), "{body}");
    assert!(body.contains(r#"name="c0_kind" value="stage""#), "{body}");
    let words = rule_words(&body);
    assert!(words.contains("未就学") && !words.contains("6か月"), "{words}");
}

/// The plain sentences beside the builder.
fn rule_words(body: &str) -> &str {
    let start = body.find(r#"id="rule-words""#).unwrap();
    &body[start..start + body[start..].find("</section>").unwrap()]
}

async fn the_live_check_answers_the_page_for_the_form_as_typed(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let without_token = clerk
        .client
        .post(clerk.url("/staff/programs/check"))
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(without_token.status().as_u16(), 403);

    let mut fields = typed_program("弘前市確認中事業");
    fields.retain(|(name, _)| *name != "window_to");
    fields.extend([
        ("window_to", "2026-03-31"),
        ("form_action", "/staff/programs/new"),
    ]);
    let (status, _, body) = post(&clerk, "/staff/programs/check", &fields).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(r#"<p class="field-error" id="window_to-error">"#),
        "{body}"
    );
    // The preview and the sentence are there for the script to copy.
    assert!(body.contains(r#"id="preview" data-live"#), "{body}");
    assert!(body.contains("生後6か月の子"), "{body}");
    assert!(body.contains("はい、対象です。"), "{body}");
}

async fn a_colleagues_change_is_shown_and_nothing_typed_is_lost(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let created = app
        .app
        .create_program(
            HIROSAKI_CITY_TOKEN,
            &program_body("022021", "弘前市子ども医療費助成"),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let clerk = clerk(&app, "hirosaki").await;
    let edit = page(&clerk, &format!("/staff/programs/{id}/edit"), 200).await;
    assert!(edit.contains(r#"name="version" value="1""#), "{edit}");
    let form = form_of(&created);

    // A colleague changes the summary through the API meanwhile.
    let mut theirs = program_body("022021", "弘前市子ども医療費助成");
    theirs["summary"] = json!("同僚が書き換えた概要です。");
    call(
        app.app
            .put(&format!("/api/v1/programs/{id}"), HIROSAKI_CITY_TOKEN)
            .json(&theirs),
        200,
    )
    .await;

    let mut fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fields.retain(|(name, _)| *name != "name");
    fields.extend([
        ("name", "弘前市子ども医療費助成（改）"),
        ("version", "1"),
        ("action", "save"),
    ]);
    let path = format!("/staff/programs/{id}/edit");
    let (status, _, body) = post(&clerk, &path, &fields).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("ほかの職員が変更しました"), "{body}");
    assert!(
        body.contains("<th scope=\"row\">概要</th><td>同僚が書き換えた概要です。</td>"),
        "{body}"
    );
    assert!(
        body.contains(r#"value="弘前市子ども医療費助成（改）""#),
        "what was typed stays: {body}"
    );
    assert!(body.contains(r#"name="version" value="2""#), "{body}");

    // Saving again, knowingly, over the colleague's version.
    fields.retain(|(name, _)| *name != "version");
    fields.push(("version", "2"));
    let (status, _, body) = post(&clerk, &path, &fields).await;
    assert_eq!(status, 303, "{body}");
    let program = call(
        app.app
            .get(&format!("/api/v1/programs/{id}"))
            .bearer_auth(HIROSAKI_CITY_TOKEN),
        200,
    )
    .await;
    assert_eq!(program["name"], "弘前市子ども医療費助成（改）");
    assert_eq!(program["version"], 3);
}

/// The form fields that stand for a program as the API returns it (what the edit page shows).
fn form_of(program: &Value) -> Vec<(String, String)> {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let mut fields = vec![
        ("owner".to_owned(), text(&program["owner"])),
        ("name".to_owned(), text(&program["name"])),
        ("summary".to_owned(), text(&program["summary"])),
        (
            "eligibility_summary".to_owned(),
            text(&program["eligibility_summary"]),
        ),
        (
            "benefit_description".to_owned(),
            text(&program["benefit"]["description"]),
        ),
        (
            "window_kind".to_owned(),
            text(&program["application_window"]["kind"]),
        ),
        (
            "window_event".to_owned(),
            text(&program["application_window"]["event"]),
        ),
        (
            "window_days".to_owned(),
            program["application_window"]["within_days"].to_string(),
        ),
        ("contact_section".to_owned(), text(&program["contact"]["section"])),
        ("contact_phone".to_owned(), text(&program["contact"]["phone"])),
        ("contact_email".to_owned(), text(&program["contact"]["email"])),
        ("source_url".to_owned(), text(&program["source_url"])),
        ("last_reviewed".to_owned(), text(&program["last_reviewed_on"])),
        ("rule_mode".to_owned(), "build".to_owned()),
        ("rule_original".to_owned(), program["eligibility"].to_string()),
    ];
    for category in program["categories"].as_array().unwrap() {
        fields.push(("category".to_owned(), text(category)));
    }
    for method in program["application_methods"].as_array().unwrap() {
        let kind = text(&method["kind"]);
        fields.push((format!("method_{kind}"), "on".to_owned()));
        fields.push((format!("method_{kind}_url"), text(&method["url"])));
        fields.push((format!("method_{kind}_note"), text(&method["note"])));
    }
    let documents: Vec<String> = program["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    fields.push(("documents".to_owned(), documents.join("\n")));
    fields
}

async fn a_rule_the_builder_cannot_show_is_kept_as_stored(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let rule = json!({"version": 1, "rule": {"count_children": {"where": {"until_march_31_after_age": 18}, "gte": 3}}});
    let mut body = program_body("022021", "弘前市多子世帯支援");
    body["eligibility"] = rule.clone();
    let created = app.app.create_program(HIROSAKI_CITY_TOKEN, &body).await;
    let id = created["id"].as_str().unwrap();
    let clerk = clerk(&app, "hirosaki").await;
    let edit = page(&clerk, &format!("/staff/programs/{id}/edit"), 200).await;
    assert!(edit.contains("この画面の部品では表せない形"), "{edit}");
    assert!(edit.contains(r#"name="rule_mode" value="keep""#), "{edit}");

    let mut fields = form_of(&created);
    fields.retain(|(name, _)| name != "rule_mode" && name != "summary");
    fields.push(("rule_mode".to_owned(), "keep".to_owned()));
    fields.push((
        "summary".to_owned(),
        "3人以上のお子さんを育てる世帯を支援します。".to_owned(),
    ));
    fields.push(("version".to_owned(), "1".to_owned()));
    fields.push(("action".to_owned(), "save".to_owned()));
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _, page_body) = post(&clerk, &format!("/staff/programs/{id}/edit"), &borrowed).await;
    assert_eq!(status, 303, "{page_body}");
    let program = call(
        app.app
            .get(&format!("/api/v1/programs/{id}"))
            .bearer_auth(HIROSAKI_CITY_TOKEN),
        200,
    )
    .await;
    assert_eq!(program["summary"], "3人以上のお子さんを育てる世帯を支援します。");
    assert_eq!(program["eligibility"], rule);
}

async fn the_history_compares_two_versions_in_words(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let created = app
        .app
        .create_program(HIROSAKI_CITY_TOKEN, &program_body("022021", "弘前市出生祝い金"))
        .await;
    let id = created["id"].as_str().unwrap();
    let mut changed = program_body("022021", "弘前市出生祝い金");
    changed["benefit"]["amount_yen"] = json!(50000);
    changed["application_window"] = json!({"kind": "always"});
    call(
        app.app
            .put(&format!("/api/v1/programs/{id}"), HIROSAKI_CITY_TOKEN)
            .json(&changed),
        200,
    )
    .await;
    let clerk = clerk(&app, "hirosaki").await;
    let history = page(&clerk, &format!("/staff/programs/{id}/history?from=1&to=2"), 200).await;
    assert!(history.contains("第2版"), "{history}");
    assert!(history.contains("弘前市 こども家庭課"), "who: {history}");
    assert!(
        history.contains("<th scope=\"row\">給付額</th><td>（なし）</td><td>50,000円</td>"),
        "{history}"
    );
    assert!(
        history.contains("<th scope=\"row\">申請期間</th><td>出生から15日以内</td><td>随時</td>"),
        "{history}"
    );
    assert!(!history.contains("amount_yen"), "no JSON: {history}");
}

fn born(date: &str) -> Child {
    Child::born(NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap())
}

async fn the_preview_counts_households_only_from_ten(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let hirosaki = MunicipalityCode::parse("022021").unwrap();
    let household = |child: Child| Household {
        municipality: hirosaki,
        children: vec![child],
        single_parent: None,
        income_band: None,
    };
    let store = Households::new(app.app.db.clone());
    let toddlers: Vec<Household> = (0..9).map(|_| household(born("2025-01-10"))).collect();
    store
        .insert_many(&toddlers, false, Some((ConsentMethod::Online, 1)))
        .await
        .unwrap();
    // Not counted: no consent, another municipality, a child too old.
    store
        .insert_many(&[household(born("2025-01-10"))], false, None)
        .await
        .unwrap();
    let mut elsewhere = household(born("2025-01-10"));
    elsewhere.municipality = MunicipalityCode::parse("022012").unwrap();
    store
        .insert_many(
            &[elsewhere, household(born("2010-05-05"))],
            false,
            Some((ConsentMethod::Online, 1)),
        )
        .await
        .unwrap();
    let clerk = clerk(&app, "hirosaki").await;
    let mut fields = typed_program("弘前市数える事業");
    fields.extend([("form_action", "/staff/programs/new")]);
    let (_, _, body) = post(&clerk, "/staff/programs/check", &fields).await;
    assert!(
        body.contains(r#"<strong id="household-count">10件未満</strong>"#),
        "{body}"
    );

    store
        .insert_many(
            &[household(born("2024-09-01"))],
            false,
            Some((ConsentMethod::Online, 1)),
        )
        .await
        .unwrap();
    let (_, _, body) = post(&clerk, "/staff/programs/check", &fields).await;
    assert!(
        body.contains(r#"<strong id="household-count">10世帯</strong>"#),
        "{body}"
    );
}

async fn staff_of_another_organisation_cannot_open_the_editor(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let created = app
        .app
        .create_program(HIROSAKI_CITY_TOKEN, &program_body("022021", "弘前市の事業"))
        .await;
    let id = created["id"].as_str().unwrap();
    let other = clerk(&app, "aomori").await;
    let edit = page(&other, &format!("/staff/programs/{id}/edit"), 403).await;
    assert!(edit.contains("権限がありません"), "{edit}");
    let mut fields = typed_program("青森市による弘前市の事業");
    fields.push(("action", "save"));
    let (status, _, body) = post(&other, "/staff/programs/new", &fields).await;
    assert_eq!(status, 403, "{body}");
    let parent = Browser::sign_in(&app.app, "parents", "hanako").await;
    let response = parent.get("/staff/programs/new").send().await.unwrap();
    assert_eq!(response.url().path(), "/staff/login");
}

async fn with_review_on_a_colleague_publishes(backend: Backend) {
    // A second clerk of 弘前市 at the test provider.
    let app = kosodate_tests::spawn_app_with_sign_in_accounts(
        backend,
        json!({"hirosaki2": {"name": "弘前市 こども家庭課 山田", "roles": ["municipal_staff"], "municipality_code": "022021"}}),
    )
    .await;
    let sato = clerk(&app, "hirosaki").await;
    let settings = page(&sato, "/staff/settings", 200).await;
    assert!(
        settings.contains("公開前に別の職員の確認を必要とする"),
        "{settings}"
    );
    let (status, location, _) = post(&sato, "/staff/settings", &[("review_before_publishing", "on")]).await;
    assert_eq!((status, location.as_str()), (303, "/staff/settings?saved=1"));

    // Publishing directly is refused, in the pages and in the API alike.
    let mut fields = typed_program("弘前市確認つき事業");
    fields.push(("action", "publish"));
    let (status, _, body) = post(&sato, "/staff/programs/new", &fields).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("公開の前に確認が必要です"), "{body}");
    let refused = app
        .app
        .rows_once(
            "SELECT action FROM audit_log WHERE action = 'program.publish' AND outcome <> 'allowed'",
            1,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(refused.len(), 1, "the refusal is in the audit log");
    let fields_review: Vec<(&str, &str)> = typed_program("弘前市確認つき事業2")
        .into_iter()
        .chain([("action", "request_review")])
        .collect();
    let (status, location, body) = post(&sato, "/staff/programs/new", &fields_review).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.ends_with("saved=review"), "{location}");
    let id = program_id(&location);
    let edit = page(&sato, &location, 200).await;
    assert!(edit.contains("佐藤さんが確認を依頼しています"), "{edit}");
    assert!(
        !edit.contains(r#"value="approve""#),
        "the one who asked may not publish: {edit}"
    );
    let (status, _, body) = post(
        &sato,
        &format!("/staff/programs/{id}/edit"),
        &[("action", "approve")],
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("別の職員"), "{body}");

    let yamada = clerk(&app, "hirosaki2").await;
    let edit = page(&yamada, &format!("/staff/programs/{id}/edit"), 200).await;
    assert!(edit.contains(r#"value="approve""#), "{edit}");
    let (status, location, body) = post(
        &yamada,
        &format!("/staff/programs/{id}/edit"),
        &[("action", "approve")],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert!(location.ends_with("saved=published"), "{location}");
    let program = call(app.app.get(&format!("/api/v1/programs/{id}")), 200).await;
    assert_eq!(program["status"], "published");

    // Without the setting, 「公開する」 publishes at once.
    post(&sato, "/staff/settings", &[]).await;
    let mut fields = typed_program("弘前市確認なし事業");
    fields.push(("action", "publish"));
    let (_, location, _) = post(&sato, "/staff/programs/new", &fields).await;
    assert!(location.ends_with("saved=published"), "{location}");
}

async fn a_program_type_prefills_the_form(backend: Backend) {
    let app = spawn_app_with_sign_in(backend, |_| {}).await;
    let clerk = clerk(&app, "hirosaki").await;
    let program_type = kosodate_registry::program_types::catalogue()
        .iter()
        .find(|program_type| {
            program_type
                .template(&kosodate_registry::ProgramOwner::National)
                .eligibility
                .get("rule")
                .is_some()
        })
        .unwrap();
    let template = program_type.template(&kosodate_registry::ProgramOwner::Local(
        MunicipalityCode::parse("022021").unwrap(),
    ));
    let form = page(
        &clerk,
        &format!("/staff/programs/new?type={}", program_type.key),
        200,
    )
    .await;
    assert!(
        form.contains(&format!(r#"name="name" value="{}""#, template.name)),
        "{form}"
    );
    assert!(
        form.contains(&format!(r#"name="program_type" value="{}""#, program_type.key)),
        "{form}"
    );
    let words = rule_words(&form);
    assert!(
        !words.contains("条件はありません"),
        "the type's rule is in the builder: {words}"
    );
}
