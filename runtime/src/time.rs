//! `@timestamp` parsing, as Elasticsearch's default date format
//! `strict_date_optional_time||epoch_millis` reads it.
//!
//! * `strict_date_optional_time`: `yyyy[-MM[-dd]]` optionally followed by
//!   `THH[:mm[:ss[.fffffffff]]]` (1 to 9 fraction digits; `,` also separates them) and an
//!   offset `Z`, `±HH`, `±HHmm` or `±HH:mm` (at most 18 hours). No offset means UTC.
//!   Region ids such as `[Europe/Paris]` are not supported.
//! * `epoch_millis`: a JSON number or a numeric string, optionally negative, with up to 6
//!   fractional digits (nanosecond precision). A four-digit string is a year, as in ES,
//!   because the date format is tried first.
//!
//! The result is nanoseconds since the Unix epoch in an `i64`, which covers the years
//! 1677 to 2262; anything outside is [`TimestampError::OutOfRange`].
//!
//! [`rfc3339_nanos`] writes such a number back (what alerts and the generator emit).

use core::fmt;

use crate::event::Value;

/// Why a value is not a usable timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampError {
    /// Neither a date in `strict_date_optional_time` nor epoch millis.
    Syntax,
    /// Well-formed, but no such date or time (`2024-02-30`, `25:00`).
    InvalidDate,
    /// A real instant that does not fit in `i64` nanoseconds since the epoch.
    OutOfRange,
    /// A boolean.
    WrongType,
}

impl TimestampError {
    /// A short stable key, for counters and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            TimestampError::Syntax => "syntax",
            TimestampError::InvalidDate => "invalid_date",
            TimestampError::OutOfRange => "out_of_range",
            TimestampError::WrongType => "wrong_type",
        }
    }
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimestampError::Syntax => "not a date (strict_date_optional_time) nor epoch millis",
            TimestampError::InvalidDate => "no such date or time",
            TimestampError::OutOfRange => "timestamp outside the years 1677 to 2262",
            TimestampError::WrongType => "a boolean is not a timestamp",
        })
    }
}

impl std::error::Error for TimestampError {}

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Parses a timestamp value into nanoseconds since the Unix epoch.
///
/// ```
/// use eql_runtime::{event::Value, time::parse_timestamp};
/// assert_eq!(parse_timestamp(Value::Str("1970-01-01T00:00:01.5Z")), Ok(1_500_000_000));
/// assert_eq!(parse_timestamp(Value::Num("1500")), Ok(1_500_000_000));
/// assert!(parse_timestamp(Value::Str("2024-02-30")).is_err());
/// ```
pub fn parse_timestamp(v: Value<'_>) -> Result<i64, TimestampError> {
    match v {
        Value::Str(s) => parse_str(s.as_bytes()),
        Value::Num(s) => parse_epoch_millis(s.as_bytes()),
        Value::Bool(_) => Err(TimestampError::WrongType),
    }
}

/// Orders a date value's text against a date constant, both parsed as [`parse_str`] parses
/// (RFC 3339, or epoch milliseconds); `None` when either is not a date.
///
/// ```
/// use std::cmp::Ordering;
/// use eql_runtime::time::cmp_text;
/// assert_eq!(cmp_text("2017-08-30T20:47:33Z", "1504126053000"), Some(Ordering::Equal));
/// assert_eq!(cmp_text("1", "1970-01-01T00:00:00.002Z"), Some(Ordering::Less));
/// assert_eq!(cmp_text("soon", "1"), None);
/// ```
pub fn cmp_text(value: &str, constant: &str) -> Option<std::cmp::Ordering> {
    let v = parse_str(value.as_bytes()).ok()?;
    let c = parse_str(constant.as_bytes()).ok()?;
    Some(v.cmp(&c))
}

/// Parses `text` with a Java time pattern made of `y`, `M`, `d`, `H`, `m`, `s`, `S` runs and
/// literal characters (a mapping's custom `format`, such as `dd-MM-yyyy`; quoted literals are not
/// supported); the instant is UTC, in nanoseconds.
///
/// ```
/// use eql_runtime::time::{parse_str, parse_with_pattern};
/// assert_eq!(parse_with_pattern("17-12-2022", "dd-MM-yyyy"), parse_str(b"2022-12-17").ok());
/// assert_eq!(parse_with_pattern("2022-12-17", "dd-MM-yyyy"), None);
/// ```
pub fn parse_with_pattern(text: &str, pattern: &str) -> Option<i64> {
    let (mut y, mut mo, mut d, mut h, mut mi, mut s, mut nanos) = (1970i64, 1, 1, 0, 0, 0, 0i64);
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut i, mut j) = (0, 0);
    while j < p.len() {
        let c = p[j];
        let run = p[j..].iter().take_while(|&&x| x == c).count();
        if c.is_ascii_alphabetic() {
            let digits: String = t[i.min(t.len())..]
                .iter()
                .take(if run >= 2 || c == 'S' { run.max(2) } else { 9 })
                .take_while(|ch| ch.is_ascii_digit())
                .collect();
            if digits.is_empty() {
                return None;
            }
            let n: i64 = digits.parse().ok()?;
            match c {
                'y' | 'u' => y = n,
                'M' => mo = n,
                'd' => d = n,
                'H' => h = n,
                'm' => mi = n,
                's' => s = n,
                'S' => nanos = n * 10i64.pow(9u32.saturating_sub(digits.len() as u32)),
                _ => return None,
            }
            i += digits.chars().count();
        } else {
            for _ in 0..run {
                if t.get(i) != Some(&c) {
                    return None;
                }
                i += 1;
            }
        }
        j += run;
    }
    if i != t.len()
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 23
        || mi > 59
        || s > 60
    {
        return None;
    }
    let days = days_from_civil(y, u32::try_from(mo).ok()?, u32::try_from(d).ok()?);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// A join-key value of a `date` field as Elasticsearch reports it: the instant (parsed with
/// the field's custom `formats`, else as a timestamp) as epoch milliseconds in a `sample`, as
/// RFC 3339 with milliseconds in a sequence. `None` when the text is not a date.
pub fn date_key(text: &str, formats: &[&str], sample: bool) -> Option<String> {
    let nanos = if formats.is_empty() {
        parse_str(text.as_bytes()).ok()?
    } else {
        formats.iter().find_map(|f| parse_with_pattern(text, f))?
    };
    let ms = nanos.div_euclid(1_000_000);
    if sample {
        return Some(ms.to_string());
    }
    // `…T00:00:00.000000000Z` → `…T00:00:00.000Z`.
    let iso = rfc3339_nanos(ms * 1_000_000);
    Some(match iso.len().checked_sub(7) {
        Some(cut) => format!("{}Z", &iso[..cut]),
        None => iso,
    })
}

/// Parses the text of a timestamp: a date first, epoch millis second (as ES's default format).
pub fn parse_str(s: &[u8]) -> Result<i64, TimestampError> {
    match parse_date(s) {
        Err(TimestampError::Syntax) => parse_epoch_millis(s),
        r => r,
    }
}

#[inline(always)]
fn digits<const N: usize>(s: &[u8], at: usize) -> Option<u32> {
    let d = s.get(at..at + N)?;
    let mut n = 0u32;
    for &c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats nanoseconds since the Unix epoch as `2024-06-10T06:15:23.123456789Z`.
///
/// Always nine fractional digits, so the text sorts like the number and round-trips exactly.
pub fn rfc3339_nanos(nanos: i64) -> String {
    let mut s = String::with_capacity(30);
    write_rfc3339_nanos(&mut s, nanos);
    s
}

/// Appends the RFC 3339 form of `nanos` to `out` (see [`rfc3339_nanos`]).
pub fn write_rfc3339_nanos(out: &mut String, nanos: i64) {
    use core::fmt::Write as _;
    let secs = nanos.div_euclid(NANOS_PER_SEC);
    let frac = nanos.rem_euclid(NANOS_PER_SEC);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:09}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
}

/// `strict_date_optional_time`. Returns `Syntax` when the text does not have its shape.
fn parse_date(s: &[u8]) -> Result<i64, TimestampError> {
    use TimestampError::{InvalidDate, Syntax};
    let year = i64::from(digits::<4>(s, 0).ok_or(Syntax)?);
    let mut i = 4;
    let (mut month, mut day) = (1, 1);
    if s.get(i) == Some(&b'-') {
        month = digits::<2>(s, i + 1).ok_or(Syntax)?;
        i += 3;
        if s.get(i) == Some(&b'-') {
            day = digits::<2>(s, i + 1).ok_or(Syntax)?;
            i += 3;
        }
    }
    let (mut h, mut mi, mut sec, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    let mut offset_secs = 0i64;
    if s.get(i) == Some(&b'T') {
        h = digits::<2>(s, i + 1).ok_or(Syntax)?;
        i += 3;
        if s.get(i) == Some(&b':') {
            mi = digits::<2>(s, i + 1).ok_or(Syntax)?;
            i += 3;
            if s.get(i) == Some(&b':') {
                sec = digits::<2>(s, i + 1).ok_or(Syntax)?;
                i += 3;
                if matches!(s.get(i), Some(b'.' | b',')) {
                    i += 1;
                    let start = i;
                    while let Some(&c) = s.get(i) {
                        if !c.is_ascii_digit() || i - start == 9 {
                            break;
                        }
                        nanos = nanos * 10 + u32::from(c - b'0');
                        i += 1;
                    }
                    let n = i - start;
                    if n == 0 {
                        return Err(Syntax);
                    }
                    nanos *= 10u32.pow(9 - n as u32);
                }
            }
        }
        match s.get(i) {
            Some(b'Z') => i += 1,
            Some(&c @ (b'+' | b'-')) => {
                let oh = digits::<2>(s, i + 1).ok_or(Syntax)?;
                i += 3;
                let om = if s.get(i) == Some(&b':') {
                    let m = digits::<2>(s, i + 1).ok_or(Syntax)?;
                    i += 3;
                    m
                } else if let Some(m) = digits::<2>(s, i) {
                    i += 2;
                    m
                } else {
                    0
                };
                if oh > 18 || om > 59 || (oh == 18 && om > 0) {
                    return Err(InvalidDate);
                }
                let off = i64::from(oh * 3600 + om * 60);
                offset_secs = if c == b'-' { -off } else { off };
            }
            _ => {}
        }
    }
    if i != s.len() {
        return Err(Syntax);
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(InvalidDate);
    }
    if h > 23 || mi > 59 || sec > 59 {
        return Err(InvalidDate);
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + sec) - offset_secs;
    secs.checked_mul(NANOS_PER_SEC)
        .and_then(|n| n.checked_add(i64::from(nanos)))
        .ok_or(TimestampError::OutOfRange)
}

/// `epoch_millis`: `-?digits(.digits{1,6})?`.
fn parse_epoch_millis(s: &[u8]) -> Result<i64, TimestampError> {
    use TimestampError::{OutOfRange, Syntax};
    let (neg, body) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let (int, frac) = match body.iter().position(|&c| c == b'.') {
        Some(p) => (&body[..p], Some(&body[p + 1..])),
        None => (body, None),
    };
    if int.is_empty() || !int.iter().all(u8::is_ascii_digit) {
        return Err(Syntax);
    }
    let mut millis: i64 = 0;
    for &c in int {
        millis = millis
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(c - b'0')))
            .ok_or(OutOfRange)?;
    }
    let mut sub: i64 = 0;
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 6 || !f.iter().all(u8::is_ascii_digit) {
            return Err(Syntax);
        }
        for &c in f {
            sub = sub * 10 + i64::from(c - b'0');
        }
        sub *= 10i64.pow(6 - f.len() as u32);
    }
    let n = millis
        .checked_mul(1_000_000)
        .and_then(|n| n.checked_add(sub))
        .ok_or(OutOfRange)?;
    Ok(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> Result<i64, TimestampError> {
        parse_timestamp(Value::Str(t))
    }

    #[test]
    fn formats_known_instants_and_parses_them_back() {
        use super::{civil_from_days, parse_str, rfc3339_nanos};
        assert_eq!(rfc3339_nanos(0), "1970-01-01T00:00:00.000000000Z");
        let t = (days_from_civil(2024, 6, 10) * 86_400 + 6 * 3600 + 15 * 60 + 23) * 1_000_000_000
            + 123_456_700;
        assert_eq!(rfc3339_nanos(t), "2024-06-10T06:15:23.123456700Z");
        assert_eq!(rfc3339_nanos(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(
            rfc3339_nanos(days_from_civil(2000, 2, 29) * 86_400 * 1_000_000_000),
            "2000-02-29T00:00:00.000000000Z"
        );
        for n in [0, -1, t, i64::MAX / 2, i64::MIN / 2] {
            assert_eq!(parse_str(rfc3339_nanos(n).as_bytes()), Ok(n));
        }
        for d in -800_000..800_000 {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }

    #[test]
    fn rfc3339() {
        assert_eq!(s("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(
            s("2024-10-18T12:00:00.123456789Z"),
            Ok(1_729_252_800_123_456_789)
        );
        assert_eq!(
            s("2024-10-18T14:00:00+02:00"),
            Ok(1_729_252_800_000_000_000)
        );
        assert_eq!(s("2024-10-18T14:00:00+0200"), Ok(1_729_252_800_000_000_000));
        assert_eq!(s("2024-10-18T14:00:00+02"), Ok(1_729_252_800_000_000_000));
        assert_eq!(
            s("2024-10-18T10:30:00-01:30"),
            Ok(1_729_252_800_000_000_000)
        );
        assert_eq!(s("2024-10-18T12:00:00"), Ok(1_729_252_800_000_000_000));
        assert_eq!(s("2024-10-18T12:00:00.5"), Ok(1_729_252_800_500_000_000));
        assert_eq!(s("2024-10-18T12:00:00,5Z"), Ok(1_729_252_800_500_000_000));
        assert_eq!(s("2024-10-18T12:00Z"), Ok(1_729_252_800_000_000_000));
        assert_eq!(s("2024-10-18T12"), Ok(1_729_252_800_000_000_000));
        assert_eq!(s("2024-10-18"), Ok(1_729_209_600_000_000_000));
        assert_eq!(s("2024-10"), s("2024-10-01"));
        assert_eq!(s("2024"), s("2024-01-01"));
    }

    #[test]
    fn leap_years() {
        assert!(s("2024-02-29").is_ok());
        assert!(s("2000-02-29").is_ok());
        assert_eq!(s("2023-02-29"), Err(TimestampError::InvalidDate));
        assert_eq!(s("2100-02-29"), Err(TimestampError::InvalidDate));
        assert_eq!(
            s("2024-03-01").unwrap() - s("2024-02-28").unwrap(),
            2 * 86_400 * NANOS_PER_SEC
        );
    }

    #[test]
    fn rejects_garbage() {
        for g in [
            "",
            "2024-13-01",
            "2024-02-30",
            "2024-00-10",
            "2024-01-00",
            "2024-10-18T24:00:00Z",
            "2024-10-18T12:60:00Z",
            "2024-10-18T12:00:60Z",
            "2024-10-18T12:00:00.Z",
            "2024-10-18T12:00:00.1234567890Z",
            "2024-10-18T12:00:00Zjunk",
            "2024-10-18 12:00:00",
            "2024-10-18t12:00:00z",
            "2024-10-18T12:00:00+19:00",
            "2024-1-18",
            "24-10-18",
            "abc",
            "12.",
            ".5",
            "1e3",
            "--1",
            "1.1234567",
            "2024-10-18T",
        ] {
            assert!(s(g).is_err(), "{g:?} was accepted");
        }
        assert_eq!(
            parse_timestamp(Value::Bool(true)),
            Err(TimestampError::WrongType)
        );
        assert_eq!(
            parse_timestamp(Value::Num("1e3")),
            Err(TimestampError::Syntax)
        );
    }

    #[test]
    fn epoch_millis() {
        assert_eq!(
            parse_timestamp(Value::Num("1729252800123")),
            Ok(1_729_252_800_123_000_000)
        );
        assert_eq!(s("1729252800123"), Ok(1_729_252_800_123_000_000));
        assert_eq!(parse_timestamp(Value::Num("-1")), Ok(-1_000_000));
        assert_eq!(parse_timestamp(Value::Num("1.5")), Ok(1_500_000));
        assert_eq!(parse_timestamp(Value::Num("0.000001")), Ok(1));
        // Four digits read as a year, as the date format is tried first.
        assert_eq!(s("1970"), Ok(0));
        assert_eq!(s("19700"), Ok(19_700_000_000));
    }

    #[test]
    fn range() {
        assert_eq!(s("1677-09-21"), Err(TimestampError::OutOfRange));
        assert_eq!(s("2262-04-12"), Err(TimestampError::OutOfRange));
        assert!(s("1677-09-22").is_ok());
        assert!(s("2262-04-11").is_ok());
        assert_eq!(s("0001-01-01"), Err(TimestampError::OutOfRange));
        assert_eq!(
            s("9999-12-31T23:59:59.999999999Z"),
            Err(TimestampError::OutOfRange)
        );
        assert_eq!(
            parse_timestamp(Value::Num("99999999999999999999999")),
            Err(TimestampError::OutOfRange)
        );
        assert_eq!(
            parse_timestamp(Value::Num("9300000000000")),
            Err(TimestampError::OutOfRange)
        );
    }
}
