//! Dotted paths into JSON documents (`chat.participants.0.visibility`), used by matchers and
//! captures.

use std::fmt;

use serde_json::Value;

/// A parsed dotted path. A numeric segment indexes arrays and also names object keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    segments: Vec<String>,
}

impl JsonPath {
    /// Parses a dotted path; empty segments are an error.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("a path cannot be empty".into());
        }
        let segments: Vec<String> = text.split('.').map(str::to_owned).collect();
        if segments.iter().any(String::is_empty) {
            return Err(format!("path `{text}` has an empty segment"));
        }
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    /// The value at this path, if any.
    pub fn lookup<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        self.segments
            .iter()
            .try_fold(root, |value, segment| match value {
                Value::Object(map) => map.get(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn looks_up_keys_and_indexes() {
        let doc = json!({"chat": {"participants": [{"v": "All"}, {"v": "Agents"}]}});
        let path = JsonPath::parse("chat.participants.1.v").unwrap();
        assert_eq!(path.lookup(&doc), Some(&json!("Agents")));
        assert_eq!(JsonPath::parse("chat.nope").unwrap().lookup(&doc), None);
        assert_eq!(
            JsonPath::parse("chat.participants.9").unwrap().lookup(&doc),
            None
        );
        assert_eq!(
            JsonPath::parse("chat.participants.x").unwrap().lookup(&doc),
            None
        );
    }

    #[test]
    fn rejects_empty_segments() {
        assert!(JsonPath::parse("").is_err());
        assert!(JsonPath::parse("a..b").is_err());
        assert!(JsonPath::parse(".a").is_err());
    }
}
