//! The kosodate service: HTTP API, settings, telemetry and the command-line tools, assembled from
//! the library crates. It owns the mapping from domain errors to HTTP (one file: `error.rs`) and
//! how identities are established. Domain rules must not live here: they belong to the registry,
//! matcher and notifier crates, which must never depend on this one.

pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod error;
pub mod extract;
pub mod http_edge;
pub mod mail;
pub mod matching;
pub mod notices;
pub mod search;
pub mod secrets;
pub mod settings;
pub mod telemetry;
