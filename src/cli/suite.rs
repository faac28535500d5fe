//! Where `run`, `coverage` and `report` read the suite from: a directory given on the command line,
//! else `./scenarios` (and `./schemas`, `./fixtures`) when the working directory has it, else
//! the copy compiled into the binary, so that a binary-only user runs them anywhere.

use std::path::{Path, PathBuf};

use crate::run::Verifier;
use crate::scenario::{self, CATALOGUE_FILE, KnownFixtures, LoadError, Scenario};
use crate::spec::Catalogue;

/// The directory to read: the one given, else `./{default}` when it exists; `None` means the
/// built-in copy compiled into the binary.
pub fn local_or_builtin(given: &Option<PathBuf>, default: &str) -> Option<PathBuf> {
    given
        .clone()
        .or_else(|| Some(PathBuf::from(default)).filter(|dir| dir.is_dir()))
}

/// The requirement catalogue of the scenarios in `dir` (its `requirements.yaml`, when it has
/// one), else the built-in one; `Err` says what is wrong with the file.
pub fn catalogue(dir: Option<&Path>) -> Result<Catalogue, String> {
    let Some(file) = dir
        .map(|dir| dir.join(CATALOGUE_FILE))
        .filter(|file| file.exists())
    else {
        return Ok(Catalogue::builtin());
    };
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    Catalogue::parse(&text).map_err(|e| format!("{}: {e}", file.display()))
}

/// The schemas and documented examples of the directories given (else `./schemas`,
/// `./fixtures` when they exist), else the built-in ones; `Err` says what is wrong.
pub fn verifier(schemas: &Option<PathBuf>, fixtures: &Option<PathBuf>) -> Result<Verifier, String> {
    match (
        local_or_builtin(schemas, "schemas"),
        local_or_builtin(fixtures, "fixtures"),
    ) {
        (None, None) => Verifier::builtin(),
        (schemas, fixtures) => Verifier::load(
            &schemas.unwrap_or_else(|| PathBuf::from("schemas")),
            &fixtures.unwrap_or_else(|| PathBuf::from("fixtures")),
        ),
    }
    .map_err(|e| e.to_string())
}

/// The scenarios of `dir`, else the built-in ones, checked against `catalogue` and the
/// fixtures that exist.
pub fn scenarios(
    dir: Option<&Path>,
    catalogue: &Catalogue,
    fixtures: &dyn KnownFixtures,
) -> Result<Vec<Scenario>, Vec<LoadError>> {
    match dir {
        Some(dir) => scenario::load_dir(dir, catalogue, fixtures),
        None => scenario::load_builtin(catalogue, fixtures),
    }
}

/// The HTML report shows the documented example a notification was diffed with beside it.
impl crate::report::html::Examples for Verifier {
    fn example(&self, name: &str) -> Option<&serde_json::Value> {
        Verifier::example(self, name)
    }
}
