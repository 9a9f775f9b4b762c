//! Program search in this process: its index (opened, rebuilt when missing or outdated, then
//! following the database) and the search log writer.

use kosodate_domain::error_chain;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use kosodate_database::retry_while_busy;
use kosodate_registry::Registry;
use kosodate_search::log::SearchLogEntry;
use kosodate_search::readings::load_readings;
use kosodate_search::{
    IndexFollower, Opened, Reader, SearchError, SearchIndex, SearchRequest, SearchResults, Suggestions,
};
use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::settings::Settings;

/// Searches waiting to be logged; beyond this the log drops entries rather than slow searches.
const LOG_QUEUE: usize = 10_000;
/// Entries written per statement.
const LOG_BATCH: usize = 500;
/// Programs indexed at start (a first start, a new schema) from which the index's segments are
/// merged into one before serving: searches then ask one segment instead of a dozen.
const BULK_BUILD: usize = 1_000;

/// What the HTTP handlers use. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Search {
    pub follower: IndexFollower,
    log: Option<mpsc::Sender<SearchLogEntry>>,
}

impl Search {
    /// Opens this process's index, brings it up to date with the registry before returning, and
    /// starts following the registry and writing the search log in the background.
    pub async fn start(settings: &Settings, registry: &Registry) -> anyhow::Result<Self> {
        let owned = settings.clone();
        // Building the reading dictionary the first time takes seconds: off the async workers.
        let index = Arc::new(tokio::task::spawn_blocking(move || open_index(&owned)).await??);
        if let Some(capacity) = settings.search.recent_answers {
            index.keep_recent_answers(capacity)?;
        }
        let follower = IndexFollower::new(registry.clone(), Arc::clone(&index));
        let started = Instant::now();
        let applied = follower.catch_up(|_| {}).await?;
        if applied.indexed >= BULK_BUILD {
            let bulk = Arc::clone(&index);
            let merged = tokio::task::spawn_blocking(move || bulk.compact()).await??;
            tracing::info!(merged, "search index segments merged after a bulk build");
        }
        tracing::info!(
            programs = index.len(),
            indexed = applied.indexed,
            removed = applied.removed,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index is up to date"
        );
        tokio::spawn(follower.clone().run(std::future::pending()));
        let log = (!settings.search.disable_log).then(|| {
            let (sender, receiver) = mpsc::channel(LOG_QUEUE);
            tokio::spawn(write_log(registry.connection().clone(), receiver));
            sender
        });
        Ok(Self { follower, log })
    }

    /// Runs a search off the async workers and logs it, with the searcher's day pseudonym when
    /// there is one. The search's id is what a click on a result refers to; `None` when the
    /// search is not logged (a later page, a query that looks like personal data, the log off).
    pub async fn search(
        &self,
        request: SearchRequest,
        searcher: Option<String>,
    ) -> Result<(SearchResults, Option<Uuid>), SearchError> {
        let index = Arc::clone(self.follower.index());
        let started = Instant::now();
        let (request, results) = tokio::task::spawn_blocking(move || {
            let results = index.search(&request);
            (request, results)
        })
        .await
        .map_err(|_| SearchError::Poisoned)?;
        let results = results?;
        metrics::histogram!("kosodate_search_seconds").record(started.elapsed().as_secs_f64());
        let search_id = self.log(&request, &results, searcher);
        Ok((results, search_id))
    }

    /// What to offer when a search found nothing, off the async workers. Not logged: the search
    /// that found nothing was.
    pub async fn suggest(&self, request: SearchRequest) -> Result<Suggestions, SearchError> {
        let index = Arc::clone(self.follower.index());
        tokio::task::spawn_blocking(move || index.suggest(&request))
            .await
            .map_err(|_| SearchError::Poisoned)?
    }

    fn log(
        &self,
        request: &SearchRequest,
        results: &SearchResults,
        searcher: Option<String>,
    ) -> Option<Uuid> {
        let sender = self.log.as_ref()?;
        let mut entry = SearchLogEntry::of(request, results.total, results.mode, Utc::now())?;
        entry.searcher = searcher;
        let id = entry.id;
        if sender.try_send(entry).is_err() {
            metrics::counter!("kosodate_search_log_dropped_total").increment(1);
            return None;
        }
        Some(id)
    }
}

/// The reading dictionary, when its sources are there; without it search works on the written
/// text alone, and says so once.
pub(crate) fn readings(settings: &Settings) -> Option<Arc<dyn Reader>> {
    let source = settings.search.ipadic_source();
    match load_readings(&source) {
        Ok(Some(morphology)) => Some(morphology),
        Ok(None) => {
            tracing::warn!(
                source = %source.display(),
                "no IPADIC sources: programs are not found by their reading (じどうてあて); run scripts/ensure-ipadic.sh"
            );
            None
        }
        Err(error) => {
            tracing::warn!(error = %error_chain(&error), "the reading dictionary could not be prepared; searching without readings");
            None
        }
    }
}

/// The index in the configured directory; one that another process holds means this process
/// keeps its own in memory.
fn open_index(settings: &Settings) -> anyhow::Result<SearchIndex> {
    let readings = readings(settings);
    if settings.search.in_memory {
        return Ok(SearchIndex::open(None, readings)?.0);
    }
    let directory = settings.search.index_dir(&settings.data_dir);
    match SearchIndex::open(Some(&directory), readings.clone()) {
        Ok((index, Opened::Existing)) => Ok(index),
        Ok((index, Opened::Empty)) => {
            tracing::info!(directory = %directory.display(), "building the search index from the database");
            Ok(index)
        }
        Err(SearchError::Locked) => {
            tracing::warn!(
                directory = %directory.display(),
                "another process holds this search index; keeping one in memory (set search.index_dir per process)"
            );
            Ok(SearchIndex::open(None, readings)?.0)
        }
        Err(error) => Err(error).context(format!("opening the search index in {}", directory.display())),
    }
}

/// Writes the search log in batches, so that a search never waits for the database. A batch that
/// meets a busy database (a long import on SQLite) is tried again; searches meanwhile wait in
/// the queue, and only a full queue drops entries.
async fn write_log(db: DatabaseConnection, mut receiver: mpsc::Receiver<SearchLogEntry>) {
    let mut batch = Vec::with_capacity(LOG_BATCH);
    while receiver.recv_many(&mut batch, LOG_BATCH).await > 0 {
        let written = retry_while_busy("writing the search log", || {
            kosodate_search::log::record(&db, &batch)
        })
        .await;
        if let Err(error) = written {
            tracing::warn!(error = %error_chain(&error), entries = batch.len(), "search log entries could not be written");
            metrics::counter!("kosodate_search_log_dropped_total").increment(batch.len() as u64);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        batch.clear();
    }
}
