//! `run --last-failed`: every run that ends remembers, per target and suite, which scenarios
//! failed or errored, and `--last-failed` re-runs only those (as pytest's `--lf`).
//!
//! The record is updated, not replaced: a scenario that ran is removed when it passed and
//! added when it failed; one that did not run this time (filtered out, in another shard, not
//! started) keeps its entry. With `--last-failed`, no record for the target and suite means
//! the whole selection runs (said on stderr); a record with no failure means nothing runs
//! and the run exits 0.
//!
//! The file is `--last-failed-file`, else `$GWS_CONFORM_LAST_FAILED_FILE`, else
//! `$XDG_CACHE_HOME/gws-conform/last-run.json`, else `$HOME/.cache/gws-conform/last-run.json`;
//! it is written atomically ([`crate::output::write`]). `/dev/null` keeps no record.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exit;
use crate::scenario::Scenario;

/// The file's name in the cache directory.
const FILE_NAME: &str = "last-run.json";

/// The version of the file's format.
const FORMAT: u32 = 1;

/// The record file: one entry per target and suite.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Records {
    format: u32,
    runs: Vec<Record>,
}

/// What the last runs against one target with one suite left failing.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    /// The target URL, or `embedded` for the embedded reference server.
    target: String,
    /// The suite's sources ([`super::suite::Suite::describe`]).
    suite: String,
    /// The scenarios that failed or errored, by name.
    failed: BTreeSet<String>,
}

/// Where the record is kept, and for which target and suite.
#[derive(Debug, Clone)]
pub struct LastRun {
    file: Option<PathBuf>,
    target: String,
    suite: String,
}

/// What `--last-failed` selects.
#[derive(Debug, PartialEq, Eq)]
enum Rerun {
    /// No earlier run is on record: the whole selection.
    Everything,
    /// These scenarios failed last time.
    Only(BTreeSet<String>),
}

impl LastRun {
    /// The record of runs against `target` (`None`: the embedded server) with `suite`, in
    /// `given` or the default file; `env` reads the environment.
    pub fn new(
        given: Option<&Path>,
        target: Option<&str>,
        suite: String,
        env: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let nonempty = |name: &str| env(name).filter(|value| !value.is_empty());
        let file = given.map(Path::to_owned).or_else(|| {
            let cache = nonempty("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| nonempty("HOME").map(|home| Path::new(&home).join(".cache")))?;
            Some(cache.join("gws-conform").join(FILE_NAME))
        });
        Self {
            file,
            target: target.unwrap_or("embedded").to_owned(),
            suite,
        }
    }

    /// What `--last-failed` re-runs; `Err` says why the file cannot be read (bad input).
    fn rerun(&self) -> Result<Rerun, String> {
        Ok(self
            .read()?
            .runs
            .into_iter()
            .find(|record| self.is_mine(record))
            .map_or(Rerun::Everything, |record| Rerun::Only(record.failed)))
    }

    /// `--last-failed`: the `selected` scenarios (each with whether it is only listed) that
    /// failed last time, saying on stderr what is re-run; `Err` is the exit code when nothing
    /// is to run (0) or the record is unreadable (2).
    pub fn select(&self, selected: Vec<(Scenario, bool)>) -> Result<Vec<(Scenario, bool)>, i32> {
        let failed = match self.rerun() {
            Ok(Rerun::Only(failed)) => failed,
            Ok(Rerun::Everything) => {
                eprintln!(
                    "note: --last-failed: no earlier run against this target with this suite is \
                     on record; running the whole selection"
                );
                return Ok(selected);
            }
            Err(why) => {
                eprintln!("error: --last-failed: {why}");
                return Err(exit::BAD_INPUT);
            }
        };
        if failed.is_empty() {
            eprintln!("note: --last-failed: no scenario failed in the last run; nothing to run");
            return Err(exit::SUCCESS);
        }
        let rerun: Vec<(Scenario, bool)> = selected
            .into_iter()
            .filter(|(scenario, _)| failed.contains(&scenario.name))
            .collect();
        if rerun.is_empty() {
            eprintln!(
                "note: --last-failed: none of the {} scenario(s) that failed last time is selected; \
                 nothing to run",
                failed.len()
            );
            return Err(exit::SUCCESS);
        }
        let names: Vec<&str> = rerun.iter().map(|(s, _)| s.name.as_str()).collect();
        eprintln!(
            "note: --last-failed: re-running the {} scenario(s) that failed last time: {}",
            names.len(),
            names.join(", ")
        );
        Ok(rerun)
    }

    /// Records a run: `outcomes` is each scenario that ran, with whether it failed. A record
    /// that cannot be kept is a warning, not a reason to fail the run.
    pub fn remember(&self, outcomes: &[(String, bool)]) {
        let Some(file) = &self.file else {
            eprintln!(
                "warning: no record of failed scenarios is kept: neither XDG_CACHE_HOME nor HOME is set"
            );
            return;
        };
        // A record that cannot be read is replaced: it only ever speeds up a later run.
        let mut records = self.read().unwrap_or_default();
        records.format = FORMAT;
        let index = match records.runs.iter().position(|r| self.is_mine(r)) {
            Some(index) => index,
            None => {
                records.runs.push(Record {
                    target: self.target.clone(),
                    suite: self.suite.clone(),
                    failed: BTreeSet::new(),
                });
                records.runs.len() - 1
            }
        };
        let failed = &mut records.runs[index].failed;
        for (name, fails) in outcomes {
            if *fails {
                failed.insert(name.clone());
            } else {
                failed.remove(name);
            }
        }
        let written = serde_json::to_vec_pretty(&records)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                }
                crate::output::write(file, &text).map_err(|e| e.to_string())
            });
        if let Err(e) = written {
            eprintln!(
                "warning: cannot record the failed scenarios in {}: {e}",
                file.display()
            );
        }
    }

    /// The file's records; none when there is no file, or it is empty (`/dev/null`).
    fn read(&self) -> Result<Records, String> {
        let Some(file) = &self.file else {
            return Ok(Records::default());
        };
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Records::default()),
            Err(e) => return Err(format!("{}: {e}", file.display())),
        };
        if text.trim().is_empty() {
            return Ok(Records::default());
        }
        serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a record of failed scenarios: {e} (delete it to start afresh)",
                file.display(),
                e.line(),
                e.column()
            )
        })
    }

    /// Whether `record` is of this target and suite.
    fn is_mine(&self, record: &Record) -> bool {
        record.target == self.target && record.suite == self.suite
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_run(file: &Path, target: Option<&str>) -> LastRun {
        LastRun::new(Some(file), target, "builtin".to_owned(), |_| None)
    }

    fn names(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn failures_are_added_passes_removed_and_the_rest_kept_per_target() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("deep/last-run.json");
        let embedded = last_run(&file, None);
        assert_eq!(embedded.rerun(), Ok(Rerun::Everything));
        embedded.remember(&[("a".into(), true), ("b".into(), true), ("c".into(), false)]);
        assert_eq!(embedded.rerun(), Ok(Rerun::Only(names(&["a", "b"]))));
        // A later run of `a` alone that passes: `b` did not run and stays.
        embedded.remember(&[("a".into(), false)]);
        assert_eq!(embedded.rerun(), Ok(Rerun::Only(names(&["b"]))));
        embedded.remember(&[("b".into(), false)]);
        assert_eq!(embedded.rerun(), Ok(Rerun::Only(BTreeSet::new())));
        // Another target, or another suite, has a record of its own.
        let other = last_run(&file, Some("http://gws:8090"));
        assert_eq!(other.rerun(), Ok(Rerun::Everything));
        other.remember(&[("z".into(), true)]);
        assert_eq!(embedded.rerun(), Ok(Rerun::Only(BTreeSet::new())));
        let mine = LastRun::new(Some(&file), None, "builtin + /mine".into(), |_| None);
        assert_eq!(mine.rerun(), Ok(Rerun::Everything));
    }

    #[test]
    fn a_malformed_record_is_located_and_then_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("last-run.json");
        std::fs::write(&file, "{\n  \"format\": 1,\n  \"runs\": 7\n}\n").unwrap();
        let record = last_run(&file, None);
        let error = record.rerun().unwrap_err();
        assert!(
            error.starts_with(&format!("{}:3:", file.display())),
            "{error}"
        );
        record.remember(&[("a".into(), true)]);
        assert_eq!(record.rerun(), Ok(Rerun::Only(names(&["a"]))));
        // An empty file (`/dev/null`) is no record.
        std::fs::write(&file, "").unwrap();
        assert_eq!(record.rerun(), Ok(Rerun::Everything));
    }

    #[test]
    fn the_default_file_is_in_the_cache_directory() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let file = |run: LastRun| run.file.map(|f| f.display().to_string());
        let xdg = LastRun::new(
            None,
            None,
            String::new(),
            env(&[("XDG_CACHE_HOME", "/c"), ("HOME", "/h")]),
        );
        assert_eq!(file(xdg).as_deref(), Some("/c/gws-conform/last-run.json"));
        let home = LastRun::new(
            None,
            None,
            String::new(),
            env(&[("XDG_CACHE_HOME", ""), ("HOME", "/h")]),
        );
        assert_eq!(
            file(home).as_deref(),
            Some("/h/.cache/gws-conform/last-run.json")
        );
        assert_eq!(
            file(LastRun::new(None, None, String::new(), env(&[]))),
            None
        );
    }
}
