//! The memory allocator of every process that links the service (the `kosodate` binary, the
//! soak's server, the tests): jemalloc instead of the system's, and its figures for `/metrics`.
//!
//! Under `scripts/soak` (ten minutes of mixed requests at 1,000 a second) the server on glibc's
//! malloc kept growing, by 3 to 15 MB a minute after warm-up, and held 290 to 540 MB although
//! its data took less than 60 MB: glibc gives threads that allocate at once arenas of their own
//! and returns freed memory to the system only from the top of each heap. On jemalloc, which
//! bounds its arenas and returns pages left unused for about ten seconds, the same load held
//! 175 to 225 MB, grew by about 1 MB a minute, and answered faster (p99 15 ms against 26 and
//! 35). tikv, quickwit and databend make the same choice.

use tikv_jemalloc_ctl::{epoch, stats};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
