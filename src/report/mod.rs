//! Reporters: functions of the run's events. Nothing here talks to a target.
//!
//! Each trial of a run is a [`Subject`](crate::trial::Subject) (a scenario of `run`, a
//! replayed group of a capture) with its [`ScenarioRun`](crate::trial::ScenarioRun); reporters
//! only need the few facts the trait gives about the subject. Report files are written by
//! [`crate::output`].

pub mod html;
pub mod json;
pub mod junit;
pub mod live;
pub mod saved;
pub mod terminal;

use crate::check::Verdict;

/// A finding's tier as the report writes it, `(known)` when the baseline accepts it.
pub fn tier(verdict: Verdict, strict: bool, known: bool) -> &'static str {
    match (verdict, known) {
        (Verdict::Fail, false) => "FAIL",
        (Verdict::Fail, true) => "FAIL (known)",
        (Verdict::NonStrict, false) if strict => "FAIL (strict)",
        (Verdict::NonStrict, false) => "NON-STRICT",
        (Verdict::NonStrict, true) => "NON-STRICT (known)",
        (Verdict::Info, _) => "INFO",
    }
}
