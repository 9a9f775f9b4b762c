//! The question index with the IPADIC dictionary, as the server runs it: a draft written as
//! sentences is cut into its content words as program search cuts queries, and finds the
//! questions that say the same thing otherwise. Needs the sources `scripts/ensure-ipadic.sh`
//! prepares.

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use kosodate_community::{IndexedQuestion, QuestionIndex};
use kosodate_search::Reader;
use kosodate_search::readings::load_readings;
use uuid::Uuid;

const QUESTIONS: [(u128, &str, &str, &str); 8] = [
    (
        1,
        "夜泣きで眠れません",
        "生後8か月の息子が毎晩2時間おきに起きます。",
        "infant",
    ),
    (
        2,
        "保育園に入れませんでした",
        "4月入園の一次選考で落ちました。",
        "childcare_education",
    ),
    (
        3,
        "離乳食を食べてくれない",
        "7か月です。おかゆを嫌がります。",
        "infant",
    ),
    (
        4,
        "児童手当の申請はいつまで",
        "引っ越したときの手続きを知りたいです。",
        "money",
    ),
    (
        5,
        "一時預かりの使い方",
        "保育園に入れない間、一時預かりを使っている方はいますか。",
        "childcare_education",
    ),
    (
        6,
        "寝かしつけのコツ",
        "夜泣きとは違いますが、なかなか寝ません。",
        "infant",
    ),
    (
        7,
        "夜中の発熱、どこに相談？",
        "休日の夜に子どもが熱を出したときの相談先を知りたいです。",
        "medical",
    ),
    (
        8,
        "育休明けの職場復帰",
        "保育園の慣らし保育と仕事の両立が不安です。",
        "work",
    ),
];

fn index() -> QuestionIndex {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/mecab-ipadic-utf8");
    let readings = load_readings(&source)
        .expect("the dictionary builds")
        .expect("IPADIC sources are missing: run scripts/ensure-ipadic.sh");
    let index =
        QuestionIndex::open_with(None, Some(readings as Arc<dyn Reader>)).expect("an index in memory");
    let questions: Vec<IndexedQuestion> = QUESTIONS
        .iter()
        .map(|&(number, title, body, category)| IndexedQuestion {
            id: Uuid::from_u128(number),
            title: title.to_owned(),
            body: body.to_owned(),
            category: category.to_owned(),
            municipality: None,
            visible: true,
            updated_at: Utc.timestamp_opt(1_760_000_000, 0).single().expect("a time"),
        })
        .collect();
    index.upsert(&questions).expect("questions are indexed");
    index
}

fn first_found(index: &QuestionIndex, draft: &str) -> Option<u128> {
    let found = index.similar(draft, 3).expect("similar questions");
    found.first().map(|hit| hit.id.as_u128())
}

#[test]
fn drafts_written_as_sentences_find_their_questions() {
    let index = index();
    for (draft, expected) in [
        ("夜泣きがひどい", 1),
        ("毎晩の夜泣きがひどくて眠れない", 1),
        ("保育園に入れない", 2),
        ("離乳食をぜんぜん食べてくれません", 3),
        ("児童手当の申請を忘れていました", 4),
        ("子どもが夜に熱を出したらどこに相談すればいい？", 7),
        ("育休から職場に復帰するのが不安", 8),
    ] {
        assert_eq!(first_found(&index, draft), Some(expected), "{draft}");
    }
}
