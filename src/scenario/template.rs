//! `${variable}` templates in scenario strings and JSON values: finding the variables a
//! template uses (checked at load time) and substituting captured values (at run time).

use std::collections::HashMap;

use serde_json::Value;

/// The variables known while a scenario runs.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    values: HashMap<String, Value>,
}

/// A template used a variable that has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("variable ${{{0}}} has no value")]
pub struct Undefined(pub String);

/// Every `${name}` in a string, in order.
pub fn variables_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                found.push(after[..end].to_owned());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}

/// Every `${name}` in the strings (keys and values) of a JSON value.
pub fn variables_in_value(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => variables_in(s),
        Value::Array(items) => items.iter().flat_map(variables_in_value).collect(),
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| variables_in(k).into_iter().chain(variables_in_value(v)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a name is a valid variable name (`[A-Za-z_][A-Za-z0-9_.-]*`).
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

impl Variables {
    /// Sets a variable.
    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        self.values.insert(name.into(), value);
    }

    /// A variable's value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    /// Substitutes the variables of a string; non-string values are inserted as compact JSON.
    pub fn render(&self, text: &str) -> Result<String, Undefined> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                break;
            };
            out.push_str(&rest[..start]);
            let name = &after[..end];
            match self.values.get(name) {
                Some(Value::String(s)) => out.push_str(s),
                Some(other) => out.push_str(&other.to_string()),
                None => return Err(Undefined(name.to_owned())),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Substitutes the variables of a JSON template. A string that is exactly `${name}` takes
    /// the variable's value with its JSON type.
    pub fn render_value(&self, template: &Value) -> Result<Value, Undefined> {
        Ok(match template {
            Value::String(s) => {
                let whole = s.strip_prefix("${").and_then(|r| r.strip_suffix('}'));
                match whole.filter(|name| !name.contains("${") && !name.contains('}')) {
                    Some(name) => self
                        .values
                        .get(name)
                        .cloned()
                        .ok_or_else(|| Undefined(name.to_owned()))?,
                    None => Value::String(self.render(s)?),
                }
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.render_value(item))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((self.render(k)?, self.render_value(v)?)))
                    .collect::<Result<_, Undefined>>()?,
            ),
            other => other.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_variables() {
        assert_eq!(variables_in("a ${x} b ${y.id}"), ["x", "y.id"]);
        assert!(variables_in("no vars, $ and {}").is_empty());
        assert_eq!(
            variables_in_value(&json!({"${k}": ["${v}", 1]})),
            ["k", "v"]
        );
    }

    #[test]
    fn renders_strings_and_typed_values() {
        let mut vars = Variables::default();
        vars.set("chat", json!("ABC"));
        vars.set("ref", json!(7));
        assert_eq!(
            vars.render("/chats/${chat}?r=${ref}").unwrap(),
            "/chats/ABC?r=7"
        );
        assert_eq!(vars.render_value(&json!("${ref}")).unwrap(), json!(7));
        assert_eq!(
            vars.render_value(&json!({"id": "${chat}", "n": ["${ref}"]}))
                .unwrap(),
            json!({"id": "ABC", "n": [7]})
        );
        assert_eq!(vars.render("${nope}"), Err(Undefined("nope".into())));
    }

    #[test]
    fn validates_names() {
        assert!(is_valid_name("agent.id"));
        assert!(is_valid_name("_x1"));
        assert!(!is_valid_name("1x"));
        assert!(!is_valid_name("a b"));
        assert!(!is_valid_name(""));
    }
}
