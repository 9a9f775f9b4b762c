//! The records a request path names, read once for the JSON API and the pages alike. A segment
//! that is no id of its kind answers 404 naming the record in Japanese, exactly as an id that
//! names nothing does: a mistyped or truncated link never meets a framework's English 400, and
//! no handler parses an id of its own.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use kosodate_domain::ProgramId;
use kosodate_households::HouseholdId;
use uuid::Uuid;

use crate::error::ApiError;

/// A kind of record a path can name: its id type and what people call it.
pub trait PathRecord {
    type Id;
    /// 「イベント（ID: …）は見つかりません」
    const NAME_JA: &'static str;
    const NAME_EN: &'static str;
    fn parse(raw: &str) -> Option<Self::Id>;
}

/// The one record of kind `R` the path names (`/events/{id}`).
#[derive(Debug)]
pub struct RecordId<R: PathRecord>(pub R::Id);

/// Two records the path names, the first holding the second (`/questions/{question}/answers/{id}`).
#[derive(Debug)]
pub struct RecordIds<A: PathRecord, B: PathRecord>(pub A::Id, pub B::Id);

/// The 404 of a record that is not there, or of a path segment that cannot name one.
pub fn not_found<R: PathRecord>(raw: &str) -> ApiError {
    ApiError::not_found(
        format!("{}（ID: {raw}）は見つかりません", R::NAME_JA),
        format!("no {} {raw:?}", R::NAME_EN),
    )
}

/// One segment of a path that also names something else (a delivery beside its partner).
pub fn parse<R: PathRecord>(raw: &str) -> Result<R::Id, ApiError> {
    R::parse(raw).ok_or_else(|| not_found::<R>(raw))
}

impl<S: Send + Sync, R: PathRecord> FromRequestParts<S> for RecordId<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // The router only calls a handler whose pattern has this one segment; a rejection here
        // is a segment that is not UTF-8 once decoded, which names no record either.
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found::<R>(""))?;
        parse::<R>(&raw).map(Self)
    }
}

impl<S: Send + Sync, A: PathRecord, B: PathRecord> FromRequestParts<S> for RecordIds<A, B> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((first, second)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found::<A>(""))?;
        Ok(Self(parse::<A>(&first)?, parse::<B>(&second)?))
    }
}

macro_rules! uuid_records {
    ($($(#[$doc:meta])* $name:ident = $ja:literal, $en:literal;)+) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $name {}

        impl PathRecord for $name {
            type Id = Uuid;
            const NAME_JA: &'static str = $ja;
            const NAME_EN: &'static str = $en;

            fn parse(raw: &str) -> Option<Uuid> {
                Uuid::parse_str(raw).ok()
            }
        }
    )+};
}

uuid_records! {
    Place = "施設", "place";
    Event = "イベント", "event";
    Question = "質問", "question";
    Answer = "回答", "answer";
    /// A community member, by the account id the community knows them by.
    Member = "メンバー", "member";
    Partner = "連携アプリ", "partner";
    /// A search in the search log, whose result a click is recorded for.
    Search = "検索", "search";
    /// A spreadsheet a staff member uploaded, waiting for its import.
    StagedImport = "アップロードしたファイル", "staged import";
}

#[derive(Debug)]
pub enum Program {}

impl PathRecord for Program {
    type Id = ProgramId;
    const NAME_JA: &'static str = "制度";
    const NAME_EN: &'static str = "program";

    fn parse(raw: &str) -> Option<ProgramId> {
        ProgramId::parse(raw).ok()
    }
}

#[derive(Debug)]
pub enum Household {}

impl PathRecord for Household {
    type Id = HouseholdId;
    const NAME_JA: &'static str = "世帯";
    const NAME_EN: &'static str = "household";

    fn parse(raw: &str) -> Option<HouseholdId> {
        HouseholdId::parse(raw).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_that_is_no_id_is_not_found_by_name() {
        assert!(Event::parse("0193a5b2-7c1e-7000-8000-000000000001").is_some());
        assert!(Event::parse("0193a5b2").is_none());
        assert!(Program::parse("not-a-program").is_none());
        let problem = not_found::<Place>("xyz");
        assert_eq!(problem.status(), axum::http::StatusCode::NOT_FOUND);
        assert!(format!("{problem:?}").contains("xyz"), "{problem:?}");
    }
}
