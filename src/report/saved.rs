//! Saved JSON Lines streams (`run --json`, `replay --json`) read back into trials, so that
//! `gws-conform report` makes its reports from them as the run would have. Several files are
//! shards of one run: their trials are merged (a trial in two files is an error), their
//! summaries' counts added. The `requirement` lines are not read: the matrix is built again
//! from the trials, by the code the run used ([`crate::verdict::matrix`]), so that merged shards
//! get one matrix over all of them.
//!
//! Every problem is reported as `file:line:col: what` ([`SavedError`]).

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::event::{Outcome, RunEvent, StepInfo};
use crate::trial::{ScenarioRun, Subject};

/// A trial as its `scenario_started` event describes it.
#[derive(Debug, Clone)]
pub struct Recorded {
    name: String,
    file: String,
    covers: Vec<String>,
    steps: Vec<StepInfo>,
}

impl Subject for Recorded {
    fn name(&self) -> &str {
        &self.name
    }

    fn file(&self) -> String {
        self.file.clone()
    }

    fn covers(&self) -> &[String] {
        &self.covers
    }

    fn step_location(&self, step: usize) -> Option<String> {
        self.steps.get(step).map(|s| s.location.clone())
    }

    fn step_count(&self) -> usize {
        self.steps.len()
    }

    fn step_covers(&self, step: usize) -> &[String] {
        self.steps.get(step).map_or(&[], |s| s.covers.as_slice())
    }
}

/// The `summary` line's fields a report needs again (docs/json-events.md).
#[derive(Debug, Clone, Default, Deserialize)]
struct Summary {
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    suite: Option<String>,
    #[serde(default)]
    errored: usize,
    #[serde(default)]
    ignored: usize,
    #[serde(default)]
    not_run: usize,
    #[serde(default)]
    filtered_out: usize,
    #[serde(default)]
    elapsed_ms: u64,
}

/// One or more saved streams, merged.
#[derive(Debug)]
pub struct Saved {
    /// Every trial that ran, by name.
    pub trials: Vec<(Recorded, ScenarioRun)>,
    /// Whether the run was `--strict`.
    pub strict: bool,
    /// The JUnit suite the trials were (`scenarios` for `run`, `replay`).
    pub suite: String,
    /// Trials that could not run at all (they have no events, only a count in the summary).
    pub could_not_run: usize,
    /// Trials marked `ignore`.
    pub ignored: usize,
    /// Trials not started (the run stopped first).
    pub not_run: usize,
    /// Trials left out by the filters (added up over the files).
    pub filtered_out: usize,
    /// How long the run took: the longest of the shards (they may have run at once).
    pub elapsed: Duration,
}

/// What is wrong with a saved stream, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedError {
    /// The file.
    pub file: PathBuf,
    /// Line, from 1 (0: the file as a whole, shown as `file: what`).
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SavedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: {}", self.file.display(), self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for SavedError {}

/// What a JSON error says, without its own `at line 1 column N` (the line is one of the
/// file's: the place is given as `file:line:col`).
fn what(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// A trial being read: its subject, its events so far, where it started.
struct Open {
    subject: Recorded,
    events: Vec<RunEvent>,
    file: usize,
    line: usize,
}

/// The streams read so far.
struct Reader<'f> {
    files: &'f [PathBuf],
    /// Every trial started, by name (kept once finished, to refuse it in another file).
    open: HashMap<String, Open>,
    finished: Vec<(Recorded, ScenarioRun)>,
    summaries: Vec<Summary>,
}

impl Reader<'_> {
    /// Reads file `index`: every event, then its summary.
    fn file(&mut self, index: usize) -> Result<(), SavedError> {
        let path = &self.files[index];
        let whole = |line: usize, column: usize, message: String| SavedError {
            file: path.clone(),
            line,
            column,
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| whole(0, 0, e.to_string()))?;
        let mut summary = None;
        for (number, line) in text.lines().enumerate() {
            let at = |(column, message)| whole(number + 1, column, message);
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(line).map_err(|e| at(located(&e)))?;
            match value.get("event").and_then(Value::as_str) {
                Some("requirement") => {}
                Some("summary") => {
                    summary = Some(Summary::deserialize(&value).map_err(|e| at((1, what(&e))))?);
                }
                _ => {
                    let event = serde_json::from_str(line).map_err(|e| at(located(&e)))?;
                    self.event(index, number + 1, event)
                        .map_err(|e| at((1, e)))?;
                }
            }
        }
        let summary = summary.ok_or_else(|| {
            let last = text.lines().count();
            whole(
                last,
                1,
                "no summary line: the stream is incomplete".to_owned(),
            )
        })?;
        self.summaries.push(summary);
        Ok(())
    }

    /// Takes `event`, at `line` of file `index`, into its trial.
    fn event(&mut self, index: usize, line: usize, event: RunEvent) -> Result<(), String> {
        let name = event.scenario().to_owned();
        if let RunEvent::ScenarioStarted {
            file,
            covers,
            steps,
            ..
        } = &event
        {
            if let Some(other) = self.open.get(&name) {
                return Err(format!(
                    "scenario `{name}` is also in {}:{}: shards of one run hold each scenario \
                     once",
                    self.files[other.file].display(),
                    other.line
                ));
            }
            let subject = Recorded {
                name: name.clone(),
                file: file.clone().unwrap_or_default(),
                covers: covers.clone(),
                steps: steps.clone(),
            };
            let events = vec![event];
            let open = Open {
                subject,
                events,
                file: index,
                line,
            };
            self.open.insert(name, open);
            return Ok(());
        }
        let Some(open) = self.open.get_mut(&name).filter(|open| open.file == index) else {
            return Err(format!(
                "an event of scenario `{name}` before its scenario_started"
            ));
        };
        let ended = match &event {
            RunEvent::ScenarioFinished {
                outcome,
                duration_ms,
                ..
            } => Some((*outcome, Duration::from_millis(*duration_ms))),
            _ => None,
        };
        open.events.push(event);
        if let Some((outcome, duration)) = ended {
            let run = ScenarioRun {
                events: std::mem::take(&mut open.events),
                outcome,
                duration,
            };
            self.finished.push((open.subject.clone(), run));
        }
        Ok(())
    }
}

/// A JSON error's column and what it says.
fn located(error: &serde_json::Error) -> (usize, String) {
    (error.column(), what(error))
}

/// Reads and merges `files`.
pub fn read(files: &[PathBuf]) -> Result<Saved, SavedError> {
    let mut reader = Reader {
        files,
        open: HashMap::new(),
        finished: Vec::new(),
        summaries: Vec::new(),
    };
    for index in 0..files.len() {
        reader.file(index)?;
    }
    if let Some(open) = reader.open.values().find(|open| !open.events.is_empty()) {
        return Err(SavedError {
            file: files[open.file].clone(),
            line: open.line,
            column: 1,
            message: format!(
                "scenario `{}` never finished (no scenario_finished)",
                open.subject.name
            ),
        });
    }
    merge(files, reader.finished, &reader.summaries)
}

/// The merged run of the trials and summaries read.
fn merge(
    files: &[PathBuf],
    mut trials: Vec<(Recorded, ScenarioRun)>,
    summaries: &[Summary],
) -> Result<Saved, SavedError> {
    let whole = |index: usize, message: String| SavedError {
        file: files.get(index).cloned().unwrap_or_default(),
        line: 0,
        column: 0,
        message,
    };
    let first = summaries.first().cloned().unwrap_or_default();
    for (index, summary) in summaries.iter().enumerate() {
        if summary.strict != first.strict || summary.suite != first.suite {
            return Err(whole(
                index,
                format!(
                    "its summary differs from {}'s in `strict` or `suite`: shards of one run \
                     share them",
                    files[0].display()
                ),
            ));
        }
    }
    trials.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let errored_trials = trials
        .iter()
        .filter(|(_, run)| run.outcome == Outcome::Errored)
        .count();
    let sum = |count: fn(&Summary) -> usize| summaries.iter().map(count).sum::<usize>();
    Ok(Saved {
        strict: first.strict,
        suite: first.suite.unwrap_or_else(|| "scenarios".to_owned()),
        could_not_run: sum(|s| s.errored).saturating_sub(errored_trials),
        ignored: sum(|s| s.ignored),
        not_run: sum(|s| s.not_run),
        filtered_out: sum(|s| s.filtered_out),
        elapsed: Duration::from_millis(summaries.iter().map(|s| s.elapsed_ms).max().unwrap_or(0)),
        trials,
    })
}
