//! Writes one rule file per query of Elasticsearch's EQL spec files and the `suites.rs` that
//! compiles each supported one with `eql_rule!` (the endgame-140 index mapping for the field
//! types, `serial_event_id` as the tiebreaker). A query the compiler rejects is kept with the
//! compiler's message, so the test can list it.
//!
//! Dataset adapter (the corpus README): `@timestamp` = FILETIME `timestamp` / 10 000 −
//! 11 644 473 600 000 (epoch milliseconds).

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

/// A spec file, its datasets (after adaptation, one NDJSON line per event), index mappings
/// (merged when several indices are searched together), id field and tiebreaker.
struct Spec {
    file: &'static str,
    data: &'static [&'static str],
    mappings: &'static [&'static str],
    id: &'static str,
    tiebreaker: Option<&'static str>,
    /// Results returned at most unless a query sets `size` (the Elasticsearch harness asks
    /// for 50; the Python engine has no limit).
    size: i64,
}

const SAMPLES: &[&str] = &[
    "data/sample1.data",
    "data/sample2.data",
    "data/sample3.data",
];
const SAMPLE_MAPPINGS: &[&str] = &[
    "data/sample1.mapping",
    "data/sample2.mapping",
    "data/sample3.mapping",
];

const ENDGAME: &[&str] = &["test_data.json"];

const SPECS: &[Spec] = &[
    Spec {
        file: "test_queries.toml",
        data: ENDGAME,
        mappings: &["data/endgame-140.mapping"],
        id: "serial_event_id",
        tiebreaker: Some("serial_event_id"),
        size: 50,
    },
    Spec {
        file: "additional_test_queries.toml",
        data: ENDGAME,
        mappings: &["data/endgame-140.mapping"],
        id: "serial_event_id",
        tiebreaker: Some("serial_event_id"),
        size: 50,
    },
    Spec {
        file: "test_queries_date.toml",
        data: ENDGAME,
        mappings: &["data/endgame-140.mapping"],
        id: "serial_event_id",
        tiebreaker: Some("serial_event_id"),
        size: 50,
    },
    Spec {
        file: "test_extra.toml",
        data: &["data/extra.data"],
        mappings: &["data/extra.mapping"],
        id: "sequence",
        tiebreaker: Some("sequence"),
        size: 50,
    },
    Spec {
        file: "test_missing_events.toml",
        data: &["data/missing-events.data"],
        mappings: &["data/missing-events.mapping"],
        id: "sequence",
        tiebreaker: Some("sequence"),
        size: 50,
    },
    Spec {
        file: "test_sample.toml",
        data: SAMPLES,
        mappings: SAMPLE_MAPPINGS,
        id: "id",
        tiebreaker: None,
        size: 50,
    },
    // Python eql 1.0.1's suite over the same dataset; its queries have no names (numbered
    // `q1`… in file order), and those the front end rejects are not Elasticsearch's dialect.
    Spec {
        file: "../eql-pypi-1.0.1/test_queries.toml",
        data: ENDGAME,
        mappings: &["data/endgame-140.mapping"],
        id: "serial_event_id",
        tiebreaker: Some("serial_event_id"),
        size: i64::MAX,
    },
    Spec {
        file: "test_sample_multi.toml",
        data: &["data/sample-multi.data"],
        mappings: &["data/sample-multi.mapping"],
        id: "id",
        tiebreaker: None,
        size: 50,
    },
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let corpus = manifest.join("../testdata/eql-conformance/elasticsearch");
    println!("cargo::rerun-if-changed=build.rs");

    let read = |rel: &str| {
        let p = corpus.join(rel);
        println!("cargo::rerun-if-changed={}", p.display());
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let rules_dir = out.join("rules");
    std::fs::create_dir_all(&rules_dir).expect("rules dir");
    let mut rules = String::new();
    let mut suites = String::from("/// Every suite.\npub static SUITES: &[Suite] = &[\n");
    for (si, spec) in SPECS.iter().enumerate() {
        let data: String = spec.data.iter().map(|d| dataset(d, &read(d))).collect();
        let mapping = merged_mapping(&spec.mappings.iter().map(|m| read(m)).collect::<Vec<_>>());
        // The harness loads the dataset into indices with these mappings and dynamic mapping
        // on: every field of the data is a column when the queries run.
        let mapping = with_dynamic_fields(&mapping, &data);
        let mapping_file = out.join(format!("mapping-{si}.json"));
        std::fs::write(&mapping_file, &mapping).expect("write mapping");
        let types = eql_syntax::mapping::FieldTypes::from_mapping(&mapping).expect("mapping");
        let mapping_rel = relative(&manifest, &mapping_file);
        let data_file = format!("data-{si}.ndjson");
        std::fs::write(out.join(&data_file), data).expect("write dataset");
        // Bare `null`s in `join_keys` are not TOML; the harness writes null keys as "null".
        let text = read(spec.file)
            .replace("[null]", "[\"null\"]")
            .replace("[null,", "[\"null\",")
            .replace(", null]", ", \"null\"]")
            .replace(", null,", ", \"null\",");
        let doc: toml::Value = text.parse().expect("spec is TOML");
        let _ = writeln!(
            suites,
            "    Suite {{ file: {:?}, data: include_str!(concat!(env!(\"OUT_DIR\"), \"/{data_file}\")), id_field: {:?}, tiebreaker: {:?}, mapping: include_str!(concat!(env!(\"OUT_DIR\"), \"/mapping-{si}.json\")), cases: &[",
            spec.file, spec.id, spec.tiebreaker
        );
        for (qi, q) in doc["queries"]
            .as_array()
            .expect("[[queries]]")
            .iter()
            .enumerate()
        {
            let numbered = format!("q{}", qi + 1);
            let name = q.get("name").and_then(|n| n.as_str()).unwrap_or(&numbered);
            let query = q["query"].as_str().expect("query").trim();
            let ids = |v: &toml::Value| -> String {
                let list: Vec<String> = v
                    .as_array()
                    .expect("a list of ids")
                    .iter()
                    .map(|x| x.as_integer().expect("an id").to_string())
                    .collect();
                format!("&[{}]", list.join(", "))
            };
            let expected = q["expected_event_ids"]
                .as_array()
                .expect("expected_event_ids");
            // A list of lists: any one of them (non-deterministic results).
            let alternatives: Vec<String> = if expected.first().is_some_and(|x| x.is_array()) {
                expected.iter().map(ids).collect()
            } else {
                vec![ids(&q["expected_event_ids"])]
            };
            let join_keys = match q.get("join_keys").and_then(|k| k.as_array()) {
                Some(keys) if !keys.is_empty() => {
                    let keys: Vec<String> = keys
                        .iter()
                        .map(|k| match k {
                            toml::Value::String(s) => format!("{s:?}"),
                            other => format!("{:?}", other.to_string()),
                        })
                        .collect();
                    format!("Some(&[{}])", keys.join(", "))
                }
                _ => "None".to_owned(),
            };
            let tiebreaker = spec
                .tiebreaker
                .map(|t| format!("tiebreaker_field = {t:?}\n"))
                .unwrap_or_default();
            let text = format!("/*\n[rule]\nname = {name:?}\n{tiebreaker}*/\n{query}\n");
            let size = q
                .get("size")
                .and_then(|v| v.as_integer())
                .unwrap_or(spec.size);
            let size = format!("{size}_usize");
            let mut portable = eql_syntax::parse(query).is_ok();
            let per_key = q
                .get("max_samples_per_key")
                .and_then(|v| v.as_integer())
                .unwrap_or(1);
            let path = rules_dir.join(format!("{si}-{qi}.eql"));
            std::fs::write(&path, &text).expect("write rule");
            let rule = match eql_compiler::__test::lower_text_with(&text, &types) {
                Ok(_) => {
                    let ident = format!("Q{si}_{qi}");
                    let rel = relative(&manifest, &path);
                    let _ = writeln!(
                        rules,
                        "eql_runtime::eql_rule!(struct {ident} = {rel:?}, mapping = {mapping_rel:?});"
                    );
                    format!("Ok(|| Box::new({ident}))")
                }
                Err(e) => {
                    let first = e.lines().next().unwrap_or("").to_owned();
                    // Elasticsearch rejects a field no index maps ("Unknown column"): such a
                    // query is not its dialect (its suite comments them out).
                    if first.contains("Unknown column") {
                        portable = false;
                    }
                    format!("Err({first:?})")
                }
            };
            let _ = writeln!(
                suites,
                "        Case {{ name: {name:?}, query: {query:?}, expected: &[{}], join_keys: {join_keys}, size: {size}, portable: {portable}, max_samples_per_key: {per_key}, rule: {rule} }},",
                alternatives.join(", ")
            );
        }
        suites.push_str("    ] },\n");
    }
    suites.push_str("];\n");
    std::fs::write(out.join("suites.rs"), format!("{rules}\n{suites}")).expect("write suites");
}

/// One mapping from several indices' mappings: each field keeps its first definition, and a date
/// field's formats are pooled, as `FieldTypes::merge` does (lines starting with `#` dropped).
fn merged_mapping(texts: &[String]) -> String {
    let mut merged = serde_json::Map::new();
    for text in texts {
        let clean: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let json: serde_json::Value = serde_json::from_str(&clean).expect("mapping JSON");
        let root = json.get("mappings").unwrap_or(&json);
        if let Some(props) = root.get("properties").and_then(|p| p.as_object()) {
            for (k, v) in props {
                match merged.get_mut(k) {
                    None => {
                        merged.insert(k.clone(), v.clone());
                    }
                    // A date field with a format in each index parses with either.
                    Some(mine) => {
                        let theirs = v.get("format").and_then(|f| f.as_str());
                        let ours = mine.get("format").and_then(|f| f.as_str());
                        if let (Some(a), Some(b)) = (ours, theirs) {
                            if a != b {
                                mine["format"] = serde_json::Value::from(format!("{a}||{b}"));
                            }
                        }
                    }
                }
            }
        }
    }
    serde_json::json!({ "properties": merged }).to_string()
}

/// `mapping` with a definition for every field of `data` (NDJSON) it does not map, as
/// Elasticsearch's dynamic mapping adds them when the harness indexes the documents: a string
/// becomes `date` when it looks like one (`date_detection`), otherwise `text` with a `keyword`
/// sub-field; an integer `long`, another number `float`, `true`/`false` `boolean`; objects
/// become `properties`, arrays take their elements' type, `null`s add nothing. The first
/// document to hold a field decides its type.
fn with_dynamic_fields(mapping: &str, data: &str) -> String {
    let mut json: serde_json::Value = serde_json::from_str(mapping).expect("merged mapping");
    for line in data.lines() {
        let doc: serde_json::Value = serde_json::from_str(line).expect("an event");
        if let serde_json::Value::Object(obj) = doc {
            for (k, v) in obj {
                add_dynamic(&mut json["properties"], &k, &v);
            }
        }
    }
    json.to_string()
}

fn add_dynamic(props: &mut serde_json::Value, key: &str, value: &serde_json::Value) {
    use serde_json::{json, Value};
    // A dotted key is an object path, as Elasticsearch expands it.
    if let Some((head, rest)) = key.split_once('.') {
        let entry = props
            .as_object_mut()
            .expect("properties")
            .entry(head.to_owned())
            .or_insert_with(|| json!({ "properties": {} }));
        if let Some(sub) = entry.get_mut("properties") {
            add_dynamic(sub, rest, value);
        }
        return;
    }
    let value = match value {
        Value::Array(items) => match items.iter().find(|x| !x.is_null()) {
            Some(first) => first,
            None => return,
        },
        other => other,
    };
    let map = props.as_object_mut().expect("properties");
    match value {
        Value::Null => {}
        Value::Object(obj) => {
            let entry = map
                .entry(key.to_owned())
                .or_insert_with(|| json!({ "properties": {} }));
            if let Some(sub) = entry.get_mut("properties") {
                for (k, v) in obj {
                    add_dynamic(sub, k, v);
                }
            }
        }
        leaf => {
            if map.contains_key(key) {
                return;
            }
            let def = match leaf {
                Value::Bool(_) => json!({ "type": "boolean" }),
                Value::Number(n) if n.is_i64() || n.is_u64() => json!({ "type": "long" }),
                Value::Number(_) => json!({ "type": "float" }),
                Value::String(s) if looks_like_date(s) => json!({ "type": "date" }),
                _ => json!({ "type": "text", "fields": { "keyword": { "type": "keyword" } } }),
            };
            map.insert(key.to_owned(), def);
        }
    }
}

/// Elasticsearch's default `dynamic_date_formats`, roughly: `yyyy-MM-dd` optionally followed by
/// a time (`strict_date_optional_time`), or `yyyy/MM/dd` with an optional time and zone.
fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    b.len() >= 10
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && ((b[4] == b'-' && b[7] == b'-' && (b.len() == 10 || b[10] == b'T'))
            || (b[4] == b'/' && b[7] == b'/' && (b.len() == 10 || b[10] == b' ')))
}

/// A dataset as NDJSON. `test_data.json` (endgame-140) gets its `@timestamp` from the FILETIME
/// `timestamp`; `//` comment lines (in `missing-events.data`) are dropped.
fn dataset(name: &str, text: &str) -> String {
    if name == "test_data.json" {
        return endgame(text);
    }
    let clean: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    let data: serde_json::Value = serde_json::from_str(&clean).expect("a JSON array");
    data.as_array()
        .expect("an array")
        .iter()
        .map(|ev| format!("{ev}\n"))
        .collect()
}

/// `test_data.json` as NDJSON, each event with its `@timestamp`.
fn endgame(json: &str) -> String {
    let data: serde_json::Value = serde_json::from_str(json).expect("test_data.json");
    let mut out = String::new();
    for ev in data.as_array().expect("an array") {
        let mut ev = ev.clone();
        let ft = ev["timestamp"].as_i64().expect("FILETIME timestamp");
        ev["@timestamp"] = serde_json::Value::from(ft / 10_000 - 11_644_473_600_000);
        out.push_str(&ev.to_string());
        out.push('\n');
    }
    out
}

/// `to` relative to `from` (both absolute), as `eql_rule!` wants its paths.
fn relative(from: &Path, to: &Path) -> String {
    let norm = |p: &Path| -> Vec<String> {
        let mut parts: Vec<String> = Vec::new();
        for c in p.components() {
            match c {
                Component::ParentDir => {
                    parts.pop();
                }
                Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
                _ => {}
            }
        }
        parts
    };
    let (f, t) = (norm(from), norm(to));
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut rel: Vec<String> = vec!["..".to_owned(); f.len() - common];
    rel.extend(t[common..].iter().cloned());
    rel.join("/")
}
