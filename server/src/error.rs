//! The error policy, in one place: every failure a request can meet becomes an RFC 9457
//! `application/problem+json` response with a Japanese `title` and `detail` for people, the
//! English `detail_en` for developers, and, for bad input, the list of fields (JSON pointer or CSV
//! line and column) that are wrong. Internal failures are logged with their cause and answered
//! without it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_registry::RegistryError;
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short Japanese summary of the kind of problem.
    pub title: String,
    pub status: u16,
    /// What went wrong here, in Japanese.
    pub detail: String,
    /// The same in English.
    pub detail_en: String,
    /// For invalid input: each wrong field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<serde_json::Value>,
}

/// A failed request. The problem is boxed so that `Result<_, ApiError>` stays small.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    problem: Box<Problem>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        slug: &str,
        title: &str,
        detail: impl Into<String>,
        detail_en: impl Into<String>,
    ) -> Self {
        Self {
            status,
            problem: Box::new(Problem {
                kind: format!("/problems/{slug}"),
                title: title.to_owned(),
                status: status.as_u16(),
                detail: detail.into(),
                detail_en: detail_en.into(),
                errors: Vec::new(),
            }),
        }
    }

    pub fn with_errors(mut self, errors: Vec<serde_json::Value>) -> Self {
        self.problem.errors = errors;
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn invalid_input(errors: Vec<serde_json::Value>, detail_en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "入力内容に誤りがあります",
            format!(
                "{}件の項目に誤りがあります。各項目の内容を確認してください",
                errors.len()
            ),
            detail_en,
        )
        .with_errors(errors)
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "認証が必要です",
            "この操作には職員の認証（Authorization: Bearer トークン）が必要です",
            "this operation needs a staff token (Authorization: Bearer)",
        )
    }

    pub fn not_found(detail: impl Into<String>, detail_en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "見つかりません",
            detail,
            detail_en,
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "サーバーで問題が発生しました",
            "処理を完了できませんでした。時間をおいて再度お試しください。入力した内容は保存されていません",
            "internal error; nothing was saved",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(*self.problem)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

fn to_values<T: Serialize>(items: &[T]) -> Vec<serde_json::Value> {
    items
        .iter()
        .filter_map(|item| serde_json::to_value(item).ok())
        .collect()
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> Self {
        let detail_en = error.to_string();
        match error {
            RegistryError::Invalid(invalid) => Self::invalid_input(to_values(&invalid.0), detail_en),
            RegistryError::Import(import) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "import-rejected",
                "取り込みを中止しました",
                format!(
                    "{}件の誤りがあるため、1件も取り込んでいません。誤りを直して再度取り込んでください",
                    import.0.len()
                ),
                detail_en,
            )
            .with_errors(to_values(&import.0)),
            RegistryError::ProgramNotFound(id) => {
                Self::not_found(format!("制度（ID: {id}）は見つかりません"), detail_en)
            }
            RegistryError::MunicipalityNotFound(code) => Self::not_found(
                format!("地方公共団体コード {code} の団体は見つかりません"),
                detail_en,
            ),
            RegistryError::Forbidden { owner, .. } => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "権限がありません",
                format!("実施主体 {owner} の制度を変更する権限がありません。自団体の制度のみ変更できます"),
                detail_en,
            ),
            RegistryError::InvalidTransition { current, .. } => Self::new(
                StatusCode::CONFLICT,
                "invalid-transition",
                "この操作はできません",
                format!(
                    "この制度は「{}」の状態のため、この操作はできません",
                    current.label_ja()
                ),
                detail_en,
            ),
            RegistryError::VersionMismatch { current, .. } => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "version-mismatch",
                "ほかの人が先に変更しました",
                format!(
                    "編集中にほかの人がこの制度を変更しました（現在の版: {current}）。最新の内容を読み込んでから変更してください"
                ),
                detail_en,
            ),
            RegistryError::InvalidCursor(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid-cursor",
                "ページ指定が正しくありません",
                "cursor の値が正しくありません。前のページの next_cursor をそのまま指定してください",
                detail_en,
            ),
            RegistryError::Corrupt(_) | RegistryError::Database(_) => {
                tracing::error!(error = ?error, "registry failure");
                Self::internal()
            }
        }
    }
}
