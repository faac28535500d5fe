//! Matchers: what a notification or response body must look like, as a list of
//! `path: matcher` pairs (see docs/scenario-format.md, "Matchers").

use std::fmt;

use serde_json::Value;

use super::model::Mode;
use super::path::JsonPath;
use super::template::{Undefined, Variables, variables_in_value};
use crate::spec::capabilities;

/// One matcher.
#[derive(Debug, Clone, PartialEq)]
pub enum Matcher {
    /// Equal to a JSON template.
    Equals(Value),
    /// The inner matcher fails.
    Not(Box<Matcher>),
    /// The path exists.
    Present,
    /// The path does not exist.
    Absent,
    /// Equal to one of these.
    OneOf(Vec<Value>),
    /// Length of an array, string or object.
    Len(usize),
    /// An array with exactly these elements, in any order.
    Set(Vec<Value>),
    /// An array containing all of these.
    Contains(Vec<Value>),
    /// An array containing none of these.
    Excludes(Vec<Value>),
    /// An array with an element matching.
    Any(Matchers),
    /// An array with no element matching.
    None(Matchers),
    /// An array whose every element matches.
    All(Matchers),
    /// The seed table's capability set of a mode.
    CapabilitiesOf(Mode),
    /// Equal to a template's value, unless that value is `null`: then anything passes. With an
    /// optional capture (`referenceId?`) it says "carries what the response carried, if it
    /// carried anything" (docs/rulings.md, `choice-reference-ids`).
    Echoes(Value),
    /// An absolute URI, of any origin, whose path is this template, after any context path the
    /// server is deployed under: URIs carry the server's own origin, which behind a proxy is not
    /// the one the client used (docs/rulings.md, `choice-uri-origin`), and the documented
    /// `/api/v2/me` response shows a context path (`/cloud-web/api/v2/users/…`).
    UriPath(String),
}

/// A list of `path: matcher` pairs; all must pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matchers(pub Vec<(JsonPath, Matcher)>);

/// What a successful match accepted beyond the letter of the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Notes {
    /// A `$capabilities_of: Coach` matched the seed example's variant (`SwitchBargeIn`, no
    /// `AddComment`) rather than the table: a documented erratum, NON-STRICT.
    pub documented_variant: bool,
}

impl Notes {
    fn merge(&mut self, other: Notes) {
        self.documented_variant |= other.documented_variant;
    }
}

/// A relaxed match ([`Matchers::check_relaxed`]): what was accepted beyond the letter of the
/// table, and each mismatch of a matcher with a requirement of its own, with that requirement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Relaxed {
    /// As for a full match.
    pub notes: Notes,
    /// The mismatches set aside.
    pub set_aside: Vec<(Mismatch, &'static str)>,
}

/// Why a document did not match.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The path that failed.
    pub path: String,
    /// What was expected there.
    pub expected: String,
    /// What was there (`<absent>` when nothing).
    pub actual: String,
    /// For an equality with a structured value: the expected and actual documents, so a
    /// report can show them as a unified diff.
    pub documents: Option<Box<(Value, Value)>>,
    /// For `$none` and `$all`: the position of the first element that broke it (the one
    /// `$none` forbids, the one `$all` rejects).
    pub element: Option<usize>,
}

impl Mismatch {
    /// The place in the document that broke the matcher: the element at fault, when one is
    /// (`messages.3`), else the path (`messages`: a `$any` found no such element at all).
    pub fn place(&self) -> String {
        match self.element {
            Some(position) if self.path.is_empty() => position.to_string(),
            Some(position) => format!("{}.{position}", self.path),
            None => self.path.clone(),
        }
    }

    /// A unified diff of canonical JSON, when the mismatch compared two structured documents.
    pub fn diff(&self) -> Option<String> {
        let (expected, actual) = self.documents.as_deref()?;
        let labels = (
            format!("expected at {}", self.path),
            format!("actual at {}", self.path),
        );
        Some(crate::check::diff::unified(
            expected,
            actual,
            (&labels.0, &labels.1),
        ))
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, found {}",
            self.path, self.expected, self.actual
        )
    }
}

/// The outcome of matching a document.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchError {
    /// A matcher failed.
    Mismatch(Mismatch),
    /// A template used a variable with no value.
    Undefined(Undefined),
}

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchError::Mismatch(m) => m.fmt(f),
            MatchError::Undefined(u) => u.fmt(f),
        }
    }
}

/// The operator keys, for suggestions.
pub const OPERATORS: &[&str] = &[
    "$eq",
    "$not",
    "$present",
    "$absent",
    "$one_of",
    "$len",
    "$set",
    "$contains",
    "$excludes",
    "$any",
    "$none",
    "$all",
    "$capabilities_of",
    "$uri_path",
    "$echoes",
];

fn array(value: &Value, operator: &str) -> Result<Vec<Value>, String> {
    value
        .as_array()
        .cloned()
        .ok_or_else(|| format!("`{operator}` takes a list"))
}

fn sub_matchers(value: &Value, operator: &str) -> Result<Matchers, String> {
    match value {
        Value::Object(map) => Matchers::parse(map.iter().map(|(k, v)| (k.as_str(), v))),
        _ => Err(format!("`{operator}` takes a map of path: matcher")),
    }
}

impl Matcher {
    /// Parses a matcher: a map with a single `$operator` key, or a plain value.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Ok(Matcher::Equals(value.clone()));
        };
        let mut operators = map.keys().filter(|k| k.starts_with('$'));
        let Some(operator) = operators.next() else {
            return Ok(Matcher::Equals(value.clone()));
        };
        if map.len() != 1 {
            return Err(format!("`{operator}` must be the only key of its map"));
        }
        let argument = &map[operator.as_str()];
        let flag = |name: &str| match argument {
            Value::Bool(true) => Ok(()),
            _ => Err(format!("`{name}` takes `true`")),
        };
        Ok(match operator.as_str() {
            "$eq" => Matcher::Equals(argument.clone()),
            "$not" => Matcher::Not(Box::new(Matcher::parse(argument)?)),
            "$present" => flag("$present").map(|()| Matcher::Present)?,
            "$absent" => flag("$absent").map(|()| Matcher::Absent)?,
            "$one_of" => Matcher::OneOf(array(argument, operator)?),
            "$len" => Matcher::Len(
                argument
                    .as_u64()
                    .ok_or("`$len` takes a non-negative integer")? as usize,
            ),
            "$set" => Matcher::Set(array(argument, operator)?),
            "$contains" => Matcher::Contains(array(argument, operator)?),
            "$excludes" => Matcher::Excludes(array(argument, operator)?),
            "$any" => Matcher::Any(sub_matchers(argument, operator)?),
            "$none" => Matcher::None(sub_matchers(argument, operator)?),
            "$all" => Matcher::All(sub_matchers(argument, operator)?),
            "$capabilities_of" => Matcher::CapabilitiesOf(
                argument
                    .as_str()
                    .and_then(Mode::parse)
                    .ok_or("`$capabilities_of` takes Monitor, Coach or BargeIn")?,
            ),
            "$echoes" => Matcher::Echoes(argument.clone()),
            "$uri_path" => Matcher::UriPath(
                argument
                    .as_str()
                    .filter(|p| p.starts_with('/'))
                    .ok_or("`$uri_path` takes a path starting with `/`")?
                    .to_owned(),
            ),
            other => {
                let hint = super::suggest::did_you_mean(other, OPERATORS);
                return Err(format!("unknown matcher operator `{other}` {hint}")
                    .trim_end()
                    .to_owned());
            }
        })
    }

    /// The requirement the matcher enforces by itself, whatever the step it is in covers: the
    /// seed table's capability set of a mode is that mode's `CAP-*` requirement, and echoing a
    /// response's `referenceId` is NOTIF-REFERENCE.
    pub fn requirement(&self) -> Option<&'static str> {
        match self {
            Matcher::CapabilitiesOf(mode) => Some(mode.capability_requirement()),
            Matcher::Echoes(_) => Some("NOTIF-REFERENCE"),
            _ => None,
        }
    }

    /// Every variable the matcher's templates use.
    pub fn variables(&self) -> Vec<String> {
        match self {
            Matcher::Equals(v) | Matcher::Echoes(v) => variables_in_value(v),
            Matcher::Not(inner) => inner.variables(),
            Matcher::OneOf(vs)
            | Matcher::Set(vs)
            | Matcher::Contains(vs)
            | Matcher::Excludes(vs) => vs.iter().flat_map(variables_in_value).collect(),
            Matcher::Any(m) | Matcher::None(m) | Matcher::All(m) => m.variables(),
            Matcher::UriPath(path) => super::template::variables_in(path),
            Matcher::Present | Matcher::Absent | Matcher::Len(_) | Matcher::CapabilitiesOf(_) => {
                Vec::new()
            }
        }
    }

    /// For a failed `$none` or `$all` on a list: the first element that broke it.
    fn element_at_fault(&self, actual: Option<&Value>, vars: &Variables) -> Option<usize> {
        let list = actual?.as_array()?;
        match self {
            Matcher::None(sub) => first_element(list, sub, vars, true),
            Matcher::All(sub) => first_element(list, sub, vars, false),
            _ => None,
        }
    }

    fn describe(&self, vars: &Variables) -> String {
        let show = |v: &Value| {
            vars.render_value(v)
                .unwrap_or_else(|_| v.clone())
                .to_string()
        };
        let list = |vs: &[Value]| vs.iter().map(show).collect::<Vec<_>>().join(", ");
        match self {
            Matcher::Equals(v) => show(v),
            Matcher::Echoes(v) => format!("{} (if not null)", show(v)),
            Matcher::Not(inner) => format!("not {}", inner.describe(vars)),
            Matcher::Present => "a value".into(),
            Matcher::Absent => "nothing".into(),
            Matcher::OneOf(vs) => format!("one of [{}]", list(vs)),
            Matcher::Len(n) => format!("length {n}"),
            Matcher::Set(vs) => format!("exactly [{}] in any order", list(vs)),
            Matcher::Contains(vs) => format!("a list containing [{}]", list(vs)),
            Matcher::Excludes(vs) => format!("a list without [{}]", list(vs)),
            Matcher::Any(m) => format!("a list with an element where {m}"),
            Matcher::None(m) => format!("a list with no element where {m}"),
            Matcher::All(m) => format!("a list whose every element has {m}"),
            Matcher::CapabilitiesOf(mode) => {
                format!("the {} capabilities of the seed table", mode.name())
            }
            Matcher::UriPath(path) => format!(
                "a URI with path {}",
                vars.render(path).unwrap_or_else(|_| path.clone())
            ),
        }
    }

    /// Whether `actual` (None: absent) satisfies the matcher. Accepting the seed example's
    /// variant of the Coach capabilities is recorded in `notes`.
    fn test(
        &self,
        actual: Option<&Value>,
        vars: &Variables,
        notes: &mut Notes,
    ) -> Result<bool, Undefined> {
        let items = || actual.and_then(Value::as_array);
        Ok(match self {
            Matcher::Equals(template) => actual == Some(&vars.render_value(template)?),
            Matcher::Echoes(template) => match vars.render_value(template)? {
                Value::Null => true,
                expected => actual == Some(&expected),
            },
            Matcher::Not(inner) => !inner.test(actual, vars, &mut Notes::default())?,
            Matcher::Present => actual.is_some(),
            Matcher::Absent => actual.is_none(),
            Matcher::OneOf(options) => {
                let mut found = false;
                for option in options {
                    found |= actual == Some(&vars.render_value(option)?);
                }
                found
            }
            Matcher::Len(n) => match actual {
                Some(Value::Array(a)) => a.len() == *n,
                Some(Value::String(s)) => s.chars().count() == *n,
                Some(Value::Object(o)) => o.len() == *n,
                _ => false,
            },
            Matcher::Set(expected) => match items() {
                Some(list) => same_set(list, &render_all(expected, vars)?),
                None => false,
            },
            Matcher::Contains(expected) => match items() {
                Some(list) => render_all(expected, vars)?.iter().all(|e| list.contains(e)),
                None => false,
            },
            Matcher::Excludes(expected) => match items() {
                Some(list) => !render_all(expected, vars)?.iter().any(|e| list.contains(e)),
                None => false,
            },
            Matcher::Any(sub) => match items() {
                Some(list) => any_element(list, sub, vars, notes)?,
                None => false,
            },
            Matcher::None(sub) => match items() {
                Some(list) => !any_element(list, sub, vars, &mut Notes::default())?,
                None => false,
            },
            Matcher::All(sub) => match items() {
                Some(list) => {
                    let mut all = true;
                    for item in list {
                        match sub.check(item, vars) {
                            Ok(found) => notes.merge(found),
                            Err(MatchError::Undefined(u)) => return Err(u),
                            Err(MatchError::Mismatch(_)) => all = false,
                        }
                    }
                    all
                }
                None => false,
            },
            Matcher::CapabilitiesOf(mode) => match items() {
                Some(list) if same_set(list, &table_values(mode.capabilities())) => true,
                Some(list)
                    if *mode == Mode::Coach
                        && same_set(list, &table_values(capabilities::EXAMPLE_COACH_VARIANT)) =>
                {
                    notes.documented_variant = true;
                    true
                }
                _ => false,
            },
            Matcher::UriPath(path) => {
                let path = vars.render(path)?;
                actual
                    .and_then(Value::as_str)
                    .and_then(|uri| reqwest::Url::parse(uri).ok())
                    .is_some_and(|uri| uri.has_host() && uri.path().ends_with(&path))
            }
        })
    }
}

fn table_values(names: &[&str]) -> Vec<Value> {
    names
        .iter()
        .map(|n| Value::String((*n).to_owned()))
        .collect()
}

fn render_all(values: &[Value], vars: &Variables) -> Result<Vec<Value>, Undefined> {
    values.iter().map(|v| vars.render_value(v)).collect()
}

/// The position of the first element of `list` that `sub` matches (`wanted`) or does not.
fn first_element(list: &[Value], sub: &Matchers, vars: &Variables, wanted: bool) -> Option<usize> {
    list.iter()
        .position(|item| sub.check(item, vars).is_ok() == wanted)
}

fn any_element(
    list: &[Value],
    sub: &Matchers,
    vars: &Variables,
    notes: &mut Notes,
) -> Result<bool, Undefined> {
    for item in list {
        match sub.check(item, vars) {
            Ok(found) => {
                notes.merge(found);
                return Ok(true);
            }
            Err(MatchError::Undefined(u)) => return Err(u),
            Err(MatchError::Mismatch(_)) => {}
        }
    }
    Ok(false)
}

/// Multiset equality, ignoring order.
fn same_set(actual: &[Value], expected: &[Value]) -> bool {
    if actual.len() != expected.len() {
        return false;
    }
    let mut remaining: Vec<&Value> = expected.iter().collect();
    actual
        .iter()
        .all(|a| match remaining.iter().position(|e| *e == a) {
            Some(i) => {
                remaining.swap_remove(i);
                true
            }
            None => false,
        })
}

impl Matchers {
    /// Parses `path: matcher` pairs; errors name the offending key.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) -> Result<Self, String> {
        let mut parsed = Vec::new();
        for (path, value) in pairs {
            let json_path = JsonPath::parse(path)?;
            let matcher = Matcher::parse(value).map_err(|e| format!("`{path}`: {e}"))?;
            parsed.push((json_path, matcher));
        }
        Ok(Matchers(parsed))
    }

    /// Every variable used.
    pub fn variables(&self) -> Vec<String> {
        self.0.iter().flat_map(|(_, m)| m.variables()).collect()
    }

    /// Checks a document; the first failing matcher is reported.
    pub fn check(&self, document: &Value, vars: &Variables) -> Result<Notes, MatchError> {
        self.check_with(document, vars, false)
            .map(|relaxed| relaxed.notes)
    }

    /// Checks a document with the matchers that enforce a requirement of their own
    /// ([`Matcher::requirement`]) set aside: their mismatches are returned with that
    /// requirement instead of failing the match. It tells a notification that is the one
    /// expected but breaks such a requirement from one that is not the one expected.
    pub fn check_relaxed(&self, document: &Value, vars: &Variables) -> Result<Relaxed, MatchError> {
        self.check_with(document, vars, true)
    }

    fn check_with(
        &self,
        document: &Value,
        vars: &Variables,
        relaxed: bool,
    ) -> Result<Relaxed, MatchError> {
        let mut notes = Notes::default();
        let mut set_aside = Vec::new();
        for (path, matcher) in &self.0 {
            let actual = path.lookup(document);
            if matcher
                .test(actual, vars, &mut notes)
                .map_err(MatchError::Undefined)?
            {
                continue;
            }
            let documents = match (matcher, actual) {
                (Matcher::Equals(template), Some(found))
                    if template.is_object() || template.is_array() =>
                {
                    vars.render_value(template)
                        .ok()
                        .map(|expected| Box::new((expected, found.clone())))
                }
                _ => None,
            };
            let mismatch = Mismatch {
                path: path.to_string(),
                expected: matcher.describe(vars),
                actual: actual.map_or_else(|| "<absent>".to_owned(), Value::to_string),
                documents,
                element: matcher.element_at_fault(actual, vars),
            };
            match matcher.requirement().filter(|_| relaxed) {
                Some(requirement) => set_aside.push((mismatch, requirement)),
                None => return Err(MatchError::Mismatch(mismatch)),
            }
        }
        Ok(Relaxed { notes, set_aside })
    }
}

impl Matchers {
    /// The matchers in words, with the variables' current values filled in.
    pub fn describe(&self, vars: &Variables) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(path, m)| format!("{path} = {}", m.describe(vars)))
            .collect();
        parts.join(", ")
    }
}

impl fmt::Display for Matchers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(&Variables::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn matchers(spec: Value) -> Matchers {
        let map = spec.as_object().unwrap().clone();
        Matchers::parse(map.iter().map(|(k, v)| (k.as_str(), v))).unwrap()
    }

    fn coach_table() -> Vec<Value> {
        table_values(capabilities::COACH)
    }

    fn check(spec: Value, doc: Value) -> Result<Notes, MatchError> {
        matchers(spec).check(&doc, &Variables::default())
    }

    #[test]
    fn plain_values_compare_for_equality() {
        let doc = json!({"chat": {"state": "Chatting", "n": 2}});
        assert!(check(json!({"chat.state": "Chatting", "chat.n": 2}), doc.clone()).is_ok());
        let err = check(json!({"chat.state": "Revoked"}), doc).unwrap_err();
        assert_eq!(
            err.to_string(),
            "chat.state: expected \"Revoked\", found \"Chatting\""
        );
    }

    #[test]
    fn a_failure_names_the_element_at_fault_where_there_is_one() {
        let doc = json!({"ps": [{"n": "x", "v": "All"}, {"n": "y", "v": "Agents"}, {"n": "z"}]});
        let place = |spec: Value| match check(spec, doc.clone()) {
            Err(MatchError::Mismatch(mismatch)) => mismatch.place(),
            other => panic!("{other:?}"),
        };
        // `$none`: the element it forbids; `$all`: the first it rejects.
        assert_eq!(place(json!({"ps": {"$none": {"v": "Agents"}}})), "ps.1");
        assert_eq!(place(json!({"ps": {"$all": {"v": "All"}}})), "ps.1");
        // `$any` found none: the list as a whole; a plain value: its path.
        assert_eq!(place(json!({"ps": {"$any": {"n": "w"}}})), "ps");
        assert_eq!(place(json!({"ps.0.v": "Agents"})), "ps.0.v");
        // An element of a list at the root of the document.
        let at_root = Mismatch {
            path: String::new(),
            expected: String::new(),
            actual: String::new(),
            documents: None,
            element: Some(1),
        };
        assert_eq!(at_root.place(), "1");
    }

    #[test]
    fn operators_work_and_fail() {
        let doc =
            json!({"caps": ["A", "B"], "ps": [{"n": "x", "v": "All"}, {"n": "y", "v": "Agents"}]});
        for (spec, ok) in [
            (json!({"caps": {"$set": ["B", "A"]}}), true),
            (json!({"caps": {"$set": ["A"]}}), false),
            (json!({"caps": {"$contains": ["A"]}}), true),
            (json!({"caps": {"$excludes": ["C"]}}), true),
            (json!({"caps": {"$excludes": ["A"]}}), false),
            (json!({"caps": {"$len": 2}}), true),
            (json!({"missing": {"$absent": true}}), true),
            (json!({"caps": {"$absent": true}}), false),
            (json!({"caps": {"$present": true}}), true),
            (json!({"ps": {"$any": {"n": "y", "v": "Agents"}}}), true),
            (json!({"ps": {"$any": {"n": "y", "v": "All"}}}), false),
            (json!({"ps": {"$none": {"n": "z"}}}), true),
            (
                json!({"ps": {"$all": {"n": {"$one_of": ["x", "y"]}}}}),
                true,
            ),
            (json!({"ps.0.v": {"$not": "Agents"}}), true),
            (json!({"caps": {"$eq": ["A", "B"]}}), true),
        ] {
            assert_eq!(check(spec.clone(), doc.clone()).is_ok(), ok, "{spec}");
        }
    }

    #[test]
    fn capabilities_of_uses_the_seed_table() {
        let coach: Vec<Value> = table_values(capabilities::COACH)
            .into_iter()
            .rev()
            .collect();
        let spec = json!({"chat.capabilities": {"$capabilities_of": "Coach"}});
        assert!(check(spec.clone(), json!({"chat": {"capabilities": coach}})).is_ok());
        assert_eq!(
            check(
                spec.clone(),
                json!({"chat": {"capabilities": coach_table()}})
            ),
            Ok(Notes::default())
        );
        let variant = json!({"chat": {"capabilities": capabilities::EXAMPLE_COACH_VARIANT}});
        assert_eq!(
            check(spec, variant).unwrap(),
            Notes {
                documented_variant: true
            }
        );
        let monitor = json!({"chat.capabilities": {"$capabilities_of": "Monitor"}});
        let wrong = json!({"chat": {"capabilities": ["Leave", "SwitchToCoach"]}});
        assert!(check(monitor, wrong).is_err());
    }

    #[test]
    fn templates_are_rendered_with_variables() {
        let mut vars = Variables::default();
        vars.set("chat", json!("C1"));
        let m = matchers(json!({"chat.id": "${chat}"}));
        assert!(m.check(&json!({"chat": {"id": "C1"}}), &vars).is_ok());
        assert_eq!(m.variables(), ["chat"]);
        let err = m.check(&json!({}), &Variables::default()).unwrap_err();
        assert!(matches!(err, MatchError::Undefined(_)));
    }

    #[test]
    fn bad_matchers_are_reported() {
        let parse = |v: Value| Matcher::parse(&v).unwrap_err();
        assert!(parse(json!({"$sett": [1]})).contains("did you mean `$set`"));
        assert!(parse(json!({"$set": 1})).contains("takes a list"));
        assert!(parse(json!({"$len": -1})).contains("non-negative"));
        assert!(parse(json!({"$set": [], "other": 1})).contains("only key"));
        assert!(parse(json!({"$capabilities_of": "Watch"})).contains("Monitor, Coach or BargeIn"));
        assert!(parse(json!({"$absent": false})).contains("true"));
    }
}
