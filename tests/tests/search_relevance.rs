//! The relevance set against the example programs: the search must find what parents look for,
//! and do clearly better than SQL `LIKE`. Prints every miss, so a ranking change shows its cost.

#![allow(clippy::print_stdout)] // the relevance figures and misses are the point of this test
use chrono::NaiveDate;
use kosodate_domain::MunicipalityCode;
use kosodate_search::{SearchIndex, SearchQuery, SearchRequest};
use kosodate_tests::relevance::{
    RelevanceQuery, Scores, example_registry, judge, label, like_ranking, load_queries,
};

fn ranking(index: &SearchIndex, query: &RelevanceQuery) -> Vec<String> {
    let mut request = SearchRequest::new(
        SearchQuery::parse(&query.q).ok(),
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default(),
    );
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

#[tokio::test]
async fn the_index_finds_what_parents_look_for_and_beats_like() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let (registry, programs) = example_registry(directory.path())
        .await
        .expect("example registry");
    let queries = load_queries().expect("the relevance set parses");
    assert!(queries.len() >= 50);

    let (index, _) = SearchIndex::open(None, None).expect("an index in memory");
    index.upsert(&programs).expect("programs index");
    index.commit(None).expect("commit");
    let search = Scores::new(
        queries
            .iter()
            .map(|query| judge(query, ranking(&index, query)))
            .collect(),
    );
    report("search (bigrams)", &search);

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

    assert!(search.recall_at_5 >= 0.9, "recall@5 {:.3}", search.recall_at_5);
    assert!(search.mrr >= 0.8, "MRR {:.3}", search.mrr);
    assert!(
        search.mrr > like.mrr + 0.2,
        "search {:.3} vs LIKE {:.3}",
        search.mrr,
        like.mrr
    );
}
