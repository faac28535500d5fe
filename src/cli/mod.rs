//! Command-line interface: clap definitions and one function per subcommand.

mod serve;

use clap::{Parser, Subcommand};

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
    /// Run the embedded reference server.
    Serve(ServeArgs),
}

/// Runs the parsed command and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
    }
}
