//! Writes Elastic's EQL detection rules (the rules corpus, one JSON object per line) as
//! detection-rules `.toml` files under `OUT_DIR/rules`, mirroring their paths, and the
//! `eql_rules!` call that compiles them into one engine (its path relative to this crate, as
//! the macro wants).
//!
//! The unknown-field check runs against ECS and Elastic Defend's fields: a rule that reads
//! only Elastic Defend indices (`logs-endpoint.*`, the corpus metadata's `index`) and needs no
//! integration but Elastic Defend's (`endpoint`) is checked; every other rule (Windows event
//! logs, cloud audit logs, other integrations' pipelines) is written with
//! `unknown_fields = "allow"`, since its data has fields neither defines.

use std::path::{Component, Path, PathBuf};

const CORPUS: &str = "../testdata/elastic-eql-rules.jsonl";
/// The same rules' metadata (`index`, `integration`), line for line.
const META: &str = "../testdata/elastic-eql-rules.meta.jsonl";

fn main() {
    println!("cargo:rerun-if-changed={CORPUS}");
    println!("cargo:rerun-if-changed={META}");
    println!("cargo:rerun-if-changed=build.rs");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let rules_dir = out.join("rules");
    let _ = std::fs::remove_dir_all(&rules_dir);
    let text = std::fs::read_to_string(manifest.join(CORPUS))
        .unwrap_or_else(|e| panic!("the rules corpus {CORPUS}: {e}"));
    let meta_text = std::fs::read_to_string(manifest.join(META))
        .unwrap_or_else(|e| panic!("the rules metadata {META}: {e}"));
    let mut metas = meta_text.lines();
    let mut count = 0;
    let mut paths = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let rule: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{CORPUS}:{}: {e}", n + 1));
        let s = |k: &str| rule[k].as_str().unwrap_or_default().to_owned();
        let path = s("path");
        let meta: serde_json::Value = metas
            .next()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{META}:{}: {e}", n + 1)))
            .unwrap_or_else(|| panic!("{META}: no line {}", n + 1));
        assert_eq!(
            meta["path"].as_str(),
            Some(path.as_str()),
            "{META}:{}",
            n + 1
        );
        let opt_out = if defend_only(&meta) {
            ""
        } else {
            "# Not only Elastic Defend data: fields are not checked against ECS and Defend.\nunknown_fields = \"allow\"\n"
        };
        let dest = rules_dir.join(&path);
        std::fs::create_dir_all(dest.parent().expect("a file path")).expect("mkdir");
        let q = |v: &str| serde_json::to_string(v).expect("a string");
        let toml = format!(
            "[rule]\nname = {}\nrule_id = {}\nseverity = {}\nrisk_score = {}\nlanguage = \"eql\"\ntype = \"eql\"\n{opt_out}query = {}\n",
            q(&s("name")),
            q(&s("rule_id")),
            q(&s("severity")),
            rule["risk_score"].as_u64().unwrap_or(21),
            q(&s("query")),
        );
        std::fs::write(&dest, toml).expect("write rule");
        paths.push(path);
        count += 1;
    }
    let rel = relative(&manifest, &rules_dir);
    let engine = format!(
        "eql_runtime::eql_rules!(pub mod rules = {rel:?});\n\n/// Rules in the corpus.\npub const CORPUS_RULES: usize = {count};\n"
    );
    std::fs::write(out.join("engine.rs"), engine).expect("write engine.rs");
    // `eql_rules!` orders the rules by path.
    paths.sort();
    std::fs::write(out.join("paths.txt"), paths.join("\n")).expect("write paths");
}

/// Whether a rule reads Elastic Defend's indices only and needs no other integration.
fn defend_only(meta: &serde_json::Value) -> bool {
    let strings = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let index = strings(&meta["index"]);
    let integrations = strings(&meta["integration"]);
    !index.is_empty()
        && index.iter().all(|i| i.starts_with("logs-endpoint."))
        && integrations.iter().all(|i| i == "endpoint")
}

/// `to` relative to `from` (both absolute).
fn relative(from: &Path, to: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..from.len() {
        rel.push("..");
    }
    for c in &to[common..] {
        rel.push(c);
    }
    rel.to_string_lossy().into_owned()
}
