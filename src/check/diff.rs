//! Diff of a received notification against a documented example (a fixture), shown as a
//! readable unified diff of canonical JSON.
//!
//! The received document is first cut to the example's shape: keys the example does not show
//! are dropped (the documents allow fields they do not show: docs/rulings.md,
//! `choice-extra-fields`); a key the example shows and the document lacks still shows as a
//! difference. Both documents are then normalised:
//! - **masked** paths (ids, URIs, timestamps, nicknames, `referenceId`, message indexes, whose
//!   start and gaps are open: only their increase is required, which the invariants check) are
//!   replaced by a
//!   placeholder naming the value's JSON type (`"<masked string>"`), so a missing id or a
//!   number where a string belongs still shows;
//! - **ignored** paths (`chatPath`: optional, absent from the examples) are dropped;
//! - **unordered** arrays (`capabilities`, `participants`: the documentation gives their
//!   elements no order) are sorted;
//! - the result is rendered as pretty JSON with sorted keys.
//!
//! Masks are data ([`Masks`]): dot-separated path patterns where `*` matches any one key or
//! array index, and a leading `**` any number of leading segments (`**.participantId` is every
//! `participantId`, at any depth).
//!
//! **Verdict rule.** The seed page's examples contradict its capability table in documented
//! ways (errata E5 `SwitchBargeIn`, E6 missing `AddComment`, E7 `StateChanged`; see
//! [`super::modes`]). Each side is also normalised with those variants put in the table's
//! form; the diff of that is the *residual*:
//! - no difference at all, and neither side uses a documented variant → no finding;
//! - residual empty, the actual document uses a variant (it copies the example's error) →
//!   the erratum's tier (NON-STRICT for E5–E7), citing `NOTIF-EXAMPLE`;
//! - residual empty, only the example uses a variant (the server follows the table, which is
//!   normative) → INFO: reported with the erratum ids, never fails a run (the table's form
//!   passes: `docs/rulings.md#ruling-precedence`);
//! - anything left in the residual → FAIL citing `NOTIF-EXAMPLE`, with the residual diff.
//!
//! [`ExampleDiff::explained`] says which errata explained which differences, with a small
//! diff of each.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use similar::TextDiff;

use super::json::{canonical, canonical_pretty, type_name};
use super::modes::{Substitution, errata_of, notification_table_form};
use super::{Finding, Verdict};

/// The check id of example-diff findings.
pub const CHECK_ID: &str = "example-diff";
/// The requirement example-diff findings cite.
pub const REQUIREMENT: &str = "NOTIF-EXAMPLE";
/// The verdict when the only differences are where the example contradicts the table and
/// the actual document follows the table: the server is right, so this never fails a run.
pub const TABLE_FORM_VERDICT: Verdict = Verdict::Info;

/// Paths masked by default: what legitimately differs between any two runs.
pub const DEFAULT_MASKED: &[&str] = &[
    "chat.id",
    "chat.uri",
    "chat.receivedDate",
    "chat.participants.*.participantId",
    "chat.participants.*.uri",
    "chat.participants.*.path",
    "chat.participants.*.id",
    "chat.participants.*.nickname",
    "chatUri",
    "referenceId",
    "messages.*.index",
    "messages.*.timestamp",
    "messages.*.timestampSeconds",
    "messages.*.from.participantId",
    "messages.*.from.uri",
    "messages.*.from.path",
    "messages.*.from.id",
    "messages.*.from.nickname",
];
/// Paths dropped by default: optional fields the examples do not show.
pub const DEFAULT_IGNORED: &[&str] = &["chatPath"];
/// Arrays compared as sets by default.
pub const DEFAULT_UNORDERED: &[&str] = &["chat.capabilities", "chat.participants"];

/// Where a value is in a document: a key of an object or an index of an array.
#[derive(Debug, Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// One segment of a pattern: `*`, or a key (also matching the array index it spells).
#[derive(Debug, Clone, PartialEq, Eq)]
enum PatternSegment {
    Any,
    Literal {
        text: String,
        /// The index `text` spells (`"0"`, `"12"`; not `"01"`).
        index: Option<usize>,
    },
}

impl PatternSegment {
    fn matches(&self, segment: Segment<'_>) -> bool {
        match (self, segment) {
            (PatternSegment::Any, _) => true,
            (PatternSegment::Literal { text, .. }, Segment::Key(key)) => text == key,
            (PatternSegment::Literal { index, .. }, Segment::Index(i)) => *index == Some(i),
        }
    }
}

/// A path pattern: segments, `*` matching any one key or index; a leading `**` matching any
/// number of leading segments.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    segments: Vec<PatternSegment>,
    /// Whether the pattern began with `**` (then `segments` must match the end of a path).
    any_depth: bool,
}

impl Pattern {
    fn parse(text: &str) -> Self {
        let (any_depth, rest) = match text.strip_prefix("**") {
            Some(rest) => (true, rest.strip_prefix('.').unwrap_or(rest)),
            None => (false, text),
        };
        let segment = |text: &str| match text {
            "*" => PatternSegment::Any,
            _ => PatternSegment::Literal {
                text: text.to_owned(),
                index: text.parse::<usize>().ok().filter(|i| i.to_string() == text),
            },
        };
        Self {
            segments: rest.split('.').map(segment).collect(),
            any_depth,
        }
    }

    fn matches(&self, path: &[Segment<'_>]) -> bool {
        let tail = match path.len().checked_sub(self.segments.len()) {
            Some(0) => path,
            Some(skip) if self.any_depth => &path[skip..],
            _ => return false,
        };
        self.segments
            .iter()
            .zip(tail)
            .all(|(want, have)| want.matches(*have))
    }
}

/// What the normalisation masks, drops and sorts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masks {
    masked: Vec<Pattern>,
    /// Masked down to their shape: the value's digits and their count show, not their values.
    shaped: Vec<Pattern>,
    ignored: Vec<Pattern>,
    unordered: Vec<Pattern>,
}

/// The shape of a value whose digits change from run to run (a time): `"<shape
/// 9999-99-99 99:99:99.999±9999>"` for a string, `"<integer of 13 digits>"` for a number, so a
/// time in another format or unit still shows. The sign of a closing UTC offset is part of its
/// value, not of its format (`+0000` and `-0700` are one shape: docs/rulings.md,
/// `choice-timestamp-offset`).
fn shape(value: &Value) -> Value {
    Value::String(match value {
        Value::String(text) => {
            let mut digits: String = text
                .chars()
                .map(|c| if c.is_ascii_digit() { '9' } else { c })
                .collect();
            for offset in ["+9999", "-9999", "+99:99", "-99:99"] {
                if let Some(stem) = digits.strip_suffix(offset) {
                    digits = format!("{stem}±{}", &offset[1..]);
                    break;
                }
            }
            format!("<shape {digits}>")
        }
        Value::Number(n) if n.is_u64() || n.is_i64() => {
            let digits = n.to_string().trim_start_matches('-').len();
            format!("<integer of {digits} digits>")
        }
        other => format!("<masked {}>", type_name(other)),
    })
}

impl Masks {
    /// Masks from path patterns (`chat.participants.*.uri`): values replaced by a typed
    /// placeholder, keys dropped, arrays sorted.
    pub fn new(masked: &[&str], ignored: &[&str], unordered: &[&str]) -> Self {
        let parse = |list: &[&str]| list.iter().map(|p| Pattern::parse(p)).collect();
        Self {
            masked: parse(masked),
            shaped: Vec::new(),
            ignored: parse(ignored),
            unordered: parse(unordered),
        }
    }

    /// The masks with paths whose values are replaced by their shape (digits masked, their
    /// count kept): times, whose values differ in every run but whose format must not.
    pub fn with_shaped(mut self, patterns: &[&str]) -> Self {
        self.shaped
            .extend(patterns.iter().map(|p| Pattern::parse(p)));
        self
    }

    /// The masks with more masked paths (e.g. from a scenario).
    pub fn with_masked(mut self, patterns: &[&str]) -> Self {
        self.masked
            .extend(patterns.iter().map(|p| Pattern::parse(p)));
        self
    }

    fn any(list: &[Pattern], path: &[Segment<'_>]) -> bool {
        list.iter().any(|p| p.matches(path))
    }

    /// `value` normalised: masked, ignored keys dropped, unordered arrays sorted.
    pub fn normalise(&self, value: &Value) -> Value {
        self.walk(value, &mut Vec::new())
    }

    // The path borrows the document's keys: no allocation per node.
    fn walk<'a>(&self, value: &'a Value, path: &mut Vec<Segment<'a>>) -> Value {
        if Self::any(&self.masked, path) {
            return Value::String(format!("<masked {}>", type_name(value)));
        }
        if Self::any(&self.shaped, path) {
            return shape(value);
        }
        match value {
            Value::Object(map) => {
                let mut out = Map::with_capacity(map.len());
                for (key, inner) in map {
                    path.push(Segment::Key(key));
                    if !Self::any(&self.ignored, path) {
                        out.insert(key.clone(), self.walk(inner, path));
                    }
                    path.pop();
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                let mut out: Vec<Value> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        path.push(Segment::Index(i));
                        let normalised = self.walk(item, path);
                        path.pop();
                        normalised
                    })
                    .collect();
                if Self::any(&self.unordered, path) {
                    out.sort_by_cached_key(canonical);
                }
                Value::Array(out)
            }
            other => other.clone(),
        }
    }
}

impl Default for Masks {
    /// Ids, URIs, timestamps, nicknames and `referenceId` masked; `chatPath` dropped;
    /// capabilities and participants compared as sets.
    fn default() -> Self {
        Self::new(DEFAULT_MASKED, DEFAULT_IGNORED, DEFAULT_UNORDERED)
    }
}

/// One erratum of `fixtures/errata.json` (the fields the diff uses; others are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Erratum {
    /// `E1`, `E2`, …
    pub id: String,
    /// Short title.
    #[serde(default)]
    pub title: Option<String>,
    /// The first fixture it affects (`null` where none).
    #[serde(default)]
    pub fixture: Option<String>,
    /// The first affected location in that fixture (a JSON Pointer), if any.
    #[serde(default)]
    pub instance_path: Option<String>,
    /// `repair` or `inconsistency`.
    pub kind: String,
    /// What was decided.
    pub ruling: String,
    /// The verdict a server reproducing the documented variant gets.
    pub tier: Verdict,
}

/// The errata list (`fixtures/errata.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Errata(Vec<Erratum>);

impl Errata {
    /// Parses `fixtures/errata.json`.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text).map(Self)
    }

    /// An erratum by id.
    pub fn get(&self, id: &str) -> Option<&Erratum> {
        self.0.iter().find(|e| e.id == id)
    }

    /// Every erratum, in file order.
    pub fn all(&self) -> &[Erratum] {
        &self.0
    }

    /// The tier of a server reproducing these errata: the most severe listed tier
    /// (NON-STRICT for an erratum the list does not know, the documented default).
    fn tier_of(&self, ids: &[&str]) -> Verdict {
        ids.iter()
            .map(|id| self.get(id).map_or(Verdict::NonStrict, |e| e.tier))
            .max()
            .unwrap_or(Verdict::NonStrict)
    }
}

/// A documented example to diff against.
#[derive(Debug, Clone, Copy)]
pub struct Example<'a> {
    /// The fixture's name (`chat-started-participants-updated`), used in the diff's labels.
    pub name: &'a str,
    /// The fixture's content.
    pub value: &'a Value,
    /// The errata list, for tiers and titles.
    pub errata: &'a Errata,
}

/// `actual` without the object keys `example` does not show, at every depth. An array is cut
/// element by element to the keys the example's elements show between them (an example with
/// no object elements cuts nothing: an extra element still shows).
fn cut_to_shape(actual: &Value, example: &Value) -> Value {
    match (actual, example) {
        (Value::Object(actual), Value::Object(example)) => Value::Object(
            actual
                .iter()
                .filter_map(|(key, value)| {
                    let shape = example.get(key)?;
                    Some((key.clone(), cut_to_shape(value, shape)))
                })
                .collect(),
        ),
        (Value::Array(items), Value::Array(example)) => match merged_shape(example) {
            Some(shape) => Value::Array(items.iter().map(|i| cut_to_shape(i, &shape)).collect()),
            None => Value::Array(items.clone()),
        },
        _ => actual.clone(),
    }
}

/// The union of the object elements of an example array (`None` when it has none).
fn merged_shape(elements: &[Value]) -> Option<Value> {
    elements
        .iter()
        .filter(|e| e.is_object())
        .cloned()
        .reduce(|mut shape, element| {
            merge_into(&mut shape, element);
            shape
        })
}

/// Adds `more`'s keys (recursively) to `shape`.
fn merge_into(shape: &mut Value, more: Value) {
    match (shape, more) {
        (Value::Object(shape), Value::Object(more)) => {
            for (key, value) in more {
                match shape.get_mut(&key) {
                    Some(existing) => merge_into(existing, value),
                    None => {
                        shape.insert(key, value);
                    }
                }
            }
        }
        (Value::Array(shape), Value::Array(more)) => shape.extend(more),
        _ => {}
    }
}

/// Which side of the diff held a documented variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The documented example (the fixture).
    Example,
    /// The received document.
    Actual,
}

/// A difference explained by errata: a documented variant on one side, mapped to the
/// table's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explained {
    /// The errata ids.
    pub errata: Vec<String>,
    /// Which side held the variant.
    pub side: Side,
    /// Where (a JSON Pointer).
    pub pointer: String,
    /// A unified diff of the value there: as received (or printed) → the table's form.
    pub hunk: String,
}

/// The outcome of a diff against an example.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleDiff {
    /// `None` when nothing differs; otherwise how the difference weighs (see the module doc).
    pub verdict: Option<Verdict>,
    /// One line saying what was found.
    pub message: String,
    /// Unified diff of the normalised documents (empty when they are equal).
    pub diff: String,
    /// Unified diff once documented variants are in the table's form (empty when the errata
    /// explain every difference).
    pub residual: String,
    /// Which errata explained which differences.
    pub explained: Vec<Explained>,
}

impl ExampleDiff {
    /// The finding to report, if any: the residual diff for a failure, the full diff and the
    /// explanations otherwise.
    pub fn finding(&self) -> Option<Finding> {
        let verdict = self.verdict?;
        let mut details = Vec::new();
        let main = if verdict == Verdict::Fail {
            &self.residual
        } else {
            &self.diff
        };
        if !main.is_empty() {
            details.push(main.clone());
        }
        for explained in &self.explained {
            details.push(format!(
                "erratum {} ({} side) at {}:\n{}",
                explained.errata.join(", "),
                match explained.side {
                    Side::Example => "example",
                    Side::Actual => "actual",
                },
                explained.pointer,
                explained.hunk
            ));
        }
        Some(Finding {
            check: CHECK_ID.to_owned(),
            requirement: REQUIREMENT.to_owned(),
            verdict,
            message: self.message.clone(),
            details,
        })
    }
}

/// Diffs `actual` against a documented example after normalising both with `masks`; see the
/// module doc for the verdict rule.
pub fn diff_against_example(actual: &Value, example: &Example<'_>, masks: &Masks) -> ExampleDiff {
    let labels = (
        format!("expected (fixtures/{}.json)", fixture_stem(example.name)),
        "actual",
    );
    let actual = &cut_to_shape(actual, example.value);
    let expected_norm = masks.normalise(example.value);
    let actual_norm = masks.normalise(actual);
    let diff = unified(&expected_norm, &actual_norm, (&labels.0, labels.1));

    let (expected_form, expected_subs) = table_form_of(example.value);
    let (actual_form, actual_subs) = table_form_of(actual);
    let residual = unified(
        &masks.normalise(&expected_form),
        &masks.normalise(&actual_form),
        (&labels.0, labels.1),
    );
    let mut explained = explain(Side::Example, example.value, &expected_subs, masks);
    explained.extend(explain(Side::Actual, actual, &actual_subs, masks));

    let (verdict, message) = verdict_of(&diff, &residual, &expected_subs, &actual_subs, example);
    ExampleDiff {
        verdict,
        message,
        diff,
        residual,
        explained,
    }
}

/// The documented example an example-diff finding compared the notification with (the
/// fixture's name, as [`Example::name`] without `.json`), read back from its message, which
/// always names it ([`verdict_of`]): reports show the example beside the notification. `None`
/// for other findings.
pub fn example_of(finding: &Finding) -> Option<&str> {
    if finding.check != CHECK_ID {
        return None;
    }
    finding
        .message
        .split_once("example ")?
        .1
        .split_whitespace()
        .next()
}

fn fixture_stem(name: &str) -> &str {
    let name = name.rsplit('/').next().unwrap_or(name);
    name.strip_suffix(".json").unwrap_or(name)
}

fn table_form_of(value: &Value) -> (Value, Vec<Substitution>) {
    notification_table_form(value).unwrap_or_else(|| (value.clone(), Vec::new()))
}

fn verdict_of(
    diff: &str,
    residual: &str,
    expected_subs: &[Substitution],
    actual_subs: &[Substitution],
    example: &Example<'_>,
) -> (Option<Verdict>, String) {
    let name = fixture_stem(example.name);
    if !residual.is_empty() {
        let message = format!("differs from the documented example {name}");
        return (Some(Verdict::Fail), message);
    }
    if !actual_subs.is_empty() {
        let ids = errata_of(actual_subs);
        let message = format!(
            "matches the documented example {name} only through its documented variant \
             (erratum {}): the table's form is normative",
            ids.join(", ")
        );
        return (Some(example.errata.tier_of(&ids)), message);
    }
    if !diff.is_empty() {
        let ids = errata_of(expected_subs);
        let message = format!(
            "differs from the example {name} only where the example contradicts the table: \
             erratum {}",
            ids.join(", ")
        );
        return (Some(TABLE_FORM_VERDICT), message);
    }
    (None, format!("matches the documented example {name}"))
}

/// The explanation of each substitution made on one side.
fn explain(side: Side, original: &Value, subs: &[Substitution], masks: &Masks) -> Vec<Explained> {
    let Some((fixed, _)) = notification_table_form(original) else {
        return Vec::new();
    };
    let before = masks.normalise(original);
    let after = masks.normalise(&fixed);
    subs.iter()
        .map(|sub| {
            let value_at = |doc: &Value| doc.pointer(sub.pointer).cloned().unwrap_or(Value::Null);
            let label = match side {
                Side::Example => "as printed in the example",
                Side::Actual => "as received",
            };
            Explained {
                errata: sub.errata.iter().map(|e| (*e).to_owned()).collect(),
                side,
                pointer: sub.pointer.to_owned(),
                hunk: unified(
                    &value_at(&before),
                    &value_at(&after),
                    (label, "table's form"),
                ),
            }
        })
        .collect()
}

/// The unified diff of two normalised documents; empty when they are equal.
/// A unified diff of two documents rendered as canonical pretty JSON (sorted keys); empty when
/// they are equal.
pub fn unified(expected: &Value, actual: &Value, labels: (&str, &str)) -> String {
    let old = canonical_pretty(expected) + "\n";
    let new = canonical_pretty(actual) + "\n";
    if old == new {
        return String::new();
    }
    TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(labels.0, labels.1)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::capabilities::{COACH, EXAMPLE_COACH_VARIANT};
    use serde_json::json;

    /// The seed's "Chat is started" ParticipantsUpdated example, as the fixture holds it.
    fn example_value() -> Value {
        json!({
            "chat": {
                "receivedDate": "2014-05-05 11:08:45.000-0700",
                "chatType": "Inbound",
                "capabilities": EXAMPLE_COACH_VARIANT,
                "uri": "http://10.10.15.212:9090/api/v2/chats/0001Da9PFC93000S",
                "state": "Chatting",
                "participants": [
                    {"nickname": "test_agent", "type": "Agent",
                     "uri": "http://10.10.15.212:9090/api/v2/users/90cc", "visibility": "All",
                     "participantId": "00AF5367D3D0000A"},
                    {"nickname": "test_supervisor", "type": "Agent",
                     "uri": "http://10.10.15.212:9090/api/v2/users/991a", "visibility": "Agents",
                     "participantId": "00AF5367D3D0000B"},
                    {"nickname": "test_clientL", "type": "Customer",
                     "participantId": "00AF5367D3AD0008", "visibility": "All"}
                ],
                "id": "0001Da9PFC93000S"
            },
            "notificationType": "ParticipantsUpdated",
            "messageType": "ChatStateChangeMessage"
        })
    }

    /// What a server following the table sends: other ids, URIs, names, order.
    fn server_value(capabilities: &[&str]) -> Value {
        json!({
            "messageType": "ChatStateChangeMessage",
            "notificationType": "ParticipantsUpdated",
            "chat": {
                "id": "CHAT9",
                "uri": "http://127.0.0.1:4000/api/v2/chats/CHAT9",
                "state": "Chatting",
                "chatType": "Inbound",
                "receivedDate": "2026-01-02 03:04:05.678+0000",
                "capabilities": capabilities,
                "participants": [
                    {"nickname": "Chris", "type": "Customer", "participantId": "P3",
                     "visibility": "All"},
                    {"nickname": "Ann", "type": "Agent", "participantId": "P1",
                     "uri": "http://127.0.0.1:4000/api/v2/users/u1", "visibility": "All"},
                    {"nickname": "Sue", "type": "Agent", "participantId": "P2",
                     "uri": "http://127.0.0.1:4000/api/v2/users/u2", "visibility": "Agents"}
                ]
            }
        })
    }

    fn run(actual: &Value) -> ExampleDiff {
        let fixture = example_value();
        let errata = Errata::default();
        let example = Example {
            name: "chat-started-participants-updated",
            value: &fixture,
            errata: &errata,
        };
        diff_against_example(actual, &example, &Masks::default())
    }

    #[test]
    fn a_failing_diff_names_its_example_and_other_findings_name_none() {
        let mut actual = server_value(COACH);
        actual["chat"]["state"] = json!("Nonsense");
        let finding = run(&actual).finding().expect("a difference");
        assert_eq!(finding.verdict, Verdict::Fail);
        assert_eq!(
            example_of(&finding),
            Some("chat-started-participants-updated")
        );
        let other = Finding {
            check: "schema".to_owned(),
            ..finding
        };
        assert_eq!(example_of(&other), None);
        // Explained by errata alone: no diff of its own, the example still named.
        let table_form = run(&server_value(COACH)).finding().expect("explained");
        assert_eq!(
            example_of(&table_form),
            Some("chat-started-participants-updated")
        );
    }

    #[test]
    fn identical_after_masks_gives_no_finding() {
        let revoked = json!({
            "chat": {"receivedDate": "2014-05-05 11:09:45.000-0700", "participants": [],
                     "capabilities": [], "uri": "http://10.10.15.212:9090/api/v2/chats/0001",
                     "state": "Revoked", "id": "0001"},
            "notificationType": "StatusChange",
            "messageType": "ChatStateChangeMessage"
        });
        let actual = json!({
            "messageType": "ChatStateChangeMessage",
            "notificationType": "StatusChange",
            "chat": {"id": "X9", "uri": "http://127.0.0.1:1/api/v2/chats/X9", "state": "Revoked",
                     "receivedDate": "2026-01-01 00:00:00.000+0000", "participants": [],
                     "capabilities": []}
        });
        let errata = Errata::default();
        let example = Example {
            name: "chat-completed-status-change-revoked",
            value: &revoked,
            errata: &errata,
        };
        let outcome = diff_against_example(&actual, &example, &Masks::default());
        assert_eq!(outcome.verdict, None, "{}", outcome.diff);
        assert!(outcome.diff.is_empty() && outcome.residual.is_empty());
        assert!(outcome.explained.is_empty());
        assert_eq!(outcome.finding(), None);
    }

    #[test]
    fn table_form_against_the_example_is_explained_by_e5_and_e6() {
        let outcome = run(&server_value(COACH));
        assert_eq!(outcome.verdict, Some(TABLE_FORM_VERDICT));
        assert!(outcome.residual.is_empty(), "{}", outcome.residual);
        assert!(
            outcome
                .message
                .contains("only where the example contradicts the table: erratum E5, E6")
        );
        assert!(
            outcome.diff.contains("-      \"SwitchBargeIn\""),
            "{}",
            outcome.diff
        );
        assert!(
            outcome.diff.contains("+      \"SwitchToBargeIn\""),
            "{}",
            outcome.diff
        );
        assert!(
            outcome.diff.contains("+      \"AddComment\","),
            "{}",
            outcome.diff
        );
        assert_eq!(outcome.explained.len(), 1);
        let explained = &outcome.explained[0];
        assert_eq!(explained.errata, ["E5", "E6"]);
        assert_eq!(explained.side, Side::Example);
        assert_eq!(explained.pointer, "/chat/capabilities");
        let finding = outcome.finding().expect("reported");
        assert_eq!(finding.requirement, "NOTIF-EXAMPLE");
        assert_ne!(finding.verdict, Verdict::Fail);
    }

    #[test]
    fn copying_the_example_variant_is_non_strict_with_the_erratum_tier() {
        let text = r#"[{"id":"E5","fixture":"f.json","instancePath":"/chat/capabilities/13",
            "kind":"inconsistency","tier":"NON-STRICT","ruling":"table wins"},
            {"id":"E6","fixture":"f.json","instancePath":"/chat/capabilities",
            "kind":"inconsistency","tier":"NON-STRICT","ruling":"table wins"}]"#;
        let errata = Errata::parse(text).expect("parses");
        let fixture = example_value();
        let example = Example {
            name: "chat-started-participants-updated",
            value: &fixture,
            errata: &errata,
        };
        let outcome = diff_against_example(
            &server_value(EXAMPLE_COACH_VARIANT),
            &example,
            &Masks::default(),
        );
        assert_eq!(outcome.verdict, Some(Verdict::NonStrict));
        assert!(outcome.diff.is_empty(), "{}", outcome.diff);
        assert!(
            outcome.message.contains("erratum E5, E6"),
            "{}",
            outcome.message
        );
        assert!(outcome.explained.iter().any(|e| e.side == Side::Actual));
    }

    #[test]
    fn a_real_difference_fails_with_a_readable_diff() {
        let mut actual = server_value(COACH);
        actual["chat"]["participants"][2]["visibility"] = json!("All");
        actual["chat"]["state"] = json!("Invited");
        let outcome = run(&actual);
        assert_eq!(outcome.verdict, Some(Verdict::Fail));
        let residual = &outcome.residual;
        assert!(
            residual.starts_with(
                "--- expected (fixtures/chat-started-participants-updated.json)\n+++ actual\n"
            ),
            "{residual}"
        );
        assert!(
            residual.contains("-    \"state\": \"Chatting\""),
            "{residual}"
        );
        assert!(
            residual.contains("+    \"state\": \"Invited\""),
            "{residual}"
        );
        assert!(
            residual.contains("-        \"visibility\": \"Agents\""),
            "{residual}"
        );
        // The capability erratum is explained, not part of the residual.
        assert!(!residual.contains("SwitchBargeIn"), "{residual}");
        let finding = outcome.finding().expect("reported");
        assert_eq!(finding.verdict, Verdict::Fail);
        assert_eq!(finding.details[0], *residual);
        assert!(
            finding.details[1].starts_with("erratum E5, E6 (example side) at /chat/capabilities")
        );
    }

    #[test]
    fn a_missing_capability_field_or_participant_fails() {
        let without_leave: Vec<&str> = COACH.iter().copied().filter(|c| *c != "Leave").collect();
        let outcome = run(&server_value(&without_leave));
        assert_eq!(outcome.verdict, Some(Verdict::Fail));
        assert!(
            outcome.residual.contains("-      \"Leave\","),
            "{}",
            outcome.residual
        );
        let mut without_type = server_value(COACH);
        without_type["chat"]["participants"][0]
            .as_object_mut()
            .expect("a participant")
            .remove("type");
        let outcome = run(&without_type);
        assert_eq!(outcome.verdict, Some(Verdict::Fail));
        assert!(
            outcome.residual.contains("-        \"type\""),
            "{}",
            outcome.residual
        );
        let mut one_more = server_value(COACH);
        let extra_participant = one_more["chat"]["participants"][0].clone();
        one_more["chat"]["participants"]
            .as_array_mut()
            .expect("participants")
            .push(extra_participant);
        assert_eq!(run(&one_more).verdict, Some(Verdict::Fail));
    }

    #[test]
    fn fields_the_example_does_not_show_pass_at_every_depth() {
        let mut extra = server_value(COACH);
        extra["vendor"] = json!({"build": 7});
        extra["chat"]["surprise"] = json!(true);
        extra["chat"]["participants"][1]["path"] = json!("/users/x");
        extra["chat"]["participants"][1]["id"] = json!("x");
        let outcome = run(&extra);
        assert_ne!(outcome.verdict, Some(Verdict::Fail), "{}", outcome.residual);
        assert!(!outcome.diff.contains("surprise"), "{}", outcome.diff);
    }

    #[test]
    fn message_indexes_are_masked_to_their_type() {
        let fixture =
            json!({"messages": [{"index": 1, "type": "Text"}, {"index": 2, "type": "Text"}]});
        let example = Example {
            name: "log",
            value: &fixture,
            errata: &Errata::default(),
        };
        let elsewhere =
            json!({"messages": [{"index": 1000, "type": "Text"}, {"index": 1005, "type": "Text"}]});
        let outcome = diff_against_example(&elsewhere, &example, &Masks::default());
        assert_eq!(outcome.verdict, None, "{}", outcome.diff);
        let as_text =
            json!({"messages": [{"index": "1", "type": "Text"}, {"index": 2, "type": "Text"}]});
        let outcome = diff_against_example(&as_text, &example, &Masks::default());
        assert_eq!(outcome.verdict, Some(Verdict::Fail));
        assert!(
            outcome.residual.contains("<masked string>"),
            "{}",
            outcome.residual
        );
    }

    #[test]
    fn masks_keep_presence_and_type() {
        let mut missing_id = server_value(COACH);
        if let Some(chat) = missing_id["chat"].as_object_mut() {
            chat.remove("id");
        }
        let outcome = run(&missing_id);
        assert_eq!(outcome.verdict, Some(Verdict::Fail));
        assert!(
            outcome
                .residual
                .contains("-    \"id\": \"<masked string>\""),
            "{}",
            outcome.residual
        );
        let mut numeric = server_value(COACH);
        numeric["chat"]["participants"][0]["participantId"] = json!(7);
        let outcome = run(&numeric);
        assert!(
            outcome
                .residual
                .contains("\"participantId\": \"<masked integer>\""),
            "{}",
            outcome.residual
        );
    }

    #[test]
    fn a_leading_double_star_matches_at_any_depth() {
        let masks = Masks::new(&["**.id", "**.a.*.t"], &[], &[]);
        let value = json!({"id": 1, "x": {"id": "2", "a": [{"t": 3, "id": 4}]}, "a": [{"t": 5}]});
        assert_eq!(
            masks.normalise(&value),
            json!({"id": "<masked integer>", "x": {"id": "<masked string>",
                   "a": [{"t": "<masked integer>", "id": "<masked integer>"}]},
                   "a": [{"t": "<masked integer>"}]})
        );
    }

    #[test]
    fn shaped_values_keep_their_format() {
        let masks = Masks::new(&[], &[], &[]).with_shaped(&["**.timestamp", "**.seconds"]);
        let value = json!({"m": [{"timestamp": "2026-01-02 03:04:05.678+0000", "seconds": 1767323045678_u64},
                                 {"timestamp": "2026-01-02T03:04:05Z", "seconds": 1767323045},
                                 {"timestamp": "2026-01-01 20:04:05.678-0700"},
                                 {"timestamp": "2026-01-02T03:04:05+00:00"}]});
        assert_eq!(
            masks.normalise(&value),
            json!({"m": [{"timestamp": "<shape 9999-99-99 99:99:99.999±9999>", "seconds": "<integer of 13 digits>"},
                         {"timestamp": "<shape 9999-99-99T99:99:99Z>", "seconds": "<integer of 10 digits>"},
                         {"timestamp": "<shape 9999-99-99 99:99:99.999±9999>"},
                         {"timestamp": "<shape 9999-99-99T99:99:99±99:99>"}]}),
            "an offset's sign is a value; Z is another format"
        );
    }

    #[test]
    fn a_numeric_segment_matches_that_index_and_that_key() {
        let masks = Masks::new(&["a.1", "b.01"], &[], &[]);
        let value = json!({"a": [0, 1, 2], "b": [0, 1], "c": {"1": 1}});
        assert_eq!(
            masks.normalise(&value),
            json!({"a": [0, "<masked integer>", 2], "b": [0, 1], "c": {"1": 1}})
        );
        let keyed = Masks::new(&["c.1"], &[], &[]);
        assert_eq!(
            keyed.normalise(&json!({"c": {"1": 1}})),
            json!({"c": {"1": "<masked integer>"}})
        );
    }

    #[test]
    fn patterns_match_keys_and_indexes() {
        let masks = Masks::new(&["a.*.b"], &["x"], &["list"]);
        let value = json!({"a": [{"b": 1, "c": 2}], "x": 1, "list": [3, 1, 2]});
        assert_eq!(
            masks.normalise(&value),
            json!({"a": [{"b": "<masked integer>", "c": 2}], "list": [1, 2, 3]})
        );
    }

    #[test]
    fn ignored_chat_path_does_not_count() {
        let plain = json!({"messageType": "MessageLogUpdated", "chatUri": "http://a/api/v2/chats/1", "messages": []});
        let with_path = json!({"messageType": "MessageLogUpdated", "chatUri": "http://b/api/v2/chats/2", "chatPath": "/chats/2", "messages": []});
        let errata = Errata::default();
        let example = Example {
            name: "m.json",
            value: &plain,
            errata: &errata,
        };
        assert_eq!(
            diff_against_example(&with_path, &example, &Masks::default()).verdict,
            None
        );
    }
}
