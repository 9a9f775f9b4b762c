//! The relevance set against the example programs, for every analysis the index can use and for
//! SQL `LIKE`: the chosen one (two-character pieces plus IPADIC readings) must find what parents
//! look for and do clearly better than `LIKE`. Prints the figures and every miss, so a ranking
//! change shows its cost. Needs the IPADIC sources (`scripts/ensure-ipadic.sh`, run by
//! `scripts/test`).

#![allow(clippy::print_stdout)] // the relevance figures and misses are the point of this test

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use kosodate_domain::MunicipalityCode;
use kosodate_registry::Program;
use kosodate_search::readings::load_readings;
use kosodate_search::{Bigrams, Reader, SearchIndex, SearchQuery, SearchRequest, TextAnalysis};
use kosodate_tests::relevance::{
    RelevanceQuery, Scores, example_registry, judge, label, like_ranking, load_queries,
};

fn ranking(index: &SearchIndex, query: &RelevanceQuery) -> Vec<String> {
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
    let mut request = SearchRequest::new(SearchQuery::parse(&query.q).ok(), today);
    request.municipality = query
        .municipality
        .as_deref()
        .and_then(|code| MunicipalityCode::parse(code).ok());
    request.limit = 20;
    let results = index.search(&request).expect("the search runs");
    results
        .hits
        .iter()
        .map(|hit| label(&hit.program.owner.as_key(), &hit.program.name))
        .collect()
}

fn report(name: &str, scores: &Scores) {
    println!(
        "{name}: recall@5 {:.3}, MRR {:.3} over {} queries",
        scores.recall_at_5,
        scores.mrr,
        scores.judged.len()
    );
    for miss in scores.misses() {
        println!(
            "  miss {:?} (rank {:?}): expected {:?}, got {:?}",
            miss.query.q, miss.first_relevant, miss.query.expect, miss.top
        );
    }
}

fn score(
    programs: &[Program],
    queries: &[RelevanceQuery],
    readings: Option<Arc<dyn Reader>>,
    analysis: Arc<dyn TextAnalysis>,
) -> Scores {
    let (index, _) = SearchIndex::open_with(None, readings, analysis).expect("an index in memory");
    index.upsert(programs).expect("programs index");
    index.commit(None).expect("commit");
    Scores::new(
        queries
            .iter()
            .map(|query| judge(query, ranking(&index, query)))
            .collect(),
    )
}

#[tokio::test]
async fn the_index_finds_what_parents_look_for_and_beats_like() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let (registry, programs) = example_registry(directory.path())
        .await
        .expect("example registry");
    let queries = load_queries().expect("the relevance set parses");
    assert!(queries.len() >= 50);
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/mecab-ipadic-utf8");
    let ipadic = load_readings(&source)
        .expect("the dictionary builds")
        .expect("IPADIC sources are missing: run scripts/ensure-ipadic.sh");

    let bigrams = score(&programs, &queries, None, Arc::new(Bigrams));
    report("bigrams", &bigrams);
    let chosen = score(&programs, &queries, Some(ipadic.clone()), Arc::new(Bigrams));
    report("bigrams + readings (chosen)", &chosen);
    let morphemes = score(&programs, &queries, None, ipadic.clone());
    report("IPADIC morphemes", &morphemes);
    let both = score(&programs, &queries, Some(ipadic.clone()), ipadic);
    report("IPADIC morphemes + readings", &both);

    let mut judged = Vec::new();
    for query in &queries {
        judged.push(judge(
            query,
            like_ranking(registry.connection(), query)
                .await
                .expect("LIKE runs"),
        ));
    }
    let like = Scores::new(judged);
    report("SQL LIKE baseline", &like);

    assert!(chosen.recall_at_5 >= 0.95, "recall@5 {:.3}", chosen.recall_at_5);
    assert!(chosen.mrr >= 0.9, "MRR {:.3}", chosen.mrr);
    assert!(
        bigrams.recall_at_5 >= 0.9,
        "without a dictionary, recall@5 {:.3}",
        bigrams.recall_at_5
    );
    assert!(
        chosen.mrr > like.mrr + 0.2,
        "search {:.3} vs LIKE {:.3}",
        chosen.mrr,
        like.mrr
    );
}
