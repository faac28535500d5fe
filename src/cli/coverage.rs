//! `gws-conform coverage`: which scenarios cover each requirement of the catalogue (those of
//! every `--scenarios` source merged, else of `./scenarios`, else the built-in suite). Exits 1
//! when a requirement is covered by no scenario.

use clap::Args;

use super::suite::SuiteArgs;
use crate::exit;
use crate::output::Listing;
use crate::scenario::Wanted;

/// Options of `coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// `--scenarios`, repeatable.
    #[command(flatten)]
    pub suite: SuiteArgs,
}

/// Runs the command; returns the exit code.
pub fn run(args: CoverageArgs) -> i32 {
    let suite = args.suite.suite();
    let catalogue = match suite.catalogue() {
        Ok(catalogue) => catalogue,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    // Fixtures do not matter for coverage; accept any name.
    let scenarios = match suite.scenarios(&catalogue, &|_: &str| true, Wanted::All) {
        Ok(loaded) => loaded.scenarios,
        Err(errors) => {
            for error in &errors {
                eprintln!("{}", error.render());
            }
            return exit::BAD_INPUT;
        }
    };
    let mut out = Listing::new();
    let mut uncovered = 0;
    for requirement in catalogue.requirements() {
        let covering: Vec<&str> = scenarios
            .iter()
            .filter(|s| {
                s.covers.contains(&requirement.id)
                    || s.steps
                        .iter()
                        .any(|step| step.covers.contains(&requirement.id))
            })
            .map(|s| s.name.as_str())
            .collect();
        let level = match requirement.level {
            crate::spec::Level::Must => "MUST",
            crate::spec::Level::Should => "SHOULD",
        };
        if covering.is_empty() {
            uncovered += 1;
            out.line(format_args!(
                "{:<24} {level:<6} UNCOVERED  {}",
                requirement.id, requirement.text
            ));
        } else {
            out.line(format_args!(
                "{:<24} {level:<6} {}",
                requirement.id,
                covering.join(", ")
            ));
        }
    }
    out.line(format_args!(
        "\n{} requirements, {} covered, {uncovered} uncovered, {} scenarios",
        catalogue.requirements().len(),
        catalogue.requirements().len() - uncovered,
        scenarios.len()
    ));
    let code = if uncovered > 0 {
        exit::FAILURES
    } else {
        exit::SUCCESS
    };
    super::listed(out, code)
}
