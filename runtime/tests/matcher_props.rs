//! Every prebuilt wildcard matcher agrees with the reference `like`, on inputs biased to the
//! corners: case variants (ASCII and not), near-miss prefixes, `?` on multi-byte characters,
//! empty strings, and degenerate patterns.

use eql_runtime::matcher::{
    alt_case, char_matches_ci, like, shape, Contains, Exact, Glob, PatternShape, Prefix, Suffix,
};
use proptest::prelude::*;

/// Characters whose case behaviour differs between naive folding and Elasticsearch's rule.
const ALPHABET: &[char] = &[
    'a', 'b', 'A', 'B', 'c', 'é', 'É', 'σ', 'Σ', 'ς', 'İ', 'i', 'I', 'ı', 'k', 'K', '\u{212A}',
    'ß', 'ẞ', 's', 'S', 'ſ', '/', '.', '\\', '1', '\u{1F80}', '\u{1F88}', '日',
];

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// Matches `s` against a set of patterns the way compiled code does: group by shape, build
/// the prebuilt matchers, OR them.
fn prebuilt(pats: &[String], ci: bool, s: &str) -> bool {
    let (mut exact, mut prefix, mut suffix, mut contains) = (vec![], vec![], vec![], vec![]);
    let mut globs = vec![];
    for p in pats {
        match shape(p) {
            PatternShape::Exact(l) => exact.push(leak(l)),
            PatternShape::Prefix(l) => prefix.push(leak(l)),
            PatternShape::Suffix(l) => suffix.push(leak(l)),
            PatternShape::Contains(l) => contains.push(l.to_owned()),
            PatternShape::Glob => globs.push(Glob::new(leak(p), ci)),
        }
    }
    let exact = Exact::new(Box::leak(exact.into_boxed_slice()), ci);
    let prefix = Prefix::new(Box::leak(prefix.into_boxed_slice()), ci);
    let suffix = Suffix::new(Box::leak(suffix.into_boxed_slice()), ci);
    let needles: Vec<&str> = contains.iter().map(|s| s.as_str()).collect();
    let contains = Contains::new(&needles, ci);
    exact.is_match(s)
        || prefix.is_match(s)
        || suffix.is_match(s)
        || contains.is_match(s)
        || globs.iter().any(|g| g.is_match(s))
}

fn reference(pats: &[String], ci: bool, s: &str) -> bool {
    pats.iter().any(|p| like(p, s, ci))
}

fn alpha_char() -> impl Strategy<Value = char> {
    prop::sample::select(ALPHABET)
}

/// A pattern: literal runs with `*` and `?` sprinkled in.
fn pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            6 => alpha_char(),
            2 => Just('*'),
            1 => Just('?'),
        ],
        0..7,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// A value derived from a pattern: wildcards filled, characters flipped to another case, and
/// sometimes cut or extended so that it almost matches.
fn value_near(pat: String) -> impl Strategy<Value = String> {
    let n = pat.chars().count();
    (
        prop::collection::vec(any::<u8>(), n + 1),
        prop::collection::vec(alpha_char(), 0..3),
        0..4u8,
    )
        .prop_map(move |(rolls, extra, mode)| {
            let mut out = String::new();
            for (c, r) in pat.chars().zip(&rolls) {
                let pick = ALPHABET[*r as usize % ALPHABET.len()];
                match c {
                    '*' => {
                        for e in extra.iter().take(*r as usize % 3) {
                            out.push(*e);
                        }
                    }
                    '?' => out.push(pick),
                    _ if r % 3 == 0 => out.push(alt_case(c)),
                    _ if r % 7 == 1 => out.extend(c.to_lowercase()),
                    _ if r % 7 == 2 => out.extend(c.to_uppercase()),
                    _ => out.push(c),
                }
            }
            match mode {
                0 => {
                    out.pop();
                }
                1 => out.extend(extra.iter()),
                2 => out.insert(0, extra.first().copied().unwrap_or('x')),
                _ => {}
            }
            out
        })
}

fn case() -> impl Strategy<Value = (Vec<String>, String, bool)> {
    (
        prop::collection::vec(pattern(), 1..4),
        any::<bool>(),
        any::<prop::sample::Index>(),
    )
        .prop_flat_map(|(pats, ci, idx)| {
            let base = pats[idx.index(pats.len())].clone();
            let random = prop::collection::vec(alpha_char(), 0..8)
                .prop_map(|v| v.into_iter().collect::<String>());
            let value = prop_oneof![3 => value_near(base), 1 => random];
            (Just(pats), value, Just(ci))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn prebuilt_sets_agree_with_like((pats, s, ci) in case()) {
        prop_assert_eq!(prebuilt(&pats, ci, &s), reference(&pats, ci, &s), "pats {:?} value {:?} ci {}", pats, s, ci);
    }

    #[test]
    fn glob_agrees_with_like_on_any_pattern((pats, s, ci) in case()) {
        for p in &pats {
            prop_assert_eq!(Glob::new(leak(p), ci).is_match(&s), like(p, &s, ci), "pat {:?} value {:?}", p, s);
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics(p in "\\PC{0,6}", s in "\\PC{0,12}", ci in any::<bool>()) {
        let pats = vec![p];
        prop_assert_eq!(prebuilt(&pats, ci, &s), reference(&pats, ci, &s));
    }

    #[test]
    fn case_sensitive_like_without_wildcards_is_equality(p in "[a-zA-Zé]{0,4}", s in "[a-zA-Zé]{0,4}") {
        prop_assert_eq!(like(&p, &s, false), p == s);
    }
}

#[test]
fn degenerate_patterns() {
    for s in ["", "a", "é", "ab", "日本"] {
        for (p, ci) in [
            ("*", false),
            ("**", true),
            ("?", false),
            ("", true),
            ("a*b*c", true),
            ("*a?", false),
        ] {
            let pats = vec![p.to_owned()];
            assert_eq!(prebuilt(&pats, ci, s), like(p, s, ci), "{p:?} on {s:?}");
        }
    }
    assert!(like("?", "é", false) && like("?", "日", true) && !like("??", "日", false));
    assert!(like("*", "", false) && !like("?", "", false) && like("", "", true));
}

#[test]
fn case_rule_is_asymmetric() {
    assert!(char_matches_ci('k', '\u{212A}'));
    assert!(!char_matches_ci('\u{212A}', 'k'));
    assert!(Exact::new(&["\u{212A}elvin"], true).is_match("kELVIN"));
    assert!(!Exact::new(&["kelvin"], true).is_match("\u{212A}elvin"));
    assert!(Prefix::new(&["straße"], true).is_match("STRAßE/x"));
    assert!(!Prefix::new(&["straße"], true).is_match("STRASSE/x"));
    assert!(Suffix::new(&["ΣΑΣ"], true).is_match("xσασ"));
    assert!(!Suffix::new(&["ΣΑΣ"], true).is_match("xσας"));
    assert!(Contains::new(&["İ"], true).is_match("xix"));
    assert!(!Contains::new(&["i"], true).is_match("xİx"));
}

#[test]
fn contains_variants() {
    let one_cs = Contains::new(&["169.254.169.254"], false);
    assert!(one_cs.is_match("curl http://169.254.169.254/latest/meta-data"));
    assert!(!one_cs.is_match("169.254.169.25"));
    let many_ci = Contains::new(&["Meta-Data", "token"], true);
    assert!(many_ci.is_match("GET /latest/META-DATA/"));
    assert!(many_ci.is_match("x-aws-ec2-metadata-TOKEN"));
    assert!(!many_ci.is_match("metadata"));
    let mixed = Contains::new(&["ÉTÉ", "abc"], true);
    assert!(mixed.is_match("un été"));
    assert!(mixed.is_match("xABCx"));
    assert!(!mixed.is_match("ete"));
    let none = Contains::new(&[], true);
    assert!(!none.is_match("anything"));
    let empty = Contains::new(&[""], false);
    assert!(empty.is_match(""));
}
