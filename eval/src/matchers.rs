//! The IR's matchers, built at load time with the constructors generated code uses in its
//! `static`s.

use std::sync::OnceLock;

use eql_ir::rule::{Matcher, MatcherKind};
use eql_runtime::matcher::{ip, Contains, Exact, Glob, Prefix, Regex, Suffix};

/// One matcher. Substring sets, regular expressions and CIDR blocks are built on first use,
/// as generated code builds them in a `LazyLock`: loading a thousand rules stays fast.
pub(crate) enum Built {
    Exact(Exact),
    Prefix(Prefix),
    Suffix(Suffix),
    /// Boxed: it owns search tables.
    Contains(Vec<String>, bool, Box<OnceLock<Contains>>),
    Glob(Glob),
    /// An invalid pattern matches nothing (lowering has already reported it).
    Regex(String, bool, OnceLock<Option<Regex>>),
    Cidr(Vec<String>, OnceLock<Vec<ip::Cidr>>),
}

/// The matchers take `&'static` pattern lists (they are `static`s in generated code). A loaded
/// rule lives as long as the process, or until a reload replaces it; its patterns are kept.
fn leak_list(pats: &[String]) -> &'static [&'static str] {
    let v: Vec<&'static str> = pats.iter().map(|p| crate::leak(p)).collect();
    Box::leak(v.into_boxed_slice())
}

impl Built {
    pub(crate) fn new(m: &Matcher) -> Built {
        let first = m.pats.first().map_or("", String::as_str);
        match m.kind {
            MatcherKind::Exact => Built::Exact(Exact::new(leak_list(&m.pats), m.ci)),
            MatcherKind::Prefix => Built::Prefix(Prefix::new(leak_list(&m.pats), m.ci)),
            MatcherKind::Suffix => Built::Suffix(Suffix::new(leak_list(&m.pats), m.ci)),
            MatcherKind::Contains => {
                Built::Contains(m.pats.clone(), m.ci, Box::new(OnceLock::new()))
            }
            MatcherKind::Glob => Built::Glob(Glob::new(crate::leak(first), m.ci)),
            MatcherKind::Regex => Built::Regex(first.to_owned(), m.ci, OnceLock::new()),
            MatcherKind::Cidr => Built::Cidr(m.pats.clone(), OnceLock::new()),
        }
    }

    #[inline]
    pub(crate) fn is_match(&self, s: &str) -> bool {
        match self {
            Built::Exact(m) => m.is_match(s),
            Built::Prefix(m) => m.is_match(s),
            Built::Suffix(m) => m.is_match(s),
            Built::Contains(pats, ci, m) => m
                .get_or_init(|| {
                    let pats: Vec<&str> = pats.iter().map(String::as_str).collect();
                    Contains::new(&pats, *ci)
                })
                .is_match(s),
            Built::Glob(m) => m.is_match(s),
            Built::Regex(pat, ci, m) => m
                .get_or_init(|| Regex::new(pat, *ci).ok())
                .as_ref()
                .is_some_and(|r| r.is_match(s)),
            Built::Cidr(pats, m) => ip::cidr_match(
                s,
                m.get_or_init(|| pats.iter().filter_map(|p| ip::Cidr::parse(p)).collect()),
            ),
        }
    }
}
