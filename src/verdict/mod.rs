//! From findings to verdicts a vendor can act on (docs/verdicts.md):
//!
//! - [`attribution`]: within one trial, which failures are consequences of an earlier finding
//!   (`blocked_by`), so the root cause is named once.
//! - [`matrix`]: across the trials of a run, one verdict per requirement (PASS, FAIL,
//!   NON-STRICT, BLOCKED, NOT RUN), root causes first, identical findings folded.

pub mod attribution;
pub mod matrix;
