//! HTTP Archive (HAR 1.2) recordings: the model (read and written), redaction, and the
//! streaming writer shared by `run --record` and the recording proxy.
//!
//! Recorders build a [`Capture`] per exchange (raw, secrets included) and hand it to a
//! [`CaptureSink`]; the [`HarWriter`] sink turns it into a redacted [`Entry`] and appends it
//! to the file at once. docs/recording.md describes the file format and its `_gws*` fields.
//! Readers of large captures take one entry at a time ([`read`]), as the writer writes them.

mod capture;
pub mod model;
pub mod read;
pub mod redact;
mod surrogates;
mod writer;

pub use capture::{
    Capture, CaptureSink, CapturedResponse, InFlight, Labels, header_pairs, next_seq,
};
pub use model::{Entry, Har};
pub use writer::{Ending, HarWriter, RecordError};
