//! Process exit codes, in one place (documented in docs/exit-codes.md).

/// Everything ran and conformed.
pub const SUCCESS: i32 = 0;
/// At least one conformance failure (or, with `--strict`, a NON-STRICT finding).
pub const FAILURES: i32 = 1;
/// Bad input: a scenario, profile, schema, fixture or command-line argument is invalid.
pub const BAD_INPUT: i32 = 2;
/// Could not run: the target is unreachable or setup failed.
pub const COULD_NOT_RUN: i32 = 3;
/// Stopped by Ctrl-C (SIGINT) or SIGTERM during `run --record`, after the recording was closed
/// with everything captured until then (128 + SIGINT, as shells report it).
pub const INTERRUPTED: i32 = 130;
