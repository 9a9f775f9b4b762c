//! The database every kosodate crate shares: opening SQLite (the embedded default) or
//! PostgreSQL (production), transactions that write, what a busy database looks like, and
//! scratch databases for tests and benchmarks, and the precision instants are stored at. It owns no table and knows no domain: it must not
//! depend on any other kosodate crate.
//!
//! SQLite takes one writer at a time. Every write transaction of this process first takes its
//! place in the database file's writer lane (first come, first served, without holding a pool
//! connection while it waits), then begins with `BEGIN IMMEDIATE`, which waits in SQLite's busy
//! handler for writers of other processes. A writer that cannot start within [`WRITE_WAIT`] gets
//! a pool timeout ([`DbErr::ConnectionAcquire`]) that [`is_busy`] recognises: requests answer
//! 503 with `Retry-After`, background jobs try again ([`retry_while_busy`]). Nothing is written
//! half: the caller's transaction never began.

mod busy;
mod connect;
mod instant;
mod scratch;
mod write;

pub use busy::{RETRY_AFTER_SECONDS, is_busy, retry_while_busy};
pub use connect::connect;
pub use instant::stored_instant;
pub use scratch::ScratchDatabase;
pub use write::{WRITE_WAIT, WriteTransaction, begin_write};

pub use sea_orm::{DatabaseConnection, DbErr};
