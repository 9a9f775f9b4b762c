//! The kosodate service: the `kosodate` binary, assembled from the library crates. It owns how
//! people reach the service (the JSON API under `api/`; the HTML pages under `pages/`, both over
//! the same `AppState` services), how identities are established (`auth/`, staff tokens in
//! `extract`), the mapping from every error to HTTP (one file: `error.rs`), settings, telemetry,
//! the memory allocator (`allocator.rs`), the background work of a process (`rematch`,
//! `notices`, `search`) and the command line (`cli/`); `startup` is the one composition root.
//! Domain rules must not live here: they belong to the library crates, which must never depend
//! on this one.

pub mod allocator;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod community;
pub mod counter;
pub mod error;
pub mod evidence;
pub mod extract;
pub mod freshness;
pub mod http_edge;
pub mod insights;
pub mod mail;
pub mod notices;
pub mod pages;
pub mod parent;
pub mod partner_links;
pub mod partners;
pub mod path_ids;
pub mod places;
pub mod rematch;
pub mod search;
pub mod secrets;
pub mod settings;
pub mod startup;
pub mod state;
pub mod telemetry;
