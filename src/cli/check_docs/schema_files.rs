//! The conventions every schema file follows (`schemas/README.md`): `$schema` is draft 2020-12,
//! `$id` is `https://gws-conform.dev/schemas/<file name>`, and a non-empty `title` and
//! `description` say what the file covers and which page or ruling it comes from.
//!
//! Loading the set ([`crate::check::schema::SchemaSet`]) already refuses a file that is not
//! JSON, one the 2020-12 metaschema rejects, and a `$ref` that resolves to nothing; these are the
//! conventions it does not need in order to validate, and so does not enforce.

use serde_json::Value;

use crate::check::schema::DEFAULT_BASE_URI;

/// The only `$schema` a file may declare.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// The problems of every schema file (file name, text), each naming its file, and how many
/// files were checked. `Err` when a file is not JSON.
pub fn problems(files: &[(String, String)]) -> Result<(usize, Vec<String>), String> {
    let mut found = Vec::new();
    for (name, text) in files {
        let schema: Value = serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        found.extend(file_problems(name, &schema));
    }
    Ok((files.len(), found))
}

/// What `schema` (the file `name`) breaks of the conventions.
fn file_problems(name: &str, schema: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let field = |key: &str| schema.get(key).and_then(Value::as_str);
    if field("$schema") != Some(DRAFT_2020_12) {
        found.push(format!("{name}: $schema is not {DRAFT_2020_12}"));
    }
    let id = format!("{DEFAULT_BASE_URI}{name}");
    if field("$id") != Some(id.as_str()) {
        found.push(format!("{name}: $id is not {id}"));
    }
    for key in ["title", "description"] {
        if field(key).is_none_or(|text| text.trim().is_empty()) {
            found.push(format!("{name}: no {key}"));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({
            "$schema": DRAFT_2020_12,
            "$id": "https://gws-conform.dev/schemas/chat.schema.json",
            "title": "Chat",
            "description": "The chat resource. Source: https://docs.genesys.com/…",
        })
    }

    #[test]
    fn a_file_following_the_conventions_has_no_problem() {
        assert_eq!(
            file_problems("chat.schema.json", &good()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_broken_convention_is_named_with_its_file() {
        let mut schema = good();
        schema["$schema"] = json!("http://json-schema.org/draft-07/schema#");
        schema["$id"] = json!("https://gws-conform.dev/schemas/other.schema.json");
        schema["title"] = json!(" ");
        schema.as_object_mut().unwrap().remove("description");
        assert_eq!(
            file_problems("chat.schema.json", &schema),
            [
                "chat.schema.json: $schema is not https://json-schema.org/draft/2020-12/schema",
                "chat.schema.json: $id is not https://gws-conform.dev/schemas/chat.schema.json",
                "chat.schema.json: no title",
                "chat.schema.json: no description",
            ]
        );
    }

    #[test]
    fn the_built_in_schemas_follow_the_conventions() {
        let files: Vec<(String, String)> = crate::embedded::SCHEMAS
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .collect();
        let (count, found) = problems(&files).expect("the built-in schemas are JSON");
        assert!(count > 30, "{count}");
        assert_eq!(found, Vec::<String>::new());
    }
}
