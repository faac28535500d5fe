//! `gws-conform requirements`: lists the requirement catalogue the verdicts cite (that of
//! the first `--scenarios` source that has one, else of `./scenarios`, else the built-in one): each requirement's id, level,
//! statement and the sources a reader can check.

use clap::Args;

use super::suite::SuiteArgs;
use crate::exit;
use crate::output::Listing;
use crate::spec::{Catalogue, Level};

/// Options of `requirements`.
#[derive(Debug, Args)]
pub struct RequirementsArgs {
    /// `--scenarios`, repeatable: the catalogue listed is the first source's that has one.
    #[command(flatten)]
    pub suite: SuiteArgs,
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
    match args.suite.suite().catalogue() {
        Ok(catalogue) => {
            let mut out = Listing::new();
            out.text(listing(&catalogue));
            super::listed(out, exit::SUCCESS)
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
