//! The staff's bulk pages in real headless Chromium, on both databases, signed in as 青森市's
//! clerk through the real OpenID Provider: an Excel workbook made here with rust_xlsxwriter is
//! uploaded, its dry run shows the row and column of a mistake, the fixed file's dry run shows a
//! new program and a changed one field by field, and 「すべて反映する」 applies it; then a
//! resident is registered at the counter (errors at their fields first, child rows added and
//! removed without script) and the handout prints on one A4 page. axe-core runs on every page at
//! a phone's and a desktop's width; screenshots are kept.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
#![allow(clippy::print_stdout)] // reports how many programs the printed handout held

use std::io::Cursor;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx};
use chrono::Days;
use fantoccini::Locator;
use fantoccini::wd::PrintConfiguration;
use kosodate_domain::japan;
use kosodate_tests::browser::Chromium;
use kosodate_tests::{ADMIN_TOKEN, Backend, TestApp, both_backends, call, spawn_app_with_sign_in};
use rust_xlsxwriter::{Format, Workbook};

both_backends!(a_clerk_imports_a_workbook_and_registers_a_resident_at_the_counter);

fn screenshots(backend: Backend) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots")
        .join(format!("bulk-{backend:?}").to_lowercase())
}

async fn a_clerk_imports_a_workbook_and_registers_a_resident_at_the_counter(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |settings| {
        settings.load_examples = Some(true);
    })
    .await;
    let app = &signed_in.app;
    let chromium = Chromium::start().await;
    let shots = screenshots(backend);
    let files = tempfile::tempdir().unwrap();

    sign_in_as_clerk(&chromium, app, &shots).await;
    let sheet = aomori_city_programs(app).await;
    let changed_name = text_of(&sheet[1][column(&sheet, "制度名")]);

    let with_mistake = files.path().join("制度一覧-誤りあり.xlsx");
    std::fs::write(&with_mistake, edited_workbook(&sheet, true)).unwrap();
    upload(&chromium, app, &with_mistake).await;
    see_the_mistake_by_row_and_column(&chromium, &sheet, &shots).await;

    let fixed = files.path().join("制度一覧.xlsx");
    std::fs::write(&fixed, edited_workbook(&sheet, false)).unwrap();
    upload(&chromium, app, &fixed).await;
    see_the_diff_and_apply(&chromium, &sheet, &changed_name, &shots).await;
    the_registry_holds_the_file(app, &changed_name).await;

    register_at_the_counter(&chromium, app, &shots).await;
    chromium.close().await;
}

async fn sign_in_as_clerk(chromium: &Chromium, app: &TestApp, shots: &Path) {
    chromium.visit(&app.url("/staff/import"), (360, 740)).await;
    assert!(chromium.path().await.starts_with("/staff/login"));
    chromium.check_open_page(shots, "staff-login").await;
    chromium
        .click_and_wait("a.button[href^='/auth/login/staff']")
        .await;
    chromium.fill("input[name=login]", "aomori").await;
    chromium.click_and_wait("button[type=submit]").await;
    assert_eq!(chromium.path().await, "/staff/import");
    chromium
        .check_page(&app.url("/staff/import"), (360, 740), shots, "import")
        .await;
    chromium
        .check_page(&app.url("/staff/import"), (1280, 800), shots, "import")
        .await;
}

/// 青森市's programs as its clerk downloads them from the import page's Excel link.
async fn aomori_city_programs(app: &TestApp) -> Vec<Vec<Data>> {
    let response = app
        .get("/api/v1/programs/export?format=xlsx&owner=022012")
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    assert!(rows.len() >= 3, "青森市 has example programs");
    rows
}

fn column(sheet: &[Vec<Data>], header: &str) -> usize {
    sheet[0]
        .iter()
        .position(|cell| *cell == Data::String(header.to_owned()))
        .unwrap_or_else(|| panic!("no column {header}"))
}

fn text_of(cell: &Data) -> String {
    match cell {
        Data::String(text) => text.clone(),
        other => other.to_string(),
    }
}

const NEW_PROGRAM: &str = "青森市テスト 絵本のプレゼント";
const NEW_SUMMARY: &str = "1歳6か月児健診の会場で、絵本を1冊お渡しします。";

/// The downloaded sheet written again as a clerk edits it: the first program's summary changed,
/// a new program added at the bottom, and (with `mistake`) its category misspelt.
fn edited_workbook(sheet: &[Vec<Data>], mistake: bool) -> Vec<u8> {
    let summary = column(sheet, "概要");
    let mut rows: Vec<Vec<Data>> = sheet.to_vec();
    rows[1][summary] = Data::String(NEW_SUMMARY.to_owned());
    let mut new_row = vec![Data::Empty; sheet[0].len()];
    for (header, value) in [
        ("実施主体コード", "022012"),
        ("制度名", NEW_PROGRAM),
        ("分類", if mistake { "絵本" } else { "乳幼児" }),
        ("概要", "絵本を1冊お渡しします。"),
        ("申請期間", "随時"),
    ] {
        new_row[column(sheet, header)] = Data::String(value.to_owned());
    }
    rows.push(new_row);
    let mut workbook = Workbook::new();
    let date = Format::new().set_num_format("yyyy/m/d");
    let out = workbook.add_worksheet();
    for (row, cells) in (0u32..).zip(&rows) {
        for (col, cell) in (0u16..).zip(cells) {
            match cell {
                Data::String(text) => {
                    out.write_string(row, col, text).unwrap();
                }
                Data::Float(number) => {
                    out.write_number(row, col, *number).unwrap();
                }
                Data::Int(number) => {
                    out.write_number(row, col, *number as f64).unwrap();
                }
                Data::DateTime(day) => {
                    out.write_number_with_format(row, col, day.as_f64(), &date)
                        .unwrap();
                }
                _ => {}
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

/// Chooses `file` in the import page's file input and sends it.
async fn upload(chromium: &Chromium, app: &TestApp, file: &Path) {
    chromium.visit(&app.url("/staff/import"), (1280, 800)).await;
    let input = chromium
        .client
        .find(Locator::Css("input[type=file]"))
        .await
        .unwrap();
    input.send_keys(&file.display().to_string()).await.unwrap();
    chromium.click_and_wait("form[enctype] button[type=submit]").await;
    assert!(
        chromium.path().await.starts_with("/staff/import/"),
        "{}",
        chromium.path().await
    );
}

async fn see_the_mistake_by_row_and_column(chromium: &Chromium, sheet: &[Vec<Data>], shots: &Path) {
    let row = sheet.len() + 1;
    let letter = char::from(b'A' + u8::try_from(column(sheet, "分類")).unwrap());
    let text = chromium.text().await;
    assert!(
        text.contains(&format!("{row}行目 {letter}列（分類）")),
        "the mistake is named by row and column: {text}"
    );
    assert!(text.contains("分類「絵本」はありません"), "{text}");
    assert!(
        !text.contains("すべて反映する"),
        "a file with a mistake cannot be applied"
    );
    let target = chromium
        .evaluate("return document.querySelector('#problems-summary a').getAttribute('href')")
        .await;
    assert_eq!(target, "#problem-1", "the summary links to the problem");
    chromium.check_open_page(shots, "import-mistake").await;
}

async fn see_the_diff_and_apply(chromium: &Chromium, sheet: &[Vec<Data>], changed: &str, shots: &Path) {
    let text = chromium.text().await;
    let unchanged = sheet.len() - 2;
    assert!(text.contains("新規登録 1件"), "{text}");
    assert!(text.contains("変更 1件"), "{text}");
    assert!(text.contains(&format!("変更なし {unchanged}件")), "{text}");
    assert!(text.contains(NEW_PROGRAM), "{text}");
    assert!(text.contains(&format!("2行目：{changed}")), "{text}");
    let before = text_of(&sheet[1][column(sheet, "概要")]);
    let rows: Vec<Vec<String>> = serde_json::from_value(
        chromium
            .evaluate(
                "return [...document.querySelectorAll('.import-change tbody tr')].map(r => [...r.children].map(c => c.innerText))",
            )
            .await,
    )
    .unwrap();
    assert!(
        rows.contains(&vec!["概要".to_owned(), before, NEW_SUMMARY.to_owned()]),
        "field by field, before and after: {rows:?}"
    );
    chromium.check_open_page(shots, "import-review").await;
    chromium.click_and_wait("form[action$='/apply'] button").await;
    let done = chromium.text().await;
    assert!(
        done.contains("新規登録 1件、変更 1件"),
        "the apply says what it did: {done}"
    );
    chromium.check_open_page(shots, "import-done").await;
}

async fn the_registry_holds_the_file(app: &TestApp, changed: &str) {
    let page = call(
        app.get("/api/v1/programs?owner=022012&limit=200")
            .bearer_auth(ADMIN_TOKEN),
        200,
    )
    .await;
    let items = page["items"].as_array().unwrap();
    let named = |name: &str| items.iter().find(|program| program["name"] == name).cloned();
    assert_eq!(named(changed).unwrap()["summary"], NEW_SUMMARY);
    let created = named(NEW_PROGRAM).expect("the new program is stored");
    assert_eq!(created["status"], "draft");
    let staged = app
        .rows_once(
            "SELECT id FROM staged_imports",
            usize::MAX,
            std::time::Duration::ZERO,
        )
        .await;
    assert_eq!(staged.len(), 1, "only the file with the mistake still waits");
}

async fn register_at_the_counter(chromium: &Chromium, app: &TestApp, shots: &Path) {
    let url = app.url("/staff/counter");
    chromium.check_page(&url, (1280, 800), shots, "counter").await;
    chromium.check_page(&url, (360, 740), shots, "counter").await;
    chromium.click_and_wait("button[value=save]").await;
    for field in [
        "consent_matching",
        "paper_form_number",
        "paper_form_signed_on",
        "paper_form_kept",
        "child0_date",
    ] {
        let invalid = chromium
            .evaluate(&format!(
                "return document.getElementById('{field}').getAttribute('aria-invalid')"
            ))
            .await;
        assert_eq!(invalid, "true", "{field} is marked at the field");
    }
    chromium.check_open_page(shots, "counter-errors").await;

    let today = japan::date_of(chrono::Utc::now());
    chromium.click("#consent_matching").await;
    chromium.fill("#paper_form_number", "A-2026-0123").await;
    chromium
        .set_value("#paper_form_signed_on", &today.to_string())
        .await;
    chromium.click("#paper_form_kept").await;
    let one_year_old = today.checked_sub_days(Days::new(365)).unwrap();
    chromium
        .set_value("#child0_date", &one_year_old.to_string())
        .await;
    chromium.click_and_wait("button[value=add_child]").await;
    assert_eq!(
        chromium
            .evaluate("return document.querySelectorAll('fieldset.child').length")
            .await,
        2
    );
    chromium.click_and_wait("button[value=remove_1]").await;
    assert_eq!(
        chromium
            .evaluate("return document.querySelectorAll('fieldset.child').length")
            .await,
        1,
        "rows come and go without script, keeping what was entered"
    );
    chromium.click_and_wait("button[value=save]").await;
    the_handout(chromium, shots).await;
}

async fn the_handout(chromium: &Chromium, shots: &Path) {
    let text = chromium.text().await;
    assert!(text.contains("子育て支援制度のご案内"), "{text}");
    assert!(text.contains("受付番号"), "{text}");
    assert!(text.contains("令和"), "dates in 和暦: {text}");
    let programs = chromium
        .evaluate("return document.querySelectorAll('.handout-programs > li').length")
        .await
        .as_u64()
        .unwrap();
    assert!(programs > 0, "the household's programs are listed: {text}");
    chromium.check_open_page(shots, "counter-handout").await;
    let configuration = PrintConfiguration::builder()
        .shrink_to_fit(false)
        .build()
        .unwrap();
    let pdf = chromium.client.print(configuration).await.unwrap();
    std::fs::write(shots.join("counter-handout.pdf"), &pdf).unwrap();
    let pages = count_pages(&pdf);
    println!("counter handout: {programs} programs, {pages} A4 page(s)");
    assert_eq!(pages, 1, "the handout prints on one A4 page");
}

/// Page objects in a PDF (`/Type /Page`, not `/Pages`).
fn count_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .filter(|(at, found)| !text[at + found.len()..].starts_with('s'))
        .count()
}
