//! Differential tests: the compiled IMDS rule against the same rule file loaded at run time (the
//! IR evaluator `--rule-file` uses), on streams of events generated around the rule's corners. The prefilter on and off, and evaluation on one or
//! two threads, must not change a single alert.
//!
//! `DIFF_CASES=N` raises the number of generated streams (the long local mode).

mod common;

use common::{compiled, loaded};
use eql_runtime::detector::{Config, Detector};
use eql_runtime::rule::Rule;

use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestRunner};
use serde_json::{json, Map, Value};

/// Lines the prefilter decided, over all runs (to show the prefilter was exercised).
static PREFILTERED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Alerts as lists of raw documents, plus the late count.
fn run(
    rule: Box<dyn Rule>,
    prefilter: bool,
    threads: usize,
    lines: &[String],
) -> (Vec<Vec<String>>, u64) {
    // Unbounded lateness, as for files: the only setting where the prefilter applies.
    let cfg = Config {
        prefilter,
        alert_cap: false,
        lateness_nanos: u64::MAX,
        ..Config::default()
    };
    let mut det = Detector::new(vec![rule], cfg).expect("runs");
    let mut alerts = Vec::new();
    let mut collect = |a: eql_runtime::detector::Alert| {
        alerts.push(
            a.events
                .iter()
                .map(|e| e.raw.to_string())
                .collect::<Vec<_>>(),
        )
    };
    if threads == 1 {
        for l in lines {
            det.push_line(l.as_bytes(), &mut collect);
        }
    } else {
        let refs: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        for chunk in refs.chunks(7) {
            det.push_batch(chunk, threads, &mut collect);
        }
    }
    det.finish(&mut collect);
    let stats = det.stats();
    let skipped: u64 = stats.skipped.values().sum();
    assert_eq!(
        stats.lines,
        stats.evaluated + skipped,
        "every line accounted for"
    );
    PREFILTERED.fetch_add(stats.prefiltered, std::sync::atomic::Ordering::Relaxed);
    (alerts, stats.late_events)
}

fn pick<T: Clone + std::fmt::Debug + 'static>(xs: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(xs)
}

const NAMES: &[&str] = &[
    "curl",
    "CURL",
    "cUrL",
    "wget",
    "python3",
    "Python",
    "pytho",
    "perl5.34",
    "nc",
    "NC",
    "n",
    "ncat",
    "bash",
    "curl ",
    "straße",
    "ΣΊΣΥΦΟΣ",
    "node",
    "gawk",
    "lua",
    "",
];
const EXES: &[&str] = &[
    "/tmp/x",
    "/TMP/x",
    "/tmp",
    "/etc/rc3.d/S01x",
    "/etc/rc.d/x",
    "/etc/rcS.d",
    "/etc/rc.local",
    "/etc/rc.localx",
    "./a",
    "/usr/bin/curl",
    "/opt/rumble/bin/rumble-agent-x",
    "/run/user/1/x",
    "/etc/cron.daily/x",
    "/boot/ǅ",
    "/bin/bash",
];
const CMDS: &[&str] = &[
    "curl http://169.254.169.254/latest/meta-data/",
    "x 169.254.169.25",
    "wget -q -O- http://169.254.169.254",
    "bash -c id",
    "169.254.169.254",
];
const WDS: &[&str] = &[
    "/opt/rapid7/x",
    "/OPT/RAPID7",
    "/home/u",
    "/var/log/amazon/ssm/a",
    "/opt/nessus",
];
const PEXES: &[&str] = &[
    "/usr/bin/setup-policy-routes",
    "/var/lib/amazon/ssm/x",
    "/bin/bash",
    "/USR/share/ec2-instance-connect/x",
];
const IPS: &[&str] = &[
    "169.254.169.254",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
    "169.254.169.253",
    "169.254.169.254 ",
    "fe80::1",
    "10.0.0.1",
];

/// One event as a JSON object (field -> value), before serialisation tricks.
fn event() -> impl Strategy<Value = (Map<String, Value>, i64)> {
    // Mostly the first (matching) value, so that sequences do complete; the corners otherwise.
    let one = |xs: &'static [&'static str]| prop_oneof![3 => Just(xs[0]), 2 => pick(xs)];
    let scalar_or_array = move |xs: &'static [&'static str]| {
        prop_oneof![
            6 => one(xs).prop_map(|s| json!(s)),
            2 => one(xs).prop_map(|s| json!([s])),
            1 => (pick(xs), one(xs)).prop_map(|(a, b)| json!([a, b])),
            1 => Just(Value::Null),
        ]
    };
    (
        (
            prop_oneof![
                6 => Just(json!(["process"])),
                6 => Just(json!(["network"])),
                1 => Just(json!("process")),
                1 => Just(json!(["Process"])),
                1 => Just(json!(["process", "network"])),
            ],
            scalar_or_array(&["start", "end", "START", "info", "change"]),
            prop_oneof![
                2 => scalar_or_array(&["exec", "EXEC", "fork"]),
                2 => scalar_or_array(&["connection_attempted", "connection_accepted"]),
            ],
            scalar_or_array(&["linux", "Linux", "windows"]),
            scalar_or_array(&["h1", "h2", "H1"]),
            scalar_or_array(&["p1", "p2"]),
        ),
        (
            scalar_or_array(NAMES),
            scalar_or_array(EXES),
            scalar_or_array(CMDS),
            scalar_or_array(WDS),
            scalar_or_array(PEXES),
            scalar_or_array(IPS),
        ),
        // Time steps in ms, with a bias to the maxspan boundary and to equal timestamps.
        prop_oneof![4 => 0i64..300, 1 => Just(0i64), 1 => Just(1000i64), 1 => 990i64..1010],
        proptest::bool::weighted(0.1),
    )
        .prop_map(
            |(
                (cat, ty, action, os, host, parent),
                (name, exe, cmd, wd, pexe, ip),
                step,
                jitter,
            )| {
                let mut m = Map::new();
                m.insert("event.category".into(), cat);
                for (k, v) in [
                    ("event.type", ty),
                    ("event.action", action),
                    ("host.os.type", os),
                    ("host.id", host),
                    ("process.parent.entity_id", parent),
                    ("process.name", name),
                    ("process.executable", exe),
                    ("process.command_line", cmd),
                    ("process.working_directory", wd),
                    ("process.parent.executable", pexe),
                    ("destination.ip", ip),
                ] {
                    if !v.is_null() {
                        m.insert(k.into(), v);
                    }
                }
                // A nanosecond jitter sometimes, to land just past the inclusive maxspan.
                (m, step * 1_000_000 + i64::from(jitter))
            },
        )
}

/// Everyday events that carry none of the rule's literals (the bulk of real input).
fn benign() -> impl Strategy<Value = (Map<String, Value>, i64)> {
    (
        pick(&["process", "network", "file"]),
        pick(&["bash", "sshd", "systemd", "cron", "containerd"]),
        pick(&["fork", "end", "connection_accepted", "disconnect_received"]),
        pick(&["h1", "h2"]),
        pick(&["p1", "p2"]),
        0i64..300,
    )
        .prop_map(|(cat, name, action, host, parent, step)| {
            let mut m = Map::new();
            m.insert("event.category".into(), json!([cat]));
            m.insert("event.action".into(), json!(action));
            m.insert("host.os.type".into(), json!("linux"));
            m.insert("host.id".into(), json!(host));
            m.insert("process.parent.entity_id".into(), json!(parent));
            m.insert("process.name".into(), json!(name));
            m.insert(
                "process.executable".into(),
                json!(format!("/usr/sbin/{name}")),
            );
            m.insert("destination.ip".into(), json!("10.1.2.3"));
            (m, step * 1_000_000)
        })
}

/// Nested or dotted keys, and JSON escapes inside strings: the same document, written differently.
fn serialise(fields: &Map<String, Value>, ts_nanos: i64, dotted: u32, escape: u32) -> String {
    let mut doc = Map::new();
    let secs = ts_nanos.div_euclid(1_000_000_000);
    let frac = ts_nanos.rem_euclid(1_000_000_000);
    doc.insert(
        "@timestamp".into(),
        json!(format!(
            "2024-10-18T12:{:02}:{:02}.{frac:09}Z",
            secs / 60 % 60,
            secs % 60
        )),
    );
    for (i, (k, v)) in fields.iter().enumerate() {
        if dotted & (1 << (i % 32)) != 0 {
            doc.insert(k.clone(), v.clone());
        } else {
            let parts: Vec<&str> = k.split('.').collect();
            let mut cur = &mut doc;
            for p in &parts[..parts.len() - 1] {
                let next = cur.entry(p.to_string()).or_insert_with(|| json!({}));
                if !next.is_object() {
                    *next = json!({});
                }
                cur = next.as_object_mut().expect("object");
            }
            cur.insert(parts[parts.len() - 1].to_string(), v.clone());
        }
    }
    let text = serde_json::to_string(&Value::Object(doc)).expect("serialises");
    // Escape some characters inside strings: `\u00XX` for ASCII letters and digits, `\/` for `/`.
    let mut out = String::with_capacity(text.len() * 2);
    let (mut in_str, mut esc, mut n) = (false, false, 0u32);
    for c in text.chars() {
        if in_str && !esc && c != '"' && c != '\\' {
            n = n.wrapping_add(1);
            if escape != 0 && n % escape == 0 {
                if c == '/' {
                    out.push_str("\\/");
                    continue;
                }
                if c.is_ascii_alphanumeric() {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                    continue;
                }
            }
        }
        if esc {
            esc = false;
        } else if c == '\\' && in_str {
            esc = true;
        } else if c == '"' {
            in_str = !in_str;
        }
        out.push(c);
    }
    out
}

fn stream() -> impl Strategy<Value = Vec<String>> {
    (
        proptest::collection::vec(
            (
                prop_oneof![3 => event().boxed(), 2 => benign().boxed()],
                any::<u32>(),
                prop_oneof![3 => Just(0u32), 1 => 3u32..9],
            ),
            1..40,
        ),
        proptest::collection::vec(0usize..40, 0..6),
    )
        .prop_map(|(events, swaps)| {
            let mut ts = 0i64;
            let mut lines: Vec<String> = events
                .into_iter()
                .map(|((fields, step), dotted, escape)| {
                    ts += step;
                    serialise(&fields, ts, dotted, escape)
                })
                .collect();
            // Slightly out-of-order arrival (well inside the lateness bound).
            for s in swaps {
                if s + 1 < lines.len() {
                    lines.swap(s, s + 1);
                }
            }
            lines
        })
}

#[test]
fn compiled_loaded_prefiltered_and_threaded_agree() {
    let cases = std::env::var("DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let mut runner = TestRunner::new(PropConfig {
        cases,
        failure_persistence: None,
        ..PropConfig::default()
    });
    let alerts_seen = std::cell::Cell::new(0usize);
    runner
        .run(&stream(), |lines| {
            let reference = run(loaded(), false, 1, &lines);
            alerts_seen.set(alerts_seen.get() + reference.0.len());
            for (what, got) in [
                ("compiled", run(compiled(), false, 1, &lines)),
                ("compiled+prefilter", run(compiled(), true, 1, &lines)),
                (
                    "compiled+prefilter, 2 threads",
                    run(compiled(), true, 2, &lines),
                ),
            ] {
                prop_assert_eq!(&got, &reference, "{} disagrees with the interpreter", what);
            }
            Ok(())
        })
        .expect("engines agree");
    // The generator must reach matches, or agreement proves little.
    let seen = alerts_seen.get();
    assert!(
        seen > cases as usize / 10,
        "only {seen} alerts in {cases} streams"
    );
    let prefiltered = PREFILTERED.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        prefiltered > u64::from(cases),
        "the prefilter decided only {prefiltered} lines"
    );
}
