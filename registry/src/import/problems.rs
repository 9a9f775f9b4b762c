//! What is wrong with an import file: every problem, by line and field (CSV column or JSON
//! pointer), in Japanese and English.

use serde::Serialize;
use utoipa::ToSchema;

/// One problem in an import file: where (line and field or column) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportError {
    pub line: usize,
    /// The CSV column header or the JSON pointer of the field.
    pub field: String,
    /// The column's letter as a spreadsheet shows it (A, B, …, AA), for CSV and Excel files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub detail: String,
    pub detail_en: String,
}

impl ImportError {
    pub fn new(
        line: usize,
        field: impl Into<String>,
        detail: impl Into<String>,
        detail_en: impl Into<String>,
    ) -> Self {
        Self {
            line,
            field: field.into(),
            column: None,
            detail: detail.into(),
            detail_en: detail_en.into(),
        }
    }

    pub fn at_column(self, letter: String) -> Self {
        Self {
            column: Some(letter),
            ..self
        }
    }

    /// Where the problem is, as staff read it: 「12行目 D列（対象者）」, 「3件目 /name」.
    pub fn location_ja(&self) -> String {
        let line = match self.line {
            0 => String::new(),
            line => format!("{line}行目"),
        };
        let field = match (&self.column, self.field.as_str()) {
            (Some(letter), "") => format!("{letter}列"),
            (Some(letter), field) => format!("{letter}列（{field}）"),
            (None, field) => field.to_owned(),
        };
        [line, field]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("import refused: {} problem(s), first: line {} {}: {}", .0.len(), .0.first().map_or(0, |e| e.line), .0.first().map_or("", |e| e.field.as_str()), .0.first().map_or("", |e| e.detail_en.as_str()))]
pub struct ImportErrors(pub Vec<ImportError>);
