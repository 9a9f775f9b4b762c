//! The consent texts parents read, versioned per purpose (`consent-texts.json`). A consent records
//! the version its parent saw; when a purpose's current version is newer, the parent is asked
//! again.

use std::collections::HashMap;
use std::sync::LazyLock;

use kosodate_domain::Vocabulary;
use serde::{Deserialize, Serialize};

use crate::purposes::ConsentPurpose;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentText {
    pub version: i32,
    pub effective_from: chrono::NaiveDate,
    pub title_ja: String,
    pub title_en: String,
    pub text_ja: String,
    pub text_en: String,
}

static TEXTS: LazyLock<HashMap<String, Vec<ConsentText>>> = LazyLock::new(|| {
    // Checked by a unit test, so a broken file fails the build's tests rather than a request.
    serde_json::from_str(include_str!("../consent-texts.json")).unwrap_or_default()
});

/// Every version of a purpose's text, oldest first.
pub fn versions(purpose: ConsentPurpose) -> &'static [ConsentText] {
    TEXTS.get(purpose.id()).map(Vec::as_slice).unwrap_or_default()
}

/// The text a parent agrees to now.
pub fn current(purpose: ConsentPurpose) -> Option<&'static ConsentText> {
    versions(purpose).iter().max_by_key(|text| text.version)
}

/// The key of the partner app text: a link to a partner app is consent to that app and purpose,
/// recorded with its link rather than as a household-wide purpose in the ledger.
pub const PARTNER_APP_TEXT: &str = "notice_partner_app";

/// The text a parent agrees to when linking a partner app, now.
pub fn partner_app() -> Option<&'static ConsentText> {
    TEXTS
        .get(PARTNER_APP_TEXT)
        .and_then(|texts| texts.iter().max_by_key(|text| text.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_purpose_has_a_current_text() {
        for purpose in <ConsentPurpose as strum::VariantArray>::VARIANTS.iter().copied() {
            let text = current(purpose).unwrap_or_else(|| panic!("no text for {}", purpose.id()));
            assert!(!text.text_ja.is_empty() && !text.text_en.is_empty());
        }
        assert!(partner_app().is_some_and(|text| !text.text_ja.is_empty()));
    }
}
