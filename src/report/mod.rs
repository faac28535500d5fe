//! Reporters: functions of the run's events. Nothing here talks to a target.
//!
//! Each trial of a run is a [`Subject`](crate::trial::Subject) (a scenario of `run`, a
//! replayed group of a capture) with its [`ScenarioRun`](crate::trial::ScenarioRun); reporters
//! only need the few facts the trait gives about the subject. Report files are written by
//! [`crate::output`].

pub mod json;
pub mod junit;
pub mod live;
pub mod terminal;
