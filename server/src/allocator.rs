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
//!
//! Those ten seconds were then most of what still moved: each search index commit, four times a
//! second under the soak, allocates its writer's buffers anew (tantivy's document channel, term
//! tables and arena pages of 1 MiB, some megabytes in all) and frees them, and jemalloc kept
//! them, so the anonymous memory swung between 40 and 75 MB with 25 to 45 MB in use. jemalloc
//! built with `oversize_threshold:1048576` (`.cargo/config.toml`, read by `tikv-jemalloc-sys`'s
//! build) serves allocations of 1 MiB and more from an arena that gives them back at once, and
//! keeps its ten seconds for the small allocations that requests make. Four pairs of ten-minute
//! soaks, with and without it, one after the other: anonymous memory about 20 MB less on average,
//! resident spread 5.4, 8.2, 12.8 and 17.1 % against 21.2, 16.2, 13.5 and 22.7 % (what still
//! moves is the heap in use itself, in bursts up to 50 MB); p99 of all requests 3 to 19 % higher
//! (14.5, 10.5, 9.4 and 13.5 ms against 14.1, 8.8, 8.5 and 12.9 ms), server CPU 2 to 7 % higher,
//! since each commit takes its buffers from the system again. Setting the decay of every arena
//! to 0 instead flattened memory too, but doubled the p99 on a busy machine (`git
//! show 2a42187`): small allocations were then taken from the system again and again.
//!
//! What still moves is each commit's buffers. tantivy's writer makes its document channel anew
//! (10,000 slots, 2.5 MB), and the indexing thread that takes the commit's documents makes a term
//! table of 4 MiB and nine or ten arena pages of 1 MiB, zeroed and mostly never touched: about
//! 16 MB allocated, about 6 MB of it resident, for the 30 to 40 ms of a commit, all given back at
//! its end. Under the soak a commit comes every quarter second (the follower's write gathering),
//! and a sample every 1 or 10 seconds falls on one in runs: the phase between the two drifts by a
//! few milliseconds a second, so the samples inside a commit come together for 3 to 7 seconds
//! about once a minute and look like a jump of 15 to 20 MB. A tracking allocator that logged every
//! allocation of 1 MiB and more found none of these living longer than 1.5 s, and jemalloc's
//! counts by size class showed the whole rise in the oversize arena. Heap profiles did not see it:
//! a dump through a debugger lands between commits, and jemalloc leaves out of a dump what threads
//! that have exited allocated (tantivy starts new indexing threads at each commit). The threads'
//! caches hold 5 to 6.6 MB throughout (`allocator_thread_cache_bytes`).

use tikv_jemalloc_ctl::{Access, AsName, epoch, stats};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Every arena's statistics together (jemalloc's `MALLCTL_ARENAS_ALL`): the bytes that threads
/// keep in their caches are counted per arena.
const THREAD_CACHE_BYTES: &[u8] = b"stats.arenas.4096.tcache_bytes\0";

/// Sets the allocator's gauges for a scrape of `/metrics`: `allocator_allocated_bytes`, what
/// the service's data takes, and `allocator_resident_bytes`, the memory the allocator holds for
/// it. The gap is what it keeps for reuse and has not yet given back. `allocator_thread_cache_bytes`
/// is the part of the allocated bytes that threads freed but keep in their caches for their next
/// allocations: jemalloc counts it as allocated until a cache gives it back.
pub fn record_memory_metrics() {
    // jemalloc's statistics are a snapshot, taken again when its epoch advances.
    if let Err(error) = epoch::advance() {
        tracing::warn!(%error, "the allocator's statistics could not be refreshed");
        return;
    }
    let thread_caches: Result<usize, _> = THREAD_CACHE_BYTES.name().read();
    match (stats::allocated::read(), stats::resident::read(), thread_caches) {
        (Ok(allocated), Ok(resident), Ok(thread_caches)) => {
            metrics::gauge!("allocator_allocated_bytes").set(allocated as f64);
            metrics::gauge!("allocator_resident_bytes").set(resident as f64);
            metrics::gauge!("allocator_thread_cache_bytes").set(thread_caches as f64);
        }
        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
            tracing::warn!(%error, "the allocator's statistics could not be read");
        }
    }
}

#[cfg(test)]
mod tests {
    use tikv_jemalloc_ctl::{Access, AsName};

    /// The size of the pages tantivy's index writer allocates its memory arena in, the smallest
    /// of the buffers a commit allocates anew.
    const INDEX_WRITER_PAGE: usize = 1 << 20;

    #[test]
    fn buffers_of_a_mebibyte_and_more_are_given_back_at_once() {
        // Set when jemalloc is built (`.cargo/config.toml`); 0 would mean no oversize arena.
        let threshold: usize = b"opt.oversize_threshold\0"
            .name()
            .read()
            .expect("the setting is readable");
        assert!(
            threshold > 0 && threshold <= INDEX_WRITER_PAGE,
            "oversize threshold {threshold} bytes"
        );
    }
}
