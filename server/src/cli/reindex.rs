//! `kosodate reindex`: rebuilds this machine's search index from the database, with a progress
//! bar, for an index suspected broken (a server rebuilds a missing or outdated one by itself).

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use kosodate_search::{IndexFollower, SearchError, SearchIndex};

use crate::settings::Settings;
use crate::startup;

/// `kosodate reindex`: rebuilds the index in the configured directory from the database.
pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let registry = startup::registry(settings).await?;
    let directory = settings.search.index_dir(&settings.data_dir);
    let owned = settings.clone();
    let readings = tokio::task::spawn_blocking(move || crate::search::readings(&owned)).await?;
    let index = match SearchIndex::open(Some(&directory), readings) {
        Err(SearchError::Locked) => anyhow::bail!(
            "{} is in use by a running server; stop it first (a server rebuilds an outdated index by itself)",
            directory.display()
        ),
        other => other?.0,
    };
    let total = registry.count_programs().await?;
    let follower = IndexFollower::new(registry, Arc::new(index));
    let progress = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, 残り {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.set_message("検索索引を作成中");
    let started = Instant::now();
    let applied = follower
        .rebuild(|read| progress.set_position(read as u64))
        .await?;
    progress.finish_and_clear();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "検索索引を作り直しました: 公開中の制度 {} 件（全 {total} 件を確認, {:.1?}）\n{}",
        applied.indexed,
        started.elapsed(),
        directory.display()
    )?;
    Ok(())
}
