//! Elasticsearch's EQL spec files through `eql-detect` as a user runs it: each query is a rule
//! file given with `--rule-file`, the endgame-140 mapping with `--mapping`, the tiebreaker with
//! `--tiebreaker-field`, over the dataset as NDJSON. The ids of each rule's alerts, flattened in
//! output order, must equal the spec's `expected_event_ids`.
//!
//! Adapter (the corpus README): `@timestamp` = FILETIME `timestamp` / 10 000 − 11 644 473 600 000
//! (epoch ms); at most 50 results per query (the harness's request `size`); the alert cap off
//! (`max_signals` is Kibana's, not the search's).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_eql-detect");

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/eql-conformance/elasticsearch")
        .join(rel)
}

fn read(rel: &str) -> String {
    let path = corpus(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `test_data.json` as NDJSON with `@timestamp`, in the file's order.
fn dataset(dir: &Path) -> PathBuf {
    let data: Value = serde_json::from_str(&read("test_data.json")).unwrap();
    let mut out = String::new();
    for ev in data.as_array().unwrap() {
        let mut ev = ev.clone();
        let ft = ev["timestamp"].as_i64().unwrap();
        ev["@timestamp"] = Value::from(ft / 10_000 - 11_644_473_600_000);
        out.push_str(&ev.to_string());
        out.push('\n');
    }
    let path = dir.join("endgame-140.ndjson");
    std::fs::write(&path, out).unwrap();
    path
}

/// Runs every query of `file` as one `--rule-file` each, in one process; returns per query
/// name the expected and the actual ids.
fn run_file(file: &str) -> BTreeMap<String, (Vec<i64>, Vec<i64>)> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("conformance-cli")
        .join(file);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = dataset(&dir);
    let spec: toml::Value = read(file).parse().unwrap();
    let mut expected = BTreeMap::new();
    let mut args: Vec<String> = vec![
        "--no-builtin-rules".into(),
        "--no-alert-cap".into(),
        "--quiet".into(),
        "--format".into(),
        "ndjson".into(),
        "--mapping".into(),
        corpus("data/endgame-140.mapping").display().to_string(),
        "--tiebreaker-field".into(),
        "serial_event_id".into(),
    ];
    for q in spec["queries"].as_array().unwrap() {
        let name = q["name"].as_str().unwrap().to_string();
        let ids: Vec<i64> = q["expected_event_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_integer().unwrap())
            .collect();
        // The rule's name is its file stem: alerts are told apart by it.
        let path = dir.join(format!("{name}.eql"));
        std::fs::write(&path, q["query"].as_str().unwrap().trim()).unwrap();
        args.push("--rule-file".into());
        args.push(path.display().to_string());
        assert!(expected.insert(name, ids).is_none(), "duplicate query name");
    }
    args.push(data.display().to_string());
    let out = Command::new(BIN)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{file}: eql-detect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut results: BTreeMap<String, Vec<Vec<i64>>> = BTreeMap::new();
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
            .map(|e| e["serial_event_id"].as_i64().unwrap())
            .collect();
        results.entry(name).or_default().push(ids);
    }
    expected
        .into_iter()
        .map(|(name, want)| {
            let mut got = results.remove(&name).unwrap_or_default();
            got.truncate(50);
            (name, (want, got.concat()))
        })
        .collect()
}

fn check(file: &str, count: usize) {
    let results = run_file(file);
    let failed: Vec<_> = results
        .iter()
        .filter(|(_, (want, got))| want != got)
        .collect();
    for (name, (want, got)) in &failed {
        eprintln!("FAIL {name}: want {want:?}, got {got:?}");
    }
    eprintln!(
        "{file}: {} passed, {} failed",
        results.len() - failed.len(),
        failed.len()
    );
    assert_eq!(results.len(), count, "{file}: queries read");
    assert!(failed.is_empty(), "{file}: {} failed", failed.len());
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
