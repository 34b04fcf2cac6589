//! Compile time and load time report the same rule-authoring errors: `eql_rule!`'s path
//! (`compile_text`) and the interpreter's (`Interpreted::from_file`, what
//! `eql-detect --rule-file` calls) reject the same rule files with the same messages at the
//! same places, and accept the same ones.

/// `(file name, text)`: each is wrong in one way (or fine, for the last ones).
const CASES: &[(&str, &str)] = &[
    ("field.eql", "process where process.nmae == \"curl\""),
    (
        "keys.eql",
        "sequence by host.id [process where true] by proces.pid [network where true] by process.pid until [file where fiel.path == \"/x\"] by process.pid",
    ),
    (
        "function.eql",
        "any where startsWith(process.executabel, \"/tmp\")",
    ),
    ("object.eql", "any where process.parent == \"x\""),
    (
        "sample.eql",
        "sample by host.idd [process where true] [network where true]",
    ),
    (
        "missing_stage.eql",
        "sequence with maxspan=1m [process where true] ![file where file.pth == \"x\"] [network where true]",
    ),
    (
        "meta_field.eql",
        "// [rule]\n// tiebreaker_field = \"event.sequnce\"\nprocess where true",
    ),
    (
        "category_field.eql",
        "// [rule]\n// event_category_override = \"event.categroy\"\nprocess where true",
    ),
    ("key.eql", "/*\n[rule]\nriskscore = 99\n*/\nprocess where true"),
    ("severity.eql", "// [rule]\n// severity = \"hgih\"\nprocess where true"),
    ("risk.eql", "// [rule]\n// risk_score = 101\nprocess where true"),
    ("no_rule.eql", "/*\nname = \"x\"\n*/\nprocess where true"),
    ("toml.eql", "/*\n[rule\nname = \"x\"\n*/\nprocess where true"),
    (
        "threat.toml",
        "[rule]\nquery = '''\nprocess where true\n'''\n[[rule.threat]]\nframwork = \"MITRE ATT&CK\"\n",
    ),
    (
        "toml_field.toml",
        "[rule]\nname = \"x\"\nquery = '''\nprocess where process.nmae == \"x\"\n'''\n",
    ),
    // Accepted by both.
    ("optional.eql", "process where ?process.nmae == null"),
    (
        "opt_out.eql",
        "// [rule]\n// unknown_fields = \"allow\"\nprocess where winlog.channel == \"x\"",
    ),
    ("prose.eql", "// Curl, as a note.\nprocess where process.name == \"curl\""),
];

/// `path:line:col` of a byte offset.
fn location(path: &str, text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rfind('\n').map_or(at, |nl| at - nl - 1) + 1;
    format!("{path}:{line}:{col}")
}

#[test]
fn compile_time_and_load_time_agree() {
    for (name, text) in CASES {
        let path = format!("rules/{name}");
        let compiled = eql_compiler::compile_text(&path, text);
        let loaded = eql_interp::Interpreted::from_file(&path, text);
        match (compiled, loaded) {
            (Ok(_), Ok(_)) => {}
            (Err(diags), Err(rendered)) => {
                assert!(!diags.is_empty(), "{name}");
                for d in &diags {
                    let at = location(&path, text, d.span.start as usize);
                    assert!(
                        rendered.contains(&format!("error: {}\n", d.message)),
                        "{name}: load time lacks {:?}:\n{rendered}",
                        d.message
                    );
                    assert!(
                        rendered.contains(&at),
                        "{name}: load time lacks {at}:\n{rendered}"
                    );
                    if let Some(h) = &d.help {
                        assert!(rendered.contains(h.as_str()), "{name}: {h}");
                    }
                }
                assert_eq!(
                    rendered.matches("error: ").count(),
                    diags.len(),
                    "{name}: as many errors at load time as at compile time:\n{rendered}"
                );
            }
            (c, l) => panic!(
                "{name}: compile time {} but load time {}",
                if c.is_ok() { "accepts" } else { "rejects" },
                match l {
                    Ok(_) => "accepts".to_owned(),
                    Err(e) => format!("rejects:\n{e}"),
                }
            ),
        }
    }
}

#[test]
fn every_case_but_the_last_three_is_rejected() {
    for (name, text) in &CASES[..CASES.len() - 3] {
        assert!(
            eql_compiler::compile_text(&format!("rules/{name}"), text).is_err(),
            "{name}"
        );
    }
}
