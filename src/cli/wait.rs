//! `--wait-for-target DURATION` of `run` and `replay`: a target still starting (a CI job that
//! has just launched the server under test) is polled until it answers, so the job needs no
//! `sleep` or retry loop of its own; one that does not answer in time means the command could
//! not run (exit 3).

use std::time::Duration;

use clap::Args;

use super::run::parse_duration;
use crate::driver::route::Route;
use crate::exit;
use crate::run::wait_until_reachable;

/// The option, flattened into the commands that take a target.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Before anything else, wait until the target answers an HTTP request (any status), for at
    /// most this long (`250ms`, `10s`, `5m`); then exit 3. Needs a target (`--target` or the
    /// profile's `base_url`).
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = parse_duration,
        env = "GWS_CONFORM_WAIT_FOR_TARGET"
    )]
    pub wait_for_target: Option<Duration>,
}

impl WaitArgs {
    /// Whether it is asked for without a target (the embedded servers need no waiting for):
    /// the error to print as bad input.
    pub fn refuse_without_target(&self, target: Option<&str>) -> Result<(), String> {
        match (self.wait_for_target, target) {
            (Some(_), None) => Err(
                "--wait-for-target applies to a --target (the embedded servers need no waiting)"
                    .to_owned(),
            ),
            _ => Ok(()),
        }
    }

    /// Waits for `target` when asked to, each probe taking at most `probe_timeout`; says on
    /// standard error how long it took, or why it gave up, and then returns the
    /// could-not-run exit code.
    pub fn wait(
        &self,
        runtime: &tokio::runtime::Runtime,
        target: &str,
        probe_timeout: Duration,
        route: &Route,
    ) -> Result<(), i32> {
        let Some(within) = self.wait_for_target else {
            return Ok(());
        };
        let waited = wait_until_reachable(target, within, probe_timeout, route);
        match runtime.block_on(waited) {
            Ok(took) => {
                eprintln!(
                    "note: the target {target} answered after {}",
                    crate::driver::format_duration(took)
                );
                Ok(())
            }
            Err(why) => {
                eprintln!("error: {why}");
                eprintln!("error: nothing was run");
                Err(exit::COULD_NOT_RUN)
            }
        }
    }
}
