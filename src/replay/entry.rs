//! Reading one HAR entry for planning: its timing, its URL's origin and target, and its
//! response body as JSON.

use base64::Engine;
use serde_json::Value;

use crate::har::model::Entry;
use crate::server::clock::parse_rfc3339_micros;

/// One entry, parsed.
pub(super) struct Parsed<'a> {
    /// Its index among the capture's entries (its files' `log.entries` one after the other).
    pub index: usize,
    /// Which of the capture's files it comes from.
    pub file: usize,
    /// How messages name it: `entries[3]`, or `agent.har entries[3]` in a capture of several
    /// files.
    pub label: String,
    /// The entry.
    pub entry: &'a Entry,
    /// Start order across the file (`_gwsSeq`, else its index until planning sorts).
    pub seq: u64,
    /// Recorded start, microseconds since the epoch.
    pub start_us: i64,
    /// Recorded end (start + time).
    pub end_us: i64,
    /// The URL's `scheme://host:port`.
    pub origin: String,
    /// The URL's path and query.
    pub target: String,
    /// The response body, when it is JSON.
    pub response: Option<Value>,
}

/// The body of a response as JSON, base64 decoded when needed.
fn response_json(entry: &Entry) -> Option<Value> {
    let content = &entry.response.content;
    let text = content.text.as_deref()?;
    let bytes = if content.encoding.as_deref() == Some("base64") {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?
    } else {
        text.as_bytes().to_vec()
    };
    serde_json::from_slice(&bytes).ok()
}

/// Where an entry is, for parsing it: its index among the capture's entries, its file, and
/// how messages name it.
pub(super) struct EntryAt {
    /// Index among the capture's entries.
    pub index: usize,
    /// Which file.
    pub file: usize,
    /// How messages name it.
    pub label: String,
}

/// Parses an entry's timing and URL, and the file's precision (digits of a second); `Err`
/// says what is wrong with it.
pub(super) fn parse(at: EntryAt, entry: &Entry) -> Result<(Parsed<'_>, u32), String> {
    let EntryAt { index, file, label } = at;
    let at = |what: &str| {
        format!(
            "{label} ({} {}): {what}",
            entry.request.method, entry.request.url
        )
    };
    let (start_us, digits) = parse_rfc3339_micros(&entry.started_date_time).ok_or_else(|| {
        at(&format!(
            "startedDateTime {:?} is not an RFC 3339 date-time",
            entry.started_date_time
        ))
    })?;
    if entry.request.method.is_empty()
        || !entry
            .request
            .method
            .bytes()
            .all(|b| b.is_ascii_alphabetic())
    {
        return Err(at("the request has no valid method"));
    }
    let url = reqwest::Url::parse(&entry.request.url)
        .map_err(|e| at(&format!("the URL is not absolute ({e})")))?;
    let origin = url.origin().ascii_serialization();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let time_us = if entry.time.is_finite() && entry.time > 0.0 {
        (entry.time * 1000.0).round() as i64
    } else {
        0
    };
    Ok((
        Parsed {
            index,
            file,
            label,
            entry,
            seq: entry.gws_seq.unwrap_or(index as u64),
            start_us,
            end_us: start_us.saturating_add(time_us),
            origin,
            target,
            response: response_json(entry),
        },
        digits,
    ))
}
