//! Single-event semantics (eql-semantics.md §1) and load-time rejections.

use eql_interp::Interpreted;
use serde_json::{json, Value};

fn hit(query: &str, doc: Value) -> bool {
    let rule = Interpreted::from_query(query).unwrap_or_else(|e| panic!("{e}"));
    rule.eval(&doc) & 1 != 0
}

fn proc(extra: Value) -> Value {
    let mut d = json!({"event": {"category": ["process"]}});
    if let (Some(m), Some(e)) = (d.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    d
}

#[test]
fn not_and_ne_on_missing_fields_are_true_but_scripts_are_null() {
    let d = proc(json!({"a": "x"}));
    assert!(hit(r#"process where not b : "y""#, d.clone()));
    assert!(hit(r#"process where b != "y""#, d.clone()));
    assert!(!hit(r#"process where b == "y""#, d.clone()));
    assert!(hit("process where b == null", d.clone()));
    assert!(!hit("process where a == null", d.clone()));
    assert!(hit("process where a != null", d.clone()));
    // A function over a missing field is null, and `not null` does not match.
    assert!(!hit(r#"process where not startsWith(b, "y")"#, d.clone()));
    assert!(!hit("process where length(b) > 0", d.clone()));
    assert!(hit("process where length(a) == 1", d));
}

#[test]
fn arrays_are_any_element_and_not_is_none_element() {
    let d = proc(json!({"t": ["start", "info"]}));
    assert!(hit(r#"process where t == "info""#, d.clone()));
    assert!(!hit(r#"process where t != "info""#, d.clone()));
    assert!(hit(r#"process where t in ("x", "start")"#, d.clone()));
    assert!(!hit(r#"process where t not in ("x", "start")"#, d.clone()));
    // A script leaf is evaluated per value: `not startsWith` holds for "info".
    assert!(hit(r#"process where not startsWith(t, "st")"#, d));
}

#[test]
fn case_rules_per_operator() {
    let d = proc(json!({"n": "CuRL"}));
    assert!(!hit(r#"process where n == "curl""#, d.clone()));
    assert!(hit(r#"process where n : "curl""#, d.clone()));
    assert!(hit(r#"process where n like~ "c?rl""#, d.clone()));
    assert!(!hit(r#"process where n like "c*""#, d.clone()));
    assert!(!hit(r#"process where n in ("curl")"#, d.clone()));
    assert!(hit(r#"process where n in~ ("curl")"#, d.clone()));
    assert!(
        !hit(r#"process where n in~ ("c*")"#, d.clone()),
        "in~ is verbatim"
    );
    assert!(hit(r#"process where n regex~ "cu.l""#, d.clone()));
    assert!(!hit(r#"process where n regex "cu.l""#, d.clone()));
    assert!(hit(r#"process where startsWith~(n, "cu")"#, d.clone()));
    assert!(!hit(r#"process where startsWith(n, "cu")"#, d));
}

#[test]
fn typed_comparisons() {
    let d = proc(json!({"process": {"pid": "80"}, "source": {"ip": "::ffff:10.1.2.3"}, "s": "9"}));
    assert!(hit("process where process.pid == 80", d.clone()));
    assert!(
        hit("process where process.pid > 9", d.clone()),
        "numeric field: 80 > 9"
    );
    assert!(
        hit(r#"process where s > "10""#, d.clone()),
        "keyword: byte order"
    );
    assert!(hit(r#"process where source.ip == "10.1.2.3""#, d.clone()));
    assert!(hit(r#"process where source.ip == "10.0.0.0/8""#, d.clone()));
    assert!(hit(
        r#"process where cidrMatch(source.ip, "10.1.0.0/16")"#,
        d
    ));
}

#[test]
fn functions() {
    // A numeric ECS field: other fields are keywords, as in Elastic Defend's mapping.
    let d = proc(json!({"p": "C:\\Windows\\System32\\cmd.exe", "process": {"pid": 7}}));
    assert!(hit(
        r#"process where between(p, "\\", "\\") == "Windows""#,
        d.clone()
    ));
    assert!(hit(
        r#"process where between(p, "\\", "\\", true) == "Windows\\System32""#,
        d.clone()
    ));
    assert!(hit(
        r#"process where substring(p, -7) == "cmd.exe""#,
        d.clone()
    ));
    assert!(hit(r#"process where indexOf(p, "cmd") == 20"#, d.clone()));
    assert!(hit(
        r#"process where concat("a", process.pid) == "a7""#,
        d.clone()
    ));
    assert!(!hit(
        r#"process where concat("a", missing) == "a""#,
        d.clone()
    ));
    assert!(hit(
        "process where process.pid / 2 == 3 and divide(process.pid, 2) == 3 and process.pid % 4 == 3",
        d.clone()
    ));
    assert!(hit(r#"process where number("0x10", 16) == 16"#, d.clone()));
    assert!(hit(r#"process where endsWith~(p, "CMD.EXE")"#, d));
}

#[test]
fn categories() {
    let d = json!({"event": {"category": ["network", "process"]}});
    assert!(hit("process where true", d.clone()));
    assert!(!hit("file where true", d.clone()));
    assert!(hit("any where true", json!({})));
    assert!(!hit("process where true", json!({})));
}

#[test]
fn unsupported_constructs_are_load_errors() {
    for (q, what) in [
        (r#"process where a regex "~x""#, "operator"),
        (r#"process where a regex "x&y""#, "operator"),
    ] {
        let err = Interpreted::from_query(q)
            .err()
            .unwrap_or_else(|| panic!("accepted {q}"));
        assert!(err.contains(what), "{q}: {err}");
    }
}

/// Missing-event sequences and samples need the whole input: a rule file has them answered
/// when the input ends (`eql_runtime::batch`), like any other rule file.
#[test]
fn missing_events_and_samples_are_answered_at_the_end() {
    use eql_runtime::rule::Shape;
    for q in [
        "sequence with maxspan=1s [process where true] ![file where true]",
        "sample by host.id [process where true] [file where true]",
    ] {
        let rule = Interpreted::from_file("r.eql", q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let Shape::Sequence(spec) = rule.shape() else {
            panic!("{q}: not laid out as stages");
        };
        assert!(spec.is_batch(), "{q}");
    }
    let plain = Interpreted::from_query("sequence [process where true] [file where true]");
    assert!(plain.is_ok_and(|r| matches!(r.shape(), Shape::Sequence(s) if !s.is_batch())));
}

#[test]
fn cidr_match_on_a_field_is_a_query_and_regex_folds_ascii_only() {
    // A terms query on the ip field: `not` is a must_not, true when the field is missing.
    let none = proc(json!({}));
    assert!(hit(
        r#"process where not cidrMatch(destination.ip, "169.254.0.0/16")"#,
        none
    ));
    let inside = proc(json!({"destination": {"ip": ["10.0.0.1", "169.254.169.254"]}}));
    assert!(hit(
        r#"process where cidrMatch(destination.ip, "169.254.0.0/16")"#,
        inside.clone()
    ));
    assert!(!hit(
        r#"process where not cidrMatch(destination.ip, "169.254.0.0/16")"#,
        inside
    ));
    // Lucene's ASCII_CASE_INSENSITIVE: `é` does not fold to `É`, `c` folds to `C`.
    let e = proc(json!({"process": {"command_line": "Éc"}}));
    assert!(!hit(
        r#"process where process.command_line regex~ "é.*""#,
        e.clone()
    ));
    assert!(hit(r#"process where process.command_line regex~ "ÉC""#, e));
}
