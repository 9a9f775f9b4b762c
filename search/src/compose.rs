//! From a parent's words to a tantivy query. tantivy's query parser would turn a run of Japanese
//! text into one exact phrase, so queries are built here: each word (or a synonym of it) must
//! appear as a contiguous substring of the name, the reading, the summary or the body, weighted in
//! that order. When no program has every word, a looser query accepts programs with some words or
//! with most of a word's two-character pieces (保育園に入れない finds 保育園).

use std::collections::HashSet;

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use crate::analyzer::TextAnalysis;
use crate::document::Fields;
use crate::query::{SearchQuery, fold_kana};
use crate::reader::Reader;
use crate::sentence::{content_words, is_hiragana, is_sentence};
use crate::synonyms::Synonyms;
use crate::union::Unions;

/// The weight of a synonym's match against the word the parent typed.
const SYNONYM_WEIGHT: f32 = 0.8;
/// In the loose query, the share of a word's pieces a program must contain.
const LOOSE_SHARE: f32 = 0.6;
/// In the loose query, the weight of piece matches against whole-word matches.
const LOOSE_WEIGHT: f32 = 0.3;
/// In the loose query, a word that may be in more than this share of a field's programs (子ども
/// or 支援 in the body) finds none there on its own: see [`some_words_with`].
pub(crate) const COMMON_WORD_SHARE: f32 = 0.2;

/// Words that say what a parent wants to know rather than which program (see the file).
pub const DEFAULT_STOPWORDS: &str = include_str!("../stopwords.txt");

impl Word {
    /// The word as the query has it (its first variant; the others are synonyms).
    pub fn typed(&self) -> Option<&str> {
        self.variants.first().map(|(text, _)| text.as_str())
    }
}

/// How the sentences of a query are cut into words: the dictionary and the verbs it drops.
#[derive(Debug, Clone, Copy)]
pub struct Segmentation<'a> {
    pub reader: &'a dyn Reader,
    pub light_verbs: &'a HashSet<String>,
}

impl Segmentation<'_> {
    /// The sentence's words, kana-folded; `None` when the dictionary cut nothing out of it.
    fn words(&self, run: &str) -> Option<Vec<String>> {
        let morphemes = self.reader.morphemes(run);
        let words: Vec<String> = content_words(&morphemes, self.light_verbs)
            .iter()
            .map(|word| fold_kana(word))
            .collect();
        (!words.is_empty()).then_some(words)
    }
}

/// One word of the query and its synonyms, each with its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub variants: Vec<(String, f32)>,
}

/// The query's words without the question words, each with its synonym variants. A run of text
/// without spaces that reads as a sentence is cut into its content words by the dictionary when
/// there is one (妊娠したら → 妊娠; see `sentence.rs`), otherwise where a particle sits between two
/// non-ひらがな characters (子供の医療費 → 子供, 医療費); then every part is cut around the synonym
/// words it contains (1歳半健診 → 1歳半, 健診), so that each part may match on its own.
pub fn words(
    query: &SearchQuery,
    synonyms: &Synonyms,
    stopwords: &HashSet<String>,
    segmentation: Option<Segmentation<'_>>,
) -> Vec<Word> {
    let all: Vec<String> = query
        .as_str()
        .split_whitespace()
        .flat_map(|run| split_run(run, segmentation))
        .collect();
    let mut kept: Vec<&str> = all
        .iter()
        .map(String::as_str)
        .filter(|word| !stopwords.contains(*word))
        .collect();
    if kept.is_empty() {
        kept = all.iter().map(String::as_str).collect();
    }
    let mut words: Vec<Word> = Vec::new();
    for part in kept
        .into_iter()
        .flat_map(|word| split_at_synonyms(word, synonyms))
    {
        if !words.contains(&part) {
            words.push(part);
        }
    }
    words
}

/// One run of text without spaces as kana-folded words.
fn split_run(run: &str, segmentation: Option<Segmentation<'_>>) -> Vec<String> {
    if let Some(words) = segmentation
        .filter(|_| is_sentence(run))
        .and_then(|segmentation| segmentation.words(run))
    {
        return words;
    }
    split_at_particles(&fold_kana(run))
        .into_iter()
        .map(str::to_owned)
        .collect()
}

const PARTICLES: [char; 9] = ['の', 'に', 'を', 'が', 'は', 'で', 'と', 'へ', 'や'];

fn split_at_particles(word: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    for window in chars.windows(3) {
        let [(_, before), (offset, middle), (next_offset, after)] = window else {
            continue;
        };
        if PARTICLES.contains(middle) && !is_hiragana(*before) && !is_hiragana(*after) {
            parts.push(&word[start..*offset]);
            start = *next_offset;
        }
    }
    parts.push(&word[start..]);
    parts.into_iter().filter(|part| !part.is_empty()).collect()
}

/// The word cut around the synonym words it contains (longest first, without overlaps); each
/// synonym word carries its group as variants, the rest stands as typed.
fn split_at_synonyms(word: &str, synonyms: &Synonyms) -> Vec<Word> {
    let mut spans: Vec<(usize, usize, Vec<String>)> = Vec::new();
    let mut expansions = synonyms.expand(word);
    expansions.sort_by_key(|expansion| std::cmp::Reverse(expansion.found.len()));
    for expansion in expansions {
        let Some(start) = word.find(expansion.found) else {
            continue;
        };
        let end = start + expansion.found.len();
        if spans
            .iter()
            .any(|(other_start, other_end, _)| start < *other_end && *other_start < end)
        {
            continue;
        }
        let alternatives = expansion
            .alternatives
            .iter()
            .map(|alternative| (*alternative).to_owned())
            .collect();
        spans.push((start, end, alternatives));
    }
    spans.sort_by_key(|(start, ..)| *start);
    let mut parts = Vec::new();
    let mut cursor = 0;
    for (start, end, alternatives) in spans {
        parts.extend(plain_word(&word[cursor..start]));
        let mut variants = vec![(word[start..end].to_owned(), 1.0)];
        variants.extend(
            alternatives
                .into_iter()
                .map(|alternative| (alternative, SYNONYM_WEIGHT)),
        );
        parts.push(Word { variants });
        cursor = end;
    }
    parts.extend(plain_word(&word[cursor..]));
    parts
}

/// Text between synonym words, unless it is only a particle.
fn plain_word(text: &str) -> Option<Word> {
    let text = text.trim_matches(|character: char| !character.is_alphanumeric());
    let lone_kana = text.chars().count() == 1 && text.chars().all(is_hiragana);
    (!text.is_empty() && !lone_kana).then(|| Word {
        variants: vec![(text.to_owned(), 1.0)],
    })
}

/// The searched fields and their weights: name above reading and summary above the rest.
pub fn weighted_fields(fields: &Fields) -> [(Field, f32); 4] {
    [
        (fields.name, 4.0),
        (fields.reading, 2.0),
        (fields.summary, 2.0),
        (fields.body, 1.0),
    ]
}

/// `text` as a contiguous substring of `field`: a phrase of its pieces, or one term.
fn substring(analysis: &dyn TextAnalysis, field: Field, text: &str) -> Option<Box<dyn Query>> {
    let tokens = analysis.tokens(text);
    let first = tokens.first()?.position;
    if tokens.len() == 1 {
        let term = Term::from_field_text(field, &tokens[0].text);
        return Some(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)));
    }
    let terms = tokens
        .iter()
        .map(|token| (token.position - first, Term::from_field_text(field, &token.text)))
        .collect();
    Some(Box::new(PhraseQuery::new_with_offset(terms)))
}

/// The word (or one of its synonyms) in any field, weighted by field.
fn word_clause(
    analysis: &dyn TextAnalysis,
    fields: &[(Field, f32)],
    word: &Word,
    unions: Unions,
) -> Option<Box<dyn Query>> {
    let clauses: Vec<Box<dyn Query>> = word
        .variants
        .iter()
        .flat_map(|(variant, weight)| {
            fields.iter().filter_map(move |(field, field_weight)| {
                let query = substring(analysis, *field, variant)?;
                Some(boosted(query, weight * field_weight))
            })
        })
        .collect();
    (!clauses.is_empty()).then(|| unions.any(clauses))
}

fn boosted(query: Box<dyn Query>, weight: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, weight))
}

/// Every word must appear.
pub fn all_words(
    analysis: &dyn TextAnalysis,
    fields: &[(Field, f32)],
    words: &[Word],
) -> Option<Box<dyn Query>> {
    all_words_with(analysis, fields, words, Unions::Buffered)
}

/// [`all_words`] with the unions chosen for the search's filters.
pub(crate) fn all_words_with(
    analysis: &dyn TextAnalysis,
    fields: &[(Field, f32)],
    words: &[Word],
    unions: Unions,
) -> Option<Box<dyn Query>> {
    let clauses: Option<Vec<(Occur, Box<dyn Query>)>> = words
        .iter()
        .map(|word| word_clause(analysis, fields, word, unions).map(|clause| (Occur::Must, clause)))
        .collect();
    clauses
        .filter(|clauses| !clauses.is_empty())
        .map(|clauses| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

/// Some words, or most pieces of a word, appear; whole words score higher.
pub fn some_words(
    analysis: &dyn TextAnalysis,
    fields: &[(Field, f32)],
    words: &[Word],
) -> Option<Box<dyn Query>> {
    some_words_with(analysis, fields, words, Unions::Buffered, &|_, _| false)
}

/// Says whether a word (one variant of it) is too common in a field to find programs there on
/// its own.
pub(crate) type Common<'a> = &'a dyn Fn(Field, &str) -> bool;

/// [`some_words`] with the unions chosen for the search's filters, where a word that `common`
/// says is in too many programs of a field (子ども in the body of most of them) only adds to the
/// score of what the other clauses find there, as Lucene's "common terms" query does: it says
/// little about which program is meant, and would make the search visit nearly every program.
/// It scores by its pieces, without their positions ([`every_piece`]). When every clause is
/// common, they all find, as phrases.
pub(crate) fn some_words_with(
    analysis: &dyn TextAnalysis,
    fields: &[(Field, f32)],
    words: &[Word],
    unions: Unions,
    common: Common<'_>,
) -> Option<Box<dyn Query>> {
    let mut finding: Vec<Box<dyn Query>> = Vec::new();
    let mut scoring: Vec<Box<dyn Query>> = Vec::new();
    let clauses = words
        .iter()
        .flat_map(|word| word.variants.iter())
        .flat_map(|(variant, weight)| {
            fields
                .iter()
                .map(move |(field, field_weight)| (variant, *field, weight * field_weight))
        });
    let mut common_words: Vec<(&str, Field, f32)> = Vec::new();
    for (variant, field, weight) in clauses {
        if common(field, variant) {
            common_words.push((variant, field, weight));
            continue;
        }
        let Some(phrase) = substring(analysis, field, variant) else {
            continue;
        };
        finding.push(boosted(phrase, weight));
        if let Some(pieces) = most_pieces(analysis, field, variant, unions) {
            finding.push(boosted(pieces, weight * LOOSE_WEIGHT));
        }
    }
    // Alone, common words find as typed: as a phrase.
    let only_common = finding.is_empty();
    for (variant, field, weight) in common_words {
        let whole = match only_common {
            true => substring(analysis, field, variant),
            false => every_piece(analysis, field, variant),
        };
        let Some(whole) = whole else {
            continue;
        };
        scoring.push(boosted(whole, weight));
        if let Some(pieces) = most_pieces(analysis, field, variant, unions) {
            scoring.push(boosted(pieces, weight * LOOSE_WEIGHT));
        }
    }
    if only_common {
        return (!scoring.is_empty()).then(|| unions.any(scoring));
    }
    let found = unions.any(finding);
    if scoring.is_empty() {
        return Some(found);
    }
    // Common clauses are asked only about the programs the others found: a union that seeks.
    Some(Box::new(BooleanQuery::new(vec![
        (Occur::Must, found),
        (Occur::Should, Unions::Seeking.any(scoring)),
    ])))
}

/// Every distinct piece of `text` in `field`, wherever they are, each scoring its share of the
/// word: a common word only adds to the score of programs the other words found, and asking
/// where its pieces sit (a phrase) read the positions of nearly every one of tens of thousands of
/// programs for a sentence's loose query. Its pieces rarely meet in a program without the word.
fn every_piece(analysis: &dyn TextAnalysis, field: Field, text: &str) -> Option<Box<dyn Query>> {
    let pieces = distinct_pieces(analysis, text);
    if pieces.is_empty() {
        return None;
    }
    let share = 1.0 / pieces.len() as f32;
    let terms = pieces.iter().map(|piece| piece_query(field, piece)).collect();
    Some(boosted(Box::new(BooleanQuery::intersection(terms)), share))
}

/// At most how many programs of `searcher` can hold `variant` in `field` (the fewest holding one
/// of its pieces), as a share of all programs.
pub(crate) fn share_in_field(
    analysis: &dyn TextAnalysis,
    field: Field,
    variant: &str,
    searcher: &tantivy::Searcher,
) -> f32 {
    let programs = searcher.num_docs();
    let fewest = analysis
        .tokens(variant)
        .iter()
        .map(|token| {
            searcher
                .doc_freq(&Term::from_field_text(field, &token.text))
                .unwrap_or(0)
        })
        .min()
        .unwrap_or(0);
    match programs {
        0 => 0.0,
        _ => (fewest.min(programs) as f64 / programs as f64) as f32,
    }
}

/// At least [`LOOSE_SHARE`] of the word's distinct pieces, anywhere in the field; only for words
/// long enough to have several pieces.
fn most_pieces(
    analysis: &dyn TextAnalysis,
    field: Field,
    word: &str,
    unions: Unions,
) -> Option<Box<dyn Query>> {
    let pieces = distinct_pieces(analysis, word);
    if pieces.len() < 3 {
        return None;
    }
    let required = (pieces.len() as f32 * LOOSE_SHARE).ceil() as usize;
    let terms = pieces.iter().map(|piece| piece_query(field, piece)).collect();
    Some(unions.at_least(terms, required))
}

/// The two-character pieces of `text`, each once.
fn distinct_pieces(analysis: &dyn TextAnalysis, text: &str) -> Vec<String> {
    let mut pieces: Vec<String> = analysis
        .tokens(text)
        .into_iter()
        .map(|token| token.text)
        .collect();
    pieces.sort();
    pieces.dedup();
    pieces
}

/// One piece anywhere in `field`, scored by how often it is there.
fn piece_query(field: Field, piece: &str) -> Box<dyn Query> {
    let term = Term::from_field_text(field, piece);
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentence::parse_word_list;
    use crate::synonyms::DEFAULT_SYNONYMS;

    fn words_of(text: &str) -> Vec<Vec<String>> {
        let synonyms = Synonyms::parse(DEFAULT_SYNONYMS).unwrap_or_default();
        let stopwords = parse_word_list(DEFAULT_STOPWORDS);
        let query = SearchQuery::parse(text).expect("a valid query");
        words(&query, &synonyms, &stopwords, None)
            .into_iter()
            .map(|word| word.variants.into_iter().map(|(variant, _)| variant).collect())
            .collect()
    }

    #[test]
    fn question_words_are_dropped_unless_nothing_else_is_left() {
        assert_eq!(words_of("手当 いつまで"), [["手当"]]);
        assert_eq!(words_of("いつまで"), [["いつまで"]]);
    }

    #[test]
    fn synonyms_become_variants_and_cut_the_word() {
        assert_eq!(words_of("3歳児健診"), [["3歳児健診", "3歳児健康診査"]]);
        let words = words_of("1歳半検診");
        assert_eq!(words.len(), 2, "{words:?}");
        assert!(words[0].contains(&"1歳6か月".to_owned()), "{words:?}");
        assert!(words[1].contains(&"健康診査".to_owned()), "{words:?}");
    }

    /// An index of one text field, read with the search's analysis, and its documents' texts.
    fn text_index(texts: &[&str]) -> (tantivy::Index, Field) {
        use tantivy::schema::{Schema, TextFieldIndexing, TextOptions};
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(crate::analyzer::TEXT_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let mut schema = Schema::builder();
        let field = schema.add_text_field("text", TextOptions::default().set_indexing_options(indexing));
        let index = tantivy::Index::create_in_ram(schema.build());
        let analysis = std::sync::Arc::new(crate::analyzer::Bigrams);
        index.tokenizers().register(
            crate::analyzer::TEXT_ANALYZER,
            tantivy::tokenizer::TextAnalyzer::from(crate::analyzer::AnalysisTokenizer(analysis)),
        );
        let mut writer = index.writer(15_000_000).expect("a writer");
        for text in texts {
            writer.add_document(tantivy::doc!(field => *text)).expect("added");
        }
        writer.commit().expect("committed");
        (index, field)
    }

    fn plain(text: &str) -> Word {
        Word {
            variants: vec![(text.to_owned(), 1.0)],
        }
    }

    #[test]
    fn a_common_word_only_scores_what_the_others_found_and_reads_no_positions() {
        let texts = [
            "保育の案内",           // 0: the rare word only
            "保育と子どもの案内",   // 1: both
            "子どもの案内",         // 2: the common word only
            "子どりとともども案内", // 3: the common word's pieces, apart
        ];
        let (index, field) = text_index(&texts);
        let searcher = index.reader().expect("a reader").searcher();
        let words = [plain("保育"), plain("子ども")];
        let fields = [(field, 1.0)];
        let analysis = crate::analyzer::Bigrams;
        let common: Common<'_> = &|_, variant| variant == "子ども";
        let search = |query: &dyn Query| {
            let top = tantivy::collector::TopDocs::with_limit(10).order_by_score();
            let found = searcher.search(query, &top).expect("searched");
            found
                .into_iter()
                .map(|(_, address)| address.doc_id)
                .collect::<Vec<_>>()
        };

        let led = some_words_with(&analysis, &fields, &words, Unions::Seeking, common).expect("a query");
        assert_eq!(
            search(&*led),
            [1, 0],
            "found by the rare word, the common one adds"
        );
        // Nothing the rare word finds needs the common word's positions: its pieces score.
        assert!(!format!("{led:?}").contains("Phrase"), "{led:?}");

        // Alone, the common word still finds only where it is written whole.
        let alone =
            some_words_with(&analysis, &fields, &words[1..], Unions::Seeking, common).expect("a query");
        assert_eq!(search(&*alone), [2, 1]);
    }

    #[test]
    fn particles_between_kanji_cut_the_word() {
        let words = words_of("子供の医療費");
        assert_eq!(words.len(), 2, "{words:?}");
        assert!(words[0].contains(&"子ども".to_owned()), "{words:?}");
        assert_eq!(words[1][0], "医療費");
        assert_eq!(words_of("ひとりで"), [["ひとりで"]]);
    }
}
