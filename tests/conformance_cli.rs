//! Elasticsearch's EQL spec files through `eql-detect` as a user runs it: each query is a rule
//! file given with `--rule-file` (interpreted), the suite's index mapping with `--mapping`, its
//! tiebreaker with `--tiebreaker-field`, `--max-samples-per-key` as the spec sets it, over the
//! dataset as an NDJSON file. The suites (queries, expectations, adapted datasets, merged
//! mappings) are the ones `eql-conformance` compiles, so both engines answer the same cases.
//!
//! Each rule's alerts, in output order and cut at the request's `size`, give the ids of their
//! events; they must equal the spec's expectation (one of them, where it lists several) and the
//! join keys must equal the spec's where it gives them. An alert lists only real events, so a
//! missing-event stage's placeholder id (-1) is left out of the expectation here; the stage
//! positions are checked through the detector in `eql-conformance`. The alert cap is off
//! (`max_signals` is Kibana's, not the search's).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use eql_conformance::{Case, Suite, SUITES};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_eql-detect");

/// Per case name: its alerts as (ids, join keys).
type Alerts = BTreeMap<String, Vec<(Vec<i64>, Vec<String>)>>;

/// Runs `cases` in one `eql-detect` process.
fn run(suite: &Suite, cases: &[&Case], per_key: usize, dir: &Path) -> Alerts {
    let data = dir.join("data.ndjson");
    std::fs::write(&data, suite.data).unwrap();
    let mapping = dir.join("mapping.json");
    std::fs::write(&mapping, suite.mapping).unwrap();
    let mut args: Vec<String> = [
        "--no-builtin-rules",
        "--no-alert-cap",
        "--quiet",
        "--format",
        "ndjson",
        "--mapping",
    ]
    .map(String::from)
    .to_vec();
    args.push(mapping.display().to_string());
    args.push(format!("--max-samples-per-key={per_key}"));
    if let Some(t) = suite.tiebreaker {
        args.push(format!("--tiebreaker-field={t}"));
    }
    for case in cases {
        // The rule's name is its file stem: alerts are told apart by it.
        let path = dir.join(format!("{}.eql", case.name));
        std::fs::write(&path, case.query).unwrap();
        args.push("--rule-file".into());
        args.push(path.display().to_string());
    }
    args.push(data.display().to_string());
    let out = Command::new(BIN)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: eql-detect failed: {}",
        suite.file,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut alerts = Alerts::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let alert: Value = serde_json::from_str(line).unwrap();
        let name = alert["kibana.alert.rule.name"]
            .as_str()
            .unwrap()
            .to_string();
        let ids = alert["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[suite.id_field].as_i64().unwrap())
            .collect();
        let keys = alert["eql.join_key_values"]
            .as_array()
            .map(|o| {
                o.iter()
                    .map(|v| match v {
                        Value::Null => "null".to_string(),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        alerts.entry(name).or_default().push((ids, keys));
    }
    alerts
}

/// Checks every case of `file`, except the `known` wrong answers (each with its reason, and
/// each must still be wrong).
fn check(file: &str, known: &[(&str, &str)]) {
    let suite = SUITES.iter().find(|s| s.file == file).expect("suite");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("conformance-cli")
        .join(file);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // One process per `max_samples_per_key` (a command-line setting).
    let mut by_per_key: BTreeMap<usize, Vec<&Case>> = BTreeMap::new();
    for case in suite.cases.iter().filter(|c| c.portable) {
        by_per_key
            .entry(case.max_samples_per_key)
            .or_default()
            .push(case);
    }
    let mut alerts = Alerts::new();
    for (per_key, cases) in &by_per_key {
        alerts.extend(run(suite, cases, *per_key, &dir));
    }
    let (mut passed, mut failed) = (0, Vec::new());
    for case in suite.cases.iter().filter(|c| c.portable) {
        let mut got = alerts.remove(case.name).unwrap_or_default();
        got.truncate(case.size);
        let ids: Vec<i64> = got
            .iter()
            .flat_map(|(ids, _)| ids.iter().copied())
            .collect();
        let keys: Vec<String> = got.iter().flat_map(|(_, k)| k.iter().cloned()).collect();
        let ids_ok = case.expected.iter().any(|want| {
            let real: Vec<i64> = want.iter().copied().filter(|&i| i != -1).collect();
            real == ids
        });
        let keys_ok = case.join_keys.is_none_or(|want| want == keys.as_slice());
        let known_reason = known.iter().find(|(n, _)| *n == case.name).map(|k| k.1);
        match (ids_ok && keys_ok, known_reason) {
            (true, None) => passed += 1,
            (true, Some(_)) => panic!("{}: listed as known wrong but passes", case.name),
            (false, Some(reason)) => eprintln!("KNOWN WRONG {}: {reason}", case.name),
            (false, None) => {
                eprintln!(
                    "FAIL {}: {}\n  want {:?} keys {:?}\n  got  {ids:?} keys {keys:?}",
                    case.name, case.query, case.expected, case.join_keys
                );
                failed.push(case.name);
            }
        }
    }
    eprintln!(
        "{file}: {passed} passed, {} failed, {} known, of {}",
        failed.len(),
        known.len(),
        suite.cases.len()
    );
    assert!(failed.is_empty(), "{file}: failed: {failed:?}");
}

#[test]
fn test_queries() {
    check("test_queries.toml", &[]);
}

#[test]
fn additional_test_queries() {
    check("additional_test_queries.toml", &[]);
}

#[test]
fn test_queries_date() {
    check("test_queries_date.toml", &[]);
}

#[test]
fn test_extra() {
    check("test_extra.toml", &[]);
}

#[test]
fn test_missing_events() {
    check("test_missing_events.toml", &[]);
}

#[test]
fn test_sample() {
    check("test_sample.toml", &[]);
}

/// The queries of Python eql's suite that are in Elasticsearch's dialect.
#[test]
fn python_eql_1_0_1() {
    check(
        "../eql-pypi-1.0.1/test_queries.toml",
        eql_conformance::PYTHON_DIALECT,
    );
}

#[test]
fn test_sample_multi() {
    check("test_sample_multi.toml", &[]);
}
