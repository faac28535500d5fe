//! Command-line interface: clap definitions and one function per subcommand.

mod run;
mod serve;

use clap::{Parser, Subcommand};

pub use run::RunArgs;
pub use serve::ServeArgs;

/// gws-conform: conformance harness and reference server for the GWS Chat API's supervisor
/// monitoring.
#[derive(Debug, Parser)]
#[command(name = "gws-conform", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the conformance scenarios against a target (default: the embedded reference server).
    Run(RunArgs),
    /// Run the embedded reference server.
    Serve(ServeArgs),
}

/// Runs the parsed command and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(args) => tokio::task::spawn_blocking(move || run::run(args))
            .await
            .unwrap_or(crate::exit::COULD_NOT_RUN),
        Command::Serve(args) => serve::run(args).await,
    }
}
