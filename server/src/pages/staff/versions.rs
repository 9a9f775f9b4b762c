//! What the history pages of programs, places and events share (`staff/history.html`): every
//! version, newest first, with what was done, by whom and when; two selects of a plain GET form
//! choosing the versions to compare; and the fields that differ between them, each record
//! described field by field in its form's words by its own editor.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use kosodate_domain::{MunicipalityCode, Vocabulary, japan};
use kosodate_places::RecordVersion;
use serde::Deserialize;

use crate::error::ApiError;
use crate::pages::staff::StaffChrome;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow {
    pub label: &'static str,
    pub before: String,
    pub after: String,
}

/// The fields that differ between two descriptions of one kind of record, in their order.
pub fn differences(before: Vec<(&'static str, String)>, after: Vec<(&'static str, String)>) -> Vec<DiffRow> {
    debug_assert_eq!(
        before.len(),
        after.len(),
        "one kind of record, one list of fields"
    );
    before
        .into_iter()
        .zip(after)
        .filter(|((_, before), (_, after))| before != after)
        .map(|((label, before), (_, after))| DiffRow { label, before, after })
        .collect()
}

/// One version in the list.
#[derive(Debug)]
pub struct VersionRow {
    pub version: i32,
    pub action: &'static str,
    pub actor: String,
    pub at: String,
}

impl VersionRow {
    /// A version without an actor is the one history began with.
    pub fn new(version: i32, action: &'static str, actor: Option<&str>, recorded_at: DateTime<Utc>) -> Self {
        Self {
            version,
            action,
            actor: actor.unwrap_or("（記録なし）").to_owned(),
            at: format!(
                "{} {}",
                japan::format_date_with_weekday(japan::date_of(recorded_at)),
                japan::local(recorded_at).format("%H:%M")
            ),
        }
    }
}

/// The two versions asked for (`?from=…&to=…`).
#[derive(Debug, Deserialize)]
pub struct Compare {
    from: Option<i32>,
    to: Option<i32>,
}

impl Compare {
    /// The versions to compare among `numbers` (ascending): those asked for when they exist,
    /// else the latest and the one before it.
    pub fn chosen(&self, numbers: &[i32]) -> (i32, i32) {
        let exists = |number: &i32| numbers.contains(number);
        let latest = numbers.last().copied().unwrap_or(1);
        let to = self.to.filter(exists).unwrap_or(latest);
        let before_to = numbers
            .iter()
            .rev()
            .find(|number| **number < to)
            .copied()
            .unwrap_or(to);
        let from = self.from.filter(exists).unwrap_or(before_to);
        (from, to)
    }
}

/// The history page of one record.
#[derive(Template)]
#[template(path = "staff/history.html")]
pub struct HistoryPage {
    pub chrome: StaffChrome,
    /// The record's name, in the title.
    pub name: String,
    /// The record's editor, to go back to.
    pub editor: String,
    /// This page, where the compare form goes.
    pub path: String,
    /// Newest first.
    pub versions: Vec<VersionRow>,
    pub from: i32,
    pub to: i32,
    pub differences: Vec<DiffRow>,
}

/// A place's or an event's history page.
pub struct RecordHistory<'a, C> {
    /// Oldest first, as the places crate reads them.
    pub versions: &'a [RecordVersion<C>],
    pub compare: Compare,
    /// The staff navigation's section.
    pub section: &'static str,
    /// `/staff/places/{id}` or `/staff/events/{id}`.
    pub base: String,
    pub name: String,
}

impl<C> RecordHistory<'_, C> {
    /// The two versions compared (from, to); none for a record without versions.
    fn chosen(&self) -> Option<(&RecordVersion<C>, &RecordVersion<C>)> {
        let numbers: Vec<i32> = self.versions.iter().map(|version| version.version).collect();
        let (from, to) = self.compare.chosen(&numbers);
        let find = |number: i32| self.versions.iter().find(|version| version.version == number);
        find(from).zip(find(to))
    }

    /// The page, each compared version described by `describe`.
    pub async fn render(
        self,
        state: &AppState,
        staff: &SignedInStaff,
        describe: impl Fn(&C) -> Vec<(&'static str, String)>,
    ) -> Response {
        let chosen = self.chosen();
        let (from, to) = chosen.map_or((0, 0), |(from, to)| (from.version, to.version));
        let differences = chosen
            .map(|(from, to)| differences(describe(&from.content), describe(&to.content)))
            .unwrap_or_default();
        let page = HistoryPage {
            chrome: StaffChrome::load(state, staff, self.section).await,
            name: self.name.clone(),
            editor: format!("{}/edit", self.base),
            path: format!("{}/history", self.base),
            versions: self
                .versions
                .iter()
                .rev()
                .map(|version| {
                    VersionRow::new(
                        version.version,
                        version.action.label_ja(),
                        version.actor.as_deref(),
                        version.recorded_at,
                    )
                })
                .collect(),
            from,
            to,
            differences,
        };
        crate::pages::html(StatusCode::OK, &page)
    }
}

/// The names of the organisations among `codes`, for describing an owner.
pub async fn organisation_names(
    state: &AppState,
    codes: &[MunicipalityCode],
) -> Result<HashMap<MunicipalityCode, String>, ApiError> {
    let mut names = HashMap::new();
    for &code in codes {
        if let Entry::Vacant(slot) = names.entry(code) {
            slot.insert(state.registry.municipality(code).await?.name);
        }
    }
    Ok(names)
}

/// Optional text, empty when absent.
pub fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compare(from: Option<i32>, to: Option<i32>) -> Compare {
        Compare { from, to }
    }

    #[test]
    fn the_latest_two_unless_others_exist() {
        let numbers = [3, 4, 5, 6];
        assert_eq!(compare(None, None).chosen(&numbers), (5, 6));
        assert_eq!(compare(Some(3), Some(5)).chosen(&numbers), (3, 5));
        assert_eq!(
            compare(Some(1), Some(4)).chosen(&numbers),
            (3, 4),
            "no version 1 kept"
        );
        assert_eq!(compare(None, Some(99)).chosen(&numbers), (5, 6));
        assert_eq!(
            compare(None, Some(3)).chosen(&numbers),
            (3, 3),
            "nothing before the first"
        );
        assert_eq!(compare(None, None).chosen(&[1]), (1, 1));
    }

    #[test]
    fn only_fields_that_differ() {
        let rows = differences(
            vec![("名称", "A".into()), ("住所", "x".into())],
            vec![("名称", "A".into()), ("住所", "y".into())],
        );
        assert_eq!(
            rows,
            [DiffRow {
                label: "住所",
                before: "x".into(),
                after: "y".into()
            }]
        );
    }
}
