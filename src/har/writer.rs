//! [`HarWriter`]: a HAR recording written as the exchanges complete, nothing captured held in
//! memory. Where it goes decides how ([`crate::output::Destination`]):
//!
//! - **A regular file, or a new one**: a temporary file beside it (`.{name}.{pid}.{n}.tmp`)
//!   starts as a complete HAR document with no entries. Each entry is written with one `write`
//!   call at the end of the entries array, together with the closing tail (`]`, the log's
//!   status, `}}`, padded with spaces so that closing the file never needs new space) it
//!   overwrites, so after every append the temporary file is again a whole, parseable HAR
//!   document. [`HarWriter::finish`] writes the final tail, syncs the file and renames it over
//!   the destination (at the path its symlinks lead to), so a reader of the destination never
//!   sees a partial file. If the process dies before that (a `kill -9`), the temporary file is
//!   still a valid HAR holding every entry up to the last one written, marked
//!   `"_gwsStatus": "recording"`.
//! - **A stream** (`-`, a FIFO, a device, a socket, a process's open file such as
//!   `/dev/stdout`): written in order, never rewritten, since a pipe cannot be. The head goes
//!   out with the first entry, each entry follows as it completes, and the closing tail only
//!   at [`HarWriter::finish`]. The reader gets one valid HAR document, but only when the
//!   recording ends; until then, or for good if the process is killed, it holds the document's
//!   beginning. That is the price of streaming with nothing held back: valid at every moment
//!   would mean holding the whole capture until the end, and the proxy runs for days. Sending
//!   the head with the first entry means a stream that refuses every write (a full device)
//!   shows as exchanges lost, each counted, like any other failing destination. If a write fails
//!   after part of it went out, the stream can no longer become valid HAR: nothing more is
//!   written to it, and every later entry counts as lost.
//!
//! A recording that could not write every entry (a full disk, a file size limit, a reader gone)
//! is never marked `complete`: it ends `incomplete`, with the number of lost exchanges and the
//! first failure in the log's comment, and `finish` returns [`RecordError::Lost`]. The loss is
//! also said when it happens: a warning on stderr at the first failed write (once: a full disk
//! fails every write after it; `finish` gives the count).

use std::fs::File;
use std::io::{ErrorKind, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::capture::{Capture, CaptureSink};
use super::model::{Creator, Entry, HAR_VERSION};
use crate::output::{Destination, Opened, Temporary, shown};

/// How a recording ended, as the command saw it; written into the log as `_gwsStatus` and
/// `comment`, unless exchanges were lost (then the status is `incomplete`).
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

impl Ending {
    /// `_gwsStatus` and the log's comment.
    fn status(self) -> (&'static str, &'static str) {
        match self {
            Self::Complete => ("complete", "recording complete"),
            Self::Interrupted => (
                "interrupted",
                "recording interrupted: requests still in flight then are not included",
            ),
            Self::Stopped => (
                "stopped",
                "capture stopped: requests still in flight then (held long-polls) are not included",
            ),
        }
    }
}

/// `_gwsStatus` and comment of a temporary file still being written.
const IN_PROGRESS: (&str, &str) = (
    "recording",
    "in progress: this is the temporary file of a recording still being written",
);

/// The room the tail of a temporary file takes, whitespace-padded: the closing tail is written
/// over it, so closing a recording whose disk is full (or whose size limit is reached) needs
/// no new space, and an `incomplete` recording can still say so.
const TAIL_ROOM: usize = 512;

/// The tail of a temporary file still being written, padded to [`TAIL_ROOM`].
fn in_progress_tail() -> String {
    let tail = tail(IN_PROGRESS);
    format!("{tail}{:1$}", "", TAIL_ROOM.saturating_sub(tail.len()))
}

/// Why a recording could not be written completely.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The destination could not be opened, or the file written, synced or closed.
    #[error("cannot write the recording {path}: {source}")]
    Io {
        /// The file concerned.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The finished recording could not be moved to its destination; it is in the temporary
    /// file.
    #[error("cannot move the recording to {destination}: {source}; it is in {temporary}")]
    Rename {
        /// The finished recording.
        temporary: String,
        /// Where it should have gone.
        destination: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Some exchanges could not be written: the recording is not marked complete.
    #[error(
        "{path}: {lost} exchange(s) could not be recorded, {recorded} were (first failure: \
         {first}); {closing}"
    )]
    Lost {
        /// The recording.
        path: String,
        /// How many exchanges are missing.
        lost: u64,
        /// How many are in it.
        recorded: u64,
        /// The first failure.
        first: String,
        /// How the recording was closed: marked `incomplete`, or why it could not be.
        closing: String,
    },
    /// [`HarWriter::finish`] was already called.
    #[error("the recording {path} is already finished")]
    Finished {
        /// The recording.
        path: String,
    },
}

/// Where the document goes while entries can still be appended.
enum Out {
    /// A regular file's recording: the temporary file, valid after every entry.
    Rewritten {
        temporary: Temporary,
        /// Where the entries array ends, i.e. where the tail starts.
        entries_end: u64,
    },
    /// A stream: written in order, the tail only at the end.
    Streamed(Stream),
}

/// A destination written in order (stdout, a FIFO, a device, a socket).
struct Stream {
    file: File,
    /// The document's beginning, until it has gone out with the first write.
    head: Option<String>,
    /// A write failed part-way: the document cannot be completed, nothing more is sent.
    broken: bool,
}

/// The state while entries can still be appended.
struct Open {
    out: Out,
    entries: u64,
    lost: u64,
    first_failure: Option<String>,
}

/// A HAR recording being written. Shared by every actor or connection (`Arc<HarWriter>`);
/// appends are serialised by a mutex around one write each.
pub struct HarWriter {
    destination: PathBuf,
    temporary: Option<PathBuf>,
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

/// The closing part of the document with this status and comment.
fn tail((status, comment): (&str, &str)) -> String {
    // The comment may quote an OS error message: serialised, not pasted.
    let comment = serde_json::Value::from(comment);
    format!("\n],\"comment\":{comment},\"_gwsStatus\":\"{status}\"}}}}\n")
}

impl HarWriter {
    /// Starts a recording that will end up at `destination` (`-` for standard output);
    /// `comment` says what made it (it becomes `log.creator.comment`). Fails if the destination
    /// cannot be opened (nor, for a regular file, the temporary file created and written).
    pub fn create(destination: &Path, comment: &str) -> Result<Self, RecordError> {
        let io = |path: &Path, source| RecordError::Io {
            path: shown(path),
            source,
        };
        let creator = Creator {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            comment: Some(comment.to_owned()),
        };
        let creator = serde_json::to_string(&creator).map_err(|e| io(destination, e.into()))?;
        let head = format!(
            "{{\"log\":{{\"version\":\"{HAR_VERSION}\",\"creator\":{creator},\"pages\":[],\"entries\":["
        );
        let opened = Destination::of(destination)
            .and_then(|d| d.open())
            .map_err(|e| io(destination, e))?;
        let (out, temporary) = match opened {
            Opened::Temporary(mut temporary) => {
                let start = format!("{head}{}", in_progress_tail());
                if let Err(source) = temporary.file.write_all(start.as_bytes()) {
                    let error = io(temporary.path(), source);
                    temporary.discard();
                    return Err(error);
                }
                let path = temporary.path().to_owned();
                let entries_end = head.len() as u64;
                (
                    Out::Rewritten {
                        temporary,
                        entries_end,
                    },
                    Some(path),
                )
            }
            Opened::Stream(file) => (
                Out::Streamed(Stream {
                    file,
                    head: Some(head),
                    broken: false,
                }),
                None,
            ),
        };
        Ok(Self {
            destination: destination.to_owned(),
            temporary,
            state: Mutex::new(Some(Open {
                out,
                entries: 0,
                lost: 0,
                first_failure: None,
            })),
        })
    }

    /// Where the finished recording goes, as given.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// The temporary file being written (valid HAR after every append) until
    /// [`finish`](Self::finish); `None` when the recording is streamed to its destination.
    pub fn temporary_path(&self) -> Option<&Path> {
        self.temporary.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, Option<Open>> {
        // Every update leaves the state consistent before anything can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one entry (ignored once the recording is finished: those are requests that were
    /// in flight when it was interrupted). A failed write is warned about, counted and reported
    /// by [`finish`](Self::finish).
    fn append(&self, entry: &Entry) {
        // Serialised outside the lock: concurrent actors only queue for the write itself.
        let json = serde_json::to_string(entry);
        let mut state = self.lock();
        let Some(open) = state.as_mut() else {
            return;
        };
        let separator = if open.entries == 0 { "\n" } else { ",\n" };
        let written = json
            .map_err(|e| e.to_string())
            .and_then(|json| open.out.append(separator, &json).map_err(|e| e.to_string()));
        match written {
            Ok(()) => open.entries += 1,
            Err(error) => open.failed(&self.destination, error),
        }
    }

    /// Closes the document (as `ending` says, or `incomplete` if exchanges were lost) and, for
    /// a regular file, syncs it and renames it over the destination. Entries arriving
    /// afterwards are dropped. Returns the number of entries.
    pub fn finish(&self, ending: Ending) -> Result<u64, RecordError> {
        let destination = shown(&self.destination);
        // Held until the file is in place, so a concurrent `finish` (Ctrl-C arriving while the
        // run ends normally) returns only once the recording is at its destination.
        let mut state = self.lock();
        let Some(open) = state.take() else {
            return Err(RecordError::Finished { path: destination });
        };
        let closing = match &open.first_failure {
            None => tail(ending.status()),
            Some(first) => {
                let mut comment = format!(
                    "recording incomplete: {} exchange(s) could not be written (first failure: \
                     {first})",
                    open.lost
                );
                if ending != Ending::Complete {
                    comment = format!("{comment}; {}", ending.status().1);
                }
                tail(("incomplete", &comment))
            }
        };
        let closed = open.out.close(&closing, &destination);
        match (open.first_failure, closed) {
            (None, Ok(())) => Ok(open.entries),
            (None, Err(e)) => Err(e),
            (Some(first), closed) => Err(RecordError::Lost {
                path: destination,
                lost: open.lost,
                recorded: open.entries,
                first,
                closing: match closed {
                    Ok(()) => "it is marked incomplete".to_owned(),
                    Err(e) => format!("nor could it be closed: {e}"),
                },
            }),
        }
    }
}

impl Out {
    /// Writes one entry, `separator` before it.
    fn append(&mut self, separator: &str, json: &str) -> std::io::Result<()> {
        match self {
            Self::Rewritten {
                temporary,
                entries_end,
            } => {
                let in_progress = in_progress_tail();
                let chunk = format!("{separator}{json}{in_progress}");
                if let Err(e) = write_at(&mut temporary.file, *entries_end, chunk.as_bytes()) {
                    // Part of the chunk may have landed (a size limit cuts a write short): the
                    // tail goes back and the rest is cut off, so the file stays valid. Should
                    // that fail too, `finish` writes the tail again.
                    let end = *entries_end + in_progress.len() as u64;
                    let _ = write_at(&mut temporary.file, *entries_end, in_progress.as_bytes())
                        .and_then(|()| temporary.file.set_len(end));
                    return Err(e);
                }
                *entries_end += (separator.len() + json.len()) as u64;
                Ok(())
            }
            Self::Streamed(stream) => stream.send(&format!("{separator}{json}")),
        }
    }

    /// Writes the closing tail; a regular file's is synced and renamed into place.
    fn close(self, closing: &str, destination: &str) -> Result<(), RecordError> {
        match self {
            Self::Rewritten {
                mut temporary,
                entries_end,
            } => {
                let path = temporary.path().display().to_string();
                write_at(&mut temporary.file, entries_end, closing.as_bytes())
                    .and_then(|()| temporary.file.set_len(entries_end + closing.len() as u64))
                    .and_then(|()| temporary.file.sync_all())
                    .map_err(|source| RecordError::Io {
                        path: path.clone(),
                        source,
                    })?;
                temporary
                    .rename_over_target()
                    .map_err(|source| RecordError::Rename {
                        temporary: path,
                        destination: destination.to_owned(),
                        source,
                    })
            }
            Self::Streamed(mut stream) => stream.send(closing).map_err(|source| RecordError::Io {
                path: destination.to_owned(),
                source,
            }),
        }
    }
}

impl Stream {
    /// Writes `text`, after the head if it has not gone out yet.
    fn send(&mut self, text: &str) -> std::io::Result<()> {
        if self.broken {
            return Err(std::io::Error::other(
                "an earlier write failed part-way, the stream is not written to any more",
            ));
        }
        let bytes = match self.head.as_deref() {
            Some(head) => format!("{head}{text}"),
            None => text.to_owned(),
        };
        match write_counted(&mut self.file, bytes.as_bytes()) {
            Ok(()) => {
                self.head = None;
                Ok(())
            }
            // Nothing went out: the document is as it was, later writes may still land.
            Err((0, e)) => Err(e),
            Err((_, e)) => {
                self.broken = true;
                Err(e)
            }
        }
    }
}

impl Open {
    fn failed(&mut self, destination: &Path, error: String) {
        self.lost += 1;
        if self.first_failure.is_none() {
            // Said when it happens (a capture may run for days before `finish` counts the
            // losses), and once: a full disk fails every write after it.
            eprintln!(
                "warning: {}: an exchange could not be recorded ({error}); the recording will \
                 not be marked complete, and the exchanges lost are counted at the end",
                shown(destination)
            );
            self.first_failure = Some(error);
        }
    }
}

fn write_at(file: &mut File, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
}

/// Writes all of `bytes`; on failure, also says how many went out (`write_all` does not).
fn write_counted(stream: &mut File, bytes: &[u8]) -> Result<(), (usize, std::io::Error)> {
    let mut sent = 0;
    while sent < bytes.len() {
        match stream.write(&bytes[sent..]) {
            Ok(0) => return Err((sent, ErrorKind::WriteZero.into())),
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err((sent, e)),
        }
    }
    Ok(())
}

impl CaptureSink for HarWriter {
    fn capture(&self, capture: Capture) {
        self.append(&Entry::from_capture(&capture));
    }
}

impl Drop for HarWriter {
    /// A writer dropped without [`finish`](HarWriter::finish) (an error path) still closes what
    /// it wrote, marked interrupted; one that got no exchange (the command failed before
    /// anything ran) leaves no file and writes nothing to a stream.
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        let got_nothing = state.as_ref().is_some_and(|o| o.entries + o.lost == 0);
        if got_nothing {
            if let Some(Open {
                out: Out::Rewritten { temporary, .. },
                ..
            }) = state.take()
            {
                temporary.discard();
            }
        } else if state.is_some()
            && let Err(e) = self.finish(Ending::Interrupted)
        {
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
        let temporary = writer.temporary_path().unwrap().to_owned();
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
        assert_eq!(writer.finish(Ending::Interrupted).unwrap(), 200);
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
    fn a_writer_dropped_empty_leaves_no_file() {
        let dir = dir("dropped-empty");
        let destination = dir.join("out.har");
        let writer = HarWriter::create(&destination, "test").unwrap();
        let temporary = writer.temporary_path().unwrap().to_owned();
        drop(writer);
        assert!(!temporary.exists() && !destination.exists());
    }

    /// Makes a character device `major:minor` at `path` (a twin of /dev/null or /dev/full
    /// inside the test's own directory); `false` when this process may not (not root).
    fn mknod(path: &Path, major: u32, minor: u32) -> bool {
        std::process::Command::new("mknod")
            .arg(path)
            .args(["c", &major.to_string(), &minor.to_string()])
            .status()
            .is_ok_and(|s| s.success())
    }

    #[test]
    fn a_fifo_gets_one_valid_document_streamed_and_stays_a_fifo() {
        use std::os::unix::fs::FileTypeExt;
        let dir = dir("fifo");
        let fifo = dir.join("out.har");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        let writer = HarWriter::create(&fifo, "test").unwrap();
        assert!(writer.temporary_path().is_none());
        for n in 0..3 {
            writer.capture(capture(n));
        }
        assert_eq!(writer.finish(Ending::Complete).unwrap(), 3);
        drop(writer);
        let har: Har = serde_json::from_str(&reader.join().unwrap()).unwrap();
        assert_eq!(har.log.gws_status.as_deref(), Some("complete"));
        assert_eq!(har.log.entries.len(), 3);
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file"
        );
    }

    #[test]
    fn a_device_refusing_every_write_loses_the_exchanges_and_is_never_complete() {
        let dir = dir("full");
        let full = dir.join("full");
        if !mknod(&full, 1, 7) {
            eprintln!("skipped: mknod needs root");
            return;
        }
        let writer = HarWriter::create(&full, "test").unwrap();
        for n in 0..4 {
            writer.capture(capture(n));
        }
        let error = writer.finish(Ending::Complete).unwrap_err();
        let RecordError::Lost { lost, recorded, .. } = &error else {
            panic!("{error}");
        };
        assert_eq!((*lost, *recorded), (4, 0));
        let message = error.to_string();
        assert!(
            message.contains("4 exchange(s) could not be recorded"),
            "{message}"
        );
        assert!(message.contains("nor could it be closed"), "{message}");
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::metadata(&full)
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }

    #[test]
    fn a_device_is_sent_nothing_before_the_first_entry_and_taking_every_write_is_complete() {
        let dir = dir("null");
        let null = dir.join("null");
        if !mknod(&null, 1, 3) {
            eprintln!("skipped: mknod needs root");
            return;
        }
        let writer = HarWriter::create(&null, "test").unwrap();
        {
            let state = writer.lock();
            let Some(Open {
                out: Out::Streamed(stream),
                ..
            }) = state.as_ref()
            else {
                panic!("a device is streamed to");
            };
            assert!(stream.head.is_some(), "the head waits for the first entry");
        }
        writer.capture(capture(0));
        assert_eq!(writer.finish(Ending::Complete).unwrap(), 1);
    }

    #[test]
    fn an_unwritable_destination_fails_at_creation() {
        let dir = dir("unwritable");
        let error = HarWriter::create(&dir.join("missing/out.har"), "test").unwrap_err();
        assert!(error.to_string().contains("cannot write the recording"));
    }
}
