//! Running a [`SearchRequest`]: the text query, the filters, the age check, facets and snippets.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, RwLock};

use chrono::{Months, NaiveDate};
use kosodate_domain::{MunicipalityCode, PREFECTURE_CODE};
use kosodate_matcher::{Child, Household, PreparedHousehold, Truth};
use kosodate_registry::ProgramOwner;
use tantivy::collector::{Collector, Count, FilterCollector, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use crate::compose::{
    COMMON_WORD_SHARE, Word, all_words_with, share_in_field, some_words_with, weighted_fields, words,
};
use crate::document::{
    Fields, KEY_FIELD, ProgramCard, area_facet, category_facet, day_number, program_type_facet,
};
use crate::error::SearchError;
use crate::index::{Indexed, SearchIndex};
use crate::request::{Facets, MAX_PAGE, MatchMode, SearchHit, SearchRequest, SearchResults, Snippet};
use crate::tally::Tally;
use crate::union::{SeekingUnion, Unions};

const SNIPPET_CHARS: usize = 120;

impl SearchIndex {
    /// Every word if any program has them all, otherwise some of them; without a query, every
    /// program that passes the filters. An answer to the same request on the same searcher
    /// generation is given again from memory.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let searcher = self.reader.searcher();
        let key = (searcher.generation().generation_id(), request.clone());
        let kept = self
            .answers
            .lock()
            .map_err(|_| SearchError::Poisoned)?
            .as_mut()
            .map(|answers| answers.get(&key).cloned());
        if let Some(Some(answer)) = kept {
            return Ok(answer);
        }
        let answer = self.answer(&searcher, request)?;
        if let Some(answers) = self.answers.lock().map_err(|_| SearchError::Poisoned)?.as_mut() {
            answers.put(key, answer.clone());
        }
        Ok(answer)
    }

    fn answer(&self, searcher: &Searcher, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let age = AgeFilter::new(request, Arc::clone(&self.programs));
        let Some(query) = &request.query else {
            return self.run(searcher, request, &age, MatchMode::Browse, Some(&AllQuery));
        };
        let words = words(query, &self.synonyms, &self.stopwords, self.segmentation());
        let typed = words.iter().filter_map(Word::typed).map(str::to_owned).collect();
        let fields = weighted_fields(&self.fields);
        let unions = unions_for(request);
        // Every word must be there: the rarest leads, and the others are asked only about the
        // programs it finds.
        let strict_unions = match words.len() {
            0 | 1 => unions,
            _ => Unions::Seeking,
        };
        if let Some(strict) = all_words_with(&*self.analysis, &fields, &words, strict_unions) {
            let results = self.run(searcher, request, &age, MatchMode::AllWords, Some(&*strict))?;
            if results.total > 0 {
                return Ok(SearchResults {
                    words: typed,
                    ..results
                });
            }
        }
        let common = |field, variant: &str| {
            share_in_field(&*self.analysis, field, variant, searcher) > COMMON_WORD_SHARE
        };
        let led_by_rare = some_words_with(&*self.analysis, &fields, &words, unions, &common);
        let mut results = self.run(
            searcher,
            request,
            &age,
            MatchMode::SomeWords,
            led_by_rare.as_deref(),
        )?;
        if results.total == 0 {
            // Only the common words are there: they find after all.
            let all = some_words_with(&*self.analysis, &fields, &words, unions, &|_, _| false);
            results = self.run(searcher, request, &age, MatchMode::SomeWords, all.as_deref())?;
        }
        Ok(SearchResults {
            words: typed,
            ..results
        })
    }

    /// One pass: the page, the total and the facets in one collection where the filters allow.
    fn run(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
        age: &AgeFilter,
        mode: MatchMode,
        text: Option<&dyn Query>,
    ) -> Result<SearchResults, SearchError> {
        let Some(text) = text else {
            return Ok(SearchResults {
                total: 0,
                hits: Arc::default(),
                facets: Arc::default(),
                mode,
                words: Vec::new(),
            });
        };
        let query = with_filters(text.box_clone(), self.filters(request, true));
        let top = TopDocs::with_limit(request.limit.clamp(1, MAX_PAGE)).and_offset(request.offset);
        // Without a query every score is equal: the program key gives a stable order instead.
        let (total, tallies, page) = match mode {
            MatchMode::Browse => {
                let by_key = top.order_by_u64_field(KEY_FIELD, Order::Asc);
                let (total, tallies, page) = age.collect(searcher, &query, (Count, Tally, by_key))?;
                (
                    total,
                    tallies,
                    page.into_iter().map(|(_, address)| (0.0, address)).collect(),
                )
            }
            _ => age.collect(searcher, &query, (Count, Tally, top.order_by_score()))?,
        };
        let categories = if request.categories.is_empty() {
            tallies.categories()
        } else {
            // Counted without the category filter, so that a parent sees what the others hold.
            let unfiltered = with_filters(text.box_clone(), self.filters(request, false));
            age.collect(searcher, &unfiltered, Tally)?.categories()
        };
        let snippets = (mode != MatchMode::Browse).then_some(&*query);
        Ok(SearchResults {
            total,
            hits: self.hits(searcher, snippets, page)?.into(),
            facets: Arc::new(Facets {
                categories,
                owners: tallies.owners(),
            }),
            mode,
            words: Vec::new(),
        })
    }

    fn filters(&self, request: &SearchRequest, with_categories: bool) -> Vec<Box<dyn Query>> {
        let mut filters: Vec<Box<dyn Query>> = Vec::new();
        if let Some(municipality) = request.municipality {
            let owners = applicable_owners(municipality);
            filters.push(any_facet(self.fields.area, owners.iter().map(area_facet)));
        }
        if with_categories && !request.categories.is_empty() {
            let facets = request
                .categories
                .iter()
                .map(|category| category_facet(*category));
            filters.push(any_facet(self.fields.category, facets));
        }
        if !request.program_types.is_empty() {
            let facets = request.program_types.iter().map(|key| program_type_facet(key));
            filters.push(any_facet(self.fields.program_type, facets));
        }
        if let Some(day) = request.open_on {
            filters.extend(open_on(&self.fields, day));
        }
        filters
    }

    fn hits(
        &self,
        searcher: &Searcher,
        snippets_for: Option<&dyn Query>,
        page: Vec<(f32, DocAddress)>,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let fields = [("summary", self.fields.summary), ("body", self.fields.body)];
        let generators = snippets_for
            .into_iter()
            .flat_map(|query| fields.map(|field| (query, field)))
            .map(|(query, (name, field))| {
                let mut generator = SnippetGenerator::create(searcher, query, field)?;
                generator.set_max_num_chars(SNIPPET_CHARS);
                Ok((name, generator))
            })
            .collect::<Result<Vec<_>, SearchError>>()?;
        let mut hits = Vec::with_capacity(page.len());
        for (score, address) in page {
            let document: TantivyDocument = searcher.doc(address)?;
            let Some(card) = document
                .get_first(self.fields.card)
                .and_then(|value| value.as_str())
                .and_then(|card| serde_json::from_str::<ProgramCard>(card).ok())
            else {
                continue;
            };
            let snippet = generators.iter().find_map(|(name, generator)| {
                let mut snippet = generator.snippet_from_doc(&document);
                snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
                (!snippet.highlighted().is_empty()).then(|| Snippet {
                    field: name,
                    html: snippet.to_html(),
                })
            });
            hits.push(SearchHit {
                program: card,
                score,
                snippet,
            });
        }
        Ok(hits)
    }
}

/// A municipality (a few hundred programs of the nation's) or a category or type filter leads the
/// search: the text is then asked only about the programs it lets through. Without one, every
/// match of the text is visited anyway, and the buffered union visits them fastest.
fn unions_for(request: &SearchRequest) -> Unions {
    let selective =
        request.municipality.is_some() || !request.categories.is_empty() || !request.program_types.is_empty();
    match selective {
        true => Unions::Seeking,
        false => Unions::Buffered,
    }
}

/// The owners whose programs apply to a municipality's residents.
fn applicable_owners(municipality: MunicipalityCode) -> Vec<ProgramOwner> {
    let mut owners = vec![ProgramOwner::National, ProgramOwner::Local(municipality)];
    if municipality.prefecture() != municipality {
        owners.push(ProgramOwner::Local(municipality.prefecture()));
    }
    owners
}

fn any_facet(field: tantivy::schema::Field, facets: impl Iterator<Item = Facet>) -> Box<dyn Query> {
    let clauses = facets
        .map(|facet| {
            let term = Term::from_facet(field, &facet);
            Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>
        })
        .collect();
    Box::new(SeekingUnion::new(clauses))
}

/// The window has opened by `day` and has not closed before it.
fn open_on(fields: &Fields, day: NaiveDate) -> [Box<dyn Query>; 2] {
    let day = day_number(day);
    [
        Box::new(RangeQuery::new(
            Bound::Unbounded,
            Bound::Included(Term::from_field_i64(fields.open_from, day)),
        )),
        Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_i64(fields.open_to, day)),
            Bound::Unbounded,
        )),
    ]
}

/// The text query scores; filters only select.
fn with_filters(text: Box<dyn Query>, filters: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = filters
        .into_iter()
        .map(|filter| {
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(filter, 0.0)) as Box<dyn Query>,
            )
        })
        .collect();
    clauses.push((Occur::Must, text));
    Box::new(BooleanQuery::new(clauses))
}

/// Keeps only programs whose rule can hold for a child of the asked age in months; programs
/// without a structured rule are kept, since nothing says they exclude the child.
#[derive(Clone)]
struct AgeFilter {
    check: Option<Arc<AgeCheck>>,
}

struct AgeCheck {
    /// The youngest and the oldest child of each age in months of the span, on the reference day.
    households: Vec<Household>,
    today: NaiveDate,
    programs: Arc<RwLock<HashMap<u64, Indexed>>>,
}

impl AgeFilter {
    fn new(request: &SearchRequest, programs: Arc<RwLock<HashMap<u64, Indexed>>>) -> Self {
        let check = request.child_age_months.and_then(|first| {
            let today = request.today;
            let municipality = request.municipality.unwrap_or(PREFECTURE_CODE);
            let household = |birth| Household {
                municipality,
                children: vec![Child::born(birth)],
                single_parent: None,
                income_band: None,
            };
            let span = request.child_age_span_months.max(1);
            let mut households = Vec::new();
            for months in first..first.saturating_add(span) {
                let youngest = today.checked_sub_months(Months::new(months))?;
                let oldest = today.checked_sub_months(Months::new(months + 1))?.succ_opt()?;
                households.extend([household(youngest), household(oldest)]);
            }
            Some(Arc::new(AgeCheck {
                households,
                today,
                programs,
            }))
        });
        Self { check }
    }

    /// `collector`'s fruit over the programs of `query` that pass the age check. Without an age
    /// asked, no program's key is read: a loose query's tens of thousands of matches each cost a
    /// column read otherwise.
    fn collect<C: Collector>(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        collector: C,
    ) -> tantivy::Result<C::Fruit> {
        let Some(check) = self.check.clone() else {
            return searcher.search(query, &collector);
        };
        let possible = move |key: u64| check.possible(key);
        searcher.search(
            query,
            &FilterCollector::new(KEY_FIELD.to_owned(), possible, collector),
        )
    }
}

impl AgeCheck {
    fn possible(&self, key: u64) -> bool {
        let Ok(programs) = self.programs.read() else {
            return true;
        };
        let Some(rule) = programs.get(&key).and_then(|indexed| indexed.rule.clone()) else {
            return true;
        };
        drop(programs);
        self.households.iter().any(|household| {
            let prepared = PreparedHousehold::new(household);
            rule.evaluate(&prepared, self.today).truth != Truth::False
        })
    }
}

impl std::fmt::Debug for AgeFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgeFilter")
            .field("active", &self.check.is_some())
            .finish()
    }
}
