//! The front door and the search page over HTTP, on both databases: `/` offers the prefecture and
//! its 40 municipalities by region and the parents' sign-in (LINE first); a parent's sentence
//! finds the programs its words name, in the page and in the API; filters and category counts
//! agree with the API; a search that finds nothing offers nearby words, the whole prefecture and
//! whom to ask; what a parent or a program says is escaped.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::{Duration, Instant};

use kosodate_server::settings::Settings;
use kosodate_tests::{
    AOMORI_CITY_TOKEN, Backend, TestApp, both_backends, call, program_body, spawn_app_with,
    spawn_app_with_sign_in,
};
use reqwest::header::ACCEPT;
use serde_json::{Value, json};

both_backends!(
    home_lists_every_place_by_region_and_the_parents_sign_in,
    a_sentence_finds_the_programs_it_names,
    filters_and_category_counts_agree_with_the_api,
    an_empty_result_offers_words_the_prefecture_and_whom_to_ask,
    what_parents_and_programs_say_is_escaped,
    a_wrong_filter_is_named_next_to_its_field,
);

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The IPADIC sources `scripts/ensure-ipadic.sh` prepares: sentences are cut with them.
fn with_examples_and_dictionary(settings: &mut Settings) {
    settings.load_examples = Some(true);
    kosodate_tests::with_dictionary(settings);
}

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, with_examples_and_dictionary).await
}

async fn page(app: &TestApp, path: &str, status: u16) -> String {
    let response = app.get(path).header(ACCEPT, BROWSER_ACCEPT).send().await.unwrap();
    assert_eq!(response.status().as_u16(), status, "{path}");
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
    response.text().await.unwrap()
}

fn search_path(pairs: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    format!("/search?{}", query.finish())
}

async fn api_search(app: &TestApp, pairs: &[(&str, &str)]) -> Value {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    call(
        app.get(&format!("/api/v1/programs/search?{}", query.finish())),
        200,
    )
    .await
}

/// The result names on a search page, in order.
fn result_names(page: &str) -> Vec<String> {
    let Some(start) = page.find("<ol class=\"hits\">") else {
        return Vec::new();
    };
    let end = start + page[start..].find("</ol>").unwrap();
    page[start..end]
        .split("<h3><a href=\"/programs/")
        .skip(1)
        .map(|item| {
            let name_start = item.find('>').unwrap() + 1;
            let name_end = item.find("</a>").unwrap();
            item[name_start..name_end].to_owned()
        })
        .collect()
}

async fn home_lists_every_place_by_region_and_the_parents_sign_in(backend: Backend) {
    let signed = spawn_app_with_sign_in(backend, |settings| settings.load_examples = Some(true)).await;
    let home = page(&signed.app, "/", 200).await;
    assert!(home.contains("<html lang=\"ja\">"));
    assert!(
        home.contains("<form class=\"search-box\" method=\"get\" action=\"/search\""),
        "{home}"
    );
    assert!(home.contains("name=\"q\""));
    let places = home.matches("href=\"/search?municipality=").count();
    assert_eq!(places, 41, "the prefecture and its 40 municipalities");
    for (code, name) in [("020001", "青森県"), ("022012", "青森市"), ("024503", "新郷村")] {
        assert!(
            home.contains(&format!("href=\"/search?municipality={code}\">{name}")),
            "{name}: {home}"
        );
    }
    let regions: Vec<usize> = [
        "東青地域",
        "中南地域",
        "三八地域",
        "西北地域",
        "上北地域",
        "下北地域",
    ]
    .iter()
    .map(|region| home.find(&format!("<h3>{region}</h3>")).unwrap_or(usize::MAX))
    .collect();
    assert!(regions.windows(2).all(|pair| pair[0] < pair[1]), "{regions:?}");
    // 大間町 is in 下北, after the heading of its region.
    assert!(home.find("大間町").unwrap() > regions[5]);

    let line = home
        .find("href=\"/auth/login/line?return_to=%2Fme\"")
        .expect("LINE sign-in");
    let parents = home
        .find("href=\"/auth/login/parents?return_to=%2Fme\"")
        .expect("parents' sign-in");
    assert!(line < parents, "LINE comes first");
    assert!(!home.contains("/auth/login/staff"), "staff sign in elsewhere");
    assert!(home.len() < 30_000, "{} bytes before compression", home.len());
}

async fn a_sentence_finds_the_programs_it_names(backend: Backend) {
    let app = app(backend).await;
    let cases = [
        ("妊娠したら", "022012", "妊婦のための支援給付"),
        ("保育園に入りたい", "024236", "0～2歳児の保育料無償化"),
        (
            "子どもが熱を出したらどこに相談すればいい？",
            "022021",
            "弘前市こども家庭センター（妊娠・子育ての相談）",
        ),
    ];
    for (sentence, municipality, expected) in cases {
        let found = page(
            &app,
            &search_path(&[("q", sentence), ("municipality", municipality)]),
            200,
        )
        .await;
        let names = result_names(&found);
        assert!(
            names.iter().take(5).any(|name| name == expected),
            "{sentence}: {names:?}"
        );
        let api = api_search(&app, &[("q", sentence), ("municipality", municipality)]).await;
        let api_names: Vec<&str> = api["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["program"]["name"].as_str().unwrap())
            .collect();
        assert!(
            api_names.iter().take(5).any(|name| *name == expected),
            "{sentence}: {api}"
        );
        assert_eq!(
            api["total"].as_u64().unwrap() as usize,
            page_total(&found),
            "{sentence}"
        );
    }
    // 「妊娠したら」 is 妊娠: every program found says 妊娠, and the search needed no relaxing.
    let api = api_search(&app, &[("q", "妊娠したら")]).await;
    assert_eq!(api["mode"], "all_words", "{api}");
    let found = page(&app, &search_path(&[("q", "妊娠したら")]), 200).await;
    assert!(found.contains("<mark>妊娠</mark>"), "{found}");
    assert!(
        found.contains("<p class=\"note\">「妊娠」で探しました。</p>"),
        "{found}"
    );
    let found = page(&app, &search_path(&[("q", "ファミサポ")]), 200).await;
    assert!(!found.contains("で探しました"), "a keyword is searched as typed");
    assert!(
        found.contains("href=\"/programs/"),
        "results link to program pages"
    );
}

/// The total in the results heading.
fn page_total(page: &str) -> usize {
    let heading = page.find("<h2 id=\"results-heading\">").unwrap();
    let end = heading + page[heading..].find("件</h2>").unwrap();
    let digits: String = page[..end]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().unwrap()
}

fn category_count(page: &str, category: &str) -> u64 {
    let label = page
        .find(&format!("<label for=\"category-{category}\">"))
        .unwrap();
    let count =
        label + page[label..].find("<span class=\"count\">（").unwrap() + "<span class=\"count\">（".len();
    let end = count + page[count..].find("件").unwrap();
    page[count..end].parse().unwrap()
}

fn facet(api: &Value, category: &str) -> u64 {
    api["facets"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|facet| facet["value"] == category)
        .map_or(0, |facet| facet["count"].as_u64().unwrap())
}

async fn filters_and_category_counts_agree_with_the_api(backend: Backend) {
    let app = app(backend).await;
    let found = page(
        &app,
        &search_path(&[("municipality", "022021"), ("category", "medical")]),
        200,
    )
    .await;
    let names = result_names(&found);
    assert!(names.contains(&"子ども医療費給付".to_owned()), "{names:?}");
    assert!(
        !names.contains(&"子ども医療費助成".to_owned()),
        "other cities' programs: {names:?}"
    );
    assert!(
        found.contains("value=\"medical\" checked"),
        "the filter stays chosen"
    );
    assert!(found.contains("<option value=\"022021\" selected>弘前市</option>"));
    let api = api_search(&app, &[("municipality", "022021"), ("category", "medical")]).await;
    assert_eq!(page_total(&found), api["total"].as_u64().unwrap() as usize);
    for category in ["medical", "consultation", "allowance", "disability"] {
        assert_eq!(
            category_count(&found, category),
            facet(&api, category),
            "{category}"
        );
    }
    assert!(
        category_count(&found, "allowance") > 0,
        "counted without the category filter"
    );

    // A 10-year-old in 八戸市: the infant check-up is not for her, the medical aid is.
    let found = page(
        &app,
        &search_path(&[("municipality", "022039"), ("age", "10")]),
        200,
    )
    .await;
    let names = result_names(&found);
    assert!(names.contains(&"子ども医療費助成".to_owned()), "{names:?}");
    assert!(!names.contains(&"乳児一般委託健康診査".to_owned()), "{names:?}");
    let infants = page(
        &app,
        // Among the check-ups: a 0-year-old's programs (vaccines included) fill more than a page.
        &search_path(&[
            ("municipality", "022039"),
            ("age", "0"),
            ("category", "health_checkup"),
        ]),
        200,
    )
    .await;
    assert!(result_names(&infants).contains(&"乳児一般委託健康診査".to_owned()));

    let open = page(&app, &search_path(&[("open_now", "1")]), 200).await;
    let api = api_search(&app, &[("open_now", "true")]).await;
    assert_eq!(page_total(&open), api["total"].as_u64().unwrap() as usize);
    assert!(open.contains("id=\"open_now\" name=\"open_now\" value=\"1\" checked"));
    let all = page(&app, "/search", 200).await;
    assert!(page_total(&all) > 20);
    assert!(all.contains("rel=\"next\""), "more than a page of programs");
    assert!(
        all.len() < 60_000,
        "a full page is {} bytes before compression",
        all.len()
    );
    let second = page(&app, "/search?page=2", 200).await;
    assert_eq!(result_names(&second).len(), (page_total(&all) - 20).min(20));
    assert!(second.contains("rel=\"prev\""));
}

async fn an_empty_result_offers_words_the_prefecture_and_whom_to_ask(backend: Backend) {
    let app = app(backend).await;
    // Nothing anywhere: words that do find programs, and the consultation programs.
    let found = page(
        &app,
        &search_path(&[("q", "雪かき"), ("municipality", "022012")]),
        200,
    )
    .await;
    assert_eq!(page_total(&found), 0);
    assert!(found.contains("ほかのことばで探す"), "{found}");
    let suggested = found.matches("href=\"/search?q=").count();
    assert!(suggested >= 1, "{found}");
    assert!(found.contains("相談できる窓口"));
    assert!(
        found.contains("あおもり親子はぐくみプラザ（妊娠・子育ての相談）"),
        "{found}"
    );
    assert!(
        !found.contains("弘前市こども家庭センター"),
        "only where the parent lives"
    );

    // Found elsewhere in the prefecture, not in 八戸市: the same search without the municipality.
    let found = page(
        &app,
        &search_path(&[("q", "ショートステイ"), ("municipality", "022039")]),
        200,
    )
    .await;
    assert_eq!(page_total(&found), 0, "{:?}", result_names(&found));
    let wider = api_search(&app, &[("q", "ショートステイ")]).await;
    let link = "<a href=\"/search?q=%E3%82%B7%E3%83%A7%E3%83%BC%E3%83%88%E3%82%B9%E3%83%86%E3%82%A4\">";
    assert!(found.contains(link), "{found}");
    assert!(found.contains(&format!("（{}件）", wider["total"])), "{found}");
    assert!(
        found.contains("産前・産後サポート事業"),
        "八戸市's consultation: {found}"
    );

    // Every suggested word finds programs.
    let found = page(&app, &search_path(&[("q", "雪かき")]), 200).await;
    for word_link in found.split("<a href=\"/search?q=").skip(1) {
        let href = format!("/search?q={}", &word_link[..word_link.find('"').unwrap()]);
        let href = href.replace("&amp;", "&");
        let next = page(&app, &href, 200).await;
        assert!(page_total(&next) > 0, "{href}");
    }
}

async fn what_parents_and_programs_say_is_escaped(backend: Backend) {
    let app = app(backend).await;
    let typed = "<script>alert(1)</script>\"><b>";
    let found = page(&app, &search_path(&[("q", typed)]), 200).await;
    assert!(!found.contains("<script>alert"), "{found}");
    assert!(!found.contains("\"><b>"), "{found}");
    assert!(
        found.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{found}"
    );

    let mut body = program_body("022012", "<b>雪まつり</b>支援");
    body["summary"] = json!("雪まつりの<i>割引</i>です & <script>alert(2)</script>");
    let id = app.publish_program(AOMORI_CITY_TOKEN, &body).await;
    let path = search_path(&[("q", "雪まつり")]);
    let started = Instant::now();
    let found = loop {
        let found = page(&app, &path, 200).await;
        if found.contains(&format!("/programs/{id}")) || started.elapsed() > Duration::from_secs(10) {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The link says which result of which search it is (click-through, for evidence).
    assert!(found.contains(&format!("href=\"/programs/{id}?from=")), "{found}");
    assert!(
        found.contains("\">&#60;b&#62;雪まつり&#60;/b&#62;支援</a>"),
        "{found}"
    );
    assert!(!found.contains("<script>alert(2)"), "{found}");
    assert!(!found.contains("<i>割引"), "{found}");
    assert!(
        found.contains("<mark>"),
        "the snippet still marks the words: {found}"
    );
}

async fn a_wrong_filter_is_named_next_to_its_field(backend: Backend) {
    let app = app(backend).await;
    let found = page(
        &app,
        &search_path(&[("q", "手当"), ("age", "99"), ("municipality", "131016")]),
        400,
    )
    .await;
    assert!(found.contains("id=\"age-error\""), "{found}");
    assert!(found.contains("aria-describedby=\"age-error\""), "{found}");
    assert!(found.contains("id=\"municipality-error\""), "{found}");
    assert!(
        found.contains("aria-describedby=\"municipality-error\""),
        "{found}"
    );
    assert!(found.contains("value=\"手当\""), "what the parent typed stays");
    let long = "あ".repeat(201);
    let found = page(&app, &search_path(&[("q", &long)]), 400).await;
    assert!(found.contains("aria-describedby=\"q-hint q-error\""), "{found}");
}
