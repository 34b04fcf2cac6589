//! Hostile input: random strings and mutated corpus rules never make `parse`, `render` or the
//! printer panic.

mod common;

use proptest::prelude::*;
use std::sync::OnceLock;

fn corpus() -> &'static [(String, String)] {
    static CORPUS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        // Short rules keep each case fast; they cover every construct of the long ones.
        common::queries("elastic-eql-rules.jsonl")
            .into_iter()
            .filter(|(_, q)| q.len() < 1500)
            .collect()
    })
}

fn exercise(src: &str) {
    match eql_syntax::parse(src) {
        Ok(q) => {
            let text = eql_syntax::to_canonical(&q);
            assert!(eql_syntax::parse_unchecked(&text).is_ok(), "{text}");
        }
        Err(d) => {
            assert!(!d.is_empty());
            let out = eql_syntax::render(&d, "fuzz.eql", src);
            assert!(out.starts_with("error: "));
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    Swap(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tokens = prop_oneof![
        Just("(".to_string()),
        Just(")".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just(" not ".to_string()),
        Just(" and ".to_string()),
        Just("![".to_string()),
        Just("`".to_string()),
        Just("é\t".to_string()),
        Just("/*".to_string()),
        any::<String>(),
    ];
    prop_oneof![
        (any::<usize>(), 1..8usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), tokens).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies byte-level mutations; the result is made valid UTF-8 lossily, as a reader would.
fn mutate(src: &str, muts: &[Mutation]) -> String {
    let mut b = src.as_bytes().to_vec();
    for m in muts {
        let len = b.len().max(1);
        match m {
            Mutation::Delete(a, n) => {
                let a = a % len;
                let end = (a + n).min(b.len());
                if a < end {
                    b.drain(a..end);
                }
            }
            Mutation::Insert(a, s) => {
                let a = (a % len).min(b.len());
                b.splice(a..a, s.bytes());
            }
            Mutation::Swap(x, y) => {
                if !b.is_empty() {
                    let (x, y) = (x % b.len(), y % b.len());
                    b.swap(x, y);
                }
            }
            Mutation::Truncate(a) => b.truncate(a % len),
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_strings(s in any::<String>()) {
        exercise(&s);
    }

    #[test]
    fn random_eql_alphabet(s in r#"[a-z .:=!<>()\[\]"'`?~|,*+/%@0-9\\-]{0,80}"#) {
        exercise(&s);
        exercise(&format!("process where {s}"));
        exercise(&format!("sequence [process where {s}] [file where true]"));
    }

    #[test]
    fn mutated_corpus_rules(i in any::<usize>(), muts in prop::collection::vec(mutation(), 1..5)) {
        let rules = corpus();
        prop_assume!(!rules.is_empty());
        let (_, q) = &rules[i % rules.len()];
        exercise(&mutate(q, &muts));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for src in [
        format!(
            "process where {}x == 1{}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        ),
        format!("process where {}x", "not ".repeat(100_000)),
        format!("process where x == {}1", "-".repeat(100_000)),
        format!("process where x == {}", vec!["1"; 100_000].join(" + ")),
        format!("process where {}", vec!["a"; 100_000].join(" and ")),
        format!("process where f({}1{})", "g(".repeat(60), ")".repeat(60)),
    ] {
        exercise(&src);
    }
}
