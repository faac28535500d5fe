//! Scenarios: the YAML format (docs/scenario-format.md), loading with every error located at
//! `file:line:col`, and the validated model the runner executes. No HTTP here.

mod diagnostic;
pub mod matcher;
pub mod model;
mod named;
pub mod path;
mod raw;
mod suggest;
pub mod template;
mod validate;
pub(crate) mod yaml;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use diagnostic::LoadError;
pub use model::{Action, Scenario};
pub use named::{Loaded, ScenarioText, Wanted, load_texts};
pub use validate::{CHAT_OPERATIONS, DEFAULT_WITHIN_MS};

use crate::spec::Catalogue;
use raw::RawScenario;
use validate::Context;

/// The file in the scenarios directory that holds the requirement catalogue, not a scenario.
pub const CATALOGUE_FILE: &str = "requirements.yaml";

/// Loads one scenario from its text.
pub fn load_str(
    text: &str,
    file: &Path,
    catalogue: &Catalogue,
    fixtures: &dyn KnownFixtures,
) -> Result<Scenario, Vec<LoadError>> {
    let raw: RawScenario = yaml::parse(text, file, "scenario").map_err(|e| vec![e])?;
    let source: Arc<str> = Arc::from(text);
    let ctx = Context {
        file,
        source: &source,
        catalogue,
        fixtures,
    };
    validate::validate(raw, &ctx)
}

/// The scenario files of a directory (recursively), sorted, without the catalogue.
pub fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current).map_err(|e| {
            LoadError::file(
                &current,
                format!("cannot read the scenarios directory: {e}"),
            )
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && path.file_name().is_some_and(|n| n != CATALOGUE_FILE)
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The scenario files of a directory, read but not parsed: an `Err` for each file that cannot
/// be read, or one for the directory when it cannot be listed or holds no scenario file.
pub fn dir_texts(dir: &Path) -> Vec<Result<ScenarioText, LoadError>> {
    let files = match scenario_files(dir) {
        Ok(files) if files.is_empty() => {
            return vec![Err(LoadError::file(dir, "no scenario files (*.yaml) here"))];
        }
        Ok(files) => files,
        Err(error) => return vec![Err(error)],
    };
    files
        .into_iter()
        .map(|file| {
            let text = yaml::read_text(&file)?;
            Ok(ScenarioText {
                file,
                text: Cow::Owned(text),
            })
        })
        .collect()
}

/// Loads every scenario of a directory, collecting every error of every file; duplicate
/// scenario names are errors too.
pub fn load_dir(
    dir: &Path,
    catalogue: &Catalogue,
    fixtures: &dyn KnownFixtures,
) -> Result<Vec<Scenario>, Vec<LoadError>> {
    load_texts(dir_texts(dir), catalogue, fixtures, Wanted::All).map(|loaded| loaded.scenarios)
}

/// The documented examples (fixtures) scenarios may name with `fixture:`.
pub trait KnownFixtures {
    /// Whether one of this name exists.
    fn has(&self, name: &str) -> bool;
    /// Every name, to suggest the closest to an unknown one.
    fn names(&self) -> Vec<&str>;
}

/// A test of names alone (`|_| true` accepts any): no names to suggest.
impl<F: Fn(&str) -> bool> KnownFixtures for F {
    fn has(&self, name: &str) -> bool {
        self(name)
    }

    fn names(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// How findings name a built-in scenario's file (`builtin:scenarios/x.yaml:12`): a binary-only
/// user has no `scenarios/` to look in, and `gws-conform init` writes them out.
pub const BUILTIN_PREFIX: &str = "builtin:";

/// The built-in suite compiled into the binary (`scenarios/` at build time), each file named
/// with [`BUILTIN_PREFIX`].
pub fn builtin_texts() -> impl Iterator<Item = ScenarioText> {
    crate::embedded::SCENARIOS
        .iter()
        .filter(|(name, _)| *name != CATALOGUE_FILE)
        .map(|(name, text)| ScenarioText {
            file: PathBuf::from(format!("{BUILTIN_PREFIX}scenarios/{name}")),
            text: Cow::Borrowed(text),
        })
}

/// Loads the built-in suite, every scenario of it.
pub fn load_builtin(
    catalogue: &Catalogue,
    fixtures: &dyn KnownFixtures,
) -> Result<Vec<Scenario>, Vec<LoadError>> {
    load_texts(
        builtin_texts().map(Ok).collect(),
        catalogue,
        fixtures,
        Wanted::All,
    )
    .map(|loaded| loaded.scenarios)
}

/// Gathers loaded scenarios (of one source or several), keeping every error and refusing a
/// name defined twice with an error naming both files.
pub fn collect(
    results: impl IntoIterator<Item = Result<Scenario, Vec<LoadError>>>,
) -> Result<Vec<Scenario>, Vec<LoadError>> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(scenario) => {
                if let Some(first) = scenarios.iter().find(|s| s.name == scenario.name) {
                    errors.push(LoadError::file(
                        &scenario.file,
                        format!(
                            "scenario name `{}` is already used by {}",
                            scenario.name,
                            first.file.display()
                        ),
                    ));
                } else {
                    scenarios.push(scenario);
                }
            }
            Err(mut file_errors) => errors.append(&mut file_errors),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
