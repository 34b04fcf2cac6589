//! A lexical pre-pass: bracket nesting and unterminated strings or comments.
//!
//! It runs before pest for one reason (bounding nesting, so that the recursive parser and every
//! recursive pass over the tree stay within the stack on hostile input) and is consulted after a
//! pest failure for another: "unterminated string" and "unclosed `(`" explain a failure better
//! than the token pest expected at the far end of the input.

use crate::diag::Diagnostic;
use crate::span::Span;

/// Deepest bracket nesting accepted. Real rules stay below 10.
pub(crate) const MAX_NESTING: usize = 64;

/// What the pre-pass found.
pub(crate) struct Scan {
    /// Set when the nesting limit is exceeded: the query is not parsed at all.
    pub too_deep: Option<Diagnostic>,
    /// Lexical problems, reported when pest fails.
    pub lexical: Vec<Diagnostic>,
}

fn line_end(src: &[u8], from: usize) -> usize {
    src[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(src.len(), |i| from + i)
}

fn closer(open: u8) -> u8 {
    if open == b'(' {
        b')'
    } else {
        b']'
    }
}

/// `line:column` (1-based, columns in chars) of byte `at`.
fn line_col(src: &str, at: usize) -> String {
    let before = src.get(..at).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{line}:{col}")
}

/// Scans `src` (delimiters are ASCII, so a byte walk is safe for UTF-8).
pub(crate) fn scan(src: &str) -> Scan {
    let b = src.as_bytes();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut lexical = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => i = line_end(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => match src[i + 2..].find("*/") {
                Some(k) => i = i + 2 + k + 2,
                None => {
                    lexical.push(Diagnostic::error(
                        "unterminated block comment",
                        Span::new(i, i + 2),
                    ));
                    i = b.len();
                }
            },
            b'`' => {
                let mut j = i + 1;
                loop {
                    match b.get(j) {
                        None => {
                            lexical.push(Diagnostic::error(
                                "unterminated quoted field name",
                                Span::new(i, line_end(b, i)),
                            ));
                            break;
                        }
                        Some(b'`') if b.get(j + 1) == Some(&b'`') => j += 2,
                        Some(b'`') => break,
                        Some(_) => j += 1,
                    }
                }
                i = j + 1;
            }
            b'"' if src[i..].starts_with("\"\"\"") => match src[i + 3..].find("\"\"\"") {
                Some(k) => i = i + 3 + k + 3,
                None => {
                    lexical.push(
                        Diagnostic::error("unterminated raw string", Span::new(i, line_end(b, i)))
                            .with_help("raw strings end with `\"\"\"`"),
                    );
                    i = b.len();
                }
            },
            q @ (b'"' | b'\'') => {
                let mut j = i + 1;
                loop {
                    match b.get(j) {
                        None => {
                            lexical.push(
                                Diagnostic::error(
                                    "unterminated string",
                                    Span::new(i, line_end(b, i)),
                                )
                                .with_help("add the closing `\"`"),
                            );
                            break;
                        }
                        Some(b'\\') => j += 2,
                        Some(&c) if c == q => break,
                        Some(_) => j += 1,
                    }
                }
                i = j + 1;
            }
            open @ (b'(' | b'[') => {
                stack.push((open, i));
                if stack.len() > MAX_NESTING {
                    return Scan {
                        too_deep: Some(
                            Diagnostic::error("brackets nested too deeply", Span::new(i, i + 1))
                                .with_note(format!("at most {MAX_NESTING} levels are accepted")),
                        ),
                        lexical,
                    };
                }
                i += 1;
            }
            close @ (b')' | b']') => {
                match stack.pop() {
                    None => lexical.push(Diagnostic::error(
                        format!(
                            "unbalanced {}: unexpected `{}`",
                            if close == b')' {
                                "parenthesis"
                            } else {
                                "bracket"
                            },
                            close as char
                        ),
                        Span::new(i, i + 1),
                    )),
                    Some((open, at)) if closer(open) != close => {
                        lexical.push(
                            Diagnostic::error(
                                format!(
                                    "mismatched `{}`: expected `{}`",
                                    close as char,
                                    closer(open) as char
                                ),
                                Span::new(i, i + 1),
                            )
                            .with_note(format!(
                                "the `{}` at {} is still open",
                                open as char,
                                line_col(src, at)
                            )),
                        );
                        // Stop: after a mismatch every later bracket would be reported too.
                        return Scan {
                            too_deep: None,
                            lexical,
                        };
                    }
                    Some(_) => {}
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    for &(open, at) in stack.iter().rev().take(3) {
        lexical.push(
            Diagnostic::error(
                format!(
                    "unbalanced {}: unclosed `{}`",
                    if open == b'(' {
                        "parenthesis"
                    } else {
                        "bracket"
                    },
                    open as char
                ),
                Span::new(at, at + 1),
            )
            .with_help(format!("add the matching `{}`", closer(open) as char)),
        );
    }
    Scan {
        too_deep: None,
        lexical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_comments_hide_brackets() {
        let s = scan("a where x == \"(\" and /* [ */ y // (\n and `(` == 1");
        assert!(s.lexical.is_empty());
        assert!(s.too_deep.is_none());
    }

    #[test]
    fn finds_unclosed_and_unexpected() {
        let s = scan("a where (x == 1");
        assert_eq!(s.lexical.len(), 1);
        assert_eq!(s.lexical[0].span, Span::new(8, 9));
        let s = scan("a where x == 1)");
        assert!(s.lexical[0].message.contains("unexpected `)`"));
        let s = scan("[a where (x == 1]");
        assert!(s.lexical[0].message.contains("mismatched"));
    }

    #[test]
    fn unterminated_string_spans_its_line() {
        let s = scan("a where x == \"abc\nand y");
        assert_eq!(s.lexical[0].span, Span::new(13, 17));
    }

    #[test]
    fn depth_limit() {
        let deep = "(".repeat(MAX_NESTING + 1);
        assert!(scan(&deep).too_deep.is_some());
        let ok = "(".repeat(MAX_NESTING);
        assert!(scan(&ok).too_deep.is_none());
    }
}
