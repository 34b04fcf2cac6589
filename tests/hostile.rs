//! Hostile input: bad lines, evasion attempts, forged timestamps and adversarial state, through
//! the [`Detector`] (compiled rule with the prefilter on and off, and the interpreter) and through
//! the `eql-detect` binary. The rules these tests pin are written down in docs/hostile-input.md.
//!
//! `HOSTILE_FULL=1` runs the 1 M-key state test at the default 40 MiB budget and leaves the stream
//! in `target/tmp/hostile/keys_1m.ndjson` for a peak-RSS measurement of the release binary.

mod common;

use common::{compiled, loaded};
use std::io::Write;
use std::process::{Command, Stdio};

use eql_runtime::detector::{Alert, Config, Detector, LineOutcome, SkipReason, Stats};
use eql_runtime::rule::Rule;

/// The ways a line is judged: each back end (compiled, loaded at run time) with and without
/// the prefilter.
fn engines() -> Vec<(&'static str, Box<dyn Rule>, bool)> {
    vec![
        ("compiled+prefilter", compiled(), true),
        ("compiled", compiled(), false),
        ("loaded+prefilter", loaded(), true),
        ("loaded", loaded(), false),
    ]
}

/// 2024-10-18T12:00:00Z plus `ms` milliseconds (may be negative or far).
fn ts(ms: i64) -> String {
    common::rfc3339(1_729_252_800_000_000_000i64.saturating_add(ms.saturating_mul(1_000_000)))
}

/// Stage 1 (branch 1): curl exec on host h1 under `parent`.
fn exec(ms: i64, parent: &str) -> String {
    format!(
        r#"{{"@timestamp":"{}","event":{{"category":["process"],"type":["start"],"action":"exec"}},"host":{{"id":"h1","os":{{"type":"linux"}}}},"process":{{"name":"curl","executable":"/usr/bin/curl","command_line":"curl -s https://example.com/","working_directory":"/home/u","parent":{{"entity_id":"{parent}","executable":"/bin/bash"}}}}}}"#,
        ts(ms)
    )
}

/// Stage 2: connection to the IMDS address on host h1 under `parent`.
fn net(ms: i64, parent: &str) -> String {
    format!(
        r#"{{"@timestamp":"{}","event":{{"category":["network"],"type":["start"],"action":"connection_attempted"}},"host":{{"id":"h1","os":{{"type":"linux"}}}},"destination":{{"ip":"169.254.169.254","port":80}},"process":{{"name":"curl","parent":{{"entity_id":"{parent}"}}}}}}"#,
        ts(ms)
    )
}

struct Run {
    alerts: Vec<Alert>,
    outcomes: Vec<LineOutcome>,
    stats: Stats,
}

fn run_with(rule: Box<dyn Rule>, cfg: Config, lines: &[Vec<u8>]) -> Run {
    let mut det = Detector::new(vec![rule], cfg).expect("rule set runs");
    let mut alerts = Vec::new();
    let mut outcomes = Vec::new();
    for l in lines {
        outcomes.push(det.push_line(l, &mut |a| alerts.push(a)));
    }
    det.finish(&mut |a| alerts.push(a));
    let stats = det.stats();
    let skipped: u64 = stats.skipped.values().sum();
    assert_eq!(stats.lines, lines.len() as u64);
    assert_eq!(
        stats.lines,
        stats.evaluated + skipped,
        "counts add up: {stats:?}"
    );
    Run {
        alerts,
        outcomes,
        stats,
    }
}

fn run(rule: Box<dyn Rule>, prefilter: bool, lines: &[Vec<u8>]) -> Run {
    // Unbounded lateness, as for files: the only setting where the prefilter applies.
    let cfg = Config {
        prefilter,
        lateness_nanos: u64::MAX,
        ..Config::default()
    };
    run_with(rule, cfg, lines)
}

/// As [`run`], with the default 5 s lateness of a live stream (where the prefilter does not
/// apply: every line's timestamp moves the clock).
fn run_stream(rule: Box<dyn Rule>, prefilter: bool, lines: &[Vec<u8>]) -> Run {
    let cfg = Config {
        prefilter,
        ..Config::default()
    };
    run_with(rule, cfg, lines)
}

fn bytes(lines: &[String]) -> Vec<Vec<u8>> {
    lines.iter().map(|l| l.clone().into_bytes()).collect()
}

/// Every bad-line kind, with the reason it is skipped under (`None`: evaluated, never matches).
fn bad_lines() -> Vec<(&'static str, Vec<u8>, Option<SkipReason>)> {
    use SkipReason::*;
    let good = exec(0, "bad");
    let deep = |n: usize| {
        format!(
            r#"{{"@timestamp":"{}","x":{}1{}}}"#,
            ts(0),
            "[".repeat(n),
            "]".repeat(n)
        )
        .into_bytes()
    };
    let mut invalid_utf8 = good.clone().into_bytes();
    invalid_utf8.splice(20..20, *b"\xC3\x28");
    vec![
        ("empty", b"".to_vec(), Some(Empty)),
        ("blanks", b" \t  ".to_vec(), Some(Empty)),
        ("lone CR", b"\r".to_vec(), Some(Empty)),
        ("lone BOM", b"\xEF\xBB\xBF".to_vec(), Some(Empty)),
        (
            "not JSON",
            b"curl 169.254.169.254".to_vec(),
            Some(InvalidJson),
        ),
        (
            "truncated",
            good.as_bytes()[..good.len() / 2].to_vec(),
            Some(InvalidJson),
        ),
        (
            "two documents",
            format!("{good}{good}").into_bytes(),
            Some(InvalidJson),
        ),
        (
            "trailing comma",
            good.replacen('}', ",}", 1).into_bytes(),
            Some(InvalidJson),
        ),
        (
            "raw control char",
            good.replacen("curl -s", "curl\u{1}-s", 1).into_bytes(),
            Some(InvalidJson),
        ),
        (
            "lone surrogate",
            good.replacen("example", "\\ud800", 1).into_bytes(),
            Some(InvalidJson),
        ),
        (
            "two BOMs",
            format!("\u{feff}\u{feff}{good}").into_bytes(),
            Some(InvalidJson),
        ),
        (
            "number too large",
            good.replacen("\"/home/u\"", "1e400", 1).into_bytes(),
            Some(InvalidJson),
        ),
        ("invalid UTF-8", invalid_utf8, Some(InvalidUtf8)),
        ("array", b"[1,2]".to_vec(), Some(NotAnObject)),
        ("string", b"\"curl\"".to_vec(), Some(NotAnObject)),
        ("number", b"42".to_vec(), Some(NotAnObject)),
        ("null", b"null".to_vec(), Some(NotAnObject)),
        ("deep 126 (limit is 127 containers)", deep(126), None),
        ("deep 127", deep(127), Some(TooDeep)),
        ("deep 10000", deep(10_000), Some(TooDeep)),
        (
            "no @timestamp",
            good.replacen("\"@timestamp\"", "\"time\"", 1).into_bytes(),
            Some(MissingTimestamp),
        ),
        (
            "null @timestamp",
            br#"{"@timestamp":null,"x":"curl"}"#.to_vec(),
            Some(MissingTimestamp),
        ),
        (
            "empty-array @timestamp",
            br#"{"@timestamp":[],"x":"curl"}"#.to_vec(),
            Some(MissingTimestamp),
        ),
        (
            "object @timestamp",
            br#"{"@timestamp":{"t":"2024-10-18T12:00:00Z"}}"#.to_vec(),
            Some(MissingTimestamp),
        ),
        (
            "word @timestamp",
            br#"{"@timestamp":"yesterday","x":"curl"}"#.to_vec(),
            Some(InvalidTimestamp),
        ),
        (
            "Feb 30 @timestamp",
            br#"{"@timestamp":"2024-02-30T00:00:00Z"}"#.to_vec(),
            Some(InvalidTimestamp),
        ),
        (
            "bool @timestamp",
            br#"{"@timestamp":true}"#.to_vec(),
            Some(InvalidTimestamp),
        ),
        (
            "year 10000 @timestamp",
            br#"{"@timestamp":"10000-01-01T00:00:00Z"}"#.to_vec(),
            Some(InvalidTimestamp),
        ),
        (
            "i64 overflow @timestamp",
            br#"{"@timestamp":"2263-01-01T00:00:00Z"}"#.to_vec(),
            Some(InvalidTimestamp),
        ),
        // Wrong types are values of another kind, not errors: evaluated, and they match nothing.
        (
            "process.name a number",
            good.replacen("\"curl\"", "42", 1).into_bytes(),
            None,
        ),
        (
            "process.name an object",
            good.replacen("\"curl\"", "{\"name\":\"curl\"}", 1)
                .into_bytes(),
            None,
        ),
        (
            "host.id missing",
            good.replacen("\"id\":\"h1\",", "", 1).into_bytes(),
            None,
        ),
    ]
}

#[test]
fn every_bad_line_is_counted_under_its_reason_and_a_later_sequence_is_caught() {
    let cases = bad_lines();
    let mut lines: Vec<Vec<u8>> = cases.iter().map(|c| c.1.clone()).collect();
    // The true sequence comes after all of them, and a CRLF and a BOM do not hide it.
    lines.push(format!("\u{feff}{}", exec(100, "p1")).into_bytes());
    lines.push(format!("{}\r", net(400, "p1")).into_bytes());
    for (engine, rule, prefilter) in engines() {
        let r = run(rule, prefilter, &lines);
        for ((name, line, want), got) in cases.iter().zip(&r.outcomes) {
            let expected = want.map_or(LineOutcome::Evaluated, LineOutcome::Skipped);
            // The prefilter decides, unread, a line with none of the rule's literals: it cannot
            // match, so it may count as evaluated instead of skipped.
            // (The differential and fuzz tests check that it never decides a matching line.)
            let prefiltered_ok =
                prefilter && *got == LineOutcome::Evaluated && !line.contains(&b'\\');
            assert!(
                *got == expected || prefiltered_ok,
                "[{engine}] {name}: {got:?}, expected {expected:?}"
            );
        }
        assert_eq!(
            r.alerts.len(),
            1,
            "[{engine}] the sequence after the bad lines"
        );
        assert_eq!(r.alerts[0].keys[1].1.as_deref(), Some("p1"));
        assert_eq!(
            r.stats.rules[0].null_key_dropped, 1,
            "[{engine}] host.id missing"
        );
        if !prefilter {
            let want_skipped = cases.iter().filter(|c| c.2.is_some()).count() as u64;
            assert_eq!(
                r.stats.skipped.values().sum::<u64>(),
                want_skipped,
                "[{engine}]"
            );
            assert_eq!(r.stats.skipped[&SkipReason::TooDeep], 2);
            assert_eq!(r.stats.skipped[&SkipReason::Empty], 4);
        }
    }
}

/// One exec line written in a hostile form, then the plain network event: must alert.
fn evades(exec_line: String) -> Vec<Vec<u8>> {
    bytes(&[exec_line, net(300, "p1")])
}

#[test]
fn no_encoding_hides_a_match() {
    let e = exec(0, "p1");
    let cases: Vec<(&str, String)> = vec![
        (
            "\\u escape in a value",
            e.replacen("\"curl\"", r#""c\u0075rl""#, 1),
        ),
        (
            "every letter escaped",
            e.replacen("\"curl\"", r#""\u0063\u0075\u0072\u006C""#, 1),
        ),
        (
            "\\/ in a path",
            e.replacen("\"curl\"", "\"x\"", 1)
                .replacen("/usr/bin/curl", r"\/tmp\/x", 1),
        ),
        (
            "\\u escape in a key",
            e.replacen("\"process\"", r#""proc\u0065ss""#, 1),
        ),
        ("escaped dot in a dotted key", {
            let rest = e.replacen("\"name\":\"curl\",", "", 1);
            rest.replacen('{', r#"{"process\u002ename":"curl","#, 1)
        }),
        ("dotted key", {
            let rest = e.replacen("\"name\":\"curl\",", "", 1);
            rest.replacen('{', r#"{"process.name":"curl","#, 1)
        }),
        (
            "dotted join key inside an object",
            e.replacen(
                r#""parent":{"entity_id":"p1","executable":"/bin/bash"}"#,
                r#""parent.entity_id":"p1""#,
                1,
            ),
        ),
        (
            "duplicate key, decoy first",
            e.replacen("\"name\":\"curl\"", r#""name":"bash","name":"curl""#, 1),
        ),
        (
            "duplicate key, decoy last",
            e.replacen("\"name\":\"curl\"", r#""name":"curl","name":"bash""#, 1),
        ),
        (
            "dotted and nested both",
            e.replacen('{', r#"{"process.name":"bash","#, 1),
        ),
        (
            "duplicate object",
            e.replacen(
                r#""process":{"#,
                r#""process":{"name":"bash"},"process":{"#,
                1,
            ),
        ),
        (
            "mixed case under `:`",
            e.replacen("\"curl\"", "\"CuRL\"", 1),
        ),
        (
            "upper-case path under `:`",
            e.replacen("/usr/bin/curl", "/TMP/X", 1)
                .replacen("\"curl\"", "\"x\"", 1),
        ),
        (
            "value in an array",
            e.replacen("\"curl\"", r#"["bash",null,"curl"]"#, 1),
        ),
        (
            "nested arrays",
            e.replacen("\"curl\"", r#"[["bash"],[["curl"]]]"#, 1),
        ),
        (
            "event.type a string",
            e.replacen(r#"["start"]"#, "\"start\"", 1),
        ),
        (
            "event.type among others",
            e.replacen(r#"["start"]"#, r#"["end","start"]"#, 1),
        ),
        ("array of objects", {
            let body = e.replacen(
                r#""process":{"name":"curl","#,
                r#""process":[{"name":"bash"},{"name":"curl","#,
                1,
            );
            format!("{}}}}}]}}", &body[..body.len() - 3])
        }),
        (
            "whitespace everywhere",
            e.replace("\":", "\" :\t").replace(",\"", " , \""),
        ),
        ("BOM and CRLF", format!("\u{feff}{e}\r")),
    ];
    for (name, line) in &cases {
        for (engine, rule, prefilter) in engines() {
            let r = run(rule, prefilter, &evades(line.clone()));
            assert_eq!(
                r.outcomes,
                [LineOutcome::Evaluated, LineOutcome::Evaluated],
                "[{engine}] {name}: {line}"
            );
            assert_eq!(r.alerts.len(), 1, "[{engine}] {name} hid the match: {line}");
        }
    }
}

#[test]
fn near_misses_do_not_match() {
    // Controls: the tests above could fail. `==` is case-sensitive, `:` compares whole values,
    // and `:` folds case one character at a time with the character's own alternative only, so
    // the Kelvin sign is not `k` and the long s is not `s` (ES's rule; no Unicode folding).
    let e = exec(0, "p1").replacen(r#""working_directory":"/home/u","#, "", 1);
    let cases: Vec<(&str, String)> = vec![
        (
            "`==` is case-sensitive",
            e.replacen("\"exec\"", "\"EXEC\"", 1),
        ),
        ("trailing space", e.replacen("\"curl\"", "\"curl \"", 1)),
        ("NUL suffix", e.replacen("\"curl\"", r#""curl\u0000""#, 1)),
        (
            "full-width letters",
            e.replacen("\"curl\"", "\"ｃｕｒｌ\"", 1),
        ),
        ("long s for s", e.replacen("\"curl\"", "\"ſocat\"", 1)),
        (
            "Kelvin sign for k",
            e.replacen("\"curl\"", "\"aw\u{212a}\"", 1),
        ),
        (
            "a key with a different escape",
            e.replacen("\"process\"", r#""proc\u0045ss""#, 1),
        ),
        (
            "the value under another field",
            e.replacen("\"name\":\"curl\"", r#""title":"curl""#, 1),
        ),
        ("join key in another case", exec(0, "P1")),
    ];
    for (name, line) in &cases {
        for (engine, rule, prefilter) in engines() {
            let r = run(rule, prefilter, &evades(line.clone()));
            assert!(r.alerts.is_empty(), "[{engine}] {name} matched: {line}");
        }
    }
    // With plain letters, in any ASCII case, the same names do match: the controls above fail
    // on folding alone.
    for name in ["socat", "SoCaT", "awk", "AWK"] {
        let plain = e.replacen("\"curl\"", &format!("\"{name}\""), 1);
        for (engine, rule, prefilter) in engines() {
            let r = run(rule, prefilter, &evades(plain.clone()));
            assert_eq!(r.alerts.len(), 1, "[{engine}] {name}");
        }
    }
}

#[test]
fn a_duplicate_timestamp_uses_the_first_value() {
    // Elasticsearch rejects such a document at index time; here every value of a duplicate key
    // is kept, and the timestamp is the first one. 10 s later than the network event would be
    // out of order, 0.2 s earlier completes the sequence.
    let first = exec(0, "p1").replacen('{', &format!(r#"{{"@timestamp":"{}","#, ts(10_000)), 1);
    let forged = exec(0, "p1")
        .replacen("\"@timestamp\"", "\"x\"", 1)
        .replacen(
            '{',
            &format!(
                r#"{{"@timestamp":"{}","@timestamp":"{}","#,
                ts(100),
                ts(10_000)
            ),
            1,
        );
    for (engine, rule, prefilter) in engines() {
        let r = run(rule, prefilter, &bytes(&[forged.clone(), net(300, "p1")]));
        assert_eq!(r.alerts.len(), 1, "[{engine}]");
        assert_eq!(
            r.alerts[0].events[0].timestamp_nanos, 1_729_252_800_100_000_000,
            "[{engine}]"
        );
        let r = run(
            rule_again(engine),
            prefilter,
            &bytes(&[first.clone(), net(300, "p1")]),
        );
        assert!(
            r.alerts.is_empty(),
            "[{engine}] the second @timestamp was used"
        );
    }
}

fn rule_again(engine: &str) -> Box<dyn Rule> {
    if engine.starts_with("loaded") {
        loaded()
    } else {
        compiled()
    }
}

#[test]
fn numeric_timestamps() {
    // A JSON number is read as epoch milliseconds from its own text.
    let at = |t: &str| exec(0, "p1").replacen(&format!("\"{}\"", ts(0)), t, 1);
    let ok = at("1729252800000");
    let r = run(compiled(), false, &bytes(&[ok, net(300, "p1")]));
    assert_eq!(r.alerts.len(), 1);
    assert_eq!(
        r.alerts[0].events[0].timestamp_nanos,
        1_729_252_800_000_000_000
    );
    // An exponent is not epoch millis: skipped, as Elasticsearch would reject the document.
    // (The interpreter reads numbers through f64 and accepts it: a known divergence.)
    let r = run(compiled(), false, &bytes(&[at("1.7292528e12")]));
    assert_eq!(
        r.outcomes,
        [LineOutcome::Skipped(SkipReason::InvalidTimestamp)]
    );
}

#[test]
fn forged_far_future_event_neither_flushes_state_nor_makes_later_events_late() {
    let century = 100 * 365 * 86_400_000i64;
    let lines = bytes(&[
        exec(0, "p1"),
        // Forged, matching stage 1 on another key, 100 years ahead.
        exec(century, "p2"),
        net(500, "p1"),
    ]);
    for (engine, rule, prefilter) in engines() {
        let r = run_stream(rule, prefilter, &lines);
        assert_eq!(
            r.alerts.len(),
            1,
            "[{engine}] the sequence after the forged event"
        );
        assert_eq!(r.stats.future_events, 1, "[{engine}]");
        assert_eq!(r.stats.late_events, 0, "[{engine}]");
    }
}

#[test]
fn a_confirmed_gap_moves_the_clock() {
    let jump = 2 * 3_600_000i64;
    let cfg = Config::default();
    let confirmations = cfg.jump_confirmations as i64;
    let mut lines = vec![exec(0, "p1")];
    // A real gap: enough consecutive events beyond max_clock_jump (each matching, on other keys).
    for i in 0..confirmations {
        lines.push(exec(jump + i, &format!("gap{i}")));
    }
    // The clock has moved: an event 10 s later releases the gap's events, and an event from
    // before the gap is then late, and not joined.
    lines.push(exec(jump + 10_000, "after"));
    lines.push(net(500, "p1"));
    for (engine, rule, prefilter) in engines() {
        let r = run_with(
            rule,
            Config {
                prefilter,
                ..cfg.clone()
            },
            &bytes(&lines),
        );
        assert!(r.alerts.is_empty(), "[{engine}]");
        assert_eq!(r.stats.late_events, 1, "[{engine}]");
        // One fewer than the confirmations: still held, and the old sequence still completes.
        let short: Vec<String> = lines[..confirmations as usize]
            .iter()
            .cloned()
            .chain([net(500, "p1")])
            .collect();
        let r = run_with(
            rule_again(engine),
            Config {
                prefilter,
                ..cfg.clone()
            },
            &bytes(&short),
        );
        assert_eq!(r.alerts.len(), 1, "[{engine}] unconfirmed jump");
        assert_eq!(r.stats.late_events, 0, "[{engine}]");
        assert_eq!(
            r.stats.future_events,
            confirmations as u64 - 1,
            "[{engine}]"
        );
    }
}

#[test]
fn timestamps_going_backwards() {
    // Within the lateness window (5 s): reordered and joined.
    let within = bytes(&[net(3_000, "p1"), exec(2_500, "p1"), exec(9_000, "x")]);
    // Far in the past: a matching event is counted late and not joined; a past event that
    // matches nothing is just evaluated.
    let past = bytes(&[
        exec(0, "p1"),
        exec(1_000, "y"),
        exec(10_000, "x"),
        net(-86_400_000 * 365 * 30, "p1"),
        exec(-86_400_000 * 365 * 30, "p9")
            .replacen("\"curl\"", "\"ls\"", 1)
            .replacen("/usr/bin/curl", "/bin/ls", 1),
        net(400, "p1"),
    ]);
    for (engine, rule, prefilter) in engines() {
        let r = run_stream(rule, prefilter, &within);
        assert_eq!(r.alerts.len(), 1, "[{engine}]");
        assert_eq!(r.stats.late_events, 0, "[{engine}]");
        let r = run_stream(rule_again(engine), prefilter, &past);
        assert!(r.alerts.is_empty(), "[{engine}] joined a late event");
        assert_eq!(r.stats.late_events, 2, "[{engine}]");
        assert_eq!(r.stats.evaluated, 6, "[{engine}]");
    }
}

/// `n` stage-1 matches on distinct parents within one second, then a true sequence on a fresh key.
fn key_flood(n: u64, out: &mut impl Write) {
    let step = 900_000_000 / n.max(1); // nanoseconds, all inside the 1 s maxspan
    for i in 0..n {
        let nanos = 1_729_252_800_000_000_000u64 + i * step;
        writeln!(
            out,
            r#"{{"@timestamp":"2024-10-18T12:00:00.{:09}Z","event":{{"category":["process"],"type":["start"],"action":"exec"}},"host":{{"id":"h1","os":{{"type":"linux"}}}},"process":{{"name":"curl","executable":"/usr/bin/curl","parent":{{"entity_id":"flood-{i}"}}}}}}"#,
            nanos % 1_000_000_000
        )
        .unwrap();
    }
    writeln!(out, "{}", exec(950, "recent")).unwrap();
    writeln!(out, "{}", net(990, "recent")).unwrap();
}

fn state_budget(n: u64, cap: usize) {
    let mut data = Vec::new();
    key_flood(n, &mut data);
    let cfg = Config {
        max_state_bytes: cap,
        ..Config::default()
    };
    let mut det = Detector::new(vec![compiled()], cfg).expect("runs");
    let mut alerts = Vec::new();
    for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        det.push_line(line, &mut |a| alerts.push(a));
    }
    det.finish(&mut |a| alerts.push(a));
    let s = det.stats();
    let seq = &s.rules[0].seq;
    assert_eq!(s.evaluated, n + 2);
    assert!(seq.live_bytes <= cap as u64, "{seq:?}");
    assert!(seq.peak_bytes <= cap as u64, "{seq:?}");
    assert!(seq.peak_bytes >= seq.live_bytes, "{seq:?}");
    assert!(
        seq.peak_bytes > cap as u64 / 2,
        "the budget was used: {seq:?}"
    );
    assert!(seq.evicted_keys > 0 && seq.evicted_pending > 0, "{seq:?}");
    // The flood fits in the lateness window, so it also filled the reorder buffer's quarter of
    // the budget: the oldest waiting hits went early instead of growing memory.
    assert!(s.released_early > 0, "{s:?}");
    // Every key (the flood and `recent`) is still held, was evicted, or retired once empty.
    assert_eq!(
        seq.live_keys + seq.evicted_keys + seq.retired_keys,
        n + 1,
        "{seq:?}"
    );
    assert_eq!(
        alerts.len(),
        1,
        "the recent sequence is still caught: {seq:?}"
    );
    assert_eq!(alerts[0].keys[1].1.as_deref(), Some("recent"));
}

#[test]
fn a_flood_of_join_keys_stays_within_the_state_budget() {
    state_budget(200_000, 4 << 20);
}

#[test]
fn a_million_join_keys_at_the_default_budget() {
    if std::env::var_os("HOSTILE_FULL").is_none() {
        return;
    }
    state_budget(1_000_000, Config::default().max_state_bytes);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys_1m.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    key_flood(1_000_000, &mut f);
    f.flush().unwrap();
    eprintln!("1 M-key stream: {}", path.display());
}

/// Peak resident set of a finished child, from `/usr/bin/time -v` (kB).
fn max_rss_kb(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn a_100_mb_line_is_skipped_without_being_held() {
    let bin = env!("CARGO_BIN_EXE_eql-detect");
    let time = std::path::Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-v").arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let mut child = cmd
        .args([
            "--format",
            "ndjson",
            "--summary",
            "json",
            "--max-line-bytes",
            "1MiB",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        stdin.write_all(exec(0, "p1").as_bytes()).unwrap();
        stdin
            .write_all(b"\n{\"@timestamp\":\"2024-10-18T12:00:00Z\",\"pad\":\"")
            .unwrap();
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..100 {
            stdin.write_all(&chunk).unwrap();
        }
        stdin.write_all(b"\"}\n").unwrap();
        stdin.write_all(net(300, "p1").as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let summary: serde_json::Value = stderr
        .lines()
        .find_map(|l| {
            serde_json::from_str(l)
                .ok()
                .filter(|v: &serde_json::Value| v.is_object())
        })
        .unwrap_or_else(|| panic!("no JSON summary in {stderr}"));
    assert_eq!(summary["lines"], 3, "{summary}");
    assert_eq!(summary["evaluated"], 2, "{summary}");
    assert_eq!(summary["skipped"]["line_too_long"]["count"], 1, "{summary}");
    let alerts = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(alerts, 1, "the sequence around the long line");
    if let Some(kb) = max_rss_kb(&stderr) {
        assert!(
            kb < 48 * 1024,
            "peak RSS {kb} kB: the long line was buffered"
        );
    }
}
