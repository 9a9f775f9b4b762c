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
    strum::EnumString,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ConsentPurpose {
    Matching,
    NoticeEmail,
    NoticeLine,
    NoticeWebPush,
    Statistics,
}

impl ConsentPurpose {
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    pub fn id(self) -> &'static str {
        self.into()
    }

    /// Every purpose, in the order the consent screen shows them.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }
}

/// How a consent was given: by the parent online, or on paper at a municipal counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum ConsentMethod {
    Online,
    Paper,
}

impl ConsentMethod {
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    pub fn id(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_keep_their_stored_ids() {
        let ids: Vec<&str> = ConsentPurpose::all().map(ConsentPurpose::id).collect();
        assert_eq!(
            ids,
            [
                "matching",
                "notice_email",
                "notice_line",
                "notice_web_push",
                "statistics"
            ]
        );
        for purpose in ConsentPurpose::all() {
            assert_eq!(serde_json::to_value(purpose).ok(), Some(purpose.id().into()));
            assert_eq!(ConsentPurpose::parse(purpose.id()), Some(purpose));
        }
        assert_eq!(ConsentMethod::parse("paper"), Some(ConsentMethod::Paper));
        assert_eq!(ConsentMethod::Online.id(), "online");
    }
}
