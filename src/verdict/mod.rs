//! From findings to verdicts a vendor can act on (docs/verdicts.md):
//!
//! - [`attribution`]: within one trial, which failures are consequences of an earlier finding
//!   (`blocked_by`), so the root cause is named once.
//! - [`matrix`]: across the trials of a run, one verdict per requirement (PASS, FAIL,
//!   NON-STRICT, KNOWN, BLOCKED, NOT RUN), root causes first, identical findings folded.
//! - [`baseline`]: accepted deviations (`--baseline`): which findings are known, which
//!   recorded deviations no longer occur, and the file `--baseline-update` writes.

pub mod attribution;
pub mod baseline;
pub mod matrix;
