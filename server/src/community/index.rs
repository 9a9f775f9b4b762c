//! This process's index of community questions, following the database like program search
//! does (`crate::search`): opened under the data directory beside the program index (or kept in
//! memory), brought up to date before the server answers, then a poll every 500 ms, soon after a
//! post through this process (paced by [`kosodate_search::Wake`]), re-reading 30 s before the
//! watermark stored in the index's last commit (late commits and clock skew cost a re-read, never
//! a lost question).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kosodate_community::similar::{QuestionIndex, SimilarQuestion};
use kosodate_community::{Community, CommunityError, QuestionFeedPosition};
use kosodate_domain::error_chain;
use kosodate_search::Wake;

use crate::settings::Settings;

/// How far before the watermark each round reads again.
const OVERLAP: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
/// Questions read per round trip.
const BATCH: u64 = 500;

/// The index and its follower. Cheap to clone.
#[derive(Clone)]
pub struct QuestionSearch {
    index: Arc<QuestionIndex>,
    community: Community,
    wake: Arc<Wake>,
}

impl std::fmt::Debug for QuestionSearch {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("QuestionSearch").finish_non_exhaustive()
    }
}

impl QuestionSearch {
    /// Opens the index, catches up with the database, and follows it in the background.
    pub async fn start(settings: &Settings, community: Community) -> anyhow::Result<Self> {
        let directory = (!settings.search.in_memory).then(|| directory(settings));
        let index = tokio::task::spawn_blocking(move || open(directory)).await??;
        let search = Self {
            index: Arc::new(index),
            community,
            wake: Arc::new(Wake::default()),
        };
        let indexed = search.catch_up().await?;
        tracing::info!(indexed, "community question index is up to date");
        tokio::spawn(search.clone().follow());
        Ok(search)
    }

    /// Something was just posted here: look soon rather than at the next poll.
    pub fn nudge(&self) {
        self.wake.nudge();
    }

    /// Reads what changed since the watermark into the index; returns how many questions changed it.
    pub async fn catch_up(&self) -> Result<usize, CommunityError> {
        let mut after = self.index.watermark().map(|mark| QuestionFeedPosition {
            updated_at: mark - OVERLAP,
            id: None,
        });
        let mut total = 0;
        loop {
            let batch = self.community.questions_changed_after(after, BATCH).await?;
            let Some(last) = batch.last().map(|question| QuestionFeedPosition {
                updated_at: question.updated_at,
                id: Some(question.id),
            }) else {
                return Ok(total);
            };
            let index = Arc::clone(&self.index);
            let count = batch.len();
            total += tokio::task::spawn_blocking(move || index.upsert(&batch))
                .await
                .map_err(|_| CommunityError::Corrupt("the index task failed".into()))??;
            if (count as u64) < BATCH {
                return Ok(total);
            }
            after = Some(last);
        }
    }

    async fn follow(self) {
        loop {
            let look = tokio::time::Instant::now();
            if let Err(error) = self.catch_up().await {
                tracing::warn!(error = %error_chain(&error), "the community index could not follow the database");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            self.wake.next_look(look).await;
        }
    }

    /// Questions like `text`, best first, off the async workers.
    pub async fn similar(&self, text: String, limit: usize) -> Result<Vec<SimilarQuestion>, CommunityError> {
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || index.similar(&text, limit))
            .await
            .map_err(|_| CommunityError::Corrupt("the index task failed".into()))?
    }

    /// A page of questions found by `text`, with the total, off the async workers.
    pub async fn search(
        &self,
        text: String,
        category: Option<&'static str>,
        limit: usize,
        offset: usize,
    ) -> Result<(usize, Vec<SimilarQuestion>), CommunityError> {
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || index.search(&text, category, limit, offset))
            .await
            .map_err(|_| CommunityError::Corrupt("the index task failed".into()))?
    }
}

/// Beside this process's program index, so that processes that keep their own program index
/// keep their own question index too.
fn directory(settings: &Settings) -> PathBuf {
    let programs = settings.search.index_dir(&settings.data_dir);
    let name = programs.file_name().map_or_else(
        || "search-index".into(),
        |name| name.to_string_lossy().into_owned(),
    );
    programs.with_file_name(format!("{name}-questions"))
}

/// The index on disk; one that cannot be opened (another process holds it, or it is damaged)
/// is kept in memory instead and rebuilt from the database.
fn open(directory: Option<PathBuf>) -> Result<QuestionIndex, CommunityError> {
    let Some(directory) = directory else {
        return QuestionIndex::open_in_memory();
    };
    match std::fs::create_dir_all(&directory)
        .map_err(|error| CommunityError::Corrupt(error.to_string()))
        .and_then(|()| QuestionIndex::open(&directory))
    {
        Ok(index) => Ok(index),
        Err(error) => {
            tracing::warn!(directory = %directory.display(), error = %error_chain(&error), "keeping the community question index in memory");
            QuestionIndex::open_in_memory()
        }
    }
}
