//! Reading a HAR file one entry at a time.
//!
//! A capture can hold hundreds of thousands of entries; parsed whole, its document takes many
//! times its size. [`each_entry`] parses `log.entries` element by element and hands each
//! [`Entry`] to the caller, who keeps what it needs: only one entry is held at a time. The rest
//! of the log (`version`, `creator`, `comment`, `_gwsStatus`, ...) is read as the model reads
//! it. The text is read as [`Har::from_slice`] describes: a UTF-8 byte order mark skipped, lone
//! surrogate escapes read as U+FFFD; errors give the line and column.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::model::{Entry, Har, Log, ReadError};
use super::surrogates::Repaired;

/// The UTF-8 byte order mark, which the specification asks readers to skip.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How much text is read at once.
const BUFFER: usize = 64 * 1024;

/// Reads the HAR document `reader` holds, handing each of its entries to `each` in file order;
/// returns the document without its entries (its `log.entries` is empty), with the number of
/// lone surrogates read. `origin` names the text in errors.
pub fn each_entry(
    reader: impl Read,
    origin: &str,
    each: impl FnMut(Entry),
) -> Result<Har, ReadError> {
    let json_error = |source: serde_json::Error| ReadError::Json {
        origin: origin.to_owned(),
        source,
    };
    let io_error = |source: io::Error| ReadError::Io {
        path: origin.to_owned(),
        source,
    };
    let mut reader = reader;
    let mut head = Vec::with_capacity(BOM.len());
    (&mut reader)
        .take(BOM.len() as u64)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    if head == BOM {
        head.clear();
    }
    let repaired = Repaired::new(io::Cursor::new(head).chain(reader));
    let replaced = repaired.replaced();
    // Given by value: serde_json reads a byte at a time, which a `BufReader` serves fastest.
    let buffered = io::BufReader::with_capacity(BUFFER, repaired);
    let mut deserializer = serde_json::Deserializer::from_reader(buffered);
    let mut each = each;
    let read = Root { each: &mut each }
        .deserialize(&mut deserializer)
        .and_then(|log| deserializer.end().map(|()| log));
    let log = read.map_err(|e| match e.io_error_kind() {
        Some(kind) => io_error(io::Error::new(kind, e.to_string())),
        None => json_error(e),
    })?;
    Ok(Har {
        log,
        lone_surrogates: replaced.get(),
    })
}

/// [`each_entry`] over the file at `path`.
pub fn each_entry_of(path: &Path, each: impl FnMut(Entry)) -> Result<Har, ReadError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: shown.clone(),
        source,
    })?;
    each_entry(file, &shown, each)
}

/// The document: `{"log": {...}}`, other members ignored.
struct Root<'a, F> {
    each: &'a mut F,
}

impl<'de, F: FnMut(Entry)> DeserializeSeed<'de> for Root<'_, F> {
    type Value = Log;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Log, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F: FnMut(Entry)> Visitor<'de> for Root<'_, F> {
    type Value = Log;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR document (an object with `log`)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Log, A::Error> {
        let mut log = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != "log" {
                map.next_value::<IgnoredAny>()?;
            } else if log.is_some() {
                return Err(de::Error::duplicate_field("log"));
            } else {
                log = Some(map.next_value_seed(LogSeed { each: self.each })?);
            }
        }
        log.ok_or_else(|| de::Error::missing_field("log"))
    }
}

/// `log`: its entries streamed, its other members read into [`Log`] as the model reads them.
struct LogSeed<'a, F> {
    each: &'a mut F,
}

impl<'de, F: FnMut(Entry)> DeserializeSeed<'de> for LogSeed<'_, F> {
    type Value = Log;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Log, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F: FnMut(Entry)> Visitor<'de> for LogSeed<'_, F> {
    type Value = Log;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the HAR log (an object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Log, A::Error> {
        // The members other than `entries` are few and small: kept as JSON, then read by the
        // model's own rules (defaults, optional fields), so the two readings cannot drift.
        let mut rest = serde_json::Map::new();
        let mut entries = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "entries" {
                if entries {
                    return Err(de::Error::duplicate_field("entries"));
                }
                entries = true;
                map.next_value_seed(EntriesSeed {
                    each: &mut *self.each,
                })?;
            } else if rest.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            } else {
                rest.insert(key, map.next_value()?);
            }
        }
        Log::deserialize(serde_json::Value::Object(rest))
            .map_err(|e| de::Error::custom(format_args!("in `log`: {e}")))
    }
}

/// `log.entries`: each entry handed over as it is read.
struct EntriesSeed<'a, F> {
    each: &'a mut F,
}

impl<'de, F: FnMut(Entry)> DeserializeSeed<'de> for EntriesSeed<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Entry)> Visitor<'de> for EntriesSeed<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the HAR entries (an array)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<Entry>()? {
            (self.each)(entry);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<(Har, Vec<Entry>), ReadError> {
        let mut entries = Vec::new();
        let har = each_entry(text.as_bytes(), "t.har", |e| entries.push(e))?;
        Ok((har, entries))
    }

    #[test]
    fn entries_stream_and_the_log_keeps_the_rest_in_any_order() {
        let text = r#"{"other": [1, {"x": null}], "log": {"entries": [
            {"startedDateTime": "a", "request": {"url": "http://h/1"}},
            {"startedDateTime": "b", "_gwsSeq": 7}],
          "comment": "cut short", "_gwsStatus": "interrupted", "version": "1.2"}}"#;
        let (har, entries) = read(text).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].request.url, "http://h/1");
        assert_eq!(entries[1].gws_seq, Some(7));
        assert!(har.log.entries.is_empty());
        assert_eq!(har.log.gws_status.as_deref(), Some("interrupted"));
        assert_eq!(har.log.comment.as_deref(), Some("cut short"));
        assert_eq!(har.log.version, "1.2");
    }

    #[test]
    fn a_bom_is_skipped_and_lone_surrogates_counted() {
        let text = "\u{feff}{\"log\":{\"entries\":[{\"comment\":\"x\\uD83D\"}]}}";
        let (har, entries) = read(text).unwrap();
        assert_eq!(har.lone_surrogates, 1);
        assert_eq!(entries[0].comment.as_deref(), Some("x\u{FFFD}"));
    }

    #[test]
    fn errors_say_where() {
        for (text, said) in [
            (
                "{\"log\":{\"entries\":[\n{\"time\": \"soon\"}]}}",
                "line 2 column",
            ),
            ("{\"log\":{\"entries\":[]}} trailing", "trailing characters"),
            ("{\"log\":{},\"log\":{}}", "duplicate field `log`"),
            (
                "{\"log\":{\"entries\":[],\"entries\":[]}}",
                "duplicate field `entries`",
            ),
            ("{\"log\":{\"version\":3}}", "in `log`"),
            ("{}", "missing field `log`"),
        ] {
            let error = read(text).unwrap_err().to_string();
            assert!(error.starts_with("t.har is not a HAR file"), "{error}");
            assert!(error.contains(said), "{text}: {error}");
        }
    }

    #[test]
    fn a_read_failure_is_an_io_error() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk gone"))
            }
        }
        let error = each_entry(Failing, "t.har", |_| {}).unwrap_err();
        assert!(matches!(error, ReadError::Io { .. }), "{error}");
        assert!(error.to_string().contains("disk gone"), "{error}");
    }
}
