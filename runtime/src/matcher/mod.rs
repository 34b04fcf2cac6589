//! String matchers for the EQL comparison operators, with Elasticsearch's semantics.
//!
//! Compiled rules call these for `:`, `like`, `like~`, `in`, `in~`, `regex`, `regex~`,
//! `cidrMatch` and IP equality. Each operation comes twice, as in `memchr`: a one-shot,
//! obviously correct function ([`like`]) that tests and interpreters use, and prebuilt
//! matchers ([`Exact`], [`Prefix`], [`Suffix`], [`Contains`], [`Glob`]) that the compiler
//! picks by the shape of each pattern ([`shape`]).
//!
//! # Case folding
//!
//! Case-insensitive operators (`:`, `like~`, `in~`) run in Lucene as automata built by
//! Elasticsearch's `AutomatonQueries.toCaseInsensitiveChar`: a data character `d` matches a
//! pattern character `p` iff `d == p` or `d == alt_case(p)` (see [`alt_case`]). This is not
//! symmetric and is not Unicode case folding: pattern `k` does not match the Kelvin sign
//! `K` (U+212A), but pattern `K` matches `k`.
//!
//! A pattern character that is ASCII only ever matches ASCII data characters, so for
//! patterns made of ASCII (or caseless) characters the byte-wise `eq_ignore_ascii_case` is
//! exact; the prebuilt matchers use it there.
//!
//! # Wildcards
//!
//! `*` matches any run of code points (including none), `?` exactly one code point. There is
//! no escape: Elasticsearch converts EQL patterns with an unprintable escape character, so a
//! backslash is an ordinary character.
//!
//! # Example
//!
//! ```
//! use eql_runtime::matcher::{like, Prefix, Suffix};
//!
//! static TMP: Prefix = Prefix::new(&["/tmp/", "/var/tmp/"], false);
//! static EXE: Suffix = Suffix::new(&[".exe"], true);
//! assert!(TMP.is_match("/tmp/x"));
//! assert!(EXE.is_match("CMD.EXE"));
//! assert!(like("c?d.*", "CMD.EXE", true));
//! ```

pub mod ip;
pub mod lucene;

pub use lucene::{translate_lucene_regex, Regex};

use aho_corasick::AhoCorasick;
use memchr::memmem;

/// The other case of a pattern character, as Elasticsearch's `toCaseInsensitiveChar`
/// computes it with Java's simple (one code point) case mappings: the upper case of a lower
/// case character, otherwise the lower case; the character itself when it has none.
///
/// Rust's `to_uppercase`/`to_lowercase` use the full mappings. Where those yield several
/// characters, Java's simple mapping is the identity except for the few characters listed in
/// `simple_case_exception` (a private table), which this function honours.
pub fn alt_case(p: char) -> char {
    if p.is_ascii() {
        // Hot path; ASCII maps to ASCII.
        return if p.is_ascii_lowercase() {
            p.to_ascii_uppercase()
        } else {
            p.to_ascii_lowercase()
        };
    }
    let lower = p.is_lowercase();
    let mapped = if lower {
        single(p.to_uppercase())
    } else {
        single(p.to_lowercase())
    };
    match mapped {
        Some(c) => c,
        None => simple_case_exception(p, lower).unwrap_or(p),
    }
}

/// The one character of a case mapping, or `None` when it has several.
fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    match it.next() {
        None => Some(c),
        Some(_) => None,
    }
}

/// Java's simple case mapping for the characters whose full mapping (Rust's) has several
/// characters but whose simple mapping (UnicodeData.txt) is another single character.
///
/// For all other characters with a multi-character full mapping (`ß`, `ŉ`, `ǰ`, `ﬁ`, …)
/// the simple mapping is the identity.
fn simple_case_exception(p: char, lower: bool) -> Option<char> {
    let cp = p as u32;
    if !lower {
        // U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE: full lower "i\u{307}", simple "i".
        return (cp == 0x130).then_some('i');
    }
    let up = match cp {
        // Greek with ypogegrammeni: simple upper is the titlecase form (+8).
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => cp + 8,
        0x1FB3 => 0x1FBC,
        0x1FC3 => 0x1FCC,
        0x1FF3 => 0x1FFC,
        _ => return None,
    };
    char::from_u32(up)
}

/// Whether data character `data` matches pattern character `pat` case-insensitively, as
/// Elasticsearch's case-insensitive term/wildcard queries decide it: `data == pat` or
/// `data == alt_case(pat)`.
#[inline]
pub fn char_matches_ci(data: char, pat: char) -> bool {
    data == pat || data == alt_case(pat)
}

/// Whether a pattern character is matched exactly by ASCII case-insensitive byte comparison:
/// ASCII characters, and characters without another case.
fn byte_foldable(p: char) -> bool {
    p.is_ascii() || alt_case(p) == p
}

/// Whether comparing `pat` case-insensitively can be done with `eq_ignore_ascii_case`.
fn str_byte_foldable(pat: &str) -> bool {
    pat.is_ascii() || pat.chars().all(byte_foldable)
}

/// Case-insensitive equality of a whole data string with a whole pattern literal.
fn eq_ci(data: &str, pat: &str) -> bool {
    let mut d = data.chars();
    for p in pat.chars() {
        match d.next() {
            Some(c) if char_matches_ci(c, p) => {}
            _ => return false,
        }
    }
    d.next().is_none()
}

/// If `data` starts with `pat` case-insensitively, the byte length of the matched data prefix.
fn strip_prefix_ci(data: &str, pat: &str) -> Option<usize> {
    let mut d = data.char_indices();
    for p in pat.chars() {
        match d.next() {
            Some((_, c)) if char_matches_ci(c, p) => {}
            _ => return None,
        }
    }
    Some(d.next().map_or(data.len(), |(i, _)| i))
}

/// Whether `data` ends with `pat` case-insensitively.
fn ends_with_ci(data: &str, pat: &str) -> bool {
    let mut d = data.chars().rev();
    pat.chars()
        .rev()
        .all(|p| d.next().is_some_and(|c| char_matches_ci(c, p)))
}

/// Whether `pat` contains only ASCII bytes (usable in `const fn`).
const fn const_is_ascii(pat: &str) -> bool {
    let b = pat.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] >= 0x80 {
            return false;
        }
        i += 1;
    }
    true
}

/// Facts about a literal set computed at compile time for the `const` constructors.
#[derive(Clone, Copy, Debug)]
struct SetInfo {
    /// Every literal is ASCII.
    ascii: bool,
    /// The literals are in strictly ascending byte order, and none has an ASCII capital: a
    /// long set is then binary-searched (the compiler emits sets this way).
    sorted_lower: bool,
    /// Shortest literal, in bytes.
    min_len: usize,
    /// Longest literal, in bytes.
    max_len: usize,
}

impl SetInfo {
    const fn of(pats: &[&str]) -> SetInfo {
        let mut info = SetInfo {
            ascii: true,
            sorted_lower: true,
            min_len: usize::MAX,
            max_len: 0,
        };
        let mut i = 0;
        while i < pats.len() {
            if i > 0 && !const_less(pats[i - 1].as_bytes(), pats[i].as_bytes()) {
                info.sorted_lower = false;
            }
            let mut j = 0;
            while j < pats[i].len() {
                if pats[i].as_bytes()[j].is_ascii_uppercase() {
                    info.sorted_lower = false;
                }
                j += 1;
            }
            let n = pats[i].len();
            if n < info.min_len {
                info.min_len = n;
            }
            if n > info.max_len {
                info.max_len = n;
            }
            if !const_is_ascii(pats[i]) {
                info.ascii = false;
            }
            i += 1;
        }
        info
    }

    /// Whether a binary search finds `s` (lower-cased first when `ci`): the set is sorted and
    /// lower case, large enough for it to pay, of literals short enough to lower-case `s` on
    /// the stack, and (when `ci`) ASCII.
    const fn searchable(&self, len: usize, ci: bool) -> bool {
        self.sorted_lower && len > 8 && self.max_len <= 64 && (!ci || self.ascii)
    }

    /// Whether byte lengths of data and pattern must relate as they do for ASCII patterns.
    /// Case-insensitive non-ASCII patterns can match data of another byte length
    /// (pattern `K` (3 bytes) matches `k` (1 byte)).
    const fn byte_exact(&self, ci: bool) -> bool {
        self.ascii || !ci
    }
}

/// A set of literal strings matched against the whole value: `==`, `in`, `in~`, and `:`/`like`
/// patterns without wildcards.
///
/// ```
/// use eql_runtime::matcher::Exact;
/// static NAMES: Exact = Exact::new(&["curl", "wget"], true);
/// assert!(NAMES.is_match("CURL"));
/// assert!(!NAMES.is_match("curl2"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Exact {
    pats: &'static [&'static str],
    ci: bool,
    info: SetInfo,
}

impl Exact {
    /// A matcher for any of `pats`, case-insensitive when `ci`.
    pub const fn new(pats: &'static [&'static str], ci: bool) -> Exact {
        Exact {
            pats,
            ci,
            info: SetInfo::of(pats),
        }
    }

    /// Whether `s` equals one of the literals.
    pub fn is_match(&self, s: &str) -> bool {
        let n = s.len();
        if self.info.byte_exact(self.ci) && (n < self.info.min_len || n > self.info.max_len) {
            return false;
        }
        if self.info.searchable(self.pats.len(), self.ci) {
            if !self.ci {
                return self.pats.binary_search(&s).is_ok();
            }
            // ASCII literals: `s` matches only if its ASCII-lower-cased bytes are one of them.
            let mut buf = [0u8; 64];
            let Some(lower) = buf.get_mut(..n) else {
                return false;
            };
            lower.copy_from_slice(s.as_bytes());
            lower.make_ascii_lowercase();
            return self
                .pats
                .binary_search_by(|p| p.as_bytes().cmp(lower))
                .is_ok();
        }
        if !self.ci {
            return self.pats.contains(&s);
        }
        if self.info.ascii {
            return self
                .pats
                .iter()
                .any(|p| p.len() == n && p.as_bytes().eq_ignore_ascii_case(s.as_bytes()));
        }
        self.pats.iter().any(|p| {
            if p.is_ascii() {
                p.len() == n && p.as_bytes().eq_ignore_ascii_case(s.as_bytes())
            } else {
                eq_ci(s, p)
            }
        })
    }
}

/// `a < b`, bytewise (for const set checks).
const fn const_less(a: &[u8], b: &[u8]) -> bool {
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

/// A set of prefixes: patterns `lit*`. `pats` are the literals without the `*`.
///
/// ```
/// use eql_runtime::matcher::Prefix;
/// static M: Prefix = Prefix::new(&["python", "perl"], true);
/// assert!(M.is_match("Python3.11"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Prefix {
    pats: &'static [&'static str],
    ci: bool,
    info: SetInfo,
}

impl Prefix {
    /// A matcher for values starting with any of `pats`, case-insensitive when `ci`.
    pub const fn new(pats: &'static [&'static str], ci: bool) -> Prefix {
        Prefix {
            pats,
            ci,
            info: SetInfo::of(pats),
        }
    }

    /// Whether `s` starts with one of the literals.
    pub fn is_match(&self, s: &str) -> bool {
        if self.info.byte_exact(self.ci) && s.len() < self.info.min_len {
            return false;
        }
        let b = s.as_bytes();
        self.pats.iter().any(|p| {
            if !self.ci {
                b.starts_with(p.as_bytes())
            } else if p.is_ascii() {
                b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            } else {
                strip_prefix_ci(s, p).is_some()
            }
        })
    }
}

/// A set of suffixes: patterns `*lit`. `pats` are the literals without the `*`.
///
/// ```
/// use eql_runtime::matcher::Suffix;
/// static M: Suffix = Suffix::new(&[".exe", ".dll"], true);
/// assert!(M.is_match("C:\\X.DLL"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Suffix {
    pats: &'static [&'static str],
    ci: bool,
    info: SetInfo,
}

impl Suffix {
    /// A matcher for values ending with any of `pats`, case-insensitive when `ci`.
    pub const fn new(pats: &'static [&'static str], ci: bool) -> Suffix {
        Suffix {
            pats,
            ci,
            info: SetInfo::of(pats),
        }
    }

    /// Whether `s` ends with one of the literals.
    pub fn is_match(&self, s: &str) -> bool {
        if self.info.byte_exact(self.ci) && s.len() < self.info.min_len {
            return false;
        }
        let b = s.as_bytes();
        self.pats.iter().any(|p| {
            if !self.ci {
                b.ends_with(p.as_bytes())
            } else if p.is_ascii() {
                // An ASCII byte never equals a UTF-8 continuation byte, so a cut inside a
                // multi-byte character cannot match.
                b.len() >= p.len() && b[b.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes())
            } else {
                ends_with_ci(s, p)
            }
        })
    }
}

/// How a [`Contains`] searches.
// One instance per pattern set, built once into a static: inline beats a pointer chase.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Searcher {
    /// One needle compared byte for byte.
    One(memmem::Finder<'static>),
    /// Several needles, or ASCII case-insensitive ones.
    Many(AhoCorasick),
    /// Nothing can match (no needles).
    Never,
}

/// A set of substrings: patterns `*lit*`. `pats` are the literals without the `*`s.
///
/// Built once at run time (it owns searcher tables), typically in a `LazyLock`:
///
/// ```
/// use std::sync::LazyLock;
/// use eql_runtime::matcher::Contains;
/// static M: LazyLock<Contains> = LazyLock::new(|| Contains::new(&["169.254.169.254"], false));
/// assert!(M.is_match("curl http://169.254.169.254/latest"));
/// ```
#[derive(Debug)]
pub struct Contains {
    /// Searcher for the needles that bytes can decide.
    fast: Searcher,
    /// Needles searched char-wise: case-insensitive ones with cased non-ASCII characters
    /// (byte folding would be wrong), or all of them if a searcher could not be built.
    slow: Vec<Box<str>>,
    ci: bool,
}

impl Contains {
    /// A matcher for values containing any of `pats`, case-insensitive when `ci`.
    pub fn new(pats: &[&str], ci: bool) -> Contains {
        let (byte_pats, slow): (Vec<&str>, Vec<&str>) = if ci {
            pats.iter().partition(|p| str_byte_foldable(p))
        } else {
            (pats.to_vec(), Vec::new())
        };
        let caseless = |p: &str| p.chars().all(|c| alt_case(c) == c);
        let boxed = |v: &[&str]| v.iter().map(|p| Box::from(*p)).collect::<Vec<_>>();
        let fast = match byte_pats.as_slice() {
            [] => Searcher::Never,
            [one] if !ci || caseless(one) => {
                Searcher::One(memmem::Finder::new(one.as_bytes()).into_owned())
            }
            many => match AhoCorasick::builder()
                .ascii_case_insensitive(ci)
                .build(many)
            {
                Ok(ac) => Searcher::Many(ac),
                // Building fails only past size limits; the char-wise search stays correct.
                Err(_) => {
                    return Contains {
                        fast: Searcher::Never,
                        slow: boxed(pats),
                        ci,
                    }
                }
            },
        };
        Contains {
            fast,
            slow: boxed(&slow),
            ci,
        }
    }

    /// Whether `s` contains one of the literals.
    pub fn is_match(&self, s: &str) -> bool {
        let hit = match &self.fast {
            Searcher::One(f) => f.find(s.as_bytes()).is_some(),
            Searcher::Many(ac) => ac.is_match(s),
            Searcher::Never => false,
        };
        hit || self.slow.iter().any(|p| {
            if self.ci {
                contains_ci(s, p)
            } else {
                s.contains(&**p)
            }
        })
    }
}

/// Char-wise case-insensitive substring search.
fn contains_ci(s: &str, pat: &str) -> bool {
    if pat.is_empty() {
        return true;
    }
    s.char_indices()
        .any(|(i, _)| strip_prefix_ci(&s[i..], pat).is_some())
}

/// A general wildcard pattern with `*` and `?`, matched without allocation.
///
/// ```
/// use eql_runtime::matcher::Glob;
/// static M: Glob = Glob::new("/etc/rc*.d/*", false);
/// assert!(M.is_match("/etc/rc3.d/S01x"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Glob {
    pat: &'static str,
    ci: bool,
}

impl Glob {
    /// A matcher for `pat`, case-insensitive when `ci`.
    pub const fn new(pat: &'static str, ci: bool) -> Glob {
        Glob { pat, ci }
    }

    /// Whether the whole of `s` matches the pattern.
    pub fn is_match(&self, s: &str) -> bool {
        glob_match(self.pat, s, self.ci)
    }
}

/// Two-pointer wildcard match with backtracking to the last `*`: O(|p|·|s|) worst case,
/// linear for the usual patterns.
fn glob_match(pat: &str, s: &str, ci: bool) -> bool {
    let (p, d) = (pat.as_bytes(), s.as_bytes());
    let (mut pi, mut si) = (0usize, 0usize);
    // Position after the last `*` in the pattern, and the data position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            let pc = char_at(pat, pi);
            if pc == '*' {
                pi += 1;
                star = Some((pi, si));
                continue;
            }
            if si < d.len() {
                let sc = char_at(s, si);
                let ok = pc == '?'
                    || if ci {
                        char_matches_ci(sc, pc)
                    } else {
                        sc == pc
                    };
                if ok {
                    pi += pc.len_utf8();
                    si += sc.len_utf8();
                    continue;
                }
            }
        } else if si == d.len() {
            return true;
        }
        match star {
            Some((sp, ss)) if ss < d.len() => {
                let next = ss + char_at(s, ss).len_utf8();
                star = Some((sp, next));
                pi = sp;
                si = next;
            }
            _ => return false,
        }
    }
}

/// The character starting at byte `i` of `s` (`i` is always a char boundary here).
#[inline]
fn char_at(s: &str, i: usize) -> char {
    s.get(i..)
        .and_then(|t| t.chars().next())
        .unwrap_or('\u{FFFD}')
}

/// Whether the whole of `s` matches wildcard `pattern` (`*`, `?`, no escape),
/// case-insensitively when `ci`.
///
/// The reference implementation: a dynamic program over code points, allocating two rows.
/// Prebuilt matchers are tested against it.
///
/// ```
/// use eql_runtime::matcher::like;
/// assert!(like("D*C", "DisC", false));
/// assert!(!like("D*C", "disc", false));
/// assert!(like("doc?", "DOCS", true));
/// assert!(!like("doc?", "doc", true));
/// ```
pub fn like(pattern: &str, s: &str, ci: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let d: Vec<char> = s.chars().collect();
    // row[j]: p[..i] matches d[..j].
    let mut row = vec![false; d.len() + 1];
    row[0] = true;
    for &pc in &p {
        let mut next = vec![false; d.len() + 1];
        if pc == '*' {
            let mut any = false;
            for j in 0..=d.len() {
                any |= row[j];
                next[j] = any;
            }
        } else {
            for j in 1..=d.len() {
                let dc = d[j - 1];
                let ok = pc == '?' || dc == pc || (ci && char_matches_ci(dc, pc));
                next[j] = row[j - 1] && ok;
            }
        }
        row = next;
    }
    row[d.len()]
}

/// The cheapest matcher for a wildcard pattern, by its shape.
///
/// The rules (the compiler mirrors them; keep both in step):
/// 1. no `*` and no `?` → [`PatternShape::Exact`] (the pattern itself);
/// 2. exactly `*` → `Prefix("")` (any value);
/// 3. `*lit*` (at least two characters, `lit` without `*`/`?`) → `Contains(lit)`
///    (so `**` is `Contains("")`);
/// 4. `lit*` (`lit` without `*`/`?`) → `Prefix(lit)`;
/// 5. `*lit` (`lit` without `*`/`?`) → `Suffix(lit)`;
/// 6. anything else → [`PatternShape::Glob`].
///
/// ```
/// use eql_runtime::matcher::{shape, PatternShape};
/// assert_eq!(shape("/tmp/*"), PatternShape::Prefix("/tmp/"));
/// assert_eq!(shape("*169.254.169.254*"), PatternShape::Contains("169.254.169.254"));
/// assert_eq!(shape("/etc/rc*.d/*"), PatternShape::Glob);
/// ```
pub fn shape(pattern: &str) -> PatternShape<'_> {
    let wild = |s: &str| s.contains(['*', '?']);
    if !wild(pattern) {
        return PatternShape::Exact(pattern);
    }
    if pattern == "*" {
        return PatternShape::Prefix("");
    }
    if let Some(mid) = pattern.strip_prefix('*').and_then(|t| t.strip_suffix('*')) {
        if !wild(mid) {
            return PatternShape::Contains(mid);
        }
    }
    if let Some(lit) = pattern.strip_suffix('*') {
        if !wild(lit) {
            return PatternShape::Prefix(lit);
        }
    }
    if let Some(lit) = pattern.strip_prefix('*') {
        if !wild(lit) {
            return PatternShape::Suffix(lit);
        }
    }
    PatternShape::Glob
}

/// The shape of a wildcard pattern; see [`shape`]. Literals borrow from the pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternShape<'a> {
    /// No wildcard: the value must equal the literal.
    Exact(&'a str),
    /// `lit*`: the value must start with the literal.
    Prefix(&'a str),
    /// `*lit`: the value must end with the literal.
    Suffix(&'a str),
    /// `*lit*`: the value must contain the literal.
    Contains(&'a str),
    /// Anything else: use [`Glob`].
    Glob,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long sorted lower-case set is binary-searched; it answers as the scan would.
    #[test]
    fn long_sets_are_searched_as_scanned() {
        const SORTED: &[&str] = &[
            "awk", "base64", "busybox", "cat", "curl", "dd", "gdb", "nc", "perl", "python", "wget",
            "xxd",
        ];
        const UNSORTED: &[&str] = &[
            "xxd", "awk", "base64", "busybox", "cat", "curl", "dd", "gdb", "nc", "perl", "python",
            "wget",
        ];
        for ci in [false, true] {
            let fast = Exact::new(SORTED, ci);
            let slow = Exact::new(UNSORTED, ci);
            assert!(fast.info.searchable(SORTED.len(), ci));
            assert!(!slow.info.searchable(UNSORTED.len(), ci));
            for s in [
                "curl", "CURL", "Curl", "xxd", "awk", "aw", "awkk", "", "cürl", "pythoN",
            ] {
                assert_eq!(fast.is_match(s), slow.is_match(s), "{s} ci={ci}");
            }
            assert_eq!(fast.is_match("CURL"), ci);
        }
        // A capital letter keeps a set off the search (it would be found only as written).
        let upper = Exact::new(&["A", "b", "c", "d", "e", "f", "g", "h", "i", "j"], true);
        assert!(upper.is_match("a"));
    }

    /// Wildcard and case-folding edge cases: (pattern, value, ci, expected).
    const SEEDS: &[(&str, &str, bool, bool)] = &[
        ("", "", false, true),
        ("", "a", false, false),
        ("*", "", false, true),
        ("**", "", true, true),
        ("?", "", false, false),
        ("?", "é", false, true),
        ("?", "ab", false, false),
        ("a*b*c", "aXbYc", false, true),
        ("a*b*c", "aXbYcZ", false, false),
        ("*a?", "xaé", false, true),
        ("*a?", "xa", false, false),
        ("É", "é", true, true),
        ("é", "É", true, true),
        ("é", "É", false, false),
        ("σ", "Σ", true, true),
        ("Σ", "ς", true, false),
        ("ς", "Σ", true, true),
        ("k", "\u{212A}", true, false),
        ("\u{212A}", "k", true, true),
        ("\u{212A}", "K", true, false),
        ("ß", "SS", true, false),
        ("ß", "ẞ", true, false),
        ("ẞ", "ß", true, true),
        ("İ", "i", true, true),
        ("i", "İ", true, false),
        ("a\\b", "a\\b", false, true),
        ("a\\*", "a\\xyz", false, true),
        ("D*C", "DisC", false, true),
        ("D*C", "disc", false, false),
        ("doc?", "docs", true, true),
        ("doc?", "doc", true, false),
    ];

    #[test]
    fn seeds_like_and_glob() {
        for &(p, s, ci, want) in SEEDS {
            assert_eq!(like(p, s, ci), want, "like({p:?}, {s:?}, {ci})");
            assert_eq!(glob_match(p, s, ci), want, "glob({p:?}, {s:?}, {ci})");
        }
    }

    #[test]
    fn alt_case_simple_mappings() {
        assert_eq!(alt_case('a'), 'A');
        assert_eq!(alt_case('A'), 'a');
        assert_eq!(alt_case('1'), '1');
        assert_eq!(alt_case('ß'), 'ß');
        assert_eq!(alt_case('İ'), 'i');
        assert_eq!(alt_case('\u{212A}'), 'k');
        assert_eq!(alt_case('ς'), 'Σ');
        assert_eq!(alt_case('\u{1F80}'), '\u{1F88}');
        assert_eq!(alt_case('\u{1F88}'), '\u{1F80}');
        assert_eq!(alt_case('ﬁ'), 'ﬁ');
    }

    #[test]
    fn shapes() {
        assert_eq!(shape("abc"), PatternShape::Exact("abc"));
        assert_eq!(shape(""), PatternShape::Exact(""));
        assert_eq!(shape("*"), PatternShape::Prefix(""));
        assert_eq!(shape("**"), PatternShape::Contains(""));
        assert_eq!(shape("ab*"), PatternShape::Prefix("ab"));
        assert_eq!(shape("*ab"), PatternShape::Suffix("ab"));
        assert_eq!(shape("*ab*"), PatternShape::Contains("ab"));
        assert_eq!(shape("a?"), PatternShape::Glob);
        assert_eq!(shape("*a*b*"), PatternShape::Glob);
        assert_eq!(shape("a**"), PatternShape::Glob);
        assert_eq!(shape("**a"), PatternShape::Glob);
    }
}
