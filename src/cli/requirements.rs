//! `gws-conform requirements`: lists the requirement catalogue the verdicts cite (that of
//! `--scenarios`, of `./scenarios`, else the built-in one): each requirement's id, level,
//! statement and the sources a reader can check.

use std::path::PathBuf;

use clap::Args;

use super::suite::{self, local_or_builtin};
use crate::exit;
use crate::spec::{Catalogue, Level};

/// Options of `requirements`.
#[derive(Debug, Args)]
pub struct RequirementsArgs {
    /// Directory whose requirements.yaml to list [default: ./scenarios when it exists, else
    /// the built-in catalogue].
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
}

/// The listing: a line per requirement (id, level, statement), its sources indented below.
fn listing(catalogue: &Catalogue) -> String {
    let mut out = String::new();
    for requirement in catalogue.requirements() {
        let level = match requirement.level {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        };
        out.push_str(&format!(
            "{:<24} {level:<6} {}\n",
            requirement.id, requirement.text
        ));
        for source in &requirement.sources {
            out.push_str(&format!("{:<31} {source}\n", ""));
        }
    }
    out.push_str(&format!(
        "\n{} requirements\n",
        catalogue.requirements().len()
    ));
    out
}

/// Runs the command; returns the exit code.
pub fn run(args: RequirementsArgs) -> i32 {
    let dir = local_or_builtin(&args.scenarios, "scenarios");
    match suite::catalogue(dir.as_deref()) {
        Ok(catalogue) => {
            print!("{}", listing(&catalogue));
            exit::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::BAD_INPUT
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_requirement_is_listed_with_its_level_and_sources() {
        let catalogue = Catalogue::builtin();
        let text = listing(&catalogue);
        for requirement in catalogue.requirements() {
            let line = text
                .lines()
                .find(|line| line.split_whitespace().next() == Some(requirement.id.as_str()))
                .unwrap_or_else(|| panic!("{} is not listed", requirement.id));
            assert!(line.contains(&requirement.text));
            for source in &requirement.sources {
                assert!(text.contains(source.as_str()), "{source}");
            }
        }
        let count = format!("\n{} requirements\n", catalogue.requirements().len());
        assert!(text.ends_with(&count));
    }
}
