//! `RunEvent`: the single contract between the runner and everything downstream (checks,
//! reporters, recorders). Results are data: nothing prints while a scenario runs.
//!
//! The JSON Lines report writes one event per line, as serialised here: an object with an
//! `"event"` tag (documented in docs/json-events.md). Events read back as they were written
//! (`gws-conform report` makes its reports from a saved stream).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::check::{Cause, Finding, Located, NotificationRef, ResponseRef};
use crate::trial::Subject;

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// A step of a trial as the `scenario_started` event lists it, so that a saved stream can be
/// reported on without the scenario files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepInfo {
    /// Where the step is, as the trial describes it ([`Subject::step_location`]: ` (step 2
    /// `expect`, file:line)`).
    pub location: String,
    /// The requirements the step checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
}

/// One thing that happened during a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    /// A scenario began.
    ScenarioStarted {
        /// Scenario name.
        scenario: String,
        /// The file it came from ([`Subject::file`]); absent in streams written before it was
        /// listed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        /// The requirements it covers.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        covers: Vec<String>,
        /// Its steps, in order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        steps: Vec<StepInfo>,
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
        #[serde(default, skip_serializing_if = "Option::is_none")]
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
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_ms: Option<u64>,
        /// Whether its client saw it come back in a redelivered block (see
        /// [`crate::driver::bayeux::Delivery::redelivered`]).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        redelivered: bool,
        /// In a replay, the `seq` of the recorded notification it was paired with (its
        /// [`RunEvent::RecordedNotification`]); `None` when it has none, and in `run`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        counterpart: Option<u64>,
        /// The notification (`data`).
        data: Value,
    },
    /// In a replay (when its traffic is kept: `--json`, `--html`), a notification an actor
    /// received in the recording, in recorded order per actor; a log notification carrying
    /// several entries is one per entry, as the replay compares them
    /// ([`crate::replay::batching`]).
    RecordedNotification {
        /// Scenario (replayed group) name.
        scenario: String,
        /// Receiving actor.
        actor: String,
        /// Position in the actor's recorded stream (0-based).
        seq: u64,
        /// Bayeux channel.
        channel: String,
        /// The `seq` of the replayed notification it was paired with (its
        /// [`RunEvent::Notification`]), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        counterpart: Option<u64>,
        /// The ruling that lets a server send it or not (`choice-set-in-focus`, …), when it
        /// is such a notification.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        optional: Option<String>,
        /// The notification (`data`), as recorded.
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
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notifications: Vec<NotificationRef>,
        /// The responses it is about, if any.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        responses: Vec<ResponseRef>,
        /// The earlier finding this one is a consequence of, if any: then it is shown as
        /// blocked by that root cause, not as a failure of its own requirement.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blocked_by: Option<Cause>,
        /// Whether the run's baseline (`--baseline`) accepts it: it, or the root cause it is a
        /// consequence of, is a deviation the vendor recorded. A known finding fails nothing.
        /// Set by the harness when its trial ends and again once the run's consequences are
        /// settled (crate::verdict::baseline), never by a check.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
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
        #[serde(default, skip_serializing_if = "Option::is_none")]
        repetitions: Option<Repetitions>,
    },
}

/// How the repetitions of one scenario went (`run --repeat N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The event that starts a trial of `subject`, listing what reports need to know about it.
    pub fn started(subject: &impl Subject) -> Self {
        let steps = (0..subject.step_count())
            .map(|step| StepInfo {
                location: subject.step_location(step).unwrap_or_default(),
                covers: subject.step_covers(step).to_vec(),
            })
            .collect();
        RunEvent::ScenarioStarted {
            scenario: subject.name().to_owned(),
            file: Some(subject.file()),
            covers: subject.covers().to_vec(),
            steps,
        }
    }

    /// The trial (scenario or replayed group) the event belongs to.
    pub fn scenario(&self) -> &str {
        match self {
            RunEvent::ScenarioStarted { scenario, .. }
            | RunEvent::Exchange { scenario, .. }
            | RunEvent::Notification { scenario, .. }
            | RunEvent::RecordedNotification { scenario, .. }
            | RunEvent::Step { scenario, .. }
            | RunEvent::Finding { scenario, .. }
            | RunEvent::ScenarioFinished { scenario, .. } => scenario,
        }
    }

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

    /// A finding of `scenario` (at `step`, if a step's check made it) about the notifications
    /// and responses `located` names, and a root cause until shown otherwise.
    pub fn located(scenario: &str, step: Option<usize>, located: Located) -> Self {
        RunEvent::Finding {
            scenario: scenario.to_owned(),
            step,
            finding: located.finding,
            notifications: located.notifications,
            responses: located.responses,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::check::Verdict;
    use crate::trial::Named;

    /// Every kind of event, with its optional fields both present and absent.
    fn every_kind() -> Vec<RunEvent> {
        let finding = Finding {
            check: "schema".to_owned(),
            requirement: "NOTIF-SCHEMA".to_owned(),
            verdict: Verdict::NonStrict,
            message: "bad".to_owned(),
            details: vec!["/chat: missing".to_owned()],
        };
        vec![
            RunEvent::started(&Named("s")),
            RunEvent::ScenarioStarted {
                scenario: "s".to_owned(),
                file: Some("s.yaml".to_owned()),
                covers: vec!["MON-MODE".to_owned()],
                steps: vec![StepInfo {
                    location: " (step 1 `login`, s.yaml:3)".to_owned(),
                    covers: vec!["BASE-LOGIN".to_owned()],
                }],
            },
            RunEvent::Exchange {
                scenario: "s".to_owned(),
                actor: Some("agent".to_owned()),
                step: Some(0),
                method: "POST".to_owned(),
                url: "http://127.0.0.1:1/api/v2/me".to_owned(),
                request: Some(json!({"operationName": "Ready"})),
                status: Some(200),
                response: Some(json!({"statusCode": 0})),
                elapsed_ms: 3,
                at_ms: Some(1),
                error: None,
            },
            RunEvent::Notification {
                scenario: "s".to_owned(),
                actor: "agent".to_owned(),
                seq: 2,
                channel: "/v2/me/chats".to_owned(),
                at_ms: None,
                redelivered: true,
                counterpart: Some(4),
                data: json!({"messageType": "ChatStateChangeMessage"}),
            },
            RunEvent::RecordedNotification {
                scenario: "s".to_owned(),
                actor: "agent".to_owned(),
                seq: 4,
                channel: "/v2/me/chats".to_owned(),
                counterpart: Some(2),
                optional: Some("choice-set-in-focus".to_owned()),
                data: json!({"messageType": "ChatStateChangeMessage"}),
            },
            RunEvent::RecordedNotification {
                scenario: "s".to_owned(),
                actor: "agent".to_owned(),
                seq: 5,
                channel: "/v2/me/chats".to_owned(),
                counterpart: None,
                optional: None,
                data: json!({"messageType": "ChatStateChangeMessage"}),
            },
            RunEvent::Step {
                scenario: "s".to_owned(),
                step: 0,
                line: 3,
                action: "login".to_owned(),
                passed: false,
                message: Some("no".to_owned()),
            },
            RunEvent::Finding {
                scenario: "s".to_owned(),
                step: Some(0),
                finding: finding.clone(),
                notifications: vec![NotificationRef::whole("agent", 2)],
                responses: vec![ResponseRef {
                    actor: "agent".to_owned(),
                    step: None,
                    path: Some("chat".to_owned()),
                }],
                blocked_by: Some(Cause {
                    requirement: "CAP-COACH".to_owned(),
                    check: "schema".to_owned(),
                    signature: "sig".to_owned(),
                }),
                known: true,
            },
            RunEvent::found("s", None, finding),
            RunEvent::ScenarioFinished {
                scenario: "s".to_owned(),
                outcome: Outcome::Failed,
                duration_ms: 9,
                repetitions: Some(Repetitions { runs: 3, failed: 1 }),
            },
        ]
    }

    #[test]
    fn every_event_reads_back_as_it_was_written() {
        for event in every_kind() {
            let line = serde_json::to_string(&event).unwrap();
            let back: RunEvent = serde_json::from_str(&line).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), line);
            assert_eq!(back.scenario(), "s");
        }
    }

    #[test]
    fn an_event_of_an_unknown_kind_or_with_a_wrong_field_does_not_read() {
        for line in [
            r#"{"event":"nonsense","scenario":"s"}"#,
            r#"{"event":"step","scenario":"s","step":"one","line":1,"action":"x","passed":true,"message":null}"#,
            r#"{"scenario":"s"}"#,
        ] {
            assert!(serde_json::from_str::<RunEvent>(line).is_err(), "{line}");
        }
    }
}
