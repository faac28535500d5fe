//! What a command prints on standard output for a person or a pipeline to read (`run --list`,
//! `coverage`, `requirements`, `check-docs`, …): written through the locked standard output
//! handle, where `println!` would panic on a pipe closed early (`gws-conform run --list |
//! head -1`). A reader that went away ends the listing quietly: the rest is dropped and the
//! command's exit code stands, as `ls | head -1` behaves.

use std::fmt::Display;
use std::io::{self, ErrorKind, Write};

/// A command's listing on standard output, written line by line as it is made.
#[derive(Debug, Default)]
pub struct Listing {
    /// The reader closed the pipe: nothing more is written.
    closed: bool,
    /// The first write that failed otherwise (a full disk behind `>`), reported by
    /// [`Listing::finish`].
    failed: Option<io::Error>,
}

impl Listing {
    /// A listing on the process's standard output.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `text` and a newline.
    pub fn line(&mut self, text: impl Display) {
        self.text(format_args!("{text}\n"));
    }

    /// Writes `text` as it is, flushed at once (a line shows as it is made, e.g. a server's
    /// address before it starts serving).
    pub fn text(&mut self, text: impl Display) {
        if self.closed || self.failed.is_some() {
            return;
        }
        let mut out = io::stdout().lock();
        match write!(out, "{text}").and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::BrokenPipe => self.closed = true,
            Err(e) => self.failed = Some(e),
        }
    }

    /// Ends the listing: `Err` when standard output could not be written (a closed pipe is
    /// not that).
    pub fn finish(self) -> io::Result<()> {
        self.failed.map_or(Ok(()), Err)
    }
}
