//! Reporters: functions of the run's events. Nothing here talks to a target.
//!
//! Each trial of a run is a [`Subject`](crate::trial::Subject) (a scenario of `run`, a
//! replayed group of a capture) with its [`ScenarioRun`](crate::trial::ScenarioRun); reporters
//! only need the few facts the trait gives about the subject.

pub mod json;
pub mod junit;
pub mod terminal;

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
