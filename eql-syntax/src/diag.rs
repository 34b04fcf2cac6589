//! Diagnostics with byte spans, rendered like rustc's.

use crate::span::Span;
use std::fmt::Write as _;

/// An error found in a query, pointing at the offending source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, one line, no trailing period.
    pub message: String,
    /// Where (bytes of the query source).
    pub span: Span,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
    /// Extra context (rendered as `= note: …`).
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            message: message.into(),
            span,
            help: None,
            notes: Vec::new(),
        }
    }

    /// Adds a `help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a `note:` line.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Shifts the span by `by` bytes, for a query embedded at offset `by` of a larger file.
    pub fn offset(mut self, by: u32) -> Self {
        self.span = Span {
            start: self.span.start.saturating_add(by),
            end: self.span.end.saturating_add(by),
        };
        self
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// Largest char boundary of `src` not after `at` (clamped to the length).
fn floor_boundary(src: &str, at: usize) -> usize {
    let mut at = at.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Display width of a line prefix: tabs count 4 columns (they are printed as 4 spaces), every
/// other char counts one.
fn width(text: &str) -> usize {
    text.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

/// Renders diagnostics rustc-style, separated by blank lines. `path` names the source in the
/// `-->` line. Spans out of range or inside a char are clamped, never a panic.
pub fn render(diags: &[Diagnostic], path: &str, src: &str) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_one(&mut out, d, path, src);
    }
    out
}

fn render_one(out: &mut String, d: &Diagnostic, path: &str, src: &str) {
    let start = floor_boundary(src, d.span.start as usize);
    let end = floor_boundary(src, (d.span.end as usize).max(start));
    let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
    let line_no = src[..start].matches('\n').count() + 1;
    let line = src[line_start..line_end].trim_end_matches('\r');
    let col = src[line_start..start].chars().count() + 1;
    let gutter = line_no.to_string().len();
    let pad = " ".repeat(gutter);

    let _ = writeln!(out, "error: {}", d.message);
    let _ = writeln!(out, "{pad}--> {path}:{line_no}:{col}");
    let _ = writeln!(out, "{pad} |");
    let shown = line.replace('\t', "    ");
    let _ = writeln!(out, "{line_no} | {}", shown.trim_end());
    // Multi-line spans are underlined up to the end of their first line.
    let caret_end = end.min(line_start + line.len()).max(start);
    let lead = width(&src[line_start..start]);
    let carets = width(&src[start..caret_end]).max(1);
    let _ = writeln!(out, "{pad} | {}{}", " ".repeat(lead), "^".repeat(carets));
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{pad} = help: {help}");
    }
    for note in &d.notes {
        let _ = writeln!(out, "{pad} = note: {note}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rustc_style() {
        let src = "sequence\n  process where startWith(process.name, \"a\")";
        let at = src.find("startWith").unwrap_or(0);
        let d = Diagnostic::error("unknown function `startWith`", Span::new(at, at + 9))
            .with_help("did you mean `startsWith`?");
        let text = render(&[d], "rules/x.eql", src);
        assert_eq!(
            text,
            "error: unknown function `startWith`\n --> rules/x.eql:2:17\n  |\n2 |   process where startWith(process.name, \"a\")\n  |                 ^^^^^^^^^\n  = help: did you mean `startsWith`?\n"
        );
    }

    #[test]
    fn tabs_and_non_ascii_keep_the_caret_column() {
        let src = "\té é x";
        let at = src.find('x').unwrap_or(0);
        let text = render(&[Diagnostic::error("m", Span::new(at, at + 1))], "p", src);
        let lines: Vec<&str> = text.lines().collect();
        let code = lines[3];
        let caret = lines[4];
        let code_col = code.chars().position(|c| c == 'x');
        let caret_col = caret.chars().position(|c| c == '^');
        assert_eq!(code_col, caret_col);
    }

    #[test]
    fn hostile_spans_do_not_panic() {
        let src = "é\n\u{1F600}";
        for (s, e) in [
            (0, 1),
            (1, 2),
            (3, 100),
            (100, 0),
            (u32::MAX, u32::MAX),
            (5, 3),
        ] {
            let d = Diagnostic::error("m", Span { start: s, end: e });
            let text = render(std::slice::from_ref(&d), "p", src);
            assert!(text.starts_with("error: m\n"));
            let _ = render(&[d], "p", "");
        }
    }

    #[test]
    fn offset_shifts_and_saturates() {
        let d = Diagnostic::error("m", Span::new(1, 2)).offset(10);
        assert_eq!(d.span, Span::new(11, 12));
        let d = Diagnostic::error("m", Span::new(1, 2)).offset(u32::MAX);
        assert_eq!(d.span.start, u32::MAX);
    }
}
