//! Excel workbooks (.xlsx) in and out through the HTTP API, on SQLite and PostgreSQL: an export
//! that Excel opens with its header frozen, widths set and dates as dates; a round trip that
//! changes nothing; workbooks made as a clerk would (date cells and text dates, numbers as
//! numbers, the table not at A1) and their problems named by row and column letter; the format
//! told by content type or file name.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use kosodate_tests::{
    ADMIN_TOKEN, AOMORI_CITY_TOKEN, Backend, TestApp, both_backends, call, expect_status, program_body,
    spawn_app, spawn_app_with,
};
use rust_xlsxwriter::{Format, Workbook};
use serde_json::{Value, json};

both_backends!(
    an_xlsx_export_is_a_spreadsheet_with_dates_numbers_and_a_frozen_header,
    example_programs_round_trip_through_xlsx_unchanged,
    an_xlsx_export_fills_an_empty_registry_as_it_was,
    a_clerks_workbook_imports_with_date_cells_and_text_dates,
    xlsx_problems_name_the_row_and_the_column_letter,
    the_format_is_told_by_content_type_or_file_name
);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn export_xlsx(app: &TestApp) -> Vec<u8> {
    let response = app
        .get("/api/v1/programs/export?format=xlsx")
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], XLSX);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("programs.xlsx")
    );
    response.bytes().await.unwrap().to_vec()
}

async fn import_xlsx(app: &TestApp, token: &str, dry_run: bool, workbook: Vec<u8>) -> reqwest::Response {
    app.post(
        &format!("/api/v1/programs/import?format=xlsx&dry_run={dry_run}"),
        token,
    )
    .body(workbook)
    .send()
    .await
    .unwrap()
}

/// The first worksheet's cells, row by row.
fn cells(workbook: &[u8]) -> Vec<Vec<Data>> {
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(workbook)).unwrap();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

/// One part of the workbook's zip file, as text.
fn part(workbook: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(workbook)).unwrap();
    let mut text = String::new();
    archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

fn column(header: &[Data], name: &str) -> usize {
    header
        .iter()
        .position(|cell| *cell == Data::String(name.to_owned()))
        .unwrap_or_else(|| panic!("no column {name}"))
}

async fn an_xlsx_export_is_a_spreadsheet_with_dates_numbers_and_a_frozen_header(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = program_body("022012", "出産応援給付");
    body["benefit"] = json!({"description": "妊娠届出時に支給", "amount_yen": 50000});
    body["application_window"] = json!({"kind": "fixed", "from": "2026-04-01", "to": "2027-03-31"});
    app.create_program(AOMORI_CITY_TOKEN, &body).await;
    let workbook = export_xlsx(&app).await;

    let rows = cells(&workbook);
    assert_eq!(rows.len(), 2, "the header and one program");
    let header = &rows[0];
    assert_eq!(header[0], Data::String("ID".into()));
    assert_eq!(header.len(), 31, "the CSV's columns");
    let row = &rows[1];
    assert_eq!(
        row[column(header, "ライセンス")],
        Data::String("https://creativecommons.org/licenses/by/4.0/".into()),
        "the licence is written out"
    );
    assert_eq!(row[column(header, "給付額(円)")], Data::Float(50000.0));
    let Data::DateTime(from) = &row[column(header, "申請開始日")] else {
        panic!(
            "the start is a date cell: {:?}",
            row[column(header, "申請開始日")]
        );
    };
    let (year, month, day, ..) = from.to_ymd_hms_milli();
    assert_eq!((year, month, day), (2026, 4, 1));
    assert!(matches!(row[column(header, "最終確認日")], Data::DateTime(_)));
    assert_eq!(
        row[column(header, "必要書類")],
        Data::String("健康保険の資格確認書\n振込先口座がわかるもの".into()),
        "a list is one item per line, as in the CSV"
    );

    let sheet = part(&workbook, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(r#"ySplit="1""#) && sheet.contains(r#"state="frozen""#),
        "the header row is frozen: {sheet:.600}"
    );
    assert!(
        sheet.contains("<cols>") && sheet.contains("customWidth=\"1\""),
        "column widths are set"
    );
    assert!(
        part(&workbook, "xl/styles.xml").contains("yyyy-mm-dd"),
        "dates are shown as dates"
    );
    assert!(part(&workbook, "xl/workbook.xml").contains(r#"name="制度""#));
}

async fn example_programs_round_trip_through_xlsx_unchanged(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.load_examples = Some(true)).await;
    let page = call(app.get("/api/v1/programs?limit=500"), 200).await;
    let count = page["items"].as_array().unwrap().len() as u64;
    assert!(count >= 20, "{count} example programs");
    let workbook = export_xlsx(&app).await;
    assert_eq!(cells(&workbook).len() as u64, count + 1);
    let report = expect_status(import_xlsx(&app, ADMIN_TOKEN, false, workbook).await, 200).await;
    assert_eq!(
        (
            report["unchanged"].as_u64(),
            report["updated"].as_u64(),
            report["created"].as_u64()
        ),
        (Some(count), Some(0), Some(0)),
        "{report}"
    );
}

fn programs_without_timestamps(programs: &Value) -> Vec<Value> {
    let mut programs = programs["items"].as_array().unwrap().clone();
    for program in &mut programs {
        let object = program.as_object_mut().unwrap();
        for key in ["created_at", "updated_at", "published_at", "version"] {
            object.remove(key);
        }
    }
    programs
}

async fn an_xlsx_export_fills_an_empty_registry_as_it_was(backend: Backend) {
    let source = spawn_app_with(backend, |settings| settings.load_examples = Some(true)).await;
    let target = spawn_app(backend).await;
    let report = expect_status(
        import_xlsx(&target, ADMIN_TOKEN, false, export_xlsx(&source).await).await,
        200,
    )
    .await;
    assert!(report["created"].as_u64().unwrap() >= 20, "{report}");
    let listed = |app: &TestApp| {
        app.get("/api/v1/programs?limit=500&status=published")
            .bearer_auth(ADMIN_TOKEN)
    };
    assert_eq!(
        programs_without_timestamps(&call(listed(&target), 200).await),
        programs_without_timestamps(&call(listed(&source), 200).await),
        "ids, content and status survive the round trip"
    );
}

/// Headers in the order a clerk might put them, the table starting at B2 under a title row.
const CLERK_HEADERS: [&str; 9] = [
    "制度名",
    "実施主体コード",
    "分類",
    "概要",
    "申請期間",
    "申請開始日",
    "申請終了日",
    "給付額(円)",
    "対象者",
];

/// A workbook as a clerk makes it: a title in A1, the table from B2, each row's cells as given.
fn clerk_workbook(rows: &[Vec<ClerkCell>]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let date = Format::new().set_num_format("yyyy/m/d");
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "青森市 子育て支援制度一覧").unwrap();
    for (column, header) in (1u16..).zip(CLERK_HEADERS) {
        sheet.write_string(1, column, header).unwrap();
    }
    for (row, cells) in (2u32..).zip(rows) {
        for (column, cell) in (1u16..).zip(cells) {
            match cell {
                ClerkCell::Text("") => {}
                ClerkCell::Text(text) => {
                    sheet.write_string(row, column, *text).unwrap();
                }
                ClerkCell::Number(number) => {
                    sheet.write_number(row, column, *number).unwrap();
                }
                ClerkCell::Date(day) => {
                    sheet.write_date_with_format(row, column, day, &date).unwrap();
                }
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

#[derive(Debug, Clone)]
enum ClerkCell {
    Text(&'static str),
    Number(f64),
    Date(NaiveDate),
}

fn day(text: &str) -> ClerkCell {
    ClerkCell::Date(NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap())
}

use ClerkCell::{Number, Text};

async fn a_clerks_workbook_imports_with_date_cells_and_text_dates(backend: Backend) {
    let app = spawn_app(backend).await;
    let workbook = clerk_workbook(&[
        vec![
            Text("出産応援給付"),
            Number(22012.0),
            Text("妊娠・出産、手当・給付"),
            Text("妊娠届出の後に5万円を支給します"),
            Text("期間指定"),
            day("2026-04-01"),
            Text("2027年3月31日"),
            Number(50000.0),
            Text("市内に住む妊婦"),
        ],
        vec![
            Text("一時預かり"),
            Text("022012"),
            Text("保育・教育"),
            Text("保育所で一時的に預かります"),
            Text("随時"),
        ],
    ]);
    let report = expect_status(import_xlsx(&app, AOMORI_CITY_TOKEN, false, workbook).await, 200).await;
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["items"][0]["line"], 3, "lines are the rows Excel shows");
    let id = report["items"][0]["program_id"].as_str().unwrap();
    let program = call(
        app.get(&format!("/api/v1/programs/{id}"))
            .bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    assert_eq!(
        program["application_window"],
        json!({"kind": "fixed", "from": "2026-04-01", "to": "2027-03-31"})
    );
    assert_eq!(program["benefit"]["amount_yen"], 50000);
    assert_eq!(
        program["owner"], "022012",
        "a code typed as a number is completed"
    );
    assert_eq!(program["categories"], json!(["pregnancy_birth", "allowance"]));
}

async fn xlsx_problems_name_the_row_and_the_column_letter(backend: Backend) {
    let app = spawn_app(backend).await;
    let workbook = clerk_workbook(&[
        vec![
            Text("正しい制度"),
            Text("022012"),
            Text("医療"),
            Text("概要"),
            Text("随時"),
        ],
        vec![
            Text("分類の誤り"),
            Text("022012"),
            Text("保険"),
            Text("概要"),
            Text("随時"),
        ],
        vec![
            Text("期間が逆"),
            Text("022012"),
            Text("医療"),
            Text("概要"),
            Text("期間指定"),
            day("2026-05-01"),
            day("2026-04-01"),
        ],
        vec![
            Text("弘前市の制度"),
            Text("022021"),
            Text("医療"),
            Text("概要"),
            Text("随時"),
        ],
        vec![
            Text("金額が文字"),
            Text("022012"),
            Text("手当・給付"),
            Text("概要"),
            Text("随時"),
            Text(""),
            Text(""),
            Text("五万円"),
        ],
    ]);
    let problem = expect_status(import_xlsx(&app, AOMORI_CITY_TOKEN, true, workbook).await, 422).await;
    let located: Vec<(u64, &str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap(),
                e["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        located,
        [
            (4, "D", "分類"),
            (5, "H", "申請終了日"),
            (6, "C", "実施主体コード"),
            (7, "I", "給付額(円)"),
        ],
        "{problem}"
    );
    let drafts = call(
        app.get("/api/v1/programs?status=draft")
            .bearer_auth(AOMORI_CITY_TOKEN),
        200,
    )
    .await;
    assert!(drafts["items"].as_array().unwrap().is_empty(), "all or nothing");

    let headers_only = clerk_workbook(&[]);
    let mut bad_header = Workbook::new();
    let sheet = bad_header.add_worksheet();
    for (column, header) in (0u16..).zip(["制度名", "色"]) {
        sheet.write_string(0, column, header).unwrap();
    }
    let refused = expect_status(
        import_xlsx(
            &app,
            AOMORI_CITY_TOKEN,
            true,
            bad_header.save_to_buffer().unwrap(),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(refused["errors"][0]["column"], "B", "{refused}");
    assert_eq!(refused["errors"][0]["field"], "色");
    let empty = expect_status(
        import_xlsx(&app, AOMORI_CITY_TOKEN, true, headers_only).await,
        200,
    )
    .await;
    assert_eq!(empty["created"], 0);
    let not_a_workbook = expect_status(
        import_xlsx(&app, AOMORI_CITY_TOKEN, true, b"ID,name\n".to_vec()).await,
        422,
    )
    .await;
    assert!(
        not_a_workbook["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(".xlsx")
    );
}

async fn the_format_is_told_by_content_type_or_file_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let workbook = clerk_workbook(&[vec![
        Text("一時預かり"),
        Text("022012"),
        Text("保育・教育"),
        Text("保育所で一時的に預かります"),
        Text("随時"),
    ]]);
    let by_type = app
        .post("/api/v1/programs/import?dry_run=true", AOMORI_CITY_TOKEN)
        .header("content-type", XLSX)
        .body(workbook.clone());
    assert_eq!(call(by_type, 200).await["created"], 1);
    let by_name = app
        .post("/api/v1/programs/import?dry_run=true", AOMORI_CITY_TOKEN)
        .header("content-type", "application/octet-stream")
        .header("content-disposition", r#"attachment; filename="一覧.xlsx""#)
        .body(workbook);
    assert_eq!(call(by_name, 200).await["created"], 1);

    let csv = "実施主体コード,制度名,分類,概要,申請期間\r\n022012,一時預かり,保育・教育,概要,随時\r\n";
    let (shift_jis, _, _) = encoding_rs::SHIFT_JIS.encode(csv);
    let csv_by_name = app
        .post("/api/v1/programs/import?dry_run=true", AOMORI_CITY_TOKEN)
        .header("content-disposition", r#"attachment; filename="list.CSV""#)
        .body(shift_jis.into_owned());
    assert_eq!(call(csv_by_name, 200).await["created"], 1);

    let unknown = app
        .post("/api/v1/programs/import?dry_run=true", AOMORI_CITY_TOKEN)
        .header("content-type", "application/octet-stream")
        .body(b"x".to_vec());
    let problem = call(unknown, 400).await;
    assert!(problem["detail"].as_str().unwrap().contains("形式"), "{problem}");
}
