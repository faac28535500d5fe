//! `RunEvent`: the single contract between the runner and everything downstream (checks,
//! reporters, recorders). Results are data: nothing prints while a scenario runs.
//!
//! The JSON Lines report writes one event per line, as serialised here: an object with an
//! `"event"` tag (documented in docs/json-events.md).

use serde::Serialize;
use serde_json::Value;

use crate::check::{Cause, Finding, NotificationRef, ResponseRef};

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every step ran and no finding is a failure.
    Passed,
    /// A step or a check failed.
    Failed,
    /// The scenario could not run for a reason on the harness's side (missing credentials, an
    /// actor used before logging in); an unreachable target stops the run before any scenario.
    Errored,
    /// Skipped (`ignore`).
    Ignored,
}

/// One thing that happened during a run.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    /// A scenario began.
    ScenarioStarted {
        /// Scenario name.
        scenario: String,
    },
    /// An HTTP exchange made by an actor (Bayeux long-polls are not listed; their messages
    /// appear as notifications).
    Exchange {
        /// Scenario name.
        scenario: String,
        /// Acting actor, if any.
        actor: Option<String>,
        /// Index of the step (0-based), if a step made it.
        step: Option<usize>,
        /// Method.
        method: String,
        /// Full URL.
        url: String,
        /// Request body, if any.
        request: Option<Value>,
        /// HTTP status, if a response arrived.
        status: Option<u16>,
        /// Response body (JSON, or a string when it was not JSON).
        response: Option<Value>,
        /// Time taken, in milliseconds.
        elapsed_ms: u64,
        /// When it was sent, in milliseconds from the scenario's start (absent in `replay`).
        #[serde(skip_serializing_if = "Option::is_none")]
        at_ms: Option<u64>,
        /// Transport error, if the exchange failed.
        error: Option<String>,
    },
    /// A notification an actor received, in arrival order per actor.
    Notification {
        /// Scenario name.
        scenario: String,
        /// Receiving actor.
        actor: String,
        /// Position in the actor's inbox (0-based).
        seq: u64,
        /// Bayeux channel.
        channel: String,
        /// When the long-poll reply carrying it was read, in milliseconds from the scenario's
        /// start (`None` where arrival times are not kept: replay).
        #[serde(skip_serializing_if = "Option::is_none")]
        at_ms: Option<u64>,
        /// Whether its client saw it come back in a redelivered block (see
        /// [`crate::driver::bayeux::Delivery::redelivered`]).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        redelivered: bool,
        /// The notification (`data`).
        data: Value,
    },
    /// A step finished.
    Step {
        /// Scenario name.
        scenario: String,
        /// Step index (0-based).
        step: usize,
        /// Line of the step in the scenario file.
        line: u32,
        /// Action keyword.
        action: String,
        /// Whether it succeeded.
        passed: bool,
        /// Why the step could not run (a failed check is a `finding` instead).
        message: Option<String>,
    },
    /// A check reported something.
    Finding {
        /// Scenario name.
        scenario: String,
        /// Step index, if a step's check produced it.
        step: Option<usize>,
        /// The finding.
        #[serde(flatten)]
        finding: Finding,
        /// The notifications it is about, if any.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        notifications: Vec<NotificationRef>,
        /// The responses it is about, if any.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        responses: Vec<ResponseRef>,
        /// The earlier finding this one is a consequence of, if any: then it is shown as
        /// blocked by that root cause, not as a failure of its own requirement.
        #[serde(skip_serializing_if = "Option::is_none")]
        blocked_by: Option<Cause>,
        /// Whether the run's baseline (`--baseline`) accepts it: it, or the root cause it is a
        /// consequence of, is a deviation the vendor recorded. A known finding fails nothing.
        /// Set by the harness when its trial ends and again once the run's consequences are
        /// settled (crate::verdict::baseline), never by a check.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        known: bool,
    },
    /// A scenario ended.
    ScenarioFinished {
        /// Scenario name.
        scenario: String,
        /// How it ended.
        outcome: Outcome,
        /// Wall time, in milliseconds.
        duration_ms: u64,
        /// Under `run --repeat N`: how the scenario's repetitions went (this trial's events are
        /// those of the first that failed, else of the first); absent otherwise.
        #[serde(skip_serializing_if = "Option::is_none")]
        repetitions: Option<Repetitions>,
    },
}

/// How the repetitions of one scenario went (`run --repeat N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Repetitions {
    /// How many ran (fewer than N when the run stopped first).
    pub runs: usize,
    /// How many of them failed (or could not run).
    pub failed: usize,
}

impl Repetitions {
    /// Some failed and some passed: the scenario is FLAKY (and fails the run).
    pub fn flaky(&self) -> bool {
        self.failed > 0 && self.failed < self.runs
    }
}

impl RunEvent {
    /// A finding of `scenario` (at `step`, if a step's check made it) about no notification in
    /// particular, and a root cause until shown otherwise.
    pub fn found(scenario: &str, step: Option<usize>, finding: Finding) -> Self {
        RunEvent::Finding {
            scenario: scenario.to_owned(),
            step,
            finding,
            notifications: Vec::new(),
            responses: Vec::new(),
            blocked_by: None,
            known: false,
        }
    }

    /// The finding carried by this event, if any.
    pub fn finding(&self) -> Option<&Finding> {
        match self {
            RunEvent::Finding { finding, .. } => Some(finding),
            _ => None,
        }
    }
}
