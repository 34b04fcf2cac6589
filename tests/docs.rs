//! The documentation shows what the code does: the README's library example is
//! `examples/library.rs` (which `cargo test` builds), and the alert example in docs/usage.md has
//! exactly the fields a real alert has.

use std::process::{Command, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The body of the first fenced block of `lang` after `after` in a markdown file.
fn block(file: &str, after: &str, lang: &str) -> String {
    let text = std::fs::read_to_string(format!("{ROOT}/{file}")).unwrap();
    let from = text
        .find(after)
        .unwrap_or_else(|| panic!("{file}: no `{after}`"));
    let fence = format!("```{lang}\n");
    let start = from + text[from..].find(&fence).expect("a fenced block") + fence.len();
    let len = text[start..].find("```\n").expect("the block ends");
    text[start..start + len].to_owned()
}

#[test]
fn the_readme_library_example_is_the_built_example() {
    let example = std::fs::read_to_string(format!("{ROOT}/examples/library.rs")).unwrap();
    assert_eq!(
        block("README.md", "## In your own crate", "rust"),
        example,
        "README.md's rust block and examples/library.rs differ"
    );
}

#[test]
fn the_documented_alert_has_the_fields_of_a_real_one() {
    let documented: serde_json::Value =
        serde_json::from_str(&block("docs/usage.md", "## Alerts", "json")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_eql-detect"))
        .args([
            "--select",
            "file:rules/imds.eql",
            "--format",
            "ndjson",
            "-q",
        ])
        .arg(format!("{ROOT}/tests/fixtures/imds_pair.ndjson"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let real: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&documented), keys(&real));
    for same in [
        "kibana.alert.uuid",
        "kibana.alert.group.id",
        "eql.join_keys",
        "kibana.alert.rule.threat",
    ] {
        assert_eq!(documented[same], real[same], "{same}");
    }
}
