//! Reporters: functions of the run's events. Nothing here talks to a target.
//!
//! Each trial of a run is a [`Subject`] (a scenario of `run`, a replayed group of a capture)
//! with its [`ScenarioRun`](crate::run::ScenarioRun); reporters only need the few facts the
//! trait gives about the subject.

pub mod json;
pub mod junit;
pub mod terminal;

use crate::scenario::Scenario;

/// What a report says about the thing a trial ran.
pub trait Subject {
    /// The trial's name.
    fn name(&self) -> &str;
    /// The file it came from (JUnit's `classname`).
    fn file(&self) -> String;
    /// The requirement ids it covers.
    fn covers(&self) -> &[String];
    /// Where step `step` (as numbered in the run's events) is, as a parenthesised suffix for a
    /// finding's line (` (step 2 `expect`, file:line)`); `None` when unknown.
    fn step_location(&self, step: usize) -> Option<String>;
}

impl<T: Subject + ?Sized> Subject for std::sync::Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn file(&self) -> String {
        (**self).file()
    }

    fn covers(&self) -> &[String] {
        (**self).covers()
    }

    fn step_location(&self, step: usize) -> Option<String> {
        (**self).step_location(step)
    }
}

impl Subject for Scenario {
    fn name(&self) -> &str {
        &self.name
    }

    fn file(&self) -> String {
        self.file.display().to_string()
    }

    fn covers(&self) -> &[String] {
        &self.covers
    }

    fn step_location(&self, step: usize) -> Option<String> {
        let s = self.steps.get(step)?;
        Some(format!(
            " (step {} `{}`, {}:{})",
            step + 1,
            s.action.keyword(),
            self.file.display(),
            s.position.line
        ))
    }
}

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes a report atomically: to a temporary file beside the target, then renamed over it,
/// so a reader never sees half a report.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let temporary = temporary_beside(path);
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// A fresh temporary path in the directory of `path` (so renaming it over `path` is atomic):
/// `.{name}.{pid}.{n}.tmp`, unique within the process.
pub fn temporary_beside(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}
