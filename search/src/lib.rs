//! Program search. It owns the tantivy index of published programs and everything a query goes
//! through before it reaches it: width and case normalisation, the ひらがな/カタカナ fold, the
//! two-character pieces that let Japanese be searched without a dictionary, synonyms and question
//! words as data, ranking and filters, and what the search log may keep (never a query that looks
//! like personal data). It must not depend on the households crate, the notifier or HTTP: search
//! sees programs and query text, never a household.

mod analyzer;
mod compose;
mod document;
mod error;
mod follow;
mod index;
pub mod log;
#[cfg(feature = "morphology")]
pub mod morphology;
mod query;
mod reader;
#[cfg(feature = "morphology")]
pub mod readings;
mod request;
mod searcher;
mod sentence;
mod suggest;
mod synonyms;
mod tally;
mod union;

pub use analyzer::{
    AnalysisTokenizer, BigramTokenizer, Bigrams, TEXT_ANALYZER, TextAnalysis, bigrams, normalize_mapped,
};
/// Building a query from a parent's words, for other indexes that search Japanese text the same
/// way (the community's questions): the words of a query, and tantivy queries that want all of
/// them or some, over any weighted text fields analysed with [`TEXT_ANALYZER`].
pub use compose::{DEFAULT_STOPWORDS, Segmentation, Word, all_words, some_words, words as query_words};
pub use document::{ProgramCard, SCHEMA_VERSION};
pub use error::SearchError;
pub use follow::{Applied, IndexFollower, POLL_INTERVAL, Wake};
pub use index::{Indexed, Manifest, Opened, SearchIndex};
/// Opening an index directory that must be rebuilt when its [`Manifest`] differs, for other
/// indexes kept the same way.
pub use index::{manifest_of, open_existing};
/// The categories a search filters by: what the search log and its roll-ups keep.
pub use kosodate_registry::Category;
pub use query::{MAX_QUERY_CHARS, SearchQuery, SearchQueryError, fold_kana, looks_personal, normalize};
pub use reader::Reader;
pub use request::{
    FacetCount, Facets, MAX_PAGE, MatchMode, SearchHit, SearchRequest, SearchResults, Snippet,
};
pub use sentence::{DEFAULT_LIGHT_VERBS, Morpheme, content_words, is_sentence, parse_word_list};
pub use suggest::{DEFAULT_SUGGESTED_WORDS, Suggestions, WordSuggestion};
pub use synonyms::{DEFAULT_SYNONYMS, Expansion, SynonymError, Synonyms};
