//! A server's search index on disk, on both databases: it resumes from its watermark after a
//! restart, is rebuilt when it was built differently, is repaired by the full comparison when a
//! change slipped past the feed, and is never opened by two writers.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use kosodate_registry::{ProgramFilter, ProgramInput, ProgramStatus, Registry, StaffIdentity, Visibility};
use kosodate_search::{IndexFollower, Opened, Reader, SearchError, SearchIndex, SearchQuery, SearchRequest};
use kosodate_tests::{Backend, both_backends, test_settings};
use sea_orm::{ConnectionTrait, Statement};

both_backends!(an_index_on_disk_resumes_rebuilds_and_repairs);

fn names(index: &SearchIndex, text: &str) -> Vec<String> {
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
    let request = SearchRequest::new(SearchQuery::parse(text).ok(), today);
    let results = index.search(&request).expect("search");
    results.hits.iter().map(|hit| hit.program.name.clone()).collect()
}

fn open(directory: &Path, readings: Option<Arc<dyn Reader>>) -> (Arc<SearchIndex>, Opened) {
    let (index, opened) = SearchIndex::open(Some(directory), readings).expect("the index opens");
    (Arc::new(index), opened)
}

/// Another way of indexing readings: an index built with it is not this one.
#[derive(Debug)]
struct OtherDictionary;

impl Reader for OtherDictionary {
    fn dictionary(&self) -> String {
        "other-dictionary-1".into()
    }

    fn reading(&self, text: &str) -> String {
        kosodate_search::fold_kana(text)
    }
}

async fn an_index_on_disk_resumes_rebuilds_and_repairs(backend: Backend) {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let settings = test_settings(backend, data_dir.path()).await.expect("settings");
    let db = kosodate_server::startup::open_database(&settings)
        .await
        .expect("database");
    kosodate_server::startup::migrate(&db).await.expect("migrations");
    let registry = Registry::new(db.clone());
    registry.load_examples_if_empty().await.expect("examples");
    let published = registry
        .all_programs(
            &ProgramFilter {
                status: Some(ProgramStatus::Published),
                ..ProgramFilter::default()
            },
            Visibility::Public,
        )
        .await
        .expect("programs");
    let directory = data_dir.path().join("search-index");

    let (index, opened) = open(&directory, None);
    assert_eq!(opened, Opened::Empty);
    let applied = IndexFollower::new(registry.clone(), Arc::clone(&index))
        .catch_up(|_| {})
        .await
        .expect("catch up");
    assert_eq!(applied.indexed, published.len());
    assert!(matches!(
        SearchIndex::open(Some(&directory), None),
        Err(SearchError::Locked)
    ));
    drop(index);

    // While the server is down, one program changes and one is archived.
    let admin = StaffIdentity::administrator("test");
    let changed = published
        .iter()
        .find(|program| program.content.name == "子育て短期支援事業（ショートステイ）")
        .unwrap_or(&published[0]);
    let mut input = ProgramInput::from(changed.content.clone());
    input.name = "子育て短期支援事業（雪の日ショートステイ）".into();
    registry
        .update_program(&admin, changed.id, &input, None)
        .await
        .expect("update");
    let archived = published
        .iter()
        .find(|program| program.content.name == "児童手当")
        .expect("児童手当");
    registry
        .archive_program(&admin, archived.id)
        .await
        .expect("archive");

    let (index, opened) = open(&directory, None);
    assert_eq!(opened, Opened::Existing);
    assert_eq!(index.len(), published.len());
    let follower = IndexFollower::new(registry.clone(), Arc::clone(&index));
    let applied = follower.catch_up(|_| {}).await.expect("catch up");
    assert_eq!(
        (applied.indexed, applied.removed),
        (1, 1),
        "only what changed is read again"
    );
    assert!(names(&index, "雪の日ショートステイ").contains(&input.name));
    assert!(!names(&index, "児童手当").contains(&"児童手当".to_owned()));

    // A change whose timestamp lies before the watermark (a late commit) escapes the feed; the
    // full comparison finds it by its version.
    let late = published
        .iter()
        .find(|program| program.content.name == "3歳児健康診査")
        .expect("3歳児健康診査");
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        match backend {
            Backend::Postgres => {
                "UPDATE programs SET name = $1, version = version + 1, updated_at = $2 WHERE id = $3"
            }
            Backend::Sqlite => {
                "UPDATE programs SET name = ?, version = version + 1, updated_at = ? WHERE id = ?"
            }
        },
        [
            "3歳児健康診査（雪国版）".into(),
            (chrono::Utc::now() - chrono::TimeDelta::hours(1)).into(),
            late.id.to_string().into(),
        ],
    ))
    .await
    .expect("late change");
    assert!(!follower.catch_up(|_| {}).await.expect("catch up").changed());
    // An ordinary change the feed has not polled yet is the feed's, not a repair: the comparison
    // warns only of what the feed passed by.
    let recent = published
        .iter()
        .find(|program| program.content.name == "1歳6か月児健康診査")
        .expect("1歳6か月児健康診査");
    let mut recent_input = ProgramInput::from(recent.content.clone());
    recent_input.name = "1歳6か月児健康診査（吹雪の日は延期）".into();
    registry
        .update_program(&admin, recent.id, &recent_input, None)
        .await
        .expect("update");
    let repaired = follower.reconcile().await.expect("reconcile");
    assert_eq!((repaired.indexed, repaired.removed), (1, 0));
    assert!(names(&index, "雪国版").contains(&"3歳児健康診査（雪国版）".to_owned()));
    assert!(!names(&index, "吹雪の日").contains(&recent_input.name));
    let followed = follower.catch_up(|_| {}).await.expect("catch up");
    assert_eq!((followed.indexed, followed.removed), (1, 0));
    assert!(names(&index, "吹雪の日").contains(&recent_input.name));
    drop(follower);
    drop(index);

    // Built with another reading dictionary: emptied and rebuilt, never half-reused.
    let (index, opened) = open(&directory, Some(Arc::new(OtherDictionary)));
    assert_eq!(opened, Opened::Empty);
    assert!(index.is_empty());
    let rebuilt = IndexFollower::new(registry.clone(), Arc::clone(&index))
        .rebuild(|_| {})
        .await
        .expect("rebuild");
    assert_eq!(rebuilt.indexed, published.len() - 1);
    let parts = index.parts();
    let rebuilt_segments = index.segments();
    assert!(
        (1..=parts).contains(&rebuilt_segments),
        "a rebuild leaves a segment per search thread at most: {rebuilt_segments} for {parts}"
    );

    // Later commits add segments; merging them changes no answer and keeps the watermark.
    let watermark = Some(chrono::Utc::now());
    for program in published
        .iter()
        .filter(|program| program.id != archived.id)
        .take(2)
    {
        index.upsert([program]).expect("upsert");
        index.commit(watermark).expect("commit");
    }
    // Each commit adds a segment (a rebuilt segment whose every program was replaced goes).
    assert!(index.segments() > rebuilt_segments);
    let before = names(&index, "手当");
    assert!(!before.is_empty());
    assert!(index.compact().expect("compact") >= 2);
    assert!(
        index.segments() <= parts,
        "{} segments for {parts} parts",
        index.segments()
    );
    let stores = std::fs::read_dir(&directory)
        .expect("the index directory")
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .path()
                .extension()
                .is_some_and(|extension| extension == "store")
        })
        .count();
    assert_eq!(stores, index.segments(), "the merged segments' files are gone");
    assert_eq!(
        index.compact().expect("compact again"),
        0,
        "nothing left to merge"
    );
    assert_eq!(names(&index, "手当"), before);
    assert_eq!(index.len(), published.len() - 1);
    drop(index);
    let (index, opened) = open(&directory, Some(Arc::new(OtherDictionary)));
    assert_eq!(opened, Opened::Existing, "the merge kept the commit's manifest");
    assert_eq!(index.manifest().watermark, watermark);
    assert_eq!(names(&index, "手当"), before);

    // An answer kept for a repeated search is not given once the index has changed.
    assert_eq!(names(&index, "手当"), before, "asked again");
    let withdrawn = published
        .iter()
        .find(|program| program.content.name == before[0])
        .expect("a found program");
    index.remove([withdrawn.id]).expect("remove");
    index.commit(watermark).expect("commit");
    let after = names(&index, "手当");
    assert!(!after.contains(&before[0]), "{after:?}");
}
