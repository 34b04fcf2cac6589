//! The v2 IMDS rule (rules/imds.eql) on the cases of eql-semantics.md §3.3, with the
//! Elasticsearch expectations, and the corner cases around them.

use eql_interp::{run_stream, Interpreted};
use serde_json::{json, Value};

fn rule() -> Interpreted {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/imds.eql");
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read the IMDS rule at {path}: {e}"));
    Interpreted::from_file(path, &text).unwrap_or_else(|e| panic!("{e}"))
}

/// Milliseconds since the epoch as an RFC 3339 timestamp (ms precision).
fn ts(ms: i64) -> String {
    format!(
        "1970-01-01T00:{:02}:{:02}.{:03}Z",
        ms / 60_000,
        (ms / 1000) % 60,
        ms % 1000
    )
}

struct Proc {
    name: Value,
    exe: &'static str,
    cmd: &'static str,
    wd: Option<&'static str>,
    etype: Value,
    os: &'static str,
    host: &'static str,
    parent: Option<&'static str>,
    pexe: &'static str,
}

fn proc() -> Proc {
    Proc {
        name: json!("curl"),
        exe: "/usr/bin/curl",
        cmd: "curl x",
        wd: Some("/home/u"),
        etype: json!("start"),
        os: "linux",
        host: "h1",
        parent: Some("p1"),
        pexe: "/bin/bash",
    }
}

fn pdoc(label: &str, at: i64, p: Proc) -> String {
    let mut d = json!({
        "_label": label, "@timestamp": ts(at),
        "host": {"id": p.host, "os": {"type": p.os}},
        "event": {"category": ["process"], "type": p.etype, "action": "exec"},
        "process": {"name": p.name, "executable": p.exe, "command_line": p.cmd,
                    "parent": {"executable": p.pexe}}
    });
    if let Some(wd) = p.wd {
        d["process"]["working_directory"] = json!(wd);
    }
    if let Some(parent) = p.parent {
        d["process"]["parent"]["entity_id"] = json!(parent);
    }
    d.to_string()
}

fn ndoc(label: &str, at: i64, host: &str, parent: Option<&str>) -> String {
    let mut d = json!({
        "_label": label, "@timestamp": ts(at),
        "host": {"id": host, "os": {"type": "linux"}},
        "event": {"category": ["network"], "action": "connection_attempted"},
        "destination": {"ip": "169.254.169.254"}, "process": {"parent": {}}
    });
    if let Some(parent) = parent {
        d["process"]["parent"]["entity_id"] = json!(parent);
    }
    d.to_string()
}

fn net(label: &str, at: i64) -> String {
    ndoc(label, at, "h1", Some("p1"))
}

/// The labels of each completed sequence.
fn run(r: &Interpreted, docs: &[String]) -> Vec<Vec<String>> {
    let lines: Vec<&str> = docs.iter().map(String::as_str).collect();
    run_stream(r, &lines)
        .unwrap()
        .into_iter()
        .map(|seq| {
            seq.iter()
                .map(|raw| {
                    let v: Value = serde_json::from_str(raw).unwrap();
                    v["_label"].as_str().unwrap().to_string()
                })
                .collect()
        })
        .collect()
}

fn matched(r: &Interpreted, docs: &[String]) -> bool {
    let got = run(r, docs);
    assert!(got.len() <= 1, "{got:?}");
    !got.is_empty()
}

#[test]
fn shape_and_metadata() {
    let r = rule();
    assert_eq!(r.meta().severity, "medium");
    assert_eq!(r.meta().risk_score, 47);
    assert_eq!(r.meta().threat.len(), 2);
    let eql_runtime::rule::Shape::Sequence(spec) = r.shape() else {
        panic!("the IMDS rule is a sequence")
    };
    assert_eq!(spec.maxspan_nanos, Some(1_000_000_000));
    assert_eq!(spec.stages.len(), 2);
    for stage in spec.stages {
        let names: Vec<&str> = stage
            .keys
            .iter()
            .map(|k| r.fields()[k.field as usize].as_str())
            .collect();
        assert_eq!(names, ["host.id", "process.parent.entity_id"]);
    }
    assert_eq!(r.timestamp_field(), "@timestamp");
}

// The 13 cases of eql-semantics.md §3.3, with the ES= column.

#[test]
fn s1_curl_then_connect() {
    assert_eq!(
        run(&rule(), &[pdoc("curl", 1000, proc()), net("net", 1500)]),
        [["curl", "net"]]
    );
}

#[test]
fn s2_connect_exactly_at_maxspan() {
    assert!(matched(
        &rule(),
        &[pdoc("curl", 1000, proc()), net("net", 2000)]
    ));
}

#[test]
fn s3_connect_one_ms_late() {
    assert!(!matched(
        &rule(),
        &[pdoc("curl", 1000, proc()), net("net", 2001)]
    ));
}

#[test]
fn s4_name_case_insensitive() {
    let p = Proc {
        name: json!("CURL"),
        ..proc()
    };
    assert!(matched(&rule(), &[pdoc("CURL", 1000, p), net("net", 1500)]));
}

#[test]
fn s5_os_type_case_sensitive() {
    let p = Proc {
        os: "Linux",
        ..proc()
    };
    assert!(!matched(
        &rule(),
        &[pdoc("curl", 1000, p), net("net", 1500)]
    ));
}

#[test]
fn s6_branch_two_needs_no_linux_start_exec() {
    let p = Proc {
        name: json!("x"),
        exe: "/tmp/x",
        etype: json!("end"),
        os: "windows",
        ..proc()
    };
    assert!(matched(&rule(), &[pdoc("tmpx", 1000, p), net("net", 1500)]));
}

#[test]
fn s7_branch_three_excluded_working_directory() {
    let p = Proc {
        name: json!("bash"),
        exe: "/bin/bash",
        cmd: "bash -c 'x 169.254.169.254'",
        wd: Some("/opt/rapid7/a"),
        ..proc()
    };
    assert!(!matched(
        &rule(),
        &[pdoc("bash", 1000, p), net("net", 1500)]
    ));
}

#[test]
fn s8_branch_three_missing_working_directory_matches() {
    let p = Proc {
        name: json!("bash"),
        exe: "/bin/bash",
        cmd: "x 169.254.169.254",
        wd: None,
        ..proc()
    };
    assert!(matched(&rule(), &[pdoc("bash", 1000, p), net("net", 1500)]));
}

#[test]
fn s9_event_type_array() {
    let p = Proc {
        etype: json!(["start"]),
        ..proc()
    };
    assert!(matched(&rule(), &[pdoc("curl", 1000, p), net("net", 1500)]));
    let p = Proc {
        etype: json!(["info", "start"]),
        ..proc()
    };
    assert!(matched(&rule(), &[pdoc("curl", 1000, p), net("net", 1500)]));
}

#[test]
fn s10_missing_join_key_drops_events() {
    let p = Proc {
        parent: None,
        ..proc()
    };
    assert!(!matched(
        &rule(),
        &[pdoc("curl", 1000, p), ndoc("net", 1500, "h1", None)]
    ));
}

#[test]
fn s11_keys_compared_exactly() {
    let p = Proc {
        host: "H1",
        ..proc()
    };
    assert!(!matched(
        &rule(),
        &[pdoc("curl", 1000, p), net("net", 1500)]
    ));
}

#[test]
fn s12_most_recent_stage_one_wins() {
    let wget = Proc {
        name: json!("wget"),
        exe: "/usr/bin/wget",
        ..proc()
    };
    assert_eq!(
        run(
            &rule(),
            &[
                pdoc("curl", 1000, proc()),
                pdoc("wget", 1200, wget),
                net("net", 1500)
            ]
        ),
        [["wget", "net"]]
    );
}

#[test]
fn s13_connect_before_exec() {
    assert!(!matched(
        &rule(),
        &[net("net", 900), pdoc("curl", 1000, proc())]
    ));
}

// Beyond §3.3.

#[test]
fn each_precedence_branch_alone() {
    let r = rule();
    let stage1 = |p: Proc| r.eval(&serde_json::from_str(&pdoc("x", 0, p)).unwrap()) & 1 != 0;
    // Branch 1 needs linux + start + exec + a listed name.
    assert!(stage1(proc()));
    assert!(!stage1(Proc {
        name: json!("bash"),
        exe: "/bin/bash",
        ..proc()
    }));
    assert!(!stage1(Proc {
        etype: json!("end"),
        ..proc()
    }));
    assert!(stage1(Proc {
        name: json!("python3.11"),
        ..proc()
    }));
    // Branch 2: an executable pattern, whatever the rest.
    assert!(stage1(Proc {
        name: json!("x"),
        exe: "/etc/rc3.d/S01x",
        os: "macos",
        ..proc()
    }));
    assert!(stage1(Proc {
        name: json!("x"),
        exe: "/ETC/RC.LOCAL",
        os: "macos",
        ..proc()
    }));
    // Branch 3: the address in the command line, unless excluded.
    let b3 = || Proc {
        name: json!("bash"),
        exe: "/bin/bash",
        cmd: "wget http://169.254.169.254/latest",
        etype: json!("end"),
        ..proc()
    };
    assert!(stage1(b3()));
    assert!(!stage1(Proc {
        pexe: "/usr/share/ec2-instance-connect/x",
        ..b3()
    }));
    assert!(!stage1(Proc {
        exe: "/opt/aws/inspector/bin/inspectorssmplugin",
        ..b3()
    }));
    // The exclusions do not reach branch 1: curl from /opt/rapid7 still matches.
    assert!(stage1(Proc {
        wd: Some("/opt/rapid7/x"),
        ..proc()
    }));
    // The category test covers every branch.
    let mut d: Value = serde_json::from_str(&pdoc(
        "x",
        0,
        Proc {
            exe: "/tmp/x",
            ..proc()
        },
    ))
    .unwrap();
    d["event"]["category"] = json!(["file"]);
    assert_eq!(r.eval(&d), 0);
    d["event"]["category"] = json!(["Process"]);
    assert_eq!(r.eval(&d), 0, "the category test is case-sensitive");
}

#[test]
fn maxspan_one_nanosecond_past() {
    let r = rule();
    let mut late: Value = serde_json::from_str(&net("net", 0)).unwrap();
    late["@timestamp"] = json!("1970-01-01T00:00:02.000000001Z");
    let mut at: Value = serde_json::from_str(&net("net", 0)).unwrap();
    at["@timestamp"] = json!("1970-01-01T00:00:02.000000000Z");
    assert!(!matched(
        &r,
        &[pdoc("curl", 1000, proc()), late.to_string()]
    ));
    assert!(matched(&r, &[pdoc("curl", 1000, proc()), at.to_string()]));
}

#[test]
fn completion_consumes_the_sequence() {
    let got = run(
        &rule(),
        &[pdoc("curl", 1000, proc()), net("n1", 1500), net("n2", 1600)],
    );
    assert_eq!(got, [["curl", "n1"]]);
}

#[test]
fn key_mismatch_on_either_key() {
    let r = rule();
    assert!(!matched(
        &r,
        &[
            pdoc("curl", 1000, proc()),
            ndoc("net", 1500, "h2", Some("p1"))
        ]
    ));
    assert!(!matched(
        &r,
        &[
            pdoc("curl", 1000, proc()),
            ndoc("net", 1500, "h1", Some("p2"))
        ]
    ));
}

#[test]
fn missing_key_on_one_side() {
    let r = rule();
    assert!(!matched(
        &r,
        &[pdoc("curl", 1000, proc()), ndoc("net", 1500, "h1", None)]
    ));
    let p = Proc {
        parent: None,
        ..proc()
    };
    assert!(!matched(&r, &[pdoc("curl", 1000, p), net("net", 1500)]));
}

#[test]
fn equal_timestamps_order_by_arrival() {
    let r = rule();
    // Same instant, exec first: the network event is later by arrival, so it completes.
    assert!(matched(&r, &[pdoc("curl", 1000, proc()), net("net", 1000)]));
    // Same instant, network first: no stage-1 event before it.
    assert!(!matched(
        &r,
        &[net("net", 1000), pdoc("curl", 1000, proc())]
    ));
}

#[test]
fn input_out_of_order_is_sorted_by_timestamp() {
    assert!(matched(
        &rule(),
        &[net("net", 1500), pdoc("curl", 1000, proc())]
    ));
}

#[test]
fn escaped_json_strings() {
    let doc = pdoc("curl", 1000, proc()).replace("\"curl\"", "\"c\\u0075rl\"");
    assert!(doc.contains("c\\u0075rl"));
    assert!(matched(&rule(), &[doc, net("net", 1500)]));
}

#[test]
fn dotted_keys() {
    let p = json!({
        "_label": "curl", "@timestamp": ts(1000), "host.id": "h1", "host.os.type": "linux",
        "event.category": "process", "event.type": "start", "event.action": "exec",
        "process.name": "curl", "process": {"parent.entity_id": "p1"}
    });
    let n = json!({
        "_label": "net", "@timestamp": ts(1500), "host": {"id": "h1", "os.type": "linux"},
        "event.category": ["network"], "event.action": "connection_attempted",
        "destination.ip": "169.254.169.254", "process.parent.entity_id": "p1"
    });
    assert!(matched(&rule(), &[p.to_string(), n.to_string()]));
}

#[test]
fn ipv4_mapped_ipv6_destination() {
    let n = net("net", 1500).replace("\"169.254.169.254\"", "\"::ffff:169.254.169.254\"");
    assert!(n.contains("::ffff:"));
    assert!(matched(&rule(), &[pdoc("curl", 1000, proc()), n]));
    let other = net("net", 1500).replace("\"169.254.169.254\"", "\"169.254.169.253\"");
    assert!(!matched(&rule(), &[pdoc("curl", 1000, proc()), other]));
}

#[test]
fn multi_valued_join_key_joins_on_each_value() {
    let n = ndoc("net", 1500, "h1", None).replace(
        "\"parent\":{}",
        "\"parent\":{\"entity_id\":[\"p0\",\"p1\"]}",
    );
    assert!(n.contains("p0"));
    assert!(matched(&rule(), &[pdoc("curl", 1000, proc()), n]));
}
