//! End-to-end tests of the `eql-detect` binary: inputs, alert formats, the summary, exit codes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_eql-detect");
const RULE_NAME: &str = "Unusual Instance Metadata Service (IMDS) API Request";
const RULE_ID: &str = "ecc0cd54-608e-11ef-ab6d-f661ea17fbce";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The IMDS rule alone: most tests here are about the detector and its output, on data built
/// for that rule. (Tests of the whole bundled set pass `--select` themselves.)
fn imds_only(args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let sub = matches!(args.first(), Some(&("rules" | "explain" | "gen")));
    if !sub
        && !args
            .iter()
            .any(|a| *a == "--no-builtin-rules" || a.starts_with("--select"))
    {
        v.insert(0, "--select=file:rules/imds.eql".into());
    }
    v
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(imds_only(args))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(imds_only(args))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn alerts(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Runs with `--summary json` and checks that every line is accounted for.
fn summary(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stderr);
    let last = text.lines().last().unwrap_or_default();
    let s: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("no JSON summary ({e}) in stderr:\n{text}"));
    let skipped: u64 = s["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|k| k["count"].as_u64().unwrap())
        .sum();
    assert_eq!(
        s["lines"].as_u64().unwrap(),
        s["evaluated"].as_u64().unwrap() + skipped,
        "lines != evaluated + skipped in {s}"
    );
    s
}

fn fixture_lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(name))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn alert_json_is_a_kibana_sequence_alert_with_the_original_documents() {
    let path = fixture("imds_pair.ndjson");
    let out = run(&[
        "--format",
        "ndjson",
        "--summary",
        "json",
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = alerts(&out);
    assert_eq!(got.len(), 1, "{got:?}");
    let a = &got[0];
    assert_eq!(a["kibana.alert.rule.name"], RULE_NAME);
    assert_eq!(a["kibana.alert.rule.rule_id"], RULE_ID);
    assert_eq!(a["kibana.alert.rule.type"], "eql");
    assert_eq!(a["kibana.alert.rule.version"], "2");
    assert_eq!(a["kibana.alert.severity"], "medium");
    assert_eq!(a["kibana.alert.risk_score"], 47);
    assert_eq!(a["event.kind"], "signal");
    assert_eq!(a["@timestamp"], "2024-06-10T06:15:23.138901200Z");
    assert_eq!(
        a["kibana.alert.original_time"],
        "2024-06-10T06:15:23.123456700Z"
    );
    assert!(a["kibana.alert.rule.tags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("OS: Linux")));
    let threat = a["kibana.alert.rule.threat"].as_array().unwrap();
    assert_eq!(threat.len(), 2);
    assert_eq!(threat[0]["framework"], "MITRE ATT&CK");
    assert_eq!(threat[0]["tactic"]["id"], "TA0006");
    assert_eq!(threat[0]["technique"][0]["id"], "T1552");
    assert_eq!(
        threat[0]["technique"][0]["subtechnique"][0]["id"],
        "T1552.005"
    );
    assert_eq!(threat[1]["tactic"]["name"], "Discovery");
    assert_eq!(threat[1]["technique"][0]["id"], "T1580");
    assert_eq!(
        a["eql.join_keys"],
        serde_json::json!({
            "host.id": "ec2a0b4f3e8d4c1f9e0b5a6c7d8e9f01",
            "process.parent.entity_id": "ZWMyYTBiNGYzZThkNGMxZjllMGI1YTZjN2Q4ZTlmMDEtNDQxMC0xNzE4MDAwMDAw"
        })
    );
    assert_eq!(a["kibana.alert.group.id"].as_str().unwrap().len(), 16);

    // The events are the exec then the connection, embedded byte for byte.
    let lines = fixture_lines("imds_pair.ndjson");
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let embedded = format!("\"events\":[{},{}]", lines[1], lines[3]);
    assert!(
        stdout.contains(&embedded),
        "documents not embedded verbatim:\n{stdout}"
    );

    let s = summary(&out);
    assert_eq!(s["lines"], 4);
    assert_eq!(s["evaluated"], 4);
    assert_eq!(s["alerts"], 1);
    assert_eq!(s["rules"][0]["alerts"], 1);
    assert_eq!(s["rules"][0]["suppressed"], 0);
}

#[test]
fn same_detection_gets_the_same_group_id() {
    let path = fixture("imds_pair.ndjson");
    let a = alerts(&run(&["--format", "ndjson", "-q", path.to_str().unwrap()]));
    let b = alerts(&run(&["--format", "ndjson", "-q", path.to_str().unwrap()]));
    assert_eq!(a, b);
}

#[test]
fn a_gap_over_maxspan_does_not_alert() {
    let path = fixture("imds_gap.ndjson");
    let out = run(&[
        "--format",
        "ndjson",
        "--summary",
        "json",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(alerts(&out).is_empty());
    let s = summary(&out);
    assert_eq!(s["evaluated"], 2);
    assert_eq!(s["alerts"], 0);
}

#[test]
fn table_format() {
    let path = fixture("imds_pair.ndjson");
    let out = run(&["--format", "table", "--quiet", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

/// The text summary, with the timing line (which varies) normalised.
#[test]
fn text_summary() {
    let path = fixture("imds_pair.ndjson");
    let out = run(&["--format", "ndjson", path.to_str().unwrap()]);
    let text = String::from_utf8(out.stderr).unwrap();
    let normalised: Vec<&str> = text
        .lines()
        .map(|l| if l.contains(" MB/s") { "  <timing>" } else { l })
        .collect();
    insta::assert_snapshot!(normalised.join("\n"));
}

/// Every kind of line that cannot be evaluated, each counted once, with its location.
#[test]
fn bad_lines_are_counted_by_reason_and_the_counts_add_up() {
    let good = fixture_lines("imds_pair.ndjson");
    let mut data: Vec<u8> = Vec::new();
    let mut push = |line: &[u8]| {
        data.extend_from_slice(line);
        data.push(b'\n');
    };
    push(format!("\u{feff}{}", good[0]).as_bytes()); // 1: BOM, evaluated
    push(b""); // 2: empty
    push(b"   \t"); // 3: blank = empty
    push(b"{\"@timestamp\": \"2024-06-10T06:15:23Z\", "); // 4: invalid JSON
    push(b"{\"@timestamp\":\"2024-06-10T06:15:23Z\",\"x\":\"\xff\xfe\"}"); // 5: invalid UTF-8
    push(b"[1,2,3]"); // 6: not an object
    push(b"{\"event\":{\"category\":[\"process\"]}}"); // 7: missing @timestamp
    push(b"{\"@timestamp\":\"yesterday\"}"); // 8: invalid @timestamp
    push(
        format!(
            "{{\"@timestamp\":\"2024-06-10T06:15:23Z\",\"pad\":\"{}\"}}",
            "x".repeat(20_000)
        )
        .as_bytes(),
    ); // 9: too long
    push(format!("{}\r", good[1]).as_bytes()); // 10: CRLF, evaluated
    push(b"\"just a string\""); // 11: not an object
    push(good[3].as_bytes()); // 12: evaluated, completes the sequence
    data.extend_from_slice(b"{\"@timestamp\":\"2024-06-10T06:15:25Z\"}"); // 13: no final newline, evaluated
    let path = tmp("bad_lines.ndjson");
    std::fs::write(&path, &data).unwrap();
    let p = path.to_str().unwrap();

    let out = run(&[
        "--format",
        "ndjson",
        "--summary",
        "json",
        "--validate",
        "--max-line-bytes",
        "16KiB",
        p,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out);
    assert_eq!(s["lines"], 13);
    assert_eq!(s["evaluated"], 4);
    let count = |reason: &str| s["skipped"][reason]["count"].as_u64().unwrap_or(0);
    let at = |reason: &str| s["skipped"][reason]["first"].clone();
    assert_eq!(count("empty"), 2);
    assert_eq!(count("invalid_json"), 1);
    assert_eq!(count("invalid_utf8"), 1);
    assert_eq!(count("not_an_object"), 2);
    assert_eq!(count("missing_timestamp"), 1);
    assert_eq!(count("invalid_timestamp"), 1);
    assert_eq!(count("line_too_long"), 1);
    assert_eq!(
        at("empty"),
        serde_json::json!([format!("{p}:2"), format!("{p}:3")])
    );
    assert_eq!(at("line_too_long"), serde_json::json!([format!("{p}:9")]));
    assert_eq!(
        at("not_an_object"),
        serde_json::json!([format!("{p}:6"), format!("{p}:11")])
    );
    // BOM and CRLF lines were evaluated, and the sequence across them completed.
    assert_eq!(alerts(&out).len(), 1);
    // The same file mapped and split by several threads, or read through read(2): the same
    // counts, locations and alert.
    for extra in [
        &["--threads", "3"][..],
        &["--threads", "2", "--no-mmap"][..],
    ] {
        let mut args = vec![
            "--format",
            "ndjson",
            "--summary",
            "json",
            "--validate",
            "--max-line-bytes",
            "16KiB",
        ];
        args.extend_from_slice(extra);
        args.push(p);
        let other = run(&args);
        assert_eq!(other.status.code(), Some(0), "{extra:?}");
        let o = summary(&other);
        for key in ["lines", "evaluated", "skipped", "bytes"] {
            assert_eq!(o[key], s[key], "{extra:?}: {key}");
        }
        assert_eq!(alerts(&other), alerts(&out), "{extra:?}");
    }

    // Without --validate, lines that cannot match are decided by the literal prefilter without
    // decoding: some garbage then counts as evaluated, but every line is still accounted for,
    // and the alert is the same.
    let fast = run(&[
        "--format",
        "ndjson",
        "--summary",
        "json",
        "--max-line-bytes",
        "16KiB",
        p,
    ]);
    assert_eq!(fast.status.code(), Some(0));
    let f = summary(&fast);
    assert_eq!(f["lines"], 13);
    assert!(f["prefiltered"].as_u64().unwrap() > 0, "{f}");
    assert_eq!(f["skipped"]["line_too_long"]["count"], 1);
    assert_eq!(alerts(&fast), alerts(&out));

    // --strict stops at the first bad line with exit code 3, naming it.
    let out = run(&["--format", "ndjson", "--strict", "--summary", "json", p]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{p}:2: empty")), "{err}");
    let s = summary(&out);
    assert_eq!(s["lines"], 2);
    assert_eq!(s["stopped"], "strict");
}

#[test]
fn at_most_five_locations_are_kept_per_reason() {
    let data = "nope\n".repeat(12);
    let out = run_stdin(&["--summary", "json", "--validate"], data.as_bytes());
    let s = summary(&out);
    assert_eq!(s["skipped"]["invalid_json"]["count"], 12);
    assert_eq!(
        s["skipped"]["invalid_json"]["first"],
        serde_json::json!([
            "<stdin>:1",
            "<stdin>:2",
            "<stdin>:3",
            "<stdin>:4",
            "<stdin>:5"
        ])
    );
}

#[test]
fn gzip_and_stdin_inputs_give_the_same_alerts() {
    let plain = std::fs::read(fixture("imds_pair.ndjson")).unwrap();
    let expected = alerts(&run(&[
        "--format",
        "ndjson",
        "-q",
        fixture("imds_pair.ndjson").to_str().unwrap(),
    ]));
    assert_eq!(expected.len(), 1);

    let gz = tmp("pair.ndjson.gz");
    std::fs::write(&gz, gzip(&plain)).unwrap();
    let out = run(&["--format", "ndjson", "-q", gz.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(alerts(&out), expected);

    // Gzip is recognised by content, on stdin too; `-` and no argument both read stdin.
    for args in [
        &["--format", "ndjson", "-q"][..],
        &["--format", "ndjson", "-q", "-"][..],
    ] {
        assert_eq!(alerts(&run_stdin(args, &plain)), expected);
        assert_eq!(alerts(&run_stdin(args, &gzip(&plain))), expected);
    }

    // Concatenated gzip members are one stream.
    let mut two = gzip(&plain[..plain.len() / 2]);
    two.extend(gzip(&plain[plain.len() / 2..]));
    assert_eq!(
        alerts(&run_stdin(&["--format", "ndjson", "-q"], &two)),
        expected
    );
}

#[test]
fn truncated_gzip_is_reported_and_what_was_read_is_kept() {
    // A pair first, then enough filler that the cut falls well after it.
    let pair = std::fs::read(fixture("imds_pair.ndjson")).unwrap();
    let mut data = pair.clone();
    let mut filler = String::new();
    for i in 0..3000 {
        filler.push_str(&format!(
            "{{\"@timestamp\":\"2024-06-10T06:16:{:02}.{:06}Z\",\"event\":{{\"category\":[\"file\"]}},\"n\":{i}}}\n",
            i % 60,
            i
        ));
    }
    data.extend_from_slice(filler.as_bytes());
    let gz = gzip(&data);
    let cut = tmp("cut.ndjson.gz");
    std::fs::write(&cut, &gz[..gz.len() * 3 / 4]).unwrap();
    let out = run(&[
        "--format",
        "ndjson",
        "--summary",
        "json",
        cut.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("truncated or corrupt gzip"), "{err}");
    assert_eq!(alerts(&out).len(), 1);
    let s = summary(&out);
    assert!(s["lines"].as_u64().unwrap() > 4);
    assert_eq!(s["input_errors"].as_array().unwrap().len(), 1);
}

#[test]
fn a_missing_file_is_named_and_the_others_are_still_read() {
    let missing = tmp("does-not-exist.ndjson");
    let _ = std::fs::remove_file(&missing);
    let out = run(&[
        "--format",
        "ndjson",
        "--summary",
        "json",
        missing.to_str().unwrap(),
        fixture("imds_pair.ndjson").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:", missing.display())), "{err}");
    assert_eq!(alerts(&out).len(), 1);
    assert_eq!(summary(&out)["lines"], 4);

    // A directory is not readable input either.
    let out = run(&["-q", fixture("").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["--format", "yaml"]).status.code(), Some(2));
    assert_eq!(run(&["--lateness", "soon"]).status.code(), Some(2));
    assert_eq!(
        run(&["--max-line-bytes", "12 parsecs"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["explain", "no-such-rule"]).status.code(), Some(2));
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(
        help.contains("Exit codes:") && help.contains("3  --strict"),
        "{help}"
    );
}

#[test]
fn rules_subcommand() {
    let out = run(&["rules", "--long", "--select", "file:rules/imds.eql"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
    // One line per rule by default: severity, shape, name, file.
    let short =
        String::from_utf8(run(&["rules", "--select", "file:rules/imds.eql"]).stdout).unwrap();
    assert_eq!(short.lines().count(), 1, "{short}");
    let fields: Vec<&str> = short.split_whitespace().collect();
    assert_eq!(fields[..2], ["medium", "sequence"], "{short}");
    assert!(
        short.contains(RULE_NAME) && short.trim_end().ends_with("rules/imds.eql"),
        "{short}"
    );
    // The bundled set: IMDS and Elastic's 327 Linux Elastic Defend rules.
    let all = String::from_utf8(run(&["rules"]).stdout).unwrap();
    assert_eq!(all.lines().count(), 328);
    let long = String::from_utf8(run(&["rules", "--long"]).stdout).unwrap();
    assert_eq!(long.matches("\n  rule_id ").count(), 328);
    let linux = run(&[
        "rules",
        "--select",
        "os:linux",
        "--select",
        "index:logs-endpoint.events*",
    ]);
    let linux = String::from_utf8(linux.stdout).unwrap();
    assert_eq!(linux.lines().count(), 328);
    let high = run(&["rules", "--select", "severity:high,severity:critical"]);
    let high = String::from_utf8(high.stdout).unwrap();
    assert!(high.lines().count() < 328);
    assert!(
        high.lines()
            .all(|l| l.starts_with("high ") || l.starts_with("critical ")),
        "{high}"
    );
    let bad = run(&["rules", "--select", "colour:red"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `rules` and `explain` take rule files, as a run does.
#[test]
fn rules_and_explain_take_rule_files() {
    let rule = tmp("own-rule.eql");
    std::fs::write(
        &rule,
        "/*\n[rule]\nname = \"Curl or wget\"\nrule_id = \"own-1\"\nseverity = \"high\"\nrisk_score = 73\n*/\nprocess where process.name == \"curl\" or process.name == \"wget\" and event.type == \"start\"\n",
    )
    .unwrap();
    let path = rule.to_str().unwrap();
    let listed = run(&["rules", "--no-builtin-rules", "--rule-file", path]);
    assert_eq!(listed.status.code(), Some(0));
    let text = String::from_utf8(listed.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("high ") && text.contains("Curl or wget"),
        "{text}"
    );
    let with_builtin = String::from_utf8(run(&["rules", "--rule-file", path]).stdout).unwrap();
    assert_eq!(with_builtin.lines().count(), 329);

    // With one rule file, explain needs no name; the precedence shows in the parentheses.
    let explained = run(&["explain", "--rule-file", path]);
    assert_eq!(explained.status.code(), Some(0));
    let text = String::from_utf8(explained.stdout.clone()).unwrap();
    assert!(text.starts_with("Curl or wget (own-1)"), "{text}");
    assert!(
        text.contains(
            r#"(process.name == "curl" or (process.name == "wget" and event.type == "start"))"#
        ),
        "{text}"
    );
    assert_eq!(
        run(&["explain", "own-1", "--rule-file", path]).stdout,
        explained.stdout
    );
    // A bad rule file is reported where it is wrong, and nothing is explained.
    let bad = tmp("own-bad.eql");
    std::fs::write(&bad, "process where process.name = \"curl\"\n").unwrap();
    let out = run(&["explain", "--rule-file", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("own-bad.eql:1:"));
}

/// An ambiguous part of a name lists what it matches.
#[test]
fn an_ambiguous_explain_lists_the_rules_it_matches() {
    let out = run(&["explain", "suid"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`suid` matches "), "{err}");
    assert!(
        err.contains("\n  Privilege Escalation via SUID/SGID  (rules/elastic/linux/"),
        "{err}"
    );
    assert!(err.lines().count() >= 3, "{err}");
}

#[test]
fn explain_subcommand() {
    let by_part = run(&["explain", "imds"]);
    assert_eq!(by_part.status.code(), Some(0));
    // The id alone is ambiguous: Elastic reused it for a later rule, bundled too.
    assert_eq!(run(&["explain", RULE_ID]).status.code(), Some(2));
    let by_name = run(&["explain", RULE_NAME]);
    assert_eq!(by_part.stdout, by_name.stdout);
    let text = String::from_utf8(by_part.stdout).unwrap();
    insta::assert_snapshot!(text);
}

/// A generated stream with many alerts, for the tests that need volume.
fn generated(events: u64, seed: u64, rate: u32) -> (PathBuf, Value) {
    let path = tmp(&format!("gen-{events}-{seed}-{rate}.ndjson.gz"));
    let truth = tmp(&format!("gen-{events}-{seed}-{rate}.truth.json"));
    let out = run(&[
        "gen",
        "--events",
        &events.to_string(),
        "--seed",
        &seed.to_string(),
        "--inject-per-million",
        &rate.to_string(),
        "-o",
        path.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(truth).unwrap()).unwrap();
    (path, truth)
}

#[test]
fn closed_stdout_ends_quietly_with_exit_0() {
    let (path, truth) = generated(20_000, 3, 20_000);
    assert!(truth["true_sequences"].as_u64().unwrap() > 100);
    let mut child = Command::new(BIN)
        .args([
            "--format",
            "ndjson",
            "--no-alert-cap",
            path.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(!err.to_lowercase().contains("broken pipe"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn generator_is_deterministic_and_every_injected_sequence_is_found() {
    let (a, truth) = generated(30_000, 11, 2000);
    let (b, _) = generated(30_000, 11, 2000);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(truth["events"], 30_000);
    let expected = truth["true_sequences"].as_u64().unwrap();
    assert!(expected >= 30, "{truth}");
    let out = run(&[
        "--format",
        "ndjson",
        "--no-alert-cap",
        "--summary",
        "json",
        a.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let s = summary(&out);
    assert_eq!(s["lines"], 30_000);
    assert_eq!(s["evaluated"], 30_000);
    assert_eq!(s["alerts"].as_u64().unwrap(), expected, "{truth}");
    for alert in alerts(&out) {
        let events = alert["events"].as_array().unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1]["destination"]["ip"], "169.254.169.254");
        assert_eq!(
            events[0]["process"]["parent"]["entity_id"],
            events[1]["process"]["parent"]["entity_id"]
        );
    }
}

#[test]
fn the_alert_cap_applies_by_default_and_is_reported() {
    let (path, truth) = generated(20_000, 5, 20_000);
    let expected = truth["true_sequences"].as_u64().unwrap();
    let out = run(&[
        "--format",
        "ndjson",
        "--summary",
        "json",
        path.to_str().unwrap(),
    ]);
    let s = summary(&out);
    let alerts_n = s["rules"][0]["alerts"].as_u64().unwrap();
    let suppressed = s["rules"][0]["suppressed"].as_u64().unwrap();
    // All of it falls in one or two 5-minute intervals: at most 100 alerts in each.
    assert!(alerts_n <= 200, "{s}");
    assert!(suppressed > 0, "{s}");
    assert_eq!(alerts_n + suppressed, expected);
    assert_eq!(alerts(&out).len() as u64, alerts_n);
}

/// A bare `eql-detect` runs the bundled sample and tags its alerts. (That the committed sample
/// is current, and that each of its alerts is an injected scenario, the IMDS sequences exactly,
/// is `tests/gen_truth.rs`'s.)
#[test]
fn a_bare_invocation_runs_the_bundled_sample_and_tags_its_alerts() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample.ndjson.gz");
    // A bare `eql-detect` with stdin /dev/null (as in CI) runs the bundled sample; the same
    // happens on a terminal. Its alerts say they come from sample data.
    let out = Command::new(BIN).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bundled sample"));
    let sample_alerts = alerts(&out);
    assert!(!sample_alerts.is_empty());
    for a in &sample_alerts {
        assert_eq!(a["tags"], serde_json::json!(["sample"]), "{a}");
    }
    assert!(sample_alerts
        .iter()
        .any(|a| a["kibana.alert.rule.name"] == RULE_NAME));
    // The same events given as a file are the user's data: the same alerts, untagged.
    let as_file = Command::new(BIN)
        .args([
            "--format",
            "ndjson",
            "--summary",
            "json",
            sample.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let s = summary(&as_file);
    assert_eq!(s["lines"], 2000);
    assert_eq!(s["evaluated"], 2000);
    let mut untagged = alerts(&as_file);
    assert!(untagged.iter().all(|a| a.get("tags").is_none()));
    for (a, b) in untagged.iter_mut().zip(&sample_alerts) {
        a["tags"] = b["tags"].clone();
    }
    assert_eq!(&untagged, &sample_alerts);
}

/// With no input named and nothing on standard input, only a bare invocation runs the sample:
/// anything else (a cron job, a glob that matched nothing) is a usage error with no output.
#[test]
fn no_input_is_a_usage_error_unless_bare() {
    for args in [
        &["-q"][..],
        &["--format", "ndjson"],
        &["--select", "os:linux"],
    ] {
        let out = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no input") && err.contains("`-`"), "{err}");
    }
    // `-` names standard input: /dev/null is then an empty input, not a mistake.
    let out = Command::new(BIN)
        .args(["-", "--summary", "json"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(summary(&out)["lines"], 0);
}

/// Field values come from untrusted documents: the table must not pass terminal escapes through.
#[test]
fn table_output_neutralises_control_characters() {
    let lines = fixture_lines("imds_pair.ndjson");
    let exec = lines[1]
        .replace("\"name\":\"curl\"", "\"name\":\"cu\\u001b[31mrl\"")
        .replace(
            "\"command_line\":\"curl -s",
            "\"command_line\":\"\\u001b]0;pwned\\u0007curl\\r\\n -s",
        );
    assert_ne!(exec, lines[1]);
    let input = format!("{exec}\n{}\n", lines[3]);
    let out = run_stdin(&["--format", "table", "-q"], input.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\r'),
        "{text:?}"
    );
    assert!(text.contains("cu\\u{1b}[31mrl"), "{text}");
    assert!(
        text.contains("\\u{1b}]0;pwned\\u{7}curl\\u{d}\\u{a} -s"),
        "{text}"
    );
}

/// SIGTERM stops after the current line; the summary is still printed and the exit is clean.
#[test]
fn sigterm_finishes_the_summary() {
    let lines = fixture_lines("imds_pair.ndjson");
    let mut child = Command::new(BIN)
        .args(["--format", "ndjson", "--summary", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}\n{}", lines[0], lines[1]).unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(std::time::Duration::from_millis(200));
    // The reader is blocked on the pipe; the next line wakes it, and the flag stops the run.
    writeln!(stdin, "{}", lines[2]).unwrap();
    stdin.flush().unwrap();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out);
    assert_eq!(s["stopped"], "interrupted");
    assert_eq!(s["lines"], 3);
}

#[test]
fn a_failing_output_is_an_error_and_stats_json_is_written() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        // Not every system has /dev/full; the rest of the test needs it.
        return;
    };
    let stats = tmp("full.stats.json");
    let _ = std::fs::remove_file(&stats);
    let out = Command::new(BIN)
        .args([
            "--format",
            "ndjson",
            "--stats-json",
            stats.to_str().unwrap(),
            fixture("imds_pair.ndjson").to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("writing alerts"), "{err}");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(s["stopped"], "output_failed");
    assert_eq!(s["lines"], 4);
}

/// Hostile input is normal input: seeded garbage (JSON fragments, deep nesting, escapes, invalid
/// UTF-8, huge numbers, odd timestamps) never crashes the detector, and every line is counted.
#[test]
fn garbage_never_crashes_and_every_line_is_counted() {
    let pieces: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b"\\",
        b"\\u0000",
        b"\\ud800",
        b":",
        b",",
        b"\"@timestamp\"",
        b"\"2024-06-10T06:15:23.1234567Z\"",
        b"\"9999-99-99T99:99:99Z\"",
        b"1e999999",
        b"-0",
        b"null",
        b"\"process\":{\"name\":\"curl\"",
        b"\"destination.ip\":\"169.254.169.254\"",
        b"\xff",
        b"\xc3",
        b"\xe2\x82",
        b"\r",
        b"\t",
        b"\xef\xbb\xbf",
        b"\"event\":{\"category\":[\"process\",\"network\"]}",
        b"169.254.169.254",
    ];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut data = Vec::new();
    let lines = 3000;
    for i in 0..lines {
        let n = next() % 40;
        if i % 97 == 0 {
            // Deep nesting.
            data.extend(std::iter::repeat_n(b'[', 5000));
        }
        for _ in 0..n {
            data.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
        }
        data.push(b'\n');
    }
    for extra in [&["--validate"][..], &[][..]] {
        let mut args = vec!["--format", "ndjson", "--summary", "json"];
        args.extend_from_slice(extra);
        let out = run_stdin(&args, &data);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        let s = summary(&out);
        assert_eq!(s["lines"], lines);
    }
}

/// `--lateness` bounds the reorder buffer: within it, out-of-order input is joined in timestamp
/// order; beyond it, the late event is counted and not joined.
#[test]
fn lateness_reorders_within_the_bound_and_counts_the_rest() {
    let lines = fixture_lines("imds_pair.ndjson");
    // The connection (06:15:23.139) arrives before the exec (06:15:23.123).
    let input = format!("{}\n{}\n", lines[3], lines[1]);
    let out = run_stdin(
        &["--format", "ndjson", "--summary", "json"],
        input.as_bytes(),
    );
    assert_eq!(alerts(&out).len(), 1);
    assert_eq!(summary(&out)["late_events"], 0);

    let out = run_stdin(
        &[
            "--format",
            "ndjson",
            "--summary",
            "json",
            "--lateness",
            "0s",
        ],
        input.as_bytes(),
    );
    assert!(alerts(&out).is_empty());
    assert_eq!(summary(&out)["late_events"], 1);
}

/// `--max-state-bytes` reaches the sequence engine: a tiny budget evicts, and says so.
#[test]
fn a_tiny_state_budget_evicts_and_reports_it() {
    let (path, _) = generated(20_000, 9, 2000);
    let out = run(&[
        "--format",
        "ndjson",
        "--summary",
        "json",
        "--max-state-bytes",
        "1KiB",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let s = summary(&out);
    assert!(s["rules"][0]["evicted_keys"].as_u64().unwrap() > 0, "{s}");
}

#[test]
fn threads_and_the_rule_file_loaded_at_run_time_give_the_same_alerts() {
    let (path, truth) = generated(20_000, 5, 2000);
    let file = path.to_str().unwrap();
    let base = ["--format", "ndjson", "--no-alert-cap", "--quiet"];
    let outputs: Vec<Vec<u8>> = [
        &["--threads", "1"][..],
        &["--threads", "2"][..],
        &["--threads", "2", "--validate"][..],
        &["--threads", "3", "--no-mmap"][..],
        &["--no-builtin-rules", "--rule-file", "rules/imds.eql"][..],
    ]
    .iter()
    .map(|extra| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        args.push(file);
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    })
    .collect();
    let n = outputs[0].iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(n, truth["true_sequences"].as_u64().unwrap());
    for (i, o) in outputs.iter().enumerate().skip(1) {
        assert!(
            o == &outputs[0],
            "run {i} differs from the one-thread compiled run"
        );
    }
}

#[test]
fn a_bad_rule_file_is_reported_with_its_location() {
    let bad = tmp("bad-rule.eql");
    std::fs::write(&bad, "process where process.name = \"curl\"\n").unwrap();
    let out = run(&["--rule-file", bad.to_str().unwrap(), "--quiet"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad-rule.eql:1:"), "{err}");
    assert!(err.contains("=="), "{err}");
}

/// Files are joined in timestamp order whatever their order on disk (as Elasticsearch sorts a
/// search), within the reorder buffer's memory budget; standard input keeps the 5 s bound.
#[test]
fn an_unsorted_file_is_joined_in_timestamp_order() {
    let doc = |ts: &str, cat: &str, host: &str, parent: &str| {
        let (event, extra) = if cat == "process" {
            (
                r#"{"category":["process"],"type":["start"],"action":"exec"}"#,
                r#""process":{"name":"curl","parent":{"entity_id":"PARENT"}}"#,
            )
        } else {
            (
                r#"{"category":["network"],"action":"connection_attempted"}"#,
                r#""destination":{"ip":"169.254.169.254"},"process":{"parent":{"entity_id":"PARENT"}}"#,
            )
        };
        format!(
            r#"{{"@timestamp":"{ts}","event":{event},"host":{{"id":"{host}","os":{{"type":"linux"}}}},{}}}"#,
            extra.replace("PARENT", parent)
        )
    };
    let lines = [
        doc("2024-10-18T12:00:00Z", "network", "h7", "x"),
        doc("2024-10-18T12:01:00Z", "network", "h7", "x"),
        // Ten minutes of other traffic later, the pair from 11:59:59 arrives.
        doc("2024-10-18T11:59:59Z", "process", "h1", "p1"),
        doc("2024-10-18T11:59:59.500Z", "network", "h1", "p1"),
    ];
    let input = lines.join("\n") + "\n";
    let path = tmp("unsorted.ndjson");
    std::fs::write(&path, &input).unwrap();
    let args = ["--format", "ndjson", "--summary", "json"];

    let mut file_args = args.to_vec();
    file_args.push(path.to_str().unwrap());
    let out = run(&file_args);
    assert_eq!(
        alerts(&out).len(),
        1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(summary(&out)["late_events"], 0);

    let out = run_stdin(&args, input.as_bytes());
    assert!(alerts(&out).is_empty());
    assert_eq!(summary(&out)["late_events"], 2);
}

/// A missing-event rule on standard input (a finite lateness) answers when the input ends: the
/// host with the forbidden middle event gets no alert, the other one does, with its keys.
#[test]
fn missing_event_rules_answer_at_the_end_of_a_stream() {
    let rule = tmp("missing.eql");
    std::fs::write(
        &rule,
        "sequence by host.id with maxspan=10s\n  [process where true]\n  ![file where true]\n  [network where true]\n",
    )
    .unwrap();
    let ev = |h: &str, cat: &str, s: u32| {
        format!(
            r#"{{"@timestamp":"2024-01-01T00:00:0{s}Z","event":{{"category":"{cat}"}},"host":{{"id":"{h}"}}}}"#
        )
    };
    let input = [
        ev("h1", "process", 0),
        ev("h2", "process", 0),
        ev("h2", "file", 1),
        ev("h1", "network", 2),
        ev("h2", "network", 2),
    ]
    .join("\n");
    let out = run_stdin(
        &[
            "--no-builtin-rules",
            "--rule-file",
            rule.to_str().unwrap(),
            "-q",
            "--format",
            "ndjson",
            "-",
        ],
        input.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["eql.join_key_values"], serde_json::json!(["h1"]));
    assert_eq!(alerts[0]["events"].as_array().unwrap().len(), 2);
}

/// Matching events a whole-input rule cannot keep within the state budget are counted, and the
/// summary says the answer may be incomplete.
#[test]
fn a_full_batch_budget_is_reported() {
    let rule = tmp("sample.eql");
    std::fs::write(
        &rule,
        "sample by host.id [process where true] [network where true]\n",
    )
    .unwrap();
    let mut input = String::new();
    for i in 0..2000 {
        input.push_str(&format!(
            r#"{{"@timestamp":{i},"event":{{"category":"process"}},"host":{{"id":"h{i}"}},"pad":"{}"}}"#,
            "x".repeat(200)
        ));
        input.push('\n');
    }
    let stats = tmp("sample.stats.json");
    let out = run_stdin(
        &[
            "--no-builtin-rules",
            "--rule-file",
            rule.to_str().unwrap(),
            "--max-state-bytes",
            "64KiB",
            "--stats-json",
            stats.to_str().unwrap(),
            "--format",
            "ndjson",
            "-",
        ],
        input.as_bytes(),
    );
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the answer may be incomplete"), "{err}");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    let dropped = s["rules"][0]["batch_dropped"].as_u64().unwrap();
    assert!(dropped > 1000, "{dropped}");
    assert_eq!(s["lines"], 2000);
}

/// `--timestamp-field` and `--event-category-field` set what Elasticsearch's search request
/// would (`timestamp_field`, `event_category_field`) for data that is not ECS: the file lists
/// the stop before the start, and the timestamps put them back in order.
#[test]
fn timestamp_and_category_fields_can_be_set() {
    let rule = tmp("custom_fields.eql");
    std::fs::write(
        &rule,
        "// [rule]\n// unknown_fields = \"allow\"\nsequence by h [start where true] [stop where true]\n",
    )
    .unwrap();
    let data = tmp("custom_fields.ndjson");
    std::fs::write(
        &data,
        "{\"ts\":\"2024-01-01T00:00:02Z\",\"kind\":\"stop\",\"h\":\"a\"}\n\
         {\"ts\":\"2024-01-01T00:00:01Z\",\"kind\":\"start\",\"h\":\"a\"}\n",
    )
    .unwrap();
    let base = [
        "--no-builtin-rules",
        "--rule-file",
        rule.to_str().unwrap(),
        "-q",
        "--format",
        "ndjson",
    ];
    let with = [
        &base[..],
        &[
            "--timestamp-field",
            "ts",
            "--event-category-field",
            "kind",
            data.to_str().unwrap(),
        ],
    ]
    .concat();
    let out = run(&with);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    // Without them every line lacks `@timestamp` and is skipped.
    let without = [&base[..], &[data.to_str().unwrap()]].concat();
    let out = run(&without);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 0);
}

/// `--profile` over the bundled sample with every bundled rule: the evaluation, match and
/// alert counts per rule are exact (the prefilter and the category dispatch decide which
/// rules see which lines); times vary from run to run and are masked.
#[test]
fn profile_report() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample.ndjson.gz");
    let out = run(&[
        "--select=file:rules/*",
        "--profile",
        "--profile-sort=name",
        "--quiet",
        "--threads=2",
        "--format=ndjson",
        sample.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stderr).unwrap();
    let masked: Vec<String> = text
        .lines()
        .map(|l| {
            // Rule rows: name, evals, matches and alerts stay; time, ns/eval and share go.
            let chars: Vec<char> = l.chars().collect();
            if l.ends_with('%') && chars.len() > 92 {
                format!("{} …", chars[..91].iter().collect::<String>().trim_end())
            } else if l.ends_with('%') {
                // The shared costs: what and how many stay.
                format!(
                    "{} …",
                    chars[..29.min(chars.len())].iter().collect::<String>()
                )
            } else {
                l.to_owned()
            }
        })
        .collect();
    let masked = masked.join("\n");
    assert!(masked.contains("328 rules"), "{masked}");
    // IMDS finds the 6 injected sequences here as when it runs alone.
    assert!(
        masked.lines().any(|l| l
            .starts_with("  Unusual Instance Metadata Service (IMDS) API Request")
            && l.split_whitespace().rev().nth(1) == Some("6")),
        "{masked}"
    );
    insta::assert_snapshot!(masked);
}

/// A rule file with a name and id, in the `.eql` comment header.
fn rule_text(name: &str, id: &str, query: &str) -> String {
    format!("/*\n[rule]\nname = \"{name}\"\nrule_id = \"{id}\"\nseverity = \"low\"\nrisk_score = 21\n*/\n{query}\n")
}

/// A process event of host `h1`, `ms` milliseconds after 2024-10-18T12:00:00Z.
fn exec_line(name: &str, ms: u64) -> String {
    format!(
        "{{\"@timestamp\":\"2024-10-18T12:00:{:02}.{:03}Z\",\"event\":{{\"category\":[\"process\"]}},\"host\":{{\"id\":\"h1\"}},\"process\":{{\"name\":\"{name}\"}}}}\n",
        ms / 1000,
        ms % 1000
    )
}

/// A stream reloads its `--rule-dir` when a file changes and on SIGHUP: a changed rule runs
/// its new version, an unchanged sequence keeps its pending state across reloads, and a broken
/// edit is reported with its location while the previous version keeps running.
#[test]
fn a_stream_reloads_its_rule_dir() {
    let dir = tmp("reload-rules");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let single = dir.join("single.eql");
    let write_single = |name: &str| {
        let q = format!("process where process.name == \"{name}\"");
        std::fs::write(&single, rule_text("Single", "single", &q)).unwrap();
    };
    write_single("a");
    std::fs::write(
        dir.join("pair.eql"),
        rule_text(
            "Pair",
            "pair",
            "sequence by host.id\n  [process where process.name == \"s1\"]\n  [process where process.name == \"s2\"]",
        ),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args([
            "--no-builtin-rules",
            "--rule-dir",
            dir.to_str().unwrap(),
            "--format",
            "ndjson",
            "--lateness",
            "0s",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut send = |line: String| {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
    };
    // The watcher polls once a second; a file's modification time may have a coarse grain.
    let settle = || std::thread::sleep(std::time::Duration::from_millis(2500));
    send(exec_line("a", 0)); // Single v1 alerts
    send(exec_line("s1", 1)); // Pair: first stage, pending
    settle();
    write_single("b");
    settle();
    send(exec_line("a", 2)); // Single v2 does not match `a`
    send(exec_line("b", 3)); // … but `b`
    send(exec_line("s2", 4)); // Pair completes: its pending sequence survived the reload
                              // The reload happens when the next line arrives: let those lines be read first.
    std::thread::sleep(std::time::Duration::from_millis(500));
    std::fs::write(
        &single,
        "/*\n[rule]\nname = \"Single\"\n*/\nprocess where process.name = \"c\"\n",
    )
    .unwrap();
    settle();
    let pid = child.id().to_string();
    let hup = Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    assert!(hup.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    send(exec_line("b", 5)); // the broken edit did not take: v2 still runs
    send(exec_line("c", 6));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let names: Vec<String> = stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["kibana.alert.rule.name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(names, ["Single", "Single", "Pair", "Single"], "{stderr}");
    assert!(
        stderr.contains("rules reloaded: 1 unchanged, 1 changed (Single)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("reload failed; the previous rules keep running"),
        "{stderr}"
    );
    assert!(
        stderr.contains("single.eql:5:"),
        "the error points into the file: {stderr}"
    );
    assert!(
        stderr.contains("rule reload"),
        "the summary counts reloads: {stderr}"
    );
}
