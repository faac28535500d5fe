//! Reporters: functions of the run's events. Nothing here talks to a target.
//!
//! Each trial of a run is a [`Subject`] (a scenario of `run`, a replayed group of a capture)
//! with its [`ScenarioRun`](crate::run::ScenarioRun); reporters only need the few facts the
//! trait gives about the subject. Report files are written by [`crate::output`].

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
