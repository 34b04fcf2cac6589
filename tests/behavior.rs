//! Data-driven behaviour of the compiled IMDS rule: tests/cases/imds.toml.
//!
//! Every case streams its events through the [`Detector`] with the rule compiled by `eql_rule!` and
//! compares the alerts (as event names, in order) with the expectation written in the case file.

mod common;

use std::collections::HashMap;

use eql_runtime::detector::{Alert, Config, Detector};
use eql_runtime::rule::Rule;
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    events: Vec<EventSpec>,
    expect: Vec<Vec<String>>,
    #[serde(default)]
    late: u64,
}

#[derive(Deserialize)]
struct EventSpec {
    name: String,
    t: String,
    at: i64,
    #[serde(default)]
    at_ns: i64,
    #[serde(default)]
    set: Map<String, Value>,
    #[serde(default)]
    drop: Vec<String>,
    raw: Option<String>,
}

/// 2024-10-18T12:00:00Z plus `ms` milliseconds and `ns` nanoseconds, as RFC 3339 with 9 digits.
fn timestamp(ms: i64, ns: i64) -> String {
    let total_ns = ms * 1_000_000 + ns;
    let secs = total_ns.div_euclid(1_000_000_000);
    let frac = total_ns.rem_euclid(1_000_000_000);
    assert!((0..3600).contains(&secs), "cases stay within the hour");
    format!("2024-10-18T12:{:02}:{:02}.{frac:09}Z", secs / 60, secs % 60)
}

fn template(kind: &str, name: &str, ts: String) -> Value {
    match kind {
        "exec" => json!({
            "@timestamp": ts,
            "event": {"category": ["process"], "type": ["start"], "action": "exec", "kind": "event"},
            "host": {"id": "h1", "name": "web-1", "os": {"type": "linux", "family": "ubuntu"}},
            "process": {
                "name": "curl", "executable": "/usr/bin/curl", "entity_id": format!("e-{name}"),
                "command_line": "curl -s https://example.com/", "args": ["curl", "-s", "https://example.com/"],
                "working_directory": "/home/ubuntu",
                "parent": {"entity_id": "p1", "executable": "/bin/bash", "name": "bash"}
            }
        }),
        "net" => json!({
            "@timestamp": ts,
            "event": {"category": ["network"], "type": ["start"], "action": "connection_attempted", "kind": "event"},
            "host": {"id": "h1", "name": "web-1", "os": {"type": "linux", "family": "ubuntu"}},
            "destination": {"ip": "169.254.169.254", "port": 80},
            "source": {"ip": "10.0.0.5", "port": 40000},
            "process": {"name": "curl", "entity_id": format!("e-{name}"), "parent": {"entity_id": "p1"}}
        }),
        other => panic!("unknown template {other}"),
    }
}

fn set_path(doc: &mut Value, path: &str, value: Value) {
    let mut cur = doc;
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        let obj = cur.as_object_mut().expect("object on the path");
        cur = obj.entry(part.to_string()).or_insert_with(|| json!({}));
    }
    let value = if value == json!("__null__") {
        Value::Null
    } else {
        value
    };
    cur.as_object_mut()
        .expect("object at the leaf's parent")
        .insert(parts[parts.len() - 1].to_string(), value);
}

fn drop_path(doc: &mut Value, path: &str) {
    let parts: Vec<&str> = path.split('.').collect();
    let mut cur = doc;
    for part in &parts[..parts.len() - 1] {
        cur = cur.get_mut(*part).expect("path to drop exists");
    }
    cur.as_object_mut()
        .expect("object")
        .remove(parts[parts.len() - 1]);
}

fn line(spec: &EventSpec) -> String {
    if let Some(raw) = &spec.raw {
        return raw.clone();
    }
    let mut doc = template(&spec.t, &spec.name, timestamp(spec.at, spec.at_ns));
    for (path, value) in &spec.set {
        set_path(&mut doc, path, value.clone());
    }
    for path in &spec.drop {
        drop_path(&mut doc, path);
    }
    // A `\u` written in a case is meant as a JSON escape in the document, not as text.
    serde_json::to_string(&doc)
        .expect("serialises")
        .replace("\\\\u", "\\u")
}

fn imds() -> Box<dyn Rule> {
    Box::new(eql_macro::eql_rule!("rules/imds.eql"))
}

fn run(rule: Box<dyn Rule>, lines: &[String]) -> (Vec<Alert>, u64) {
    let mut det = Detector::new(vec![rule], Config::default()).expect("rule set runs");
    let mut alerts = Vec::new();
    for l in lines {
        det.push_line(l.as_bytes(), &mut |a| alerts.push(a));
    }
    det.finish(&mut |a| alerts.push(a));
    let stats = det.stats();
    assert_eq!(
        stats.evaluated,
        lines.len() as u64,
        "every case line is a valid event"
    );
    (alerts, stats.late_events)
}

#[test]
fn imds_cases() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cases/imds.toml"
    ))
    .expect("case file");
    let cases: Cases = toml::from_str(&text).expect("case file parses");
    assert!(cases.case.len() >= 40, "the case file lost cases");
    let mut failures = Vec::new();
    for case in &cases.case {
        let lines: Vec<String> = case.events.iter().map(line).collect();
        let names: HashMap<&str, &str> = lines
            .iter()
            .zip(&case.events)
            .map(|(l, e)| (l.as_str(), e.name.as_str()))
            .collect();
        for (engine, rule) in [("compiled", imds()), ("loaded", common::loaded())] {
            let (alerts, late) = run(rule, &lines);
            let got: Vec<Vec<String>> = alerts
                .iter()
                .map(|a| {
                    a.events
                        .iter()
                        .map(|e| {
                            names
                                .get(&*e.raw)
                                .map_or("<unknown>".to_string(), |n| n.to_string())
                        })
                        .collect()
                })
                .collect();
            if got != case.expect || late != case.late {
                failures.push(format!(
                    "{} [{engine}]\n  expected {:?} (late {})\n  got      {:?} (late {})",
                    case.name, case.expect, case.late, got, late
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn alerts_carry_metadata_and_join_keys() {
    let exec = line(&EventSpec {
        name: "curl".into(),
        t: "exec".into(),
        at: 0,
        at_ns: 0,
        set: Map::new(),
        drop: vec![],
        raw: None,
    });
    let net = line(&EventSpec {
        name: "net".into(),
        t: "net".into(),
        at: 10,
        at_ns: 0,
        set: Map::new(),
        drop: vec![],
        raw: None,
    });
    let (alerts, _) = run(imds(), &[exec.clone(), net.clone()]);
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(
        a.rule.name,
        "Unusual Instance Metadata Service (IMDS) API Request"
    );
    assert_eq!(a.rule.rule_id, "ecc0cd54-608e-11ef-ab6d-f661ea17fbce");
    assert_eq!(a.rule.severity, "medium");
    assert_eq!(a.rule.risk_score, 47);
    assert_eq!(a.rule.max_signals, 100);
    let tactics: Vec<&str> = a.rule.threat.iter().map(|t| t.tactic.id).collect();
    assert_eq!(tactics, ["TA0006", "TA0007"]);
    assert_eq!(
        a.keys,
        vec![
            ("host.id", Some("h1".to_string())),
            ("process.parent.entity_id", Some("p1".to_string()))
        ]
    );
    assert_eq!(&*a.events[0].raw, exec);
    assert_eq!(&*a.events[1].raw, net);
    assert!(a.events[0].timestamp_nanos < a.events[1].timestamp_nanos);
}

#[test]
fn alert_cap_follows_max_signals_per_interval() {
    // 150 sequences inside one 5-minute interval: 100 alerts, 50 suppressed; lifting the cap gives all.
    let mut lines = Vec::new();
    for i in 0..150 {
        let parent = format!("p{i}");
        for (t, at) in [("exec", i * 1000), ("net", i * 1000 + 10)] {
            lines.push(line(&EventSpec {
                name: format!("{t}{i}"),
                t: t.into(),
                at,
                at_ns: 0,
                set: [("process.parent.entity_id".to_string(), json!(parent))]
                    .into_iter()
                    .collect(),
                drop: vec![],
                raw: None,
            }));
        }
    }
    for (cap, want, suppressed) in [(true, 100, 50), (false, 150, 0)] {
        let cfg = Config {
            alert_cap: cap,
            ..Config::default()
        };
        let mut det = Detector::new(vec![imds()], cfg).expect("runs");
        let mut n = 0;
        for l in &lines {
            det.push_line(l.as_bytes(), &mut |_| n += 1);
        }
        det.finish(&mut |_| n += 1);
        assert_eq!(n, want);
        assert_eq!(det.stats().rules[0].suppressed, suppressed);
    }
}
