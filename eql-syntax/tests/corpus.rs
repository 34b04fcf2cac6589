//! Every Elastic EQL detection rule parses and passes the checks.

mod common;

use common::queries;

fn assert_all_parse(file: &str, expected: usize) {
    let qs = queries(file);
    assert_eq!(qs.len(), expected, "{file}: unexpected number of rules");
    let mut failures = Vec::new();
    for (path, q) in &qs {
        if let Err(d) = eql_syntax::parse(q) {
            failures.push(eql_syntax::render(&d, path, q));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rules in {file} fail:\n{}",
        failures.len(),
        qs.len(),
        failures.join("\n")
    );
}

#[test]
fn every_active_rule_parses() {
    assert_all_parse("elastic-eql-rules.jsonl", 1024);
}

#[test]
fn every_deprecated_rule_parses() {
    assert_all_parse("elastic-eql-rules-deprecated.jsonl", 57);
}
