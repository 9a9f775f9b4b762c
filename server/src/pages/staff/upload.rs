//! A spreadsheet a staff page uploads (`multipart/form-data`), said once for the programs'
//! import and the places' and events' import: the file with its name and type, the form's other
//! fields, the CSRF token checked, the spreadsheet format the file is in, and the file staged for
//! its check.

use axum::extract::Multipart;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use kosodate_registry::import::ImportError;
use kosodate_registry::import::staged::StagedSubject;
use kosodate_registry::transfer::ImportFormat;

use crate::auth::session::tokens_match;
use crate::error::ApiError;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

/// The uploaded file: its name, content type and bytes.
pub struct Upload {
    pub file_name: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl Upload {
    /// CSV or Excel; the name decides first, since browsers send .csv under several types.
    pub fn spreadsheet_format(&self) -> Option<ImportFormat> {
        ImportFormat::recognise(None, Some(&self.file_name))
            .or_else(|| ImportFormat::recognise(self.content_type.as_deref(), None))
            .filter(|format| *format != ImportFormat::TokyoJson)
    }
}

/// The chosen file and its format, or what the page says at its file control.
pub fn spreadsheet(upload: Option<Upload>) -> Result<(Upload, ImportFormat), &'static str> {
    let Some(upload) = upload else {
        return Err("取り込むファイルを選んでください");
    };
    let Some(format) = upload.spreadsheet_format() else {
        return Err("CSV（.csv）または Excel（.xlsx）のファイルを選んでください");
    };
    if upload.bytes.is_empty() {
        return Err("選んだファイルは空です");
    }
    Ok((upload, format))
}

/// Keeps the file for the staff member's check (`Registry::stage_import`) and sends them to it,
/// `{page}/{id}`.
pub async fn stage(
    state: &AppState,
    staff: &SignedInStaff,
    subject: StagedSubject,
    (upload, format): (Upload, ImportFormat),
    page: &str,
) -> Response {
    let staged = state
        .registry
        .stage_import(
            &staff.identity,
            subject,
            &upload.file_name,
            format,
            upload.bytes,
            Utc::now(),
        )
        .await;
    match staged {
        Ok(id) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("{page}/{id}"))],
        )
            .into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// What the form posted: the file (none when no file was chosen) and every other field.
pub struct Posted {
    pub upload: Option<Upload>,
    pub fields: Vec<(String, String)>,
}

/// Reads the form's parts and checks its `csrf_token`.
pub async fn read(staff: &SignedInStaff, mut multipart: Multipart) -> Result<Posted, Response> {
    let bad_form = |error: axum::extract::multipart::MultipartError| error.into_response();
    let mut token = String::new();
    let mut upload = None;
    let mut fields = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad_form)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "csrf_token" => token = field.text().await.map_err(bad_form)?,
            "file" => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let content_type = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(bad_form)?.to_vec();
                upload = Some(Upload {
                    file_name,
                    content_type,
                    bytes,
                });
            }
            _ => fields.push((name, field.text().await.map_err(bad_form)?)),
        }
    }
    if !tokens_match(&token, staff.csrf_token()) {
        return Err(ApiError::csrf().into_response());
    }
    Ok(Posted {
        upload: upload.filter(|upload| !upload.bytes.is_empty() || !upload.file_name.is_empty()),
        fields,
    })
}

/// One problem of a file as the import pages list it: an anchor, where, and what.
#[derive(Debug)]
pub struct ProblemRow {
    pub anchor: String,
    pub location: String,
    pub detail: String,
}

pub fn problem_rows(problems: &[ImportError]) -> Vec<ProblemRow> {
    problems
        .iter()
        .enumerate()
        .map(|(index, problem)| ProblemRow {
            anchor: format!("problem-{}", index + 1),
            location: problem.location_ja(),
            detail: problem.detail.clone(),
        })
        .collect()
}
