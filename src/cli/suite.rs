//! Where `run`, `coverage`, `requirements` and `report` read the suite from: the sources given with
//! `--scenarios` (directories, and `builtin` for the copy compiled into the binary), merged;
//! without any, `./scenarios` when the working directory has it, else the built-in copy, so
//! that a binary-only user runs them anywhere. `./schemas` and `./fixtures` are found the same
//! way ([`local_or_builtin`]).
//!
//! Merging: every source's scenarios are loaded (with name filters, only those selected:
//! [`scenario::Wanted`]) and a scenario name defined by two files is a bad-input error naming
//! both (there is no silent override: a user's copy of a built-in scenario must be renamed). The requirement catalogue is the first source's that has one
//! (`builtin` always has one), and every scenario is checked against it.

use std::path::PathBuf;

use clap::Args;

use crate::run::Verifier;
use crate::scenario::{self, CATALOGUE_FILE, KnownFixtures, LoadError, Loaded, Wanted};
use crate::spec::Catalogue;

/// What `--scenarios` calls the built-in suite (a directory of that name is `./builtin`).
pub const BUILTIN: &str = "builtin";

/// The `--scenarios` option `run`, `coverage`, `requirements` and `report` share.
#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// A directory of scenario files (and requirements.yaml), or `builtin` for the built-in
    /// suite; repeatable, the sources are merged (`--scenarios builtin --scenarios ./mine` adds
    /// yours to the built-in suite). A scenario name defined twice is an error naming both
    /// files; the requirement catalogue is the first source's that has a requirements.yaml
    /// (`builtin` has one) [default: ./scenarios if present, else builtin].
    #[arg(long = "scenarios", value_name = "DIR|builtin")]
    pub scenarios: Vec<PathBuf>,
}

/// Where scenarios are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// The suite compiled into the binary.
    Builtin,
    /// A directory, searched recursively.
    Dir(PathBuf),
}

/// The sources of one command's suite, in the order given, each once.
#[derive(Debug, Clone)]
pub struct Suite {
    sources: Vec<Source>,
}

impl SuiteArgs {
    /// The suite the options name.
    pub fn suite(&self) -> Suite {
        let mut sources: Vec<Source> = Vec::new();
        for given in &self.scenarios {
            let source = if given.as_os_str() == BUILTIN {
                Source::Builtin
            } else {
                Source::Dir(given.clone())
            };
            // The same source given twice would only collide with itself.
            if !sources.contains(&source) {
                sources.push(source);
            }
        }
        if sources.is_empty() {
            sources.push(match local_or_builtin(&None, "scenarios") {
                Some(dir) => Source::Dir(dir),
                None => Source::Builtin,
            });
        }
        Suite { sources }
    }
}

impl Suite {
    /// The requirement catalogue: the first source's that has one; `Err` says what is wrong
    /// with the file.
    pub fn catalogue(&self) -> Result<Catalogue, String> {
        for source in &self.sources {
            let file = match source {
                Source::Builtin => return Ok(Catalogue::builtin_shared().clone()),
                Source::Dir(dir) => dir.join(CATALOGUE_FILE),
            };
            if file.exists() {
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                return Catalogue::parse(&text).map_err(|e| format!("{}: {e}", file.display()));
            }
        }
        Ok(Catalogue::builtin_shared().clone())
    }

    /// The scenarios of every source that `wanted` asks for, checked against `catalogue` and
    /// the fixtures that exist, with every scenario's name; every problem of every file parsed
    /// is reported, a name defined twice included.
    pub fn scenarios(
        &self,
        catalogue: &Catalogue,
        fixtures: &dyn KnownFixtures,
        wanted: Wanted<'_>,
    ) -> Result<Loaded, Vec<LoadError>> {
        let texts = self
            .sources
            .iter()
            .flat_map(|source| match source {
                Source::Builtin => scenario::builtin_texts().map(Ok).collect(),
                Source::Dir(dir) => scenario::dir_texts(dir),
            })
            .collect();
        scenario::load_texts(texts, catalogue, fixtures, wanted)
    }

    /// The sources as a user wrote them (`builtin`, directories made absolute), for telling
    /// one suite from another (`--last-failed` keeps a record per target and suite).
    pub fn describe(&self) -> String {
        let names: Vec<String> = self
            .sources
            .iter()
            .map(|source| match source {
                Source::Builtin => BUILTIN.to_owned(),
                Source::Dir(dir) => std::path::absolute(dir)
                    .unwrap_or_else(|_| dir.clone())
                    .display()
                    .to_string(),
            })
            .collect();
        names.join(" + ")
    }
}

/// The directory to read: the one given, else `./{default}` when it exists; `None` means the
/// built-in copy compiled into the binary.
pub fn local_or_builtin(given: &Option<PathBuf>, default: &str) -> Option<PathBuf> {
    given
        .clone()
        .or_else(|| Some(PathBuf::from(default)).filter(|dir| dir.is_dir()))
}

/// `--schemas` and `--fixtures`, which `run` and `explore` share: where the checks' JSON
/// Schemas and documented examples come from.
#[derive(Debug, Args)]
pub struct CheckFiles {
    /// Directory of JSON Schemas [default: ./schemas if present, else the built-in ones].
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// Directory of documented examples and errata.json [default: ./fixtures if present, else
    /// the built-in ones].
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
}

impl CheckFiles {
    /// The checks' schemas and examples, as [`verifier`] finds them.
    pub fn verifier(&self) -> Result<Verifier, String> {
        verifier(&self.schemas, &self.fixtures)
    }
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

/// The HTML report shows the documented example a notification was diffed with beside it.
impl crate::report::html::Examples for Verifier {
    fn example(&self, name: &str) -> Option<&serde_json::Value> {
        Verifier::example(self, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(given: &[&str]) -> Suite {
        SuiteArgs {
            scenarios: given.iter().map(PathBuf::from).collect(),
        }
        .suite()
    }

    /// A directory with one scenario file, a copy of a built-in one renamed `name`.
    fn dir_with(name: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let (_, text) = crate::embedded::SCENARIOS
            .iter()
            .find(|(file, _)| *file == "cancel-monitoring.yaml")
            .expect("the built-in cancel-monitoring scenario");
        let text = text.replace("name: cancel-monitoring", &format!("name: {name}"));
        std::fs::write(dir.path().join("mine.yaml"), text).unwrap();
        dir
    }

    fn names(suite: &Suite) -> Result<Vec<String>, Vec<String>> {
        let catalogue = suite.catalogue().unwrap();
        suite
            .scenarios(&catalogue, &|_: &str| true, Wanted::All)
            .map(|all| all.scenarios.into_iter().map(|s| s.name).collect())
            .map_err(|errors| errors.iter().map(LoadError::render).collect())
    }

    #[test]
    fn a_directory_adds_its_scenarios_to_the_built_in_suite() {
        let mine = dir_with("my-cancel-monitoring");
        let builtin = names(&suite(&[BUILTIN])).unwrap();
        let merged = names(&suite(&[BUILTIN, mine.path().to_str().unwrap()])).unwrap();
        assert_eq!(merged.len(), builtin.len() + 1);
        assert!(merged.contains(&"my-cancel-monitoring".to_owned()));
        assert!(merged.contains(&"cancel-monitoring".to_owned()));
        // Given twice, a source counts once.
        assert_eq!(names(&suite(&[BUILTIN, BUILTIN])).unwrap(), builtin);
    }

    #[test]
    fn a_name_defined_twice_is_an_error_naming_both_files() {
        let mine = dir_with("cancel-monitoring");
        let errors = names(&suite(&[BUILTIN, mine.path().to_str().unwrap()])).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("mine.yaml"), "{}", errors[0]);
        assert!(
            errors[0].contains("already used by builtin:scenarios/cancel-monitoring.yaml"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn the_catalogue_is_the_first_sources_that_has_one() {
        let mine = dir_with("mine");
        std::fs::write(
            mine.path().join(CATALOGUE_FILE),
            "requirements: [{ id: OWN, level: MUST, text: t, source: s }]\n",
        )
        .unwrap();
        let path = mine.path().to_str().unwrap();
        let own = suite(&[path, BUILTIN]).catalogue().unwrap();
        assert!(own.get("OWN").is_some());
        let builtin = suite(&[BUILTIN, path]).catalogue().unwrap();
        assert!(builtin.get("OWN").is_none() && builtin.get("MON-MODE").is_some());
        assert_eq!(
            suite(&[BUILTIN, path]).describe(),
            format!("builtin + {}", mine.path().display())
        );
    }
}
