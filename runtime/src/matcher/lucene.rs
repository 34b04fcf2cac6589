//! Lucene regular expressions (`regex`, `regex~`), translated to the `regex` crate.
//!
//! Elasticsearch runs EQL `regex` as a Lucene `regexp` query with all syntax flags, matching
//! the whole value. This module parses the pattern the way Lucene 9's `RegExp` parser does
//! (Elasticsearch 8) and emits equivalent `regex` crate syntax anchored as `^(?:…)$`.
//!
//! Lucene specifics handled:
//! - every character other than the operators is literal, and `\` escapes the next character
//!   (so `\.` is a dot and `\n` is the letter `n`); a character that cannot start an operand
//!   there (`*`, `+`, `?`, `{`, `|`, `)`, `]`, `&` at the start of an expression) is literal too,
//!   as in Lucene;
//! - `\d \D \s \S \w \W` are the Java classes (`[0-9]`, `[ \t\n\x0B\f\r]`, `[a-zA-Z_0-9]`),
//!   inside and outside brackets (Lucene 9 added them; older Lucene read `\d` as `d`);
//! - `.` is any code point, `@` any string, `#` the empty language (matches nothing),
//!   `()` the empty string, `"…"` a literal string (no escapes inside);
//! - `<1-10>` numeric intervals: with bounds of equal width the width is fixed (`<01-10>`
//!   matches `01` but not `1`), otherwise any number of leading zeros is accepted;
//! - repeats `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}` are greedy and stack (`a+?` is `(a+)?`, not
//!   a lazy `+`); `{n,m}` with `n > m` matches nothing.
//!
//! Rejected with an error (no `regex` crate equivalent): complement `~`, intersection `&`,
//! named automata `<name>`.
//!
//! Case-insensitivity (`regex~`) follows Lucene 9's `ASCII_CASE_INSENSITIVE`, the flag
//! Elasticsearch sets: single ASCII letters (alone, in quoted strings, or listed in a class)
//! match both cases; ranges (`[A-Z]`), the predefined classes and non-ASCII letters stay
//! case-sensitive. This is emitted per character (`[aA]`) rather than as a global `(?i)`,
//! which would also fold ranges and non-ASCII letters.

use std::fmt::Write;

/// Translates Lucene regular expression `pat` into anchored `regex` crate syntax, case-
/// insensitively (ASCII letters only, see the module docs) when `ci`.
///
/// ```
/// use eql_runtime::matcher::translate_lucene_regex;
/// assert_eq!(translate_lucene_regex("a.c", false).unwrap(), r"^(?:a(?s:.)c)$");
/// assert!(translate_lucene_regex("~a", false).is_err());
/// ```
pub fn translate_lucene_regex(pat: &str, ci: bool) -> Result<String, String> {
    let mut p = Parser {
        s: pat.chars().collect(),
        pos: 0,
        ci,
    };
    let body = p.union()?;
    if p.pos < p.s.len() {
        return Err(format!(
            "unexpected `{}` at position {} (end of pattern expected)",
            p.s[p.pos], p.pos
        ));
    }
    Ok(format!("^(?:{body})$"))
}

/// A compiled Lucene regular expression, matched against whole values.
///
/// ```
/// use eql_runtime::matcher::Regex;
/// let re = Regex::new(r"/var/run/\w+\.(pid|lock)", true).unwrap();
/// assert!(re.is_match("/VAR/run/sshd.PID"));
/// assert!(!re.is_match("/var/run/sshd.pid.bak"));
/// ```
#[derive(Clone, Debug)]
pub struct Regex {
    re: regex::Regex,
}

impl Regex {
    /// Translates and compiles `pat`; the error says what could not be translated or compiled.
    pub fn new(pat: &str, ci: bool) -> Result<Regex, String> {
        let src = translate_lucene_regex(pat, ci)?;
        regex::Regex::new(&src)
            .map(|re| Regex { re })
            .map_err(|e| format!("Lucene regex {pat:?} does not compile: {e}"))
    }

    /// Whether the whole of `s` matches.
    pub fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s)
    }
}

/// Never matches (Lucene's empty language): an empty class.
const NOTHING: &str = r"[^\x{0}-\x{10FFFF}]";

/// Recursive descent mirroring Lucene's `RegExp` parse functions.
struct Parser {
    s: Vec<char>,
    pos: usize,
    ci: bool,
}

impl Parser {
    fn peek(&self, set: &str) -> bool {
        self.s.get(self.pos).is_some_and(|c| set.contains(*c))
    }

    fn eat(&mut self, c: char) -> bool {
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn next(&mut self) -> Result<char, String> {
        let c = self
            .s
            .get(self.pos)
            .copied()
            .ok_or_else(|| format!("unexpected end of pattern at position {}", self.pos))?;
        self.pos += 1;
        Ok(c)
    }

    fn more(&self) -> bool {
        self.pos < self.s.len()
    }

    fn union(&mut self) -> Result<String, String> {
        let mut out = self.inter()?;
        while self.eat('|') {
            out.push('|');
            out.push_str(&self.inter()?);
        }
        Ok(out)
    }

    fn inter(&mut self) -> Result<String, String> {
        let e = self.concat()?;
        if self.peek("&") {
            return Err(format!(
                "intersection `&` at position {} cannot be translated (escape it as `\\&` for a literal)",
                self.pos
            ));
        }
        Ok(e)
    }

    fn concat(&mut self) -> Result<String, String> {
        let mut out = self.repeat()?;
        while self.more() && !self.peek(")|&") {
            out.push_str(&self.repeat()?);
        }
        Ok(out)
    }

    fn repeat(&mut self) -> Result<String, String> {
        let mut e = self.compl()?;
        while self.peek("?*+{") {
            let op = self.next()?;
            e = match op {
                '?' | '*' | '+' => format!("(?:{e}){op}"),
                _ => {
                    let n = self
                        .digits()?
                        .ok_or_else(|| format!("integer expected at position {}", self.pos))?;
                    let m = if self.eat(',') {
                        self.digits()?
                    } else {
                        Some(n)
                    };
                    if !self.eat('}') {
                        return Err(format!("expected `}}` at position {}", self.pos));
                    }
                    match m {
                        None => format!("(?:{e}){{{n},}}"),
                        Some(m) if m < n => NOTHING.to_string(),
                        Some(m) => format!("(?:{e}){{{n},{m}}}"),
                    }
                }
            };
        }
        Ok(e)
    }

    /// A run of decimal digits as a number, `None` if there is none.
    fn digits(&mut self) -> Result<Option<u32>, String> {
        let start = self.pos;
        while self.peek("0123456789") {
            self.pos += 1;
        }
        if start == self.pos {
            return Ok(None);
        }
        let text: String = self.s[start..self.pos].iter().collect();
        text.parse()
            .map(Some)
            .map_err(|_| format!("repeat count {text} is too large"))
    }

    fn compl(&mut self) -> Result<String, String> {
        if self.peek("~") {
            return Err(format!(
                "complement `~` at position {} cannot be translated (escape it as `\\~` for a literal)",
                self.pos
            ));
        }
        self.char_class()
    }

    fn char_class(&mut self) -> Result<String, String> {
        if !self.eat('[') {
            return self.simple();
        }
        let negate = self.eat('^');
        let mut items = String::new();
        items.push_str(&self.class_item()?);
        while self.more() && !self.peek("]") {
            items.push_str(&self.class_item()?);
        }
        if !self.eat(']') {
            return Err(format!("expected `]` at position {}", self.pos));
        }
        Ok(format!("[{}{items}]", if negate { "^" } else { "" }))
    }

    /// One member of a bracket class, as class-body syntax.
    fn class_item(&mut self) -> Result<String, String> {
        if let Some(class) = self.predefined(true) {
            return Ok(class);
        }
        let c = self.char_exp()?;
        if self.eat('-') {
            let d = self.char_exp()?;
            if c > d {
                return Err(format!(
                    "invalid range {c:?}-{d:?} before position {}: start is above end",
                    self.pos
                ));
            }
            return Ok(format!("{}-{}", esc(c), esc(d)));
        }
        Ok(self.class_char(c))
    }

    /// A single class member, with its other ASCII case when case-insensitive.
    fn class_char(&self, c: char) -> String {
        if self.ci && c.is_ascii_alphabetic() {
            format!("{}{}", c.to_ascii_lowercase(), c.to_ascii_uppercase())
        } else {
            esc(c)
        }
    }

    /// `\d \D \s \S \w \W` at the current position, consumed; as class-body syntax when
    /// `in_class`, otherwise as a bracketed class.
    fn predefined(&mut self, in_class: bool) -> Option<String> {
        if self.s.get(self.pos) != Some(&'\\') {
            return None;
        }
        let (body, neg) = match self.s.get(self.pos + 1)? {
            'd' => ("0-9", false),
            'D' => ("0-9", true),
            's' => (r"\x{20}\x{09}\x{0A}\x{0B}\x{0C}\x{0D}", false),
            'S' => (r"\x{20}\x{09}\x{0A}\x{0B}\x{0C}\x{0D}", true),
            'w' => ("a-zA-Z_0-9", false),
            'W' => ("a-zA-Z_0-9", true),
            _ => return None,
        };
        self.pos += 2;
        let neg = if neg { "^" } else { "" };
        Some(if in_class && neg.is_empty() {
            body.to_string()
        } else {
            format!("[{neg}{body}]")
        })
    }

    /// A possibly escaped character.
    fn char_exp(&mut self) -> Result<char, String> {
        self.eat('\\');
        self.next()
    }

    fn simple(&mut self) -> Result<String, String> {
        if self.eat('.') {
            return Ok("(?s:.)".into());
        }
        if self.eat('#') {
            return Ok(NOTHING.into());
        }
        if self.eat('@') {
            return Ok("(?s:.*)".into());
        }
        if self.eat('"') {
            let mut out = String::from("(?:");
            loop {
                match self.s.get(self.pos) {
                    Some('"') => break,
                    Some(&c) => {
                        out.push_str(&self.lit(c));
                        self.pos += 1;
                    }
                    None => return Err(format!("expected `\"` at position {}", self.pos)),
                }
            }
            self.pos += 1;
            out.push(')');
            return Ok(out);
        }
        if self.eat('(') {
            if self.eat(')') {
                return Ok("(?:)".into());
            }
            let e = self.union()?;
            if !self.eat(')') {
                return Err(format!("expected `)` at position {}", self.pos));
            }
            return Ok(format!("(?:{e})"));
        }
        if self.eat('<') {
            return self.interval();
        }
        if let Some(class) = self.predefined(false) {
            return Ok(class);
        }
        let c = self.char_exp()?;
        Ok(self.lit(c))
    }

    /// A literal character as a self-contained atom.
    fn lit(&self, c: char) -> String {
        if self.ci && c.is_ascii_alphabetic() {
            format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
        } else {
            esc(c)
        }
    }

    /// `<min-max>` after the `<`.
    fn interval(&mut self) -> Result<String, String> {
        let start = self.pos;
        while self.more() && !self.peek(">") {
            self.pos += 1;
        }
        if !self.eat('>') {
            return Err(format!("expected `>` at position {}", self.pos));
        }
        let body: String = self.s[start..self.pos - 1].iter().collect();
        let Some((lo, hi)) = body.split_once('-') else {
            return Err(format!(
                "named automaton <{body}> at position {start} is not supported"
            ));
        };
        let bad = || format!("interval syntax error at position {start}: <{body}>");
        if lo.is_empty() || hi.is_empty() || hi.contains('-') {
            return Err(bad());
        }
        let (a, b): (i32, i32) = (
            lo.parse().map_err(|_| bad())?,
            hi.parse().map_err(|_| bad())?,
        );
        let digits = if lo.chars().count() == hi.chars().count() {
            lo.chars().count()
        } else {
            0
        };
        let (a, b) = if a > b { (b, a) } else { (a, b) };
        // Lucene's parseInt accepts a sign; negative bounds cannot occur (the `-` splits).
        let (a, b) = (a.max(0) as u64, b.max(0) as u64);
        Ok(decimal_interval(a, b, digits))
    }
}

/// A regex for the decimal numbers in `a..=b`: zero-padded to exactly `digits` when `digits`
/// is positive, otherwise with any number of leading zeros (Lucene's `makeDecimalInterval`).
fn decimal_interval(a: u64, b: u64, digits: usize) -> String {
    if digits > 0 {
        let (sa, sb) = (format!("{a:0digits$}"), format!("{b:0digits$}"));
        if sb.len() > digits {
            // Cannot occur for equal-width bounds; keep the output well defined anyway.
            return NOTHING.to_string();
        }
        return format!("(?:{})", range_fixed(sa.as_bytes(), sb.as_bytes()));
    }
    let (la, lb) = (a.to_string().len(), b.to_string().len());
    let mut alts = Vec::new();
    for len in la..=lb {
        let floor = if len == 1 {
            0
        } else {
            10u64.pow(len as u32 - 1)
        };
        let ceil = 10u64.pow(len as u32) - 1;
        let (lo, hi) = (a.max(floor), b.min(ceil));
        let (sl, sh) = (lo.to_string(), hi.to_string());
        alts.push(range_fixed(sl.as_bytes(), sh.as_bytes()));
    }
    format!("(?:0*(?:{}))", alts.join("|"))
}

/// A regex for the digit strings of one width between `a` and `b` inclusive (`a <= b`).
fn range_fixed(a: &[u8], b: &[u8]) -> String {
    let (Some((&a0, ar)), Some((&b0, br))) = (a.split_first(), b.split_first()) else {
        return String::new();
    };
    if a0 == b0 {
        return format!("{}{}", a0 as char, range_fixed(ar, br));
    }
    let n = ar.len();
    let any = |n: usize| {
        if n == 0 {
            String::new()
        } else {
            format!("[0-9]{{{n}}}")
        }
    };
    let low_full = ar.iter().all(|&d| d == b'0');
    let high_full = br.iter().all(|&d| d == b'9');
    let mut parts = Vec::new();
    let lo_mid = if low_full {
        a0
    } else {
        parts.push(format!("{}{}", a0 as char, range_fixed(ar, &vec![b'9'; n])));
        a0 + 1
    };
    let hi_mid = if high_full {
        b0
    } else {
        parts.push(format!("{}{}", b0 as char, range_fixed(&vec![b'0'; n], br)));
        b0 - 1
    };
    if lo_mid <= hi_mid {
        parts.push(format!("[{}-{}]{}", lo_mid as char, hi_mid as char, any(n)));
    }
    format!("(?:{})", parts.join("|"))
}

/// A character as `regex` syntax valid both alone and inside a class.
fn esc(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        c.to_string()
    } else {
        let mut s = String::new();
        let _ = write!(s, "\\x{{{:X}}}", c as u32);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pat: &str, s: &str) -> bool {
        match Regex::new(pat, false) {
            Ok(re) => re.is_match(s),
            Err(e) => panic!("{pat:?}: {e}"),
        }
    }

    #[test]
    fn intervals() {
        for (pat, yes, no) in [
            ("<1-10>", &["1", "10", "010", "5"][..], &["0", "11", ""][..]),
            ("<01-10>", &["01", "10"], &["1", "11", "00"]),
            ("<5-7>", &["5", "7"], &["05", "8"]),
            ("<0-255>", &["0", "255", "199", "00042"], &["256", "300"]),
            ("<10-1>", &["1", "10"], &["11"]),
        ] {
            for s in yes {
                assert!(m(pat, s), "{pat} should match {s}");
            }
            for s in no {
                assert!(!m(pat, s), "{pat} should not match {s}");
            }
        }
    }

    #[test]
    fn range_fixed_exhaustive() {
        for a in (0..200u64).step_by(7) {
            for b in (a..200).step_by(3) {
                let re = regex::Regex::new(&format!(
                    "^(?:{})$",
                    range_fixed(format!("{a:03}").as_bytes(), format!("{b:03}").as_bytes())
                ))
                .unwrap_or_else(|e| panic!("{a}-{b}: {e}"));
                for x in 0..250u64 {
                    assert_eq!(
                        re.is_match(&format!("{x:03}")),
                        (a..=b).contains(&x),
                        "{a}-{b} {x}"
                    );
                }
            }
        }
    }
}
