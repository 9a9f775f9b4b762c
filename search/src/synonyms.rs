//! Synonym groups kept as data (`search/synonyms.txt`), applied to queries.

use std::collections::HashMap;

use crate::query::{fold_kana, normalize};

/// The groups the product ships with.
pub const DEFAULT_SYNONYMS: &str = include_str!("../synonyms.txt");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynonymError {
    #[error("line {line}: a group needs at least two words")]
    LonelyWord { line: usize },
    #[error("line {line}: {word:?} is already in the group of line {first_line}")]
    Repeated {
        line: usize,
        word: String,
        first_line: usize,
    },
}

/// Synonym groups, normalised as queries are.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
    /// Each word's group, and the line that defined it (for error messages).
    group_of: HashMap<String, (usize, usize)>,
}

/// A word of the query and the other words of its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion<'a> {
    pub found: &'a str,
    pub alternatives: Vec<&'a str>,
}

/// How a word is compared: as queries are normalised, with the kana folded.
fn key(word: &str) -> String {
    fold_kana(&normalize(word))
}

impl Synonyms {
    /// One group per line, words separated by spaces; `#` starts a comment.
    pub fn parse(text: &str) -> Result<Self, SynonymError> {
        let mut synonyms = Self::default();
        for (index, raw_line) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw_line.split('#').next().unwrap_or_default();
            let words: Vec<String> = content.split_whitespace().map(key).collect();
            match words.len() {
                0 => continue,
                1 => return Err(SynonymError::LonelyWord { line }),
                _ => {}
            }
            let group = synonyms.groups.len();
            for word in &words {
                if let Some(&(_, first_line)) = synonyms.group_of.get(word) {
                    return Err(SynonymError::Repeated {
                        line,
                        word: word.clone(),
                        first_line,
                    });
                }
                synonyms.group_of.insert(word.clone(), (group, line));
            }
            synonyms.groups.push(words);
        }
        Ok(synonyms)
    }

    pub fn groups(&self) -> &[Vec<String>] {
        &self.groups
    }

    /// The groups a (normalised, kana-folded) query touches: for each group, its longest word that
    /// occurs in the query, so that 3歳児健診 expands as a whole before 健診 would.
    pub fn expand<'a>(&'a self, folded_query: &str) -> Vec<Expansion<'a>> {
        self.groups
            .iter()
            .filter_map(|group| {
                let found = group
                    .iter()
                    .filter(|word| folded_query.contains(word.as_str()))
                    .max_by_key(|word| word.chars().count())?;
                let alternatives = group
                    .iter()
                    .filter(|word| *word != found)
                    .map(String::as_str)
                    .collect();
                Some(Expansion {
                    found: found.as_str(),
                    alternatives,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Synonyms {
        Synonyms::parse(DEFAULT_SYNONYMS).unwrap_or_default()
    }

    #[test]
    fn the_shipped_groups_parse() {
        let parsed = Synonyms::parse(DEFAULT_SYNONYMS);
        assert!(parsed.is_ok(), "{parsed:?}");
        assert!(shipped().groups().len() >= 20);
    }

    #[test]
    fn a_query_finds_the_other_words_of_its_group() {
        let synonyms = shipped();
        let expansions = synonyms.expand(&key("保育園 入れない"));
        assert_eq!(expansions.len(), 1);
        assert_eq!(expansions[0].found, "保育園");
        assert!(expansions[0].alternatives.contains(&"保育所"));
    }

    #[test]
    fn kana_and_width_do_not_matter() {
        let synonyms = shipped();
        let expansions = synonyms.expand(&key("ｼﾝｸﾞﾙﾏｻﾞｰ 手当"));
        assert_eq!(expansions.len(), 1);
        assert!(expansions[0].alternatives.contains(&"ひとり親"));
    }

    #[test]
    fn the_longest_word_of_a_group_wins() {
        let synonyms = shipped();
        let expansions = synonyms.expand(&key("3歳児健診"));
        let found: Vec<&str> = expansions.iter().map(|e| e.found).collect();
        assert!(found.contains(&"3歳児健診"), "{found:?}");
        assert!(found.contains(&"健診"), "{found:?}");
    }

    #[test]
    fn malformed_groups_are_refused_with_their_line() {
        assert_eq!(
            Synonyms::parse("保育園 保育所\n健診\n").err(),
            Some(SynonymError::LonelyWord { line: 2 })
        );
        assert_eq!(
            Synonyms::parse("こども 児童\n# comment\nコドモ 子供\n").err(),
            Some(SynonymError::Repeated {
                line: 3,
                word: "こども".into(),
                first_line: 1
            })
        );
    }
}
