//! Runs one compiled exploration as a scenario, against a fresh embedded server (seeded as
//! asked) or against the target after its clean-up, and reads the verdict: the first finding
//! that fails it, and the operation whose steps made it.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::compile::Compiled;
use crate::check::Verdict;
use crate::event::{Outcome, RunEvent};
use crate::run::janitor::{Limits, TargetUsers, clean_target};
use crate::run::{RunContext, run_scenario};
use crate::scenario::{Scenario, load_str};
use crate::server::{ServerConfig, start};
use crate::spec::Catalogue;

/// What one exploration showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The requirement the first failing finding cites.
    pub requirement: String,
    /// Its check and message.
    pub message: String,
    /// The operation whose steps failed (`None`: a check of the whole run).
    pub op: Option<usize>,
}

/// The server explorations run against.
#[derive(Debug, Clone)]
pub enum Server {
    /// A fresh embedded reference server per exploration, configured so (seeded faults and
    /// variants).
    Embedded(Box<ServerConfig>),
    /// The target at this base URL, cleaned up before each exploration.
    Target(String),
}

/// Where explorations run.
pub struct Executor {
    /// The run's settings; `base_url` is filled in per run.
    pub ctx: RunContext,
    /// The server.
    pub server: Server,
    /// Requirement ids the scenarios may cite.
    pub catalogue: Catalogue,
    /// Whether NON-STRICT findings fail too.
    pub strict: bool,
}

/// The shortest wait for a predicted notification in explore's own runs.
const SEARCH_WITHIN_MIN: Duration = Duration::from_secs(1);

/// How many times the slowest observed delivery (the 99th percentile) explore's own runs wait
/// for a predicted notification.
const SEARCH_WITHIN_SCALE: u32 = 20;

impl Executor {
    /// How long explore's own runs wait for a predicted notification: twenty times the 99th
    /// percentile of the delivery latencies observed so far, at least 1 s, at most the
    /// scenario format's default (also the wait before anything was observed). A sequence that
    /// fails waits this long on its missing notification, once per run while it is confirmed
    /// and shrunk, so the search waits less than a written scenario; the file handed back keeps
    /// the default and is run alone before it is.
    pub fn search_within(&self) -> Duration {
        let default = Duration::from_millis(crate::scenario::DEFAULT_WITHIN_MS);
        self.ctx.quiet.summary().map_or(default, |calibration| {
            (calibration.p99 * SEARCH_WITHIN_SCALE).clamp(SEARCH_WITHIN_MIN, default)
        })
    }

    /// Runs `compiled` as scenario `name`: `Ok(None)` when it passed, `Ok(Some(_))` when it
    /// failed, `Err` when it could not run (a reason on the harness's or the network's side).
    pub async fn run(&self, name: &str, compiled: &Compiled) -> Result<Option<Failure>, String> {
        let file = Path::new(name).with_extension("yaml");
        let scenario = load_str(&compiled.yaml, &file, &self.catalogue, &*self.ctx.verifier)
            .map_err(|errors| {
                let first = errors.first().map(ToString::to_string).unwrap_or_default();
                format!("explore wrote a scenario that does not load (a bug): {first}")
            })?;
        let run = match &self.server {
            Server::Embedded(config) => {
                let server = start((**config).clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
                    .await
                    .map_err(|e| format!("cannot start the embedded reference server: {e}"))?;
                let ctx = RunContext {
                    base_url: server.base_url(),
                    ..self.ctx.clone()
                };
                let run = run_scenario(&scenario, &ctx).await;
                server.shutdown().await;
                run
            }
            Server::Target(target) => {
                clean(target, &self.ctx, &scenario).await?;
                let ctx = RunContext {
                    base_url: target.clone(),
                    ..self.ctx.clone()
                };
                run_scenario(&scenario, &ctx).await
            }
        };
        let mut could_not_run = None;
        for event in &run.events {
            match event {
                RunEvent::Finding {
                    step,
                    finding,
                    blocked_by: None,
                    ..
                } if finding.verdict == Verdict::Fail
                    || (self.strict && finding.verdict == Verdict::NonStrict) =>
                {
                    return Ok(Some(Failure {
                        requirement: finding.requirement.clone(),
                        message: format!("{}: {}", finding.check, finding.message),
                        op: step.and_then(|s| compiled.step_ops.get(s).copied()),
                    }));
                }
                RunEvent::Step {
                    message: Some(message),
                    ..
                } => could_not_run = Some(message.clone()),
                _ => {}
            }
        }
        match (could_not_run, run.outcome) {
            (Some(error), Outcome::Errored) => Err(error),
            (None, Outcome::Errored) => Err("the exploration could not run".into()),
            _ => Ok(None),
        }
    }
}

/// Brings the target's users of `scenario` back to logged out, as `run` does before a run.
async fn clean(target: &str, ctx: &RunContext, scenario: &Scenario) -> Result<(), String> {
    let users = TargetUsers::of([scenario]);
    let limits = Limits::new(ctx.request_timeout);
    let report = clean_target(target, &ctx.route, &ctx.profile, &users, limits)
        .await
        .map_err(|e| format!("cannot clean the target {target}: {e}"))?;
    if !report.warnings.is_empty() {
        return Err(report.to_string());
    }
    Ok(())
}
