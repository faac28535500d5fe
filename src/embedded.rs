//! The built-in suite compiled into the binary (see `build.rs`): scenarios and the requirement
//! catalogue, JSON Schemas, documented examples and errata. Used when the working directory has
//! no `scenarios/`, `schemas/` or `fixtures/` of its own.

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// `fixtures/ERRATA.md`, which the errata list must agree with (`check-docs`).
pub const ERRATA_MD: &str = include_str!("../fixtures/ERRATA.md");
