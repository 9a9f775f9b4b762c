//! The `kosodate` binary. See `kosodate --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kosodate_server::cli::run(kosodate_server::cli::Cli::parse()).await
}
