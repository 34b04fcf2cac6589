//! Helpers shared by the integration tests: the IMDS rule on both back ends, and timestamps.

// Each test crate uses its own subset of these helpers.
#![allow(dead_code)]

use eql_runtime::rule::Rule;

/// The IMDS rule compiled by `eql_rule!`.
pub fn compiled() -> Box<dyn Rule> {
    Box::new(eql_macro::eql_rule!("rules/imds.eql"))
}

/// The same rule file, loaded at run time (the `--rule-file` path).
pub fn loaded() -> Box<dyn Rule> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/imds.eql");
    let text = std::fs::read_to_string(path).expect("rule file");
    let rule = eql_eval::load(path, &text, &eql_eval::Options::default()).expect("rule loads");
    eql_eval::set(vec![rule]).remove(0)
}

/// Nanoseconds since the epoch as RFC 3339 with nine fraction digits (UTC).
pub fn rfc3339(nanos: i64) -> String {
    eql_runtime::time::rfc3339_nanos(nanos)
}
