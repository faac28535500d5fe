//! Reporters: functions of the run's events. Nothing here talks to a target.

pub mod terminal;
