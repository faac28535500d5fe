//! `gws-conform explore`: random sequences of what the documents let agents, supervisors and
//! customers do, each checked against a model of what the documents require, and a failure
//! shrunk to the smallest sequence that still shows it, written as an ordinary scenario.
//!
//! Data flows one way: [`op`] names operations, [`model`] says which are valid and what
//! state follows, [`predict`] what each must send to whom, [`compile`] turns a sequence into a
//! scenario, [`execute`] runs one against a server, [`search`] generates and shrinks
//! sequences, and [`coverage`] counts what was exercised.

pub mod compile;
pub mod coverage;
pub mod execute;
pub mod model;
pub mod op;
pub mod predict;
pub mod search;
pub mod world;

pub use coverage::Coverage;
pub use execute::{Executor, Failure, Server};
pub use search::{Budget, Outcome, Settings, Shrunk, search};
pub use world::World;
