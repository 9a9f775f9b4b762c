//! The error policy, in one place: every failure a request can meet becomes an RFC 9457
//! `application/problem+json` response with a Japanese `title` and `detail` for people, the
//! English `detail_en` for developers, and, for bad input, the list of fields (JSON pointer or CSV
//! line and column) that are wrong. Internal failures are logged with their cause and answered
//! without it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_domain::error_chain;
use kosodate_households::HouseholdError;
use kosodate_matching::MatchingError;
use kosodate_registry::RegistryError;

use crate::auth::AuthError;
use kosodate_domain::Vocabulary;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<ProblemEntry>)]
    pub errors: Vec<serde_json::Value>,
}

/// One wrong field of a problem: in a JSON body (`pointer`, RFC 6901), a query parameter
/// (`parameter`), or a line of an imported file (`line` and `field`: CSV column or JSON pointer).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // the shape of `Problem::errors`, for the OpenAPI document only
pub struct ProblemEntry {
    #[schema(required = false)]
    pointer: Option<String>,
    #[schema(required = false)]
    parameter: Option<String>,
    #[schema(required = false)]
    line: Option<u64>,
    #[schema(required = false)]
    field: Option<String>,
    /// For personal data found in a community post: what it looks like (`phone_number`,
    /// `email_address`, `postal_address`, `individual_number`, `personal_url`, `person_name`).
    #[schema(required = false)]
    kind: Option<String>,
    /// What is wrong, in Japanese.
    detail: String,
    /// The same in English.
    detail_en: String,
}

/// A failed request. The problem is boxed so that `Result<_, ApiError>` stays small.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    problem: Box<Problem>,
    /// Seconds the client should wait before trying again (503).
    retry_after: Option<u64>,
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
            retry_after: None,
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

    /// A query parameter that cannot be used, named in `errors`.
    pub fn invalid_query(parameter: &str, detail: impl Into<String>, detail_en: impl Into<String>) -> Self {
        let (detail, detail_en) = (detail.into(), detail_en.into());
        let entry = serde_json::json!({"parameter": parameter, "detail": &detail, "detail_en": &detail_en});
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "検索条件が正しくありません",
            detail,
            detail_en,
        )
        .with_errors(vec![entry])
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "認証が必要です",
            "この操作には職員としてのログイン（または取込用の Authorization: Bearer トークン）が必要です",
            "this operation needs a staff sign-in or a staff token (Authorization: Bearer)",
        )
    }

    pub fn parent_unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "ログインが必要です",
            "ログインしてから操作してください。ログインの有効期限が切れた場合は、もう一度ログインしてください",
            "sign in as a parent first",
        )
    }

    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "操作を確認できませんでした",
            "画面の有効期限が切れたか、ほかのサイトからの操作です。画面を読み込み直してから、もう一度操作してください",
            "a state-changing request of a session needs its X-CSRF-Token header",
        )
    }

    pub fn forbidden(detail: impl Into<String>, detail_en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "権限がありません",
            detail,
            detail_en,
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

    /// A status the service answers outside any handler (the router, a layer, hyper's limits),
    /// with the Japanese words for it. `detail_en` says what exactly was wrong.
    pub fn for_status(status: StatusCode, detail_en: impl Into<String>) -> Self {
        let (slug, title, detail) = match status {
            StatusCode::NOT_FOUND => ("no-such-route", "見つかりません", "指定されたURLはありません"),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method-not-allowed",
                "この操作はできません",
                "このURLではこの方法（HTTPメソッド）は使えません。使える方法は Allow ヘッダーにあります",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "too-large",
                "送信された内容が大きすぎます",
                "送信できる大きさの上限を超えています。ファイルを分けて送信してください",
            ),
            StatusCode::URI_TOO_LONG => (
                "uri-too-long",
                "URLが長すぎます",
                "URLが長すぎるため受け付けられません。検索条件を減らしてください",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported-media-type",
                "形式が違います",
                "送信内容の形式（Content-Type）が正しくありません",
            ),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
                "headers-too-large",
                "ヘッダーが大きすぎます",
                "リクエストのヘッダーが多すぎるか大きすぎるため受け付けられません",
            ),
            StatusCode::SERVICE_UNAVAILABLE => (
                "unavailable",
                "ただいま利用できません",
                "一時的に処理できません。時間をおいて再度お試しください",
            ),
            status if status.is_server_error() => (
                "internal",
                "サーバーで問題が発生しました",
                "処理を完了できませんでした。時間をおいて再度お試しください",
            ),
            _ => (
                "bad-request",
                "送信内容を読めません",
                "送信内容を読み取れませんでした",
            ),
        };
        Self::new(status, slug, title, detail, detail_en)
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

    /// The database is busy with a long write (an import on SQLite): nothing was saved, and the
    /// same request will succeed later.
    pub fn busy() -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "ただいま混み合っています",
            format!(
                "ほかの大きな処理（一括取り込みなど）を実行中のため、保存できませんでした。入力した内容は保存されていません。{}秒ほど待ってから、もう一度お試しください",
                kosodate_database::RETRY_AFTER_SECONDS
            ),
            "the database is busy with another long write; nothing was saved, try again later",
        );
        error.retry_after = Some(kosodate_database::RETRY_AFTER_SECONDS);
        error
    }

    /// A post or vote in the community before its consent is given (or after it was withdrawn).
    pub fn community_consent_required() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "community-consent-required",
            "コミュニティへの参加の同意が必要です",
            "投稿するには「子育てコミュニティへの参加」への同意と、表示名の登録が必要です。コミュニティの参加の画面から参加してください",
            "taking part in the community needs the community consent and a display name (/community/join)",
        )
    }

    /// A failure that is not the client's: a busy database is 503 with `Retry-After`, anything
    /// else is logged with its whole chain of causes and answered 500 without them.
    pub fn failure(what: &'static str, error: &(dyn std::error::Error + 'static)) -> Self {
        if kosodate_database::is_busy(error) {
            tracing::warn!(error = %error_chain(error), "{what}: database busy");
            return Self::busy();
        }
        tracing::error!(error = %error_chain(error), "{what}");
        Self::internal()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(*self.problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

fn to_values<T: Serialize>(items: &[T]) -> Vec<serde_json::Value> {
    items
        .iter()
        .filter_map(|item| serde_json::to_value(item).ok())
        .collect()
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let detail_en = error.to_string();
        match error {
            AuthError::UnknownProvider(id) => {
                Self::not_found(format!("ログイン方法「{id}」はありません"), detail_en)
            }
            AuthError::BadState | AuthError::TokenRejected(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "sign-in-failed",
                "ログインできませんでした",
                "ログインを確認できませんでした。時間が経ちすぎたか、別の画面で操作した可能性があります。もう一度ログインしてください",
                detail_en,
            ),
            AuthError::ProviderDenied(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "sign-in-failed",
                "ログインできませんでした",
                "ログイン先のサービスでログインが完了しませんでした。もう一度ログインしてください",
                detail_en,
            ),
            AuthError::ProviderUnavailable(_) => Self::new(
                StatusCode::BAD_GATEWAY,
                "provider-unavailable",
                "ログイン先のサービスと通信できません",
                "ログイン先のサービスと通信できませんでした。時間をおいて再度お試しください",
                detail_en,
            ),
            AuthError::NotStaff => Self::forbidden(
                "職員としての権限（所属と役割）が登録されていません。所属の管理者に確認してください",
                detail_en,
            ),
            AuthError::Database(_) => Self::failure("sign-in failed", &error),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::failure("database failure", &error)
    }
}

impl From<HouseholdError> for ApiError {
    fn from(error: HouseholdError) -> Self {
        let detail_en = error.to_string();
        match error {
            HouseholdError::Invalid(invalid) => Self::invalid_input(to_values(&invalid.0), detail_en),
            HouseholdError::HouseholdNotFound(_) => {
                Self::not_found("世帯が登録されていません。先に世帯を登録してください", detail_en)
            }
            HouseholdError::AlreadyRegistered => Self::new(
                StatusCode::CONFLICT,
                "already-registered",
                "すでに登録されています",
                "このアカウントには世帯が登録済みです。変更は登録内容の編集から行ってください",
                detail_en,
            ),
            HouseholdError::ConsentRequired => Self::new(
                StatusCode::CONFLICT,
                "consent-required",
                "先に同意が必要です",
                "世帯の情報を登録する前に「対象となる制度の確認」への同意が必要です。同意の画面から同意してください",
                detail_en,
            ),
            HouseholdError::ChannelNotFound(_) => {
                Self::not_found("その連絡先は登録されていません", detail_en)
            }
            HouseholdError::VerificationFailed => Self::new(
                StatusCode::BAD_REQUEST,
                "verification-failed",
                "確認できませんでした",
                "確認用のリンクが正しくないか、有効期限（48時間）が切れています。もう一度メールアドレスを登録してください",
                detail_en,
            ),
            HouseholdError::Corrupt(_) | HouseholdError::Database(_) | HouseholdError::Outbox(_) => {
                Self::failure("household failure", &error)
            }
        }
    }
}

impl From<kosodate_community::CommunityError> for ApiError {
    fn from(error: kosodate_community::CommunityError) -> Self {
        use kosodate_community::CommunityError as E;
        // A busy database is the one policy's 503 with `Retry-After`, as everywhere else.
        let error = match error {
            E::Database(database) => return database.into(),
            other => other,
        };
        let detail_en = error.to_string();
        let detail = error.message_ja();
        let status = match &error {
            E::Invalid(invalid) => return Self::invalid_input(to_values(&invalid.0), detail_en),
            E::PersonalData { findings, .. } => return personal_data_found(findings, detail, detail_en),
            E::RateLimited { retry_after } => {
                let mut refused = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "投稿が多すぎます",
                    detail,
                    detail_en,
                );
                refused.retry_after = Some(retry_after.as_secs().max(1));
                return refused;
            }
            E::NotMember | E::NotAuthor(_) => StatusCode::FORBIDDEN,
            E::QuestionNotFound(_) | E::AnswerNotFound(_) | E::NoExpertRequest => StatusCode::NOT_FOUND,
            E::AlreadyMember
            | E::DisplayNameTaken
            | E::QuestionClosed
            | E::OwnAnswer
            | E::NothingToModerate { .. } => StatusCode::CONFLICT,
            E::InvalidCursor => StatusCode::BAD_REQUEST,
            _ => return Self::failure("community failure", &error),
        };
        let (slug, title) = match status {
            StatusCode::FORBIDDEN => ("forbidden", "この操作はできません"),
            StatusCode::NOT_FOUND => ("not-found", "見つかりません"),
            StatusCode::BAD_REQUEST => ("invalid-cursor", "ページ指定が正しくありません"),
            _ => ("conflict", "この操作はできません"),
        };
        Self::new(status, slug, title, detail, detail_en)
    }
}

/// 422 with each finding's kind and where it is (`/title`, `/body`), never the text found.
fn personal_data_found(
    findings: &[kosodate_community::FieldFinding],
    detail: String,
    detail_en: String,
) -> ApiError {
    let errors = findings
        .iter()
        .map(|finding| {
            serde_json::json!({
                "pointer": finding.pointer,
                "kind": finding.kind.id(),
                "detail": format!("{}が含まれています", finding.kind.label_ja()),
                "detail_en": format!("looks like personal data: {}", finding.kind.id()),
            })
        })
        .collect();
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "personal-data",
        "個人情報が含まれています",
        detail,
        detail_en,
    )
    .with_errors(errors)
}

impl From<kosodate_notifier::OutboxError> for ApiError {
    fn from(error: kosodate_notifier::OutboxError) -> Self {
        Self::failure("outbox failure", &error)
    }
}

impl From<MatchingError> for ApiError {
    fn from(error: MatchingError) -> Self {
        match error {
            MatchingError::Households(households) => households.into(),
            MatchingError::Registry(registry) => registry.into(),
            other => Self::failure("matching failure", &other),
        }
    }
}

impl From<kosodate_search::SearchError> for ApiError {
    fn from(error: kosodate_search::SearchError) -> Self {
        match error {
            kosodate_search::SearchError::Database(error) => error.into(),
            other => Self::failure("search failure", &other),
        }
    }
}

impl From<kosodate_insights::InsightsError> for ApiError {
    fn from(error: kosodate_insights::InsightsError) -> Self {
        match error {
            kosodate_insights::InsightsError::Database(database) => database.into(),
            kosodate_insights::InsightsError::Community(community) => community.into(),
            other => Self::failure("insights failure", &other),
        }
    }
}

impl From<kosodate_places::PlacesError> for ApiError {
    fn from(error: kosodate_places::PlacesError) -> Self {
        use kosodate_places::PlacesError;
        let detail_en = error.to_string();
        match error {
            PlacesError::Invalid(invalid) => Self::invalid_input(to_values(&invalid.0), detail_en),
            PlacesError::PlaceNotFound(id) => {
                Self::not_found(format!("施設（ID: {id}）は見つかりません"), detail_en)
            }
            PlacesError::EventNotFound(id) => {
                Self::not_found(format!("イベント（ID: {id}）は見つかりません"), detail_en)
            }
            PlacesError::Forbidden { owner, .. } => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "権限がありません",
                format!(
                    "団体 {owner} の施設・イベントを変更する権限がありません。自団体の施設・イベントのみ変更できます"
                ),
                detail_en,
            ),
            PlacesError::InvalidTransition { current, .. } => Self::new(
                StatusCode::CONFLICT,
                "invalid-transition",
                "この操作はできません",
                format!("「{}」の状態のため、この操作はできません", current.label_ja()),
                detail_en,
            ),
            PlacesError::VersionMismatch { current, .. } => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "version-mismatch",
                "ほかの人が先に変更しました",
                format!(
                    "編集中にほかの人が変更しました（現在の版: {current}）。最新の内容を読み込んでから変更してください"
                ),
                detail_en,
            ),
            PlacesError::Import(import) => RegistryError::Import(import).into(),
            PlacesError::InvalidCursor(cursor) => RegistryError::InvalidCursor(cursor).into(),
            PlacesError::Registry(registry) => (*registry).into(),
            PlacesError::Database(database) => database.into(),
            PlacesError::Corrupt(_) => Self::failure("places failure", &error),
        }
    }
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
            RegistryError::StagedImportNotFound(_) => Self::not_found(
                "アップロードしたファイルが見つかりません。反映済みか、1時間の保存期限が過ぎました。もう一度アップロードしてください",
                detail_en,
            ),
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
            RegistryError::ReviewRequired => Self::new(
                StatusCode::CONFLICT,
                "review-required",
                "公開の前に確認が必要です",
                "この団体では、公開の前に別の職員の確認が必要です。「確認を依頼」してから、別の職員が公開してください",
                detail_en,
            ),
            RegistryError::ReviewBySomeoneElse => Self::new(
                StatusCode::CONFLICT,
                "review-by-someone-else",
                "別の職員が公開してください",
                "確認を依頼した本人は公開できません。同じ団体の別の職員が内容を確認して公開してください",
                detail_en,
            ),
            RegistryError::NoReviewRequest => Self::not_found(
                "確認の依頼はありません。まだ依頼されていないか、すでに公開されました",
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
                Self::failure("registry failure", &error)
            }
        }
    }
}

impl ApiError {
    /// A partner's bearer token that is unknown, expired or revoked (RFC 6750 §3.1
    /// `invalid_token`).
    pub fn partner_token_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid-token",
            "アクセストークンが無効です",
            "アクセストークンが無効か、有効期限(1時間)が切れたか、取り消されています。POST /oauth/token で新しいトークンを取得してください",
            "the partner access token is unknown, expired or revoked; get a new one at POST /oauth/token",
        )
    }

    /// A partner's token without the scope this request needs (RFC 6750 §3.1
    /// `insufficient_scope`).
    pub fn partner_scope_missing(scope: Option<kosodate_partners::Scope>) -> Self {
        let (detail, detail_en) = match scope {
            Some(scope) => (
                format!(
                    "このトークンにはスコープ「{}」({})がありません",
                    scope.id(),
                    scope.label_ja()
                ),
                format!("this request needs scope {}", scope.id()),
            ),
            None => (
                "提携アプリのトークンではこの操作はできません".to_owned(),
                "partner tokens do not reach this route".to_owned(),
            ),
        };
        Self::new(
            StatusCode::FORBIDDEN,
            "insufficient-scope",
            "権限(スコープ)が足りません",
            detail,
            detail_en,
        )
    }
}

impl From<kosodate_partners::PartnersError> for ApiError {
    fn from(error: kosodate_partners::PartnersError) -> Self {
        use kosodate_partners::PartnersError as E;
        let detail_en = error.to_string();
        match error {
            E::Invalid(invalid) => {
                let errors = invalid
                    .0
                    .iter()
                    .map(|(field, detail)| {
                        serde_json::json!({"pointer": format!("/{field}"), "detail": detail, "detail_en": format!("invalid {field}")})
                    })
                    .collect();
                Self::invalid_input(errors, detail_en)
            }
            E::NotFound(id) => Self::not_found(format!("提携アプリ(ID: {id})は見つかりません"), detail_en),
            E::SubscriptionNotFound(id) => {
                Self::not_found(format!("購読(ID: {id})は見つかりません"), detail_en)
            }
            E::DeliveryNotFound(id) => {
                Self::not_found(format!("送信失敗の配信(ID: {id})は見つかりません"), detail_en)
            }
            E::TooManySubscriptions => Self::new(
                StatusCode::CONFLICT,
                "too-many-subscriptions",
                "購読の数が上限です",
                format!(
                    "購読は1つのアプリにつき{}件までです。不要な購読を削除してから登録してください",
                    kosodate_partners::webhooks::MAX_SUBSCRIPTIONS
                ),
                detail_en,
            ),
            E::InvalidClient => Self::partner_token_invalid(),
            E::InvalidScope => Self::partner_scope_missing(None),
            E::RateLimited { retry_after } => {
                let seconds = retry_after.as_secs().max(1);
                let mut refused = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "リクエストが多すぎます",
                    format!(
                        "このアプリの毎分の上限を超えました。{seconds}秒ほど待ってから、もう一度お試しください"
                    ),
                    detail_en,
                );
                refused.retry_after = Some(seconds);
                refused
            }
            E::Database(_) | E::Corrupt(_) => Self::failure("partners failure", &error),
        }
    }
}

/// Marks an error response whose body a protocol prescribes (OAuth 2.0's `{"error": …}`), which
/// `http_edge::problem_for_bare_errors` leaves as it is.
#[derive(Debug, Clone, Copy)]
pub struct ProtocolErrorBody;

/// An error of the OAuth 2.0 endpoints, as RFC 6749 §5.2 (and RFC 7009 §2.2.1) write them:
/// `{"error": "invalid_client", "error_description": …}`, not problem+json, because OAuth
/// clients read that shape. 401 for client authentication, 400 for the rest.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    retry_after: Option<u64>,
}

impl OAuthError {
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub fn unsupported_grant_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials or authorization_code",
        )
    }

    /// An authorization code that is unknown, expired, used, another client's, or whose
    /// redirect URI or PKCE verifier does not match (§5.2): one answer for all.
    pub fn invalid_grant() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the authorization code is invalid, expired, used, or does not match",
        )
    }

    /// A failure of ours behind the endpoint, under the one policy (busy 503, else 500).
    pub fn from_failure(error: &(dyn std::error::Error + 'static)) -> Self {
        let status = ApiError::failure("oauth failure", error).status();
        let code = match status {
            StatusCode::SERVICE_UNAVAILABLE => "temporarily_unavailable",
            _ => "server_error",
        };
        Self {
            retry_after: (status == StatusCode::SERVICE_UNAVAILABLE)
                .then_some(kosodate_database::RETRY_AFTER_SECONDS),
            ..Self::new(status, code, "the request could not be completed")
        }
    }

    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            retry_after: None,
        }
    }
}

impl From<kosodate_partners::PartnersError> for OAuthError {
    fn from(error: kosodate_partners::PartnersError) -> Self {
        use kosodate_partners::PartnersError as E;
        match error {
            E::InvalidClient => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            ),
            E::InvalidScope => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "a requested scope is unknown or was not granted to this client",
            ),
            E::RateLimited { retry_after } => Self {
                retry_after: Some(retry_after.as_secs().max(1)),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "temporarily_unavailable",
                    "the client's rate limit is exceeded",
                )
            },
            // The one policy decides between busy (503) and a logged internal error (500).
            other => Self::from_failure(&other),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.error, "error_description": self.description});
        let mut response = (self.status, axum::Json(body)).into_response();
        response.extensions_mut().insert(ProtocolErrorBody);
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"kosodate\", charset=\"UTF-8\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
