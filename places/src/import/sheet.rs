//! A spreadsheet as rows of text, whichever format it came in: CSV (UTF-8 or Shift_JIS, decoded
//! as the registry decodes program files) or the first worksheet of an .xlsx workbook.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use kosodate_registry::import::csv_format::decode;
use kosodate_registry::import::{ImportError, ImportErrors};

/// One row below the header: its line as the spreadsheet numbers it, and each column's text.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<String>,
}

/// The header (each column's text) and the rows under it; empty rows are left out.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub header_line: usize,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

impl Sheet {
    pub fn from_csv(bytes: &[u8]) -> Result<Self, ImportErrors> {
        let text = decode(bytes)?.replace("\r\n", "\n");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut lines = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let record = record.map_err(|error| {
                ImportErrors(vec![ImportError::new(
                    index + 1,
                    "",
                    "CSVとして読めない行があります",
                    error.to_string(),
                )])
            })?;
            let line = record
                .position()
                .map_or(index + 1, |position| position.line() as usize);
            lines.push((line, record.iter().map(str::to_owned).collect()));
        }
        Self::from_lines(lines)
    }

    pub fn from_xlsx(bytes: &[u8]) -> Result<Self, ImportErrors> {
        let refuse = |detail_en: String| {
            ImportErrors(vec![ImportError::new(
                0,
                "",
                "Excelファイル（.xlsx）として読めません。「Excel ブック (*.xlsx)」として保存したファイルを指定してください",
                detail_en,
            )])
        };
        let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
            .map_err(|error: calamine::XlsxError| refuse(error.to_string()))?;
        let range = match workbook.worksheet_range_at(0) {
            Some(range) => range.map_err(|error| refuse(error.to_string()))?,
            None => return Err(refuse("the workbook has no worksheet".into())),
        };
        // Rows and columns as the spreadsheet numbers them, wherever the used range starts.
        let (first_row, first_column) = range.start().unwrap_or((0, 0));
        let lines = range
            .rows()
            .enumerate()
            .map(|(index, row)| {
                let mut cells = vec![String::new(); first_column as usize];
                cells.extend(row.iter().map(cell_text));
                (first_row as usize + index + 1, cells)
            })
            .collect();
        Self::from_lines(lines)
    }

    fn from_lines(lines: Vec<(usize, Vec<String>)>) -> Result<Self, ImportErrors> {
        let mut lines = lines
            .into_iter()
            .filter(|(_, cells)| cells.iter().any(|cell| !cell.trim().is_empty()));
        let Some((header_line, headers)) = lines.next() else {
            return Err(ImportErrors(vec![ImportError::new(
                0,
                "",
                "ファイルが空です。1行目に見出し、2行目から1件ずつ入力してください",
                "the file is empty",
            )]));
        };
        Ok(Self {
            header_line,
            headers: headers.iter().map(|header| header.trim().to_owned()).collect(),
            rows: lines.map(|(line, cells)| Row { line, cells }).collect(),
        })
    }
}

/// A cell as text: whole numbers without `.0`, dates as `YYYY-MM-DD`, times as `HH:MM`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => format!("{}", *number as i64),
        Data::DateTime(value) => match value.as_datetime() {
            Some(at) if value.as_f64() < 1.0 => at.format("%H:%M").to_string(),
            Some(at) => at.format("%Y-%m-%d").to_string(),
            None => value.to_string(),
        },
        other => other.to_string(),
    }
}
