//! How many consenting households a program's rule would reach before it is saved: the editor's
//! preview evaluates a draft rule over the households of the program's area, the way a run
//! would, and returns only the number (staff are shown it as a count of at least 10, never a
//! household).

use chrono::NaiveDate;
use kosodate_households::Households;
use kosodate_households::population::{PageScope, consenting_page};
use kosodate_matcher::{Area, PreparedHousehold, ProgramRule, Truth};

use crate::error::MatchingError;

/// Households read per page: the runner's batch size.
const PAGE: u64 = 2_000;

/// The consenting households in the rule's area for which the rule holds on `today` (an unknown
/// answer is not counted: the household may well not be eligible).
pub async fn eligible_households(
    households: &Households,
    rule: &ProgramRule,
    today: NaiveDate,
) -> Result<u64, MatchingError> {
    let municipalities = match rule.area {
        Area::Municipality(code) => Some(vec![code]),
        Area::National | Area::Prefecture(_) => None,
    };
    let mut after: Option<String> = None;
    let mut eligible = 0;
    loop {
        let scope = PageScope {
            municipalities: municipalities.as_deref(),
            ..PageScope::default()
        };
        let page = consenting_page(households.connection(), after.as_deref(), PAGE, scope).await?;
        eligible += page
            .households
            .iter()
            .map(|stored| PreparedHousehold::new(&stored.household))
            .filter(|household| rule.evaluate(household, today).truth == Truth::True)
            .count() as u64;
        if !page.full {
            return Ok(eligible);
        }
        after = page.last_read;
    }
}
