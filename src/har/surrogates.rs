//! Lone UTF-16 surrogate escapes in JSON text, made readable.
//!
//! JSON strings may hold `\uD83D\uDE00` (a pair: one character) but also a `\uD83D` alone,
//! which browsers' devtools write when a page's text was cut inside a pair. RFC 8259 leaves
//! such escapes' meaning open and serde_json rejects them, which would reject a whole capture
//! for one character of a chat message. [`replace_lone_surrogates`] turns each lone one into
//! `\uFFFD` (the replacement character) before parsing; valid pairs and everything else are
//! kept byte for byte.

use std::borrow::Cow;

/// The escape a lone surrogate becomes: U+FFFD REPLACEMENT CHARACTER.
const REPLACEMENT: &[u8] = b"\\uFFFD";

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

/// `bytes` with every lone surrogate escape inside a JSON string replaced by `\uFFFD`, and how
/// many were replaced (borrowed unchanged when none was). Malformed JSON stays malformed:
/// the parser reports it, with its position.
pub fn replace_lone_surrogates(bytes: &[u8]) -> (Cow<'_, [u8]>, usize) {
    let mut out: Option<Vec<u8>> = None;
    let mut replaced = 0;
    // Bytes before `copied` are in `out` (once it exists).
    let mut copied = 0;
    let mut in_string = false;
    let mut at = 0;
    while at < bytes.len() {
        match (in_string, bytes[at]) {
            (false, b'"') => in_string = true,
            (true, b'"') => in_string = false,
            (true, b'\\') => {
                let lone = match escape_at(bytes, at) {
                    Some(unit) if is_high(unit) => {
                        if escape_at(bytes, at + 6).is_some_and(is_low) {
                            at += 12; // a pair: kept
                            continue;
                        }
                        true
                    }
                    Some(unit) => is_low(unit),
                    None => false,
                };
                if lone {
                    let out = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
                    out.extend_from_slice(&bytes[copied..at]);
                    out.extend_from_slice(REPLACEMENT);
                    replaced += 1;
                    at += 6;
                    copied = at;
                } else {
                    at += 2; // any other escape, `\"` and `\\` included
                }
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    match out {
        Some(mut out) => {
            out.extend_from_slice(&bytes[copied..]);
            (Cow::Owned(out), replaced)
        }
        None => (Cow::Borrowed(bytes), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(text: &str) -> (String, usize) {
        let (bytes, count) = replace_lone_surrogates(text.as_bytes());
        (String::from_utf8(bytes.into_owned()).unwrap(), count)
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
    }

    #[test]
    fn pairs_other_escapes_and_text_outside_strings_are_kept() {
        for text in [
            r#"{"smile": "\uD83D\uDE00", "quote": "\"\\uD800\"", "plain": "é"}"#,
            r#"{"tail": "\uD83D\uDE00"}"#,
            r#"{"backslash at the end": "\\"}"#,
            "not json at all \\uD800",
            r#"{"cut": "\uD8"#,
        ] {
            let (bytes, count) = replace_lone_surrogates(text.as_bytes());
            assert_eq!(count, 0, "{text}");
            assert!(matches!(bytes, Cow::Borrowed(_)), "{text}");
        }
    }
}
