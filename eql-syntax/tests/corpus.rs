//! Every Elastic EQL detection rule parses and passes the checks.

use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    assert!(
        dir.is_dir(),
        "the rule corpus is missing: expected {} (the repository is checked out next to `shared/`)",
        dir.display()
    );
    dir
}

/// `(rule path, query)` of every line of a corpus JSONL file.
pub fn queries(file: &str) -> Vec<(String, String)> {
    let path = corpus_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("corpus line is JSON");
            let q = v["query"]
                .as_str()
                .expect("corpus line has a query")
                .to_string();
            let p = v["path"].as_str().unwrap_or("?").to_string();
            (p, q)
        })
        .collect()
}

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
