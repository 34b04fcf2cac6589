//! The functions Elasticsearch EQL knows (function reference, eql-semantics.md §1.7).

pub use eql_ir::Func;

/// Looks a function up by name. Elasticsearch resolves function names case-insensitively (its
/// function registry normalises them), and the rule corpus relies on it: `cidrmatch`,
/// `startswith~`, `endswith` all occur. `name` is given without `~`.
pub fn lookup(name: &str) -> Option<Func> {
    Func::from_name(name)
}

/// The closest known name, for "did you mean" (edit distance ≤ 2, case ignored).
pub fn suggest(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    Func::ALL
        .iter()
        .map(|f| (distance(&lower, &f.name().to_ascii_lowercase()), f.name()))
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
        assert_eq!(lookup("cidrmatch").map(Func::name), Some("cidrMatch"));
        assert_eq!(lookup("STARTSWITH").map(Func::name), Some("startsWith"));
        assert!(lookup("wildcard").is_none());
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("startWith"), Some("startsWith"));
        assert_eq!(suggest("lenght"), Some("length"));
        assert_eq!(suggest("arrayContains"), None);
    }
}
