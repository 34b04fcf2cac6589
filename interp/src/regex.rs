//! Lucene regular expressions (as `regex`/`regex~` use them) translated to the `regex` crate.
//!
//! Lucene's syntax differs from Perl's: the match is always over the whole value, `^`/`$` are
//! ordinary characters, `\x` is the literal `x` for any `x`, `"…"` quotes a literal string, and
//! with the default flags `~ & < > @ #` are operators (complement, intersection, numeric
//! interval, any string, empty language). The translation covers literals, `.`, `* + ?`,
//! `{n}`, `{n,}`, `{n,m}`, `|`, groups, bracket classes with ranges and `^` negation, `\`
//! escapes of punctuation and quoted strings. Everything else is rejected, never guessed. The
//! case-insensitive form expands each ASCII letter to its `[pP]` pair (Lucene's
//! `ASCII_CASE_INSENSITIVE`, the flag Elasticsearch sets).

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
                if next.is_alphanumeric() {
                    // Lucene versions disagree on `\d`, `\s`, `\w` (literal letter or class).
                    return Err(format!(
                        "regex escape `\\{next}` is ambiguous in Lucene syntax; not supported"
                    ));
                }
                lit(next, &mut out);
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
                if next.is_alphanumeric() {
                    return Err(format!(
                        "regex escape `\\{next}` is ambiguous in Lucene syntax; not supported"
                    ));
                }
                out.push_str(&class_escape(next));
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
    fn untranslatable_is_an_error() {
        assert!(translate("a\\sb", false).is_err());
        assert!(translate("~a", false).is_err());
        assert!(translate("a&b", false).is_err());
        assert!(translate("<1-5>", false).is_err());
        assert!(translate("(a", false).is_err());
        assert!(translate("[a", false).is_err());
        assert!(translate("a{x}", false).is_err());
    }
}
