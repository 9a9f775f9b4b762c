//! What the link checker saw at each URL a published program names. A URL counts as broken after
//! [`BROKEN_AFTER_FAILURES`] failed checks in a row (so that a blip does not flag it) and is
//! cleared by the first check that succeeds. Fetching is the server's; this stores and reads.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entity::link_check;
use crate::error::RegistryError;
use crate::model::Program;
use crate::store::{ProgramFilter, Registry, Visibility};

pub const BROKEN_AFTER_FAILURES: i32 = 2;

/// How one check of a URL ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStatus {
    /// The HTTP status of the final answer; `None` when nothing answered.
    pub status: Option<u16>,
    /// Why the check failed, in a few words (a timeout, a refused connection, "HTTP 404").
    pub error: Option<String>,
}

impl LinkStatus {
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}

/// A URL's stored state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkState {
    pub url: String,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub last_checked_at: DateTime<Utc>,
    pub consecutive_failures: i32,
    pub broken_since: Option<DateTime<Utc>>,
}

impl LinkState {
    pub fn is_broken(&self) -> bool {
        self.broken_since.is_some()
    }
}

impl Program {
    /// Every URL the program names for people to follow: its source, its contact page and each
    /// application method's page, once each.
    pub fn urls(&self) -> Vec<String> {
        let content = &self.content;
        let urls: BTreeSet<&String> = content
            .source_url
            .iter()
            .chain(&content.contact.url)
            .chain(
                content
                    .application_methods
                    .iter()
                    .filter_map(|method| method.url.as_ref()),
            )
            .collect();
        urls.into_iter().cloned().collect()
    }
}

impl Registry {
    /// The URLs of every published program, each once.
    pub async fn urls_to_check(&self) -> Result<BTreeSet<String>, RegistryError> {
        let programs = self
            .all_programs(&ProgramFilter::default(), Visibility::Public)
            .await?;
        Ok(programs.iter().flat_map(Program::urls).collect())
    }

    /// Stores one check's result and returns the URL's new state.
    pub async fn record_link_check(
        &self,
        url: &str,
        result: &LinkStatus,
        now: DateTime<Utc>,
    ) -> Result<LinkState, RegistryError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let previous = link_check::Entity::find_by_id(url.to_owned()).one(&txn).await?;
        let state = next_state(previous.map(state_from_row), url, result, now);
        let row = link_check::ActiveModel {
            url: Set(state.url.clone()),
            last_status: Set(state.last_status.and_then(|status| i16::try_from(status).ok())),
            last_error: Set(state.last_error.clone()),
            last_checked_at: Set(state.last_checked_at),
            consecutive_failures: Set(state.consecutive_failures),
            broken_since: Set(state.broken_since),
        };
        link_check::Entity::insert(row)
            .on_conflict(
                OnConflict::column(link_check::Column::Url)
                    .update_columns([
                        link_check::Column::LastStatus,
                        link_check::Column::LastError,
                        link_check::Column::LastCheckedAt,
                        link_check::Column::ConsecutiveFailures,
                        link_check::Column::BrokenSince,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(state)
    }

    /// The stored state of each of `urls` that was checked.
    pub async fn link_states(
        &self,
        urls: impl IntoIterator<Item = String>,
    ) -> Result<BTreeMap<String, LinkState>, RegistryError> {
        link_states(&self.db, urls).await
    }
}

pub(crate) async fn link_states(
    db: &impl ConnectionTrait,
    urls: impl IntoIterator<Item = String>,
) -> Result<BTreeMap<String, LinkState>, RegistryError> {
    let urls: Vec<String> = urls.into_iter().collect();
    let mut states = BTreeMap::new();
    for chunk in urls.chunks(500) {
        let rows = link_check::Entity::find()
            .filter(link_check::Column::Url.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        states.extend(rows.into_iter().map(|row| (row.url.clone(), state_from_row(row))));
    }
    Ok(states)
}

fn next_state(previous: Option<LinkState>, url: &str, result: &LinkStatus, now: DateTime<Utc>) -> LinkState {
    let failures = match result.is_ok() {
        true => 0,
        false => {
            previous
                .as_ref()
                .map_or(0, |previous| previous.consecutive_failures)
                + 1
        }
    };
    let broken_since = (failures >= BROKEN_AFTER_FAILURES)
        .then(|| previous.and_then(|previous| previous.broken_since).unwrap_or(now));
    LinkState {
        url: url.to_owned(),
        last_status: result.status,
        last_error: result.error.clone(),
        last_checked_at: now,
        consecutive_failures: failures,
        broken_since,
    }
}

fn state_from_row(row: link_check::Model) -> LinkState {
    LinkState {
        url: row.url,
        last_status: row.last_status.and_then(|status| u16::try_from(status).ok()),
        last_error: row.last_error,
        last_checked_at: row.last_checked_at,
        consecutive_failures: row.consecutive_failures,
        broken_since: row.broken_since,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> LinkStatus {
        LinkStatus {
            status: Some(404),
            error: Some("HTTP 404".into()),
        }
    }

    #[test]
    fn one_failure_is_a_blip_two_are_broken_and_a_success_clears() {
        let now = Utc::now();
        let first = next_state(None, "https://a.example/", &failed(), now);
        assert!(!first.is_broken());
        let second = next_state(Some(first), "https://a.example/", &failed(), now);
        assert_eq!(second.broken_since, Some(now));
        let later = now + chrono::Duration::hours(1);
        let third = next_state(Some(second), "https://a.example/", &failed(), later);
        assert_eq!(third.broken_since, Some(now), "broken since the second failure");
        let ok = LinkStatus {
            status: Some(200),
            error: None,
        };
        let cleared = next_state(Some(third), "https://a.example/", &ok, later);
        assert_eq!((cleared.consecutive_failures, cleared.is_broken()), (0, false));
    }
}
