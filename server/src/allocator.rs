//! The memory allocator of every process that links the service (the `kosodate` binary, the
//! soak's server, the tests): jemalloc instead of the system's, how soon it gives freed memory
//! back, and its figures for `/metrics`.
//!
//! Under `scripts/soak` (ten minutes of mixed requests at 1,000 a second) the server on glibc's
//! malloc kept growing, by 3 to 15 MB a minute after warm-up, and held 290 to 540 MB although
//! its data took less than 60 MB: glibc gives threads that allocate at once arenas of their own
//! and returns freed memory to the system only from the top of each heap. On jemalloc, which
//! bounds its arenas and returns pages left unused for about ten seconds, the same load held
//! 175 to 225 MB, grew by about 1 MB a minute, and answered faster (p99 15 ms against 26 and
//! 35). tikv, quickwit and databend make the same choice.
//!
//! Those ten seconds were then most of what moved: with 25 MB in use, the soak's anonymous
//! memory swung between 43 and 70 MB, as each index commit's buffers (about 17 MB) were freed and
//! kept. [`configure`] has jemalloc give freed pages back at once instead.

use tikv_jemalloc_ctl::{Access, AsName, arenas, epoch, stats};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// How long jemalloc keeps a freed page for reuse before it gives it back: not at all. Ten minutes
/// of the soak before and after: anonymous memory 43–70 MB against 31–38 MB, the resident size's
/// spread 12.5 and 16.8 % against 5.0 %, p99 6.90 and 8.42 ms against 7.38 ms, server CPU 415 s
/// against 412 s. Taking an index commit's buffers from the system again, four times a second,
/// costs less than keeping them.
const DIRTY_DECAY_MS: isize = 0;

/// Has the allocator give freed pages back at once ([`DIRTY_DECAY_MS`]): for the arenas threads
/// take from now on, and for those already in use (the runtime's threads start before this
/// runs). Said in the code rather than in `_RJEM_MALLOC_CONF`, so that every way the service is
/// started shares it; it overrides a `dirty_decay_ms` given there.
pub fn configure() {
    if let Err(error) = b"arenas.dirty_decay_ms\0".name().write(DIRTY_DECAY_MS) {
        tracing::warn!(%error, "the allocator's decay for new arenas could not be set");
        return;
    }
    let arena_count = match arenas::narenas::read() {
        Ok(count) => count,
        Err(error) => {
            tracing::warn!(%error, "the allocator's arenas could not be counted");
            return;
        }
    };
    for arena in 0..arena_count {
        // An arena no thread has used yet does not exist: it will take the default set above.
        let _ = arena_decay_key(arena).as_str().name().write(DIRTY_DECAY_MS);
    }
}

/// The decay setting of one arena, by its index.
fn arena_decay_key(arena: u32) -> String {
    format!("arena.{arena}.dirty_decay_ms\0")
}

/// Sets the allocator's gauges for a scrape of `/metrics`: `allocator_allocated_bytes`, what
/// the service's data takes, and `allocator_resident_bytes`, the memory the allocator holds for
/// it. The gap is what it keeps for reuse and has not yet given back.
pub fn record_memory_metrics() {
    // jemalloc's statistics are a snapshot, taken again when its epoch advances.
    if let Err(error) = epoch::advance() {
        tracing::warn!(%error, "the allocator's statistics could not be refreshed");
        return;
    }
    match (stats::allocated::read(), stats::resident::read()) {
        (Ok(allocated), Ok(resident)) => {
            metrics::gauge!("allocator_allocated_bytes").set(allocated as f64);
            metrics::gauge!("allocator_resident_bytes").set(resident as f64);
        }
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(%error, "the allocator's statistics could not be read");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configure_gives_freed_pages_back_at_once_in_new_and_used_arenas() {
        // This test's own thread has allocated, so its arena exists before `configure` runs.
        let used = vec![0_u8; 1 << 20];
        drop(used);
        configure();
        let new_arenas: isize = b"arenas.dirty_decay_ms\0".name().read().expect("readable");
        assert_eq!(new_arenas, DIRTY_DECAY_MS);
        let arena_count = arenas::narenas::read().expect("readable");
        let used_arenas: Vec<isize> = (0..arena_count)
            .filter_map(|arena| arena_decay_key(arena).as_str().name().read().ok())
            .collect();
        assert!(!used_arenas.is_empty(), "no arena in use");
        assert!(
            used_arenas.iter().all(|decay| *decay == DIRTY_DECAY_MS),
            "{used_arenas:?}"
        );
    }
}
