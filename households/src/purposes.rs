//! What a household may agree to, and how it agreed.

/// What a household may agree to. Matching needs `Matching`; notices need their channel's.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ConsentPurpose {
    #[strum(message = "対象となる制度の確認")]
    Matching,
    #[strum(message = "メールでのお知らせ")]
    NoticeEmail,
    #[strum(message = "LINEでのお知らせ")]
    NoticeLine,
    #[strum(message = "プッシュ通知でのお知らせ")]
    NoticeWebPush,
    #[strum(message = "統計への利用")]
    Statistics,
    /// Asking, answering and voting in the parents' community under a display name. Its own
    /// purpose: a parent may take part without matching, and match without taking part.
    #[strum(message = "子育てコミュニティへの参加")]
    Community,
}

/// How a consent was given: by the parent online, or on paper at a municipal counter.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ConsentMethod {
    #[strum(message = "オンライン")]
    Online,
    #[strum(message = "窓口（書面）")]
    Paper,
}

#[cfg(test)]
mod tests {
    use kosodate_domain::{Vocabulary, serde_names_agree};
    use strum::VariantArray;

    use super::*;

    #[test]
    fn purposes_keep_their_stored_ids() {
        let ids: Vec<&str> = ConsentPurpose::VARIANTS
            .iter()
            .map(|purpose| purpose.id())
            .collect();
        assert_eq!(
            ids,
            [
                "matching",
                "notice_email",
                "notice_line",
                "notice_web_push",
                "statistics",
                "community"
            ]
        );
        serde_names_agree::<ConsentPurpose>().unwrap_or_else(|error| panic!("{error}"));
        serde_names_agree::<ConsentMethod>().unwrap_or_else(|error| panic!("{error}"));
        serde_names_agree::<crate::Dismissal>().unwrap_or_else(|error| panic!("{error}"));
    }
}
