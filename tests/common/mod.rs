//! Helpers shared by the integration tests: the IMDS rule in both engines, and timestamps.

// Each test crate uses its own subset of these helpers.
#![allow(dead_code)]

use eql_runtime::detector::AnyRule;
use eql_runtime::rule::{Rule, ValueRule};

/// The IMDS rule compiled by `eql_rule!`.
pub fn compiled() -> AnyRule {
    AnyRule::Compiled(Box::new(eql_macro::eql_rule!("rules/imds.eql")) as Box<dyn Rule>)
}

/// The same rule file, interpreted at run time (the `--rule-file` path).
pub fn interpreted() -> AnyRule {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/imds.eql");
    let text = std::fs::read_to_string(path).expect("rule file");
    let rule = eql_interp::Interpreted::from_file(path, &text).expect("rule loads");
    AnyRule::Value(Box::new(rule) as Box<dyn ValueRule>)
}

/// Nanoseconds since the epoch as RFC 3339 with nine fraction digits (UTC).
pub fn rfc3339(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:09}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}
