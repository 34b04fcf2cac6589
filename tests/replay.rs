//! The delivery guarantee behind `eql-detect kafka`, without a broker: a consumer commits
//! [`Detector::oldest_held`], dies, and a fresh detector replays the stream from there. Whatever
//! the cut, the alerts before the cut plus the replay's alerts are the uninterrupted run's
//! alerts: nothing lost, and nothing the uninterrupted run would not say.

mod common;

use std::collections::BTreeSet;
use std::io::Read;

use eql_runtime::detector::{Alert, Config, Detector};

/// An alert as a comparable value: rule id and documents.
fn identity(a: &Alert) -> (String, Vec<String>) {
    (
        a.rule.rule_id.to_owned(),
        a.events.iter().map(|e| e.raw.to_string()).collect(),
    )
}

fn sample_lines() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample.ndjson.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("bundled sample"))
        .read_to_string(&mut text)
        .expect("gzip");
    text.lines().map(str::to_owned).collect()
}

fn config() -> Config {
    Config {
        lateness_nanos: 200_000_000,
        alert_cap: false,
        ..Config::default()
    }
}

/// Feeds `lines[from..to]`, numbering each line by its index (as a partition's offsets).
fn feed(det: &mut Detector, lines: &[String], from: usize, to: usize, out: &mut Vec<Alert>) {
    for (i, line) in lines.iter().enumerate().take(to).skip(from) {
        det.set_arrival(i as u64);
        det.push_line(line.as_bytes(), &mut |a| out.push(a));
    }
}

#[test]
fn a_replay_from_the_oldest_held_line_loses_nothing() {
    let lines = sample_lines();
    let mut whole = Detector::new(vec![common::compiled()], config()).unwrap();
    let mut all = Vec::new();
    feed(&mut whole, &lines, 0, lines.len(), &mut all);
    whole.finish(&mut |a| all.push(a));
    let expected: BTreeSet<_> = all.iter().map(identity).collect();
    assert!(expected.len() >= 5, "the sample holds sequences");

    let mut held_somewhere = 0;
    for cut in (0..=lines.len()).step_by(37) {
        // The first consumer: everything up to the cut, then it dies (no `finish`).
        let mut first = Detector::new(vec![common::compiled()], config()).unwrap();
        let mut before = Vec::new();
        feed(&mut first, &lines, 0, cut, &mut before);
        let commit = first.oldest_held().map_or(cut, |a| a as usize);
        assert!(
            commit <= cut,
            "the commit point is never ahead of what was read"
        );
        if commit < cut {
            held_somewhere += 1;
        }
        // The next owner: from the committed line on.
        let mut next = Detector::new(vec![common::compiled()], config()).unwrap();
        let mut after = Vec::new();
        feed(&mut next, &lines, commit, lines.len(), &mut after);
        next.finish(&mut |a| after.push(a));

        let got: BTreeSet<_> = before.iter().chain(&after).map(identity).collect();
        assert_eq!(got, expected, "cut at line {cut}, replay from {commit}");
    }
    assert!(
        held_somewhere > 10,
        "some cuts fell inside pending sequences"
    );
}

#[test]
fn the_oldest_held_line_is_the_pending_sequence_and_moves_on_once_it_expires() {
    let ts = |ms: i64| common::rfc3339(1_700_000_000_000_000_000 + ms * 1_000_000);
    let exec = |ms: i64| {
        format!(
            r#"{{"@timestamp":"{}","event":{{"category":["process"],"type":["start"],"action":"exec"}},"host":{{"id":"h1","os":{{"type":"linux"}}}},"process":{{"name":"curl","executable":"/usr/bin/curl","entity_id":"e1","parent":{{"entity_id":"p1"}},"working_directory":"/tmp","command_line":"curl http://169.254.169.254/","args":["curl"]}}}}"#,
            ts(ms)
        )
    };
    let other = |ms: i64| {
        format!(
            r#"{{"@timestamp":"{}","event":{{"category":["file"]}},"host":{{"id":"h2"}}}}"#,
            ts(ms)
        )
    };
    let mut det = Detector::new(vec![common::compiled()], config()).unwrap();
    let mut out = Vec::new();
    det.set_arrival(100);
    det.push_line(exec(0).as_bytes(), &mut |a| out.push(a));
    // Waiting in the reorder buffer, then pending as the sequence's first stage.
    assert_eq!(det.oldest_held(), Some(100));
    det.set_arrival(101);
    det.push_line(other(500).as_bytes(), &mut |a| out.push(a));
    assert_eq!(det.oldest_held(), Some(100));
    // Past maxspan (1s) plus lateness, the first stage can no longer complete anything.
    det.set_arrival(102);
    det.push_line(other(1_500).as_bytes(), &mut |a| out.push(a));
    assert_eq!(det.oldest_held(), None);
    assert!(out.is_empty());
}
