//! Excel workbooks (.xlsx): the spreadsheet format's columns and headers on the first worksheet,
//! read with calamine and written with rust_xlsxwriter. Dates may be date cells or text in the
//! spreadsheet format's ways (2026-04-01, 2026/4/1, 2026年4月1日); amounts and day counts may be
//! numbers or text. Problems name the row and the column letter Excel shows.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};

use super::csv_format::{self, COLUMNS, Cell};
use super::{ImportError, ImportErrors, ImportRecord, ParsedFile};
use crate::error::RegistryError;
use crate::model::Program;

/// The content type of an .xlsx file.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The name of the exported worksheet.
const SHEET_NAME: &str = "制度";

/// Reads the first worksheet: the first row that names a column is the header (a title above it
/// is skipped), every later row a program.
pub fn parse(bytes: &[u8]) -> Result<ParsedFile, ImportErrors> {
    let refuse = |detail_en: String| {
        ImportErrors(vec![ImportError::new(
            0,
            "",
            "Excelファイル（.xlsx）として読めません。Excelで「Excel ブック (*.xlsx)」として保存したファイルを指定してください",
            detail_en,
        )])
    };
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| refuse(e.to_string()))?;
    let range = match workbook.worksheet_range_at(0) {
        Some(range) => range.map_err(|e| refuse(e.to_string()))?,
        None => return Err(refuse("the workbook has no worksheet".into())),
    };
    // The range starts at the first used cell, which need not be A1.
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let (first_row, first_column) = (first_row as usize, first_column as usize);
    let rows: Vec<&[Data]> = range.rows().collect();
    // A title or a note above the table is common: the header is the first row that names a
    // column, or the first row when none does (whose problems then say what is missing).
    let header_at = rows
        .iter()
        .position(|row| row.iter().any(|cell| names_a_column(&header_text(cell))))
        .unwrap_or(0);
    let Some(header_row) = rows.get(header_at) else {
        return Err(refuse("the first worksheet is empty".into()));
    };
    let header_line = first_row + header_at + 1;
    // Empty header cells (a margin column, formatting beyond the table) are not columns.
    let headers: Vec<(usize, String)> = header_row
        .iter()
        .enumerate()
        .map(|(index, cell)| (first_column + index, header_text(cell)))
        .filter(|(_, text)| !text.trim().is_empty())
        .collect();
    let keys = csv_format::keys_for_headers(headers.iter().map(|(index, text)| (*index, text.as_str())))
        .map_err(|errors| {
            ImportErrors(
                errors
                    .0
                    .into_iter()
                    .map(|error| ImportError {
                        line: header_line,
                        ..error
                    })
                    .collect(),
            )
        })?;
    let columns = csv_format::layout(&keys);
    // Positions within the range's rows.
    let keys: Vec<(usize, &'static str)> = keys
        .into_iter()
        .map(|(index, key)| (index - first_column, key))
        .collect();
    let mut parsed = ParsedFile::default();
    for (offset, row) in rows.iter().enumerate().skip(header_at + 1) {
        let line = first_row + offset + 1;
        match read_row(line, &keys, row, &columns) {
            Ok(record) => parsed.records.extend(record),
            Err(mut problems) => parsed.problems.append(&mut problems),
        }
    }
    parsed.columns = columns;
    Ok(parsed)
}

fn names_a_column(text: &str) -> bool {
    let text = text.trim();
    COLUMNS
        .iter()
        .any(|(key, header)| *key == text || *header == text)
}

/// The row's record (none for an empty row), or every problem in it.
fn read_row(
    line: usize,
    keys: &[(usize, &'static str)],
    row: &[Data],
    columns: &[(&'static str, String)],
) -> Result<Option<ImportRecord>, Vec<ImportError>> {
    let mut texts: Vec<(&'static str, String)> = Vec::with_capacity(keys.len());
    let mut problems = Vec::new();
    for (position, key) in keys {
        let Some(cell) = row.get(*position) else {
            continue;
        };
        match cell_text(cell) {
            Ok(text) if *key == "owner" && !matches!(cell, Data::String(_)) => {
                texts.push((key, code_with_leading_zero(text)));
            }
            Ok(text) => texts.push((key, text)),
            Err(kind) => problems.push(cell_error(line, key, columns, &kind)),
        }
    }
    if texts.iter().all(|(_, text)| text.trim().is_empty()) && problems.is_empty() {
        return Ok(None);
    }
    let cells: HashMap<&str, &str> = texts.iter().map(|(key, text)| (*key, text.as_str())).collect();
    match csv_format::record_from_cells(line, &cells) {
        Ok(record) if problems.is_empty() => Ok(Some(record)),
        Ok(_) => Err(problems),
        Err(mut errors) => {
            problems.append(&mut errors);
            Err(problems)
        }
    }
}

fn cell_error(line: usize, key: &str, columns: &[(&'static str, String)], kind: &str) -> ImportError {
    let header = COLUMNS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, header)| header);
    let error = ImportError::new(
        line,
        header,
        format!("セルがエラー値（{kind}）です。値を入力してください"),
        format!("the cell holds the error value {kind}"),
    );
    match columns.iter().find(|(k, _)| *k == key) {
        Some((_, letter)) => error.at_column(letter.clone()),
        None => error,
    }
}

/// A municipality code typed into a number cell has lost its leading zero (022012 became
/// 22012): every code of the prefectures 01 to 09, Aomori's 02 among them, starts with one.
fn code_with_leading_zero(digits: String) -> String {
    match digits.len() {
        4 | 5 if digits.bytes().all(|b| b.is_ascii_digit()) => format!("0{digits}"),
        _ => digits,
    }
}

fn header_text(cell: &Data) -> String {
    cell_text(cell).unwrap_or_default()
}

/// A cell as the text the spreadsheet format reads: a date cell as 2026-04-01, a whole number
/// without a decimal point, text as it is. An error value (#N/A, #VALUE!) is refused.
fn cell_text(cell: &Data) -> Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
            format!("{number:.0}")
        }
        Data::Float(number) => number.to_string(),
        Data::Bool(true) => "○".to_owned(),
        Data::Bool(false) => String::new(),
        Data::DateTime(datetime) => {
            let (year, month, day, ..) = datetime.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02}")
        }
        // ISO text: a date, or a date and time of which the date is what counts.
        Data::DateTimeIso(text) | Data::DurationIso(text) => {
            text.split('T').next().unwrap_or_default().to_owned()
        }
        Data::Error(error) => return Err(error.to_string()),
    })
}

/// Writes an export as one worksheet: the header row frozen, column widths set, dates as date
/// cells and amounts and day counts as numbers. Rows go to a temporary file as they are written
/// (rust_xlsxwriter's constant-memory mode), so a page of programs is all an export holds until
/// the end, when the workbook is compressed into one buffer.
pub struct XlsxWriter {
    workbook: Workbook,
    next_row: u32,
    date: Format,
    wrapped: Format,
}

impl std::fmt::Debug for XlsxWriter {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("XlsxWriter")
            .field("next_row", &self.next_row)
            .finish_non_exhaustive()
    }
}

/// How wide each column is, in characters: wide for names and prose, narrow for marks.
fn column_width(key: &str) -> f64 {
    match key {
        "id" => 38.0,
        "name" | "summary" | "description" | "eligibility_summary" | "benefit_description" => 40.0,
        "eligibility" | "documents" | "method_online_url" | "contact_url" | "source_url" => 30.0,
        "owner_name" | "categories" | "contact_section" | "contact_email" => 18.0,
        "method_counter" | "method_mail" | "window_days" | "status" => 10.0,
        _ => 14.0,
    }
}

impl XlsxWriter {
    /// A workbook with the header row written.
    pub fn new() -> Result<Self, RegistryError> {
        let mut workbook = Workbook::new();
        let header = Format::new().set_bold().set_align(FormatAlign::Center);
        let sheet = workbook
            .add_worksheet_with_constant_memory()
            .map_err(|error| corrupt(&error))?;
        sheet.set_name(SHEET_NAME).map_err(|error| corrupt(&error))?;
        write_header(sheet, &header).map_err(|error| corrupt(&error))?;
        Ok(Self {
            workbook,
            next_row: 1,
            date: Format::new().set_num_format("yyyy-mm-dd"),
            wrapped: Format::new().set_text_wrap(),
        })
    }

    /// Appends one row per program.
    pub fn write_rows(
        &mut self,
        programs: &[Program],
        owner_name: impl Fn(&crate::model::ProgramOwner) -> String,
    ) -> Result<(), RegistryError> {
        let sheet = self
            .workbook
            .worksheet_from_index(0)
            .map_err(|error| corrupt(&error))?;
        for program in programs {
            let cells = csv_format::cells_for(program, &owner_name(&program.content.owner));
            for (column, cell) in (0u16..).zip(cells) {
                write_cell(sheet, self.next_row, column, cell, &self.date, &self.wrapped)
                    .map_err(|error| corrupt(&error))?;
            }
            self.next_row += 1;
        }
        Ok(())
    }

    /// The whole workbook as bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, RegistryError> {
        self.workbook.save_to_buffer().map_err(|error| corrupt(&error))
    }
}

fn write_header(sheet: &mut Worksheet, format: &Format) -> Result<(), XlsxError> {
    for (column, (key, header)) in (0u16..).zip(COLUMNS) {
        sheet.set_column_width(column, column_width(key))?;
        sheet.write_string_with_format(0, column, *header, format)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    cell: Cell,
    date: &Format,
    wrapped: &Format,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(text) if text.is_empty() => {}
        Cell::Text(text) if text.contains('\n') => {
            sheet.write_string_with_format(row, column, text, wrapped)?;
        }
        Cell::Text(text) => {
            sheet.write_string(row, column, text)?;
        }
        // Amounts in yen and day counts are far below 2^53: exact as a spreadsheet number.
        #[allow(clippy::cast_precision_loss)]
        Cell::Number(number) => {
            sheet.write_number(row, column, number as f64)?;
        }
        Cell::Date(None) => {}
        Cell::Date(Some(day)) => {
            let day = day.date();
            let excel = ExcelDateTime::from_ymd(
                u16::try_from(chrono::Datelike::year(&day)).unwrap_or(1900),
                u8::try_from(chrono::Datelike::month(&day)).unwrap_or(1),
                u8::try_from(chrono::Datelike::day(&day)).unwrap_or(1),
            )?;
            sheet.write_date_with_format(row, column, &excel, date)?;
        }
    }
    Ok(())
}

fn corrupt(error: &XlsxError) -> RegistryError {
    RegistryError::Corrupt(format!("cannot write the workbook: {error}"))
}
