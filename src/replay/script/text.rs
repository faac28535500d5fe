//! What the recording got back, kept within a memory budget ([`Store`]).
//!
//! A capture's notifications and response bodies are most of it, and a parsed [`Value`] takes
//! several times its text. A plan keeps them parsed while they fit a budget (a capture of a
//! few thousand entries: its replay parses nothing), and beyond it as compact text
//! ([`JsonText`]) in a temporary file ([`Spool`]) when one can be made: a replay reads each
//! back and parses it when it needs it, so a large capture takes disk (and the page cache the
//! system can reclaim), not the process's memory.

use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

/// Written to the file once this much text is waiting.
const FLUSH: usize = 1 << 20;

/// How much memory (estimated by [`weight`]) a plan's values may take parsed.
const PARSED_BUDGET: usize = 16 << 20;

/// About how many bytes `value` takes parsed, beyond its own slot: its strings, and the map
/// and array slots beneath it.
fn weight(value: &Value) -> usize {
    // A slot and a key (its string and, in a map, its hash and index).
    const SLOT: usize = 80;
    const KEY: usize = 48;
    match value {
        Value::String(text) => text.len(),
        Value::Array(items) => items.iter().map(|v| SLOT + weight(v)).sum(),
        Value::Object(map) => map
            .iter()
            .map(|(key, v)| SLOT + KEY + key.len() + weight(v))
            .sum(),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}

/// Where a plan keeps what the recording got back: parsed while [`PARSED_BUDGET`] lasts, then
/// as text in a [`Spool`] (in memory if none could be made).
#[derive(Debug)]
pub struct Store {
    spool: Option<Arc<Spool>>,
    /// What parsed values may still take.
    budget: usize,
}

impl Store {
    /// A store with the whole budget, and a spool if one can be made.
    pub fn new() -> Self {
        Self {
            spool: Spool::create(),
            budget: PARSED_BUDGET,
        }
    }

    /// Keeps `value`. A shared value within the budget is kept as it is, not copied: what
    /// the replay receives is held by its pairing too, and copying every notification was a
    /// good part of pairing's time.
    pub fn keep(&mut self, value: impl Into<Arc<Value>>) -> JsonText {
        let value = value.into();
        let weight = weight(&value);
        if weight <= self.budget {
            self.budget -= weight;
            return JsonText::from_stored(Stored::Parsed(value));
        }
        let text = value.to_string();
        JsonText::from_stored(match &self.spool {
            Some(spool) => Stored::Spooled {
                at: spool.put(text.as_bytes()),
                len: text.len(),
                spool: spool.clone(),
            },
            None => Stored::Memory(text.into_boxed_str()),
        })
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

/// An append-only temporary file of texts. On Unix it has no name once made, so it vanishes
/// when the last text stored in it is dropped, or the process ends, however it ends.
#[derive(Debug)]
pub struct Spool {
    file: File,
    /// Texts not written to the file yet.
    pending: Mutex<Pending>,
}

#[derive(Debug, Default)]
struct Pending {
    /// Where the file ends: `buffer` starts there.
    written: u64,
    buffer: Vec<u8>,
}

impl Spool {
    /// A new spool in the system's temporary directory, if one can be made there (else texts
    /// are kept in memory).
    pub fn create() -> Option<Arc<Self>> {
        Self::make().ok().map(Arc::new)
    }

    #[cfg(unix)]
    fn make() -> io::Result<Self> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static MADE: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "gws-conform-{}-{}.spool",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        std::fs::remove_file(&path)?;
        Ok(Self {
            file,
            pending: Mutex::default(),
        })
    }

    /// Elsewhere an open file cannot lose its name: texts stay in memory.
    #[cfg(not(unix))]
    fn make() -> io::Result<Self> {
        Err(io::ErrorKind::Unsupported.into())
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `text`; returns where it is. Texts the file does not take (a full disk) wait in
    /// memory, readable all the same, until a later write succeeds.
    fn put(&self, text: &[u8]) -> u64 {
        let mut pending = self.pending();
        let at = pending.written + pending.buffer.len() as u64;
        pending.buffer.extend_from_slice(text);
        if pending.buffer.len() >= FLUSH && self.write(&pending.buffer, pending.written).is_ok() {
            pending.written += pending.buffer.len() as u64;
            pending.buffer.clear();
        }
        at
    }

    /// The `len` bytes stored at `at`.
    fn get(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        {
            let pending = self.pending();
            if at >= pending.written {
                let start = (at - pending.written) as usize;
                let stored = pending.buffer.get(start..start + len);
                return stored
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| io::ErrorKind::UnexpectedEof.into());
            }
        }
        // What was written is never written again: no lock needed to read it.
        let mut bytes = vec![0; len];
        self.read(&mut bytes, at)?;
        Ok(bytes)
    }

    #[cfg(unix)]
    fn write(&self, bytes: &[u8], at: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(&self.file, bytes, at)
    }

    #[cfg(unix)]
    fn read(&self, bytes: &mut [u8], at: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, bytes, at)
    }

    #[cfg(not(unix))]
    fn write(&self, _: &[u8], _: u64) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }

    #[cfg(not(unix))]
    fn read(&self, _: &mut [u8], _: u64) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Where a value is.
#[derive(Debug, Clone)]
enum Stored {
    /// Parsed, within the store's budget.
    Parsed(Arc<Value>),
    /// As text, in memory.
    Memory(Box<str>),
    /// As text, in a spool.
    Spooled {
        spool: Arc<Spool>,
        at: u64,
        len: usize,
    },
}

/// A JSON value kept parsed or as its compact text ([`Store`]), and parsed where it is used:
/// by planning, once ([`JsonText::parse`]); by the replay of its group, which looks at it
/// again and again, once and then kept until the group is done ([`JsonText::value`],
/// [`JsonText::forget`]).
pub struct JsonText {
    stored: Stored,
    /// The value, parsed, while a replay uses it.
    parsed: Mutex<Option<Arc<Value>>>,
}

impl JsonText {
    /// `value`, as text kept in memory.
    pub fn new(value: &Value) -> Self {
        Self::from_stored(Stored::Memory(value.to_string().into_boxed_str()))
    }

    fn from_stored(stored: Stored) -> Self {
        Self {
            stored,
            parsed: Mutex::new(None),
        }
    }

    /// The text, read back from its spool if it is there.
    fn text(&self) -> io::Result<String> {
        match &self.stored {
            Stored::Parsed(value) => Ok(value.to_string()),
            Stored::Memory(text) => Ok(text.to_string()),
            Stored::Spooled { spool, at, len } => String::from_utf8(spool.get(*at, *len)?)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }

    /// The value: parsed anew, unless it is kept parsed.
    pub fn parse(&self) -> Arc<Value> {
        let parsed = match &self.stored {
            Stored::Parsed(value) => return value.clone(),
            Stored::Memory(text) => serde_json::from_str(text).map_err(io::Error::from),
            Stored::Spooled { spool, at, len } => spool
                .get(*at, *len)
                .and_then(|bytes| Ok(serde_json::from_slice(&bytes)?)),
        };
        // The text was written from a value, which serde_json always reads back (within its
        // nesting limit, which the value was read within in the first place); only a spool
        // the system lost can fail, which is no reason to panic: what differs is reported.
        Arc::new(parsed.unwrap_or_else(|e| {
            tracing::error!("a recorded body or notification cannot be read back: {e}");
            Value::Null
        }))
    }

    /// The value, parsed on the first call and kept until [`JsonText::forget`].
    pub fn value(&self) -> Arc<Value> {
        if let Stored::Parsed(value) = &self.stored {
            return value.clone();
        }
        let mut parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        parsed.get_or_insert_with(|| self.parse()).clone()
    }

    /// Drops the value [`JsonText::value`] kept.
    pub fn forget(&self) {
        *self.parsed.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

impl From<Value> for JsonText {
    fn from(value: Value) -> Self {
        Self::new(&value)
    }
}

impl Clone for JsonText {
    fn clone(&self) -> Self {
        Self::from_stored(self.stored.clone())
    }
}

impl PartialEq for JsonText {
    fn eq(&self, other: &Self) -> bool {
        self.text().ok() == other.text().ok()
    }
}

impl std::fmt::Debug for JsonText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.text() {
            Ok(text) => f.write_str(&text),
            Err(e) => write!(f, "(unreadable: {e})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_are_kept_parsed_within_the_budget_then_spooled_and_read_back() {
        let mut store = Store::new();
        let values: Vec<Value> = (0..3000)
            .map(|i| json!({"i": i, "pad": "x".repeat(i % 700)}))
            .collect();
        store.budget = weight(&values[0]) + weight(&values[1]);
        let texts: Vec<JsonText> = values.iter().map(|v| store.keep(v.clone())).collect();
        assert!(matches!(texts[1].stored, Stored::Parsed(_)));
        assert!(!matches!(texts[2].stored, Stored::Parsed(_)));
        if cfg!(unix) {
            assert!(matches!(texts[2].stored, Stored::Spooled { .. }));
            let pending = store.spool.as_ref().unwrap().pending();
            assert!(pending.written > 0 && !pending.buffer.is_empty());
        }
        for (text, value) in texts.iter().zip(&values) {
            assert_eq!(*text.parse(), *value);
            assert_eq!(*text.value(), *value);
            text.forget();
        }
    }

    #[test]
    fn the_parsed_value_is_kept_until_forgotten() {
        let text = JsonText::from(json!({"a": [1, 2]}));
        let (first, again) = (text.value(), text.value());
        assert!(Arc::ptr_eq(&first, &again));
        text.forget();
        assert!(!Arc::ptr_eq(&first, &text.value()));
        assert_eq!(text.clone(), text);
    }
}
