//! JSON Schema validation (draft 2020-12) of everything a target sends: every notification
//! against `notification.schema.json` (which dispatches on `messageType`, then
//! `notificationType`), and any other document (responses, fixtures) against a schema named
//! by file.
//!
//! A [`SchemaSet`] is loaded once from all `*.schema.json` files of a directory, or from
//! `(name, text)` pairs so a binary can embed them. Every file is registered as a resource
//! under its `$id`, so `$ref`s between files resolve in memory; nothing is ever fetched.
//!
//! Loading checks every file (JSON, draft 2020-12, unique `$id`, the 2020-12 metaschema, which a
//! file identical to its built-in copy skips: the crate's tests check those) but compiles only
//! the notification schema, with everything it refers to: that is all a run validates, and
//! compiling the other files (the scenario format, the request and response bodies) took a
//! quarter to a third of a short run's start-up. Any other file is compiled on
//! its first use, once; [`SchemaSet::compile_all`] compiles them all now, for `check-docs`. A
//! `$ref` to a file outside the set is a load error (building the registry resolves every
//! file's references); what only compiling finds, such as a `$ref` to a missing part of a
//! file, is a load error in the notification schema's reach, and elsewhere the error of the
//! first validation against that file (and of `check-docs`).
//!
//! A notification that fails its schema only because it uses a documented variant of the
//! seed page (errata E5, E6, E7: see [`super::modes`]) gets a NON-STRICT finding naming the
//! errata instead of a failure.
//!
//! A schema error cites the requirement of the rule it breaks: a subschema may carry
//! `"x-requirement": "CAP-COACH"`, and every error raised under it (the innermost annotated
//! subschema wins) cites that requirement; errors under no annotation cite NOTIF-SCHEMA. A
//! notification breaking rules of two requirements gets one finding per requirement.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, OnceLock};

use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

use super::json::display_pointer;
use super::modes::{errata_of, notification_table_form};
use super::{Finding, Located, NotificationRef, Verdict};

/// The file name of the schema every notification is validated against.
pub const NOTIFICATION_SCHEMA: &str = "notification.schema.json";
/// The base URI of a schema file without an `$id` (`<base><file name>`).
pub const DEFAULT_BASE_URI: &str = "https://gws-conform.dev/schemas/";
/// The check id of schema findings.
pub const CHECK_ID: &str = "schema";
/// The requirement schema findings cite when the rule they break names none.
pub const REQUIREMENT: &str = "NOTIF-SCHEMA";
/// The keyword a subschema names its requirement with (see the module documentation).
pub const REQUIREMENT_KEYWORD: &str = "x-requirement";
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
    /// Whether the text is the built-in file of that name, byte for byte (`./schemas` as
    /// `init` wrote it, or the copy compiled in): the crate's tests check those against the
    /// metaschema, so loading does not (building that check's validator was about a tenth of
    /// `run NAME`'s start-up).
    builtin: bool,
}

/// The schemas, by file name, each compiled at most once (see the module documentation).
/// Cheap to share (`Send + Sync`); validating allocates only for the errors it reports.
pub struct SchemaSet {
    /// Every file's `$id` resolves here, for the files compiled later.
    registry: Registry<'static>,
    /// The notification schema, compiled when the set is loaded.
    entry: Validator,
    /// Every other file, compiled on first use (`Err`: the compiler's message).
    lazy: HashMap<String, Lazy>,
    /// The source of every schema that names a requirement somewhere, by `$id`, to find the
    /// requirement of the rule an error breaks.
    annotated: HashMap<String, Value>,
}

/// A schema file compiled on first use.
struct Lazy {
    contents: Value,
    compiled: OnceLock<Result<Validator, String>>,
}

/// One schema error: where in the instance, what, and the requirement of the rule.
#[derive(Debug, Clone, PartialEq)]
struct RuleError {
    /// The instance path as a JSON pointer (empty for the root).
    pointer: String,
    /// `"<instance path>: <message>"`.
    line: String,
    /// The requirement of the innermost annotated subschema, or [`REQUIREMENT`].
    requirement: String,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaSet")
            .field("schemas", &self.names())
            .finish()
    }
}

impl SchemaSet {
    /// The schemas compiled into the binary, compiled once (`None` if they do not compile,
    /// which the crate's own tests rule out).
    pub fn builtin_shared() -> Option<&'static SchemaSet> {
        static BUILTIN: LazyLock<Option<SchemaSet>> = LazyLock::new(|| {
            SchemaSet::from_sources(crate::embedded::SCHEMAS.iter().copied()).ok()
        });
        BUILTIN.as_ref()
    }

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
        for source in sources.iter().filter(|source| !source.builtin) {
            // What compiling would refuse first, checked for every file now, so only an
            // unresolvable `$ref` is left to a file's first use.
            jsonschema::draft202012::meta::validate(&source.contents).map_err(|e| {
                SchemaError::Compile {
                    file: source.name.clone(),
                    message: e.to_string(),
                }
            })?;
        }
        Self::assemble(sources)
    }

    /// The set of parsed files: registered, the notification schema compiled, the others left
    /// for their first use.
    fn assemble(sources: Vec<Source>) -> Result<Self, SchemaError> {
        let registry = register(&sources)?;
        let entry = sources
            .iter()
            .find(|source| source.name == NOTIFICATION_SCHEMA)
            .ok_or(SchemaError::MissingEntry)?;
        let entry =
            compile(&registry, &entry.contents).map_err(|message| SchemaError::Compile {
                file: NOTIFICATION_SCHEMA.to_owned(),
                message,
            })?;
        let annotated = sources
            .iter()
            .filter(|source| names_a_requirement(&source.contents))
            .map(|source| (source.id.clone(), source.contents.clone()))
            .collect();
        let lazy = sources
            .into_iter()
            .filter(|source| source.name != NOTIFICATION_SCHEMA)
            .map(|source| {
                let lazy = Lazy {
                    contents: source.contents,
                    compiled: OnceLock::new(),
                };
                (source.name, lazy)
            })
            .collect();
        Ok(Self {
            registry,
            entry,
            lazy,
            annotated,
        })
    }

    /// Compiles every file not compiled yet: `Err` names the first (by file name) that does
    /// not compile, e.g. for a `$ref` outside the set.
    pub fn compile_all(&self) -> Result<(), SchemaError> {
        for name in self.names() {
            if let Some(Err(message)) = self.validator(name) {
                return Err(SchemaError::Compile {
                    file: name.to_owned(),
                    message: message.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// The validator of a file, compiled now if it was not yet (`None`: no such file).
    fn validator(&self, schema_name: &str) -> Option<Result<&Validator, &str>> {
        if schema_name == NOTIFICATION_SCHEMA {
            return Some(Ok(&self.entry));
        }
        let lazy = self.lazy.get(schema_name)?;
        let compiled = lazy
            .compiled
            .get_or_init(|| compile(&self.registry, &lazy.contents));
        Some(compiled.as_ref().map_err(String::as_str))
    }

    /// Whether the set has a schema of that file name.
    pub fn contains(&self, schema_name: &str) -> bool {
        schema_name == NOTIFICATION_SCHEMA || self.lazy.contains_key(schema_name)
    }

    /// The file names of the schemas, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.lazy.keys().map(String::as_str).collect();
        names.push(NOTIFICATION_SCHEMA);
        names.sort_unstable();
        names
    }

    /// Validates `value` against the schema of file `schema_name`; each error as
    /// `"<instance path>: <message>"` (`/` for the root). Empty when valid. An unknown schema
    /// name, or a file that does not compile, gives one error saying so.
    pub fn validate(&self, schema_name: &str, value: &Value) -> Vec<String> {
        match self.validator(schema_name) {
            Some(Ok(validator)) => self
                .errors(validator, value)
                .into_iter()
                .map(|e| e.line)
                .collect(),
            Some(Err(message)) => vec![format!(
                "/: schema {schema_name} does not compile: {message}"
            )],
            None => vec![format!(
                "/: no schema named {schema_name} in the schema set"
            )],
        }
    }

    /// Validates a notification (a Bayeux message's `data`). No finding when it is valid; a
    /// NON-STRICT finding naming the errata when it is valid once its documented variants
    /// are put in the table's form; otherwise one failure per requirement whose rules it
    /// breaks, listing those errors.
    pub fn validate_notification(&self, data: &Value) -> Vec<Finding> {
        self.judge_notification(data)
            .into_iter()
            .map(|(finding, _)| finding)
            .collect()
    }

    /// [`Self::validate_notification`] for notification `seq` of `actor`: each finding with the
    /// places in the notification its errors are at.
    pub fn validate_notification_of(&self, actor: &str, seq: u64, data: &Value) -> Vec<Located> {
        self.judge_notification(data)
            .into_iter()
            .map(|(mut finding, pointers)| {
                finding.message = format!("{actor} notification #{seq}: {}", finding.message);
                let notifications = pointers
                    .iter()
                    .map(|pointer| NotificationRef {
                        actor: actor.to_owned(),
                        seq,
                        path: Some(dotted(pointer)),
                    })
                    .collect();
                Located::about(finding, notifications)
            })
            .collect()
    }

    /// The findings of a notification, each with the instance paths of its errors.
    fn judge_notification(&self, data: &Value) -> Vec<(Finding, Vec<String>)> {
        let entry = &self.entry;
        if entry.is_valid(data) {
            return Vec::new();
        }
        let errors = self.errors(entry, data);
        if let Some((fixed, substitutions)) = notification_table_form(data)
            && entry.is_valid(&fixed)
        {
            let finding = Finding {
                check: CHECK_ID.to_owned(),
                requirement: REQUIREMENT.to_owned(),
                verdict: Verdict::NonStrict,
                message: format!(
                    "{} uses the seed example's documented variant (erratum {}), not the table's form",
                    describe(data),
                    errata_of(&substitutions).join(", ")
                ),
                details: errors.iter().map(|e| e.line.clone()).collect(),
            };
            return vec![(finding, pointers(&errors))];
        }
        let mut requirements: Vec<&str> = Vec::new();
        for error in &errors {
            if !requirements.contains(&error.requirement.as_str()) {
                requirements.push(&error.requirement);
            }
        }
        requirements
            .into_iter()
            .map(|requirement| {
                let group: Vec<RuleError> = errors
                    .iter()
                    .filter(|e| e.requirement == requirement)
                    .cloned()
                    .collect();
                let finding = Finding {
                    check: CHECK_ID.to_owned(),
                    requirement: requirement.to_owned(),
                    verdict: Verdict::Fail,
                    message: failure_message(data, &group),
                    details: group.iter().map(|e| e.line.clone()).collect(),
                };
                (finding, pointers(&group))
            })
            .collect()
    }

    /// Every error of `value` against `validator`, without duplicates (a value failing the
    /// same way under two branches is reported once).
    fn errors(&self, validator: &Validator, value: &Value) -> Vec<RuleError> {
        let mut out: Vec<RuleError> = Vec::new();
        for error in validator.iter_errors(value) {
            let pointer = error.instance_path().to_string();
            // A structured value is at the instance path for all to see; its whole text would
            // drown the message.
            let message = match error.instance().as_ref() {
                Value::Array(_) | Value::Object(_) => error.masked_with("the value").to_string(),
                _ => error.to_string(),
            };
            let line = format!("{}: {}", display_pointer(&pointer), shorten(&message));
            if out.iter().any(|e| e.line == line) {
                continue;
            }
            let requirement = error
                .absolute_keyword_location()
                .and_then(|uri| self.requirement_at(uri.as_str()))
                .unwrap_or(REQUIREMENT)
                .to_owned();
            out.push(RuleError {
                pointer,
                line,
                requirement,
            });
        }
        out
    }

    /// The requirement named by the innermost annotated subschema on the way to a keyword
    /// (`<$id>#<JSON pointer>`), if any.
    fn requirement_at(&self, location: &str) -> Option<&str> {
        let (id, fragment) = location.split_once('#').unwrap_or((location, ""));
        let mut node = self.annotated.get(id)?;
        let mut named = requirement_named(node);
        for segment in fragment.split('/').skip(1) {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            node = match node {
                Value::Object(map) => map.get(&segment)?,
                Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return named,
            };
            named = requirement_named(node).or(named);
        }
        named
    }
}

/// The requirement a subschema names, if it names one.
fn requirement_named(schema: &Value) -> Option<&str> {
    schema.get(REQUIREMENT_KEYWORD).and_then(Value::as_str)
}

/// Whether a schema names a requirement anywhere.
fn names_a_requirement(schema: &Value) -> bool {
    match schema {
        Value::Object(map) => {
            map.contains_key(REQUIREMENT_KEYWORD) || map.values().any(names_a_requirement)
        }
        Value::Array(items) => items.iter().any(names_a_requirement),
        _ => false,
    }
}

/// The distinct instance paths of some errors, as JSON pointers.
fn pointers(errors: &[RuleError]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for error in errors {
        if !out.contains(&error.pointer) {
            out.push(error.pointer.clone());
        }
    }
    out
}

/// A JSON pointer as a dotted path (`/chat/capabilities` → `chat.capabilities`; the root is
/// the empty path).
fn dotted(pointer: &str) -> String {
    pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

/// One file compiled against the registry of the whole set (`Err`: the compiler's message).
fn compile(registry: &Registry<'static>, contents: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(registry)
        .build(contents)
        .map_err(|e| e.to_string())
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
    let builtin = crate::embedded::SCHEMAS.contains(&(name, text));
    Ok(Source {
        name: name.to_owned(),
        id,
        contents,
        builtin,
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
fn failure_message(data: &Value, errors: &[RuleError]) -> String {
    let unknown = |key: &str| {
        let pointer = format!("/{key}");
        errors.iter().any(|e| e.pointer == pointer)
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
        let at: Vec<String> = pointers(errors)
            .iter()
            .map(|p| display_pointer(p).to_owned())
            .collect();
        format!(
            "{} does not match its schema at {} ({} error{})",
            describe(data),
            at.join(", "),
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
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
    fn a_file_outside_the_notification_schema_compiles_on_first_use() {
        // Only the notification schema's reach is compiled at load; a `$ref` to a missing
        // part of a file elsewhere is the error of the first validation against that file,
        // and of `compile_all` (what `check-docs` runs).
        let stray = r#"{
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://gws-conform.dev/schemas/stray.schema.json",
            "$ref": "item.schema.json#/$defs/nowhere"
        }"#;
        let set = SchemaSet::from_sources([
            (NOTIFICATION_SCHEMA, ENTRY),
            ("ping.schema.json", PING),
            ("item.schema.json", ITEM),
            ("stray.schema.json", stray),
        ])
        .expect("the notification schema's reach compiles");
        assert!(set.contains("stray.schema.json"));
        let errors = set.validate("stray.schema.json", &json!({}));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("/: schema stray.schema.json does not compile: ")
                && errors[0].contains("nowhere"),
            "{errors:?}"
        );
        let err = set
            .compile_all()
            .expect_err("the stray file does not compile");
        assert!(
            matches!(&err, SchemaError::Compile { file, .. } if file == "stray.schema.json"),
            "{err}"
        );
        // A file that compiles is compiled once and validates as before.
        assert_eq!(
            set.validate("item.schema.json", &json!({})),
            Vec::<String>::new()
        );
        assert!(tiny().compile_all().is_ok());
    }

    #[test]
    fn a_schema_the_metaschema_rejects_does_not_load() {
        // Loading validates each file against the 2020-12 metaschema (compiled or not), so
        // `check-docs` and `run` need no separate metaschema check.
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
        // Only a built-in file's own text skips the check, not any file of its name.
        let (builtin_name, _) = crate::embedded::SCHEMAS
            .iter()
            .find(|(name, _)| *name != NOTIFICATION_SCHEMA)
            .expect("built-in schemas besides the notification one");
        let err = SchemaSet::from_sources([
            (NOTIFICATION_SCHEMA, ENTRY),
            ("ping.schema.json", PING),
            ("item.schema.json", ITEM),
            (builtin_name, invalid),
        ])
        .expect_err("the metaschema rejects a numeric type");
        assert!(
            matches!(&err, SchemaError::Compile { file, .. } if file == builtin_name),
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
    fn the_built_in_schemas_pass_the_metaschema_check_their_loading_skips() {
        for (name, text) in crate::embedded::SCHEMAS {
            let contents: Value = serde_json::from_str(text).expect("built-in schema is JSON");
            assert!(
                jsonschema::draft202012::meta::validate(&contents).is_ok(),
                "{name}"
            );
        }
        let builtin = SchemaSet::builtin_shared().expect("the built-in schemas load");
        assert_eq!(builtin.names(), real().names());
        builtin
            .compile_all()
            .expect("every built-in schema compiles");
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
        // One finding per requirement whose rules it breaks: the visibility's enum is the
        // schema's own, the ended chat's emptiness is REVOKE-EMPTY's (`x-requirement`).
        let requirements: Vec<&str> = findings.iter().map(|f| f.requirement.as_str()).collect();
        assert_eq!(
            requirements,
            ["NOTIF-SCHEMA", "REVOKE-EMPTY"],
            "{findings:#?}"
        );
        assert!(findings.iter().all(|f| f.verdict == Verdict::Fail));
        let details = |i: usize| findings[i].details.clone();
        assert_eq!(
            details(0),
            [
                "/chat/participants/0/visibility: \"Everyone\" is not one of \"All\", \"Agents\" or \"Supervisors\""
            ]
        );
        assert!(
            findings[0]
                .message
                .ends_with("at /chat/participants/0/visibility (1 error)"),
            "{}",
            findings[0].message
        );
        for path in ["/chat/participants: ", "/chat/capabilities: "] {
            assert!(
                details(1).iter().any(|d| d.starts_with(path)),
                "{:#?}",
                details(1)
            );
        }
        // A structured value is not spelled out in the message: the path says where it is.
        assert!(
            details(1).iter().all(|d| d.contains("the value")),
            "{:#?}",
            details(1)
        );
        let located = set.validate_notification_of("supervisor", 4, &wrong);
        let paths: Vec<Option<&str>> = located[1]
            .notifications
            .iter()
            .map(|n| n.path.as_deref())
            .collect();
        assert_eq!(
            paths,
            [Some("chat.capabilities"), Some("chat.participants")]
        );
        assert!(
            located[1]
                .finding
                .message
                .starts_with("supervisor notification #4: ")
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
