//! Reading the YAML files a user gives the harness (scenarios and target profiles): the text
//! must be UTF-8, parsing is bounded (alias bombs, deep nesting, huge files), duplicate keys are
//! errors, and every problem becomes a located [`LoadError`] worded for the user rather than
//! for the developer of the YAML library.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::{Event, Parser};
use serde_saphyr::options::DuplicateKeyPolicy;
use serde_saphyr::{Error, MessageFormatter, UserMessageFormatter};

use super::diagnostic::LoadError;
use super::model::Position;
use super::suggest::did_you_mean;

/// The largest file read. Scenario and profile files are a few kilobytes; the cap keeps a
/// mistaken `--profile /dev/zero` (or a huge file) from reading forever or exhausting memory.
const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Most YAML nodes in one file, counting every node an alias expands to. The largest built-in
/// scenario has about 650; the cap stops alias bombs ("billion laughs") early, within tens of
/// megabytes (serde-saphyr's default, 250,000, lets one take about 100 MB).
const MAX_NODES: usize = 100_000;
/// Deepest nesting of mappings and sequences. Scenarios nest up to ten levels; the cap keeps
/// the recursive code after parsing (serde, matchers, `Value` drops) far from the stack limit.
const MAX_DEPTH: usize = 64;

/// Reads a file as UTF-8 text; an unreadable, oversized or non-UTF-8 file is a load error
/// (invalid UTF-8 is located at its line and column, with its byte offset).
pub(crate) fn read_text(file: &Path) -> Result<String, LoadError> {
    let unreadable =
        |e: std::io::Error| LoadError::file(file, format!("cannot read the file: {e}"));
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError::file(
            file,
            format!(
                "the file is larger than {} MiB",
                MAX_FILE_BYTES / 1024 / 1024
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| not_utf8(file, &e))
}

/// Locates the first invalid byte: line, column (in characters) and byte offset.
fn not_utf8(file: &Path, error: &std::string::FromUtf8Error) -> LoadError {
    let bytes = error.as_bytes();
    let offset = error.utf8_error().valid_up_to();
    // Everything before `offset` is valid UTF-8 by definition.
    let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
    let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
    let position = Position {
        line: valid.matches('\n').count() as u32 + 1,
        column: valid[line_start..].chars().count() as u32 + 1,
    };
    let source: Arc<str> = Arc::from(String::from_utf8_lossy(bytes).as_ref());
    LoadError::at(
        file,
        &source,
        Some(position),
        format!(
            "the file is not valid UTF-8 (byte 0x{:02X} at offset {offset})",
            bytes[offset]
        ),
    )
}

/// Parses one YAML document of `text` (the content of `file`, a `what` file: "scenario",
/// "profile") into `T`, within the limits above.
pub(crate) fn parse<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    what: &str,
) -> Result<T, LoadError> {
    // A file of blank lines and comments holds no document; say so rather than "end of input".
    let no_content = text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#')
    });
    if no_content {
        return Err(LoadError::file(file, format!("the {what} file is empty")));
    }
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_nodes: MAX_NODES,
            max_depth: MAX_DEPTH,
        },
        // The default, stated because the loader relies on it: a repeated key is a mistake.
        duplicate_keys: DuplicateKeyPolicy::Error,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let source: Arc<str> = Arc::from(text);
        located(file, &source, &e)
    })
}

/// The value of the top-level `name` key of a scenario's text, read from the parser's first
/// events without parsing the rest of the file (the same parser the full load uses, so the same
/// value). `None` when it cannot be read that cheaply and surely: no mapping at the top, `name`
/// missing or given by an alias, a tag or a collection, or a syntax error before it.
pub(crate) fn top_level_name(text: &str) -> Option<String> {
    // Nesting of the collections opened so far (1: inside the top-level mapping).
    let mut depth = 0usize;
    // Nodes completed at the top level: even means the next one is a key.
    let mut top_nodes = 0usize;
    let mut name_key_seen = false;
    for item in Parser::new_from_str(text) {
        let (event, _) = item.ok()?;
        match event {
            Event::MappingStart(..) if depth == 0 => depth = 1,
            Event::MappingStart(..) | Event::SequenceStart(..) if depth > 0 && !name_key_seen => {
                depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd if depth > 1 => {
                depth -= 1;
                if depth == 1 {
                    top_nodes += 1;
                }
            }
            Event::Scalar(value, _, _, tag) if depth == 1 => {
                if name_key_seen {
                    return tag.is_none().then(|| value.into_owned());
                }
                name_key_seen = top_nodes.is_multiple_of(2) && tag.is_none() && value == "name";
                top_nodes += 1;
            }
            Event::Alias(_) if depth == 1 && !name_key_seen => top_nodes += 1,
            Event::Scalar(..) | Event::Alias(_) if depth > 1 => {}
            // The end of the top-level mapping or of the document, a top level that is no
            // mapping, a name that is no plain string.
            Event::MappingStart(..)
            | Event::SequenceStart(..)
            | Event::MappingEnd
            | Event::SequenceEnd
            | Event::Scalar(..)
            | Event::Alias(_)
            | Event::UnresolvedAlias(_)
            | Event::DocumentEnd
            | Event::StreamEnd => return None,
            // The stream's and the document's start, comments, anchor names: no node.
            _ => {}
        }
    }
    None
}

/// The error behind the snippet and alias wrappers serde-saphyr adds.
fn original(mut error: &Error) -> &Error {
    while let Error::WithSnippet { error: inner, .. } | Error::AliasError { error: inner, .. } =
        error
    {
        error = inner;
    }
    error
}

/// Turns a serde-saphyr error into a located load error, with a suggestion for unknown keys
/// and values.
fn located(file: &Path, source: &Arc<str>, error: &Error) -> LoadError {
    let position = error.location().map(Position::from);
    // The message alone, without the library's location and snippet (LoadError adds its own);
    // it may quote the input, so control characters are escaped before reaching a terminal.
    let mut message = String::new();
    for c in Messages.format_message(original(error)).chars() {
        if c.is_control() {
            message.extend(c.escape_debug());
        } else {
            message.push(c);
        }
    }
    let help = match original(error) {
        Error::SerdeUnknownField {
            field: unknown,
            expected,
            ..
        }
        | Error::SerdeUnknownVariant {
            variant: unknown,
            expected,
            ..
        } => did_you_mean(unknown, expected),
        _ => String::new(),
    };
    LoadError::at(file, source, position, message).with_help(help)
}

/// User-facing wording: serde-saphyr's user formatter, with the limits above named and the
/// parser's event names ("mapping start") replaced by what the user wrote wrong.
struct Messages;

impl MessageFormatter for Messages {
    fn format_message<'a>(&self, error: &'a Error) -> Cow<'a, str> {
        match error {
            Error::Budget {
                breach: BudgetBreach::Depth { .. },
                ..
            } => format!("nested too deeply (more than {MAX_DEPTH} levels)").into(),
            Error::Budget {
                breach: BudgetBreach::Nodes { .. },
                ..
            } => format!(
                "too many YAML nodes (more than {MAX_NODES}, counting what aliases expand to)"
            )
            .into(),
            Error::Unexpected { expected, .. } => {
                let expected = match *expected {
                    "mapping start" => "a mapping (`key: value` entries)",
                    "sequence start" => "a list",
                    "string scalar" => "a string",
                    other => other,
                };
                format!("expected {expected}").into()
            }
            Error::InvalidScalar { ty, .. } => {
                let expected = match *ty {
                    "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more",
                    "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
                    "f32" | "f64" => "a number",
                    "bool" => "true or false",
                    other => other,
                };
                format!("expected {expected}").into()
            }
            _ => UserMessageFormatter.format_message(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Doc {
        a: u32,
    }

    /// The error of parsing `text` as a `T`.
    fn error_as<T: DeserializeOwned + std::fmt::Debug>(text: &str) -> String {
        parse::<T>(text, Path::new("f.yaml"), "test")
            .unwrap_err()
            .to_string()
    }

    fn error(text: &str) -> String {
        error_as::<Doc>(text)
    }

    #[test]
    fn messages_are_located_and_free_of_library_advice() {
        let doc: Doc = parse("a: 7\n", Path::new("f.yaml"), "test").unwrap();
        assert_eq!(doc.a, 7);
        let duplicate = error("a: 1\na: 2\n");
        assert_eq!(
            duplicate,
            "f.yaml:2:1: duplicate mapping key `a` is not allowed here"
        );
        let two_documents = error("a: 1\n---\na: 2\n");
        assert!(two_documents.starts_with("f.yaml:3:1: only single YAML document"));
        assert_eq!(
            error("- 1\n"),
            "f.yaml:1:1: expected a mapping (`key: value` entries)"
        );
        assert_eq!(
            error("a: x\n"),
            "f.yaml:1:4: expected a whole number, 0 or more"
        );
        assert_eq!(error("# nothing\n\n"), "f.yaml: the test file is empty");
    }

    #[test]
    fn nesting_and_alias_expansion_are_bounded() {
        // Untyped values: typed fields would refuse the first nested node already.
        let error = error_as::<serde_json::Value>;
        let deep = format!("a: {}1{}\n", "[".repeat(100), "]".repeat(100));
        assert!(
            error(&deep).contains("nested too deeply"),
            "{}",
            error(&deep)
        );
        let mut bomb = String::from("x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for level in 1..9 {
            let prev = level - 1;
            bomb += &format!(
                "x{level}: &x{level} [{}]\n",
                vec![format!("*x{prev}"); 10].join(", ")
            );
        }
        assert!(
            error(&bomb).contains("too many YAML nodes"),
            "{}",
            error(&bomb)
        );
    }

    #[test]
    fn the_top_level_name_is_read_from_the_first_events() {
        let name = |text: &str| top_level_name(text);
        assert_eq!(name("name: a\nsteps: [\n"), Some("a".to_owned()));
        assert_eq!(
            name("# c\n---\ndescription: x\nname: 'b c'\n"),
            Some("b c".to_owned())
        );
        // Nested `name` keys, a `name` value and a collection key are passed over.
        let nested = "actors: {name: x}\nsteps:\n  - name: y\nx: name\n? [k]\n: 1\nname: z\n";
        assert_eq!(name(nested), Some("z".to_owned()));
        // The first of two: loading the file reports the duplicate key.
        assert_eq!(name("name: a\nname: b\n"), Some("a".to_owned()));
        for unreadable in [
            "name: !!str x\n",
            "a: &x y\nname: *x\n",
            "name: [a]\n",
            "name: {a: b}\n",
            "- name: x\n",
            "description: a: b\nname: x\n",
            "covers: [X]\n",
            "",
            "just text\n",
        ] {
            assert_eq!(name(unreadable), None, "{unreadable:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_located_in_characters_with_its_offset() {
        let dir = std::env::temp_dir().join(format!("gws-conform-utf8-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.yaml");
        std::fs::write(&file, b"a: 1\nb: \xc3\xa9\xff\n").unwrap();
        let message = read_text(&file).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            message.ends_with("bad.yaml:2:5: the file is not valid UTF-8 (byte 0xFF at offset 10)"),
            "{message}"
        );
    }
}
