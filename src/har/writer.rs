//! [`HarWriter`]: a HAR file written as the exchanges complete, always valid, renamed into place
//! at the end.
//!
//! The file is created next to the destination as `.{name}.{pid}.{n}.tmp` and starts as a
//! complete HAR document with no entries. Each entry is written with one `write` call at the
//! end of the entries array, together with the closing tail (`]`, the log's status, `}}`) it
//! overwrites, so after every append the temporary file is again a whole, parseable HAR
//! document, and nothing captured is ever held in memory. [`HarWriter::finish`] writes the final
//! tail (`complete` or `interrupted`), syncs the file and renames it over the destination, so a
//! reader of the destination never sees a partial file. If the process dies before that (a
//! `kill -9`), the temporary file is still a valid HAR holding every entry up to the last one
//! written, marked `"_gwsStatus": "recording"`.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::capture::{Capture, CaptureSink};
use super::model::{Creator, Entry, HAR_VERSION};
use crate::report::temporary_beside;

/// How a recording ended, written into the log as `_gwsStatus` and `comment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Everything was recorded.
    Complete,
    /// Stopped early (Ctrl-C during a run, or the writer dropped without finishing): requests
    /// still in flight were not recorded.
    Interrupted,
    /// A capture with no natural end (the proxy) was stopped: requests still in flight then (a
    /// held long-poll) were not recorded.
    Stopped,
}

/// Why a recording could not be written completely.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The file could not be created, written, synced or renamed.
    #[error("cannot write the recording {path}: {source}")]
    Io {
        /// The file concerned.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The recording was written, but some entries could not be.
    #[error("{path}: {lost} exchange(s) could not be recorded (first: {first})")]
    Lost {
        /// The recording.
        path: String,
        /// How many entries are missing.
        lost: u64,
        /// The first failure.
        first: String,
    },
    /// [`HarWriter::finish`] was already called.
    #[error("the recording {path} is already finished")]
    Finished {
        /// The recording.
        path: String,
    },
}

/// The state while entries can still be appended.
struct Open {
    file: File,
    /// Where the entries array ends, i.e. where the tail starts.
    entries_end: u64,
    entries: u64,
    lost: u64,
    first_failure: Option<String>,
}

/// A HAR file being recorded. Shared by every actor or connection (`Arc<HarWriter>`); appends
/// are serialised by a mutex around one write each.
pub struct HarWriter {
    destination: PathBuf,
    temporary: PathBuf,
    state: Mutex<Option<Open>>,
}

impl std::fmt::Debug for HarWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HarWriter")
            .field("destination", &self.destination)
            .field("temporary", &self.temporary)
            .finish_non_exhaustive()
    }
}

/// The closing part of the document for a given status.
fn tail(status: Option<Ending>) -> String {
    let (status, comment) = match status {
        None => (
            "recording",
            "incomplete: this is the temporary file of a recording in progress",
        ),
        Some(Ending::Complete) => ("complete", "recording complete"),
        Some(Ending::Interrupted) => (
            "interrupted",
            "recording interrupted: requests still in flight then are not included",
        ),
        Some(Ending::Stopped) => (
            "stopped",
            "capture stopped: requests still in flight then (held long-polls) are not included",
        ),
    };
    format!("\n],\"comment\":\"{comment}\",\"_gwsStatus\":\"{status}\"}}}}\n")
}

impl HarWriter {
    /// Starts a recording that will end up at `destination`; `comment` says what made it (it
    /// becomes `log.creator.comment`). Fails if the temporary file cannot be created.
    pub fn create(destination: &Path, comment: &str) -> Result<Self, RecordError> {
        let temporary = temporary_beside(destination);
        let io = |source| RecordError::Io {
            path: temporary.display().to_string(),
            source,
        };
        let creator = Creator {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            comment: Some(comment.to_owned()),
        };
        let creator = serde_json::to_string(&creator).map_err(|e| io(e.into()))?;
        let head = format!(
            "{{\"log\":{{\"version\":\"{HAR_VERSION}\",\"creator\":{creator},\"pages\":[],\"entries\":["
        );
        let mut file = File::create(&temporary).map_err(io)?;
        let written = file.write_all(format!("{head}{}", tail(None)).as_bytes());
        if let Err(source) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(io(source));
        }
        Ok(Self {
            destination: destination.to_owned(),
            state: Mutex::new(Some(Open {
                file,
                entries_end: head.len() as u64,
                entries: 0,
                lost: 0,
                first_failure: None,
            })),
            temporary,
        })
    }

    /// Where the finished recording goes.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// The file being written (valid HAR after every append), until [`finish`](Self::finish).
    pub fn temporary_path(&self) -> &Path {
        &self.temporary
    }

    /// Entries written so far.
    pub fn entries(&self) -> u64 {
        self.lock().as_ref().map_or(0, |open| open.entries)
    }

    fn lock(&self) -> MutexGuard<'_, Option<Open>> {
        // Every update leaves the state consistent before anything can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one entry (ignored once the recording is finished: those are requests that were
    /// in flight when it was interrupted). A failed write is counted and reported by
    /// [`finish`](Self::finish); the tail is put back so the file stays valid.
    fn append(&self, entry: &Entry) {
        // Serialised outside the lock: concurrent actors only queue for the write itself.
        let json = serde_json::to_string(entry);
        let mut state = self.lock();
        let Some(open) = state.as_mut() else {
            return;
        };
        let json = match json {
            Ok(json) => json,
            Err(e) => return open.failed(e.to_string()),
        };
        let separator = if open.entries == 0 { "\n" } else { ",\n" };
        let chunk = format!("{separator}{json}{}", tail(None));
        match write_at(&mut open.file, open.entries_end, chunk.as_bytes()) {
            Ok(()) => {
                open.entries_end += (separator.len() + json.len()) as u64;
                open.entries += 1;
            }
            Err(e) => {
                let _ = write_at(&mut open.file, open.entries_end, tail(None).as_bytes());
                open.failed(e.to_string());
            }
        }
    }

    /// Closes the document with `ending`, syncs it and renames it over the destination. Entries
    /// arriving afterwards are dropped. Returns the number of entries.
    pub fn finish(&self, ending: Ending) -> Result<u64, RecordError> {
        let destination = self.destination.display().to_string();
        let Some(mut open) = self.lock().take() else {
            return Err(RecordError::Finished { path: destination });
        };
        let temporary = self.temporary.display().to_string();
        let tail = tail(Some(ending));
        let closed = write_at(&mut open.file, open.entries_end, tail.as_bytes())
            .and_then(|()| open.file.set_len(open.entries_end + tail.len() as u64))
            .and_then(|()| open.file.sync_all());
        closed.map_err(|source| RecordError::Io {
            path: temporary,
            source,
        })?;
        drop(open.file);
        std::fs::rename(&self.temporary, &self.destination).map_err(|source| RecordError::Io {
            path: destination.clone(),
            source,
        })?;
        match open.first_failure {
            Some(first) => Err(RecordError::Lost {
                path: destination,
                lost: open.lost,
                first,
            }),
            None => Ok(open.entries),
        }
    }
}

impl Open {
    fn failed(&mut self, error: String) {
        self.lost += 1;
        self.first_failure.get_or_insert(error);
    }
}

fn write_at(file: &mut File, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
}

impl CaptureSink for HarWriter {
    fn capture(&self, capture: Capture) {
        self.append(&Entry::from_capture(&capture));
    }
}

impl Drop for HarWriter {
    /// A writer dropped without [`finish`](HarWriter::finish) (an error path) still leaves its
    /// entries at the destination, marked interrupted.
    fn drop(&mut self) {
        // The guard must be released before `finish` takes the lock again.
        let unfinished = self.lock().is_some();
        if unfinished && let Err(e) = self.finish(Ending::Interrupted) {
            tracing::warn!("{e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::har::model::Har;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "gws-conform-har-writer-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn capture(n: usize) -> Capture {
        let mut capture = Capture::start("GET", &format!("http://h/api/v2/me?n={n}"), "HTTP/1.1");
        capture.request_headers = vec![("Authorization".into(), "Basic c2VjcmV0".into())];
        capture
    }

    fn read(path: &Path) -> Har {
        Har::read(path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_temporary_file_is_valid_after_every_append_and_is_renamed_at_the_end() {
        let dir = dir("valid");
        let destination = dir.join("out.har");
        let writer = HarWriter::create(&destination, "test").unwrap();
        let temporary = writer.temporary_path().to_owned();
        assert!(temporary.starts_with(&dir));
        assert_eq!(read(&temporary).log.entries.len(), 0);
        for n in 0..3 {
            writer.capture(capture(n));
            let har = read(&temporary);
            assert_eq!(har.log.entries.len(), n + 1);
            assert_eq!(har.log.gws_status.as_deref(), Some("recording"));
            assert!(
                !destination.exists(),
                "nothing at the destination before finish"
            );
        }
        assert_eq!(writer.finish(Ending::Complete).unwrap(), 3);
        assert!(!temporary.exists());
        let har = read(&destination);
        assert_eq!(har.log.version, "1.2");
        assert_eq!(har.log.creator.name, "gws-conform");
        assert_eq!(har.log.gws_status.as_deref(), Some("complete"));
        assert_eq!(har.log.entries.len(), 3);
        assert_eq!(har.log.entries[2].request.query_string[0].value, "2");
        let text = std::fs::read_to_string(&destination).unwrap();
        assert!(!text.contains("c2VjcmV0"), "credentials are redacted");
        // Late entries (requests in flight at the end) are dropped, and finish is once only.
        writer.capture(capture(9));
        assert!(matches!(
            writer.finish(Ending::Complete),
            Err(RecordError::Finished { .. })
        ));
        assert_eq!(read(&destination).log.entries.len(), 3);
    }

    #[test]
    fn concurrent_appends_all_land_and_an_interrupted_file_says_so() {
        let dir = dir("concurrent");
        let destination = dir.join("out.har");
        let writer = Arc::new(HarWriter::create(&destination, "test").unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for n in 0..25 {
                        writer.capture(capture(t * 100 + n));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(writer.entries(), 200);
        writer.finish(Ending::Interrupted).unwrap();
        let har = read(&destination);
        assert_eq!(har.log.entries.len(), 200);
        assert_eq!(har.log.gws_status.as_deref(), Some("interrupted"));
        let mut seqs: Vec<u64> = har.log.entries.iter().filter_map(|e| e.gws_seq).collect();
        seqs.sort_unstable();
        seqs.dedup();
        assert_eq!(seqs.len(), 200, "every entry has its own start order");
    }

    #[test]
    fn a_dropped_writer_still_leaves_its_entries() {
        let dir = dir("dropped");
        let destination = dir.join("out.har");
        let writer = HarWriter::create(&destination, "test").unwrap();
        writer.capture(capture(0));
        drop(writer);
        let har = read(&destination);
        assert_eq!(har.log.entries.len(), 1);
        assert_eq!(har.log.gws_status.as_deref(), Some("interrupted"));
    }

    #[test]
    fn an_unwritable_destination_fails_at_creation() {
        let dir = dir("unwritable");
        let error = HarWriter::create(&dir.join("missing/out.har"), "test").unwrap_err();
        assert!(error.to_string().contains("cannot write the recording"));
    }
}
