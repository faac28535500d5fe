//! Lone UTF-16 surrogate escapes in JSON text, made readable, as the text streams by.
//!
//! JSON strings may hold `\uD83D\uDE00` (a pair: one character) but also a `\uD83D` alone,
//! which browsers' devtools write when a page's text was cut inside a pair. RFC 8259 leaves
//! such escapes' meaning open and serde_json rejects them, which would reject a whole capture
//! for one character of a chat message. [`Repaired`] reads JSON text through, turning each lone
//! one into `\uFFFD` (the replacement character); valid pairs and everything else are kept byte
//! for byte. A replacement is as long as what it replaces, so the parser's line and column
//! numbers still point into the file.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// The escape a lone surrogate becomes: U+FFFD REPLACEMENT CHARACTER.
const REPLACEMENT: &[u8] = b"\\uFFFD";
/// The longest run of bytes judged at once: a surrogate pair's two escapes.
const PAIR: usize = 12;
/// How much is read from the underlying reader at once.
const CHUNK: usize = 64 * 1024;

/// The code unit of a `\uXXXX` escape starting at `at` (the backslash), if there is one.
fn escape_at(bytes: &[u8], at: usize) -> Option<u16> {
    let escape = bytes.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    u16::from_str_radix(hex, 16).ok()
}

fn is_high(unit: u16) -> bool {
    (0xD800..=0xDBFF).contains(&unit)
}

fn is_low(unit: u16) -> bool {
    (0xDC00..=0xDFFF).contains(&unit)
}

/// Where the scan is in the JSON text, across the chunks it comes in.
#[derive(Debug, Default)]
struct Scanner {
    in_string: bool,
    /// Shared, so it can be read once the reader is a parser's.
    replaced: Rc<Cell<usize>>,
}

impl Scanner {
    /// Appends `bytes`, the text that follows what was scanned so far, to `out`, with every lone
    /// surrogate escape inside a string replaced; returns how many bytes it took. When `more`
    /// says text follows, it stops before an escape whose end may be in what follows (the
    /// caller passes those bytes again with the next ones). Malformed JSON stays malformed: the
    /// parser reports it, with its position.
    fn scan(&mut self, bytes: &[u8], more: bool, out: &mut Vec<u8>) -> usize {
        // Bytes before `copied` are in `out`.
        let mut copied = 0;
        let mut at = 0;
        while at < bytes.len() {
            match (self.in_string, bytes[at]) {
                (false, b'"') => self.in_string = true,
                (true, b'"') => self.in_string = false,
                (true, b'\\') => {
                    if more && bytes.len() - at < PAIR {
                        break;
                    }
                    let lone = match escape_at(bytes, at) {
                        Some(unit) if is_high(unit) => {
                            if escape_at(bytes, at + 6).is_some_and(is_low) {
                                at += PAIR; // a pair: kept
                                continue;
                            }
                            true
                        }
                        Some(unit) => is_low(unit),
                        None => false,
                    };
                    if lone {
                        out.extend_from_slice(&bytes[copied..at]);
                        out.extend_from_slice(REPLACEMENT);
                        self.replaced.set(self.replaced.get() + 1);
                        at += REPLACEMENT.len();
                        copied = at;
                    } else {
                        // Any other escape, `\"` and `\\` included (a backslash ending the
                        // text has nothing after it).
                        at = (at + 2).min(bytes.len());
                    }
                    continue;
                }
                _ => {}
            }
            at += 1;
        }
        out.extend_from_slice(&bytes[copied..at]);
        at
    }
}

/// JSON text read from `R` with its lone surrogate escapes replaced by `\uFFFD`.
#[derive(Debug)]
pub struct Repaired<R> {
    inner: R,
    scanner: Scanner,
    /// Text read and not yet scanned: the start of an escape whose end was not read yet.
    input: Vec<u8>,
    /// Scanned text, handed out from `out_at`.
    out: Vec<u8>,
    out_at: usize,
    /// Whether `inner` has ended.
    ended: bool,
}

impl<R: Read> Repaired<R> {
    /// Reads JSON text from `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            scanner: Scanner::default(),
            input: Vec::with_capacity(CHUNK + PAIR),
            out: Vec::with_capacity(CHUNK + PAIR),
            out_at: 0,
            ended: false,
        }
    }

    /// How many lone surrogates were replaced: a count that goes on as the text is read,
    /// by whoever reads it.
    pub fn replaced(&self) -> Rc<Cell<usize>> {
        self.scanner.replaced.clone()
    }

    /// Reads the next chunk and scans it into `out`.
    fn refill(&mut self) -> io::Result<()> {
        let held = self.input.len();
        self.input.resize(held + CHUNK, 0);
        let read = loop {
            match self.inner.read(&mut self.input[held..]) {
                Ok(read) => break read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.input.truncate(held);
                    return Err(e);
                }
            }
        };
        self.input.truncate(held + read);
        self.ended = read == 0;
        self.out.clear();
        self.out_at = 0;
        let taken = self.scanner.scan(&self.input, !self.ended, &mut self.out);
        self.input.drain(..taken);
        Ok(())
    }
}

impl<R: Read> Read for Repaired<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_at == self.out.len() {
            if self.ended {
                return Ok(0);
            }
            self.refill()?;
        }
        let count = buf.len().min(self.out.len() - self.out_at);
        buf[..count].copy_from_slice(&self.out[self.out_at..self.out_at + count]);
        self.out_at += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its text one byte per read, so every escape is cut at every place.
    struct ByteByByte<'a>(&'a [u8]);

    impl Read for ByteByByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            if buf.is_empty() {
                return Ok(0);
            }
            buf[0] = *first;
            self.0 = rest;
            Ok(1)
        }
    }

    /// The text read through [`Repaired`], at once and a byte at a time (which must agree),
    /// and how many lone surrogates it replaced.
    fn repaired(text: &str) -> (String, usize) {
        let read = |reader: &mut Repaired<&mut dyn Read>| {
            let mut out = String::new();
            reader.read_to_string(&mut out).unwrap();
            (out, reader.replaced().get())
        };
        let mut whole = text.as_bytes();
        let at_once = read(&mut Repaired::new(&mut whole as &mut dyn Read));
        let mut bytes = ByteByByte(text.as_bytes());
        let piecemeal = read(&mut Repaired::new(&mut bytes as &mut dyn Read));
        assert_eq!(at_once, piecemeal, "{text}");
        at_once
    }

    #[test]
    fn lone_surrogates_become_the_replacement_character() {
        let (text, count) = repaired(r#"{"a": "x\uD83Dy", "b": ["\udc00", "\uDBFF\u0041"]}"#);
        assert_eq!(count, 3);
        assert_eq!(
            text,
            r#"{"a": "x\uFFFDy", "b": ["\uFFFD", "\uFFFD\u0041"]}"#
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["a"], "x\u{FFFD}y");
        assert_eq!(value["b"][1], "\u{FFFD}A");
        assert_eq!(repaired(r#"["\uD83D"]"#), (r#"["\uFFFD"]"#.to_owned(), 1));
    }

    #[test]
    fn pairs_other_escapes_and_text_outside_strings_are_kept() {
        for text in [
            r#"{"smile": "\uD83D\uDE00", "quote": "\"\\uD800\"", "plain": "é"}"#,
            r#"{"tail": "\uD83D\uDE00"}"#,
            r#"{"backslash at the end": "\\"}"#,
            "not json at all \\uD800",
            r#"{"cut": "\uD8"#,
            r#"{"cut after a backslash": "\"#,
            "",
        ] {
            assert_eq!(repaired(text), (text.to_owned(), 0), "{text}");
        }
    }

    #[test]
    fn text_longer_than_a_chunk_is_read_whole() {
        let long = format!(
            r#"["{}\uD800{}"]"#,
            "a".repeat(CHUNK - 4),
            "b".repeat(CHUNK)
        );
        let (text, count) = repaired(&long);
        assert_eq!(count, 1);
        assert_eq!(text, long.replace(r"\uD800", r"\uFFFD"));
    }
}
