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
/// target cannot be cleaned at all (it stopped answering), so nothing is run. Each lane
/// (`lanes`: its profile and the scenarios that run in it) is cleaned at the same time as the
/// others: their users and contact centres are apart, and each waits for its queue to drain.
pub(super) fn before_run(
    runtime: &Runtime,
    target: &str,
    lanes: Vec<(Profile, Vec<&Scenario>)>,
    request_timeout: Duration,
    route: &Route,
) -> Result<(), i32> {
    let mut cleanings = tokio::task::JoinSet::new();
    for (index, (profile, scenarios)) in lanes.into_iter().enumerate() {
        let users = TargetUsers::of(scenarios);
        let (target, route) = (target.to_owned(), route.clone());
        cleanings.spawn_on(
            async move {
                let limits = Limits::new(request_timeout);
                (
                    index,
                    clean_target(&target, &route, &profile, &users, limits).await,
                )
            },
            runtime.handle(),
        );
    }
    let mut reports = runtime.block_on(cleanings.join_all());
    reports.sort_by_key(|(index, _)| *index);
    for (_, cleaned) in reports {
        match cleaned {
            Ok(report) if report.is_empty() => {}
            Ok(report) => eprintln!("{report}"),
            Err(error) => {
                eprintln!("error: cannot clean the target {target}: {error}");
                eprintln!("error: nothing was run");
                return Err(exit::COULD_NOT_RUN);
            }
        }
    }
    Ok(())
}
