//! The community's closed lists: each value's stored id, its Japanese label and everyday words,
//! said once on its variant (`domain::Vocabulary`).

use serde::Serialize;
use utoipa::ToSchema;

/// What a question is about; the community's lists and the evidence pages count by it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum QuestionCategory {
    #[strum(message = "妊娠")]
    Pregnancy,
    #[strum(message = "出産")]
    Birth,
    #[strum(message = "乳幼児")]
    Infant,
    #[strum(message = "保育・教育")]
    ChildcareEducation,
    #[strum(message = "お金")]
    Money,
    #[strum(message = "発達")]
    Development,
    #[strum(message = "ひとり親")]
    SingleParent,
    #[strum(message = "医療")]
    Health,
    #[strum(message = "仕事と子育て")]
    Work,
    #[strum(message = "その他")]
    Other,
}

/// The profession a verified expert answers as; the badge reads 「保健師（確認済み）」.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Profession {
    #[strum(message = "保健師")]
    PublicHealthNurse,
    #[strum(message = "保育士")]
    ChildcareWorker,
    #[strum(message = "助産師")]
    Midwife,
    #[strum(message = "小児科医")]
    Pediatrician,
    #[strum(message = "管理栄養士")]
    Dietitian,
    #[strum(message = "専門職")]
    Other,
}

/// Why a member reports a post.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ReportReason {
    #[strum(message = "個人情報")]
    PersonalData,
    #[strum(message = "誹謗中傷")]
    Harassment,
    #[strum(message = "宣伝・スパム")]
    Spam,
    #[strum(message = "誤った情報")]
    Misinformation,
    #[strum(message = "その他")]
    Other,
}

/// What a departing member's posts become: kept without an author, or erased.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Departure {
    #[strum(
        to_string = "anonymise",
        serialize = "匿名で残す",
        message = "投稿を匿名で残す"
    )]
    Anonymise,
    #[strum(to_string = "remove", serialize = "削除する", message = "投稿を削除する")]
    Remove,
}

/// The prefecture's six regions, as the registry names them (東青, 中南, 三八, 西北, 上北, 下北):
/// a question's coarsest place.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Region {
    #[strum(to_string = "tosei", serialize = "東青地域", message = "東青")]
    Tosei,
    #[strum(to_string = "chunan", serialize = "中南地域", message = "中南")]
    Chunan,
    #[strum(to_string = "sanpachi", serialize = "三八地域", message = "三八")]
    Sanpachi,
    #[strum(to_string = "seihoku", serialize = "西北地域", message = "西北")]
    Seihoku,
    #[strum(to_string = "kamikita", serialize = "上北地域", message = "上北")]
    Kamikita,
    #[strum(to_string = "shimokita", serialize = "下北地域", message = "下北")]
    Shimokita,
}

/// Whether a post is shown: `hidden` by staff (and restorable), `removed` with its departing
/// author (its text erased).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PostStatus {
    #[strum(message = "公開")]
    Visible,
    #[strum(message = "非表示")]
    Hidden,
    #[strum(message = "削除済み")]
    Removed,
}

/// A question or an answer, where reports, revisions and decisions name a post.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PostKind {
    #[strum(message = "質問")]
    Question,
    #[strum(message = "回答")]
    Answer,
}

/// What staff decided about a reported or hidden post.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ModerationAction {
    #[strum(message = "非表示にする")]
    Hide,
    #[strum(message = "再表示する")]
    Restore,
    #[strum(message = "通報を問題なしとして閉じる")]
    Dismiss,
}

kosodate_domain::vocabulary_deserialize!(
    QuestionCategory,
    Profession,
    ReportReason,
    Departure,
    Region,
    PostStatus,
    PostKind,
    ModerationAction
);

#[cfg(test)]
mod tests {
    use kosodate_domain::{Vocabulary, serde_names_agree};

    use super::*;

    #[test]
    fn serde_names_are_the_vocabulary_ids() {
        for check in [
            serde_names_agree::<QuestionCategory>,
            serde_names_agree::<Profession>,
            serde_names_agree::<ReportReason>,
            serde_names_agree::<Departure>,
            serde_names_agree::<Region>,
            serde_names_agree::<PostStatus>,
            serde_names_agree::<PostKind>,
            serde_names_agree::<ModerationAction>,
        ] {
            check().unwrap_or_else(|error| panic!("{error}"));
        }
    }

    #[test]
    fn lists_read_their_japanese_labels() {
        assert_eq!(
            QuestionCategory::parse("保育・教育"),
            Some(QuestionCategory::ChildcareEducation)
        );
        assert_eq!(QuestionCategory::Work.id(), "work");
        assert_eq!(Profession::parse("保健師"), Some(Profession::PublicHealthNurse));
        assert_eq!(Region::parse("三八地域"), Some(Region::Sanpachi));
        assert_eq!(Region::Sanpachi.label_ja(), "三八");
        assert_eq!(Departure::parse("削除する"), Some(Departure::Remove));
    }
}
