//! What can go wrong in the community, for the server's one error policy to map.

use std::ops::Range;
use std::time::Duration;

use serde::Serialize;
use uuid::Uuid;

use crate::input::InputErrors;
use crate::personal_data::PersonalDataKind;
use crate::vocabulary::PostKind;

#[derive(Debug, thiserror::Error)]
pub enum CommunityError {
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    #[error("question index error")]
    QuestionIndex(#[from] kosodate_search::SearchError),
    #[error(transparent)]
    Invalid(#[from] InputErrors),
    /// The post holds personal data and the poster has not accepted masking: nothing was stored.
    /// What was found is kinds and places in the trimmed fields; the masked texts are what would
    /// be stored with masking, to show the poster. None of it is ever logged.
    #[error("the post holds personal data ({} findings)", .findings.len())]
    PersonalData {
        findings: Vec<FieldFinding>,
        masked_title: Option<String>,
        masked_body: String,
    },
    #[error("too many posts: try again in {} seconds", .retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    #[error("the account is not a member of the community")]
    NotMember,
    #[error("the account is a member already")]
    AlreadyMember,
    #[error("another member has this display name")]
    DisplayNameTaken,
    #[error("question {0} not found")]
    QuestionNotFound(Uuid),
    #[error("answer {0} not found")]
    AnswerNotFound(Uuid),
    #[error("the question is not open to answers")]
    QuestionClosed,
    #[error("only the author may {0}")]
    NotAuthor(&'static str),
    #[error("members do not mark their own answers helpful")]
    OwnAnswer,
    #[error("the member has not asked to be verified as an expert")]
    NoExpertRequest,
    #[error("the {kind:?} is not {wanted}")]
    NothingToModerate { kind: PostKind, wanted: &'static str },
    #[error("invalid page cursor")]
    InvalidCursor,
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
}

impl CommunityError {
    /// What the person is told, in Japanese.
    pub fn message_ja(&self) -> String {
        match self {
            Self::Database(_) | Self::QuestionIndex(_) | Self::Corrupt(_) => {
                "コミュニティの処理中にエラーが発生しました。しばらくしてからもう一度お試しください".into()
            }
            Self::Invalid(errors) => errors
                .0
                .iter()
                .map(|error| error.detail.as_str())
                .collect::<Vec<_>>()
                .join("。"),
            Self::PersonalData { .. } => {
                "投稿に個人情報（電話番号、メールアドレス、住所、氏名など）が含まれています。削除するか、伏せ字にして投稿してください".into()
            }
            Self::RateLimited { retry_after } => format!(
                "短い間に多くの投稿がありました。{}分ほど待ってからもう一度お試しください",
                retry_after.as_secs().div_ceil(60).max(1)
            ),
            Self::NotMember => "コミュニティに参加すると投稿できます".into(),
            Self::AlreadyMember => "すでにコミュニティに参加しています".into(),
            Self::DisplayNameTaken => "この表示名は他のメンバーが使っています。別の表示名にしてください".into(),
            Self::QuestionNotFound(_) => "質問が見つかりません".into(),
            Self::AnswerNotFound(_) => "回答が見つかりません".into(),
            Self::QuestionClosed => "この質問には回答できません".into(),
            Self::NotAuthor(_) => "投稿した本人だけができる操作です".into(),
            Self::OwnAnswer => "自分の回答には「役に立った」を付けられません".into(),
            Self::NoExpertRequest => "このメンバーから専門職の確認の申請はありません".into(),
            Self::NothingToModerate { .. } => "この投稿には行える操作がありません".into(),
            Self::InvalidCursor => "ページの指定が正しくありません".into(),
        }
    }
}

/// Something that looks like personal data, in the trimmed text of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldFinding {
    /// `/title` or `/body`.
    pub pointer: &'static str,
    pub kind: PersonalDataKind,
    /// Byte range in the field's trimmed text.
    pub range: Range<usize>,
}
