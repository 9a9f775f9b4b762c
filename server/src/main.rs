//! The `kosodate` binary. See `kosodate --help`.

use clap::Parser;

#[global_allocator]
static ALLOCATOR: kosodate_server::allocator::Allocator = kosodate_server::allocator::Allocator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kosodate_server::cli::run(kosodate_server::cli::Cli::parse()).await
}
