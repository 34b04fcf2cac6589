//! Rule authoring mistakes are caught when `eql-detect --rule-file F` loads a rule, as
//! `eql_rule!` catches them at compile time (tests/ui): unknown fields (with a did-you-mean),
//! unknown metadata keys, bad values, metadata without `[rule]`, TOML errors. Each is reported
//! once, at `F:line:col`, and the run exits 2 before reading any input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_eql-detect");

fn dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rule_authoring");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(name: &str, text: &str) -> PathBuf {
    let path = dir().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs the rule file alone over one event on standard input.
fn run(rule: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--no-builtin-rules".to_owned(),
        "--rule-file".to_owned(),
        rule.to_str().unwrap().to_owned(),
        "-q".to_owned(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let event = dir().join("event.ndjson");
    std::fs::write(
        &event,
        "{\"@timestamp\":\"2024-01-01T00:00:00Z\",\"event\":{\"category\":\"process\"},\"process\":{\"name\":\"curl\"}}\n",
    )
    .unwrap();
    args.push(event.to_str().unwrap().to_owned());
    Command::new(BIN)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The run fails with exit 2, and its error names `file:line:col` and says `what`.
fn rejected(rule: &Path, extra: &[&str], line_col: &str, what: &[&str]) -> String {
    let out = run(rule, extra);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "nothing is run");
    let at = format!("{}:{line_col}", rule.display());
    assert!(err.contains(&at), "want {at} in:\n{err}");
    for w in what {
        assert!(err.contains(w), "want {w:?} in:\n{err}");
    }
    err
}

fn accepted(rule: &Path, extra: &[&str]) {
    let out = run(rule, extra);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unknown_field_is_an_error_with_a_did_you_mean() {
    let rule = write(
        "unknown_field.eql",
        "/*\n[rule]\nname = \"Curl\"\n*/\nprocess where process.nmae == \"curl\"\n",
    );
    let err = rejected(
        &rule,
        &[],
        "5:15",
        &[
            "unknown field `process.nmae`",
            "Unknown column [process.nmae]",
            "did you mean `process.name`?",
        ],
    );
    assert_eq!(
        err.matches("unknown field").count(),
        1,
        "reported once:\n{err}"
    );
}

#[test]
fn every_field_of_the_query_is_checked_but_optional_ones() {
    let rule = write(
        "join_keys.eql",
        "sequence by host.id with maxspan=1m\n  [process where ?process.custom == null] by proces.pid\n  [network where startsWith(destination.adress, \"10.\")] by process.pid\n",
    );
    let err = rejected(
        &rule,
        &[],
        "2:46",
        &[
            "did you mean `process.pid`?",
            "unknown field `destination.adress`",
        ],
    );
    assert!(err.contains("3:29"), "{err}");
    assert_eq!(
        err.matches("unknown field").count(),
        2,
        "`?process.custom` is allowed: {err}"
    );
}

#[test]
fn metadata_fields_are_checked() {
    let rule = write(
        "tiebreaker.eql",
        "// [rule]\n// tiebreaker_field = \"event.sequnce\"\nprocess where true\n",
    );
    rejected(&rule, &[], "2:23", &["did you mean `event.sequence`?"]);
}

#[test]
fn the_mapping_decides_which_fields_are_in_force() {
    let mapping = write(
        "custom.mapping.json",
        r#"{"properties": {"@timestamp": {"type": "date"}, "kind": {"type": "keyword"},
            "proc": {"properties": {"name": {"type": "keyword", "fields": {"text": {"type": "text"}}}}}}}"#,
    );
    let m = mapping.to_str().unwrap();
    let rule = write(
        "custom.eql",
        "process where proc.name == \"curl\" and proc.name.text == \"curl\"\n",
    );
    let ecs = rejected(&rule, &[], "1:15", &["unknown field `proc.name`"]);
    assert!(ecs.contains("ECS and Elastic Defend"), "{ecs}");
    // `--mapping` has them, but not `event.category`: `--event-category-field` names its own.
    rejected(
        &rule,
        &["--mapping", m],
        "1:1",
        &["`event_category_override` `event.category`"],
    );
    accepted(&rule, &["--mapping", m, "--event-category-field", "kind"]);
    // ECS fields are not in force under that mapping.
    let ecs_rule = write(
        "ecs_under_mapping.eql",
        "any where process.name == \"curl\"\n",
    );
    rejected(
        &ecs_rule,
        &["--mapping", m],
        "1:11",
        &["unknown field `process.name`", "index mapping"],
    );
    // The rule's own mapping, relative to the rule file.
    let own = write(
        "own_mapping.eql",
        "// [rule]\n// mapping = \"custom.mapping.json\"\n// event_category_override = \"kind\"\nprocess where proc.name == \"curl\"\n",
    );
    accepted(&own, &[]);
    let own_bad = write(
        "own_mapping_bad.eql",
        "// [rule]\n// mapping = \"custom.mapping.json\"\n// event_category_override = \"kind\"\nprocess where proc.nmae == \"curl\"\n",
    );
    rejected(&own_bad, &[], "4:15", &["did you mean `proc.name`?"]);
    let missing = write(
        "own_mapping_missing.eql",
        "// [rule]\n// mapping = \"no-such.json\"\nprocess where true\n",
    );
    rejected(&missing, &[], "2:14", &["mapping: cannot read"]);
}

#[test]
fn rules_for_other_data_opt_out() {
    let rule = write(
        "opt_out.eql",
        "/*\n[rule]\n# winlogbeat data\nunknown_fields = \"allow\"\n*/\nprocess where winlog.event_data.TargetUserName == \"x\"\n",
    );
    accepted(&rule, &[]);
}

#[test]
fn metadata_keys_and_values_are_validated() {
    let key = write(
        "unknown_key.toml",
        "[rule]\nname = \"x\"\nriskscore = 99\nquery = '''\nprocess where true\n'''\n",
    );
    rejected(
        &key,
        &[],
        "3:1",
        &[
            "unknown rule metadata key `riskscore` in `[rule]`",
            "did you mean `risk_score`?",
        ],
    );
    let threat = write(
        "threat_key.toml",
        "[rule]\nname = \"x\"\nquery = \"process where true\"\n\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\ntechniques = []\n",
    );
    rejected(
        &threat,
        &[],
        "7:1",
        &[
            "`techniques` in `[rule.threat]`",
            "did you mean `technique`?",
        ],
    );
    let severity = write(
        "severity.eql",
        "// [rule]\n// severity = \"hgih\"\nprocess where true\n",
    );
    rejected(&severity, &[], "2:15", &["did you mean `high`?"]);
    let risk = write(
        "risk.eql",
        "// [rule]\n// risk_score = 470\nprocess where true\n",
    );
    rejected(&risk, &[], "2:17", &["risk_score 470 is out of range"]);
}

#[test]
fn metadata_without_a_rule_table_is_an_error_but_prose_is_a_comment() {
    let rule = write(
        "no_rule_table.eql",
        "/*\nname = \"Curl\"\nseverity = \"high\"\n*/\nprocess where true\n",
    );
    rejected(
        &rule,
        &[],
        "1:1",
        &[
            "rule metadata without a `[rule]` table",
            "`name`, `severity` belong in `[rule]`",
        ],
    );
    let prose = write(
        "prose.eql",
        "// Curl started: a note, not metadata.\nprocess where process.name == \"curl\"\n",
    );
    accepted(&prose, &[]);
}

#[test]
fn a_toml_error_has_a_location_and_is_said_once() {
    let rule = write(
        "toml_error.eql",
        "/*\n[rule\nname = \"Curl\"\n*/\nprocess where true\n",
    );
    let err = rejected(
        &rule,
        &[],
        "2:6",
        &["invalid rule metadata: invalid table header"],
    );
    assert_eq!(err.matches("expected").count(), 1, "{err}");
}
