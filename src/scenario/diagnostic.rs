//! Load errors that point into the scenario file: `file:line:col`, the message, a "did you
//! mean" hint, and a snippet rendered by miette.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};
use serde_saphyr::Location;

use super::model::Position;

/// One problem found while loading scenarios.
#[derive(Debug, Clone)]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// Where in it, when known.
    pub position: Option<Position>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when we can tell.
    pub help: Option<String>,
    source: Option<Arc<str>>,
}

impl LoadError {
    /// An error at a position of a file whose text is `source`.
    pub fn at(
        file: &Path,
        source: &Arc<str>,
        position: Option<Position>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_owned(),
            position: position.filter(|p| p.line > 0),
            message: message.into(),
            help: None,
            source: Some(source.clone()),
        }
    }

    /// An error about a whole file (unreadable, not UTF-8, ...).
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            position: None,
            message: message.into(),
            help: None,
            source: None,
        }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        let help = help.into();
        if !help.is_empty() {
            self.help = Some(help);
        }
        self
    }

    /// `file:line:col` (or just `file`).
    pub fn location(&self) -> String {
        match self.position {
            Some(p) => format!("{}:{}:{}", self.file.display(), p.line, p.column),
            None => self.file.display().to_string(),
        }
    }
}

impl From<Location> for Position {
    fn from(location: Location) -> Self {
        Position {
            line: location.line() as u32,
            column: location.column() as u32,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// The byte offset of a 1-based line and (character) column in `text`.
fn byte_offset(text: &str, position: Position) -> Option<usize> {
    let mut line_start = 0;
    for _ in 1..position.line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line = &text[line_start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let column = position.column.saturating_sub(1) as usize;
    let within = line
        .char_indices()
        .nth(column)
        .map_or(line.len(), |(i, _)| i);
    Some(line_start + within)
}

/// The source as the snippet may show it: control characters (a NUL, an escape sequence) are
/// replaced by their visible Unicode symbols, one character each so columns still match, and
/// never reach the terminal. Line breaks and tabs stay.
fn visible(text: &Arc<str>) -> Arc<str> {
    let hidden = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if !text.chars().any(hidden) {
        return text.clone();
    }
    text.chars()
        .map(|c| match c {
            _ if !hidden(c) => c,
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            _ => '\u{fffd}',
        })
        .collect::<String>()
        .into()
}

impl Diagnostic for LoadError {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        None
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        None
    }
}

/// A LoadError paired with its named source, so miette can show the snippet.
pub struct WithSource<'e> {
    error: &'e LoadError,
    source: NamedSource<Arc<str>>,
    offset: usize,
}

impl LoadError {
    /// The error with its source attached, for miette's renderers (None without a position).
    pub fn with_source(&self) -> Option<WithSource<'_>> {
        let text = visible(self.source.as_ref()?);
        let offset = byte_offset(&text, self.position?)?;
        Some(WithSource {
            error: self,
            source: NamedSource::new(self.file.display().to_string(), text).with_language("yaml"),
            offset,
        })
    }

    /// The error with its snippet, as shown on a terminal (no colours).
    pub fn render(&self) -> String {
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_context_lines(1);
        let mut out = String::new();
        let rendered = match self.with_source() {
            Some(diagnostic) => handler.render_report(&mut out, &diagnostic),
            None => handler.render_report(&mut out, self),
        };
        match rendered {
            Ok(()) => out,
            Err(_) => self.to_string(),
        }
    }
}

impl fmt::Debug for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl fmt::Display for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error.message)
    }
}

impl std::error::Error for WithSource<'_> {}

impl Diagnostic for WithSource<'_> {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.error
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some("here".into()),
            self.offset,
            1,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_lines_and_characters() {
        let text = "ab\ncé d\nx";
        assert_eq!(byte_offset(text, Position { line: 1, column: 1 }), Some(0));
        assert_eq!(byte_offset(text, Position { line: 2, column: 3 }), Some(6));
        assert_eq!(byte_offset(text, Position { line: 3, column: 1 }), Some(9));
        assert_eq!(byte_offset(text, Position { line: 9, column: 1 }), None);
    }

    #[test]
    fn snippets_never_print_control_characters() {
        let source: Arc<str> = Arc::from("name: a\u{1b}[2J\u{0}b\n");
        let error = LoadError::at(
            Path::new("s.yaml"),
            &source,
            Some(Position { line: 1, column: 9 }),
            "bad",
        );
        let shown = error.render();
        assert!(!shown.contains(['\u{1b}', '\u{0}']), "{shown:?}");
        assert!(shown.contains("a\u{241b}[2J\u{2400}b"), "{shown}");
    }

    #[test]
    fn rendering_shows_location_snippet_and_help() {
        let source: Arc<str> = Arc::from("name: x\nactr: a\n");
        let error = LoadError::at(
            Path::new("s.yaml"),
            &source,
            Some(Position { line: 2, column: 1 }),
            "unknown field `actr`",
        )
        .with_help("did you mean `actor`?");
        assert_eq!(
            error.to_string(),
            "s.yaml:2:1: unknown field `actr` (did you mean `actor`?)"
        );
        let shown = error.render();
        assert!(shown.contains("s.yaml:2:1"), "{shown}");
        assert!(shown.contains("actr: a"), "{shown}");
        assert!(shown.contains("did you mean `actor`?"), "{shown}");
    }
}
