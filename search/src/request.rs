//! What a search asks for and what it answers.

use std::sync::Arc;

use chrono::NaiveDate;
use kosodate_domain::MunicipalityCode;
use kosodate_registry::Category;
use serde::Serialize;
use utoipa::ToSchema;

use crate::document::ProgramCard;
use crate::query::SearchQuery;

/// The most results one page may hold.
pub const MAX_PAGE: usize = 100;

/// Equal requests on the same index get the same answer: [`SearchIndex`](crate::SearchIndex)
/// keeps recent answers by request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchRequest {
    /// `None` lists every program that passes the filters, in a stable order.
    pub query: Option<SearchQuery>,
    /// Programs that apply to residents of this municipality: its own, the prefecture's and the
    /// national ones.
    pub municipality: Option<MunicipalityCode>,
    /// Programs in any of these categories.
    pub categories: Vec<Category>,
    /// Programs of any of these 制度類型 (catalogue keys).
    pub program_types: Vec<String>,
    /// Programs whose eligibility can hold for a child of this age in months.
    pub child_age_months: Option<u32>,
    /// How many months from `child_age_months` on the child's age may be (12 for "2歳"); at
    /// least 1.
    pub child_age_span_months: u32,
    /// Programs one can apply for on this day.
    pub open_on: Option<NaiveDate>,
    /// The day ages are counted on.
    pub today: NaiveDate,
    pub offset: usize,
    pub limit: usize,
}

impl SearchRequest {
    pub fn new(query: Option<SearchQuery>, today: NaiveDate) -> Self {
        Self {
            query,
            municipality: None,
            categories: Vec::new(),
            program_types: Vec::new(),
            child_age_months: None,
            child_age_span_months: 1,
            open_on: None,
            today,
            offset: 0,
            limit: 20,
        }
    }
}

/// How closely the results match the query.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MatchMode {
    /// Every word of the query (or a synonym) appears.
    AllWords,
    /// Nothing had every word: programs with some of them.
    SomeWords,
    /// No query: every program that passes the filters.
    Browse,
}

/// Part of a program's text with the query's words marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Snippet {
    /// Which text the fragment is from: `name`, `summary` or `body`.
    pub field: &'static str,
    /// The fragment, HTML-escaped, with matches in `<mark>`.
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SearchHit {
    pub program: ProgramCard,
    pub score: f32,
    pub snippet: Option<Snippet>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FacetCount {
    /// A category id, or an owner (`national`, or a 6-digit code).
    pub value: String,
    pub count: u64,
}

/// At most this many owners are counted in a search's facets, as search services commonly cap a
/// facet's values (Algolia's default is 100). A municipality's residents see at most three
/// owners, a prefecture's some 40; a search of the whole country touches about 1,800
/// municipalities, whose counts would make up most of every answer.
pub const MAX_OWNER_FACETS: usize = 100;

/// Counts of the matching programs. Category counts ignore the category filter, so that a parent
/// sees what choosing another category would give.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Facets {
    pub categories: Vec<FacetCount>,
    /// The 100 owners with the most matching programs, the most first.
    pub owners: Vec<FacetCount>,
}

/// One search's answer. The page and the counts are shared rather than copied: an answer kept for
/// repeated searches is handed to each of them, and at national scale its owner counts alone are
/// some 1,800 entries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Arc<[SearchHit]>,
    pub facets: Arc<Facets>,
    pub mode: MatchMode,
    /// The words the query was searched with, as the parent typed them after her sentence was
    /// cut (妊娠したら → 妊娠); empty without a query.
    pub words: Vec<String>,
}

#[cfg(test)]
mod tests {
    use kosodate_domain::serde_names_agree;

    use super::MatchMode;

    #[test]
    fn the_search_log_stores_match_modes_by_their_serde_names() {
        serde_names_agree::<MatchMode>().expect("serde and strum agree");
    }
}
