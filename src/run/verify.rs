//! The checks that look at everything a target sent: every notification against the JSON
//! Schemas, matched notifications against the documented examples (fixtures), and the spec's
//! invariants over each actor's whole stream.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::check::diff::{Errata, Example, Masks, diff_against_example};
use crate::check::invariants::{self, ActorInfo, CustomerView, InvariantChecker, Role};
use crate::check::join_log::JoinLog;
use crate::check::join_timing::JoinTiming;
use crate::check::joining::Joining;
use crate::check::references::ChatReferences;
use crate::check::revocation::Revocations;
use crate::check::schema::{SchemaError, SchemaSet};
use crate::check::transcript::Transcripts;
use crate::check::{Finding, Located, ResponseRef};
use crate::event::RunEvent;
use crate::spec::Catalogue;

/// Why the checks' data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum VerifyLoadError {
    /// A schema is broken.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A fixture or the errata list is unreadable or not JSON.
    #[error("{path}: {message}")]
    Fixture {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Schemas, fixtures, errata and the requirement catalogue (which weighs every finding by its
/// requirement's level), loaded once per run and shared by every scenario.
#[derive(Debug)]
pub struct Verifier {
    schemas: SchemaSet,
    fixtures: HashMap<String, Value>,
    errata: Errata,
    masks: Masks,
    /// `None`: the built-in one, parsed on first use (a run gives its own, so parsing the
    /// built-in one at load would be wasted).
    catalogue: Option<Catalogue>,
}

impl Verifier {
    /// Loads `schemas/` and `fixtures/` (with `fixtures/errata.json`).
    pub fn load(schemas: &Path, fixtures: &Path) -> Result<Self, VerifyLoadError> {
        let schemas = SchemaSet::from_dir(schemas)?;
        let entries = std::fs::read_dir(fixtures).map_err(|e| VerifyLoadError::Fixture {
            path: fixtures.to_owned(),
            message: e.to_string(),
        })?;
        let mut files = Vec::new();
        for path in entries.flatten().map(|entry| entry.path()) {
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            if name.ends_with(".json") {
                let text =
                    std::fs::read_to_string(&path).map_err(|e| VerifyLoadError::Fixture {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                files.push((name, text));
            }
        }
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        Self::with_fixtures(schemas, &files)
    }

    /// The built-in schemas, fixtures and errata compiled into the binary.
    pub fn builtin() -> Result<Self, VerifyLoadError> {
        let schemas = SchemaSet::from_sources(crate::embedded::SCHEMAS.iter().copied())?;
        Self::with_fixtures(schemas, crate::embedded::FIXTURES)
    }

    /// Parses fixture files given as (file name, JSON text); `errata.json` is the errata list.
    fn with_fixtures(schemas: SchemaSet, files: &[(&str, &str)]) -> Result<Self, VerifyLoadError> {
        let mut examples = HashMap::new();
        let mut errata = Errata::default();
        for (name, text) in files {
            let invalid = |e: serde_json::Error| VerifyLoadError::Fixture {
                path: PathBuf::from(name),
                message: e.to_string(),
            };
            match name.strip_suffix(".json") {
                Some("errata") => errata = Errata::parse(text).map_err(invalid)?,
                Some(stem) => {
                    examples.insert(
                        stem.to_owned(),
                        serde_json::from_str(text).map_err(invalid)?,
                    );
                }
                None => {}
            }
        }
        Ok(Self {
            schemas,
            fixtures: examples,
            errata,
            masks: Masks::default(),
            catalogue: None,
        })
    }

    /// These checks citing `catalogue` (the one the scenarios were loaded with) instead of the
    /// built-in one.
    pub fn with_catalogue(mut self, catalogue: Catalogue) -> Self {
        self.catalogue = Some(catalogue);
        self
    }

    /// The requirement catalogue findings are weighed by.
    pub fn catalogue(&self) -> &Catalogue {
        self.catalogue
            .as_ref()
            .unwrap_or_else(|| Catalogue::builtin_shared())
    }

    /// The documented example called `name` (a fixture's file stem), if there is one.
    pub fn example(&self, name: &str) -> Option<&Value> {
        self.fixtures.get(name)
    }

    /// Whether a fixture of this name exists.
    pub fn has_fixture(&self, name: &str) -> bool {
        self.fixtures.contains_key(name)
    }

    /// The schemas.
    pub fn schemas(&self) -> &SchemaSet {
        &self.schemas
    }

    /// Diffs a notification against a documented example; `None` when they agree.
    pub fn compare_with_fixture(&self, name: &str, actual: &Value) -> Option<Finding> {
        let expected = self.fixtures.get(name)?;
        let example = Example {
            name,
            value: expected,
            errata: &self.errata,
        };
        diff_against_example(actual, &example, &self.masks).finding()
    }

    /// Checks a whole scenario's exchanges and notifications: every notification against the
    /// schemas, and the invariants over each actor's stream (which chat each names and where it
    /// arrives, what a party is shown on joining), the customers' polls and transcript reads,
    /// and the referenceIds the actors' requests returned. A finding raised on seeing one
    /// notification is located at it. `clean_up_from_ms` is when the scenario's clean-up began
    /// (its customers then leave, unrecorded), if it did.
    pub fn check_run(
        &self,
        actors: &[ActorInfo],
        events: &[RunEvent],
        clean_up_from_ms: Option<u64>,
    ) -> Vec<Located> {
        let mut located: Vec<Located> = Vec::new();
        // Findings about exchanges, or about a stream as a whole.
        let mut findings: Vec<Finding> = Vec::new();
        let mut invariants = InvariantChecker::new();
        let mut references = ChatReferences::new();
        let mut joining = Joining::new();
        for at_ms in customer_departures(actors, events).chain(clean_up_from_ms) {
            joining.customer_leaves(at_ms);
        }
        let mut transcripts = Transcripts::new();
        let mut revocations = Revocations::new();
        let mut join_timing = JoinTiming::new();
        let mut join_log = JoinLog::new();
        let info = |name: &str| actors.iter().find(|a| a.name == name);
        for event in events {
            match event {
                RunEvent::Exchange {
                    actor: Some(actor),
                    step,
                    method,
                    url,
                    request,
                    response: Some(body),
                    at_ms,
                    ..
                } => {
                    let Some(who) = info(actor) else {
                        continue;
                    };
                    if let (Role::Agent, Some(sent)) = (who.role, at_ms) {
                        join_timing.exchange(actor, url, request.as_ref(), body, *sent);
                    }
                    revocations.exchange(actor, method, url, request.as_ref());
                    match body.get("referenceId") {
                        Some(reference) => invariants.expect_reference(actor, reference),
                        None if is_successful_chat_operation(method, url, body) => {
                            invariants.reference_withheld(actor);
                        }
                        None => {}
                    }
                    if who.role == Role::Customer
                        && method == "GET"
                        && let Some((chat_id, view)) = customer_view(url, body)
                    {
                        if let CustomerView::Messages(read) = view {
                            findings.extend(transcripts.observe(actor, chat_id, url, read));
                        }
                        let at = ResponseRef {
                            actor: actor.clone(),
                            step: *step,
                            path: None,
                        };
                        invariants.observe_customer_view(&at, chat_id, view);
                    }
                }
                RunEvent::Notification {
                    actor,
                    seq,
                    channel,
                    at_ms,
                    redelivered,
                    data,
                    ..
                } => {
                    located.extend(self.schemas.validate_notification_of(actor, *seq, data));
                    located.extend(references.observe(actor, *seq, channel, data));
                    let mut here = Vec::new();
                    if let Some(who) = info(actor) {
                        let observed = invariants.observe_delivery(who, *seq, data, *redelivered);
                        // A repeat is NOTIF-UNIQUE's alone: the rules about a chat's first
                        // notifications and its end judge the notification when it first came.
                        let repeat = observed.iter().any(|f| f.check == invariants::UNIQUE_CHECK);
                        here.extend(observed);
                        match (who.role, at_ms) {
                            (Role::Agent, _) => join_timing.agent_notification(actor, *seq, data),
                            (Role::Supervisor, Some(at)) => join_timing.supervisor_notification(
                                actor,
                                who.user_id.as_deref(),
                                *seq,
                                *at,
                                data,
                            ),
                            _ => {}
                        }
                        if !repeat {
                            here.extend(joining.observe(who, *seq, *at_ms, data));
                            join_log.observe(who, *seq, data);
                            if let Some(at_ms) = at_ms {
                                revocations.observe(who, *at_ms, data);
                            }
                        }
                    }
                    located.extend(here.into_iter().map(|f| Located::at(f, actor, *seq)));
                }
                _ => {}
            }
        }
        located.extend(invariants.finish());
        located.extend(references.finish());
        located.extend(join_timing.finish());
        located.extend(join_log.finish());
        findings.extend(joining.finish(actors));
        findings.extend(revocations.finish(actors));
        located.extend(
            findings
                .into_iter()
                .map(|finding| Located::about(finding, Vec::new())),
        );
        located
    }
}

/// When (ms from the scenario's start) each customer `Complete` a step sent was sent.
fn customer_departures<'e>(
    actors: &'e [ActorInfo],
    events: &'e [RunEvent],
) -> impl Iterator<Item = u64> + 'e {
    events.iter().filter_map(|event| match event {
        RunEvent::Exchange {
            actor: Some(actor),
            method,
            url,
            request: Some(request),
            at_ms: Some(at_ms),
            ..
        } if method == "POST"
            && url.contains("/api/v2/chats/")
            && request.get("operationName").and_then(Value::as_str) == Some("Complete")
            && actors
                .iter()
                .any(|a| a.name == *actor && a.role == Role::Customer) =>
        {
            Some(*at_ms)
        }
        _ => None,
    })
}

/// Whether an exchange is an agent's or supervisor's chat operation that succeeded
/// (`POST /api/v2/me/chats/{id}`, `statusCode` 0).
fn is_successful_chat_operation(method: &str, url: &str, body: &Value) -> bool {
    method == "POST"
        && url.contains("/api/v2/me/chats/")
        && body.get("statusCode").and_then(Value::as_u64) == Some(0)
}

/// The customer chat id and the kind of view of a customer's GET, from its URL.
fn customer_view<'v>(url: &'v str, body: &'v Value) -> Option<(&'v str, CustomerView<'v>)> {
    let path = url.split_once("/api/v2/chats/")?.1;
    let path = path.split('?').next()?;
    match path.split_once('/') {
        Some((chat_id, "messages")) => Some((chat_id, CustomerView::Messages(body))),
        None => Some((path, CustomerView::Chat(body))),
        _ => None,
    }
}

impl crate::scenario::KnownFixtures for Verifier {
    fn has(&self, name: &str) -> bool {
        self.has_fixture(name)
    }

    fn names(&self) -> Vec<&str> {
        self.fixtures.keys().map(String::as_str).collect()
    }
}
