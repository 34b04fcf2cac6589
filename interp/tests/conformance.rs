//! The Elasticsearch EQL QA specs (endgame-140 index) run through the interpreter.
//!
//! Adapter (corpus README): `@timestamp` = FILETIME `timestamp` / 10 000 − 11 644 473 600 000
//! (epoch ms), `event.category` is an alias of `event_type` (from `data/endgame-140.mapping`),
//! ordering by (`@timestamp`, `serial_event_id`), at most 50 results, ids flattened across
//! sequences.

use std::collections::BTreeMap;

use eql_interp::{run_stream_with, FieldTypes, Interpreted, StreamOptions};
use serde_json::Value;

fn corpus(rel: &str) -> String {
    let path = format!(
        "{}/../../shared/corpus/eql-conformance/elasticsearch/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("conformance corpus missing: {path}: {e}"))
}

fn dataset() -> Vec<String> {
    let data: Value = serde_json::from_str(&corpus("test_data.json")).expect("test_data.json");
    data.as_array()
        .expect("an array of events")
        .iter()
        .map(|ev| {
            let mut ev = ev.clone();
            let ft = ev["timestamp"].as_i64().expect("FILETIME timestamp");
            ev["@timestamp"] = Value::from(ft / 10_000 - 11_644_473_600_000);
            ev.to_string()
        })
        .collect()
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Pass,
    Fail(Vec<i64>),
    Unsupported(String),
}

fn run_file(file: &str, reversed: bool) -> BTreeMap<String, Outcome> {
    let spec: toml::Value = corpus(file).parse().expect("spec is TOML");
    let types = FieldTypes::from_mapping(&corpus("data/endgame-140.mapping")).expect("mapping");
    let mut docs = dataset();
    if reversed {
        // Arrival order must not matter: events are ordered by (@timestamp, serial_event_id).
        docs.reverse();
    }
    let lines: Vec<&str> = docs.iter().map(String::as_str).collect();
    let opts = StreamOptions {
        tiebreaker: Some("serial_event_id".into()),
        size: Some(50),
    };
    let mut out = BTreeMap::new();
    for q in spec["queries"].as_array().expect("[[queries]]") {
        let name = q["name"].as_str().expect("name").to_string();
        let query = q["query"].as_str().expect("query").trim();
        let expected: Vec<i64> = q["expected_event_ids"]
            .as_array()
            .expect("expected_event_ids")
            .iter()
            .map(|v| v.as_integer().expect("flat id list"))
            .collect();
        let outcome = match Interpreted::from_query(query) {
            Err(e) => Outcome::Unsupported(e),
            Ok(rule) => {
                let rule = rule.with_field_types(types.clone());
                let got: Vec<i64> = run_stream_with(&rule, &lines, &opts)
                    .expect("dataset runs")
                    .iter()
                    .flatten()
                    .map(|raw| {
                        let v: Value = serde_json::from_str(raw).unwrap();
                        v["serial_event_id"].as_i64().unwrap()
                    })
                    .collect();
                if got == expected {
                    Outcome::Pass
                } else {
                    Outcome::Fail(got)
                }
            }
        };
        assert!(
            out.insert(name.clone(), outcome).is_none(),
            "duplicate name {name}"
        );
    }
    out
}

/// Prints a summary and checks it against the floor and the known-failure list.
fn check(file: &str, floor: usize, known: &[&str], reversed: bool) {
    let results = run_file(file, reversed);
    let passed = results.values().filter(|o| **o == Outcome::Pass).count();
    let mut unexpected = Vec::new();
    let mut unsupported = 0;
    for (name, o) in &results {
        match o {
            Outcome::Pass => {}
            Outcome::Fail(got) => {
                eprintln!("FAIL {name}: got {got:?}");
                if !known.contains(&name.as_str()) {
                    unexpected.push(name.clone());
                }
            }
            Outcome::Unsupported(e) => {
                unsupported += 1;
                eprintln!("UNSUPPORTED {name}: {}", e.lines().next().unwrap_or(""));
                if !known.contains(&name.as_str()) {
                    unexpected.push(name.clone());
                }
            }
        }
    }
    eprintln!(
        "{file}: {passed} passed, {} failed, {unsupported} unsupported, of {}",
        results.len() - passed - unsupported,
        results.len()
    );
    for k in known {
        assert!(
            results.contains_key(*k),
            "known failure {k} is not a test of {file}"
        );
    }
    assert!(
        unexpected.is_empty(),
        "{file}: unexpected failures {unexpected:?}"
    );
    assert!(passed >= floor, "{file}: {passed} passed, floor {floor}");
}

// Every active query of these files passes; the known-failure lists are empty, so any
// regression (or newly unsupported construct) fails the test.

#[test]
fn test_queries() {
    check("test_queries.toml", 133, &[], false);
}

#[test]
fn additional_test_queries() {
    check("additional_test_queries.toml", 61, &[], false);
}

#[test]
fn test_queries_date() {
    check("test_queries_date.toml", 4, &[], false);
}

#[test]
fn results_do_not_depend_on_arrival_order() {
    check("test_queries.toml", 133, &[], true);
    check("additional_test_queries.toml", 61, &[], true);
}
