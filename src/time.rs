//! Timestamps and durations as the CLI reads and writes them.
//!
//! Written by hand rather than pulling in a date crate: the CLI only ever needs UTC RFC 3339 with
//! nanoseconds (what Elastic Defend emits and what Kibana alerts carry, formatted by
//! `eql_runtime::time` next to its parser) and short durations.

// RFC 3339 formatting lives with the timestamp parser it mirrors.
pub use eql_runtime::time::rfc3339_nanos;

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
