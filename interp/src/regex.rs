//! Lucene regular expressions (as `regex`/`regex~` use them) translated to the `regex` crate.
//!
//! Lucene's syntax differs from Perl's: the match is always over the whole value, `^`/`$` are
//! ordinary characters, `\x` is the literal `x` for any `x`, `"…"` quotes a literal string, and
//! with the default flags `~ & < > @ #` are operators (complement, intersection, numeric
//! interval, any string, empty language). The translation covers literals, `.`, `* + ?`,
//! `{n}`, `{n,}`, `{n,m}`, `|`, groups, bracket classes with ranges and `^` negation, `\`
//! escapes, Lucene 9's classes `\d \D \s \S \w \W` and quoted strings. Everything else is rejected, never guessed. The
//! case-insensitive form expands each ASCII letter to its `[pP]` pair (Lucene's
//! `ASCII_CASE_INSENSITIVE`, the flag Elasticsearch sets).

use std::fmt::Write as _;

use crate::wildcard::alt;

/// Translates a Lucene regular expression into an anchored `regex` crate pattern.
pub fn translate(lucene: &str, insensitive: bool) -> Result<String, String> {
    let chars: Vec<char> = lucene.chars().collect();
    let mut out = String::from("(?s)^(?:");
    let mut i = 0;
    let mut depth = 0usize;
    let lit = |c: char, out: &mut String| {
        // Elasticsearch sets Lucene's ASCII_CASE_INSENSITIVE flag: only ASCII letters fold.
        if insensitive && c.is_ascii_alphabetic() && alt(c) != c {
            out.push('[');
            out.push_str(&class_escape(c));
            out.push_str(&class_escape(alt(c)));
            out.push(']');
        } else {
            out.push_str(&regex::escape(&c.to_string()));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '.' => out.push('.'),
            '*' | '+' | '?' | '|' => out.push(c),
            '(' => {
                depth += 1;
                out.push_str("(?:");
            }
            ')' => {
                if depth == 0 {
                    return Err(format!("unbalanced `)` in regex `{lucene}`"));
                }
                depth -= 1;
                out.push(')');
            }
            '{' => {
                let close = chars[i..]
                    .iter()
                    .position(|&x| x == '}')
                    .ok_or_else(|| format!("unclosed `{{` in regex `{lucene}`"))?;
                let body: String = chars[i + 1..i + close].iter().collect();
                let ok = !body.is_empty()
                    && body.chars().all(|x| x.is_ascii_digit() || x == ',')
                    && body.matches(',').count() <= 1
                    && !body.starts_with(',');
                if !ok {
                    return Err(format!(
                        "unsupported repetition `{{{body}}}` in regex `{lucene}`"
                    ));
                }
                out.push('{');
                out.push_str(&body);
                out.push('}');
                i += close;
            }
            '[' => {
                let (class, used) = translate_class(&chars[i..], lucene)?;
                out.push_str(&class);
                i += used - 1;
            }
            '"' => {
                let close = chars[i + 1..]
                    .iter()
                    .position(|&x| x == '"')
                    .ok_or_else(|| format!("unclosed `\"` in regex `{lucene}`"))?;
                out.push_str("(?:");
                for &q in &chars[i + 1..i + 1 + close] {
                    lit(q, &mut out);
                }
                out.push(')');
                i += close + 1;
            }
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err(format!("trailing `\\` in regex `{lucene}`"));
                };
                // Lucene 9 (Elasticsearch 8) reads `\d \s \w` and their negations as the Java
                // classes; any other escaped character is itself (`\n` is the letter n).
                match predefined(next) {
                    Some((body, neg)) => {
                        let _ = write!(out, "[{}{body}]", if neg { "^" } else { "" });
                    }
                    None => lit(next, &mut out),
                }
                i += 1;
            }
            '~' | '&' | '<' | '>' | '@' | '#' => {
                return Err(format!(
                    "Lucene regex operator `{c}` is not supported (in `{lucene}`); escape it as `\\{c}` for the character"
                ));
            }
            ']' | '}' => {
                return Err(format!("unbalanced `{c}` in regex `{lucene}`"));
            }
            other => lit(other, &mut out),
        }
        i += 1;
    }
    if depth != 0 {
        return Err(format!("unclosed `(` in regex `{lucene}`"));
    }
    out.push_str(")$");
    // Validate now, so that a bad pattern is a load-time error.
    regex::Regex::new(&out).map_err(|e| format!("regex `{lucene}` does not compile: {e}"))?;
    Ok(out)
}

/// Lucene 9's predefined classes `\d \D \s \S \w \W`: the class body and whether it is
/// negated.
fn predefined(c: char) -> Option<(&'static str, bool)> {
    Some(match c {
        'd' => ("0-9", false),
        'D' => ("0-9", true),
        's' => (r"\x{20}\x{09}\x{0A}\x{0B}\x{0C}\x{0D}", false),
        'S' => (r"\x{20}\x{09}\x{0A}\x{0B}\x{0C}\x{0D}", true),
        'w' => ("a-zA-Z_0-9", false),
        'W' => ("a-zA-Z_0-9", true),
        _ => return None,
    })
}

fn class_escape(c: char) -> String {
    match c {
        '\\' | ']' | '[' | '^' | '-' | '&' | '~' => format!("\\{c}"),
        _ => c.to_string(),
    }
}

/// `[…]` starting at `chars[0]`; returns the translation and how many chars it used.
fn translate_class(chars: &[char], lucene: &str) -> Result<(String, usize), String> {
    let mut out = String::from("[");
    let mut i = 1;
    if chars.get(1) == Some(&'^') {
        out.push('^');
        i = 2;
    }
    let mut members = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ']' if members > 0 => {
                out.push(']');
                return Ok((out, i + 1));
            }
            '\\' => {
                let next = *chars
                    .get(i + 1)
                    .ok_or_else(|| format!("unclosed `[` in regex `{lucene}`"))?;
                match predefined(next) {
                    Some((body, false)) => out.push_str(body),
                    // A negated class inside brackets: a nested class.
                    Some((body, true)) => {
                        let _ = write!(out, "[^{body}]");
                    }
                    None => out.push_str(&class_escape(next)),
                }
                i += 1;
            }
            '-' if members > 0 && chars.get(i + 1).is_some_and(|&n| n != ']') => out.push('-'),
            other => out.push_str(&class_escape(other)),
        }
        members += 1;
        i += 1;
    }
    Err(format!("unclosed `[` in regex `{lucene}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_match(pat: &str, s: &str, ci: bool) -> bool {
        regex::Regex::new(&translate(pat, ci).unwrap())
            .unwrap()
            .is_match(s)
    }

    #[test]
    fn anchored_lucene_semantics() {
        assert!(is_match(
            ".*?net1[ ]+localgroup.*?",
            "x net1  localgroup y",
            false
        ));
        assert!(!is_match("net1", "xnet1", false));
        assert!(is_match("net1", "net1", false));
        assert!(!is_match("NET1", "net1", false));
        assert!(is_match("NET1", "net1", true));
        assert!(is_match("[a-z]{4,15}", "abcd", false));
        assert!(is_match("^a$", "^a$", false));
        assert!(is_match("\"a.b\"", "a.b", false));
        assert!(!is_match("\"a.b\"", "axb", false));
        assert!(is_match("a\\.b", "a.b", false));
        assert!(is_match("(ab|cd)+", "abcdab", false));
        assert!(is_match(".*", "line\nbreak", false));
        assert!(is_match("[^x]", "y", false));
    }

    #[test]
    fn lucene_9_classes_and_escaped_letters() {
        let re = |p: &str| regex::Regex::new(&translate(p, false).expect(p)).expect(p);
        assert!(re("a\\sb").is_match("a b"));
        assert!(!re("a\\sb").is_match("asb"));
        assert!(re("[\\d\\W]+").is_match("1-2"));
        assert!(re("\\S+\\w").is_match("x.y"));
        assert!(re("[^\\s]x").is_match("ax"));
        assert!(!re("[^\\s]x").is_match(" x"));
        assert!(re("\\n").is_match("n"));
    }

    #[test]
    fn untranslatable_is_an_error() {
        assert!(translate("~a", false).is_err());
        assert!(translate("a&b", false).is_err());
        assert!(translate("<1-5>", false).is_err());
        assert!(translate("(a", false).is_err());
        assert!(translate("[a", false).is_err());
        assert!(translate("a{x}", false).is_err());
    }
}
