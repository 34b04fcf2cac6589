//! A literal prefilter over raw lines: most lines are decided without decoding them.
//!
//! The compiler knows, for every stage of a rule, text that must appear in the raw JSON of any
//! event the stage can match: `"curl"` (with the quotes) for an exact value, `"python` for a prefix,
//! `169.254.169.254` for `*169.254.169.254*`, and so on (see `Rule::literals`). A line that contains
//! none of the literals of any stage of any rule cannot match and is not decoded.
//!
//! Soundness rests on one observation: a JSON string without backslashes is its value verbatim.
//! Escapes (`c\u0075rl`, `\/tmp\/x`) are the only way a value can differ from its raw text, so a
//! line containing any backslash is always decoded. Matching is ASCII case-insensitive for every
//! literal, a superset of both `==` and `:` (the compiler gives no literal for a case-insensitive
//! pattern with non-ASCII letters, whose Unicode case alternatives ASCII folding would miss).

use aho_corasick::{AhoCorasick, MatchKind};

/// The union of every rule's literals.
#[derive(Debug, Clone)]
pub struct Prefilter {
    automaton: AhoCorasick,
    literals: usize,
}

impl Prefilter {
    /// A prefilter over these literal sets, or `None` when some rule gives no literals (then every
    /// line must be decoded) or a literal is empty.
    pub fn new<'a>(sets: impl IntoIterator<Item = Option<&'a [&'a str]>>) -> Option<Prefilter> {
        let mut all: Vec<&str> = Vec::new();
        for set in sets {
            let set = set?;
            if set.iter().any(|l| l.is_empty()) {
                return None;
            }
            all.extend_from_slice(set);
        }
        if all.is_empty() {
            return None;
        }
        all.sort_unstable();
        all.dedup();
        // The automaton kind is left to aho-corasick: a full DFA over many case-insensitive
        // literals takes longer to build than a short run spends scanning.
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(&all)
            .ok()?;
        Some(Prefilter {
            automaton,
            literals: all.len(),
        })
    }

    /// Whether the line must be decoded: it has a backslash, or one of the literals.
    #[inline]
    pub fn may_match(&self, line: &[u8]) -> bool {
        memchr::memchr(b'\\', line).is_some() || self.automaton.is_match(line)
    }

    /// How many distinct literals the prefilter searches for.
    pub fn len(&self) -> usize {
        self.literals
    }

    /// Whether there are no literals (never true for a built prefilter).
    pub fn is_empty(&self) -> bool {
        self.literals == 0
    }
}

#[cfg(test)]
mod tests {
    use super::Prefilter;

    #[test]
    fn any_rule_without_literals_disables_it() {
        let a: &[&str] = &["\"curl\""];
        assert!(Prefilter::new([Some(a), None]).is_none());
        assert!(Prefilter::new([Some(a)]).is_some());
    }

    #[test]
    fn literals_match_ascii_case_insensitively_and_escapes_always_pass() {
        let a: &[&str] = &["\"curl\"", "169.254.169.254"];
        let p = Prefilter::new([Some(a)]).expect("built");
        assert!(p.may_match(br#"{"process":{"name":"CURL"}}"#));
        assert!(p.may_match(br#"{"destination":{"ip":"169.254.169.254"}}"#));
        assert!(!p.may_match(br#"{"process":{"name":"curly"}}"#));
        assert!(p.may_match(br#"{"process":{"name":"c\u0075rl"}}"#));
        assert!(!p.may_match(b""));
    }
}
