//! The `eql_rule!` expansion type-checks against the runtime and evaluates real events.
//!
//! Uses `eql_rule!` directly; `eql_runtime` re-exports it as `eql_runtime::eql_rule!`.

use eql_macro::eql_rule;
use eql_runtime::event::{lookup_in, Doc, Lookup};
use eql_runtime::rule::{Rule, Shape, UNTIL_BIT};

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/ecs-samples/constructed"
);

eql_rule!(pub struct Imds = "../rules/imds.eql");

/// A sample document as one NDJSON line, after `edit`.
fn line(file: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let text = std::fs::read_to_string(format!("{SAMPLES}/{file}")).expect("sample event");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    edit(&mut v);
    v.to_string()
}

fn eval(rule: &dyn Rule, line: &str) -> u64 {
    let mut doc = Doc::new();
    let ev = doc
        .parse(rule.schema(), line.as_bytes())
        .expect("valid line");
    rule.eval(&ev)
}

const EXEC: &str = "linux_process_exec_curl_imds.json";
const CONNECT: &str = "linux_network_connection_attempted_imds.json";

#[test]
fn imds_stages_match_the_constructed_pair() {
    let rule = eql_rule!("../rules/imds.eql");
    assert_eq!(eval(&rule, &line(EXEC, |_| {})), 0b01);
    assert_eq!(eval(&rule, &line(CONNECT, |_| {})), 0b10);
    assert_eq!(eval(&Imds, &line(CONNECT, |_| {})), 0b10, "item form");
    assert_eq!(rule.meta().rule_id, "ecc0cd54-608e-11ef-ab6d-f661ea17fbce");
    assert_eq!(rule.meta().source, "../rules/imds.eql");
    assert!(rule.meta().plan.contains("PROCESS_NAME_EXACT_1"));
    match rule.shape() {
        Shape::Sequence(s) => {
            assert_eq!(s.maxspan_nanos, Some(1_000_000_000));
            assert_eq!(s.stages.len(), 2);
            assert_eq!(s.stages[0].keys.len(), 2);
            assert!(s.until.is_none());
        }
        Shape::Event => panic!("IMDS is a sequence"),
    }
}

#[test]
fn imds_semantics_on_edited_events() {
    let rule = Imds;
    // An IPv4-mapped IPv6 address is the same address in an `ip` field.
    let mapped = line(CONNECT, |v| {
        v["destination"]["ip"] = "::ffff:169.254.169.254".into();
    });
    assert_eq!(eval(&rule, &mapped), 0b10);
    let other = line(CONNECT, |v| {
        v["destination"]["ip"] = "169.254.169.253".into()
    });
    assert_eq!(eval(&rule, &other), 0);
    // `:` is case-insensitive; `==` (event.action) is not.
    let upper = line(EXEC, |v| v["process"]["name"] = "CURL".into());
    assert_eq!(eval(&rule, &upper) & 1, 1);
    // Branch 3 (command line mentions the IP) needs no linux/start/exec (v2 precedence) ...
    let end = line(EXEC, |v| {
        v["event"]["type"] = serde_json::json!(["end"]);
        v["event"]["action"] = "end".into();
        v["process"]["name"] = "x".into();
        v["process"]["executable"] = "/usr/bin/x".into();
        v["process"]["command_line"] = "x http://169.254.169.254/".into();
    });
    assert_eq!(eval(&rule, &end), 0b01);
    // ... but the category test applies to every branch.
    let file = line(EXEC, |v| {
        v["event"]["category"] = serde_json::json!(["file"])
    });
    assert_eq!(eval(&rule, &file), 0);
    // The exclusions apply to branch 3 only, and `not` is true on a missing field.
    let excluded = line(EXEC, |v| {
        v["process"]["name"] = "x".into();
        v["process"]["executable"] = "/usr/bin/x".into();
        v["process"]["command_line"] = "x 169.254.169.254".into();
        v["process"]["working_directory"] = "/opt/Rapid7/bin".into();
    });
    assert_eq!(eval(&rule, &excluded), 0);
}

#[test]
fn generated_lookup_agrees_with_the_reference() {
    let schema = Imds.schema();
    let mut paths: Vec<String> = schema.fields.iter().map(|f| (*f).to_owned()).collect();
    paths.extend(
        [
            "process",
            "process.parent",
            "host.os",
            "x",
            "process.name.x",
            "",
        ]
        .map(String::from),
    );
    for p in &paths {
        assert_eq!(
            (schema.lookup)(p.as_bytes()),
            lookup_in(schema.fields, p.as_bytes()),
            "{p}"
        );
    }
    assert_eq!((schema.lookup)(b"process"), Lookup::Prefix);
    assert_eq!(schema.fields[usize::from(schema.timestamp)], "@timestamp");
}

mod shapes {
    use super::*;

    eql_rule!(pub struct Seq = "tests/rules/seq_runs_until.eql");
    eql_rule!(pub struct Kinds = "tests/rules/kinds.eql");

    #[test]
    fn runs_and_until_bits() {
        let auth = r#"{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":"authentication","outcome":"failure"},"host":{"id":"h"},"user":{"name":"u"}}"#;
        assert_eq!(eval(&Seq, auth), 0b111);
        let logoff = r#"{"event":{"category":["process"],"action":"logoff"},"host":{"id":"h"},"user":{"name":"u"}}"#;
        assert_eq!(eval(&Seq, logoff), 0b1000 | UNTIL_BIT);
    }

    #[test]
    fn numbers_ips_nulls_functions() {
        let ev = r#"{"event":{"category":"network"},"process":{"pid":"5","name":"Python3","args":["a","bcdef"]},"destination":{"port":8080,"ip":"10.1.2.3"}}"#;
        assert_eq!(eval(&Kinds, ev), 1);
        let float_pid = ev.replace("\"5\"", "5.0");
        assert_eq!(eval(&Kinds, &float_pid), 1, "5.0 == 5 on a numeric field");
        let low_port = ev.replace("8080", "80");
        assert_eq!(eval(&Kinds, &low_port), 0);
        let outside = ev.replace("10.1.2.3", "11.0.0.1");
        assert_eq!(eval(&Kinds, &outside), 0);
        let with_parent = ev.replace("\"pid\"", "\"parent\":{\"pid\":1},\"pid\"");
        assert_eq!(eval(&Kinds, &with_parent), 0, "process.parent.pid == null");
        let short_args = ev.replace("\"bcdef\"", "\"b\"");
        assert_eq!(
            eval(&Kinds, &short_args),
            0,
            "length(process.args) > 3 on no element"
        );
    }
}
