//! The text of a search, validated once at the edge.

use kosodate_domain::text::without_control_characters;
use unicode_normalization::UnicodeNormalization;

/// Longer queries are pasted text, not searches.
pub const MAX_QUERY_CHARS: usize = 200;

/// Digits in a row (separators allowed) from which a query looks like a phone number, a My
/// Number (12 digits) or an account number rather than a search for a program.
const PERSONAL_DIGITS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchQueryError {
    #[error("the query is empty")]
    Empty,
    #[error("the query is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
}

/// A parent's query, normalised: what the index is searched with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchQuery {
    text: String,
    personal: bool,
}

impl SearchQuery {
    pub fn parse(raw: &str) -> Result<Self, SearchQueryError> {
        let text = normalize(raw);
        if text.is_empty() {
            return Err(SearchQueryError::Empty);
        }
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchQueryError::TooLong);
        }
        let personal = looks_personal(&text);
        Ok(Self { text, personal })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The query as the search log may keep it: `None` when it looks like personal data.
    pub fn loggable(&self) -> Option<&str> {
        (!self.personal).then_some(self.text.as_str())
    }
}

/// NFKC (full-width letters and digits to half width, half-width kana to full width, the
/// ideographic space to a space), lower case, and single spaces between words. Terminal escapes
/// and control characters go: they are never part of a word, and a query is kept in the search
/// log.
pub fn normalize(text: &str) -> String {
    let folded: String = without_control_characters(text)
        .nfkc()
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// カタカナ to ひらがな, so that じどうてあて and ジドウテアテ meet; ぢ and づ to じ and ず, which
/// sound the same and which parents type (あずける) where IPADIC's readings keep the old spelling
/// (アヅケル). The prolonged sound mark and kana without a hiragana form (ヷ…ヺ) stay as they are.
pub fn fold_kana(text: &str) -> String {
    text.chars().map(fold_kana_char).collect()
}

/// [`fold_kana`] of one character.
pub(crate) fn fold_kana_char(c: char) -> char {
    let hiragana = match c {
        'ァ'..='ヶ' | 'ヽ' | 'ヾ' => char::from_u32(u32::from(c) - 0x60).unwrap_or(c),
        _ => c,
    };
    match hiragana {
        'ぢ' => 'じ',
        'づ' => 'ず',
        _ => hiragana,
    }
}

/// Whether a (normalised) query looks like personal data: an email address, or a run of at least
/// ten digits, which phone numbers, the 12-digit My Number and account numbers are, with or
/// without hyphens, spaces or brackets between the groups.
pub fn looks_personal(text: &str) -> bool {
    looks_like_email(text) || longest_digit_run(text) >= PERSONAL_DIGITS
}

fn looks_like_email(text: &str) -> bool {
    text.split_whitespace().any(|word| {
        let Some((local, domain)) = word.split_once('@') else {
            return false;
        };
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
    })
}

/// The most digits in one run, where '-', ' ', '(', ')' and '+' between digits do not end a run.
fn longest_digit_run(text: &str) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            current += 1;
            longest = longest.max(current);
        } else if !matches!(c, '-' | ' ' | '(' | ')' | '+') {
            current = 0;
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_width_case_and_spaces() {
        assert_eq!(normalize("　３歳児健診　"), "3歳児健診");
        assert_eq!(normalize("ﾎｲｸｴﾝ  ＡＢＣ"), "ホイクエン abc");
        assert_eq!(normalize("医療費\u{3000}無料"), "医療費 無料");
        // The full-width tilde of 0～2歳 becomes "~", in programs and queries alike.
        assert_eq!(normalize("0～2歳"), "0~2歳");
        assert_eq!(normalize("\u{1b}[31m保育園\u{1b}[0m\u{0}一時"), "保育園 一時");
    }

    #[test]
    fn folds_katakana_to_hiragana() {
        assert_eq!(fold_kana("ジドウテアテ"), "じどうてあて");
        assert_eq!(fold_kana("ファミリー・サポート"), "ふぁみりー・さぽーと");
        assert_eq!(fold_kana("ヴ"), "ゔ");
        assert_eq!(fold_kana("児童手当"), "児童手当");
        assert_eq!(fold_kana("アヅケル"), fold_kana("あずける"));
        assert_eq!(fold_kana("ちぢむ"), "ちじむ");
    }

    #[test]
    fn parse_rejects_empty_and_long_queries() {
        assert_eq!(SearchQuery::parse(" \u{3000} "), Err(SearchQueryError::Empty));
        let long = "あ".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(SearchQuery::parse(&long), Err(SearchQueryError::TooLong));
        let query = SearchQuery::parse("ひとり親　給付").ok();
        assert_eq!(query.as_ref().map(SearchQuery::as_str), Some("ひとり親 給付"));
    }

    #[test]
    fn personal_looking_queries_are_not_loggable() {
        for personal in [
            "017-734-1111",
            "０１７（７３４）１１１１",
            "090 1234 5678",
            "+81 90-1234-5678",
            "1234 5678 9012",
            "hanako.parent@example.jp",
            "問い合わせ　hanako@example.jp",
        ] {
            let query = SearchQuery::parse(personal).ok();
            assert_eq!(query.as_ref().and_then(SearchQuery::loggable), None, "{personal}");
        }
    }

    #[test]
    fn program_searches_are_loggable() {
        for search in [
            "手当 いつまで",
            "3歳児健診",
            "出産費用 50万",
            "0～2歳児 保育料",
            "令和8年度 2026",
            "@保育園",
        ] {
            let query = SearchQuery::parse(search).ok();
            assert!(
                query.as_ref().and_then(SearchQuery::loggable).is_some(),
                "{search}"
            );
        }
    }
}
