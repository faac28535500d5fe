//! The executor: runs one scenario against a target, as its actors (customers over HTTP;
//! agents and supervisors over HTTP and CometD), and turns everything that happened into
//! [`RunEvent`]s. Checks of the whole exchange (schemas, invariants) run at the end over the
//! notifications every actor received.

mod actors;
mod expect;
pub mod janitor;
pub mod lanes;
pub mod quiet;
mod reach;
mod record;
mod repeated;
pub(crate) mod requests;
mod steps;
pub mod stop;
pub mod user_locks;
pub mod verify;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::check::{Finding, Located, NotificationRef, ResponseRef, Verdict};
use crate::driver::bayeux::{BayeuxConfig, Inbox};
use crate::driver::format_duration;
use crate::driver::http::{Auth, HttpActor};
use crate::driver::route::Route;
use crate::event::{Outcome, RunEvent};
use crate::har::HarWriter;
use crate::profile::Profile;
use crate::scenario::Scenario;
use crate::scenario::template::Variables;
pub use crate::trial::ScenarioRun;
use crate::trial::Subject;
use crate::verdict::attribution::attribute;
use actors::{AgentSession, CustomerSession};
pub use quiet::{QuietCalibration, QuietPolicy};
pub use reach::{check_reachable, wait_until_reachable};
pub use stop::{Stop, StopCause};
pub use verify::Verifier;

/// Everything a scenario run needs to know about the target and the checks.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// The target's base URL.
    pub base_url: String,
    /// Who to log in as.
    pub profile: Profile,
    /// Deadline of each HTTP request.
    pub request_timeout: Duration,
    /// Deadline of a whole scenario.
    pub scenario_timeout: Duration,
    /// Bayeux client settings.
    pub bayeux: BayeuxConfig,
    /// Schemas, fixtures and invariants.
    pub verifier: Arc<Verifier>,
    /// Where every exchange of every actor is recorded (`run --record`).
    pub record: Option<Arc<HarWriter>>,
    /// The way to the target (directly, or through a proxy).
    pub route: Route,
    /// How long quiet windows last, from the latencies the run observes (shared by all its
    /// scenarios).
    pub quiet: Arc<QuietCalibration>,
}

/// Why a step stopped the scenario.
#[derive(Debug)]
pub(crate) enum StepError {
    /// A check failed (already recorded as a finding).
    Failed,
    /// The scenario cannot go on for a reason on the harness's side (missing credentials, an
    /// actor used before logging in). Whatever the target does wrong is a `Failed` finding.
    CouldNotRun(String),
}

/// The state of one scenario while it runs.
pub(crate) struct Runner<'a> {
    scenario: &'a Scenario,
    ctx: &'a RunContext,
    vars: Variables,
    agents: HashMap<String, AgentSession>,
    /// The inboxes of sessions that a later login of the same actor replaced, oldest first:
    /// what they received is judged with the rest.
    replaced: Vec<(String, Inbox)>,
    customers: HashMap<String, CustomerSession>,
    events: Vec<RunEvent>,
    step: Option<usize>,
    recording: Option<record::Recording>,
    /// When the scenario started (notifications' arrival times are measured from it).
    started: Instant,
    /// When each step that ran began, by index.
    step_started: Vec<Instant>,
    /// When the clean-up began (ms from `started`), once it has.
    clean_up_from_ms: Option<u64>,
}

impl<'a> Runner<'a> {
    fn new(scenario: &'a Scenario, ctx: &'a RunContext) -> Self {
        let mut vars = Variables::default();
        vars.set("base_url", serde_json::Value::String(ctx.base_url.clone()));
        Self {
            scenario,
            ctx,
            vars,
            agents: HashMap::new(),
            replaced: Vec::new(),
            customers: HashMap::new(),
            events: Vec::new(),
            step: None,
            recording: ctx
                .record
                .as_ref()
                .map(|writer| record::Recording::new(writer.clone(), &scenario.name)),
            started: Instant::now(),
            step_started: Vec::new(),
            clean_up_from_ms: None,
        }
    }

    /// Makes step `index` (or none: the clean-up) the current one.
    fn enter_step(&mut self, index: Option<usize>) {
        self.step = index;
        if let Some(index) = index {
            self.step_started.resize(index + 1, Instant::now());
            self.step_started[index] = Instant::now();
        }
        if let Some(recording) = &self.recording {
            let line = |i: usize| self.scenario.steps.get(i).map_or(0, |s| s.position.line);
            recording.steps().enter(index.map(|i| (i, line(i))));
        }
    }

    /// The HTTP side of `actor` (`None`: anonymous requests), recorded when the run records.
    pub(crate) fn http_actor(
        &self,
        actor: Option<&str>,
        auth: Auth,
    ) -> Result<HttpActor, StepError> {
        let http = HttpActor::new(
            &self.ctx.base_url,
            auth,
            self.ctx.request_timeout,
            &self.ctx.route,
        )
        .map_err(|e| StepError::CouldNotRun(format!("cannot build an HTTP client: {e}")))?;
        let Some(recording) = &self.recording else {
            return Ok(http);
        };
        let role = actor
            .and_then(|name| self.scenario.actor(name))
            .map(|spec| spec.role.as_str());
        Ok(http.with_tap(recording.tap(actor, role)))
    }

    /// Records a finding of the current step, weighed by its requirement's level.
    pub(crate) fn finding(&mut self, finding: Finding) {
        self.located(Located::about(finding, Vec::new()));
    }

    /// Records a finding of the current step about some notifications, weighed by its
    /// requirement's level.
    pub(crate) fn located(&mut self, located: Located) {
        self.events.push(RunEvent::Finding {
            scenario: self.scenario.name.clone(),
            step: self.step,
            finding: located.finding.weighed(self.ctx.verifier.catalogue()),
            notifications: located.notifications,
            responses: located.responses,
            blocked_by: None,
            known: false,
        });
    }

    /// Records a failed check of the current step, citing the step's first requirement.
    pub(crate) fn fail(
        &mut self,
        check: &str,
        message: impl Into<String>,
        details: Vec<String>,
    ) -> StepError {
        self.fail_at(check, message, details, Vec::new())
    }

    /// [`Self::fail`] for a check that judged some notifications (the near misses of an
    /// expectation, at the place each differs).
    pub(crate) fn fail_at(
        &mut self,
        check: &str,
        message: impl Into<String>,
        details: Vec<String>,
        notifications: Vec<NotificationRef>,
    ) -> StepError {
        let finding = self.step_failure(check, message, details);
        self.located(Located::about(finding, notifications));
        StepError::Failed
    }

    /// [`Self::fail`] for a check that judged a place (`path`; `None`: the whole body) in the
    /// response to `actor`'s request of the current step.
    pub(crate) fn fail_in_response(
        &mut self,
        check: &str,
        message: impl Into<String>,
        details: Vec<String>,
        actor: &str,
        path: Option<String>,
    ) -> StepError {
        let finding = self.step_failure(check, message, details);
        let response = ResponseRef {
            actor: actor.to_owned(),
            step: self.step,
            path,
        };
        self.located(Located::in_response(finding, response));
        StepError::Failed
    }

    /// A failed check of the current step, citing the step's first requirement.
    fn step_failure(
        &self,
        check: &str,
        message: impl Into<String>,
        details: Vec<String>,
    ) -> Finding {
        Finding {
            check: check.to_owned(),
            requirement: self.current_requirement(),
            verdict: Verdict::Fail,
            message: message.into(),
            details,
        }
    }

    pub(crate) fn current_requirement(&self) -> String {
        self.step
            .and_then(|i| self.scenario.steps.get(i))
            .and_then(|s| s.covers.first().cloned())
            .or_else(|| self.scenario.covers.first().cloned())
            .unwrap_or_default()
    }
}

/// Runs one scenario to completion (or to its first failed step) and checks everything the
/// actors received.
pub async fn run_scenario(scenario: &Scenario, ctx: &RunContext) -> ScenarioRun {
    run_scenario_until(scenario, ctx, &Stop::new()).await
}

/// [`run_scenario`], leaving the steps when `stop` is requested: the scenario then could not
/// run (it is no verdict on the target), and its actors are cleaned up as after any end.
pub async fn run_scenario_until(scenario: &Scenario, ctx: &RunContext, stop: &Stop) -> ScenarioRun {
    let started = Instant::now();
    let mut runner = Runner::new(scenario, ctx);
    runner.events.push(RunEvent::started(scenario));
    let steps = tokio::time::timeout(ctx.scenario_timeout, runner.run_steps());
    let result = tokio::select! {
        ended = steps => match ended {
            Ok(result) => result,
            Err(_) => Err(runner.fail(
                "scenario.deadline",
                format!(
                    "the scenario did not finish within {}",
                    format_duration(ctx.scenario_timeout)
                ),
                Vec::new(),
            )),
        },
        () = stop.requested() => {
            let why = stop.cause().map(|c| c.describe()).unwrap_or_default();
            let message = match runner.step {
                Some(index) => {
                    let message = format!("stopped at step {}: {why}", index + 1);
                    runner.step_ended(index, false, Some(message.clone()));
                    message
                }
                None => format!("stopped: {why}"),
            };
            Err(StepError::CouldNotRun(message))
        }
    };
    runner.enter_step(None);
    runner.check_sessions();
    runner.clean_up().await;
    runner.collect_notifications();
    attribute(&mut runner.events, |step, requirement| {
        scenario.declares(step, requirement)
    });
    let could_not_run = match &result {
        Err(StepError::CouldNotRun(message)) => Some(message.clone()),
        _ => None,
    };
    // A step that stopped the scenario recorded why as a finding, weighed by its requirement's
    // level: a SHOULD's is NON-STRICT, so it fails the scenario only under --strict.
    let failed = runner
        .events
        .iter()
        .filter_map(RunEvent::finding)
        .any(|f| f.verdict == Verdict::Fail);
    let outcome = match (could_not_run, failed) {
        (Some(_), _) => Outcome::Errored,
        (None, true) => Outcome::Failed,
        (None, false) => Outcome::Passed,
    };
    let duration = started.elapsed();
    runner.events.push(RunEvent::ScenarioFinished {
        scenario: scenario.name.clone(),
        outcome,
        duration_ms: duration.as_millis() as u64,
        repetitions: None,
    });
    ScenarioRun {
        events: runner.events,
        outcome,
        duration,
    }
}
