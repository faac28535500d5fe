//! Remapping: the ids a capture recorded (chat ids, participant ids, user ids, referenceIds, the
//! server's own address in URIs) are not the ones the target hands out when the capture is
//! replayed. [`Remap`] learns `recorded → replayed` pairs by walking a recorded response (or
//! notification) and its replayed counterpart in parallel, and substitutes them in later request
//! URLs and bodies, and in the recorded notifications before they are compared.
//!
//! What counts as an id is decided by the key it is under ([`is_id_key`]): `id`, every `…Id`,
//! `uri`/`…Uri`, `path`/`…Path`, `url`/`…Url`. A URI or path contributes its last segment (the
//! resource's id) and its origin (`scheme://host:port`). `referenceId` numbers are learned from
//! responses only: a notification echoes the referenceId of the response that caused it, so
//! learning it from notifications would make a wrong echo look right.
//!
//! The first pair learned for a value wins; a later, different pair for the same recorded value
//! (or a second recorded value for the same replayed one) is counted as a conflict and ignored,
//! so one odd document cannot rewrite what earlier ones established.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::indexes::MessageIndexes;
use crate::check::diff::Masks;
use crate::check::json::{chat_key, last_segment};
use crate::har::redact::REDACTED;

/// Keys whose values are wall-clock times: they differ in every run.
pub const TIME_KEYS: &[&str] = &["timestamp", "timestampSeconds", "receivedDate"];

/// Whether the value under `key` is an id (or a URI or path naming one).
pub fn is_id_key(key: &str) -> bool {
    ["id", "uri", "path", "url"].contains(&key)
        || ["Id", "Uri", "Path", "Url"]
            .iter()
            .any(|suffix| key.len() > suffix.len() && key.ends_with(suffix))
}

/// `**.{key}` for each key: patterns matching the keys at any depth.
fn anywhere(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|key| format!("**.{key}")).collect()
}

/// Keys whose arrays are sets (the documentation gives their elements no order), as
/// `check::diff::DEFAULT_UNORDERED` says for the chat.
const UNORDERED_KEYS: &[&str] = &["capabilities", "participants"];

/// Whether two documents say the same thing, perhaps about different chats: equal apart from
/// the values under id keys ([`is_id_key`]), the digits of times ([`TIME_KEYS`]: same format,
/// same number of digits) and keys only one of them has, with capabilities and participants in
/// any order. Walks both at once
/// and allocates nothing: every notification received is compared so with its candidates.
pub fn alike(recorded: &Value, replayed: &Value) -> bool {
    alike_at(recorded, replayed, None)
}

fn alike_at(recorded: &Value, replayed: &Value, key: Option<&str>) -> bool {
    if key.is_some_and(|k| is_id_key(k) || k == INDEX_KEY) {
        return true;
    }
    if key.is_some_and(|k| TIME_KEYS.contains(&k)) {
        return same_shape(recorded, replayed);
    }
    match (recorded, replayed) {
        // Keys usually come in the same order (one server's serialiser): compared in step, a
        // key is looked up (hashed) only where the orders part.
        // A key on one side only is no difference here (`meaning`: a server may add fields).
        (Value::Object(old), Value::Object(new)) => {
            old.iter().zip(new).all(|((k, o), (nk, n))| {
                let n = if k == nk { Some(n) } else { new.get(k) };
                n.is_none_or(|n| alike_at(o, n, Some(k)))
            }) && old
                .iter()
                .skip(new.len())
                .all(|(k, o)| new.get(k).is_none_or(|n| alike_at(o, n, Some(k))))
        }
        (Value::Array(old), Value::Array(new)) if old.len() == new.len() => {
            old.iter().zip(new).all(|(o, n)| alike_at(o, n, None))
                || (key.is_some_and(|k| UNORDERED_KEYS.contains(&k)) && same_set(old, new))
        }
        (old, new) => old == new,
    }
}

/// Whether two arrays hold alike elements, in any order.
fn same_set(old: &[Value], new: &[Value]) -> bool {
    let mut taken = vec![false; new.len()];
    old.iter().all(|o| {
        let found = (0..new.len()).find(|&i| !taken[i] && alike_at(o, &new[i], None));
        found.map(|i| taken[i] = true).is_some()
    })
}

/// Whether two times have one format: strings with digits in the same places and the same
/// other characters, integers with as many digits.
fn same_shape(recorded: &Value, replayed: &Value) -> bool {
    match (recorded, replayed) {
        // As `check::diff`'s shapes: an offset's sign is a value, not a format.
        (Value::String(old), Value::String(new)) => {
            old.len() == new.len()
                && old.bytes().zip(new.bytes()).all(|(o, n)| {
                    o == n
                        || (o.is_ascii_digit() && n.is_ascii_digit())
                        || (matches!(o, b'+' | b'-') && matches!(n, b'+' | b'-'))
                })
        }
        (Value::Number(old), Value::Number(new)) => {
            let digits = |n: &serde_json::Number| n.to_string().trim_start_matches('-').len();
            old.is_f64() == new.is_f64() && digits(old) == digits(new)
        }
        (old, new) => old == new,
    }
}

fn time_patterns() -> Vec<&'static str> {
    static PATTERNS: LazyLock<Vec<String>> = LazyLock::new(|| anywhere(TIME_KEYS));
    PATTERNS.iter().map(String::as_str).collect()
}

/// Masks reducing times to their shape (their values differ in every run; their format and
/// unit must not) and sorting capabilities and participants: what a notification is compared
/// under once its ids are remapped.
pub fn time_masks() -> &'static Masks {
    static MASKS: LazyLock<Masks> = LazyLock::new(|| {
        Masks::new(&[], &[], crate::check::diff::DEFAULT_UNORDERED).with_shaped(&time_patterns())
    });
    &MASKS
}

/// Where a learned pair came from: only responses teach referenceIds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// An HTTP response.
    Response,
    /// A notification.
    Notification,
}

/// `scheme://authority` of a URI, and the rest; no origin for a path.
fn split_origin(text: &str) -> (&str, &str) {
    match text.find("://") {
        Some(scheme_end) => {
            let rest = &text[scheme_end + 3..];
            let end = rest
                .find(['/', '?', '#'])
                .map_or(text.len(), |at| scheme_end + 3 + at);
            text.split_at(end)
        }
        None => ("", text),
    }
}

/// A bijection being learned between recorded and replayed values.
#[derive(Debug, Default)]
struct Bijection<K> {
    forward: HashMap<K, K>,
    backward: HashMap<K, K>,
}

impl<K: Eq + Hash> Bijection<K> {
    /// Adds `old → new`; `false` when it contradicts a pair already known. Most pairs are
    /// learned again and again (every notification repeats its chat's ids): they are looked up
    /// borrowed, and copied only when new.
    fn insert<Q>(&mut self, old: &Q, new: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ToOwned<Owned = K> + Eq + Hash + ?Sized,
    {
        match (self.forward.get(old), self.backward.get(new)) {
            (Some(known), _) => known.borrow() == new,
            (None, Some(_)) => false,
            (None, None) => {
                self.forward.insert(old.to_owned(), new.to_owned());
                self.backward.insert(new.to_owned(), old.to_owned());
                true
            }
        }
    }
}

/// The mappings learned so far for one replayed group.
#[derive(Debug, Default)]
pub struct Remap {
    ids: Bijection<String>,
    references: Bijection<u64>,
    indexes: MessageIndexes,
    origins: Bijection<String>,
    conflicts: usize,
}

impl Remap {
    /// The recorded id that became `new`, if learned.
    pub fn recorded_id(&self, new: &str) -> Option<&str> {
        self.ids.backward.get(new).map(String::as_str)
    }

    /// Declares that recorded value `old` is `new` in the replay (a user name mapped with
    /// `--user`), as if it had been learned first.
    pub fn seed(&mut self, old: &str, new: &str) {
        let learned = self.ids.insert(old, new);
        self.count(learned);
    }

    /// How many learned pairs contradicted earlier ones (and were ignored).
    pub fn conflicts(&self) -> usize {
        self.conflicts
    }

    /// Learns every id pair found at the same place in `recorded` and `replayed`.
    ///
    /// Objects are walked key by key; arrays of equal length element by element; arrays of
    /// different lengths pair elements that look alike with ids masked (a participant list
    /// with one more member still pairs the others correctly).
    pub fn learn(&mut self, recorded: &Value, replayed: &Value, origin: Origin) {
        pairs(recorded, replayed, origin, &mut |pair| self.take(pair));
    }

    /// Learns one pair [`pairs`] found.
    pub(super) fn take(&mut self, pair: Pair<'_>) {
        match pair {
            Pair::Text(old, new) => self.learn_text(old, new),
            Pair::Reference(old, new) => {
                let learned = self.references.insert(&old, &new);
                self.count(learned);
            }
            Pair::Index(chat, old, new) => {
                let learned = self.indexes.learn(chat, old, new);
                self.count(learned);
            }
        }
    }

    fn count(&mut self, learned: bool) {
        if !learned {
            self.conflicts += 1;
        }
    }

    /// An id, or a URI or path whose last segment is one (and whose origin maps too).
    fn learn_text(&mut self, old: &str, new: &str) {
        let (old_origin, old_rest) = split_origin(old);
        let (new_origin, new_rest) = split_origin(new);
        if !old_origin.is_empty() && !new_origin.is_empty() {
            let learned = self.origins.insert(old_origin, new_origin);
            self.count(learned);
        }
        let tails = if old_rest.contains('/') || new_rest.contains('/') {
            last_segment(old_rest).zip(last_segment(new_rest))
        } else {
            Some((old_rest, new_rest)).filter(|(o, n)| !o.is_empty() && !n.is_empty())
        };
        if let Some((old, new)) = tails {
            let learned = self.ids.insert(old, new);
            self.count(learned);
        }
    }
}

/// An id pair found at the same place in a recorded document and its replayed counterpart.
#[derive(Debug, Clone, Copy)]
pub(super) enum Pair<'a> {
    /// A string under an id key: an id, or a URI or path naming one.
    Text(&'a str, &'a str),
    /// A referenceId (from a response).
    Reference(u64, u64),
    /// A message index of the recorded chat (if the document names one).
    Index(Option<&'a str>, u64, u64),
}

/// Hands `found` every id pair at the same place in `recorded` and `replayed` (see
/// [`Remap::learn`]), in document order. One walk serves every map that learns from a
/// document ([`super::scopes::PartyRemaps`]: the party's and everyone's).
pub(super) fn pairs<'a>(
    recorded: &'a Value,
    replayed: &'a Value,
    origin: Origin,
    found: &mut impl FnMut(Pair<'_>),
) {
    let chat = chat_key(recorded);
    let at = Walk {
        key: None,
        origin,
        chat: chat.as_deref(),
    };
    walk(recorded, replayed, at, found);
}

fn walk(recorded: &Value, replayed: &Value, at: Walk<'_>, found: &mut impl FnMut(Pair<'_>)) {
    let key = at.key;
    match (recorded, replayed) {
        (Value::Object(old), Value::Object(new)) => {
            for (k, old_value, new_value) in counterparts(old, new) {
                if let Some(new_value) = new_value {
                    walk(old_value, new_value, Walk { key: Some(k), ..at }, found);
                }
            }
        }
        (Value::Array(old), Value::Array(new)) if old.len() == new.len() => {
            for (o, n) in old.iter().zip(new) {
                walk(o, n, at, found);
            }
        }
        (Value::Array(old), Value::Array(new)) => {
            let mut taken = vec![false; new.len()];
            for o in old {
                let found_at = (0..new.len()).find(|&i| !taken[i] && alike(o, &new[i]));
                if let Some(i) = found_at {
                    taken[i] = true;
                    walk(o, &new[i], at, found);
                }
            }
        }
        // A value the recording redacted stands for no id in particular.
        (Value::String(old), Value::String(new))
            if key.is_some_and(is_id_key) && old != REDACTED =>
        {
            found(Pair::Text(old, new));
        }
        (Value::Number(old), Value::Number(new))
            if key == Some("referenceId") && at.origin == Origin::Response =>
        {
            if let (Some(old), Some(new)) = (old.as_u64(), new.as_u64()) {
                found(Pair::Reference(old, new));
            }
        }
        (Value::Number(old), Value::Number(new)) if key == Some(INDEX_KEY) => {
            if let (Some(old), Some(new)) = (old.as_u64(), new.as_u64()) {
                found(Pair::Index(at.chat, old, new));
            }
        }
        _ => {}
    }
}

/// Each key of `old` with its value and `new`'s value under the same key. Two documents of
/// one kind list their keys in the same order (one server's serialiser): they are paired in
/// step, and a key is looked up (hashed) only where the orders part.
fn counterparts<'a>(
    old: &'a Map<String, Value>,
    new: &'a Map<String, Value>,
) -> impl Iterator<Item = (&'a String, &'a Value, Option<&'a Value>)> {
    let mut in_step = new.iter();
    old.iter().map(move |(k, o)| {
        let n = match in_step.next() {
            Some((nk, n)) if nk == k => Some(n),
            _ => new.get(k),
        };
        (k, o, n)
    })
}

/// Where a walk of two documents is: the key above, where the documents came from, and the
/// recorded chat they are about (message indexes are per chat).
#[derive(Debug, Clone, Copy)]
struct Walk<'a> {
    key: Option<&'a str>,
    origin: Origin,
    chat: Option<&'a str>,
}

/// The key of a message's index ([`super::indexes`]).
const INDEX_KEY: &str = "index";

/// What a substitution needs to know: the replayed value of a recorded id, origin,
/// referenceId and message index. [`Remap`] answers from what it learned; a party's view
/// ([`super::scopes::PartyIds`]) answers from what that party saw first, then from what anyone
/// saw. Substituting and agreeing are the same for both.
pub trait Lookup {
    /// The replayed value of recorded id `old`, if learned.
    fn id(&self, old: &str) -> Option<&str>;

    /// The replayed origin (`scheme://authority`) of recorded origin `old`, if learned.
    fn origin(&self, old: &str) -> Option<&str>;

    /// The replayed referenceId of recorded `old`, if learned.
    fn reference(&self, old: u64) -> Option<u64>;

    /// The replayed index of recorded message index `old` of recorded chat `chat`
    /// ([`MessageIndexes::get`]).
    fn index(&self, chat: Option<&str>, old: u64) -> Option<u64>;

    /// `text` with every `/`, `?`, `&`, `=`, `;` or `#`-separated token that is a learned id
    /// replaced, and its origin replaced by the learned one, else by `fallback` (`recorded
    /// origin → replayed origin`) when it is that origin.
    fn text(&self, text: &str, fallback: Option<(&str, &str)>) -> String {
        let mut out = String::with_capacity(text.len());
        self.pieces(text, fallback, &mut |piece| {
            out.push_str(piece);
            true
        });
        out
    }

    /// Whether [`Lookup::text`] of `text` (without fallback) is `expected`, found without
    /// writing it: every id of every notification received is compared so.
    fn text_is(&self, text: &str, expected: &str) -> bool {
        let mut rest = expected;
        let mut prefix = |piece: &str| match rest.strip_prefix(piece) {
            Some(after) => {
                rest = after;
                true
            }
            None => false,
        };
        self.pieces(text, None, &mut prefix) && rest.is_empty()
    }

    /// Hands `out` the pieces of [`Lookup::text`] of `text` in order, until it returns
    /// `false`; returns whether it never did.
    fn pieces(
        &self,
        text: &str,
        fallback: Option<(&str, &str)>,
        out: &mut dyn FnMut(&str) -> bool,
    ) -> bool {
        let (origin, rest) = split_origin(text);
        let origin = match self.origin(origin) {
            Some(new) => new,
            None => match fallback {
                Some((old, new)) if !origin.is_empty() && origin == old => new,
                _ => origin,
            },
        };
        if !out(origin) {
            return false;
        }
        let mut token_start = 0;
        // The value of a query's `index=` is a message index, not an id.
        let mut after_index = false;
        for (at, c) in rest.char_indices().chain([(rest.len(), '/')]) {
            if matches!(c, '/' | '?' | '&' | '=' | ';' | '#') {
                let token = &rest[token_start..at];
                let index = token
                    .parse()
                    .ok()
                    .filter(|_| after_index)
                    .and_then(|old| self.index(None, old));
                let written = match index {
                    Some(new) => out(&new.to_string()),
                    None => out(self.id(token).unwrap_or(token)),
                };
                let separator = at < rest.len();
                if !written || separator && !out(&rest[at..at + c.len_utf8()]) {
                    return false;
                }
                after_index = token == INDEX_KEY && c == '=';
                token_start = at + c.len_utf8();
            }
        }
        true
    }

    /// A copy of `value` with the learned ids substituted in the strings under id keys (see
    /// [`Lookup::text`]) and referenceIds mapped: a recorded request body made fit for the
    /// target, or a recorded notification turned into what the replay should receive.
    fn value(&self, value: &Value, fallback: Option<(&str, &str)>) -> Value {
        let chat = chat_key(value);
        substitute(self, value, (None, chat.as_deref()), fallback)
    }

    /// Whether every id of `recorded`, mapped, is the id at the same place in `replayed`: a
    /// cheap check for documents already known to be alike apart from ids and times (it looks
    /// at nothing else).
    fn agrees(&self, recorded: &Value, replayed: &Value) -> bool {
        let chat = chat_key(recorded);
        agree(self, recorded, replayed, (None, chat.as_deref()))
    }

    /// How many ids of `recorded`, mapped, are the id at the same place in `replayed`: which
    /// of several recorded documents a received one is about, when its own chat id is not
    /// known yet (its participants' ids may be).
    fn agreeing(&self, recorded: &Value, replayed: &Value) -> usize {
        agreeing(self, recorded, replayed, None)
    }
}

fn agreeing<L: Lookup + ?Sized>(
    lookup: &L,
    recorded: &Value,
    replayed: &Value,
    key: Option<&str>,
) -> usize {
    match (recorded, replayed) {
        (Value::Object(old), Value::Object(new)) => counterparts(old, new)
            .filter_map(|(k, o, n)| Some(agreeing(lookup, o, n?, Some(k))))
            .sum(),
        (Value::Array(old), Value::Array(new)) => old
            .iter()
            .map(|o| {
                new.iter()
                    .map(|n| agreeing(lookup, o, n, key))
                    .max()
                    .unwrap_or(0)
            })
            .sum(),
        (Value::String(old), Value::String(new)) if key.is_some_and(is_id_key) => {
            usize::from(lookup.id(old).is_some() && lookup.text_is(old, new))
        }
        _ => 0,
    }
}

impl Lookup for Remap {
    fn id(&self, old: &str) -> Option<&str> {
        self.ids.forward.get(old).map(String::as_str)
    }

    fn origin(&self, old: &str) -> Option<&str> {
        self.origins.forward.get(old).map(String::as_str)
    }

    fn reference(&self, old: u64) -> Option<u64> {
        self.references.forward.get(&old).copied()
    }

    fn index(&self, chat: Option<&str>, old: u64) -> Option<u64> {
        self.indexes.get(chat, old)
    }
}

/// A key, and the recorded chat of the document it is in.
type At<'a> = (Option<&'a str>, Option<&'a str>);

fn substitute<L: Lookup + ?Sized>(
    lookup: &L,
    value: &Value,
    (key, chat): At<'_>,
    fallback: Option<(&str, &str)>,
) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(lookup, v, (Some(k), chat), fallback)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| substitute(lookup, item, (key, chat), fallback))
                .collect(),
        ),
        Value::String(text) if key.is_some_and(is_id_key) => {
            Value::String(lookup.text(text, fallback))
        }
        Value::Number(n) if key == Some("referenceId") => n
            .as_u64()
            .and_then(|old| lookup.reference(old))
            .map_or_else(|| value.clone(), Value::from),
        Value::Number(n) if key == Some(INDEX_KEY) => n
            .as_u64()
            .and_then(|old| lookup.index(chat, old))
            .map_or_else(|| value.clone(), Value::from),
        other => other.clone(),
    }
}

fn agree<L: Lookup + ?Sized>(
    lookup: &L,
    recorded: &Value,
    replayed: &Value,
    (key, chat): At<'_>,
) -> bool {
    let mapped_number =
        |old: &serde_json::Number, new: &serde_json::Number, mapped: Option<u64>| {
            mapped.map_or(old == new, |mapped| new.as_u64() == Some(mapped))
        };
    match (recorded, replayed) {
        (Value::Object(old), Value::Object(new)) => {
            old.len() == new.len()
                && counterparts(old, new)
                    .all(|(k, o, n)| n.is_some_and(|n| agree(lookup, o, n, (Some(k), chat))))
        }
        (Value::Array(old), Value::Array(new)) => {
            old.len() == new.len()
                && old
                    .iter()
                    .zip(new)
                    .all(|(o, n)| agree(lookup, o, n, (key, chat)))
        }
        (Value::String(old), Value::String(new)) if key.is_some_and(is_id_key) => {
            lookup.text_is(old, new)
        }
        (Value::Number(old), Value::Number(new)) if key == Some("referenceId") => {
            mapped_number(old, new, old.as_u64().and_then(|o| lookup.reference(o)))
        }
        (Value::Number(old), Value::Number(new)) if key == Some(INDEX_KEY) => {
            mapped_number(old, new, old.as_u64().and_then(|o| lookup.index(chat, o)))
        }
        _ => true,
    }
}

/// Every id a document carries under id keys: whole ids and the last segments of URIs and
/// paths (referenceIds are left out: requests never carry them). Used to find where a recorded
/// value first appeared, so a request that uses it can wait for it.
pub fn ids_in(value: &Value, out: &mut Vec<String>) {
    fn walk(value: &Value, key: Option<&str>, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| walk(v, Some(k), out)),
            Value::Array(items) => items.iter().for_each(|item| walk(item, key, out)),
            Value::String(text) if key.is_some_and(is_id_key) => {
                let (_, rest) = split_origin(text);
                let id = if rest.contains('/') {
                    last_segment(rest)
                } else {
                    Some(rest).filter(|r| !r.is_empty())
                };
                out.extend(id.map(str::to_owned));
            }
            _ => {}
        }
    }
    walk(value, None, out);
}

/// The tokens of a URL path and query (the candidates [`Remap::text`] may substitute).
pub fn tokens(text: &str) -> impl Iterator<Item = &str> {
    split_origin(text)
        .1
        .split(['/', '?', '&', '=', ';', '#'])
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(id: &str, origin: &str) -> Value {
        json!({"statusCode": 0, "user": {"id": id, "userName": "agent1",
               "uri": format!("{origin}/api/v2/users/{id}"), "path": format!("/users/{id}")}})
    }

    #[test]
    fn ids_uris_and_origins_are_learned_from_parallel_documents() {
        let mut remap = Remap::default();
        remap.learn(
            &user("U1", "http://old:1"),
            &user("V9", "http://new:2"),
            Origin::Response,
        );
        assert_eq!(remap.id("U1"), Some("V9"));
        assert_eq!(remap.recorded_id("V9"), Some("U1"));
        assert_eq!(remap.id("agent1"), None, "userName is not an id");
        assert_eq!(remap.conflicts(), 0);
        assert_eq!(
            remap.text("/api/v2/users/U1/channels/chat", None),
            "/api/v2/users/V9/channels/chat"
        );
        assert_eq!(
            remap.text("http://old:1/api/v2/users/U1", None),
            "http://new:2/api/v2/users/V9"
        );
        let body = json!({"operationName": "Invite", "targetUri": "http://old:1/api/v2/users/U1",
                          "text": "U1 stays: not under an id key", "targetPath": "/users/U1"});
        assert_eq!(
            remap.value(&body, None),
            json!({"operationName": "Invite", "targetUri": "http://new:2/api/v2/users/V9",
                   "text": "U1 stays: not under an id key", "targetPath": "/users/V9"})
        );
    }

    #[test]
    fn text_is_says_whether_the_substituted_text_is_the_one_given() {
        let mut remap = Remap::default();
        remap.learn(
            &json!({"uri": "http://old:1/api/v2/chats/C1", "index": 2, "chatId": "C1"}),
            &json!({"uri": "http://new:2/api/v2/chats/X9", "index": 7, "chatId": "X9"}),
            Origin::Response,
        );
        for text in [
            "http://old:1/api/v2/chats/C1",
            "/api/v2/chats/C1/messages?index=2&x=C1#C1",
            "C1",
            "",
            "http://other/api/v2/chats/C2/",
        ] {
            let substituted = remap.text(text, None);
            assert!(remap.text_is(text, &substituted), "{text}");
            assert!(!remap.text_is(text, &format!("{substituted}/")), "{text}");
            assert!(
                !remap.text_is(text, &substituted[..substituted.len().saturating_sub(1)])
                    || substituted.is_empty()
            );
        }
        assert!(remap.text_is("/chats/C1", "/chats/X9"));
        assert!(!remap.text_is("/chats/C1", "/chats/C1"));
    }

    #[test]
    fn alike_ignores_ids_and_the_digits_of_times() {
        let a = json!({"chat": {"id": "A", "uri": "http://h/api/v2/chats/A", "state": "Chatting",
            "receivedDate": "2026-01-02 03:04:05.678+0000", "capabilities": ["Leave", "Complete"],
            "participants": [{"nickname": "Ann", "participantId": "P1"}, {"nickname": "Bob", "participantId": "P2"}]},
            "messages": [{"index": 1, "timestampSeconds": 1767323045678_u64}]});
        let mut b = json!({"chat": {"id": "X", "uri": "http://t/api/v2/chats/X", "state": "Chatting",
            "receivedDate": "2027-11-12 13:14:15.999+0000", "capabilities": ["Complete", "Leave"],
            "participants": [{"nickname": "Bob", "participantId": "Q2"}, {"nickname": "Ann", "participantId": "Q1"}]},
            "messages": [{"index": 1, "timestampSeconds": 1767323099999_u64}]});
        assert!(alike(&a, &b));
        b["messages"][0]["timestampSeconds"] = json!(1767323045);
        assert!(!alike(&a, &b), "seconds instead of milliseconds");
        b["messages"][0]["timestampSeconds"] = json!(1767323045678_u64);
        b["chat"]["receivedDate"] = json!("2026-01-02T03:04:05Z");
        assert!(!alike(&a, &b), "another format");
        b["chat"]["receivedDate"] = json!("2026-01-02 03:04:05.678+0000");
        b["messages"][0]["index"] = json!(2);
        assert!(
            alike(&a, &b),
            "an index is the server's numbering: learned like an id"
        );
        b["messages"][0]["index"] = json!(1);
        b["messages"] = json!([{"timestampSeconds": 1767323045678_u64, "index": 1}]);
        assert!(alike(&a, &b), "key order does not matter");
        b["messages"] = json!([{"index": 1, "timestampMillis": 1767323045678_u64}]);
        assert!(
            alike(&a, &b),
            "keys on one side only are for `meaning` to weigh"
        );
        b["messages"] = json!([{"index": 1, "timestampSeconds": 1767323045678_u64}]);
        b["chat"]["participants"][1]["nickname"] = json!("Sue");
        assert!(!alike(&a, &b));
    }

    #[test]
    fn message_indexes_are_learned_and_a_transcript_read_asks_for_the_same_messages() {
        let mut remap = Remap::default();
        let transcript = |indexes: &[u64]| {
            let messages: Vec<Value> = indexes.iter().map(|i| json!({"index": i})).collect();
            json!({"statusCode": 0, "messages": messages})
        };
        remap.learn(
            &transcript(&[1, 2]),
            &transcript(&[1000, 1001]),
            Origin::Response,
        );
        assert_eq!(
            remap.text("/api/v2/chats/C/messages?index=2", None),
            "/api/v2/chats/C/messages?index=1001"
        );
        assert_eq!(
            remap.text("/api/v2/chats/C/messages?index=3", None),
            "/api/v2/chats/C/messages?index=1002",
            "the messages after the last one learned"
        );
        assert_eq!(
            remap.text("/api/v2/chats/2/messages", None),
            "/api/v2/chats/2/messages",
            "a number elsewhere is no index"
        );
        assert_eq!(remap.value(&transcript(&[2]), None), transcript(&[1001]));
        assert!(remap.agrees(&transcript(&[1, 2]), &transcript(&[1000, 1001])));
        assert!(!remap.agrees(&transcript(&[1, 2]), &transcript(&[1000, 1002])));
    }

    #[test]
    fn agreement_looks_at_ids_only() {
        let mut remap = Remap::default();
        remap.learn(
            &json!({"id": "A"}),
            &json!({"id": "X"}),
            Origin::Notification,
        );
        remap.learn(
            &json!({"referenceId": 1}),
            &json!({"referenceId": 9}),
            Origin::Response,
        );
        let recorded = json!({"chat": {"id": "A", "state": "Chatting"}, "referenceId": 1});
        let replayed = |id: &str, state: &str, reference: u64| json!({"chat": {"id": id, "state": state}, "referenceId": reference});
        assert!(remap.agrees(&recorded, &replayed("X", "Chatting", 9)));
        assert!(!remap.agrees(&recorded, &replayed("Y", "Chatting", 9)));
        assert!(!remap.agrees(&recorded, &replayed("X", "Chatting", 1)));
        assert!(!remap.agrees(&recorded, &json!({"chat": {"id": "X"}, "referenceId": 9})));
        assert!(
            remap.agrees(&recorded, &replayed("X", "Other", 9)),
            "not an id: not looked at"
        );
    }

    #[test]
    fn reference_ids_come_from_responses_only() {
        let mut remap = Remap::default();
        remap.learn(
            &json!({"referenceId": 4}),
            &json!({"referenceId": 1_000_004}),
            Origin::Notification,
        );
        assert_eq!(
            remap.value(&json!({"referenceId": 4}), None),
            json!({"referenceId": 4})
        );
        remap.learn(
            &json!({"referenceId": 4}),
            &json!({"referenceId": 1}),
            Origin::Response,
        );
        assert_eq!(
            remap.value(&json!({"referenceId": 4}), None),
            json!({"referenceId": 1})
        );
    }

    #[test]
    fn the_first_pair_wins_and_contradictions_are_counted() {
        let mut remap = Remap::default();
        remap.learn(
            &json!({"chat": {"id": "A"}}),
            &json!({"chat": {"id": "X"}}),
            Origin::Notification,
        );
        remap.learn(
            &json!({"chat": {"id": "A"}}),
            &json!({"chat": {"id": "Y"}}),
            Origin::Notification,
        );
        remap.learn(
            &json!({"chat": {"id": "B"}}),
            &json!({"chat": {"id": "X"}}),
            Origin::Notification,
        );
        remap.learn(
            &json!({"chat": {"id": "A"}}),
            &json!({"chat": {"id": "X"}}),
            Origin::Notification,
        );
        assert_eq!(remap.id("A"), Some("X"));
        assert_eq!(remap.id("B"), None);
        assert_eq!(remap.conflicts(), 2);
    }

    #[test]
    fn redacted_values_pair_with_nothing() {
        let mut remap = Remap::default();
        remap.learn(
            &json!({"sessionId": REDACTED, "chat": {"id": "A"}}),
            &json!({"sessionId": "s1", "chat": {"id": "X"}}),
            Origin::Response,
        );
        assert_eq!(remap.id(REDACTED), None);
        assert_eq!(remap.id("A"), Some("X"));
        assert_eq!(
            remap.text("/p?session_id=[redacted]", None),
            "/p?session_id=[redacted]"
        );
    }

    #[test]
    fn arrays_of_different_lengths_pair_look_alikes() {
        let recorded = json!({"participants": [
            {"nickname": "Ann", "type": "Agent", "participantId": "P1"},
            {"nickname": "Chris", "type": "Customer", "participantId": "P2"}]});
        let replayed = json!({"participants": [
            {"nickname": "Ann", "type": "Agent", "participantId": "Q1"},
            {"nickname": "Sue", "type": "Agent", "participantId": "Q3"},
            {"nickname": "Chris", "type": "Customer", "participantId": "Q2"}]});
        let mut remap = Remap::default();
        remap.learn(&recorded, &replayed, Origin::Notification);
        assert_eq!(remap.id("P1"), Some("Q1"));
        assert_eq!(remap.id("P2"), Some("Q2"));
        assert_eq!(remap.recorded_id("Q3"), None);
    }

    #[test]
    fn unknown_tokens_and_origins_stay_and_the_fallback_origin_applies() {
        let remap = Remap::default();
        assert_eq!(
            remap.text("/api/v2/chats/C1/messages?index=2", None),
            "/api/v2/chats/C1/messages?index=2"
        );
        assert_eq!(
            remap.text(
                "http://rec:1/api/v2/users/U",
                Some(("http://rec:1", "http://t:9"))
            ),
            "http://t:9/api/v2/users/U"
        );
        assert_eq!(
            remap.text("http://other/x", Some(("http://rec:1", "http://t:9"))),
            "http://other/x"
        );
        assert_eq!(remap.text("", None), "");
        let mut seeded = Remap::default();
        seeded.seed("jdoe", "agent1");
        assert_eq!(
            seeded.text("/api/v2/users?userName=jdoe", None),
            "/api/v2/users?userName=agent1"
        );
        assert_eq!(remap.text("ü/ß?é=ø", None), "ü/ß?é=ø");
    }

    #[test]
    fn ids_in_documents_and_tokens_of_paths() {
        let mut ids = Vec::new();
        ids_in(
            &json!({"chat": {"id": "C", "uri": "http://h/api/v2/chats/C2", "participants": [
                {"participantId": "P", "nickname": "N"}]}, "referenceId": 7, "chatPath": "/chats/C3"}),
            &mut ids,
        );
        assert_eq!(ids, ["C", "C2", "P", "C3"]);
        let found: Vec<&str> = tokens("/api/v2/chats/C1/messages?index=2").collect();
        assert_eq!(
            found,
            ["api", "v2", "chats", "C1", "messages", "index", "2"]
        );
    }

    #[test]
    fn id_keys() {
        for key in [
            "id",
            "chatId",
            "participantId",
            "uri",
            "chatUri",
            "path",
            "targetPath",
            "url",
        ] {
            assert!(is_id_key(key), "{key}");
        }
        for key in ["Id", "nickname", "text", "valid", "userName", "visibility"] {
            assert!(!is_id_key(key), "{key}");
        }
    }
}
