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
    eql_runtime::time::rfc3339_nanos(nanos)
}
