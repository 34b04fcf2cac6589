//! Elasticsearch's EQL spec files through compiled rules: every query the compiler supports was
//! compiled by `eql_rule!` (see `build.rs`) and runs here through the detector over the
//! dataset, as `eql-detect` runs a file (unbounded lateness: events in timestamp order, then
//! the tiebreaker; the literal prefilter on). The ids of a rule's alerts, flattened in output
//! order and cut at 50 (the harness's request `size`), must equal the spec's expectation.

use std::collections::BTreeMap;

use eql_conformance::{Suite, SUITES};
use eql_runtime::detector::{Alert, Config, Detector};

/// Runs a suite's compiled rules; returns (passed, failed names, unsupported (name, reason)).
fn run(suite: &Suite) -> (usize, Vec<String>, Vec<(&'static str, &'static str)>) {
    let mut rules = Vec::new();
    let mut unsupported = Vec::new();
    for case in suite.cases {
        match case.rule {
            Ok(make) => rules.push(make()),
            Err(reason) => unsupported.push((case.name, reason)),
        }
    }
    let cfg = Config {
        lateness_nanos: u64::MAX,
        alert_cap: false,
        ..Config::default()
    };
    let mut det = Detector::new(rules, cfg).expect("detector");
    let mut got: BTreeMap<&str, Vec<Vec<i64>>> = BTreeMap::new();
    let id_field = suite.id_field;
    let mut collect = |a: Alert| {
        let ids = a
            .events
            .iter()
            .map(|e| {
                let v: serde_json::Value = serde_json::from_str(&e.raw).expect("event JSON");
                v[id_field].as_i64().expect("id")
            })
            .collect();
        got.entry(a.rule.name).or_default().push(ids);
    };
    for line in suite.data.lines() {
        det.push_line(line.as_bytes(), &mut collect);
    }
    det.finish(&mut collect);
    let stats = det.stats();
    assert_eq!(
        stats.evaluated,
        suite.data.lines().count() as u64,
        "{}: every line evaluated",
        suite.file
    );
    let mut passed = 0;
    let mut failed = Vec::new();
    for case in suite.cases.iter().filter(|c| c.rule.is_ok()) {
        let mut results = got.remove(case.name).unwrap_or_default();
        results.truncate(50);
        let ids = results.concat();
        if ids == case.expected {
            passed += 1;
        } else {
            eprintln!(
                "FAIL {}: {}\n  want {:?}\n  got  {ids:?}",
                case.name, case.query, case.expected
            );
            failed.push(case.name.to_string());
        }
    }
    (passed, failed, unsupported)
}

fn check(file: &str, min_compiled: usize) {
    let suite = SUITES.iter().find(|s| s.file == file).expect("suite");
    let (passed, failed, unsupported) = run(suite);
    for (name, reason) in &unsupported {
        eprintln!("NOT COMPILED {name}: {reason}");
    }
    eprintln!(
        "{file}: {passed} passed, {} failed, {} not compiled, of {}",
        failed.len(),
        unsupported.len(),
        suite.cases.len()
    );
    assert!(
        failed.is_empty(),
        "{file}: compiled queries failed: {failed:?}"
    );
    assert!(
        passed >= min_compiled,
        "{file}: {passed} compiled queries pass, expected at least {min_compiled}"
    );
}

#[test]
fn test_queries() {
    check("test_queries.toml", 133);
}

#[test]
fn additional_test_queries() {
    check("additional_test_queries.toml", 61);
}

#[test]
fn test_queries_date() {
    check("test_queries_date.toml", 4);
}
