//! Queries Elasticsearch rejects are rejected here too, with a message.

use std::path::PathBuf;

/// Queries of `test_queries_unsupported.toml` that are valid Elasticsearch EQL, with the reason
/// the file lists them anyway (it is a list of features the Java test harness did not run yet,
/// not only of invalid syntax).
const VALID_IN_ES: &[(&str, &str)] = &[
    ("twoSequencesWithKeys", "valid sequences; listed because the harness emulated their response"),
    ("twoSequencesWithTwoKeys", "valid sequences; listed because the harness emulated their response"),
    ("equalsNullHead", "valid syntax (`: null`); listed for its missing-field result"),
    ("processWithStringComparisonCaseInsensitive1", "valid range comparisons; the Endgame case-insensitive expectation is what ES does not support"),
    ("processWithStringComparisonCaseInsensitive2", "valid range comparisons; the Endgame case-insensitive expectation is what ES does not support"),
    ("processWithStringComparisonCaseInsensitive3", "valid range comparisons; the Endgame case-insensitive expectation is what ES does not support"),
    ("processWithStringComparisonCaseInsensitive4", "valid range comparisons; the Endgame case-insensitive expectation is what ES does not support"),
    ("simpleTail", "valid `| tail 3`; listed for result order"),
    ("fakeField", "valid syntax; unknown fields are a mapping error, which needs an index"),
    ("fakeFieldWithHead2", "valid syntax; unknown fields are a mapping error, which needs an index"),
    ("badFieldWithLength", "valid syntax; unknown fields are a mapping error, which needs an index"),
    ("exitCodeGtZero", "valid comparisons; listed for missing-field (null) results"),
    ("zeroLteExitCode", "valid comparisons; listed for missing-field (null) results"),
    ("exitCodeLteZero", "valid comparisons; listed for missing-field (null) results"),
    ("exitCodeLtOne", "valid comparisons; listed for missing-field (null) results"),
    ("exitCodeGtMinusOne", "valid comparisons; listed for missing-field (null) results"),
    ("minusOneLtExitCode", "valid comparisons; listed for missing-field (null) results"),
    ("notExitCodeGtWithHead1", "valid comparisons; listed for missing-field (null) results"),
    ("notExitCodeGtWithHead2", "valid comparisons; listed for missing-field (null) results"),
    ("notExitCodeGtWithHead3", "valid comparisons; listed for missing-field (null) results"),
    ("simpleStringEquality", "valid syntax; listed for Endgame case-insensitive results"),
    ("substring3", "valid syntax; listed for Endgame case-insensitive results"),
    ("concatCaseInsensitive", "valid syntax; listed for Endgame case-insensitive results"),
    ("betweenCaseSensitive", "valid syntax; listed for Endgame case-insensitive results"),
    ("lengthCaseSensitive", "valid syntax; listed for Endgame case-insensitive results"),
];

fn unsupported() -> Vec<(String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/eql-conformance/elasticsearch/test_queries_unsupported.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("missing conformance file {}: {e}", path.display()));
    let doc: toml::Value = toml::from_str(&text).expect("valid TOML");
    doc["queries"]
        .as_array()
        .expect("[[queries]]")
        .iter()
        .map(|q| {
            (
                q["name"].as_str().unwrap_or("?").to_string(),
                q["query"].as_str().expect("query").to_string(),
            )
        })
        .collect()
}

#[test]
fn conformance_unsupported_queries_are_rejected() {
    let qs = unsupported();
    assert!(qs.len() > 50, "only {} queries read", qs.len());
    let mut accepted = Vec::new();
    for (name, q) in &qs {
        let allowed = VALID_IN_ES.iter().any(|(n, _)| n == name);
        match eql_syntax::parse(q) {
            Err(d) => {
                assert!(!allowed, "{name} is on the allow-list but rejected");
                assert!(!d.is_empty() && d.iter().all(|d| !d.message.is_empty()));
                let _ = eql_syntax::render(&d, name, q);
            }
            Ok(_) if allowed => {}
            Ok(_) => accepted.push(format!("{name}: {q}")),
        }
    }
    assert!(accepted.is_empty(), "accepted:\n{}", accepted.join("\n"));
}

/// Own cases: each must be rejected, and the first message must contain the given text.
const CASES: &[(&str, &str)] = &[
    ("process where x = 1", "`=` is not a comparison operator"),
    ("process where x == 'a'", "single-quoted strings"),
    ("process where x == \"a", "unterminated string"),
    ("process where x == \"a\\qb\"", "unknown escape `\\q`"),
    ("process where x == \"\\u{zz}\"", "malformed unicode escape"),
    (
        "process where x == \"\\u{110000}\"",
        "invalid unicode escape",
    ),
    ("process where (x == 1", "unclosed `(`"),
    ("process where x == 1)", "unexpected `)`"),
    (
        "sequence [process where true] [file where true",
        "unclosed `[`",
    ),
    (
        "sequence with maxspan=1s by host.id [a where true] [b where true]",
        "Please specify sequence [by] before [with] not after",
    ),
    (
        "sequence with maxspan=1.5s [a where true] [b where true]",
        "decimal time interval",
    ),
    (
        "sequence with maxspan=10 [a where true] [b where true]",
        "time unit missing",
    ),
    (
        "sequence with maxspan=10w [a where true] [b where true]",
        "unknown time unit `w`",
    ),
    (
        "sequence [a where true] with runs=0",
        "A positive runs value is required",
    ),
    (
        "sequence [a where true] with runs=101",
        "more than 100 times",
    ),
    (
        "sequence [a where true] with repeat=2",
        "unknown stage parameter",
    ),
    ("sequence [a where true] [b where true]", ""),
    ("sequence [a where true]", "at least 2 queries"),
    (
        "sequence by a [x where true] by b [y where true]",
        "Inconsistent number of join keys",
    ),
    (
        "sequence [x where true] by a [y where true] until [z where true]",
        "Inconsistent number of join keys",
    ),
    (
        "sequence [x where true] ![y where true]",
        "require `with maxspan`",
    ),
    (
        "sequence with maxspan=1m ![x where true] ![y where true]",
        "at least one stage that is not a missing event",
    ),
    (
        "sample by h [x where true] ![y where true]",
        "not supported in `sample`",
    ),
    (
        "sample by h with maxspan=1m [x where true] [y where true]",
        "does not support `maxspan`",
    ),
    (
        "sample by h [x where true] [y where true] until [z where true]",
        "does not support `until`",
    ),
    (
        "sample by h [x where true] with runs=2 [y where true]",
        "does not support `runs`",
    ),
    ("process where true | count", "Endgame EQL pipes"),
    (
        "process where true | unique process.name",
        "unsupported pipe `unique`",
    ),
    ("process where true | head -1", "non-negative integer"),
    ("process where true | head 1.5", "non-negative integer"),
    (
        "process where a == b",
        "comparing a field with another field",
    ),
    (
        "process where length(a) == length(b)",
        "comparing a field with another field",
    ),
    // One required field is enough to reject; `?a == ?b` alone is accepted (see below).
    (
        "process where ?a == b",
        "comparing a field with another field",
    ),
    (
        "process where a in (\"x\", b)",
        "comparing a field with another field",
    ),
    ("process where a : b", "must be constants"),
    (
        "process where startWith(a, \"x\")",
        "did you mean `startsWith`?",
    ),
    (
        "process where arrayContains(a, \"x\")",
        "unknown function `arrayContains`",
    ),
    (
        "process where length(a, \"x\") > 1",
        "`length` takes 1 argument, found 2",
    ),
    (
        "process where substring(a) == \"x\"",
        "takes 2 to 3 arguments",
    ),
    (
        "process where length~(a) > 1",
        "no case-insensitive variant",
    ),
    (
        "process where descendant of [process where true]",
        "lineage",
    ),
    (
        "join [process where true] [file where true]",
        "`join` is not supported",
    ),
    ("process where a !: \"x\"", "`!:` is not supported"),
    ("process where a == 1 == 2", "cannot be chained"),
    ("process where sequence == 1", "keyword"),
    ("process where x == 1 AND y == 2", "lower-case"),
    ("where x == 1", ""),
    ("process where", ""),
    ("", ""),
    ("process where x == 1e999", "out of range"),
    ("process where `` == 1", "empty quoted field name"),
    ("process where x == \"\"\"abc", "unterminated raw string"),
    ("process where x == 1 /* open", "unterminated block comment"),
    ("process where x : (\"a\",)", ""),
];

#[test]
fn own_negative_cases() {
    let mut wrong = Vec::new();
    for (src, want) in CASES {
        match eql_syntax::parse(src) {
            Ok(q) if src.starts_with("sequence [a where true] [b where true]") => {
                // The one valid control case.
                assert_eq!(eql_syntax::to_canonical(&q), *src);
            }
            Ok(_) => wrong.push(format!("accepted: {src}")),
            Err(d) => {
                let text = eql_syntax::render(&d, "case.eql", src);
                if !text.contains(want) {
                    wrong.push(format!("{src}\n  wanted `{want}` in:\n{text}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn all_problems_are_reported_together() {
    let src = "sequence with maxspan=1.5s by a [x where b == c] with runs=0 [y where f(1)]";
    let d = eql_syntax::parse(src).err().unwrap_or_default();
    let text = eql_syntax::render(&d, "q", src);
    for want in [
        "before [with]",
        "decimal",
        "runs",
        "another field",
        "unknown function",
    ] {
        assert!(text.contains(want), "missing `{want}` in\n{text}");
    }
}

#[test]
fn keyword_case_is_significant() {
    assert!(
        eql_syntax::parse("PROCESS where true").is_ok(),
        "a category is a name"
    );
    assert!(eql_syntax::parse("process WHERE true").is_err());
    assert!(eql_syntax::parse("process where true OR false").is_err());
}

/// Optional fields that no index maps are `null` to Elasticsearch, which then accepts comparing
/// them (`test_extra.toml` `sequenceOptionalFieldAsQueryKeysOnly`).
#[test]
fn optional_fields_may_be_compared_with_each_other() {
    assert!(eql_syntax::parse("process where ?a == ?b").is_ok());
    assert!(eql_syntax::parse("process where concat(?a, \"x\") != ?b").is_ok());
}
