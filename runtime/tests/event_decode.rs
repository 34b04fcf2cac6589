//! Decoding semantics: how a document's keys name fields, and what counts as a value.

use eql_runtime::event::{lookup_in, Doc, DynSchema, Lookup, Schema, Value};
use eql_runtime::json::LineError;

fn schema(fields: &[&str]) -> DynSchema {
    DynSchema::new(fields.iter().map(|s| s.to_string()).collect())
}

/// The values of every field, as `(kind, text)` pairs.
fn decode(fields: &[&str], line: &str) -> Result<Vec<Vec<Value<'static>>>, LineError> {
    let s = schema(fields);
    let mut doc = Doc::new();
    let ev = doc.parse(&s, line.as_bytes())?;
    Ok((0..fields.len())
        .map(|f| {
            ev.values(f as u16)
                .map(|v| match v {
                    Value::Str(t) => Value::Str(Box::leak(t.to_owned().into_boxed_str())),
                    Value::Num(t) => Value::Num(Box::leak(t.to_owned().into_boxed_str())),
                    Value::Bool(b) => Value::Bool(b),
                })
                .collect()
        })
        .collect())
}

fn texts(fields: &[&str], line: &str) -> Vec<Vec<String>> {
    let s = schema(fields);
    let mut doc = Doc::new();
    let ev = doc.parse(&s, line.as_bytes()).expect("valid line");
    (0..fields.len())
        .map(|f| ev.texts(f as u16).map(str::to_owned).collect())
        .collect()
}

fn err(line: &[u8]) -> LineError {
    let s = schema(&["a"]);
    let mut doc = Doc::new();
    match doc.parse(&s, line) {
        Ok(_) => panic!("accepted {:?}", String::from_utf8_lossy(line)),
        Err(e) => e,
    }
}

#[test]
fn nested_and_dotted_name_the_same_field() {
    let f = ["process.parent.entity_id", "process.name"];
    let want = vec![vec!["p1".to_string()], vec!["x".to_string()]];
    assert_eq!(
        texts(
            &f,
            r#"{"process":{"name":"x","parent":{"entity_id":"p1"}}}"#
        ),
        want
    );
    assert_eq!(
        texts(
            &f,
            r#"{"process.name":"x","process.parent.entity_id":"p1"}"#
        ),
        want
    );
    assert_eq!(
        texts(&f, r#"{"process":{"parent.entity_id":"p1","name":"x"}}"#),
        want
    );
    assert_eq!(
        texts(
            &f,
            r#"{"process.parent":{"entity_id":"p1"},"process":{"name":"x"}}"#
        ),
        want
    );
}

#[test]
fn dotted_and_nested_together_keep_all_values_in_order() {
    let got = texts(&["a.b"], r#"{"a":{"b":"1"},"a.b":"2","a":{"b":["3"]}}"#);
    assert_eq!(got, vec![vec!["1", "2", "3"]]);
}

#[test]
fn unread_fields_are_skipped() {
    let got = texts(
        &["process.name"],
        r#"{"process":{"args":["a",{"name":"no"}],"name":"yes","pid":1},"name":"no","processname":"no"}"#,
    );
    assert_eq!(got, vec![vec!["yes"]]);
}

#[test]
fn escapes_in_keys_and_values() {
    let got = texts(
        &["process.name", "file.path", "x"],
        r#"{"proc\u0065ss":{"n\u0061me":"c\u0075rl"},"file.path":"\/tmp\/x\\y\"z\n\t","x":"\ud83d\ude00\u00e9"}"#,
    );
    assert_eq!(
        got,
        vec![vec!["curl"], vec!["/tmp/x\\y\"z\n\t"], vec!["\u{1F600}é"]]
    );
}

#[test]
fn lone_surrogates_are_rejected_as_serde_json_does() {
    for l in [
        r#"{"a":"\ud800"}"#,
        r#"{"a":"\udc00"}"#,
        r#"{"a":"\ud800\u0041"}"#,
        r#"{"a":"\ud800x"}"#,
        r#"{"\ud800":1}"#,
        r#"{"z":"\ud800\ud800"}"#,
    ] {
        assert_eq!(err(l.as_bytes()).reason(), "invalid_json", "{l}");
        assert!(serde_json::from_str::<serde_json::Value>(l).is_err());
    }
}

#[test]
fn arrays_flatten_and_objects_in_arrays_continue_the_path() {
    let got = decode(
        &["a", "b.c"],
        r#"{"a":[1,[2,[true,"x"]],null,[]],"b":[{"c":1},{"c":[2,3]},{"d":4},5,[{"c":"6"}]]}"#,
    )
    .unwrap();
    assert_eq!(
        got[0],
        vec![
            Value::Num("1"),
            Value::Num("2"),
            Value::Bool(true),
            Value::Str("x")
        ]
    );
    assert_eq!(
        got[1],
        vec![
            Value::Num("1"),
            Value::Num("2"),
            Value::Num("3"),
            Value::Str("6")
        ]
    );
}

#[test]
fn null_empty_array_and_object_are_no_value() {
    let s = schema(&["a", "b", "c", "d"]);
    let mut doc = Doc::new();
    let ev = doc
        .parse(&s, br#"{"a":null,"b":[],"c":{"x":1},"d":[null,[]]}"#)
        .unwrap();
    for f in 0..4 {
        assert!(!ev.has(f), "field {f}");
        assert_eq!(ev.first_text(f), None);
        assert!(!ev.any_text(f, |_| true));
    }
}

#[test]
fn field_that_is_also_a_prefix() {
    let got = texts(
        &["a", "a.b"],
        r#"{"a":"top","a":{"b":"inner"},"a.b":"dotted"}"#,
    );
    assert_eq!(got, vec![vec!["top"], vec!["inner", "dotted"]]);
    // An object at a plain field is no value and is not descended.
    let got = texts(&["a"], r#"{"a":{"a":"no"}}"#);
    assert_eq!(got, vec![Vec::<String>::new()]);
}

#[test]
fn numbers_as_text_and_booleans() {
    let s = schema(&["n", "b", "f"]);
    let mut doc = Doc::new();
    let ev = doc
        .parse(&s, br#"{"n":[-1.50e+3,0,42],"b":false,"f":true}"#)
        .unwrap();
    assert_eq!(ev.texts(0).collect::<Vec<_>>(), ["-1.50e+3", "0", "42"]);
    assert_eq!(ev.first_value(0), Some(Value::Num("-1.50e+3")));
    assert_eq!(ev.first_value(1), Some(Value::Bool(false)));
    assert_eq!(ev.first_text(1), Some("false"));
    assert_eq!(ev.first_text(2), Some("true"));
    assert!(ev.any_value(0, |v| v == Value::Num("42")));
    assert!(!ev.any_value(0, |v| v == Value::Str("42")));
    assert!(ev.any_text(0, |t| t == "42"));
}

#[test]
fn crlf_bom_and_whitespace() {
    let s = schema(&["a"]);
    let mut doc = Doc::new();
    let ev = doc.parse(&s, b"\xEF\xBB\xBF {\"a\" : \"x\" }\r\n").unwrap();
    assert_eq!(ev.first_text(0), Some("x"));
    assert_eq!(ev.raw(), " {\"a\" : \"x\" }\r\n");
    let ev = doc.parse(&s, b"{\"a\":1}\r").unwrap();
    assert_eq!(ev.first_text(0), Some("1"));
    // A BOM anywhere else is not whitespace.
    assert_eq!(err(b"{}\xEF\xBB\xBF").reason(), "invalid_json");
}

#[test]
fn rejects_non_objects_and_garbage() {
    assert_eq!(err(b"[1,2]"), LineError::NotAnObject);
    assert_eq!(err(b" \"x\" "), LineError::NotAnObject);
    assert_eq!(err(b"null"), LineError::NotAnObject);
    assert_eq!(err(b"12"), LineError::NotAnObject);
    for bad in [
        &b""[..],
        b"   ",
        b"{",
        b"{\"a\"",
        b"{\"a\":",
        b"{\"a\":1",
        b"{\"a\":1,}",
        b"{\"a\":1}{}",
        b"{\"a\":1} x",
        b"{\"a\":tru}",
        b"{\"a\":nul}",
        b"{\"a\":01}",
        b"{\"a\":1.}",
        b"{\"a\":-}",
        b"{\"a\":1e}",
        b"{\"a\":+1}",
        b"{\"a\":.5}",
        b"{\"a\":1e400}",
        b"{\"a\":\"x\ty\"}",
        b"{\"a\":\"\\x\"}",
        b"{\"a\":\"\\u12\"}",
        b"{\"a\":\"x}",
        b"{a:1}",
        b"{'a':1}",
        b"{\"a\":[1,]}",
        b"{\"a\":[1 2]}",
        b"{\"a\" 1}",
        b"[1,2",
    ] {
        let e = err(bad);
        assert_eq!(
            e.reason(),
            "invalid_json",
            "{:?}",
            String::from_utf8_lossy(bad)
        );
        assert!(serde_json::from_slice::<serde_json::Value>(bad).is_err());
    }
    assert_eq!(
        err(b"{\"a\":\"\xff\"}"),
        LineError::InvalidUtf8 { offset: 6 }
    );
    assert!(err(b"{\"a\":1}x").to_string().contains("byte 7"));
}

#[test]
fn truncated_lines_are_rejected() {
    let line = br#"{"process":{"name":"curl","args":["a","b"],"pid":12,"x":true,"e":"\u00e9"}}"#;
    for n in 0..line.len() {
        assert!(err(&line[..n]).reason() == "invalid_json", "prefix {n}");
    }
}

#[test]
fn depth_limit_matches_serde_json() {
    let s = schema(&["a"]);
    let mut doc = Doc::new();
    for depth in [126usize, 127, 128, 129, 1000, 100_000] {
        let mut line = String::from("{\"a\":");
        line.push_str(&"[".repeat(depth - 1));
        line.push('1');
        line.push_str(&"]".repeat(depth - 1));
        line.push('}');
        let ours = doc.parse(&s, line.as_bytes()).is_ok();
        let theirs = serde_json::from_str::<serde_json::Value>(&line).is_ok();
        assert_eq!(ours, theirs, "depth {depth}");
        assert_eq!(ours, depth <= 127, "depth {depth}");
        if !ours {
            assert_eq!(
                doc.parse(&s, line.as_bytes()).err(),
                Some(LineError::TooDeep)
            );
        }
        let nested = format!(
            "{}{}",
            "{\"b\":".repeat(depth),
            "1".to_owned() + &"}".repeat(depth)
        );
        assert_eq!(
            doc.parse(&s, nested.as_bytes()).is_ok(),
            serde_json::from_str::<serde_json::Value>(&nested).is_ok(),
            "objects, depth {depth}"
        );
    }
}

#[test]
fn error_reasons_and_display() {
    let cases = [
        (LineError::InvalidUtf8 { offset: 3 }, "invalid_utf8"),
        (
            LineError::InvalidJson {
                offset: 1,
                what: "x",
            },
            "invalid_json",
        ),
        (LineError::NotAnObject, "not_an_object"),
        (LineError::TooDeep, "too_deep"),
    ];
    for (e, r) in cases {
        assert_eq!(e.reason(), r);
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn doc_is_reusable_across_events() {
    let s = schema(&["a", "b"]);
    let mut doc = Doc::new();
    {
        let ev = doc.parse(&s, br#"{"a":"\u0041","b":[1,2]}"#).unwrap();
        assert_eq!(ev.first_text(0), Some("A"));
    }
    assert!(doc.parse(&s, b"{\"a\":").is_err());
    let ev = doc.parse(&s, br#"{"b":3}"#).unwrap();
    assert!(!ev.has(0));
    assert_eq!(ev.texts(1).collect::<Vec<_>>(), ["3"]);
    assert!(!ev.has(7), "an unknown field id has no value");
}

#[test]
fn static_schema_and_lookup_reference() {
    const FIELDS: &[&str] = &[
        "@timestamp",
        "process.name",
        "process.parent.name",
        "process",
    ];
    fn lookup(p: &[u8]) -> Lookup {
        match p {
            b"@timestamp" => Lookup::Field(0),
            b"process.name" => Lookup::Field(1),
            b"process.parent" => Lookup::Prefix,
            b"process.parent.name" => Lookup::Field(2),
            b"process" => Lookup::FieldAndPrefix(3),
            _ => Lookup::Miss,
        }
    }
    static SCHEMA: Schema = Schema {
        fields: FIELDS,
        lookup: &lookup,
        timestamp: 0,
        null_values: &[],
    };
    for p in [
        "@timestamp",
        "process",
        "process.name",
        "process.parent",
        "process.parent.name",
        "process.parent.name.x",
        "proc",
        "process.",
        "",
        "processx",
    ] {
        assert_eq!(lookup_in(FIELDS, p.as_bytes()), lookup(p.as_bytes()), "{p}");
        let d = DynSchema::new(FIELDS.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            eql_runtime::json::Lookuper::lookup(&d, p.as_bytes()),
            lookup(p.as_bytes()),
            "{p}"
        );
    }
    let mut doc = Doc::new();
    let ev = doc
        .parse(
            &SCHEMA,
            br#"{"@timestamp":"2024-10-18T12:00:00Z","process":{"name":"curl","parent":{"name":"sh"}}}"#,
        )
        .unwrap();
    assert_eq!(ev.first_text(0), Some("2024-10-18T12:00:00Z"));
    assert_eq!(ev.first_text(1), Some("curl"));
    assert_eq!(ev.first_text(2), Some("sh"));
    assert!(!ev.has(3));
}

#[test]
fn lookup_out_of_range_ids_are_ignored() {
    fn lookup(p: &[u8]) -> Lookup {
        match p {
            b"a" => Lookup::Field(9),
            b"b" => Lookup::FieldAndPrefix(9),
            b"b.c" => Lookup::Field(0),
            _ => Lookup::Miss,
        }
    }
    let s = Schema {
        fields: &["b.c"],
        lookup: &lookup,
        timestamp: 0,
        null_values: &[],
    };
    let mut doc = Doc::new();
    let ev = doc.parse(&s, br#"{"a":1,"b":{"c":2}}"#).unwrap();
    assert_eq!(ev.first_text(0), Some("2"));
    assert!(!ev.has(9));
}

#[test]
fn dyn_schema_field_names() {
    let d = schema(&["a.b", "a", "a.b"]);
    assert_eq!(d.field("a.b"), Some(0));
    assert_eq!(d.field("a"), Some(1));
    assert_eq!(d.field("c"), None);
    assert_eq!(d.fields().len(), 3);
    assert_eq!(
        lookup_in(&["a.b", "a", "a.b"], b"a"),
        Lookup::FieldAndPrefix(1)
    );
}
