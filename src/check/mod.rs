//! Conformance checks over what a target sent: schema validation of notifications, diffs
//! against the documented examples, and the spec's invariants. Every check yields
//! [`Finding`]s that cite a requirement id of the catalogue (`scenarios/requirements.yaml`).
//!
//! - [`bayeux`]: the CometD protocol itself: advice, lost sessions, unknown clients.
//! - [`schema`]: every notification against `schemas/notification.schema.json` (compiled once).
//! - [`diff`]: a notification against a documented example, masked, as a unified diff.
//! - [`invariants`]: the stateful rules checked on every notification of every scenario.
//! - [`references`]: where chat notifications arrive and which chat they name.
//! - [`joining`]: what a party is shown on joining (the customer listed, a complete history).
//! - [`join_timing`], [`join_log`]: no supervisor added before the agent accepts (in time, in
//!   the log).
//! - [`transcript`]: the customer's transcript reads.
//! - [`revocation`]: no removal of a supervisor the documents do not call for.
//! - [`visibility`]: what the customer may see, for the invariants.
//! - [`modes`]: the seed table per supervisor mode, and the documented variants (errata).
//! - [`signature`]: a finding's stable signature (folding, baselines).

pub mod bayeux;
pub mod diff;
pub mod index_order;
pub mod invariants;
pub mod join_log;
pub mod join_timing;
pub mod joining;
pub(crate) mod json;
pub mod modes;
pub mod references;
pub mod repeats;
pub mod revocation;
pub mod schema;
pub mod signature;
pub mod transcript;
pub mod visibility;

#[cfg(test)]
mod reference_tests;

use serde::{Deserialize, Serialize};

/// How a finding weighs on the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Verdict {
    /// Informational; never fails a run.
    Info,
    /// A documented variant or a SHOULD-level deviation: reported, fails only under `--strict`.
    NonStrict,
    /// A conformance failure.
    Fail,
}

/// One result of a check that did not simply pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id of the check that produced it (e.g. `schema`, `invariant.revoked-empty`).
    pub check: String,
    /// The requirement id it cites.
    pub requirement: String,
    /// How it weighs.
    pub verdict: Verdict,
    /// One line saying what is wrong.
    pub message: String,
    /// Evidence: a unified diff, schema errors with instance paths, the offending JSON.
    pub details: Vec<String>,
}

impl Finding {
    /// The finding weighed by its requirement's level: a failure of a SHOULD requirement is
    /// NON-STRICT (reported; fails only under `--strict`), whichever check found it. Every
    /// run and replay weighs its findings this way, so a tier follows the catalogue.
    pub fn weighed(mut self, catalogue: &crate::spec::Catalogue) -> Self {
        if self.verdict == Verdict::Fail
            && catalogue.level(&self.requirement) == Some(crate::spec::Level::Should)
        {
            self.verdict = Verdict::NonStrict;
        }
        self
    }
}

/// A notification a finding is about: who received it, its position in their inbox, and the
/// place in it the finding concerns (a dotted path such as `chat.capabilities`; `None`: the
/// notification as a whole). It lets a step that failed on a notification be traced to a check
/// that had already found that notification at fault.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NotificationRef {
    /// The receiving actor.
    pub actor: String,
    /// Position in the actor's inbox (0-based), as in the `notification` event.
    pub seq: u64,
    /// Where in the notification (dotted path), if the finding concerns one place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl NotificationRef {
    /// The whole of notification `seq` of `actor`.
    pub fn whole(actor: &str, seq: u64) -> Self {
        Self {
            actor: actor.to_owned(),
            seq,
            path: None,
        }
    }
}

impl Place for NotificationRef {
    /// The same receiver and position in its inbox.
    fn same_document(&self, other: &Self) -> bool {
        self.actor == other.actor && self.seq == other.seq
    }
    fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
}

/// A response a finding is about: the actor whose request it answered, the step that sent the
/// request (`None`: set-up and clean-up), and the place in its body the finding concerns
/// (dotted path; `None`: the body as a whole). It lets a step that failed on what a response
/// showed (a customer's transcript read) be traced to a check that had already found that
/// response at fault.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResponseRef {
    /// The actor that sent the request.
    pub actor: String,
    /// The step that sent it.
    pub step: Option<usize>,
    /// Where in the body (dotted path), if the finding concerns one place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Place for ResponseRef {
    /// The response to the same actor's request of the same step.
    fn same_document(&self, other: &Self) -> bool {
        self.actor == other.actor && self.step == other.step
    }
    fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
}

/// A place a finding is about, in one document (a notification, a response). It lets a step
/// that failed on a place be traced to a check that had already found that place at fault.
pub trait Place {
    /// Whether `other` is in the same document.
    fn same_document(&self, other: &Self) -> bool;
    /// Where in the document (a dotted path such as `chat.capabilities`); `None`: the whole.
    fn path(&self) -> Option<&str>;

    /// Whether two places are in the same document and one contains the other (the whole
    /// document contains every place in it).
    fn overlaps(&self, other: &Self) -> bool {
        self.same_document(other)
            && (place_encloses(self.path(), other.path())
                || place_encloses(other.path(), self.path()))
    }

    /// Whether `other` is in the same document, inside this place (or this place itself).
    fn encloses(&self, other: &Self) -> bool {
        self.same_document(other) && place_encloses(self.path(), other.path())
    }
}

/// Whether place `outer` of a document contains place `inner` (the whole document, `None`,
/// contains every place).
fn place_encloses(outer: Option<&str>, inner: Option<&str>) -> bool {
    match (outer, inner) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(outer), Some(inner)) => contains_path(outer, inner),
    }
}

/// Whether dotted path `outer` is `inner` or one of its ancestors (`chat` contains
/// `chat.capabilities`, not `chatType`).
fn contains_path(outer: &str, inner: &str) -> bool {
    outer.is_empty()
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// A finding and the notifications and responses it is about (none for findings about whole
/// sessions).
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// The finding.
    pub finding: Finding,
    /// The notifications it is about.
    pub notifications: Vec<NotificationRef>,
    /// The responses it is about.
    pub responses: Vec<ResponseRef>,
}

impl Located {
    /// A finding about the whole of one notification.
    pub fn at(finding: Finding, actor: &str, seq: u64) -> Self {
        Self::about(finding, vec![NotificationRef::whole(actor, seq)])
    }

    /// A finding about some notifications (none: about nothing in particular).
    pub fn about(finding: Finding, notifications: Vec<NotificationRef>) -> Self {
        Self {
            finding,
            notifications,
            responses: Vec::new(),
        }
    }

    /// A finding about a place in one response.
    pub fn in_response(finding: Finding, response: ResponseRef) -> Self {
        Self {
            finding,
            notifications: Vec::new(),
            responses: vec![response],
        }
    }
}

/// The root cause a finding is a consequence of: the requirement, check and signature of the
/// earlier finding that explains it (see docs/verdicts.md).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cause {
    /// The root cause's requirement.
    pub requirement: String,
    /// The root cause's check.
    pub check: String,
    /// The root cause's signature ([`signature::of`]).
    pub signature: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(path: Option<&str>) -> NotificationRef {
        NotificationRef {
            actor: "supervisor".to_owned(),
            seq: 3,
            path: path.map(str::to_owned),
        }
    }

    #[test]
    fn references_overlap_on_the_same_notification_at_nested_places() {
        assert!(at(Some("chat")).overlaps(&at(Some("chat.capabilities"))));
        assert!(at(Some("chat.capabilities")).overlaps(&at(Some("chat"))));
        assert!(at(None).overlaps(&at(Some("messages.0.index"))));
        assert!(at(Some("")).overlaps(&at(Some("messages"))));
        assert!(!at(Some("chat")).overlaps(&at(Some("chatType"))));
        assert!(!at(Some("chat.participants")).overlaps(&at(Some("chat.capabilities"))));
        let other_seq = NotificationRef::whole("supervisor", 4);
        assert!(!at(None).overlaps(&other_seq));
        let other_actor = NotificationRef::whole("agent", 3);
        assert!(!at(None).overlaps(&other_actor));
    }
}
