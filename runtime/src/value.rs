//! Values as Elasticsearch compares them: numbers on numeric fields, strings on keyword fields.
//!
//! Event values reach the runtime as text (decoded JSON strings, or numbers as written).
//! Numeric comparisons parse that text with [`parse_num`] and compare with [`cmp_num`], which
//! is exact across integers and floats, as Elasticsearch's range queries are (a `long` field
//! queried with `> 0.5` matches from 1 up).
//!
//! ```
//! use std::cmp::Ordering;
//! use eql_runtime::value::{cmp_num, parse_num, Num};
//! assert_eq!(parse_num("42"), Some(Num::Int(42)));
//! assert_eq!(cmp_num(Num::Int(1), Num::Float(0.5)), Some(Ordering::Greater));
//! assert_eq!(parse_num("abc"), None);
//! ```

use std::cmp::Ordering;

/// A number from an event or a rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// An integer that fits `i64` (a `long`).
    Int(i64),
    /// Anything else numeric: fractions, exponents, integers beyond `i64`.
    Float(f64),
}

/// Parses JSON number text or a numeric string as Elasticsearch coerces it into a numeric
/// field: an optional sign (`-` or `+`), digits with an optional fraction (`1.`, `.5`), and an
/// optional exponent. Integers without fraction or exponent that fit `i64` are [`Num::Int`];
/// other numbers are [`Num::Float`]. Anything else (`""`, `"0x10"`, `"NaN"`, `" 1"`) is `None`.
pub fn parse_num(s: &str) -> Option<Num> {
    parse_num_text(s)
}

/// How one value of a field no mapping types compares with a constant. Dynamic mapping types
/// such a field by its JSON values, so each value compares as its kind makes it: a number
/// numerically (against the constant as a number: `num`), a boolean against a boolean constant
/// (else as its text), anything else as text (against the constant's text: `text`). `None`
/// when the two cannot be compared (a number against a constant that is none).
pub fn dynamic_order(
    v: crate::event::Value<'_>,
    text: Option<&str>,
    num: Option<Num>,
    boolean: Option<bool>,
) -> Option<Ordering> {
    use crate::event::Value;
    match v {
        Value::Num(n) => cmp_num(parse_num(n)?, num?),
        Value::Bool(b) => match boolean {
            Some(c) => Some(b.cmp(&c)),
            None => Some(v.text().cmp(text?)),
        },
        Value::Str(s) => Some(s.cmp(text?)),
    }
}

fn parse_num_text(s: &str) -> Option<Num> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    let mut integral = true;
    if i < b.len() && b[i] == b'.' {
        integral = false;
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        integral = false;
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    if integral {
        if let Ok(n) = s.parse::<i64>() {
            return Some(Num::Int(n));
        }
    }
    // The grammar above is a subset of what Rust's float parser accepts; huge exponents
    // become infinities, which still order correctly.
    s.parse::<f64>().ok().map(Num::Float)
}

/// Compares two numbers exactly (an `i64` against an `f64` is not rounded through `f64`).
/// `None` when either is NaN.
pub fn cmp_num(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(x), Num::Float(y)) => cmp_int_float(x, y),
        (Num::Float(x), Num::Int(y)) => cmp_int_float(y, x).map(Ordering::reverse),
    }
}

/// Exact comparison of an integer with a float.
fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^63 is exactly representable; every i64 is below it and at or above -2^63.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    // In range, so the cast is exact.
    let ti = t as i64;
    Some(i.cmp(&ti).then_with(|| {
        let frac = f - t;
        if frac > 0.0 {
            Ordering::Less
        } else if frac < 0.0 {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }))
}

/// Compares value text `s` with a number; `None` if `s` is not numeric or either is NaN.
pub fn cmp_str_num(s: &str, n: Num) -> Option<Ordering> {
    cmp_num(parse_num(s)?, n)
}

/// Whether value text `s` is numerically equal to `n` (`"1.0"` equals `1`).
pub fn num_eq(s: &str, n: Num) -> bool {
    cmp_str_num(s, n) == Some(Ordering::Equal)
}

/// Keyword order: byte-lexicographic over UTF-8, as Lucene sorts terms. Case-sensitive
/// (`"B" < "a"`).
pub fn cmp_str(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

/// Orders values of an Elasticsearch `version` field (`1.11.3 > 1.5.0`).
///
/// Valid versions are dot-separated numeric parts without leading zeros (any number of parts,
/// `1.2` before `1.2.0`), an optional `-prerelease` and an optional `+build`. They order by
/// Semantic Versioning precedence: parts numerically; a prerelease before its release;
/// prerelease identifiers numerically when numeric, numeric before alphanumeric, fewer before
/// more; build metadata only as a final byte-wise tie-break. Invalid versions (`"bad"`) sort
/// after every valid one, byte-wise among themselves, as Elasticsearch's encoding does.
pub fn cmp_version(a: &str, b: &str) -> Ordering {
    match (Version::parse(a), Version::parse(b)) {
        (Some(x), Some(y)) => x.cmp_to(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => cmp_str(a, b),
    }
}

/// A parsed valid version, borrowing its parts.
struct Version<'a> {
    main: &'a str,
    pre: Option<&'a str>,
    build: &'a str,
}

impl<'a> Version<'a> {
    fn parse(s: &'a str) -> Option<Version<'a>> {
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => (r, b),
            None => (s, ""),
        };
        let (main, pre) = match rest.split_once('-') {
            Some((m, p)) => (m, Some(p)),
            None => (rest, None),
        };
        let numeric = |p: &str| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p == "0" || !p.starts_with('0'))
        };
        let ident =
            |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let pre_ok = pre.is_none_or(|p| {
            p.split('.')
                .all(|id| ident(id) && (numeric(id) || !id.bytes().all(|b| b.is_ascii_digit())))
        });
        let build_ok = build.is_empty() && !s.ends_with('+') || build.split('.').all(ident);
        (main.split('.').all(numeric) && pre_ok && build_ok).then_some(Version { main, pre, build })
    }

    fn cmp_to(&self, o: &Version<'_>) -> Ordering {
        let mut a = self.main.split('.');
        let mut b = o.main.split('.');
        loop {
            match (a.next(), b.next()) {
                (Some(x), Some(y)) => match cmp_digits(x, y) {
                    Ordering::Equal => {}
                    ne => return ne,
                },
                (None, None) => break,
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
            }
        }
        let pre = match (self.pre, o.pre) {
            (None, None) => Ordering::Equal,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => cmp_prerelease(x, y),
        };
        pre.then_with(|| cmp_str(self.build, o.build))
    }
}

/// Compares digit strings without leading zeros as numbers of any size.
fn cmp_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Semantic Versioning precedence of prerelease identifiers.
fn cmp_prerelease(a: &str, b: &str) -> Ordering {
    let num = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    let mut x = a.split('.');
    let mut y = b.split('.');
    loop {
        match (x.next(), y.next()) {
            (Some(p), Some(q)) => {
                let o = match (num(p), num(q)) {
                    (true, true) => cmp_digits(p, q),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => cmp_str(p, q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_float_boundaries() {
        let big = i64::MAX;
        assert_eq!(
            cmp_num(Num::Int(big), Num::Float(9_223_372_036_854_775_808.0)),
            Some(Ordering::Less)
        );
        assert_eq!(
            cmp_num(Num::Int(i64::MIN), Num::Float(-9_223_372_036_854_775_808.0)),
            Some(Ordering::Equal)
        );
        // 2^53 + 1 is not representable as f64; an f64 round trip would call them equal.
        let n = (1i64 << 53) + 1;
        assert_eq!(
            cmp_num(Num::Int(n), Num::Float((1u64 << 53) as f64)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            cmp_num(Num::Int(-1), Num::Float(-0.5)),
            Some(Ordering::Less)
        );
        assert_eq!(cmp_num(Num::Float(f64::NAN), Num::Int(0)), None);
    }
}
