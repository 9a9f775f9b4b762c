//! Disclosure control: what a count may say about people. A count under [`MIN_CELL`] is never
//! published, whatever the table; it is suppressed at the one place a count becomes a [`Cell`].

use serde::Serialize;

/// The smallest number of people (or events) a published cell may count.
pub const MIN_CELL: u64 = 10;

/// A published count: the number when it is at least [`MIN_CELL`], else only that it is small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    Count(u64),
    Suppressed,
}

impl Cell {
    /// The only way a count becomes publishable.
    pub fn of(count: u64) -> Self {
        match count >= MIN_CELL {
            true => Self::Count(count),
            false => Self::Suppressed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_under_ten_are_suppressed() {
        assert_eq!(Cell::of(0), Cell::Suppressed);
        assert_eq!(Cell::of(9), Cell::Suppressed);
        assert_eq!(Cell::of(10), Cell::Count(10));
    }
}
