//! The generator tells the truth: on `eql-detect gen` output and on the bundled sample, every
//! alert of every bundled rule is one of the injected scenarios (no artefact alerts), every
//! scenario is found by its rule, and no near miss raises anything.
//!
//! An alert is explained by a scenario when the alert's rule is the scenario's `rule` and the
//! `event.id`s of the alert's events are a subset of the scenario's `event_ids`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_eql-detect");

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gen_truth");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn run(args: &[&str]) -> std::process::Output {
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `eql-detect gen` with these options; returns the data file and the truth.
fn generate(tag: &str, opts: &[&str]) -> (PathBuf, Value) {
    let data = tmp(&format!("{tag}.ndjson"));
    let truth = tmp(&format!("{tag}.truth.json"));
    let mut args = vec!["gen"];
    args.extend_from_slice(opts);
    args.extend_from_slice(&[
        "-o",
        data.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ]);
    run(&args);
    let truth = serde_json::from_str(&std::fs::read_to_string(truth).unwrap()).unwrap();
    (data, truth)
}

/// Every bundled rule over `file`, every alert reported.
fn alerts(file: &Path) -> Vec<Value> {
    let out = run(&[
        "--format",
        "ndjson",
        "--no-alert-cap",
        "-q",
        file.to_str().unwrap(),
    ]);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Checks the alerts against the truth; returns the alert count per rule.
fn check(truth: &Value, alerts: &[Value]) -> BTreeMap<String, usize> {
    let scenarios = truth["scenarios"].as_array().unwrap();
    let near = truth["near_misses_list"].as_array().unwrap();
    assert!(!scenarios.is_empty(), "no scenarios: {truth}");
    // Which scenario (or near miss) each event belongs to; no event belongs to two.
    let mut owner: HashMap<&str, (bool, usize)> = HashMap::new();
    for (near_miss, list) in [(false, scenarios), (true, near)] {
        for (i, s) in list.iter().enumerate() {
            assert_eq!(s["near_miss"], near_miss, "{s}");
            for id in s["event_ids"].as_array().unwrap() {
                let id = id.as_str().unwrap();
                assert!(
                    owner.insert(id, (near_miss, i)).is_none(),
                    "{id} in two scenarios"
                );
            }
        }
    }
    let mut found = vec![false; scenarios.len()];
    let mut per_rule = BTreeMap::new();
    for alert in alerts {
        let rule = alert["kibana.alert.rule.name"].as_str().unwrap();
        *per_rule.entry(rule.to_owned()).or_insert(0) += 1;
        let ids: Vec<&str> = alert["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"]["id"].as_str().unwrap())
            .collect();
        let owners: BTreeSet<Option<(bool, usize)>> =
            ids.iter().map(|id| owner.get(id).copied()).collect();
        let explained = match owners.iter().collect::<Vec<_>>()[..] {
            [Some((false, i))] if scenarios[*i]["rule"] == rule => {
                found[*i] = true;
                true
            }
            _ => false,
        };
        assert!(
            explained,
            "alert of `{rule}` on {ids:?} is not an injected scenario ({}): {}",
            match owners.iter().next() {
                Some(Some((true, i))) => format!("near miss {}", near[*i]),
                Some(Some((false, i))) => format!("scenario {}", scenarios[*i]),
                _ => "background".to_owned(),
            },
            serde_json::to_string(&alert["events"]).unwrap()
        );
    }
    for (s, f) in scenarios.iter().zip(&found) {
        assert!(*f, "scenario not found by its rule: {s}");
    }
    per_rule
}

#[test]
fn every_alert_on_generated_data_is_an_injected_scenario() {
    for seed in ["3", "17"] {
        let (data, truth) = generate(
            &format!("30000-{seed}"),
            &["--events", "30000", "--seed", seed],
        );
        assert_eq!(truth["events"], 30_000);
        let alerts = alerts(&data);
        let per_rule = check(&truth, &alerts);
        assert!(per_rule.len() >= 10, "seed {seed}: {per_rule:?}");
        // The distinct rules of the scenarios are exactly the rules that alerted.
        let rules: BTreeSet<&str> = truth["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(rules, per_rule.keys().map(String::as_str).collect());
        assert_eq!(
            per_rule[eql_gen::IMDS_RULE] as u64,
            truth["true_sequences"].as_u64().unwrap()
        );
    }
}

#[test]
fn every_alert_on_a_small_dense_fleet_is_an_injected_scenario() {
    // Few hosts and a high injection rate: injections crowd each other on the same hosts.
    let (data, truth) = generate(
        "dense",
        &[
            "--events",
            "20000",
            "--seed",
            "5",
            "--hosts",
            "10",
            "--inject-per-million",
            "20000",
        ],
    );
    let per_rule = check(&truth, &alerts(&data));
    assert_eq!(per_rule.len(), eql_gen::ATTACKS.len() + 1, "{per_rule:?}");
}

/// The command that made `data/sample.ndjson.gz` (the generator's module doc records it).
const SAMPLE_GEN: &[&str] = &[
    "--events",
    "2000",
    "--seed",
    "42",
    "--hosts",
    "10",
    "--inject-per-million",
    "3000",
];

#[test]
fn every_alert_on_the_bundled_sample_is_an_injected_scenario() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample.ndjson.gz");
    let mut committed = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&sample).unwrap())
        .read_to_end(&mut committed)
        .unwrap();
    let (regenerated, truth) = generate("sample", SAMPLE_GEN);
    assert!(
        committed == std::fs::read(&regenerated).unwrap(),
        "data/sample.ndjson.gz is stale: regenerate it with `eql-detect gen {} -o data/sample.ndjson.gz`",
        SAMPLE_GEN.join(" ")
    );
    let plain = tmp("sample-committed.ndjson");
    std::fs::write(&plain, &committed).unwrap();
    let alerts = alerts(&plain);
    let per_rule = check(&truth, &alerts);
    assert!(per_rule.len() >= 8, "{per_rule:?}");
    let imds = truth["true_sequences"].as_u64().unwrap();
    assert!(imds >= 3, "{truth}");
    assert_eq!(per_rule[eql_gen::IMDS_RULE] as u64, imds);
    // The gzip file as such gives the same alerts.
    assert_eq!(self::alerts(&sample), alerts);
}
