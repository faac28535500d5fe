//! Supervisor modes as the checks see them: the seed table's capability set and the
//! participant visibility of each mode, the requirement ids they cite, and the documented
//! variants (errata E5, E6, E7 of `fixtures/errata.json`) mapped back to the table's form.
//!
//! The table is normative; the "Chat is started" example prints `SwitchBargeIn` for
//! `SwitchToBargeIn` (E5) and lacks `AddComment` (E6); the text says `StateChanged` where the
//! wire value is `StatusChange` (E7). A value that becomes the table's form through these
//! substitutions is a documented variant (NON-STRICT); anything else is wrong.

use std::collections::BTreeSet;

use serde_json::Value;

/// Erratum: `SwitchBargeIn` printed for `SwitchToBargeIn`.
pub const ERRATUM_SWITCH_BARGE_IN: &str = "E5";
/// Erratum: `AddComment` missing from the example's Coach capabilities.
pub const ERRATUM_ADD_COMMENT: &str = "E6";
/// Erratum: the text's `StateChanged` for the notificationType `StatusChange`.
pub const ERRATUM_STATE_CHANGED: &str = "E7";

pub use crate::spec::Mode;

/// The mode's capabilities as a set.
fn mode_set(mode: Mode) -> BTreeSet<&'static str> {
    mode.capabilities().iter().copied().collect()
}

/// A capability list with the documented variants replaced by the table's spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableForm {
    /// The capabilities after substitution, as a set.
    pub capabilities: BTreeSet<String>,
    /// The errata applied (empty when the list already used the table's form).
    pub errata: Vec<&'static str>,
}

/// Maps `capabilities` to the table's form: `SwitchBargeIn` becomes `SwitchToBargeIn` (E5, any
/// mode, unless both are present: then it is an extra capability, not a variant), and a set
/// that is exactly the Coach column without `AddComment` gets it (E6, Coach only).
pub fn table_form<'a>(capabilities: impl IntoIterator<Item = &'a str>) -> TableForm {
    let mut set: BTreeSet<String> = capabilities.into_iter().map(str::to_owned).collect();
    let mut errata = Vec::new();
    if set.contains("SwitchBargeIn") && !set.contains("SwitchToBargeIn") {
        set.remove("SwitchBargeIn");
        set.insert("SwitchToBargeIn".to_owned());
        errata.push(ERRATUM_SWITCH_BARGE_IN);
    }
    let mut coach_without_comment = mode_set(Mode::Coach);
    coach_without_comment.remove("AddComment");
    if set.iter().map(String::as_str).eq(coach_without_comment) {
        set.insert("AddComment".to_owned());
        errata.push(ERRATUM_ADD_COMMENT);
    }
    TableForm {
        capabilities: set,
        errata,
    }
}

/// How a capability list relates to the seed table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapabilityMatch {
    /// Exactly the table's set of this mode (order aside).
    Exact(Mode),
    /// The table's set of this mode once the listed errata are applied.
    Variant(Mode, Vec<&'static str>),
    /// No mode's set, even with the documented variants.
    Unknown,
}

/// Classifies a capability list against the table's three sets.
pub fn classify<'a>(capabilities: impl IntoIterator<Item = &'a str>) -> CapabilityMatch {
    let form = table_form(capabilities);
    let found = Mode::ALL.into_iter().find(|mode| {
        form.capabilities
            .iter()
            .map(String::as_str)
            .eq(mode_set(*mode))
    });
    match found {
        Some(mode) if form.errata.is_empty() => CapabilityMatch::Exact(mode),
        Some(mode) => CapabilityMatch::Variant(mode, form.errata),
        None => CapabilityMatch::Unknown,
    }
}

/// What `capabilities` lacks and has in excess compared with `mode`'s set, sorted.
pub fn difference<'a>(
    capabilities: impl IntoIterator<Item = &'a str>,
    mode: Mode,
) -> (Vec<&'static str>, Vec<String>) {
    let have: BTreeSet<&str> = capabilities.into_iter().collect();
    let want = mode_set(mode);
    let missing = want.iter().copied().filter(|c| !have.contains(c)).collect();
    let extra = have
        .iter()
        .filter(|c| !want.contains(*c))
        .map(|c| (*c).to_owned())
        .collect();
    (missing, extra)
}

/// The mode whose set is closest to `capabilities` (fewest missing plus extra names; ties go
/// to the earlier mode in table order). Used to cite a requirement when none matches.
pub fn closest_mode<'a>(capabilities: impl IntoIterator<Item = &'a str> + Clone) -> Mode {
    Mode::ALL
        .into_iter()
        .min_by_key(|mode| {
            let (missing, extra) = difference(capabilities.clone(), *mode);
            missing.len() + extra.len()
        })
        .unwrap_or(Mode::Coach)
}

/// The items of a JSON array of strings; `None` for anything else (the schema reports it,
/// so the rules that need strings stay silent rather than report it twice).
pub fn strings(value: &Value) -> Option<Vec<&str>> {
    value.as_array()?.iter().map(Value::as_str).collect()
}

/// Where a documented variant was replaced by the table's form, and by which errata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    /// JSON Pointer of the value replaced (`/chat/capabilities`, `/notificationType`).
    pub pointer: &'static str,
    /// The errata that explain the variant.
    pub errata: Vec<&'static str>,
}

/// A copy of a notification with its documented variants replaced by the table's form, and
/// where that happened; `None` when it holds no documented variant. Covers
/// `chat.capabilities` (E5, E6) and a ChatStateChangeMessage's `notificationType`
/// `StateChanged` (E7).
pub fn notification_table_form(data: &Value) -> Option<(Value, Vec<Substitution>)> {
    let mut copy = data.clone();
    let mut done = Vec::new();
    let form = data
        .pointer("/chat/capabilities")
        .and_then(strings)
        .map(table_form);
    if let Some(form) = form.filter(|f| !f.errata.is_empty())
        && let Some(list) = copy.pointer_mut("/chat/capabilities")
    {
        *list = Value::from(form.capabilities.into_iter().collect::<Vec<_>>());
        done.push(Substitution {
            pointer: "/chat/capabilities",
            errata: form.errata,
        });
    }
    let field = |key| data.get(key).and_then(Value::as_str);
    if field("messageType") == Some("ChatStateChangeMessage")
        && field("notificationType") == Some("StateChanged")
        && let Some(kind) = copy.get_mut("notificationType")
    {
        *kind = Value::from("StatusChange");
        done.push(Substitution {
            pointer: "/notificationType",
            errata: vec![ERRATUM_STATE_CHANGED],
        });
    }
    (!done.is_empty()).then_some((copy, done))
}

/// Every erratum id of `substitutions`, in order, without repeats.
pub fn errata_of(substitutions: &[Substitution]) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = Vec::new();
    for id in substitutions.iter().flat_map(|s| s.errata.iter().copied()) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::capabilities::{BARGE_IN, COACH, EXAMPLE_COACH_VARIANT};
    use serde_json::json;

    #[test]
    fn each_table_set_is_exact_for_its_mode_only() {
        for mode in Mode::ALL {
            assert_eq!(
                classify(mode.capabilities().iter().copied()),
                CapabilityMatch::Exact(mode)
            );
        }
    }

    #[test]
    fn the_example_variant_is_the_coach_set_through_e5_and_e6() {
        assert_eq!(
            classify(EXAMPLE_COACH_VARIANT.iter().copied()),
            CapabilityMatch::Variant(Mode::Coach, vec!["E5", "E6"])
        );
    }

    #[test]
    fn each_erratum_alone_is_a_variant_too() {
        let e5: Vec<&str> = COACH
            .iter()
            .map(|c| {
                if *c == "SwitchToBargeIn" {
                    "SwitchBargeIn"
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(
            classify(e5),
            CapabilityMatch::Variant(Mode::Coach, vec!["E5"])
        );
        let e6 = COACH.iter().copied().filter(|c| *c != "AddComment");
        assert_eq!(
            classify(e6),
            CapabilityMatch::Variant(Mode::Coach, vec!["E6"])
        );
        let monitor = ["Leave", "SwitchToCoach", "SwitchBargeIn"];
        assert_eq!(
            classify(monitor),
            CapabilityMatch::Variant(Mode::Monitor, vec!["E5"])
        );
    }

    #[test]
    fn other_deviations_match_no_mode() {
        let missing_leave = COACH.iter().copied().filter(|c| *c != "Leave");
        assert_eq!(classify(missing_leave), CapabilityMatch::Unknown);
        let both_spellings = COACH.iter().copied().chain(["SwitchBargeIn"]);
        assert_eq!(classify(both_spellings), CapabilityMatch::Unknown);
        // E6 is a Coach erratum only.
        let barge_in = BARGE_IN.iter().copied().filter(|c| *c != "AddComment");
        assert_eq!(classify(barge_in), CapabilityMatch::Unknown);
    }

    #[test]
    fn difference_and_closest_mode() {
        let caps = ["Leave", "SwitchToCoach", "Complete"];
        let (missing, extra) = difference(caps, Mode::Monitor);
        assert_eq!(missing, ["SwitchToBargeIn"]);
        assert_eq!(extra, ["Complete"]);
        assert_eq!(closest_mode(caps), Mode::Monitor);
    }

    #[test]
    fn visibility_maps_to_mode() {
        for mode in Mode::ALL {
            assert_eq!(Mode::from_visibility(mode.visibility()), Some(mode));
        }
        assert_eq!(Mode::from_visibility("Customer"), None);
    }

    #[test]
    fn notification_table_form_repairs_documented_variants_only() {
        let data = json!({
            "messageType": "ChatStateChangeMessage",
            "notificationType": "StateChanged",
            "chat": {"capabilities": EXAMPLE_COACH_VARIANT}
        });
        let (fixed, done) = notification_table_form(&data).expect("variants present");
        assert_eq!(errata_of(&done), ["E5", "E6", "E7"]);
        assert_eq!(done[0].pointer, "/chat/capabilities");
        assert_eq!(done[1].pointer, "/notificationType");
        assert_eq!(fixed["notificationType"], "StatusChange");
        assert_eq!(
            classify(strings(&fixed["chat"]["capabilities"]).unwrap_or_default()),
            CapabilityMatch::Exact(Mode::Coach)
        );
        let plain =
            json!({"messageType": "ChatStateChangeMessage", "chat": {"capabilities": COACH}});
        assert_eq!(notification_table_form(&plain), None);
        assert_eq!(notification_table_form(&json!(null)), None);
    }
}
