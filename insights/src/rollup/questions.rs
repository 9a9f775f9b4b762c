//! Community questions of one day: volumes per category, municipality, region and age band, how
//! many no program relates to, and how many days each waited for its first answer (-1: none
//! yet). Answers come after the day, so a day is rolled up again each day for
//! [`ANSWERS_SETTLE_DAYS`], then once more and never again. Questions staff hid are not counted:
//! moderation hides spam and abuse, not needs.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use kosodate_community::{PostStatus, QuestionFacts};
use kosodate_domain::Vocabulary;
use sea_orm::Value;
use uuid::Uuid;

use super::searches::big;

/// Days after which a question's first answer no longer changes the roll-up of its day: "waited
/// more than N days" is answered exactly for N below it.
pub(crate) const ANSWERS_SETTLE_DAYS: u64 = 31;
/// Longer waits are counted as this many days.
const LONGEST_WAIT_DAYS: i64 = 61;

pub(crate) fn counted(question: &QuestionFacts) -> bool {
    question.status != PostStatus::Hidden
}

#[derive(Debug, Default)]
struct Volume {
    questions: u64,
    without_program: u64,
    authors: HashSet<Uuid>,
}

/// Rows of `insights_question_daily` for `day`.
pub(crate) fn volumes(day: NaiveDate, questions: &[QuestionFacts]) -> Vec<Vec<Value>> {
    let mut volumes: BTreeMap<(&str, String, &str, &str), Volume> = BTreeMap::new();
    for question in questions.iter().filter(|question| counted(question)) {
        let key = (
            question.category.id(),
            question
                .municipality
                .map(|code| code.to_string())
                .unwrap_or_default(),
            question.region.map(Vocabulary::label_ja).unwrap_or_default(),
            question.age_band.map(Vocabulary::id).unwrap_or_default(),
        );
        let volume = volumes.entry(key).or_default();
        volume.questions += 1;
        volume.without_program += u64::from(question.related_program_count == Some(0));
        volume.authors.extend(question.author_key);
    }
    volumes
        .into_iter()
        .map(|((category, municipality, region, age_band), volume)| {
            vec![
                day.into(),
                category.into(),
                municipality.into(),
                region.into(),
                age_band.into(),
                big(volume.questions),
                big(volume.without_program),
                big(volume.authors.len() as u64),
            ]
        })
        .collect()
}

pub(crate) const VOLUME_COLUMNS: [&str; 8] = [
    "day",
    "category",
    "municipality",
    "region",
    "age_band",
    "questions",
    "without_program",
    "authors",
];

/// Rows of `insights_question_answers` for `day`: questions per category and days waited.
pub(crate) fn answers(day: NaiveDate, questions: &[QuestionFacts]) -> Vec<Vec<Value>> {
    let mut waits: BTreeMap<(&str, i64), u64> = BTreeMap::new();
    for question in questions.iter().filter(|question| counted(question)) {
        let waited = match question.first_answered_at {
            None => -1,
            Some(answered) => (answered - question.created_at)
                .num_days()
                .clamp(0, LONGEST_WAIT_DAYS),
        };
        *waits.entry((question.category.id(), waited)).or_default() += 1;
    }
    waits
        .into_iter()
        .map(|((category, waited), questions)| {
            vec![
                day.into(),
                category.into(),
                i32::try_from(waited).unwrap_or(-1).into(),
                big(questions),
            ]
        })
        .collect()
}

pub(crate) const ANSWER_COLUMNS: [&str; 4] = ["day", "category", "answered_after_days", "questions"];
