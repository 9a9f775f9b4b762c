//! Program search. It owns what a parent's query becomes before it reaches an index: width and
//! case normalisation, the ひらがな/カタカナ fold, the limits on a query, and whether the query
//! may be kept in the search log for policy analysis (never one that looks like personal data).
//! It must not depend on the households crate, the notifier or HTTP: search sees programs and
//! query text, never a household.

mod query;
mod synonyms;

pub use query::{MAX_QUERY_CHARS, SearchQuery, SearchQueryError, fold_kana, looks_personal, normalize};
pub use synonyms::{DEFAULT_SYNONYMS, Expansion, SynonymError, Synonyms};
