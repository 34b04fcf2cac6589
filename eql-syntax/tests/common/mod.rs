//! Reading the rule corpus in `testdata/`.

#![allow(dead_code)]

use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata");
    assert!(
        dir.is_dir(),
        "the rule corpus is missing: expected {} (`testdata/` at the repository root)",
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

/// The corpus queries and the deprecated ones together.
pub fn all_queries() -> Vec<(String, String)> {
    let mut v = queries("elastic-eql-rules.jsonl");
    v.extend(queries("elastic-eql-rules-deprecated.jsonl"));
    v
}
