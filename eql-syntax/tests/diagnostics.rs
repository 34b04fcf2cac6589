//! Rendered diagnostics for malformed rules, one snapshot per file of `tests/data/errors/`.

#[test]
fn malformed_rules() {
    insta::glob!("data/errors/*.eql", |path| {
        let src = std::fs::read_to_string(path).expect("readable test file");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("rule.eql");
        let diags = match eql_syntax::parse(&src) {
            Ok(q) => panic!("{name} parses: {}", eql_syntax::to_canonical(&q)),
            Err(d) => d,
        };
        assert!(!diags.is_empty());
        insta::assert_snapshot!(eql_syntax::render(&diags, &format!("rules/{name}"), &src));
    });
}
