//! Command-line interface: clap definitions and one function per subcommand.

mod baseline;
mod check_docs;
mod clean;
mod completions;
mod coverage;
mod explore;
mod init;
mod lanes_profile;
mod last_failed;
mod man;
mod partition;
mod proxy;
mod quiet;
mod repeat;
mod replay;
mod report;
mod requirements;
mod run;
mod seeding;
mod selection;
mod serve;
mod signal;
mod stopping;
mod suite;
mod target;
mod tls;
mod trials;
mod wait;

use clap::{Parser, Subcommand};

use crate::output::Listing;

pub use baseline::BaselineArgs;
pub use check_docs::CheckDocsArgs;
pub use completions::CompletionsArgs;
pub use coverage::CoverageArgs;
pub use explore::ExploreArgs;
pub use init::InitArgs;
pub use man::ManArgs;
pub use proxy::ProxyArgs;
pub use replay::ReplayArgs;
pub use report::ReportArgs;
pub use requirements::RequirementsArgs;
pub use run::RunArgs;
pub use serve::ServeArgs;
pub use trials::ReportFiles;

/// gws-conform: conformance harness and reference server for the GWS Chat API's supervisor
/// monitoring.
#[derive(Debug, Parser)]
#[command(name = "gws-conform", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
    /// What to log on standard error: a level (`info`: also a line per request `serve` and
    /// `proxy` handle; `debug`) or tracing filter directives [default: $GWS_CONFORM_LOG, else
    /// warnings only].
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the conformance scenarios against a target (default: the embedded reference server).
    Run(RunArgs),
    /// Drive the target through random sequences of documented operations, check each against
    /// a model of what the documents require, and shrink a failure to a scenario file.
    Explore(ExploreArgs),
    /// Run the embedded reference server.
    #[command(after_help = serve::limits_help())]
    Serve(ServeArgs),
    /// Record real clients' traffic to a HAR file: a reverse proxy in front of a GWS server.
    ///
    /// Point an agent or supervisor desktop, or a customer chat widget, at --listen instead of
    /// the server. Every exchange (long-polls included, held as long as the upstream holds
    /// them) is forwarded and written to --out as it completes, with credentials, cookies and
    /// CSRF tokens redacted and each entry named after its user (Basic user name, or the user
    /// its session cookie was issued to) or customer (`customer:{chat id}`) in `_gwsActor`.
    /// Ctrl-C (or SIGTERM) stops the proxy and closes the file (moving it into place when it is
    /// a regular file; `-`, a FIFO or a device is streamed to).
    /// docs/recording.md describes the file.
    Proxy(ProxyArgs),
    /// Replay a HAR capture against a target and compare the notifications with the recording.
    ///
    /// Each recorded scenario (or the whole capture, when it names none) is replayed as one
    /// trial: its actors' requests are re-sent in their recorded order across actors, each after
    /// the notifications it followed, with the target's ids in place of the recorded ones; what
    /// each actor receives is then compared with what it received in the recording (ids
    /// remapped, times compared by their shape), in the recorded order within each chat.
    /// Credentials come from the profile. docs/replay.md describes it.
    Replay(ReplayArgs),
    /// Make the reports of a run again from its saved JSON Lines streams (`run --json`).
    ///
    /// Several files are shards of one run: merged into one report (a scenario in two files is
    /// an error). The requirement matrix is built again from the trials, as the run built it.
    /// Exit codes: 0 the merged run passes, 1 it fails, 2 a malformed stream (file:line:col) or
    /// a bad option, 3 no trial could run. docs/html-report.md describes the HTML report.
    Report(ReportArgs),
    /// Check the schema files, validate the documented examples against them, and check the
    /// errata against the examples.
    CheckDocs(CheckDocsArgs),
    /// Show which scenarios cover each requirement of the catalogue.
    Coverage(CoverageArgs),
    /// List the requirement catalogue: each requirement's id, level, statement and sources.
    Requirements(RequirementsArgs),
    /// Write the built-in suite (scenarios, requirement catalogue, schemas, documented
    /// examples) into a directory, to read and extend it.
    Init(InitArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    ///
    /// bash: `gws-conform completions bash > ~/.local/share/bash-completion/completions/gws-conform`;
    /// zsh: `gws-conform completions zsh > ~/.zfunc/_gws-conform` (with `~/.zfunc` in `fpath`);
    /// fish: `gws-conform completions fish > ~/.config/fish/completions/gws-conform.fish`.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand into DIR.
    ///
    /// `gws-conform man | man -l -` reads it at once; `gws-conform man ~/.local/share/man/man1`
    /// installs every page, for `man gws-conform-run`.
    #[command(visible_alias = "man-page")]
    Man(ManArgs),
}

/// Checks every output a command will write (`flag`, path) before it does any work
/// ([`crate::output::preflight`]); prints the problem and returns the bad-input exit code.
fn check_outputs(outputs: &[(&str, Option<&std::path::Path>)]) -> Result<(), i32> {
    crate::output::preflight(outputs).map_err(|e| {
        eprintln!("error: {e}");
        crate::exit::BAD_INPUT
    })
}

/// Ends a command's listing on standard output ([`Listing`]): `code`, or the could-not-run
/// exit code when standard output could not be written (a pipe closed early is not that).
fn listed(listing: Listing, code: i32) -> i32 {
    match listing.finish() {
        Ok(()) => code,
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            crate::exit::COULD_NOT_RUN
        }
    }
}

/// Runs the parsed command and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(args) => tokio::task::spawn_blocking(move || run::run(args))
            .await
            .unwrap_or(crate::exit::COULD_NOT_RUN),
        Command::Explore(args) => tokio::task::spawn_blocking(move || explore::run(args))
            .await
            .unwrap_or(crate::exit::COULD_NOT_RUN),
        Command::Serve(args) => serve::run(args).await,
        Command::Proxy(args) => proxy::run(args).await,
        Command::Replay(args) => tokio::task::spawn_blocking(move || replay::run(args))
            .await
            .unwrap_or(crate::exit::COULD_NOT_RUN),
        Command::Report(args) => report::run(args),
        Command::CheckDocs(args) => check_docs::run(args),
        Command::Coverage(args) => coverage::run(args),
        Command::Requirements(args) => requirements::run(args),
        Command::Init(args) => init::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    }
}
