//! The one pagination scheme of the API: keyset pagination with an opaque cursor. A page never
//! skips or repeats an item when others are added meanwhile, and its cost does not grow with depth.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageRequest {
    /// How many items to return: 1 to 500, default 50 (more counts as 500, 0 as 1).
    #[param(schema_with = limit_schema)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = cursor_schema)]
    pub cursor: Option<String>,
}

/// A page size: any whole number is taken, and brought within the list's own bounds.
pub fn limit_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .maximum(Some(u64::MAX))
        .build()
}

/// The name of this API's cursor format, `page-cursor`: what a `next_cursor` holds (unpadded
/// base64url of UTF-8 text). Tools that generate requests learn to make one from it.
pub const CURSOR_FORMAT: &str = "page-cursor";

pub fn cursor_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom(CURSOR_FORMAT.to_owned())))
        .pattern(Some("^[A-Za-z0-9_-]*$"))
        .build()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid page cursor")]
pub struct InvalidCursor;

impl PageRequest {
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The key after which this page starts, if any.
    pub fn after(&self) -> Result<Option<String>, InvalidCursor> {
        let Some(cursor) = self.cursor.as_deref().filter(|cursor| !cursor.is_empty()) else {
            return Ok(None);
        };
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| InvalidCursor)?;
        let key = String::from_utf8(bytes).map_err(|_| InvalidCursor)?;
        // No key this API hands out holds a control character; PostgreSQL refuses U+0000 in a
        // query parameter outright.
        match key.chars().any(char::is_control) {
            true => Err(InvalidCursor),
            false => Ok(Some(key)),
        }
    }
}

/// One page of a list, and the cursor of the next page when there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched items: the extra one only says that there is
    /// a next page.
    pub fn from_overfetch(mut items: Vec<T>, limit: u64, key: impl Fn(&T) -> String) -> Self {
        let has_more = items.len() as u64 > limit;
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_cursor = match has_more {
            true => items.last().map(|last| URL_SAFE_NO_PAD.encode(key(last))),
            false => None,
        };
        Self { items, next_cursor }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, [1, 2]);
        let request = PageRequest {
            limit: Some(2),
            cursor: page.next_cursor,
        };
        assert_eq!(request.after().unwrap().as_deref(), Some("2"));
        let last = Page::from_overfetch(vec![3], 2, |n| n.to_string());
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn limit_is_clamped_and_bad_cursor_rejected() {
        assert_eq!(
            PageRequest {
                limit: Some(0),
                cursor: None
            }
            .limit(),
            1
        );
        assert_eq!(
            PageRequest {
                limit: Some(10_000),
                cursor: None
            }
            .limit(),
            MAX_LIMIT
        );
        assert!(
            PageRequest {
                limit: None,
                cursor: Some("!!".into())
            }
            .after()
            .is_err()
        );
    }

    #[test]
    fn a_cursor_holding_a_control_character_is_rejected() {
        // Found by schemathesis: PostgreSQL answered such a key with an error (a 500).
        let request = PageRequest {
            limit: None,
            cursor: Some(URL_SAFE_NO_PAD.encode("02\u{0}2012")),
        };
        assert_eq!(request.after(), Err(InvalidCursor));
    }
}
