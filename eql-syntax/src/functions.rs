//! The functions Elasticsearch EQL knows (function reference, eql-semantics.md §1.7).

/// One built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Function {
    /// The documented spelling (`startsWith`).
    pub name: &'static str,
    /// Fewest arguments.
    pub min_args: usize,
    /// Most arguments (`None`: variadic).
    pub max_args: Option<usize>,
    /// Whether a `name~(…)` case-insensitive variant exists.
    pub has_insensitive: bool,
}

const fn f(name: &'static str, min: usize, max: Option<usize>, ci: bool) -> Function {
    Function {
        name,
        min_args: min,
        max_args: max,
        has_insensitive: ci,
    }
}

/// Every Elasticsearch EQL function, in alphabetical order.
pub const FUNCTIONS: &[Function] = &[
    f("add", 2, Some(2), false),
    f("between", 3, Some(4), true),
    f("cidrMatch", 2, None, false),
    f("concat", 1, None, false),
    f("divide", 2, Some(2), false),
    f("endsWith", 2, Some(2), true),
    f("indexOf", 2, Some(3), true),
    f("length", 1, Some(1), false),
    f("modulo", 2, Some(2), false),
    f("multiply", 2, Some(2), false),
    f("number", 1, Some(2), false),
    f("startsWith", 2, Some(2), true),
    f("string", 1, Some(1), false),
    f("stringContains", 2, Some(2), true),
    f("substring", 2, Some(3), false),
    f("subtract", 2, Some(2), false),
];

/// Looks a function up by name. Elasticsearch resolves function names case-insensitively (its
/// function registry normalises them), and the rule corpus relies on it: `cidrmatch`,
/// `startswith~`, `endswith` all occur. `name` is given without `~`.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// The closest known name, for "did you mean" (edit distance ≤ 2, case ignored).
pub fn suggest(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    FUNCTIONS
        .iter()
        .map(|f| (distance(&lower, &f.name.to_ascii_lowercase()), f.name))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance over chars, bounded work for hostile lengths.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(lookup("cidrmatch").map(|f| f.name), Some("cidrMatch"));
        assert_eq!(lookup("STARTSWITH").map(|f| f.name), Some("startsWith"));
        assert!(lookup("wildcard").is_none());
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("startWith"), Some("startsWith"));
        assert_eq!(suggest("lenght"), Some("length"));
        assert_eq!(suggest("arrayContains"), None);
    }
}
