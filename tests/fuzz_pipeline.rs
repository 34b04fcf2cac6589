//! A seeded mutation fuzzer over the whole detection pipeline, on stable Rust.
//!
//! Lines come from real Elastic Defend documents (tests/fixtures/hostile/corpus.ndjson, the ECS
//! samples flattened to one line each) and from IMDS templates with moving timestamps and a small
//! pool of join keys, so that sequences really form. Most lines are then mutated: byte flips,
//! inserts, deletes, truncations, splices between lines, `\u` and `\/` escapes, case changes,
//! duplicate keys, deep nesting, huge numbers, forged timestamps.
//!
//! Every line goes through four detectors: the compiled IMDS rule with the literal prefilter, the
//! compiled rule decoding every line, and the same rule file loaded at run time (the IR evaluator
//! `--rule-file` uses), with a finite and an unbounded lateness. Invariants:
//! - nothing panics;
//! - in each detector `lines == evaluated + sum(skipped)`;
//! - the compiled rule and the loaded rule (prefilter off) give the same outcome for every line
//!   (evaluated, or skipped for the same reason);
//! - the prefilter only ever turns a skip into "evaluated" (a line it decides cannot match);
//! - all three emit identical alerts, in the same order, and count the same late events.
//!
//! `FUZZ_LINES=N` sets the number of lines (default 50 000), `FUZZ_SEED=S` the seed.

mod common;

use common::{compiled, loaded, rfc3339};
use eql_runtime::detector::{Alert, Config, Detector, LineOutcome};
use eql_runtime::rule::Rule;

/// xorshift64*: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// 2024-10-18T12:00:00Z.
const BASE: i64 = 1_729_252_800_000_000_000;

const NAMES: &[&str] = &[
    "curl",
    "CURL",
    "wget",
    "python3",
    "perl",
    "node",
    "bash",
    "nc",
    "ſocat",
    "ＣＵＲＬ",
];
const EXES: &[&str] = &[
    "/usr/bin/curl",
    "/tmp/x",
    "/TMP/x",
    "./a.out",
    "/dev/shm/k",
    "/etc/rc3.d/S01x",
    "/opt/rumble/bin/rumble-agent",
    "/usr/bin/bash",
];
const CMDS: &[&str] = &[
    "curl -s https://example.com/",
    "curl http://169.254.169.254/latest/meta-data/",
    "bash -c 'exec 3<>/dev/tcp/169.254.169.254/80'",
    "python3 -m http.server",
];
const DIRS: &[&str] = &[
    "/home/ubuntu",
    "/opt/rapid7/agent",
    "/",
    "/var/log/amazon/ssm/x",
];
const IPS: &[&str] = &[
    "169.254.169.254",
    "10.0.0.1",
    "169.254.169.253",
    "::ffff:169.254.169.254",
];

/// A template event at `ts` with keys drawn from a small pool.
fn template(rng: &mut Rng, ts: i64) -> String {
    let host = format!("h{}", rng.below(3));
    let parent = format!("p{}", rng.below(12));
    let t = rfc3339(ts);
    if rng.chance(50) {
        let name = rng.pick(NAMES);
        let exe = rng.pick(EXES);
        let cmd = rng.pick(CMDS);
        let dir = rng.pick(DIRS);
        let etype = if rng.chance(85) {
            r#"["start"]"#
        } else {
            r#""start""#
        };
        format!(
            r#"{{"@timestamp":"{t}","event":{{"category":["process"],"type":{etype},"action":"exec","kind":"event"}},"host":{{"id":"{host}","os":{{"type":"linux"}}}},"process":{{"name":"{name}","executable":"{exe}","command_line":"{cmd}","working_directory":"{dir}","entity_id":"e{}","parent":{{"entity_id":"{parent}","executable":"/bin/bash"}}}}}}"#,
            rng.below(1000)
        )
    } else {
        let ip = rng.pick(IPS);
        let action = if rng.chance(85) {
            "connection_attempted"
        } else {
            "connection_accepted"
        };
        format!(
            r#"{{"@timestamp":"{t}","event":{{"category":["network"],"type":["start"],"action":"{action}"}},"host":{{"id":"{host}","os":{{"type":"linux"}}}},"destination":{{"ip":"{ip}","port":80}},"process":{{"name":"curl","parent":{{"entity_id":"{parent}"}}}}}}"#
        )
    }
}

const BYTES: &[u8] = b"\"\\{}[],: \t\r0123456789-+.eE/*?tfnul\xff\xc3\xa9\x00\x7f";
const NUMBERS: &[&str] = &[
    "1e400",
    "-1e400",
    "123456789012345678901234567890",
    "1.7976931348623157e309",
    "-0",
    "0.0000000000000000000000000001",
    "18446744073709551616",
    "-9223372036854775809",
    "1e-400",
    "01",
    "1.",
    "NaN",
];
/// Forged `@timestamp` values. No JSON numbers: the interpreter reads a number through f64, so
/// a non-canonical spelling (`1729252800000.59223372036854775807`, `1e-400`) gives it another
/// value than the decoder, which parses the number's own text as Elasticsearch does; numeric
/// timestamps are pinned in tests/hostile.rs instead (`numeric_timestamps`).
const TIMESTAMPS: &[&str] = &[
    "\"2124-10-18T12:00:00Z\"",
    "\"1970-01-01T00:00:00Z\"",
    "\"1677-09-21T00:12:43.145224191Z\"",
    "\"2262-04-11T23:47:16.854775808Z\"",
    "\"9999-12-31T23:59:59.999999999Z\"",
    "\"2024-02-30T00:00:00Z\"",
    "\"2024-10-18T12:00:00+25:00\"",
    "\"2024-10-18 12:00:00\"",
    "\"\"",
    "null",
    "[]",
    "{}",
    "[\"2024-10-18T12:00:00Z\",\"2124-10-18T12:00:00Z\"]",
    "true",
];
const DUPLICATES: &[&str] = &[
    r#""process.name":"curl","#,
    r#""process":{"name":"x"},"#,
    r#""destination.ip":"169.254.169.254","#,
    r#""@timestamp":"2024-10-18T12:00:01Z","#,
    r#""process.parent.entity_id":"p1","#,
    r#""host.id":["h1","h2"],"#,
    r#""event.type":"start","#,
];

fn find_all(line: &[u8], pat: &[u8]) -> Vec<usize> {
    if pat.is_empty() || line.len() < pat.len() {
        return Vec::new();
    }
    (0..=line.len() - pat.len())
        .filter(|&i| &line[i..i + pat.len()] == pat)
        .collect()
}

/// One mutation of `line`; `other` is another line to splice with.
fn mutate(rng: &mut Rng, line: &mut Vec<u8>, other: &[u8]) {
    let len = line.len();
    match rng.below(15) {
        0 => {
            if len > 0 {
                let i = rng.below(len);
                line[i] ^= 1 << rng.below(8);
            }
        }
        1 => {
            let i = rng.below(len + 1);
            line.insert(i, *rng.pick(BYTES));
        }
        2 => {
            if len > 0 {
                let i = rng.below(len);
                let n = 1 + rng.below(8.min(len - i));
                line.drain(i..i + n);
            }
        }
        3 => line.truncate(rng.below(len + 1)),
        4 => {
            // Splice: a prefix of this line, a suffix of another.
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            line.truncate(cut);
            line.extend_from_slice(&other[from..]);
        }
        5 => {
            // A letter or digit as a \u escape (the same value inside a string).
            let spots: Vec<usize> = (0..len)
                .filter(|&i| line[i].is_ascii_alphanumeric())
                .collect();
            if !spots.is_empty() {
                let i = *rng.pick(&spots);
                let esc = format!("\\u{:04x}", line[i]);
                line.splice(i..=i, esc.bytes());
            }
        }
        6 => {
            // `/` as `\/`, every one or a single one.
            let spots = find_all(line, b"/");
            if !spots.is_empty() {
                if rng.chance(50) {
                    let i = *rng.pick(&spots);
                    line.insert(i, b'\\');
                } else {
                    for &i in spots.iter().rev() {
                        line.insert(i, b'\\');
                    }
                }
            }
        }
        7 => {
            // Case: flip one ASCII letter, or all of one value.
            let spots: Vec<usize> = (0..len)
                .filter(|&i| line[i].is_ascii_alphabetic())
                .collect();
            if !spots.is_empty() {
                let i = *rng.pick(&spots);
                let n = 1 + rng.below(12);
                for b in line.iter_mut().skip(i).take(n) {
                    if b.is_ascii_alphabetic() {
                        *b ^= 0x20;
                    }
                }
            }
        }
        8 => {
            // A duplicate key right after the opening brace.
            if line.first() == Some(&b'{') {
                let d = rng.pick(DUPLICATES);
                line.splice(1..1, d.bytes());
            }
        }
        9 => {
            // Deep nesting around the first array, near the depth limit.
            let d = 120 + rng.below(12);
            if let Some(open) = line.iter().position(|&b| b == b'[') {
                if let Some(close) = line[open..].iter().position(|&b| b == b']') {
                    let close = open + close;
                    line.splice(close..close, std::iter::repeat_n(b']', d));
                    line.splice(open..open, std::iter::repeat_n(b'[', d));
                }
            } else {
                line.splice(0..0, b"{\"a\":".repeat(d));
                line.extend(std::iter::repeat_n(b'}', d));
            }
        }
        10 => {
            // A number replaced by a huge or odd one (not a numeric `@timestamp`: see TIMESTAMPS).
            let ts_key = b"\"@timestamp\":";
            let spots: Vec<usize> = (1..len)
                .filter(|&i| line[i].is_ascii_digit() && line[i - 1] == b':')
                .filter(|&i| i < ts_key.len() || &line[i - ts_key.len()..i] != ts_key)
                .collect();
            if !spots.is_empty() {
                let i = *rng.pick(&spots);
                let end = (i..len)
                    .find(|&j| !matches!(line[j], b'0'..=b'9' | b'.' | b'e' | b'E' | b'-' | b'+'))
                    .unwrap_or(len);
                line.splice(i..end, rng.pick(NUMBERS).bytes());
            }
        }
        11 => {
            // A forged timestamp.
            let key = b"\"@timestamp\":";
            if let Some(&at) = find_all(line, key).first() {
                let start = at + key.len();
                let end = if line.get(start) == Some(&b'"') {
                    line[start + 1..]
                        .iter()
                        .position(|&b| b == b'"')
                        .map_or(len, |p| start + p + 2)
                } else {
                    start
                };
                line.splice(start..end, rng.pick(TIMESTAMPS).bytes());
            }
        }
        12 => {
            // Non-ASCII case variants the `:` operator folds (ſ ~ s, K ~ k) and others it does not.
            let subs: &[(&[u8], &str)] = &[
                (b"s", "ſ"),
                (b"k", "\u{212a}"),
                (b"c", "C"),
                (b"i", "\u{130}"),
                (b"u", "\u{fc}"),
            ];
            let (from, to) = rng.pick(subs);
            let spots = find_all(line, from);
            if !spots.is_empty() {
                let i = *rng.pick(&spots);
                line.splice(i..i + from.len(), to.bytes());
            }
        }
        13 => {
            // Framing: CR, BOM, surrounding blanks.
            match rng.below(3) {
                0 => line.push(b'\r'),
                1 => {
                    line.splice(0..0, *b"\xEF\xBB\xBF");
                }
                _ => {
                    line.splice(0..0, *b"  ");
                    line.extend_from_slice(b"\t ");
                }
            }
        }
        _ => {
            // A string value replaced by an array or an object of it, or the reverse.
            let spots = find_all(line, b":\"");
            if !spots.is_empty() {
                let i = *rng.pick(&spots) + 1;
                if let Some(p) = line[i + 1..].iter().position(|&b| b == b'"') {
                    let end = i + 1 + p + 1;
                    let value = line[i..end].to_vec();
                    let wrapped: Vec<u8> = match rng.below(3) {
                        0 => [b"[".as_slice(), &value, b",null]"].concat(),
                        1 => [b"{\"x\":".as_slice(), &value, b"}"].concat(),
                        _ => [b"[[".as_slice(), &value, b"]]"].concat(),
                    };
                    line.splice(i..end, wrapped);
                }
            }
        }
    }
}

type Sig = (Vec<(&'static str, Option<String>)>, Vec<String>);

fn sig(a: &Alert) -> Sig {
    (
        a.keys.clone(),
        a.events.iter().map(|e| e.raw.to_string()).collect(),
    )
}

struct Lane {
    det: Detector,
    alerts: Vec<Sig>,
}

impl Lane {
    /// A lane; `unbounded` lateness is the only setting where the prefilter applies (with a
    /// finite lateness every line's timestamp counts, so every line is decoded).
    fn new(rule: Box<dyn Rule>, prefilter: bool, unbounded: bool) -> Lane {
        let cfg = Config {
            prefilter,
            lateness_nanos: if unbounded {
                u64::MAX
            } else {
                Config::default().lateness_nanos
            },
            // Small enough that forged future timestamps and the state budget are exercised.
            jump_confirmations: 4,
            max_future_events: 64,
            ..Config::default()
        };
        Lane {
            det: Detector::new(vec![rule], cfg).expect("rule set runs"),
            alerts: Vec::new(),
        }
    }

    fn push(&mut self, line: &[u8]) -> LineOutcome {
        let alerts = &mut self.alerts;
        self.det.push_line(line, &mut |a| alerts.push(sig(&a)))
    }

    fn finish(&mut self) {
        let alerts = &mut self.alerts;
        self.det.finish(&mut |a| alerts.push(sig(&a)));
    }
}

/// Equal alert lists, or the first difference, readably.
fn same_alerts(what: &str, got: &[Sig], want: &[Sig], seed: u64) {
    if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        let show = |s: Option<&Sig>| {
            s.map_or("<none>".to_string(), |(k, ev)| {
                let ev: Vec<String> = ev.iter().map(|e| printable(e.as_bytes())).collect();
                format!("{k:?}\n    {}", ev.join("\n    "))
            })
        };
        panic!(
            "seed {seed}: {what} and loaded alerts differ at #{i} of {}/{}:\n  {what}: {}\n  loaded: {}",
            got.len(),
            want.len(),
            show(got.get(i)),
            show(want.get(i))
        );
    }
}

fn printable(line: &[u8]) -> String {
    String::from_utf8_lossy(&line[..line.len().min(600)]).into_owned()
}

#[test]
fn mutated_lines_through_the_pipeline() {
    let total: u64 = std::env::var("FUZZ_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_1234_ABCD_0001);
    let corpus: Vec<Vec<u8>> = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/hostile/corpus.ndjson"
    ))
    .expect("corpus")
    .lines()
    .map(|l| l.as_bytes().to_vec())
    .collect();
    assert!(corpus.len() >= 30, "the corpus lost documents");

    let mut rng = Rng(seed ^ 0x9E37_79B9_7F4A_7C15);
    let mut pf = Lane::new(compiled(), true, true);
    let mut full = Lane::new(compiled(), false, false);
    let mut interp = Lane::new(loaded(), false, false);
    // The prefiltered lane's reference: loaded, with the same unbounded lateness, decoding
    // every line.
    let mut whole = Lane::new(loaded(), false, true);
    assert!(pf.det.has_prefilter() && !full.det.has_prefilter() && !whole.det.has_prefilter());

    let started = std::time::Instant::now();
    let mut ts = BASE;
    let mut prev: Vec<u8> = corpus[0].clone();
    let mut mutated = 0u64;
    for n in 0..total {
        // Time moves forward, with some jitter within the lateness window.
        ts += (rng.below(40) as i64) * 1_000_000;
        let jitter = (rng.below(200) as i64 - 100) * 1_000_000;
        let mut line: Vec<u8> = if rng.chance(80) {
            template(&mut rng, ts + jitter).into_bytes()
        } else {
            rng.pick(&corpus).clone()
        };
        if rng.chance(70) {
            mutated += 1;
            for _ in 0..1 + rng.below(3) {
                mutate(&mut rng, &mut line, &prev);
            }
        }
        let a = pf.push(&line);
        let b = full.push(&line);
        let c = interp.push(&line);
        let d = whole.push(&line);
        assert_eq!(
            c, d,
            "line {n} (seed {seed}): lateness changed a line's outcome"
        );
        assert_eq!(
            b,
            c,
            "line {n} (seed {seed}): compiled and loaded disagree on\n{}",
            printable(&line)
        );
        assert!(
            a == b || a == LineOutcome::Evaluated,
            "line {n} (seed {seed}): the prefilter skipped a line the decoder evaluates: {a:?} vs {b:?}\n{}",
            printable(&line)
        );
        // The prefilter never decides a line some stage matches.
        assert_eq!(
            pf.det.stats().rules[0].matched_events,
            whole.det.stats().rules[0].matched_events,
            "line {n} (seed {seed}): the prefilter hid a match in\n{}",
            printable(&line)
        );
        if full.alerts.len() != interp.alerts.len() {
            panic!(
                "line {n} (seed {seed}): alert counts differ (prefiltered {}, compiled {}, loaded {}) after\n{}",
                pf.alerts.len(),
                full.alerts.len(),
                interp.alerts.len(),
                printable(&line)
            );
        }
        prev = line;
    }
    for lane in [&mut pf, &mut full, &mut interp, &mut whole] {
        lane.finish();
        let s = lane.det.stats();
        let skipped: u64 = s.skipped.values().sum();
        assert_eq!(s.lines, total);
        assert_eq!(s.lines, s.evaluated + skipped, "{s:?}");
    }
    same_alerts("prefiltered", &pf.alerts, &whole.alerts, seed);
    same_alerts("compiled", &full.alerts, &interp.alerts, seed);
    let (sp, sf, si) = (pf.det.stats(), full.det.stats(), interp.det.stats());
    let sw = whole.det.stats();
    assert_eq!(sf.skipped, si.skipped);
    assert_eq!(sf.late_events, si.late_events);
    assert_eq!(sp.late_events, sw.late_events);
    assert_eq!(sf.future_events, si.future_events);
    // The stream is hostile enough to exercise every path.
    assert!(
        si.rules[0].alerts > 0,
        "no alerts at all: the templates no longer form sequences"
    );
    assert!(sp.prefiltered > 0);
    for reason in [
        "invalid_json",
        "invalid_utf8",
        "too_deep",
        "invalid_timestamp",
    ] {
        assert!(
            si.skipped.keys().any(|r| r.as_str() == reason) || total < 10_000,
            "no line was skipped as {reason}: {:?}",
            si.skipped
        );
    }
    eprintln!(
        "fuzz: {total} lines ({mutated} mutated), seed {seed}, {} alerts, skipped {:?}, late {}, future {}, prefiltered {} in {:.1?}",
        interp.alerts.len(),
        si.skipped,
        si.late_events,
        si.future_events,
        sp.prefiltered,
        started.elapsed()
    );
}
