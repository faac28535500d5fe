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
//! - [`transcript`]: the customer's transcript reads.
//! - [`revocation`]: no removal of a supervisor the documents do not call for.
//! - [`visibility`]: what the customer may see, for the invariants.
//! - [`modes`]: the seed table per supervisor mode, and the documented variants (errata).

pub mod bayeux;
pub mod diff;
pub mod invariants;
pub mod joining;
pub(crate) mod json;
pub mod modes;
pub mod references;
pub mod revocation;
pub mod schema;
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
