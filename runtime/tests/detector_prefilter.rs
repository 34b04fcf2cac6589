//! The prefilter rests when most lines pass it, and works when most lines fail it.

use eql_runtime::detector::{Config, Detector};

const PASSING: &str = r#"{"@timestamp":"2024-10-18T12:00:00Z","event":{"category":["process"],"type":["start"],"action":"exec"},"host":{"id":"h1","os":{"type":"linux"}},"process":{"name":"curl","parent":{"entity_id":"p1"}}}"#;
const FAILING: &str = r#"{"@timestamp":"2024-10-18T12:00:00Z","event":{"category":["process"],"action":"fork"},"host":{"id":"h1"},"process":{"name":"bash","parent":{"entity_id":"p1"}}}"#;

fn detector() -> Detector {
    let rule = eql_runtime::eql_rule!("../rules/imds.eql");
    // The prefilter applies with an unbounded lateness (files), not on a live stream.
    let cfg = Config {
        lateness_nanos: u64::MAX,
        ..Config::default()
    };
    Detector::new(vec![Box::new(rule)], cfg).expect("runs")
}

#[test]
fn a_finite_lateness_decodes_every_line() {
    let rule = eql_runtime::eql_rule!("../rules/imds.eql");
    let det = Detector::new(vec![Box::new(rule)], Config::default()).expect("runs");
    assert!(!det.has_prefilter());
    assert!(detector().has_prefilter());
}

#[test]
fn rests_while_most_lines_pass() {
    let mut det = detector();
    for _ in 0..20_000 {
        det.push_line(PASSING.as_bytes(), &mut |_| {});
        det.push_line(FAILING.as_bytes(), &mut |_| {});
    }
    let s = det.stats();
    assert_eq!(s.evaluated, 40_000);
    // Half the lines pass: after the first window of 8192 probed lines, everything is decoded.
    assert_eq!(s.prefiltered, 4096, "{s:?}");
}

#[test]
fn keeps_working_while_most_lines_fail() {
    let mut det = detector();
    for i in 0..40_000 {
        let line = if i % 10 == 0 { PASSING } else { FAILING };
        det.push_line(line.as_bytes(), &mut |_| {});
    }
    let s = det.stats();
    assert_eq!(s.evaluated, 40_000);
    assert_eq!(s.prefiltered, 36_000, "{s:?}");
}
