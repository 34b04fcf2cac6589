//! Values as the interpreter sees them: typed scalars, numbers, addresses and instants.

use std::cmp::Ordering;
use std::net::IpAddr;

/// A scalar during evaluation. `Null` is both "missing" and an explicit `null`.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
}

impl Val {
    /// The value as Elasticsearch would print it in a string context (`string(v)`, `concat`).
    pub fn to_text(&self) -> Option<String> {
        match self {
            Val::Null => None,
            Val::Bool(b) => Some(b.to_string()),
            Val::Int(i) => Some(i.to_string()),
            Val::Float(f) => Some(float_text(*f)),
            Val::Str(s) => Some(s.clone()),
        }
    }

    /// The value as a number, if it is one (strings are not converted: that is `number()`).
    pub fn as_num(&self) -> Option<Num> {
        match self {
            Val::Int(i) => Some(Num::Int(*i)),
            Val::Float(f) => Some(Num::Float(*f)),
            _ => None,
        }
    }

    /// From a JSON scalar, typed as dynamic mapping would type it.
    pub fn from_json(v: &serde_json::Value) -> Val {
        match v {
            serde_json::Value::Bool(b) => Val::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => n.as_f64().map_or(Val::Null, Val::Float),
            },
            serde_json::Value::String(s) => Val::Str(s.clone()),
            _ => Val::Null,
        }
    }
}

/// Java's `Double.toString` for the common cases: integral values keep a `.0`.
pub fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        f.to_string()
    }
}

/// A number: integers stay exact, anything else is a double.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// A whole number.
    Int(i64),
    /// A double.
    Float(f64),
}

impl Num {
    /// Parses decimal text the way a numeric field coerces a string (`"80"`, `"1.5"`).
    pub fn parse(s: &str) -> Option<Num> {
        let t = s.trim();
        if let Ok(i) = t.parse::<i64>() {
            return Some(Num::Int(i));
        }
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Num::Float)
    }

    /// As a double.
    pub fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    /// Numeric ordering; integers compare exactly, NaN is unordered.
    pub fn compare(self, other: Num) -> Option<Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    /// Back to a [`Val`].
    pub fn val(self) -> Val {
        match self {
            Num::Int(i) => Val::Int(i),
            Num::Float(f) => Val::Float(f),
        }
    }
}

/// Parses an address; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes the IPv4 address, since
/// Elasticsearch stores both as the same 16 bytes. Surrounding spaces are not an address
/// (Elasticsearch's `InetAddresses.forString` rejects them), so such a value never matches.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The 16-byte form Elasticsearch indexes an address as, as a number (for ranges and CIDRs).
pub fn ip_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// A CIDR block `addr/len` (or a bare address, a /32 or /128) as (network bits, mask).
pub fn parse_cidr(s: &str) -> Option<(u128, u128)> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.trim().parse::<u32>().ok()?)),
        None => (s, None),
    };
    let raw: IpAddr = addr.trim().parse().ok()?;
    // The prefix length counts bits of the address as written: a v4 block /n is /(96+n) of the
    // mapped 16-byte form.
    let (bits, prefix) = match raw {
        IpAddr::V4(v4) => {
            let n = len.unwrap_or(32);
            if n > 32 {
                return None;
            }
            (u128::from(v4.to_ipv6_mapped()), 96 + n)
        }
        IpAddr::V6(v6) => {
            let n = len.unwrap_or(128);
            if n > 128 {
                return None;
            }
            (u128::from(v6), n)
        }
    };
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    Some((bits & mask, mask))
}

/// Whether `ip` is inside the block.
pub fn in_cidr(ip: IpAddr, block: (u128, u128)) -> bool {
    ip_bits(ip) & block.1 == block.0
}

/// Parses an instant: RFC 3339 / ISO 8601 text (`2017-08-30T20:47:33Z`, fractions to the
/// nanosecond, `Z` or `±hh:mm`; a date alone is midnight UTC), or epoch milliseconds as a JSON
/// number or a numeric string. Returns nanoseconds since the Unix epoch.
pub fn parse_instant(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.checked_mul(1_000_000)
            } else {
                let f = n.as_f64()? * 1e6;
                (f.is_finite() && f.abs() < 9.2e18).then_some(f as i64)
            }
        }
        serde_json::Value::String(s) => parse_instant_text(s),
        _ => None,
    }
}

/// [`parse_instant`] for text.
pub fn parse_instant_text(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !s[1..].contains('-')
    {
        return s.parse::<i64>().ok()?.checked_mul(1_000_000);
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let year = num(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = num(5, 2)?;
    let day = num(8, 2)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let mut secs = days * 86_400;
    let mut nanos = 0i64;
    let mut rest = &s[10..];
    if let Some(r) = rest.strip_prefix(['T', 't', ' ']) {
        let hh = num(11, 2)?;
        if r.as_bytes().get(2) != Some(&b':') {
            return None;
        }
        let mm = num(14, 2)?;
        let mut pos = 16;
        let mut ss = 0;
        if b.get(16) == Some(&b':') {
            ss = num(17, 2)?;
            pos = 19;
        }
        if hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
        secs += hh * 3600 + mm * 60 + ss;
        if matches!(b.get(pos), Some(b'.') | Some(b',')) {
            let digits: String = s[pos + 1..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if digits.is_empty() {
                return None;
            }
            let mut frac = 0i64;
            for (i, c) in digits.chars().enumerate() {
                if i < 9 {
                    frac = frac * 10 + i64::from(c.to_digit(10)?);
                }
            }
            for _ in digits.len()..9 {
                frac *= 10;
            }
            nanos = frac;
            pos += 1 + digits.len();
        }
        rest = &s[pos..];
        let offset = match rest {
            "Z" | "z" | "" => 0,
            o if (o.starts_with('+') || o.starts_with('-')) && o.len() == 6 => {
                let sign = if o.starts_with('-') { -1 } else { 1 };
                let oh: i64 = o.get(1..3)?.parse().ok()?;
                let om: i64 = o.get(4..6)?.parse().ok()?;
                sign * (oh * 3600 + om * 60)
            }
            _ => return None,
        };
        secs -= offset;
    } else if !rest.is_empty() {
        return None;
    }
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// [`parse_instant`] for a `date` field with custom `format`s (Java time patterns such as
/// `dd-MM-yyyy`): the first format that parses the text wins; with none, the default forms.
pub fn parse_instant_with(v: &serde_json::Value, formats: &[String]) -> Option<i64> {
    if formats.is_empty() {
        return parse_instant(v);
    }
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    formats
        .iter()
        .find_map(|f| eql_runtime::time::parse_with_pattern(&text, f))
}

/// Orders two values of a `version` field as Elasticsearch does: valid versions
/// (`1.11.3`, `1.2.4-SNAPSHOT`, `2.0.0+build`) by their numeric parts, a pre-release before its
/// release; text that is no valid version after every valid one, compared byte-wise.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    match (parse_version(a), parse_version(b)) {
        (Some(x), Some(y)) => x.0.cmp(&y.0).then_with(|| match (&x.1, &y.1) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(p), Some(q)) => compare_prerelease(p, q),
        }),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// `(numeric parts, pre-release)`; the build suffix (`+…`) does not order.
fn parse_version(v: &str) -> Option<(Vec<u64>, Option<String>)> {
    let core = v.split_once('+').map_or(v, |(c, _)| c);
    let (nums, pre) = match core.split_once('-') {
        Some((n, p)) if !p.is_empty() => (n, Some(p.to_string())),
        Some(_) => return None,
        None => (core, None),
    };
    let parts: Option<Vec<u64>> = nums
        .split('.')
        .map(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect();
    let parts = parts?;
    (!parts.is_empty()).then_some((parts, pre))
}

/// Semantic-versioning pre-release order: dot-separated identifiers, numeric ones numerically
/// and before alphanumeric ones.
fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let mut xs = a.split('.');
    let mut ys = b.split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(p), Ok(q)) => p.cmp(&q),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn instants() {
        assert_eq!(parse_instant(&json!(1000)), Some(1_000_000_000));
        assert_eq!(parse_instant(&json!("1000")), Some(1_000_000_000));
        assert_eq!(
            parse_instant_text("1970-01-01T00:00:01Z"),
            Some(1_000_000_000)
        );
        assert_eq!(
            parse_instant_text("1970-01-01T00:00:01.000000001Z"),
            Some(1_000_000_001)
        );
        assert_eq!(parse_instant_text("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(
            parse_instant_text("2017-08-30T20:47:33Z"),
            Some(1_504_126_053_000_000_000)
        );
        assert_eq!(parse_instant_text("2017-13-30T20:47:33Z"), None);
        assert_eq!(parse_instant_text("nonsense"), None);
        assert_eq!(
            parse_instant_text("2017-08-30T20:47"),
            Some(1_504_126_020_000_000_000)
        );
    }

    #[test]
    fn custom_date_formats_and_versions() {
        let f = |p: &str| vec![p.to_string()];
        assert_eq!(
            parse_instant_with(&json!("17-12-2022"), &f("dd-MM-yyyy")),
            Some(1_671_235_200_000_000_000)
        );
        assert_eq!(
            parse_instant_with(&json!("2022-12-17"), &f("yyyy-MM-dd")),
            Some(1_671_235_200_000_000_000)
        );
        assert_eq!(
            parse_instant_with(&json!("2022-12-17"), &f("dd-MM-yyyy")),
            None
        );
        assert_eq!(parse_instant_with(&json!("1000"), &[]), Some(1_000_000_000));
        assert_eq!(compare_versions("1.11.3", "1.5.0"), Ordering::Greater);
        assert_eq!(compare_versions("1.2.4-SNAPSHOT", "1.2.4"), Ordering::Less);
        assert_eq!(compare_versions("1.2.4-SNAPSHOT", "1.5.0"), Ordering::Less);
        assert_eq!(compare_versions("bad", "1.5.0"), Ordering::Greater);
        assert_eq!(compare_versions("1.5.0", "1.5.0"), Ordering::Equal);
        assert_eq!(
            compare_versions("1.0.0-alpha.2", "1.0.0-alpha.10"),
            Ordering::Less
        );
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_ip("::ffff:169.254.169.254"),
            parse_ip("169.254.169.254")
        );
        let block = parse_cidr("10.0.0.0/8").unwrap();
        assert!(in_cidr(parse_ip("10.6.48.157").unwrap(), block));
        assert!(!in_cidr(parse_ip("11.0.0.1").unwrap(), block));
        assert!(in_cidr(parse_ip("::ffff:10.1.2.3").unwrap(), block));
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(in_cidr(
            parse_ip("fe80::1").unwrap(),
            parse_cidr("fe80::/10").unwrap()
        ));
    }

    #[test]
    fn numbers_and_text() {
        assert_eq!(Num::parse("80"), Some(Num::Int(80)));
        assert_eq!(Num::parse("x"), None);
        assert_eq!(float_text(5.0), "5.0");
        assert_eq!(
            Num::Int(3).compare(Num::Float(2.5)),
            Some(Ordering::Greater)
        );
    }
}
