//! A finding's signature: what it says with everything that changes from run to run masked
//! (the target's origin, ids, numbers, times), so the same deviation found twice, in two
//! scenarios or on two days, has the same signature. Reports fold identical findings by it and
//! baselines (`--baseline`) key accepted deviations on it.

use super::Finding;

/// What replaces an id-like token (a UUID, a run of hex digits with at least one digit).
const ID: &str = "<id>";
/// What replaces a URL's scheme and authority.
const ORIGIN: &str = "<origin>";
/// What replaces a run of digits.
const NUMBER: &str = "#";
/// The shortest token taken for an id.
const MIN_ID_CHARS: usize = 8;
/// The fewest digits a token of letters and digits other than hex needs to be taken for an id.
const MIN_ID_DIGITS: usize = 3;

/// The signature of a finding: its requirement, check and masked message.
pub fn of(finding: &Finding) -> String {
    format!(
        "{} {}: {}",
        finding.requirement,
        finding.check,
        mask(&finding.message)
    )
}

/// `text` with origins, ids and numbers masked and runs of whitespace made one space.
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = strip_origin(rest) {
            out.push_str(ORIGIN);
            rest = after;
        } else if c.is_ascii_alphanumeric() {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(rest.len());
            mask_token(&rest[..end], &mut out);
            rest = &rest[end..];
        } else if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
            rest = rest.trim_start();
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out.trim().to_owned()
}

/// The text after `http://host:port` or `https://host:port`, if it starts with one.
fn strip_origin(text: &str) -> Option<&str> {
    let after_scheme = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"))?;
    let end = after_scheme
        .find(|c: char| c == '/' || c == '?' || c == '#' || c == '"' || c.is_whitespace())
        .unwrap_or(after_scheme.len());
    Some(&after_scheme[end..])
}

/// Appends a word-like token: an id as [`ID`], otherwise with its digit runs as [`NUMBER`].
fn mask_token(token: &str, out: &mut String) {
    // Hex ids, and ids of other alphabets (`0A7B729174B1258Ex`, `u9k2m7q4`): digits mixed
    // among letters, as no word of a message has.
    let digits = token.bytes().filter(u8::is_ascii_digit).count();
    let id_like = token.len() >= MIN_ID_CHARS
        && digits > 0
        && (token.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
            || digits >= MIN_ID_DIGITS && token.bytes().any(|b| b.is_ascii_alphabetic()));
    if id_like {
        out.push_str(ID);
        return;
    }
    let mut in_number = false;
    for c in token.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push_str(NUMBER);
            }
            in_number = true;
        } else {
            out.push(c);
            in_number = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Verdict;

    #[test]
    fn what_changes_between_runs_is_masked() {
        assert_eq!(
            mask(
                "supervisor: POST http://127.0.0.1:45623/api/v2/users/3044dd854729b7a1cc71b84cb2bb1d5b/channels/chat: expected HTTP 200, got HTTP 400"
            ),
            "supervisor: POST <origin>/api/v#/users/<id>/channels/chat: expected HTTP #, got HTTP #"
        );
        assert_eq!(
            mask(
                "chat.id = \"7CFD9D3D9D4D807D\",  chat ebc45732-bfcf-d2e8-5356-532aed234ce0 at 2026-12-07 04:49:52.616+0000"
            ),
            "chat.id = \"<id>\", chat <id> at <id> #:#:#.#+#"
        );
        assert_eq!(
            mask("notification #12 to agent2"),
            "notification ## to agent#"
        );
        assert_eq!(
            mask("names chat 0A7B729174B1258Ex, then chat u9k2m7q4"),
            "names chat <id>, then chat <id>"
        );
    }

    #[test]
    fn words_and_names_stay() {
        assert_eq!(
            mask("capabilities are not the table's set (SwitchToBargeIn, deadbeef, supervisor12)"),
            "capabilities are not the table's set (SwitchToBargeIn, deadbeef, supervisor#)"
        );
    }

    #[test]
    fn the_same_deviation_seen_twice_has_one_signature() {
        let finding = |message: &str| Finding {
            check: "response.status".to_owned(),
            requirement: "MON-MODE".to_owned(),
            verdict: Verdict::Fail,
            message: message.to_owned(),
            details: vec!["differs".to_owned()],
        };
        let first = finding(
            "supervisor: POST http://127.0.0.1:1/api/v2/users/0123456789abcdef/channels/chat: expected HTTP 200, got HTTP 400",
        );
        let second = finding(
            "supervisor: POST http://127.0.0.1:2/api/v2/users/fedcba9876543210/channels/chat: expected HTTP 200, got HTTP 400",
        );
        assert_eq!(of(&first), of(&second));
        assert!(of(&first).starts_with("MON-MODE response.status: supervisor: POST"));
        let other = finding(
            "supervisor: POST http://127.0.0.1:1/api/v2/users/0123456789abcdef/channels/chat: expected HTTP 200, got HTTP 403 Forbidden",
        );
        assert_ne!(of(&first), of(&other));
    }
}
