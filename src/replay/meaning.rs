//! Comparing by meaning: what two conforming servers may do differently (docs/rulings.md,
//! "Choices the documents leave open") is taken out of a recorded document and its replayed
//! counterpart before they are compared, so a capture crosses between implementations.
//!
//! - **URIs** compare from their `/api/` on: the origin and a context path before it are the
//!   server's deployment (`choice-uri-origin`).
//! - **Fields on one side only** (a key path, array positions aside, that the other document
//!   has nowhere) that the documents do not show (no JSON Schema of `schemas/` names them) are
//!   left out of the comparison and reported at INFO: a server may add fields
//!   (`choice-extra-fields`). A documented field on one side only is a difference (a comment
//!   not stored, a `referenceId` not echoed), and so is any key of `userData`, whose keys are
//!   data.
//! - **Times** compare by shape, and sets (capabilities, participants) in any order: the
//!   masks of [`super::remap::time_masks`].
//! - **The state that ends a supervisor's own chat** after its own request may be any the
//!   documents leave open: after its Leave `Completed`, `LeftChat` or `Revoked`
//!   (`choice-supervisor-leave`), after its Transfer `Completed` or `Revoked`
//!   (`choice-transfer-initiator`) ([`ending_choices`]).
//! - **Responses** compare by outcome: a success, a refusal (HTTP 400 or 403 with a non-zero
//!   `statusCode`, `choice-refusal-status`), else the exact HTTP status and `statusCode`; a
//!   repeated CancelSupervisorMonitoring may succeed or be refused (`choice-repeated-cancel`).

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::remap::{is_id_key, time_masks};
use super::script::GroupPlan;

/// States that may end a chat for a party, when the documents leave which one open.
pub type EndingChoice = &'static [&'static str];

/// The monitoring operations: an actor that made one is a supervisor.
const MONITORING: &[&str] = &["Monitor", "Coach", "BargeIn"];

/// For each recorded notification of `actor` in `group`, the states that may end its chat
/// when the documents leave the choice open: a supervisor's (an actor that started
/// monitoring) StatusChange after its own Leave or Transfer, the last request it sent before
/// the notification arrived in the recording.
pub fn ending_choices(group: &GroupPlan, actor: usize) -> Vec<Option<EndingChoice>> {
    let plan = &group.actors[actor];
    let operations: Vec<(i64, String)> = plan
        .steps
        .iter()
        .filter_map(|&index| {
            let step = &group.steps[index];
            Some((step.start_us, step.action.operation()?))
        })
        .collect();
    let supervises = operations
        .iter()
        .any(|(_, op)| MONITORING.contains(&op.as_str()));
    // An actor's steps are in start order, so the last one sent before a notification is
    // found by bisection (a day's supervisor has thousands of each); were they not, by a scan.
    let sorted = operations.is_sorted_by_key(|(start, _)| *start);
    plan.notes
        .iter()
        .map(|note| {
            let sent = |(start, _): &(i64, String)| *start <= note.arrival_us;
            let cause = if sorted {
                let before = operations.partition_point(sent);
                before.checked_sub(1).map(|last| &operations[last])
            } else {
                operations.iter().rev().find(|op| sent(op))
            }
            .map(|(_, op)| op.as_str());
            match (supervises, cause) {
                (true, Some("Leave")) => Some(&["Completed", "LeftChat", "Revoked"][..]),
                (true, Some("Transfer")) => Some(&["Completed", "Revoked"][..]),
                _ => None,
            }
        })
        .collect()
}

/// A recorded document (its ids already remapped) and its replayed counterpart, reduced to
/// what they must agree on.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The recorded document, reduced.
    pub expected: Value,
    /// The replayed document, reduced.
    pub actual: Value,
    /// Key paths only the recording has (`chat.participants.*.vendorExtension`).
    pub recorded_only: Vec<String>,
    /// Key paths only the replay has.
    pub replayed_only: Vec<String>,
}

impl Comparison {
    /// Reduces `expected` and `actual` (see the module doc).
    pub fn of(expected: &Value, actual: &Value) -> Self {
        Self::ending(expected, actual, None)
    }

    /// [`Comparison::of`] for a notification whose chat may end in any of `ending` states.
    pub fn ending(expected: &Value, actual: &Value, ending: Option<EndingChoice>) -> Self {
        let (mut expected, mut actual) = (api_uris(expected, None), api_uris(actual, None));
        if let Some(states) = ending {
            let state = |value: &Value| value.pointer("/chat/state")?.as_str().map(str::to_owned);
            if let (Some(old), Some(new)) = (state(&expected), state(&actual))
                && states.contains(&old.as_str())
                && states.contains(&new.as_str())
            {
                let either = Value::String(format!("<one of {}>", states.join(", ")));
                expected["chat"]["state"] = either.clone();
                actual["chat"]["state"] = either;
            }
        }
        // Documents of one kind mostly have the same keys: nothing on one side only then.
        let (recorded_only, replayed_only) = if same_keys(&expected, &actual) {
            (Vec::new(), Vec::new())
        } else {
            let (mut in_expected, mut in_actual) = (BTreeSet::new(), BTreeSet::new());
            key_paths(&expected, "", &mut in_expected);
            key_paths(&actual, "", &mut in_actual);
            (
                one_sided(&in_expected, &in_actual),
                one_sided(&in_actual, &in_expected),
            )
        };
        let masks = time_masks();
        let reduced = |value: &Value, only: &[String]| match only {
            [] => masks.normalise(value),
            _ => masks.normalise(&without(value, only, "")),
        };
        Self {
            expected: reduced(&expected, &recorded_only),
            actual: reduced(&actual, &replayed_only),
            recorded_only,
            replayed_only,
        }
    }

    /// Whether the reduced documents agree.
    pub fn same(&self) -> bool {
        self.expected == self.actual
    }

    /// What the fields on one side only were, for an INFO finding; `None` when there were none.
    pub fn one_sided(&self) -> Option<String> {
        let list = |paths: &[String]| paths.join(", ");
        match (self.recorded_only.is_empty(), self.replayed_only.is_empty()) {
            (true, true) => None,
            (false, true) => Some(format!(
                "only the recording has {}",
                list(&self.recorded_only)
            )),
            (true, false) => Some(format!("only the replay has {}", list(&self.replayed_only))),
            (false, false) => Some(format!(
                "only the recording has {}; only the replay has {}",
                list(&self.recorded_only),
                list(&self.replayed_only)
            )),
        }
    }
}

/// `value` with every string under an id key that holds `/api/` cut to start there.
fn api_uris(value: &Value, key: Option<&str>) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), api_uris(v, Some(k))))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|i| api_uris(i, key)).collect()),
        Value::String(text) if key.is_some_and(is_id_key) => match text.find("/api/") {
            Some(at) => Value::String(text[at..].to_owned()),
            None => value.clone(),
        },
        other => other.clone(),
    }
}

/// Every key path of `value` (`a.b`, array positions as `*`).
fn key_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let path = join(prefix, key);
                key_paths(inner, &path, out);
                out.insert(path);
            }
        }
        Value::Array(items) => {
            let path = join(prefix, "*");
            items.iter().for_each(|item| key_paths(item, &path, out));
        }
        _ => {}
    }
}

/// Whether `a` and `b` certainly have the same key paths ([`key_paths`]): the same keys in
/// every object, arrays of the same length. `false` may still be the same paths.
fn same_keys(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| same_keys(a, b)))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_keys(a, b))
        }
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => false,
        _ => true,
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Every property name the JSON Schemas give (at any depth): the fields the documents show.
fn documented(name: &str) -> bool {
    static NAMES: LazyLock<HashSet<String>> = LazyLock::new(|| {
        fn collect(schema: &Value, out: &mut HashSet<String>) {
            match schema {
                Value::Object(map) => {
                    if let Some(Value::Object(properties)) = map.get("properties") {
                        out.extend(properties.keys().cloned());
                    }
                    map.values().for_each(|v| collect(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
                _ => {}
            }
        }
        let mut names = HashSet::new();
        for (_, text) in crate::embedded::SCHEMAS {
            if let Ok(schema) = serde_json::from_str::<Value>(text) {
                collect(&schema, &mut names);
            }
        }
        names
    });
    NAMES.contains(name)
}

/// Whether a key path on one side only may be left out: a field the documents do not show,
/// outside `userData`.
fn undocumented(path: &str) -> bool {
    let mut keys = path.split('.');
    let name = path.rsplit('.').next().unwrap_or(path);
    !keys.any(|key| key == "userData") && !documented(name)
}

/// The paths of `these` that `others` lacks and the documents do not show, outermost only (a
/// missing object's own keys are not listed again).
fn one_sided(these: &BTreeSet<String>, others: &BTreeSet<String>) -> Vec<String> {
    let missing: Vec<&String> = these
        .iter()
        .filter(|p| !others.contains(*p) && undocumented(p))
        .collect();
    missing
        .iter()
        .filter(|path| {
            !missing
                .iter()
                .any(|outer| path.len() > outer.len() && path.starts_with(&format!("{outer}.")))
        })
        .map(|path| (*path).clone())
        .collect()
}

/// `value` without the keys at `paths`.
fn without(value: &Value, paths: &[String], prefix: &str) -> Value {
    if paths.is_empty() {
        return value.clone();
    }
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, inner) in map {
                let path = join(prefix, key);
                if !paths.contains(&path) {
                    out.insert(key.clone(), without(inner, paths, &path));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let path = join(prefix, "*");
            Value::Array(items.iter().map(|i| without(i, paths, &path)).collect())
        }
        other => other.clone(),
    }
}

/// What a response says happened, as far as servers must agree on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// HTTP 2xx, `statusCode` 0 or none.
    Success,
    /// HTTP 400 or 403 with a non-zero `statusCode`.
    Refused,
    /// Anything else: the HTTP status and `statusCode`, compared exactly.
    Other(i64, Option<i64>),
}

impl Outcome {
    /// The outcome of a response with HTTP `status` and this `statusCode`.
    pub fn of(status: i64, code: Option<i64>) -> Self {
        match (status, code) {
            (200..=299, None | Some(0)) => Outcome::Success,
            (400 | 403, Some(code)) if code != 0 => Outcome::Refused,
            _ => Outcome::Other(status, code),
        }
    }

    /// Whether a request `operation` (its `operationName`) that had `recorded` may have
    /// `replayed`.
    pub fn agrees(&self, replayed: &Outcome, operation: Option<&str>) -> bool {
        // With nothing left to cancel, a cancel may succeed or be refused.
        let either = operation == Some("CancelSupervisorMonitoring");
        // A recording without a statusCode said nothing about it.
        let unsaid =
            matches!((self, replayed), (Outcome::Other(a, None), Outcome::Other(b, _)) if a == b);
        self == replayed
            || unsaid
            || either
                && matches!(self, Outcome::Success | Outcome::Refused)
                && matches!(replayed, Outcome::Success | Outcome::Refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::script::{Action, RequestBody};
    use serde_json::json;

    #[test]
    fn uris_compare_from_api_on() {
        let recorded = json!({"chat": {"uri": "http://a:1/api/v2/chats/C", "state": "Chatting"}});
        let replayed =
            json!({"chat": {"uri": "http://b:2/cloud-web/api/v2/chats/C", "state": "Chatting"}});
        assert!(Comparison::of(&recorded, &replayed).same());
        let other = json!({"chat": {"uri": "http://a:1/api/v2/chats/D", "state": "Chatting"}});
        assert!(
            !Comparison::of(&recorded, &other).same(),
            "the id still counts"
        );
    }

    #[test]
    fn documented_fields_and_user_data_keys_on_one_side_are_differences() {
        let recorded = json!({"chat": {"comment": "vip", "userData": {"Disposition": "Sale"}},
                              "referenceId": 3});
        let replayed = json!({"chat": {"userData": {"DispositionCode": "Sale"}}});
        let comparison = Comparison::of(&recorded, &replayed);
        assert!(!comparison.same(), "{comparison:#?}");
        assert_eq!(comparison.one_sided(), None);
    }

    #[test]
    fn fields_on_one_side_only_are_listed_not_compared() {
        let recorded = json!({"chat": {"state": "Chatting", "participants": [{"nickname": "A"}]},
                              "gone": {"x": 1}});
        let replayed = json!({"chat": {"state": "Chatting", "vendor": {"build": "7"},
                              "participants": [{"nickname": "A", "extra": true}]}});
        let comparison = Comparison::of(&recorded, &replayed);
        assert!(comparison.same(), "{comparison:#?}");
        assert_eq!(comparison.recorded_only, ["gone"]);
        assert_eq!(
            comparison.replayed_only,
            ["chat.participants.*.extra", "chat.vendor"]
        );
        assert_eq!(
            comparison.one_sided().unwrap(),
            "only the recording has gone; only the replay has chat.participants.*.extra, chat.vendor"
        );
        // A field both have still compares.
        let changed = json!({"chat": {"state": "Completed", "participants": [{"nickname": "A"}]},
                             "gone": {"x": 1}});
        assert!(!Comparison::of(&recorded, &changed).same());
        assert_eq!(Comparison::of(&recorded, &recorded).one_sided(), None);
    }

    #[test]
    fn same_keys_is_never_wrong_about_key_paths() {
        let paths = |value: &Value| {
            let mut out = BTreeSet::new();
            key_paths(value, "", &mut out);
            out
        };
        let documents = [
            json!({"a": 1, "b": {"c": [1, {"d": 2}]}}),
            json!({"b": {"c": [3, {"d": "x"}]}, "a": "y"}),
            json!({"a": 1, "b": {"c": [1, {"e": 2}]}}),
            json!({"a": 1, "b": {"c": [{"d": 2}]}}),
            json!({"a": [], "b": 2}),
            json!({"a": {}, "b": 2}),
            json!([1, 2]),
            json!("text"),
        ];
        for a in &documents {
            for b in &documents {
                assert!(!same_keys(a, b) || paths(a) == paths(b), "{a} {b}");
            }
            assert!(same_keys(a, a));
        }
        assert!(same_keys(&documents[0], &documents[1]));
        assert!(!same_keys(&documents[0], &documents[2]));
    }

    #[test]
    fn a_supervisors_own_end_may_be_any_state_the_choice_allows() {
        let ended = |state: &str| json!({"chat": {"state": state, "participants": []}});
        let leave: Option<EndingChoice> = Some(&["Completed", "LeftChat", "Revoked"]);
        assert!(Comparison::ending(&ended("Completed"), &ended("LeftChat"), leave).same());
        assert!(!Comparison::ending(&ended("Completed"), &ended("Chatting"), leave).same());
        assert!(!Comparison::ending(&ended("Completed"), &ended("LeftChat"), None).same());
    }

    #[test]
    fn only_a_supervisors_own_leave_or_transfer_leaves_the_end_open() {
        use crate::replay::script::{ActorKind, GroupPlan, RecordedNote, Step};
        let http = |start_us: i64, operation: &str| Step {
            actor: 0,
            entry: 0,
            seq: 0,
            start_us,
            end_us: start_us,
            done_rank: None,
            pace_us: start_us,
            action: Action::Http {
                method: "POST".into(),
                target: "/api/v2/me/chats/C".into(),
                origin: "http://h".into(),
                body: Some(RequestBody::Json(
                    json!({"operationName": operation}).into(),
                )),
                authentication: Default::default(),
            },
            recorded: Default::default(),
            deps: Vec::new(),
        };
        let note = |arrival_us: i64| RecordedNote {
            entry: 0,
            arrival_us,
            channel: "/v2/me/chats".into(),
            data: json!({}).into(),
            kind: "".into(),
            chat: None,
            session: None,
        };
        let group = |operations: &[(i64, &str)]| {
            let steps = operations.iter().map(|(at, op)| http(*at, op)).collect();
            let notes = vec![vec![note(15), note(25), note(35)]];
            GroupPlan::for_tests(vec![ActorKind::Customer], notes, steps, 1)
        };
        let supervisor = group(&[(10, "Coach"), (20, "Leave"), (30, "Transfer")]);
        let choices = ending_choices(&supervisor, 0);
        assert_eq!(choices[0], None, "after Coach");
        assert_eq!(choices[1].unwrap(), ["Completed", "LeftChat", "Revoked"]);
        assert_eq!(choices[2].unwrap(), ["Completed", "Revoked"]);
        let agent = group(&[(10, "Accept"), (20, "Leave"), (30, "Transfer")]);
        assert!(
            ending_choices(&agent, 0).iter().all(Option::is_none),
            "an agent's are documented"
        );
    }

    #[test]
    fn outcomes_compare_by_meaning() {
        let refused_403 = Outcome::of(403, Some(3));
        assert_eq!(refused_403, Outcome::of(400, Some(2)));
        assert_eq!(Outcome::of(200, Some(0)), Outcome::Success);
        assert_eq!(Outcome::of(204, None), Outcome::Success);
        assert_eq!(Outcome::of(400, Some(0)), Outcome::Other(400, Some(0)));
        assert_eq!(Outcome::of(404, Some(6)), Outcome::Other(404, Some(6)));
        assert!(!Outcome::Success.agrees(&refused_403, Some("Monitor")));
        assert!(Outcome::Success.agrees(&refused_403, Some("CancelSupervisorMonitoring")));
        assert!(!Outcome::Success.agrees(
            &Outcome::of(404, Some(6)),
            Some("CancelSupervisorMonitoring")
        ));
        assert!(Outcome::of(404, None).agrees(&Outcome::of(404, Some(6)), None));
        assert!(!Outcome::of(404, Some(6)).agrees(&Outcome::of(404, Some(7)), None));
    }
}
