//! A week's terms and whole queries with the number of distinct people who used them: what the
//! term and gap reports read, so that they never touch raw text. A person is a searcher of the
//! week (a pseudonym lives one week, these weeks) or a question's author; searches without a pseudonym count
//! as uses but as nobody, so that a count of people never overstates.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use kosodate_community::{PostStatus, QuestionFacts};
use kosodate_domain::japan;
use sea_orm::Value;

use super::searches::{RawSearch, big};
use crate::MIN_CELL;
use crate::model::Source;
use crate::terms::TermAnalyzer;
use kosodate_domain::Vocabulary;

/// The row of a week's terms that holds the week's totals: how many texts, by how many people.
pub(crate) const TOTAL_TERM: &str = "";

/// Who made a use: a week's searcher, or a question's author.
pub(crate) type Person = (NaiveDate, String);

/// One text that terms are counted in: a search's query or a question.
#[derive(Debug)]
pub(crate) struct Text<'a> {
    pub text: Cow<'a, str>,
    pub person: Option<Person>,
}

#[derive(Debug, Default)]
struct Usage {
    uses: u64,
    people: HashSet<Person>,
}

/// Rows of `insights_terms_weekly` for one week and source.
pub(crate) fn term_rows(
    week: NaiveDate,
    source: Source,
    texts: &[Text<'_>],
    analyzer: &TermAnalyzer,
) -> Vec<Vec<Value>> {
    let mut usage: BTreeMap<String, Usage> = BTreeMap::new();
    let mut analysed: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let texts: Vec<&Text<'_>> = texts.iter().collect();
    let total = usage.entry(TOTAL_TERM.to_owned()).or_default();
    for text in &texts {
        total.uses += 1;
        total.people.extend(text.person.clone());
    }
    for text in texts {
        // Parents repeat the same queries: each distinct text is analysed once.
        let terms = analysed
            .entry(text.text.as_ref())
            .or_insert_with(|| analyzer.terms(&text.text).into_iter().collect());
        for term in terms.iter() {
            let entry = usage.entry(term.clone()).or_default();
            entry.uses += 1;
            entry.people.extend(text.person.clone());
        }
    }
    usage
        .into_iter()
        .map(|(term, usage)| {
            vec![
                week.into(),
                source.id().into(),
                term.into(),
                big(usage.uses),
                big(usage.people.len() as u64),
            ]
        })
        .collect()
}

pub(crate) const TERM_COLUMNS: [&str; 5] = ["week", "source", "term", "uses", "people"];

#[derive(Debug, Default)]
struct QueryUsage {
    searches: u64,
    zero_results: u64,
    clicks: u64,
    people: HashSet<Person>,
}

/// Rows of `insights_queries_weekly`: only queries at least [`MIN_CELL`] people searched, the
/// only ones a report may name; rarer queries stay in the raw log until it is forgotten.
pub(crate) fn query_rows(week: NaiveDate, searches: &[RawSearch]) -> Vec<Vec<Value>> {
    let mut usage: BTreeMap<&str, QueryUsage> = BTreeMap::new();
    for search in searches {
        let Some(query) = search.query.as_deref() else {
            continue;
        };
        let entry = usage.entry(query).or_default();
        entry.searches += 1;
        entry.zero_results += u64::from(search.zero_results);
        entry.clicks += search.clicks;
        entry.people.extend(person_of(search));
    }
    usage
        .into_iter()
        .filter(|(_, usage)| usage.people.len() as u64 >= MIN_CELL)
        .map(|(query, usage)| {
            vec![
                week.into(),
                query.into(),
                big(usage.searches),
                big(usage.zero_results),
                big(usage.clicks),
                big(usage.people.len() as u64),
            ]
        })
        .collect()
}

pub(crate) const QUERY_COLUMNS: [&str; 6] = ["week", "query", "searches", "zero_results", "clicks", "people"];

/// The row of `insights_search_weekly`: how many distinct searchers the week had.
pub(crate) fn searchers_row(week: NaiveDate, searches: &[RawSearch]) -> Vec<Value> {
    let searchers: HashSet<&str> = searches
        .iter()
        .filter_map(|search| search.searcher.as_deref())
        .collect();
    vec![week.into(), big(searchers.len() as u64)]
}

pub(crate) const SEARCHER_COLUMNS: [&str; 2] = ["week", "searchers"];

pub(crate) fn person_of(search: &RawSearch) -> Option<Person> {
    let searcher = search.searcher.clone()?;
    Some((japan::week_starting(japan::date_of(search.searched_at)), searcher))
}

/// The texts of a week's searches with a query.
pub(crate) fn search_texts(searches: &[RawSearch]) -> Vec<Text<'_>> {
    searches
        .iter()
        .filter_map(|search| {
            Some(Text {
                text: Cow::Borrowed(search.query.as_deref()?),
                person: person_of(search),
            })
        })
        .collect()
}

/// The texts of a week's visible questions (title and body; the title alone without a
/// dictionary, which would make the whole body one term); a person is an author.
pub(crate) fn question_texts<'a>(
    week: NaiveDate,
    questions: &'a [QuestionFacts],
    analyzer: &TermAnalyzer,
) -> Vec<Text<'a>> {
    questions
        .iter()
        .filter(|question| question.status == PostStatus::Visible)
        .map(|question| Text {
            text: match analyzer.has_dictionary() {
                true => Cow::Owned(format!("{}\n{}", question.title, question.body)),
                false => Cow::Borrowed(question.title.as_str()),
            },
            person: question.author_key.map(|author| (week, author.to_string())),
        })
        .collect()
}
