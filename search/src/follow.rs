//! Keeping a search index in step with the registry. Every server process holds its own index and
//! follows the registry's change feed: a poll every half second (soon after a local write, see
//! [`Wake`]), resuming from the watermark stored in the index's last commit. Clocks of different
//! processes and transactions that commit after their timestamp are why each poll re-reads a
//! margin of already-seen changes (skipped by version), and why a full comparison of versions runs
//! now and then: together nothing published is missed for long.

use kosodate_domain::error_chain;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kosodate_domain::ProgramId;
use kosodate_registry::{FeedPosition, Program, ProgramStatus, ProgramVersionStatus, Registry, Visibility};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::error::SearchError;
use crate::index::SearchIndex;

/// How often a follower looks for changes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// How often a follower compares every version with the registry.
pub const RECONCILE_INTERVAL: Duration = Duration::from_secs(600);
/// The least time between two looks: local writes within it share one look and one commit.
/// Each commit writes segment files, allocates the writer's buffers again (some megabytes, held by
/// the allocator for seconds after) and empties the kept answers. At the soak's 10 staff updates a
/// second, one commit per write made 3,160–3,281 commits in 180 s; gathered, 712, with p99 of all
/// requests 6.8–7.8 ms instead of 8.3–11.8. A quarter second later is still at once to whoever
/// saved.
pub const WRITE_GATHERING: Duration = Duration::from_millis(250);
/// How far back each poll re-reads: longer than any write transaction or clock skew should be.
const CHANGE_MARGIN_SECONDS: i64 = 30;
const BATCH: u64 = 500;

/// When a follower looks at the database again: at the next poll, or sooner after a local write,
/// but never within [`WRITE_GATHERING`] of its last look. Shared by the followers of other
/// indexes kept the same way (the community's questions).
#[derive(Debug, Default)]
pub struct Wake {
    written: Notify,
}

impl Wake {
    /// Something was just written here: look soon rather than at the next poll.
    pub fn nudge(&self) {
        self.written.notify_one();
    }

    /// Waits until the next look is due: called when a look ends, given when it started.
    pub async fn next_look(&self, last_look: Instant) {
        tokio::select! {
            () = self.written.notified() => {}
            () = tokio::time::sleep(POLL_INTERVAL) => return,
        }
        tokio::time::sleep_until(last_look + WRITE_GATHERING).await;
    }
}

/// Follows the registry into one search index. Cheap to clone.
#[derive(Debug, Clone)]
pub struct IndexFollower {
    registry: Registry,
    index: Arc<SearchIndex>,
    wake: Arc<Wake>,
}

/// What one pass changed in the index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub indexed: usize,
    pub removed: usize,
}

impl Applied {
    pub fn changed(&self) -> bool {
        self.indexed + self.removed > 0
    }
}

impl IndexFollower {
    pub fn new(registry: Registry, index: Arc<SearchIndex>) -> Self {
        Self {
            registry,
            index,
            wake: Arc::new(Wake::default()),
        }
    }

    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// Something was just written here: look soon rather than at the next poll.
    pub fn nudge(&self) {
        self.wake.nudge();
    }

    /// Applies every change since the index's watermark. `progress` hears how many programs have
    /// been read so far (a rebuild reads them all).
    pub async fn catch_up(&self, mut progress: impl FnMut(usize)) -> Result<Applied, SearchError> {
        let margin = chrono::Duration::seconds(CHANGE_MARGIN_SECONDS);
        let mut position = self.index.manifest().watermark.map(|watermark| FeedPosition {
            updated_at: watermark - margin,
            id: None,
        });
        let mut applied = Applied::default();
        let mut read = 0;
        loop {
            let batch = self.registry.programs_changed_after(position, BATCH).await?;
            let Some(last) = batch.last() else {
                break;
            };
            position = Some(FeedPosition {
                updated_at: last.updated_at,
                id: Some(last.id),
            });
            read += batch.len();
            let full = batch.len() as u64 == BATCH;
            let watermark = last.updated_at;
            let step = self.apply(batch, Some(watermark)).await?;
            applied.indexed += step.indexed;
            applied.removed += step.removed;
            progress(read);
            if !full {
                break;
            }
        }
        Ok(applied)
    }

    /// Compares every program's version with the index and repairs what differs. A change the
    /// feed's next poll re-reads anyway (within the margin of the watermark, or after it) is left
    /// to the feed, so that what this repairs is only what the feed passed by.
    pub async fn reconcile(&self) -> Result<Applied, SearchError> {
        let feed_rereads_from = self
            .index
            .manifest()
            .watermark
            .map(|watermark| watermark - chrono::Duration::seconds(CHANGE_MARGIN_SECONDS));
        let indexed = self.index.indexed_versions();
        let versions = self.registry.program_versions().await?;
        let Differences { stale, mut gone } = differences(&indexed, &versions, feed_rereads_from);
        let mut programs = Vec::with_capacity(stale.len());
        for id in stale {
            match self.registry.program(id, Visibility::Staff).await {
                Ok(program) => programs.push(program),
                Err(kosodate_registry::RegistryError::ProgramNotFound(_)) => gone.push(id),
                Err(error) => return Err(error.into()),
            }
        }
        let index = Arc::clone(&self.index);
        blocking(move || {
            let indexed = index.upsert(programs.iter().filter(|p| p.status == ProgramStatus::Published))?;
            let removed = index.remove(gone)?;
            let applied = Applied { indexed, removed };
            if applied.changed() {
                index.commit(None)?;
            }
            Ok(applied)
        })
        .await
    }

    /// Empties the index and reads every program again.
    pub async fn rebuild(&self, progress: impl FnMut(usize)) -> Result<Applied, SearchError> {
        let index = Arc::clone(&self.index);
        blocking(move || index.clear()).await?;
        let applied = self.catch_up(progress).await?;
        let index = Arc::clone(&self.index);
        // Commit even an empty registry, so that the index is known to be complete; then merge
        // what the batches left into one segment per search thread.
        blocking(move || {
            index.commit(None)?;
            index.compact()
        })
        .await?;
        Ok(applied)
    }

    /// Indexes what is published, removes what is not, and commits with the new watermark.
    async fn apply(
        &self,
        batch: Vec<Program>,
        watermark: Option<DateTime<Utc>>,
    ) -> Result<Applied, SearchError> {
        let index = Arc::clone(&self.index);
        blocking(move || {
            let (published, withdrawn): (Vec<Program>, Vec<Program>) = batch
                .into_iter()
                .partition(|program| program.status == ProgramStatus::Published);
            let changed: Vec<&Program> = published
                .iter()
                .filter(|program| index.indexed_version(program.id) != Some(program.version))
                .collect();
            let indexed = index.upsert(changed)?;
            let removed = index.remove(withdrawn.iter().map(|program| program.id))?;
            let watermark_moves = watermark > index.manifest().watermark;
            if indexed + removed > 0 || watermark_moves {
                index.commit(watermark)?;
            }
            Ok(Applied { indexed, removed })
        })
        .await
    }

    /// Follows the registry until `shutdown` resolves. Errors (the database restarting, say) are
    /// logged and retried at the next poll.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut last_reconcile = Instant::now();
        loop {
            let look = Instant::now();
            if let Err(error) = self.catch_up(|_| {}).await {
                tracing::warn!(error = %error_chain(&error), "search index could not catch up with the registry");
            }
            if last_reconcile.elapsed() >= RECONCILE_INTERVAL {
                last_reconcile = Instant::now();
                match self.reconcile().await {
                    Ok(applied) if applied.changed() => {
                        tracing::warn!(?applied, "search index repaired by a full comparison")
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(error = %error_chain(&error), "search index comparison failed")
                    }
                }
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.next_look(look) => {}
            }
        }
    }
}

/// What the index holds that the registry no longer says, among the changes the feed has passed.
#[derive(Debug, Default, PartialEq, Eq)]
struct Differences {
    /// Published in another version than the one indexed, or not indexed at all.
    stale: Vec<ProgramId>,
    /// Indexed, but no longer published (or no longer there).
    gone: Vec<ProgramId>,
}

fn differences(
    indexed: &HashMap<ProgramId, i32>,
    versions: &[ProgramVersionStatus],
    feed_rereads_from: Option<DateTime<Utc>>,
) -> Differences {
    let mut differences = Differences::default();
    let mut known = HashSet::with_capacity(versions.len());
    for program in versions {
        known.insert(program.id);
        let left_to_feed = feed_rereads_from.is_some_and(|from| program.updated_at >= from);
        if left_to_feed {
            continue;
        }
        let indexed_version = indexed.get(&program.id);
        match program.status {
            ProgramStatus::Published if indexed_version != Some(&program.version) => {
                differences.stale.push(program.id);
            }
            ProgramStatus::Published => {}
            ProgramStatus::Draft | ProgramStatus::Archived if indexed_version.is_some() => {
                differences.gone.push(program.id);
            }
            ProgramStatus::Draft | ProgramStatus::Archived => {}
        }
    }
    differences
        .gone
        .extend(indexed.keys().filter(|id| !known.contains(id)).copied());
    differences
}

/// Index writes fsync: keep them off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SearchError> + Send + 'static,
) -> Result<T, SearchError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| SearchError::Poisoned)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn writes_soon_after_a_look_gather_and_a_quiet_follower_polls() {
        let wake = Arc::new(Wake::default());

        let quiet = Instant::now();
        wake.next_look(quiet).await;
        assert_eq!(quiet.elapsed(), POLL_INTERVAL);

        let busy = Instant::now();
        let writer = Arc::clone(&wake);
        let writes = tokio::spawn(async move {
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                writer.nudge();
            }
        });
        wake.next_look(busy).await;
        assert_eq!(busy.elapsed(), WRITE_GATHERING, "five writes, one look");
        writes.await.expect("writes");

        let late = Instant::now();
        tokio::time::advance(WRITE_GATHERING + Duration::from_millis(50)).await;
        wake.nudge();
        wake.next_look(late).await;
        assert_eq!(
            late.elapsed(),
            WRITE_GATHERING + Duration::from_millis(50),
            "a write long after the last look is looked at once"
        );
    }

    fn program(n: u128, version: i32, status: ProgramStatus, minutes_ago: i64) -> ProgramVersionStatus {
        ProgramVersionStatus {
            id: ProgramId::from(uuid::Uuid::from_u128(n)),
            version,
            status,
            updated_at: Utc::now() - chrono::Duration::minutes(minutes_ago),
        }
    }

    #[test]
    fn only_what_the_feed_passed_by_is_a_difference() {
        let old_stale = program(1, 3, ProgramStatus::Published, 60);
        let old_missing = program(2, 1, ProgramStatus::Published, 60);
        let old_archived = program(3, 2, ProgramStatus::Archived, 60);
        let recent_stale = program(4, 5, ProgramStatus::Published, 0);
        let recent_archived = program(5, 2, ProgramStatus::Archived, 0);
        let in_step = program(6, 1, ProgramStatus::Published, 60);
        let deleted = ProgramId::from(uuid::Uuid::from_u128(7));
        let indexed: HashMap<ProgramId, i32> = [
            (old_stale.id, 2),
            (old_archived.id, 1),
            (recent_stale.id, 4),
            (recent_archived.id, 1),
            (in_step.id, 1),
            (deleted, 1),
        ]
        .into();
        let versions = [
            old_stale,
            old_missing,
            old_archived,
            recent_stale,
            recent_archived,
            in_step,
        ];
        let watermark_minus_margin = Utc::now() - chrono::Duration::minutes(5);

        let mut found = differences(&indexed, &versions, Some(watermark_minus_margin));
        found.gone.sort();
        let mut gone = vec![old_archived.id, deleted];
        gone.sort();
        assert_eq!(found.stale, vec![old_stale.id, old_missing.id]);
        assert_eq!(found.gone, gone);

        let never_followed = differences(&indexed, &versions, None);
        assert_eq!(
            never_followed.stale,
            vec![old_stale.id, old_missing.id, recent_stale.id]
        );
        assert_eq!(never_followed.gone.len(), 3);
    }
}
