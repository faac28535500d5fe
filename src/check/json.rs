//! Small JSON helpers shared by the checks: canonical (sorted-key) rendering, JSON type
//! names, and the chat id a notification refers to. None of them panics on any input.

use serde_json::{Map, Value};

/// A copy of `value` whose objects have their keys sorted, recursively. The crate enables
/// serde_json's `preserve_order`, so key order would otherwise follow the wire; canonical
/// forms must not depend on it.
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::with_capacity(map.len());
            for key in keys {
                if let Some(inner) = map.get(key) {
                    out.insert(key.clone(), sorted(inner));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The canonical one-line text of `value`: sorted keys, no whitespace. Two values are equal
/// as JSON exactly when their canonical texts are equal.
pub fn canonical(value: &Value) -> String {
    sorted(value).to_string()
}

/// The canonical pretty text of `value` (sorted keys, two-space indent), for diffs.
pub fn canonical_pretty(value: &Value) -> String {
    // Serialising a `Value` cannot fail (its keys are strings).
    serde_json::to_string_pretty(&sorted(value)).unwrap_or_default()
}

/// The JSON type name of `value`, as JSON Schema spells it (`integer` for whole numbers).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The last path segment of a URI or path (`http://h/api/v2/chats/X` → `X`, `/chats/X` → `X`),
/// ignoring a query or fragment and a trailing slash. `None` when nothing is left.
pub fn last_segment(text: &str) -> Option<&str> {
    let text = text.split(['?', '#']).next().unwrap_or(text);
    let segment = text.trim_end_matches('/').rsplit('/').next()?;
    (!segment.is_empty()).then_some(segment)
}

/// The id of the chat a notification is about: `chat.id` (or the last segment of `chat.uri`)
/// for a ChatStateChangeMessage, the last segment of `chatUri` (or `chatPath`) for a
/// MessageLogUpdated. `None` when the notification names no chat in a usable form.
pub fn chat_key(data: &Value) -> Option<String> {
    if let Some(chat) = data.get("chat") {
        if let Some(id) = chat
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            return Some(id.to_owned());
        }
        return chat
            .get("uri")
            .and_then(Value::as_str)
            .and_then(last_segment)
            .map(str::to_owned);
    }
    ["chatUri", "chatPath"]
        .iter()
        .filter_map(|key| data.get(*key).and_then(Value::as_str))
        .find_map(last_segment)
        .map(str::to_owned)
}

/// A JSON Pointer as shown in findings: `/` for the root, the pointer otherwise.
pub fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_text_ignores_key_order() {
        let a = json!({"b": 1, "a": {"y": [1, {"d": 0, "c": 1}], "x": null}});
        let b = json!({"a": {"x": null, "y": [1, {"c": 1, "d": 0}]}, "b": 1});
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(
            canonical(&a),
            r#"{"a":{"x":null,"y":[1,{"c":1,"d":0}]},"b":1}"#
        );
    }

    #[test]
    fn type_names_follow_json_schema() {
        assert_eq!(type_name(&json!(1)), "integer");
        assert_eq!(type_name(&json!(1.5)), "number");
        assert_eq!(type_name(&json!("x")), "string");
        assert_eq!(type_name(&json!(null)), "null");
    }

    #[test]
    fn chat_key_reads_ids_uris_and_paths() {
        assert_eq!(
            chat_key(&json!({"chat": {"id": "C1"}})).as_deref(),
            Some("C1")
        );
        assert_eq!(
            chat_key(&json!({"chat": {"uri": "http://h/api/v2/chats/C2"}})).as_deref(),
            Some("C2")
        );
        assert_eq!(
            chat_key(&json!({"chatUri": "http://h/api/v2/chats/C3/"})).as_deref(),
            Some("C3")
        );
        assert_eq!(
            chat_key(&json!({"chatPath": "/chats/C4"})).as_deref(),
            Some("C4")
        );
        assert_eq!(chat_key(&json!({"chatUri": 5})), None);
        assert_eq!(chat_key(&json!({"chat": {"id": ""}})), None);
        assert_eq!(chat_key(&json!([])), None);
    }
}
