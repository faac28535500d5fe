//! Command-line interface: clap definitions and one function per subcommand.

mod check_docs;
mod coverage;
mod run;
mod serve;

use clap::{Parser, Subcommand};

pub use check_docs::CheckDocsArgs;
pub use coverage::CoverageArgs;
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
    #[command(after_help = serve::limits_help())]
    Serve(ServeArgs),
    /// Validate the documented examples against the schemas and list the errata.
    CheckDocs(CheckDocsArgs),
    /// Show which scenarios cover each requirement of the catalogue.
    Coverage(CoverageArgs),
}

/// Runs the parsed command and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(args) => tokio::task::spawn_blocking(move || run::run(args))
            .await
            .unwrap_or(crate::exit::COULD_NOT_RUN),
        Command::Serve(args) => serve::run(args).await,
        Command::CheckDocs(args) => check_docs::run(args),
        Command::Coverage(args) => coverage::run(args),
    }
}
