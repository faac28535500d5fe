//! `gws-conform report FILE.jsonl...`: the reports of a run made again from its saved JSON
//! Lines streams (`run --json`, `replay --json`). Several files are shards of one run, merged
//! into one report ([`crate::report::saved`]). The verdict is the run's, by the same code:
//! exit 0 when the merged run passes, 1 when it fails, 2 on a malformed stream (`file:line:col`)
//! or a bad option, 3 when no trial could run.

use std::path::PathBuf;

use clap::Args;

use super::suite::{self, SuiteArgs};
use super::trials::{ReportFiles, ReportSettings, conclude};
use crate::exit;
use crate::report::saved;
use crate::report::terminal::{Console, Totals};

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The saved streams (`run --json`, `replay --json`); several are shards of one run.
    #[arg(required = true, value_name = "FILE.jsonl")]
    pub streams: Vec<PathBuf>,
    /// Write the HTML report here (`-`: standard output; docs/html-report.md).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the JUnit XML report here (`-`: standard output).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// The suite whose requirement catalogue the matrix lists.
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Directory of documented examples, shown beside the notifications diffed with them
    /// [default: ./fixtures if present, else the built-in ones].
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
}

/// Runs `report`.
pub fn run(args: ReportArgs) -> i32 {
    let files = ReportFiles {
        junit: args.junit,
        json: None,
        html: args.html,
    };
    let outputs = files.outputs();
    if let Err(code) = super::check_outputs(&outputs) {
        return code;
    }
    let bad = |message: String| {
        eprintln!("error: {message}");
        exit::BAD_INPUT
    };
    let saved = match saved::read(&args.streams) {
        Ok(saved) => saved,
        Err(e) => return bad(e.to_string()),
    };
    let catalogue = match args.suite.suite().catalogue() {
        Ok(catalogue) => catalogue,
        Err(e) => return bad(e),
    };
    let examples = match suite::verifier(&None, &args.fixtures) {
        Ok(verifier) => verifier,
        Err(e) => return bad(e),
    };
    let totals = Totals {
        errored: saved.could_not_run,
        ignored: saved.ignored,
        not_run: saved.not_run,
        filtered_out: saved.filtered_out,
        elapsed: saved.elapsed,
        ..Totals::default()
    };
    let settings = ReportSettings {
        strict: saved.strict,
        files: &files,
        suite: &saved.suite,
        noun: if saved.suite == "replay" {
            "groups"
        } else {
            "scenarios"
        },
        catalogue: &catalogue,
        console: Console::beside(&outputs),
        baseline: None,
        examples: &examples,
        quiet: None,
    };
    conclude(&saved.trials, &[], totals, settings, None)
}
