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
            detail: detail.into(),
            detail_en: detail_en.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("import refused: {} problem(s), first: line {} {}: {}", .0.len(), .0.first().map_or(0, |e| e.line), .0.first().map_or("", |e| e.field.as_str()), .0.first().map_or("", |e| e.detail_en.as_str()))]
pub struct ImportErrors(pub Vec<ImportError>);
