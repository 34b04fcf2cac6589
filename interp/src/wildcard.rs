//! Naive wildcard and case-insensitive equality, written to mirror Lucene rather than to be fast.
//!
//! Case-insensitive matching follows `AutomatonQueries.toCaseInsensitiveChar`: a data character `d`
//! matches a pattern character `p` when `d == p` or `d == alt(p)`, where `alt(p)` is the simple
//! uppercase of a lowercase `p` and the simple lowercase of anything else. A mapping to several
//! characters has no single-character form, so then `alt(p) = p`.

/// The other-case form of a pattern character, as Lucene computes it.
pub fn alt(p: char) -> char {
    let mapped = if p.is_lowercase() {
        single(p.to_uppercase())
    } else {
        single(p.to_lowercase())
    };
    mapped.unwrap_or(p)
}

fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    match (it.next(), it.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// Whether data character `d` matches pattern character `p`.
pub fn char_eq(d: char, p: char, insensitive: bool) -> bool {
    d == p || (insensitive && d == alt(p))
}

/// Whole-string equality, optionally case-insensitive in Lucene's sense (the pattern is `pat`).
pub fn str_eq(data: &str, pat: &str, insensitive: bool) -> bool {
    if !insensitive {
        return data == pat;
    }
    let d: Vec<char> = data.chars().collect();
    let p: Vec<char> = pat.chars().collect();
    d.len() == p.len() && d.iter().zip(&p).all(|(&a, &b)| char_eq(a, b, true))
}

/// Whether `data` matches the wildcard pattern `pat` as a whole: `*` is any run of code points,
/// `?` exactly one, every other character (backslash included) is literal.
pub fn matches(data: &str, pat: &str, insensitive: bool) -> bool {
    let d: Vec<char> = data.chars().collect();
    let p: Vec<char> = pat.chars().collect();
    // can[j] = the data prefix seen so far can be matched by pattern prefix p[..j].
    let mut can = vec![false; p.len() + 1];
    can[0] = true;
    for j in 0..p.len() {
        can[j + 1] = can[j] && p[j] == '*';
    }
    for &dc in &d {
        let mut next = vec![false; p.len() + 1];
        for j in 0..p.len() {
            next[j + 1] = match p[j] {
                // `*` either absorbs this character (stay at j+1) or is already satisfied.
                '*' => can[j + 1] || next[j],
                '?' => can[j],
                pc => can[j] && char_eq(dc, pc, insensitive),
            };
        }
        can = next;
    }
    can[p.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches("curl", "curl", false));
        assert!(!matches("Curl", "curl", false));
        assert!(matches("Curl", "curl", true));
        assert!(matches("python3.11", "python*", false));
        assert!(matches("docs", "doc?", false));
        assert!(!matches("doc", "doc?", false));
        assert!(matches("", "*", false));
        assert!(!matches("", "?", false));
        assert!(!matches("a*b", "a\\*b", false));
        assert!(matches("a\\xb", "a\\*b", false));
        assert!(matches("x 169.254.169.254 y", "*169.254.169.254*", false));
        assert!(matches("é", "?", false));
        assert!(matches("abcabd", "*ab?", false));
        assert!(!matches("abcabe", "*abd", false));
    }

    #[test]
    fn lucene_case_rule() {
        assert!(str_eq("ABC", "abc", true));
        assert!(str_eq("abc", "ABC", true));
        assert!(!str_eq("abc", "ABD", true));
        // 'ß' uppercases to "SS": no single-character alternative, so only itself matches.
        assert!(str_eq("ß", "ß", true));
        assert!(!str_eq("SS", "ß", true));
        assert!(str_eq("É", "é", true));
    }
}
