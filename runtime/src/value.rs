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
