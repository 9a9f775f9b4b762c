//! The spreadsheet format. One row per program; Japanese column headers (English keys are also
//! accepted); lists inside a cell one item per line (Alt+Enter in Excel). Read as UTF-8 (with or
//! without BOM) or Shift_JIS/CP932; written as UTF-8 with BOM and CRLF so Excel opens it as is.

use std::borrow::Cow;
use std::collections::HashMap;

use kosodate_domain::ProgramId;
use kosodate_domain::Vocabulary;
use strum::VariantArray;

use super::{ImportError, ImportErrors, ImportRecord, ParsedFile, non_empty_lines, parse_date_loose};
use crate::model::{
    ApplicationMethod, ApplicationMethodKind, ApplicationWindow, Benefit, Category, Contact, LifeEvent,
    Program, ProgramInput, ProgramStatus,
};

/// Column key (stable, English) and header (what staff see).
pub const COLUMNS: &[(&str, &str)] = &[
    ("id", "ID"),
    ("owner", "実施主体コード"),
    ("owner_name", "実施主体名"),
    ("name", "制度名"),
    ("short_name", "略称"),
    ("categories", "分類"),
    ("program_type", "制度類型"),
    ("summary", "概要"),
    ("description", "詳細"),
    ("eligibility_summary", "対象者"),
    ("eligibility", "対象条件(JSON)"),
    ("benefit_description", "給付内容"),
    ("benefit_amount_yen", "給付額(円)"),
    ("window_kind", "申請期間"),
    ("window_from", "申請開始日"),
    ("window_to", "申請終了日"),
    ("window_event", "起算となる出来事"),
    ("window_days", "申請期限(日数)"),
    ("method_counter", "申請方法_窓口"),
    ("method_mail", "申請方法_郵送"),
    ("method_online_url", "申請方法_オンラインURL"),
    ("method_online_note", "申請方法_オンライン補足"),
    ("documents", "必要書類"),
    ("contact_section", "担当課"),
    ("contact_phone", "電話番号"),
    ("contact_email", "メールアドレス"),
    ("contact_url", "問い合わせURL"),
    ("source_url", "出典URL"),
    ("license", "ライセンス"),
    ("status", "状態"),
    ("last_reviewed_on", "最終確認日"),
];

const REQUIRED: &[&str] = &["owner", "name", "categories", "summary", "window_kind"];

/// A mark in a method column meaning "yes, without a note".
const YES: &str = "○";

const WINDOW_ALWAYS: &str = "随時";
const WINDOW_FIXED: &str = "期間指定";
const WINDOW_RELATIVE: &str = "出来事から";

fn header(key: &str) -> &'static str {
    COLUMNS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, header)| header)
}

/// Decodes a spreadsheet export: UTF-8 (BOM optional) or, failing that, Shift_JIS/CP932, which
/// Excel on Japanese Windows still writes by default.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, ImportErrors> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    match had_errors {
        false => Ok(text),
        true => Err(ImportErrors(vec![ImportError::new(
            0,
            "",
            "文字コードを判別できません。UTF-8 または Shift_JIS で保存したCSVを指定してください",
            "the file is neither UTF-8 nor Shift_JIS",
        )])),
    }
}

/// Reads every row: the records of the rows that could be read and the problems of those that
/// could not. Only a header that cannot be read refuses the whole file at once.
pub fn parse(text: &str) -> Result<ParsedFile, ImportErrors> {
    // The csv crate counts CRLF-terminated lines one short; Excel writes CRLF.
    let text = match text.contains("\r\n") {
        true => Cow::Owned(text.replace("\r\n", "\n")),
        false => Cow::Borrowed(text),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let keys = read_header(&mut reader)?;
    let columns = layout(&keys.iter().copied().enumerate().collect::<Vec<_>>());
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                let line = error
                    .position()
                    .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
                errors.push(ImportError::new(
                    line,
                    "",
                    "CSVの形式が正しくありません（列の数が見出しと違うか、引用符が閉じていません）",
                    format!("malformed CSV: {error}"),
                ));
                continue;
            }
        };
        let line = row
            .position()
            .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cells: HashMap<&str, &str> = keys.iter().copied().zip(row.iter()).collect();
        match record_from_cells(line, &cells) {
            Ok(record) => records.push(record),
            Err(mut row_errors) => errors.append(&mut row_errors),
        }
    }
    Ok(ParsedFile {
        records,
        problems: errors,
        columns,
    })
}

fn read_header(reader: &mut csv::Reader<&[u8]>) -> Result<Vec<&'static str>, ImportErrors> {
    let headers = reader.headers().map_err(|error| {
        ImportErrors(vec![ImportError::new(
            1,
            "",
            "CSVの見出し行を読めません",
            error.to_string(),
        )])
    })?;
    let keys = keys_for_headers(headers.iter().enumerate())?;
    Ok(keys.into_iter().map(|(_, key)| key).collect())
}

/// The column keys of a header row with their column indexes (0 is A), in the file's order, or
/// every problem with it (an unknown or repeated column, a required one missing), each naming the
/// column letter a spreadsheet shows.
pub(super) fn keys_for_headers<'a>(
    cells: impl IntoIterator<Item = (usize, &'a str)>,
) -> Result<Vec<(usize, &'static str)>, ImportErrors> {
    let mut errors = Vec::new();
    let mut keys: Vec<(usize, &'static str)> = Vec::new();
    for (index, cell) in cells {
        let cell = cell.trim();
        let at = |error: ImportError| error.at_column(column_letter(index));
        match COLUMNS
            .iter()
            .find(|(key, header)| *key == cell || *header == cell)
        {
            Some((key, _)) if keys.iter().any(|(_, k)| k == key) => errors.push(at(ImportError::new(
                1,
                cell,
                format!("列「{cell}」が2回あります"),
                format!("duplicate column {cell:?}"),
            ))),
            Some((key, _)) => keys.push((index, *key)),
            None => errors.push(at(ImportError::new(
                1,
                cell,
                format!(
                    "不明な列「{cell}」です。使える列: {}",
                    COLUMNS.iter().map(|(_, h)| *h).collect::<Vec<_>>().join("、")
                ),
                format!("unknown column {cell:?}"),
            ))),
        }
    }
    for required in REQUIRED {
        if !keys.iter().any(|(_, key)| key == required) {
            errors.push(ImportError::new(
                1,
                header(required),
                format!("必須の列「{}」がありません", header(required)),
                format!("missing required column {required:?}"),
            ));
        }
    }
    match errors.is_empty() {
        true => Ok(keys),
        false => Err(ImportErrors(errors)),
    }
}

/// The letter a spreadsheet shows for the column at `index` (0 → A, 25 → Z, 26 → AA).
pub fn column_letter(index: usize) -> String {
    let mut letters = Vec::new();
    let mut rest = index + 1;
    while rest > 0 {
        let digit = (rest - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(digit).unwrap_or(0)));
        rest = (rest - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Where each column of a file was, by key: the layout that names a problem's column letter.
pub(super) fn layout(keys: &[(usize, &'static str)]) -> Vec<(&'static str, String)> {
    keys.iter()
        .map(|(index, key)| (*key, column_letter(*index)))
        .collect()
}

/// Collects per-cell problems so that one row reports all of its mistakes at once.
struct RowReader<'a> {
    line: usize,
    cells: &'a HashMap<&'a str, &'a str>,
    errors: Vec<ImportError>,
}

impl<'a> RowReader<'a> {
    fn text(&self, key: &str) -> Option<String> {
        self.cells
            .get(key)
            .map(|cell| cell.trim())
            .filter(|cell| !cell.is_empty())
            .map(|cell| cell.replace("\r\n", "\n"))
    }

    fn required(&self, key: &str) -> String {
        self.text(key).unwrap_or_default()
    }

    fn lines(&self, key: &str) -> Vec<String> {
        self.text(key)
            .map(|cell| non_empty_lines(&cell))
            .unwrap_or_default()
    }

    fn fail(&mut self, key: &str, detail: String, detail_en: String) {
        self.errors
            .push(ImportError::new(self.line, header(key), detail, detail_en));
    }

    fn parsed<T>(&mut self, key: &str, expected_ja: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
        let value = self.text(key)?;
        let parsed = parse(&value);
        if parsed.is_none() {
            self.fail(
                key,
                format!("「{value}」は{expected_ja}として読めません"),
                format!("cannot read {value:?} as {key}"),
            );
        }
        parsed
    }

    fn date(&mut self, key: &str) -> Option<kosodate_domain::CalendarDate> {
        self.parsed(
            key,
            "1900年から2200年までの日付（例: 2026-04-01）",
            parse_date_loose,
        )
    }
}

pub(super) fn record_from_cells(
    line: usize,
    cells: &HashMap<&str, &str>,
) -> Result<ImportRecord, Vec<ImportError>> {
    let mut row = RowReader {
        line,
        cells,
        errors: Vec::new(),
    };
    let id = row.parsed("id", "ID（UUID）", |v| ProgramId::parse(v).ok());
    let status = row.parsed("status", "状態（下書き・公開・終了）", ProgramStatus::parse);
    let categories = split_list(&row.required("categories"))
        .into_iter()
        .filter_map(|label| {
            let category = Category::parse(&label);
            if category.is_none() {
                row.fail(
                    "categories",
                    format!(
                        "分類「{label}」はありません。使える分類: {}",
                        Category::VARIANTS
                            .iter()
                            .map(|category| category.label_ja())
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                    format!("unknown category {label:?}"),
                );
            }
            category
        })
        .collect();
    let eligibility = match row.text("eligibility") {
        None => crate::model::default_eligibility(),
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|error| {
            row.fail(
                "eligibility",
                "対象条件のJSONを読めません".into(),
                format!("invalid JSON: {error}"),
            );
            crate::model::default_eligibility()
        }),
    };
    let benefit = Benefit {
        description: row.text("benefit_description"),
        amount_yen: row.parsed("benefit_amount_yen", "金額（円、数字のみ）", |v| {
            v.replace([',', '円'], "").parse().ok()
        }),
    };
    let application_window = read_window(&mut row);
    let application_methods = read_methods(&row);
    let input = ProgramInput {
        owner: crate::validation::normalize_width(&row.required("owner")),
        name: row.required("name"),
        short_name: row.text("short_name"),
        categories,
        program_type: row.text("program_type"),
        summary: row.required("summary"),
        description: row.text("description"),
        eligibility_summary: row.text("eligibility_summary"),
        eligibility,
        benefit,
        application_window,
        application_methods,
        documents: row.lines("documents"),
        contact: Contact {
            section: row.text("contact_section"),
            phone: row.text("contact_phone"),
            email: row.text("contact_email"),
            url: row.text("contact_url"),
        },
        source_url: row.text("source_url"),
        last_reviewed_on: row.date("last_reviewed_on"),
        review_cycle_months: None,
        license: row.text("license"),
    };
    match row.errors.is_empty() {
        true => Ok(ImportRecord {
            line,
            id,
            status,
            input,
        }),
        false => Err(row.errors),
    }
}

fn read_window(row: &mut RowReader<'_>) -> ApplicationWindow {
    let kind = row.required("window_kind");
    match kind.as_str() {
        WINDOW_ALWAYS | "always" => ApplicationWindow::Always,
        WINDOW_FIXED | "fixed" => ApplicationWindow::Fixed {
            from: row.date("window_from"),
            to: row.date("window_to"),
        },
        WINDOW_RELATIVE | "relative" => {
            let event = row.parsed(
                "window_event",
                "出来事（出生・妊娠の届出・転入）",
                LifeEvent::parse,
            );
            let days = row.parsed("window_days", "日数（数字のみ）", |v| {
                v.trim_end_matches('日').parse().ok()
            });
            ApplicationWindow::Relative {
                event: event.unwrap_or(LifeEvent::Birth),
                within_days: days.unwrap_or(0),
            }
        }
        other => {
            row.fail(
                "window_kind",
                format!("申請期間「{other}」は「{WINDOW_ALWAYS}」「{WINDOW_FIXED}」「{WINDOW_RELATIVE}」のいずれかにしてください"),
                format!("unknown window kind {other:?}"),
            );
            ApplicationWindow::Always
        }
    }
}

fn read_methods(row: &RowReader<'_>) -> Vec<ApplicationMethod> {
    // Both circles are typed for "yes": ○ (U+25CB) and ◯ (U+25EF).
    let note = |value: String| (value != YES && value != "◯").then_some(value);
    let mut methods = Vec::new();
    if let Some(value) = row.text("method_counter") {
        methods.push(ApplicationMethod {
            kind: ApplicationMethodKind::Counter,
            url: None,
            note: note(value),
        });
    }
    if let Some(value) = row.text("method_mail") {
        methods.push(ApplicationMethod {
            kind: ApplicationMethodKind::Mail,
            url: None,
            note: note(value),
        });
    }
    let online_url = row.text("method_online_url");
    let online_note = row.text("method_online_note");
    if online_url.is_some() || online_note.is_some() {
        methods.push(ApplicationMethod {
            kind: ApplicationMethodKind::Online,
            url: online_url,
            note: online_note,
        });
    }
    methods
}

/// Categories may be separated by new lines, 、 or commas; not by ・, which is part of labels.
fn split_list(cell: &str) -> Vec<String> {
    cell.split(['\n', '、', ',', '，', ';'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The CSV column that a validation error's JSON pointer refers to.
pub fn column_for_pointer(pointer: &str) -> &'static str {
    let segments: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let key = match segments.as_slice() {
        ["benefit", "description", ..] => "benefit_description",
        ["benefit", "amount_yen", ..] => "benefit_amount_yen",
        ["application_window", "from", ..] => "window_from",
        ["application_window", "to", ..] => "window_to",
        ["application_window", "within_days", ..] => "window_days",
        ["application_window", ..] => "window_kind",
        ["application_methods", ..] => "method_online_url",
        ["contact", field, ..] => match *field {
            "phone" => "contact_phone",
            "email" => "contact_email",
            "url" => "contact_url",
            _ => "contact_section",
        },
        ["eligibility", ..] => "eligibility",
        [field, ..] => field,
        [] => "",
    };
    COLUMNS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, header)| header)
}

/// Replaces JSON pointers in errors with the column headers staff see, and adds the column's
/// letter where the file's layout is known.
pub fn name_columns(errors: ImportErrors, columns: &[(&'static str, String)]) -> ImportErrors {
    let letter_of = |field: &str| {
        let key = COLUMNS
            .iter()
            .find(|(key, header)| *header == field || *key == field)
            .map(|(key, _)| *key)?;
        columns
            .iter()
            .find(|(column, _)| *column == key)
            .map(|(_, letter)| letter.clone())
    };
    ImportErrors(
        errors
            .0
            .into_iter()
            .map(|error| {
                let error = match error.field.starts_with('/') {
                    true => ImportError {
                        field: column_for_pointer(&error.field).to_owned(),
                        ..error
                    },
                    false => error,
                };
                match (&error.column, letter_of(&error.field)) {
                    (None, Some(letter)) => error.at_column(letter),
                    _ => error,
                }
            })
            .collect(),
    )
}

/// The start of an Excel-friendly CSV: the UTF-8 BOM and the header row. Rows follow with
/// [`write_rows`], CRLF-terminated, every column.
pub fn head() -> Vec<u8> {
    let mut output = b"\xEF\xBB\xBF".to_vec();
    let mut writer = writer(&mut output);
    // Writing into a Vec cannot fail.
    let _ = writer.write_record(COLUMNS.iter().map(|(_, header)| *header));
    let _ = writer.flush();
    drop(writer);
    output
}

/// Appends one CSV row per program to `output`.
pub fn write_rows(
    output: &mut Vec<u8>,
    programs: &[Program],
    owner_name: impl Fn(&crate::model::ProgramOwner) -> String,
) {
    let mut writer = writer(output);
    for program in programs {
        // Writing into a Vec cannot fail.
        let _ = writer.write_record(row_for(program, &owner_name(&program.content.owner)));
    }
    let _ = writer.flush();
}

fn writer(output: &mut Vec<u8>) -> csv::Writer<&mut Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(output)
}

fn row_for(program: &Program, owner_name: &str) -> Vec<String> {
    cells_for(program, owner_name)
        .into_iter()
        .map(|cell| match cell {
            Cell::Text(text) => text,
            Cell::Number(number) => number.to_string(),
            Cell::Date(date) => date.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect()
}

/// One exported cell, typed so that a spreadsheet can hold numbers and dates as such.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(u64),
    Date(Option<kosodate_domain::CalendarDate>),
}

impl Cell {
    fn text(value: Option<&str>) -> Self {
        Self::Text(value.unwrap_or_default().to_owned())
    }

    fn number(value: Option<impl Into<u64>>) -> Self {
        value.map_or(Self::Text(String::new()), |n| Self::Number(n.into()))
    }
}

/// A program's row, one cell per entry of [`COLUMNS`], in that order.
pub fn cells_for(program: &Program, owner_name: &str) -> Vec<Cell> {
    let content = &program.content;
    let method = |kind| content.application_methods.iter().find(|m| m.kind == kind);
    let offline_cell = |kind| {
        Cell::text(
            method(kind)
                .map(|m: &ApplicationMethod| m.note.clone().unwrap_or_else(|| YES.to_owned()))
                .as_deref(),
        )
    };
    let online = method(ApplicationMethodKind::Online);
    let (window_kind, from, to, event, days) = match &content.application_window {
        ApplicationWindow::Always => (WINDOW_ALWAYS, None, None, None, None),
        ApplicationWindow::Fixed { from, to } => (WINDOW_FIXED, *from, *to, None, None),
        ApplicationWindow::Relative { event, within_days } => (
            WINDOW_RELATIVE,
            None,
            None,
            Some(event.label_ja()),
            Some(*within_days),
        ),
    };
    let categories: Vec<&str> = content.categories.iter().map(|c| c.label_ja()).collect();
    vec![
        Cell::Text(program.id.to_string()),
        Cell::Text(content.owner.as_key()),
        Cell::Text(owner_name.to_owned()),
        Cell::Text(content.name.clone()),
        Cell::text(content.short_name.as_deref()),
        Cell::Text(categories.join("\n")),
        // The Japanese name, as staff read it; reading accepts the name or the key.
        Cell::text(
            content
                .program_type
                .as_deref()
                .map(|key| crate::program_types::find(key).map_or(key, |program_type| &program_type.name)),
        ),
        Cell::Text(content.summary.clone()),
        Cell::text(content.description.as_deref()),
        Cell::text(content.eligibility_summary.as_deref()),
        Cell::Text(content.eligibility.to_string()),
        Cell::text(content.benefit.description.as_deref()),
        Cell::number(content.benefit.amount_yen),
        Cell::Text(window_kind.to_owned()),
        Cell::Date(from),
        Cell::Date(to),
        Cell::text(event),
        Cell::number(days),
        offline_cell(ApplicationMethodKind::Counter),
        offline_cell(ApplicationMethodKind::Mail),
        Cell::text(online.and_then(|m| m.url.as_deref())),
        Cell::text(online.and_then(|m| m.note.as_deref())),
        Cell::Text(content.documents.join("\n")),
        Cell::text(content.contact.section.as_deref()),
        Cell::text(content.contact.phone.as_deref()),
        Cell::text(content.contact.email.as_deref()),
        Cell::text(content.contact.url.as_deref()),
        Cell::text(content.source_url.as_deref()),
        Cell::Text(content.license.clone()),
        Cell::Text(program.status.label_ja().to_owned()),
        Cell::Date(content.last_reviewed_on),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "実施主体コード,制度名,分類,概要,申請期間,申請開始日,申請終了日,申請方法_窓口,必要書類";

    #[test]
    fn a_row_becomes_a_record() {
        let csv = format!(
            "{HEADER}\n02201,子ども医療費助成,\"医療\n乳幼児\",概要です,期間指定,2026/4/1,2026-05-31,○,\"保険証\n印鑑\"\n"
        );
        let records = parse(&csv).unwrap().records;
        let input = &records[0].input;
        assert_eq!(records[0].line, 2);
        assert_eq!(input.owner, "02201");
        assert_eq!(input.categories, [Category::Medical, Category::Infant]);
        assert_eq!(input.documents, ["保険証", "印鑑"]);
        assert_eq!(input.application_methods[0].note, None);
        assert!(matches!(
            input.application_window,
            ApplicationWindow::Fixed {
                from: Some(_),
                to: Some(_)
            }
        ));
    }

    #[test]
    fn shift_jis_is_decoded() {
        let csv = format!("{HEADER}\n022012,一時預かり,保育・教育,概要,随時,,,,\n");
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&csv);
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded, csv);
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), csv.as_bytes()].concat();
        assert_eq!(decode(&with_bom).unwrap(), csv);
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let csv = format!("{HEADER}\n022012,a,医療,b,随時,,,,\n022012,c,保険,d,期間指定,2026-13-01,,,\n");
        let errors = parse(&csv).unwrap().problems;
        let located: Vec<_> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(located, [(3, "分類"), (3, "申請開始日")]);
    }

    #[test]
    fn unknown_and_missing_columns_are_refused() {
        let errors = parse("制度名,色\nx,y\n").unwrap_err().0;
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["色", "実施主体コード", "分類", "概要", "申請期間"]);
    }

    #[test]
    fn crlf_lines_are_counted_like_lf() {
        for newline in ["\n", "\r\n"] {
            let csv = format!(
                "{HEADER}{newline}022012,a,医療,b,随時,,,,{newline}022012,c,保険,d,随時,,,,{newline}"
            );
            let errors = parse(&csv).unwrap().problems;
            assert_eq!(errors[0].line, 3, "newline {newline:?}");
        }
    }

    #[test]
    fn ragged_rows_are_refused_with_their_line() {
        let csv = format!("{HEADER}\n022012,a,医療\n");
        let errors = parse(&csv).unwrap().problems;
        assert_eq!(errors[0].line, 2);
    }

    #[test]
    fn pointers_map_to_columns() {
        assert_eq!(column_for_pointer("/application_window/to"), "申請終了日");
        assert_eq!(column_for_pointer("/contact/email"), "メールアドレス");
        assert_eq!(column_for_pointer("/name"), "制度名");
        assert_eq!(column_for_pointer("/eligibility/version"), "対象条件(JSON)");
    }
}
