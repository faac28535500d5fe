//! `gws-conform coverage`: which scenarios cover each requirement of the catalogue. Exits 1
//! when a requirement is covered by no scenario.

use std::path::PathBuf;

use clap::Args;

use crate::exit;
use crate::scenario::{self, CATALOGUE_FILE};
use crate::spec::Catalogue;

/// Options of `coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Directory of scenario files (and requirements.yaml).
    #[arg(long, value_name = "DIR", default_value = "scenarios")]
    pub scenarios: PathBuf,
}

/// Runs the command; returns the exit code.
pub fn run(args: CoverageArgs) -> i32 {
    let catalogue_path = args.scenarios.join(CATALOGUE_FILE);
    let catalogue = match std::fs::read_to_string(&catalogue_path)
        .map_err(|e| e.to_string())
        .and_then(|text| Catalogue::parse(&text))
    {
        Ok(catalogue) => catalogue,
        Err(e) => {
            eprintln!("error: {}: {e}", catalogue_path.display());
            return exit::BAD_INPUT;
        }
    };
    // Fixtures do not matter for coverage; accept any name.
    let scenarios = match scenario::load_dir(&args.scenarios, &catalogue, &|_| true) {
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
