//! Writes one rule file per query of Elasticsearch's EQL spec files and the `suites.rs` that
//! compiles each supported one with `eql_rule!` (the endgame-140 index mapping for the field
//! types, `serial_event_id` as the tiebreaker). A query the compiler rejects is kept with the
//! compiler's message, so the test can list it.
//!
//! Dataset adapter (the corpus README): `@timestamp` = FILETIME `timestamp` / 10 000 −
//! 11 644 473 600 000 (epoch milliseconds).

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

const SPECS: &[&str] = &[
    "test_queries.toml",
    "additional_test_queries.toml",
    "test_queries_date.toml",
];
const MAPPING: &str = "data/endgame-140.mapping";

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let corpus = manifest.join("../../shared/corpus/eql-conformance/elasticsearch");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed={}", corpus.display());

    let read = |rel: &str| {
        let p = corpus.join(rel);
        println!("cargo::rerun-if-changed={}", p.display());
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let types = eql_syntax::mapping::FieldTypes::from_mapping(&read(MAPPING)).expect("mapping");
    let data = endgame(&read("test_data.json"));
    std::fs::write(out.join("endgame-140.ndjson"), data).expect("write dataset");

    let rules_dir = out.join("rules");
    std::fs::create_dir_all(&rules_dir).expect("rules dir");
    let mapping_rel = relative(&manifest, &corpus.join(MAPPING));
    let mut rules = String::new();
    let mut suites = String::from("/// Every suite.\npub static SUITES: &[Suite] = &[\n");
    for (si, spec) in SPECS.iter().enumerate() {
        let doc: toml::Value = read(spec).parse().expect("spec is TOML");
        let _ = writeln!(
            suites,
            "    Suite {{ file: {spec:?}, data: include_str!(concat!(env!(\"OUT_DIR\"), \"/endgame-140.ndjson\")), id_field: \"serial_event_id\", cases: &["
        );
        for (qi, q) in doc["queries"]
            .as_array()
            .expect("[[queries]]")
            .iter()
            .enumerate()
        {
            let name = q["name"].as_str().expect("name");
            let query = q["query"].as_str().expect("query").trim();
            let expected: Vec<String> = q["expected_event_ids"]
                .as_array()
                .expect("expected_event_ids")
                .iter()
                .map(|v| v.as_integer().expect("flat ids").to_string())
                .collect();
            let text = format!(
                "/*\n[rule]\nname = {name:?}\ntiebreaker_field = \"serial_event_id\"\n*/\n{query}\n"
            );
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
                    format!("Err({first:?})")
                }
            };
            let _ = writeln!(
                suites,
                "        Case {{ name: {name:?}, query: {query:?}, expected: &[{}], rule: {rule} }},",
                expected.join(", ")
            );
        }
        suites.push_str("    ] },\n");
    }
    suites.push_str("];\n");
    std::fs::write(out.join("suites.rs"), format!("{rules}\n{suites}")).expect("write suites");
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
