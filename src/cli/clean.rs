//! `run` against a target: before the first scenario, the selected scenarios' users are
//! brought back to logged out ([`crate::run::janitor`]), so what an interrupted earlier run
//! left on the target does not fail this one. The report goes to stderr; nothing is printed
//! when there was nothing to clean.

use std::time::Duration;

use tokio::runtime::Runtime;

use crate::driver::route::Route;
use crate::exit;
use crate::profile::Profile;
use crate::run::janitor::{Limits, TargetUsers, clean_target};
use crate::scenario::Scenario;

/// Cleans the target of `scenarios`' users and prints what was done; the exit code when the
/// target cannot be cleaned at all (it stopped answering), so nothing is run.
pub(super) fn before_run<'a>(
    runtime: &Runtime,
    target: &str,
    profile: &Profile,
    scenarios: impl IntoIterator<Item = &'a Scenario>,
    request_timeout: Duration,
    route: &Route,
) -> Result<(), i32> {
    let users = TargetUsers::of(scenarios);
    let cleaning = clean_target(target, route, profile, &users, Limits::new(request_timeout));
    match runtime.block_on(cleaning) {
        Ok(report) => {
            if !report.is_empty() {
                eprintln!("{report}");
            }
            Ok(())
        }
        Err(error) => {
            eprintln!("error: cannot clean the target {target}: {error}");
            eprintln!("error: nothing was run");
            Err(exit::COULD_NOT_RUN)
        }
    }
}
