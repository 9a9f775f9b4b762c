//! The memory allocator of every process that runs the service (`kosodate` and the soak's
//! `--serve`), named once here so that what the soak measures is what production runs.
//!
//! jemalloc rather than glibc's malloc: under the soak's mixed load, glibc's per-thread arenas
//! held on to freed memory and the server's resident size kept rising (18 % over ten minutes);
//! capping the arenas (`MALLOC_ARENA_MAX=2`) stopped the rise but cost a quarter more latency.
//! jemalloc returns dirty pages to the system after a decay period without that cost.
//!
//! A binary installs it with
//! `#[global_allocator] static ALLOCATOR: kosodate_server::allocator::Allocator = kosodate_server::allocator::Allocator;`.

pub use tikv_jemallocator::Jemalloc as Allocator;
