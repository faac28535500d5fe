//! JSON Schema validation (draft 2020-12) of everything a target sends: every notification
//! against `notification.schema.json` (which dispatches on `messageType`, then
//! `notificationType`), and any other document (responses, fixtures) against a schema named
//! by file.
//!
//! A [`SchemaSet`] is compiled once from all `*.schema.json` files of a directory, or from
//! `(name, text)` pairs so a binary can embed them. Every file is registered as a resource
//! under its `$id`, so `$ref`s between files resolve in memory; nothing is ever fetched: a
//! `$ref` to a URI outside the set is a load error.
//!
//! A notification that fails its schema only because it uses a documented variant of the
//! seed page (errata E5, E6, E7: see [`super::modes`]) gets a NON-STRICT finding naming the
//! errata instead of a failure.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

use super::json::display_pointer;
use super::modes::{errata_of, notification_table_form};
use super::{Finding, Verdict};

/// The file name of the schema every notification is validated against.
pub const NOTIFICATION_SCHEMA: &str = "notification.schema.json";
/// The base URI of a schema file without an `$id` (`<base><file name>`).
pub const DEFAULT_BASE_URI: &str = "https://gws-conform.dev/schemas/";
/// The check id of schema findings.
pub const CHECK_ID: &str = "schema";
/// The requirement schema findings cite.
pub const REQUIREMENT: &str = "NOTIF-SCHEMA";
/// The longest error message kept in a finding; longer ones (which print whole instances)
/// are cut, since the instance path already says where the problem is.
const MAX_MESSAGE_CHARS: usize = 400;

/// Why a schema set could not be loaded. Each variant names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The directory could not be listed.
    #[error("cannot read the schema directory {dir}: {source}")]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A schema file could not be read.
    #[error("cannot read the schema file {file}: {source}")]
    ReadFile {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A schema file is not JSON.
    #[error("schema {file} is not valid JSON: {source}")]
    NotJson {
        /// The file name.
        file: String,
        /// The parse error, with line and column.
        source: serde_json::Error,
    },
    /// A schema declares a `$schema` other than draft 2020-12.
    #[error("schema {file} declares $schema {declared}; only draft 2020-12 is supported")]
    WrongDraft {
        /// The file name.
        file: String,
        /// The declared `$schema`.
        declared: String,
    },
    /// Two files declare the same `$id` (or the same file name was given twice).
    #[error("schema {file} has the $id {id}, already used by {other}")]
    DuplicateId {
        /// The later file.
        file: String,
        /// The shared `$id`.
        id: String,
        /// The earlier file.
        other: String,
    },
    /// The resources could not be registered together (e.g. an invalid `$id`).
    #[error("schema {file} cannot be registered: {message}")]
    Register {
        /// The file name, or `(set)` when the registry does not say which file.
        file: String,
        /// The registry's message.
        message: String,
    },
    /// A schema does not compile: it is invalid, or a `$ref` points outside the set.
    #[error("schema {file} does not compile: {message}")]
    Compile {
        /// The file name.
        file: String,
        /// The compiler's message (for an unknown `$ref`, it names the URI).
        message: String,
    },
    /// The set lacks the entry schema for notifications.
    #[error("the schema set has no {NOTIFICATION_SCHEMA}")]
    MissingEntry,
}

/// One source schema: its file name and parsed contents.
struct Source {
    name: String,
    id: String,
    contents: Value,
}

/// The compiled schemas, by file name. Cheap to share (`Send + Sync`); validating allocates
/// only for the errors it reports.
pub struct SchemaSet {
    validators: HashMap<String, Validator>,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.validators.keys().collect();
        names.sort();
        f.debug_struct("SchemaSet")
            .field("schemas", &names)
            .finish()
    }
}

impl SchemaSet {
    /// Loads every `*.schema.json` file of `dir` (not recursive).
    pub fn from_dir(dir: &Path) -> Result<Self, SchemaError> {
        let read_dir = |source| SchemaError::ReadDir {
            dir: dir.to_owned(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_dir)? {
            let path = entry.map_err(read_dir)?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".schema.json") && path.is_file() {
                let text =
                    std::fs::read_to_string(&path).map_err(|source| SchemaError::ReadFile {
                        file: path.clone(),
                        source,
                    })?;
                files.push((name.to_owned(), text));
            }
        }
        // Sorted, so errors (and duplicate-id reports) do not depend on directory order.
        files.sort();
        Self::from_sources(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// Compiles schemas given as `(file name, JSON text)` pairs, e.g. embedded with
    /// `include_str!`.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SchemaError> {
        let sources = sources
            .into_iter()
            .map(|(name, text)| parse_source(name, text))
            .collect::<Result<Vec<_>, _>>()?;
        let registry = register(&sources)?;
        let mut validators = HashMap::with_capacity(sources.len());
        for source in &sources {
            let validator = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_registry(&registry)
                .build(&source.contents)
                .map_err(|e| SchemaError::Compile {
                    file: source.name.clone(),
                    message: e.to_string(),
                })?;
            validators.insert(source.name.clone(), validator);
        }
        if !validators.contains_key(NOTIFICATION_SCHEMA) {
            return Err(SchemaError::MissingEntry);
        }
        Ok(Self { validators })
    }

    /// Whether the set has a schema of that file name.
    pub fn contains(&self, schema_name: &str) -> bool {
        self.validators.contains_key(schema_name)
    }

    /// The file names of the schemas, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.validators.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Validates `value` against the schema of file `schema_name`; each error as
    /// `"<instance path>: <message>"` (`/` for the root). Empty when valid. An unknown schema
    /// name gives one error saying so.
    pub fn validate(&self, schema_name: &str, value: &Value) -> Vec<String> {
        match self.validators.get(schema_name) {
            Some(validator) => errors(validator, value),
            None => vec![format!(
                "/: no schema named {schema_name} in the schema set"
            )],
        }
    }

    /// Validates a notification (a Bayeux message's `data`). No finding when it is valid; a
    /// NON-STRICT finding naming the errata when it is valid once its documented variants
    /// are put in the table's form; otherwise a failure listing every schema error.
    pub fn validate_notification(&self, data: &Value) -> Vec<Finding> {
        let Some(entry) = self.validators.get(NOTIFICATION_SCHEMA) else {
            return Vec::new(); // unreachable: the constructor requires the entry schema
        };
        if entry.is_valid(data) {
            return Vec::new();
        }
        let details = errors(entry, data);
        if let Some((fixed, substitutions)) = notification_table_form(data)
            && entry.is_valid(&fixed)
        {
            return vec![Finding {
                check: CHECK_ID.to_owned(),
                requirement: REQUIREMENT.to_owned(),
                verdict: Verdict::NonStrict,
                message: format!(
                    "{} uses the seed example's documented variant (erratum {}), not the table's form",
                    describe(data),
                    errata_of(&substitutions).join(", ")
                ),
                details,
            }];
        }
        vec![Finding {
            check: CHECK_ID.to_owned(),
            requirement: REQUIREMENT.to_owned(),
            verdict: Verdict::Fail,
            message: failure_message(data, &details),
            details,
        }]
    }
}

fn parse_source(name: &str, text: &str) -> Result<Source, SchemaError> {
    let contents: Value = serde_json::from_str(text).map_err(|source| SchemaError::NotJson {
        file: name.to_owned(),
        source,
    })?;
    if let Some(declared) = contents.get("$schema").and_then(Value::as_str)
        && Draft::from_schema_uri(declared) != Draft::Draft202012
    {
        return Err(SchemaError::WrongDraft {
            file: name.to_owned(),
            declared: declared.to_owned(),
        });
    }
    let id = match contents.get("$id").and_then(Value::as_str) {
        Some(id) => id.trim_end_matches('#').to_owned(),
        None => format!("{DEFAULT_BASE_URI}{name}"),
    };
    Ok(Source {
        name: name.to_owned(),
        id,
        contents,
    })
}

/// One registry holding every file under its `$id`. The registry's retriever fetches
/// nothing, so an unknown `$ref` fails (here or when compiling) instead of going to the
/// network.
fn register(sources: &[Source]) -> Result<Registry<'static>, SchemaError> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let mut builder = Registry::new().draft(Draft::Draft202012);
    for source in sources {
        if let Some(other) = seen.insert(source.id.as_str(), source.name.as_str()) {
            return Err(SchemaError::DuplicateId {
                file: source.name.clone(),
                id: source.id.clone(),
                other: other.to_owned(),
            });
        }
        let resource = Draft::Draft202012.create_resource(source.contents.clone());
        builder = builder
            .add(&source.id, resource)
            .map_err(|e| SchemaError::Register {
                file: source.name.clone(),
                message: e.to_string(),
            })?;
    }
    builder.prepare().map_err(|e| SchemaError::Register {
        file: file_named_in(&e.to_string(), sources),
        message: e.to_string(),
    })
}

/// The file whose `$id` a registry error mentions, for a useful message.
fn file_named_in(message: &str, sources: &[Source]) -> String {
    sources
        .iter()
        .find(|s| message.contains(&s.id))
        .map_or_else(|| "(set)".to_owned(), |s| s.name.clone())
}

/// Every error of `value` against `validator` as `"<instance path>: <message>"`, without
/// duplicates (a value failing the same way under two branches is reported once).
fn errors(validator: &Validator, value: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for error in validator.iter_errors(value) {
        let path = error.instance_path().to_string();
        let line = format!(
            "{}: {}",
            display_pointer(&path),
            shorten(&error.to_string())
        );
        if !out.contains(&line) {
            out.push(line);
        }
    }
    out
}

fn shorten(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let cut: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    format!("{cut}…")
}

/// `ChatStateChangeMessage/StatusChange` or what the notification says it is.
fn describe(data: &Value) -> String {
    let field = |key| data.get(key).and_then(Value::as_str);
    match (field("messageType"), field("notificationType")) {
        (Some(m), Some(n)) => format!("{m}/{n}"),
        (Some(m), None) => m.to_owned(),
        _ => "the notification".to_owned(),
    }
}

/// The finding's one line: an unknown type is named as such, since it is the most common
/// and most useful thing to say.
fn failure_message(data: &Value, details: &[String]) -> String {
    let unknown = |key: &str| {
        let pointer = format!("/{key}: ");
        details.iter().any(|d| d.starts_with(&pointer))
    };
    let shown = |key: &str| {
        data.get(key)
            .map_or("(missing)".to_owned(), Value::to_string)
    };
    if !data.is_object() {
        format!("the notification is not a JSON object but {data}")
    } else if data.get("messageType").is_none() || unknown("messageType") {
        format!("unknown messageType {}", shown("messageType"))
    } else if unknown("notificationType") {
        format!(
            "unknown notificationType {} for {}",
            shown("notificationType"),
            shown("messageType")
        )
    } else {
        format!(
            "{} does not match its schema ({} error{})",
            describe(data),
            details.len(),
            if details.len() == 1 { "" } else { "s" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENTRY: &str = r#"{
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://gws-conform.dev/schemas/notification.schema.json",
        "type": "object",
        "required": ["messageType"],
        "properties": {"messageType": {"enum": ["Ping"]}},
        "allOf": [{
            "if": {"properties": {"messageType": {"const": "Ping"}}, "required": ["messageType"]},
            "then": {"$ref": "ping.schema.json"}
        }]
    }"#;
    const PING: &str = r#"{
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://gws-conform.dev/schemas/ping.schema.json",
        "type": "object",
        "required": ["count", "items"],
        "properties": {
            "count": {"type": "integer"},
            "items": {"type": "array", "items": {"$ref": "item.schema.json#/$defs/item"}}
        }
    }"#;
    const ITEM: &str = r#"{
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://gws-conform.dev/schemas/item.schema.json",
        "$defs": {"item": {"type": "string", "minLength": 1}}
    }"#;

    fn tiny() -> SchemaSet {
        SchemaSet::from_sources([
            (NOTIFICATION_SCHEMA, ENTRY),
            ("ping.schema.json", PING),
            ("item.schema.json", ITEM),
        ])
        .expect("the tiny set compiles")
    }

    #[test]
    fn valid_instance_across_files_passes() {
        let set = tiny();
        let data = json!({"messageType": "Ping", "count": 1, "items": ["a", "b"]});
        assert_eq!(set.validate_notification(&data), Vec::<Finding>::new());
        assert!(set.validate("ping.schema.json", &data).is_empty());
    }

    #[test]
    fn invalid_instance_gives_errors_with_instance_paths() {
        let set = tiny();
        let data = json!({"messageType": "Ping", "count": "1", "items": ["a", ""]});
        let findings = set.validate_notification(&data);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.requirement, "NOTIF-SCHEMA");
        assert_eq!(finding.verdict, Verdict::Fail);
        assert!(
            finding.details.iter().any(|d| d.starts_with("/count: ")),
            "{:?}",
            finding.details
        );
        // The error from the second file's definition, reached through two `$ref`s.
        assert!(
            finding.details.iter().any(|d| d.starts_with("/items/1: ")),
            "{:?}",
            finding.details
        );
    }

    #[test]
    fn root_errors_are_shown_at_slash() {
        let errors = tiny().validate("ping.schema.json", &json!({"count": 1}));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("/: "), "{errors:?}");
        assert!(errors[0].contains("items"), "{errors:?}");
    }

    #[test]
    fn unknown_message_type_is_a_finding() {
        let findings = tiny().validate_notification(&json!({"messageType": "Pong"}));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].verdict, Verdict::Fail);
        assert_eq!(findings[0].message, "unknown messageType \"Pong\"");
        let missing = tiny().validate_notification(&json!({"count": 1}));
        assert_eq!(missing[0].message, "unknown messageType (missing)");
        let scalar = tiny().validate_notification(&json!(3));
        assert!(scalar[0].message.contains("not a JSON object"));
    }

    #[test]
    fn unknown_ref_fails_at_load_without_fetching() {
        let broken = r#"{
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://gws-conform.dev/schemas/ping.schema.json",
            "$ref": "https://example.invalid/elsewhere.schema.json"
        }"#;
        let err =
            SchemaSet::from_sources([(NOTIFICATION_SCHEMA, ENTRY), ("ping.schema.json", broken)])
                .expect_err("an unknown $ref must not load");
        let text = err.to_string();
        assert!(text.contains("example.invalid"), "{text}");
    }

    #[test]
    fn unknown_relative_ref_fails_at_load() {
        let broken = PING.replace("item.schema.json", "nowhere.schema.json");
        let err = SchemaSet::from_sources([
            (NOTIFICATION_SCHEMA, ENTRY),
            ("ping.schema.json", broken.as_str()),
            ("item.schema.json", ITEM),
        ])
        .expect_err("an unknown $ref must not load");
        assert!(err.to_string().contains("nowhere.schema.json"), "{err}");
    }

    #[test]
    fn a_schema_the_metaschema_rejects_does_not_load() {
        // Compiling validates each file against the 2020-12 metaschema, so `check-docs` and
        // `run` need no separate metaschema check.
        let invalid = r#"{
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://gws-conform.dev/schemas/odd.schema.json",
            "type": 5
        }"#;
        let err = SchemaSet::from_sources([
            (NOTIFICATION_SCHEMA, ENTRY),
            ("ping.schema.json", PING),
            ("item.schema.json", ITEM),
            ("odd.schema.json", invalid),
        ])
        .expect_err("the metaschema rejects a numeric type");
        assert!(
            matches!(&err, SchemaError::Compile { file, .. } if file == "odd.schema.json"),
            "{err}"
        );
    }

    #[test]
    fn load_errors_name_the_file() {
        let err = SchemaSet::from_sources([(NOTIFICATION_SCHEMA, ENTRY), ("bad.schema.json", "{")])
            .expect_err("not JSON");
        assert!(matches!(&err, SchemaError::NotJson { file, .. } if file == "bad.schema.json"));
        let draft7 = r#"{"$schema": "http://json-schema.org/draft-07/schema#"}"#;
        let err =
            SchemaSet::from_sources([(NOTIFICATION_SCHEMA, ENTRY), ("old.schema.json", draft7)])
                .expect_err("draft 7");
        assert!(err.to_string().contains("old.schema.json"), "{err}");
        let err =
            SchemaSet::from_sources([(NOTIFICATION_SCHEMA, ENTRY), ("again.schema.json", ENTRY)])
                .expect_err("duplicate $id");
        assert!(
            matches!(&err, SchemaError::DuplicateId { file, .. } if file == "again.schema.json")
        );
        let err = SchemaSet::from_sources([("item.schema.json", ITEM)]).expect_err("no entry");
        assert!(matches!(err, SchemaError::MissingEntry));
    }

    #[test]
    fn unknown_schema_name_is_reported() {
        let errors = tiny().validate("nope.schema.json", &json!({}));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("nope.schema.json"));
    }

    fn real() -> SchemaSet {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        SchemaSet::from_dir(&dir).expect("schemas/ loads")
    }

    fn fixture(name: &str) -> Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        let text = std::fs::read_to_string(&path).expect("fixture readable");
        serde_json::from_str(&text).expect("fixture is JSON")
    }

    /// A supervisor's join notification exactly as the reference server renders it.
    fn reference_sample() -> Value {
        json!({
            "chat": {
                "receivedDate": "2026-03-04 05:06:07.089+0000",
                "chatType": "Inbound",
                "capabilities": crate::spec::capabilities::COACH,
                "uri": "http://127.0.0.1:8080/api/v2/chats/00AB12CD34EF5678",
                "state": "Chatting",
                "participants": [
                    {"nickname": "agent1", "type": "Agent",
                     "uri": "http://127.0.0.1:8080/api/v2/users/0123456789abcdef0123456789abcdef",
                     "visibility": "All", "participantId": "00AB12CD34EF0001"},
                    {"nickname": "supervisor1", "type": "Agent",
                     "uri": "http://127.0.0.1:8080/api/v2/users/fedcba9876543210fedcba9876543210",
                     "visibility": "Agents", "participantId": "00AB12CD34EF0002"},
                    {"nickname": "Chris", "type": "Customer", "visibility": "All",
                     "participantId": "00AB12CD34EF0003"}
                ],
                "id": "00AB12CD34EF5678"
            },
            "notificationType": "ParticipantsUpdated",
            "messageType": "ChatStateChangeMessage"
        })
    }

    #[test]
    fn the_real_schemas_load_and_compile_every_file() {
        let set = real();
        let files = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas"))
            .expect("schemas/ listable")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".schema.json"))
            .count();
        assert_eq!(set.names().len(), files);
        assert!(set.contains(NOTIFICATION_SCHEMA));
    }

    #[test]
    fn a_reference_server_sample_passes_the_real_schemas() {
        let set = real();
        assert_eq!(
            set.validate_notification(&reference_sample()),
            Vec::<Finding>::new()
        );
    }

    #[test]
    fn a_wrong_sample_fails_the_real_schemas_with_paths() {
        let set = real();
        let mut wrong = reference_sample();
        wrong["chat"]["state"] = json!("Revoked");
        wrong["chat"]["participants"][0]["visibility"] = json!("Everyone");
        let findings = set.validate_notification(&wrong);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let details = &findings[0].details;
        assert_eq!(findings[0].verdict, Verdict::Fail);
        assert!(
            details
                .iter()
                .any(|d| d.starts_with("/chat/participants/0/visibility: ")),
            "{details:#?}"
        );
        assert!(
            details
                .iter()
                .any(|d| d.starts_with("/chat/participants: ")),
            "{details:#?}"
        );
        assert!(
            details
                .iter()
                .any(|d| d.starts_with("/chat/capabilities: ")),
            "{details:#?}"
        );
        let mut unknown = reference_sample();
        unknown["notificationType"] = json!("ChatGotBetter");
        let findings = set.validate_notification(&unknown);
        assert_eq!(
            findings[0].message,
            "unknown notificationType \"ChatGotBetter\" for \"ChatStateChangeMessage\""
        );
        let findings = set.validate_notification(&json!({"messageType": "Gossip"}));
        assert_eq!(findings[0].message, "unknown messageType \"Gossip\"");
    }

    #[test]
    fn the_fixtures_pass_or_fail_only_through_their_documented_errata() {
        let set = real();
        for clean in [
            "chat-started-message-log-updated.json",
            "chat-completed-status-change-revoked.json",
        ] {
            assert_eq!(
                set.validate_notification(&fixture(clean)),
                Vec::<Finding>::new(),
                "{clean}"
            );
        }
        for variant in [
            "chat-started-participants-updated.json",
            "chat-started-status-change.json",
        ] {
            let findings = set.validate_notification(&fixture(variant));
            assert_eq!(findings.len(), 1, "{variant}: {findings:#?}");
            assert_eq!(findings[0].verdict, Verdict::NonStrict, "{variant}");
            assert!(
                findings[0].message.contains("erratum E5, E6"),
                "{}",
                findings[0].message
            );
        }
    }

    #[test]
    fn state_changed_is_the_documented_variant_e7() {
        let mut revoked = fixture("chat-completed-status-change-revoked.json");
        revoked["notificationType"] = json!("StateChanged");
        let findings = real().validate_notification(&revoked);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].verdict, Verdict::NonStrict);
        assert!(
            findings[0].message.contains("erratum E7"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn errata_ids_used_by_the_checks_match_fixtures_errata_json() {
        use super::super::diff::Errata;
        use super::super::modes::{
            ERRATUM_ADD_COMMENT, ERRATUM_STATE_CHANGED, ERRATUM_SWITCH_BARGE_IN,
        };
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/errata.json");
        let errata =
            Errata::parse(&std::fs::read_to_string(path).expect("readable")).expect("parses");
        for (id, word) in [
            (ERRATUM_SWITCH_BARGE_IN, "SwitchBargeIn"),
            (ERRATUM_ADD_COMMENT, "AddComment"),
            (ERRATUM_STATE_CHANGED, "StateChanged"),
        ] {
            let erratum = errata.get(id).expect("listed");
            assert!(
                erratum.title.as_deref().unwrap_or("").contains(word),
                "{id}: {erratum:?}"
            );
            assert_eq!(erratum.tier, Verdict::NonStrict, "{id}");
        }
    }

    #[test]
    fn schema_set_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SchemaSet>();
    }
}
