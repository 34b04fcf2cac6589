//! Every EQL rule of elastic/detection-rules (the corpus's 1,024) lowers: the compiler
//! accepts the whole dialect the rules use (functions, pipes, samples, missing events,
//! `cidrMatch` of bare addresses). Compiling them all into one engine is a step beyond.

#[test]
fn every_corpus_rule_lowers() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/elastic-eql-rules.jsonl"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut failures = Vec::new();
    let mut n = 0;
    for line in text.lines() {
        let rule: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let query = rule["query"].as_str().expect("query");
        n += 1;
        // Windows, cloud and other integrations' rules read fields ECS and Elastic Defend do not
        // define: the unknown-field check is the corpus crate's (per rule index), not this one's.
        let text = format!("/*\n[rule]\nunknown_fields = \"allow\"\n*/\n{query}");
        if let Err(e) = eql_compiler::__test::lower_text(&text) {
            let first = e.lines().next().unwrap_or("").to_owned();
            failures.push(format!("{}: {first}", rule["path"]));
        }
    }
    assert_eq!(n, 1024, "corpus rules read");
    assert!(
        failures.is_empty(),
        "{} rules do not lower:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
