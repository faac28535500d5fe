//! `gws-conform coverage`: which scenarios cover each requirement of the catalogue (those of
//! `--scenarios`, of `./scenarios`, else the built-in suite). Exits 1 when a requirement is
//! covered by no scenario.

use std::path::PathBuf;

use clap::Args;

use super::suite::{self, local_or_builtin};
use crate::exit;

/// Options of `coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Directory of scenario files (and requirements.yaml) [default: ./scenarios when it
    /// exists, else the built-in suite].
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
}

/// Runs the command; returns the exit code.
pub fn run(args: CoverageArgs) -> i32 {
    let dir = local_or_builtin(&args.scenarios, "scenarios");
    let catalogue = match suite::catalogue(dir.as_deref()) {
        Ok(catalogue) => catalogue,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    // Fixtures do not matter for coverage; accept any name.
    let scenarios = match suite::scenarios(dir.as_deref(), &catalogue, &|_: &str| true) {
        Ok(scenarios) => scenarios,
        Err(errors) => {
            for error in &errors {
                eprintln!("{}", error.render());
            }
            return exit::BAD_INPUT;
        }
    };
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
            println!(
                "{:<24} {level:<6} UNCOVERED  {}",
                requirement.id, requirement.text
            );
        } else {
            println!("{:<24} {level:<6} {}", requirement.id, covering.join(", "));
        }
    }
    println!(
        "\n{} requirements, {} covered, {uncovered} uncovered, {} scenarios",
        catalogue.requirements().len(),
        catalogue.requirements().len() - uncovered,
        scenarios.len()
    );
    if uncovered > 0 {
        exit::FAILURES
    } else {
        exit::SUCCESS
    }
}
