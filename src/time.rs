//! Timestamps and durations as the CLI reads and writes them.
//!
//! Written by hand rather than pulling in a date crate: the CLI only ever needs UTC RFC 3339 with
//! nanoseconds (what Elastic Defend emits and what Kibana alerts carry) and short durations.

use std::fmt::Write as _;

const NANOS_PER_SEC: i64 = 1_000_000_000;

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
    let secs = nanos.div_euclid(NANOS_PER_SEC);
    let frac = nanos.rem_euclid(NANOS_PER_SEC);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:09}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
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

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a duration such as `2s`, `500ms`, `1m`, `250us`, `10ns` or `1.5s` into nanoseconds.
///
/// A bare number means seconds, as in EQL's `maxspan`. Negative and absurdly large values are
/// refused rather than wrapped.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale: f64 = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1e9,
        "ms" => 1e6,
        "us" | "µs" => 1e3,
        "ns" => 1.0,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        other => {
            return Err(format!(
                "unknown duration unit `{other}` in `{text}` (use ns, us, ms, s, m or h)"
            ))
        }
    };
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 2s, 500ms)"))?;
    let nanos = value * scale;
    if !nanos.is_finite() || !(0.0..=1e18).contains(&nanos) {
        return Err(format!("duration `{text}` is out of range"));
    }
    Ok(nanos.round() as u64)
}

/// Parses a byte size such as `16MiB`, `64k`, `1G` or `4096`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 4096, 64KiB, 16MiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{text}` (use KiB, MiB or GiB)"
            ))
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size `{text}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_nanos(0), "1970-01-01T00:00:00.000000000Z");
        // 2024-06-10T06:15:23.1234567Z, the constructed Defend sample.
        let t = (days_from_civil(2024, 6, 10) * 86_400 + 6 * 3600 + 15 * 60 + 23) * NANOS_PER_SEC
            + 123_456_700;
        assert_eq!(rfc3339_nanos(t), "2024-06-10T06:15:23.123456700Z");
        assert_eq!(rfc3339_nanos(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(
            rfc3339_nanos(days_from_civil(2000, 2, 29) * 86_400 * NANOS_PER_SEC),
            "2000-02-29T00:00:00.000000000Z"
        );
    }

    #[test]
    fn civil_round_trips() {
        for d in (-800_000..800_000).step_by(997) {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Ok(2_000_000_000));
        assert_eq!(parse_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("3"), Ok(3_000_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("2 fortnights").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1e400s").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("16MiB"), Ok(16 << 20));
        assert_eq!(parse_bytes("64k"), Ok(64 << 10));
        assert_eq!(parse_bytes("100"), Ok(100));
        assert!(parse_bytes("99999999999999999999G").is_err());
        assert!(parse_bytes("12 parsecs").is_err());
    }
}
