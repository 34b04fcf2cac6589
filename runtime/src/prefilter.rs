//! A literal prefilter over raw lines: most lines are decided without decoding them.
//!
//! The compiler knows, for every stage of a rule, what text the raw JSON of any event the stage
//! can match must contain, as a [`Requirement`]: any of several terms, each needing one literal
//! of every group. For the IMDS rule's network stage that is one term,
//! `"network" ∧ "linux" ∧ "connection_attempted" ∧ (169.254.169.254" ∨ ffff:)`. A line that
//! satisfies no term of any rule cannot match and is not decoded.
//!
//! With many rules the same pass also says *which* rules a line may match
//! ([`Prefilter::candidates`]): a rule none of whose terms holds is not evaluated. A rule
//! without a requirement is a candidate for every line.
//!
//! Soundness rests on one observation: a JSON string without backslashes is its value verbatim.
//! Escapes (`c\u0075rl`, `\/tmp\/x`) are the only way a value can differ from its raw text, so a
//! line containing any backslash is always decoded. Matching is ASCII case-insensitive for every
//! literal, a superset of both `==` and `:` (the compiler gives no literal for a case-insensitive
//! pattern with non-ASCII letters, whose Unicode case alternatives ASCII folding would miss).
//!
//! A literal marked as a [`Lit::value`] lies inside a string *value*: an occurrence only counts
//! when the string it sits in is not followed by a colon (which would make it an object key).
//! That is what lets `"process"` (the category) tell a process event from any event that merely
//! has a `"process": {…}` object.
//!
//! The search lower-cases the line into scratch space and runs Teddy (SIMD, from aho-corasick's
//! `packed` module) over the lower-cased literals; past 64 distinct literals it runs an ASCII
//! case-insensitive Aho-Corasick automaton over the line itself.

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, Input, MatchKind};

/// One literal of a [`Requirement`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lit {
    /// The text, matched ASCII case-insensitively.
    pub text: &'static str,
    /// Whether the occurrence must lie in a string value rather than an object key.
    pub value: bool,
    /// For a value: the last segment of the field it must belong to (`name` for
    /// `process.name`). The value then counts only under a key equal to it or ending in
    /// `.` and it, directly or as an element of an array.
    pub key: Option<&'static str>,
}

impl Lit {
    /// A literal that may occur anywhere (a bare number, or text in a key or a value).
    pub const fn text(text: &'static str) -> Lit {
        Lit {
            text,
            value: false,
            key: None,
        }
    }

    /// A literal that counts only inside a string value (see the module docs).
    pub const fn value(text: &'static str) -> Lit {
        Lit {
            text,
            value: true,
            key: None,
        }
    }

    /// This value literal, counted only under the key `key` (see [`Lit::key`]).
    pub const fn under(self, key: &'static str) -> Lit {
        Lit {
            key: Some(key),
            ..self
        }
    }
}

/// What a rule requires of a raw line: any of the terms; a term needs, for each of its groups,
/// one of the group's literals.
pub type Requirement = &'static [&'static [&'static [Lit]]];

/// Per-thread scratch space for [`Prefilter::may_match`].
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    lower: Vec<u8>,
    hits: Vec<u64>,
    /// The literals found, in the order found.
    found: Vec<u32>,
    /// The candidate rules of the last [`Prefilter::candidates`] call, one bit per rule.
    pub(crate) rules: Vec<u64>,
}

/// A literal as searched: its text lower-cased, without a leading quote (checked separately, so
/// that Teddy's fingerprint sees the distinctive bytes).
#[derive(Debug, Clone)]
struct Needle {
    /// What is searched for.
    search: Box<[u8]>,
    /// The literal began with a quote, which must precede the match.
    quoted: bool,
    value: bool,
    key: Option<&'static str>,
}

impl Needle {
    /// Whether an occurrence of the search text at `start..end` counts.
    fn holds(&self, line: &[u8], start: usize, end: usize) -> bool {
        if self.quoted && (start == 0 || line[start - 1] != b'"') {
            return false;
        }
        if !self.value {
            return true;
        }
        let open = if self.quoted {
            Some(start - 1)
        } else if self.search.first() == Some(&b'"') {
            Some(start)
        } else {
            memchr::memrchr(b'"', &line[..start])
        };
        in_value(line, end) && open.is_none_or(|o| under_key(line, o, self.key))
    }
}

/// One way to search a set of needles.
#[derive(Debug, Clone)]
enum Search {
    /// Teddy over the lower-cased line.
    Packed(packed::Searcher),
    /// A case-insensitive automaton over the line.
    Automaton(AhoCorasick),
}

impl Search {
    fn new(needles: &[&[u8]]) -> Option<Search> {
        match packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostLongest)
            .builder()
            .extend(needles)
            .build()
        {
            Some(s) => Some(Search::Packed(s)),
            // Past Teddy's size, one DFA pass over the lower-cased line reports every match,
            // overlapping ones included (the needles are lower case already).
            None => AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .match_kind(MatchKind::Standard)
                .build(needles)
                .ok()
                .map(Search::Automaton),
        }
    }

    /// Calls `found(pattern, start, end)` for the longest match at every position where one
    /// starts (Teddy) or for every match (the automaton), until it returns `false`.
    fn each(
        &self,
        line: &[u8],
        lower: &mut Vec<u8>,
        mut found: impl FnMut(usize, usize, usize) -> bool,
    ) {
        match self {
            Search::Packed(searcher) => {
                lower.clear();
                lower.extend(line.iter().map(u8::to_ascii_lowercase));
                let mut at = 0;
                while let Some(m) =
                    searcher.find_in(&lower[..], aho_corasick::Span::from(at..lower.len()))
                {
                    if !found(m.pattern().as_usize(), m.start(), m.end()) {
                        return;
                    }
                    at = m.start() + 1;
                }
            }
            Search::Automaton(ac) => {
                lower.clear();
                lower.extend(line.iter().map(u8::to_ascii_lowercase));
                for m in ac.find_overlapping_iter(Input::new(&lower[..])) {
                    if !found(m.pattern().as_usize(), m.start(), m.end()) {
                        return;
                    }
                }
            }
        }
    }
}

/// A set of needles searched together.
#[derive(Debug, Clone)]
struct NeedleSet {
    search: Search,
    /// For each distinct search text, the needles searching for it.
    ids: Vec<Vec<u32>>,
    /// For each search text, the other search texts that are proper prefixes of it: a
    /// leftmost-longest match at a position implies them there.
    prefixes: Vec<Vec<u32>>,
    /// Each search text's length.
    lens: Vec<usize>,
}

impl NeedleSet {
    fn new(needles: &[Needle], ids: impl IntoIterator<Item = u32>) -> Option<NeedleSet> {
        let mut texts: Vec<&[u8]> = Vec::new();
        let mut by_text: Vec<Vec<u32>> = Vec::new();
        for id in ids {
            let text = &needles[id as usize].search[..];
            match texts.iter().position(|t| *t == text) {
                Some(p) => by_text[p].push(id),
                None => {
                    texts.push(text);
                    by_text.push(vec![id]);
                }
            }
        }
        let prefixes = texts
            .iter()
            .map(|t| {
                (0..texts.len() as u32)
                    .filter(|&j| {
                        let p = texts[j as usize];
                        p.len() < t.len() && t.starts_with(p)
                    })
                    .collect()
            })
            .collect();
        Some(NeedleSet {
            search: Search::new(&texts)?,
            lens: texts.iter().map(|t| t.len()).collect(),
            ids: by_text,
            prefixes,
        })
    }

    /// Calls `found(id)` for every needle that holds somewhere in the line, until it returns
    /// `false`.
    fn each_hit(
        &self,
        needles: &[Needle],
        line: &[u8],
        lower: &mut Vec<u8>,
        mut found: impl FnMut(u32) -> bool,
    ) {
        // The automaton reports every match itself; Teddy only the longest at each start.
        let complete = matches!(self.search, Search::Automaton(_));
        self.search.each(line, lower, |p, start, _| {
            let implied = if complete {
                &[][..]
            } else {
                &self.prefixes[p][..]
            };
            for q in std::iter::once(p as u32).chain(implied.iter().copied()) {
                let end = start + self.lens[q as usize];
                for &id in &self.ids[q as usize] {
                    if needles[id as usize].holds(line, start, end) && !found(id) {
                        return false;
                    }
                }
            }
            true
        });
    }
}

/// The union of every rule's requirements.
#[derive(Debug, Clone)]
pub struct Prefilter {
    /// Distinct literals, by id.
    needles: Vec<Needle>,
    /// Every literal.
    all: NeedleSet,
    /// One group of every term (its most selective), searched first: a line without any of
    /// them is rejected after one fast pass (when every rule has a requirement).
    triggers: NeedleSet,
    /// Terms as (rule, groups), each group a list of literal ids.
    terms: Vec<(u32, Vec<Vec<u32>>)>,
    /// For each literal, the terms whose first group holds it: a term can hold only on a line
    /// where one of those literals was found.
    by_first: Vec<Vec<u32>>,
    /// Rules without a usable requirement: candidates for every line, one bit per rule.
    always: Vec<u64>,
    /// How many rules.
    rules: usize,
}

impl Prefilter {
    /// A prefilter over these rules' requirements, or `None` when some rule has none (then every
    /// line must be decoded) or a literal is empty.
    pub fn new(reqs: impl IntoIterator<Item = Option<Requirement>>) -> Option<Prefilter> {
        let p = Prefilter::per_rule(reqs)?;
        p.always.iter().all(|w| *w == 0).then_some(p)
    }

    /// A prefilter that answers per rule ([`Prefilter::candidates`]): rules without a usable
    /// requirement are candidates for every line. `None` when no rule has a requirement.
    pub fn per_rule(reqs: impl IntoIterator<Item = Option<Requirement>>) -> Option<Prefilter> {
        let mut lits: Vec<Lit> = Vec::new();
        let mut by_lit: std::collections::HashMap<(String, bool, Option<&'static str>), u32> =
            std::collections::HashMap::new();
        let mut terms = Vec::new();
        let mut triggers: Vec<u32> = Vec::new();
        let mut always_rules = Vec::new();
        let mut rules = 0;
        'rules: for (rule, req) in reqs.into_iter().enumerate() {
            rules = rule + 1;
            let Some(req) = req else {
                always_rules.push(rule);
                continue;
            };
            let mut rule_terms = Vec::new();
            let mut rule_triggers: Vec<u32> = Vec::new();
            for term in req {
                let mut groups: Vec<Vec<u32>> = Vec::new();
                for group in term.iter() {
                    // A group with a literal of one or two bytes (`0`, `.`, `ls`) holds on
                    // almost every line and costs a check at almost every byte: leaving it out
                    // only weakens the term.
                    if group.iter().any(|l| searched_len(l) < 3) {
                        continue;
                    }
                    let mut ids = Vec::new();
                    for lit in group.iter() {
                        if lit.text.is_empty() || lit.text == "\"" {
                            always_rules.push(rule);
                            continue 'rules;
                        }
                        let key = (lit.text.to_ascii_lowercase(), lit.value, lit.key);
                        let id = *by_lit.entry(key).or_insert_with(|| {
                            lits.push(*lit);
                            (lits.len() - 1) as u32
                        });
                        ids.push(id);
                    }
                    groups.push(ids);
                }
                // The trigger: the first group (the compiler puts the most selective first).
                match groups.first() {
                    Some(best) => rule_triggers.extend(best),
                    // A term without groups holds on every line.
                    None => {
                        always_rules.push(rule);
                        continue 'rules;
                    }
                }
                rule_terms.push((rule as u32, groups));
            }
            terms.extend(rule_terms);
            triggers.extend(rule_triggers);
        }
        if lits.is_empty() {
            // No terms at all: nothing can match, but say so by decoding.
            return None;
        }
        let mut always = vec![0u64; rules.div_ceil(64)];
        for r in always_rules {
            always[r / 64] |= 1 << (r % 64);
        }
        let needles: Vec<Needle> = lits
            .iter()
            .map(|l| {
                let lower = l.text.to_ascii_lowercase().into_bytes();
                // Stripping the quote leaves Teddy's fingerprint the distinctive bytes, unless
                // too few of them are left.
                let quoted = l.value && lower.len() > 3 && lower[0] == b'"';
                let search = if quoted { &lower[1..] } else { &lower[..] };
                Needle {
                    search: search.into(),
                    quoted,
                    value: l.value,
                    key: l.key,
                }
            })
            .collect();
        triggers.sort_unstable();
        triggers.dedup();
        // A trigger implied by a weaker trigger at the same place adds nothing to the first pass.
        let implied = |a: u32| {
            let t = &needles[a as usize];
            triggers.iter().any(|&b| {
                let p = &needles[b as usize];
                b != a
                    && p.search.len() < t.search.len()
                    && t.search.starts_with(&p.search)
                    && !p.search.ends_with(b"\"")
                    && weaker(p, t)
            })
        };
        let first: Vec<u32> = triggers.iter().copied().filter(|&a| !implied(a)).collect();
        let mut by_first = vec![Vec::new(); needles.len()];
        for (t, (_, groups)) in terms.iter().enumerate() {
            for &id in groups.first().into_iter().flatten() {
                by_first[id as usize].push(t as u32);
            }
        }
        Some(Prefilter {
            all: NeedleSet::new(&needles, 0..needles.len() as u32)?,
            triggers: NeedleSet::new(&needles, first)?,
            needles,
            terms,
            by_first,
            always,
            rules,
        })
    }

    /// Whether the line must be decoded: it has a backslash, or it satisfies some term.
    #[inline]
    pub fn may_match(&self, line: &[u8], scratch: &mut Scratch) -> bool {
        self.candidates(line, scratch).iter().any(|w| *w != 0)
    }

    /// The rules the line may match, one bit per rule (in the order given to
    /// [`Prefilter::per_rule`]): every rule when the line has a backslash, else the rules
    /// without a requirement and those one of whose terms the line satisfies.
    pub fn candidates<'s>(&self, line: &[u8], scratch: &'s mut Scratch) -> &'s [u64] {
        let words = self.rules.div_ceil(64);
        scratch.rules.clear();
        if memchr::memchr(b'\\', line).is_some() {
            scratch.rules.resize(words, u64::MAX);
            if let Some(last) = scratch.rules.last_mut() {
                if self.rules % 64 != 0 {
                    *last = (1 << (self.rules % 64)) - 1;
                }
            }
            return &scratch.rules;
        }
        scratch.rules.extend_from_slice(&self.always);
        if self.always.iter().all(|w| *w == 0) {
            // First pass: is any term's trigger group present at all?
            let mut triggered = false;
            self.triggers
                .each_hit(&self.needles, line, &mut scratch.lower, |_| {
                    triggered = true;
                    false
                });
            if !triggered {
                return &scratch.rules;
            }
        }
        // Second pass: every literal, then the terms whose first group was found.
        scratch.hits.clear();
        scratch.hits.resize(self.needles.len().div_ceil(64), 0);
        scratch.found.clear();
        let (hits, found) = (&mut scratch.hits, &mut scratch.found);
        self.all
            .each_hit(&self.needles, line, &mut scratch.lower, |id| {
                let (w, bit) = (id as usize / 64, 1u64 << (id % 64));
                if hits[w] & bit == 0 {
                    hits[w] |= bit;
                    found.push(id);
                }
                true
            });
        let rules = &mut scratch.rules;
        let terms = found
            .iter()
            .flat_map(|&id| &self.by_first[id as usize])
            .map(|&t| &self.terms[t as usize]);
        for (rule, groups) in terms {
            let (w, bit) = (*rule as usize / 64, 1u64 << (rule % 64));
            if rules[w] & bit != 0 {
                continue;
            }
            let holds = groups.iter().all(|ids| {
                ids.iter()
                    .any(|&b| hits[b as usize / 64] & (1 << (b % 64)) != 0)
            });
            if holds {
                rules[w] |= bit;
            }
        }
        rules
    }

    /// How many distinct literals the prefilter searches for.
    pub fn len(&self) -> usize {
        self.needles.len()
    }

    /// Whether there are no literals (never true for a built prefilter).
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }
}

/// How many bytes of a literal the search looks for (a leading quote of a value is checked
/// apart, see [`Needle`]).
fn searched_len(l: &Lit) -> usize {
    let n = l.text.len();
    if l.value && n > 3 && l.text.starts_with('"') {
        n - 1
    } else {
        n
    }
}

/// Whether, at one start, `a` holds wherever `b` does (`a`'s text a prefix of `b`'s, not ending
/// in a quote, so both lie in the same string).
fn weaker(a: &Needle, b: &Needle) -> bool {
    (!a.quoted || b.quoted) && (!a.value || b.value) && (a.key.is_none() || a.key == b.key)
}

/// Whether text ending at `end` (inside a string, as a value literal is) belongs to a string that
/// is not followed by a colon. In a line without backslashes the next quote closes the string.
fn in_value(line: &[u8], end: usize) -> bool {
    let close = if end > 0 && line[end - 1] == b'"' {
        end - 1
    } else {
        match memchr::memchr(b'"', &line[end..]) {
            Some(i) => end + i,
            None => return true,
        }
    };
    next_non_ws(line, close + 1) != Some(b':')
}

fn next_non_ws(line: &[u8], from: usize) -> Option<u8> {
    line[from..]
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// The position of the last non-whitespace byte before `to`.
fn prev_non_ws(line: &[u8], to: usize) -> Option<usize> {
    line[..to]
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// How many earlier array elements [`under_key`] walks over before giving up (and accepting).
const ARRAY_WALK: usize = 64;

/// Whether the string value opening at `open` sits under `key` (see [`Lit::key`]): directly, or
/// as an element of an array of scalars. Anything it cannot read (nesting, malformed text, long
/// arrays) counts as yes.
fn under_key(line: &[u8], mut open: usize, key: Option<&str>) -> bool {
    let Some(key) = key.map(str::as_bytes) else {
        return true;
    };
    // Set once the walk has reached the `[` of the array holding the value.
    let mut in_array = false;
    for _ in 0..ARRAY_WALK {
        let Some(j) = prev_non_ws(line, open) else {
            return true;
        };
        match line[j] {
            b':' => {
                let Some(q) = prev_non_ws(line, j).filter(|&q| line[q] == b'"') else {
                    return true;
                };
                let Some(start) = memchr::memrchr(b'"', &line[..q]) else {
                    return true;
                };
                let name = &line[start + 1..q];
                return name == key
                    || (name.len() > key.len()
                        && name.ends_with(key)
                        && name[name.len() - key.len() - 1] == b'.');
            }
            b'[' if !in_array => {
                in_array = true;
                open = j;
            }
            // After a comma (and not followed by a colon, which `in_value` checked) the value is
            // an array element: step over the element before it.
            b',' if !in_array => {
                let Some(k) = prev_non_ws(line, j) else {
                    return true;
                };
                open = if line[k] == b'"' {
                    match memchr::memrchr(b'"', &line[..k]) {
                        Some(o) => o,
                        None => return true,
                    }
                } else if is_scalar_byte(line[k]) {
                    line[..k]
                        .iter()
                        .rposition(|&b| !is_scalar_byte(b))
                        .map_or(0, |p| p + 1)
                } else {
                    return true;
                };
            }
            // Nested arrays or objects, or malformed text.
            _ => return true,
        }
    }
    true
}

fn is_scalar_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"+-.".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::{Lit, Prefilter, Requirement, Scratch};

    fn pass(p: &Prefilter, line: &str) -> bool {
        p.may_match(line.as_bytes(), &mut Scratch::default())
    }

    #[test]
    fn any_rule_without_requirement_disables_it() {
        const A: Requirement = &[&[&[Lit::value("\"curl\"")]]];
        assert!(Prefilter::new([Some(A), None]).is_none());
        assert!(Prefilter::new([Some(A)]).is_some());
    }

    #[test]
    fn candidates_name_the_rules_a_line_may_match() {
        const A: Requirement = &[&[&[Lit::value("\"curl\"")]]];
        const B: Requirement = &[&[&[Lit::value("\"wget\"")]], &[&[Lit::text("4242")]]];
        let p = Prefilter::per_rule([Some(A), None, Some(B)]).expect("built");
        let mut s = Scratch::default();
        assert_eq!(p.candidates(br#"{"a":"curl"}"#, &mut s), &[0b011]);
        assert_eq!(p.candidates(br#"{"a":"wget","n":4242}"#, &mut s), &[0b110]);
        assert_eq!(p.candidates(br#"{"a":"ls"}"#, &mut s), &[0b010]);
        assert_eq!(p.candidates(br#"{"a":"c\u0075rl"}"#, &mut s), &[0b111]);
        assert!(Prefilter::per_rule([None, None]).is_none());
        // A group of one- or two-byte literals holds almost everywhere: it is left out, and a
        // term left without groups makes its rule a candidate for every line.
        const C: Requirement = &[&[&[Lit::text("0")], &[Lit::value("\"curl\"")]]];
        const D: Requirement = &[&[&[Lit::text("ls")]]];
        let p = Prefilter::per_rule([Some(C), Some(D)]).expect("built");
        assert_eq!(p.candidates(br#"{"a":"curl"}"#, &mut s), &[0b11]);
        assert_eq!(p.candidates(br#"{"a":"0"}"#, &mut s), &[0b10]);
    }

    #[test]
    fn literals_match_ascii_case_insensitively_and_escapes_always_pass() {
        const A: Requirement = &[
            &[&[Lit::value("\"curl\"")]],
            &[&[Lit::text("169.254.169.254")]],
        ];
        let p = Prefilter::new([Some(A)]).expect("built");
        assert!(pass(&p, r#"{"process":{"name":"CURL"}}"#));
        assert!(pass(&p, r#"{"destination":{"ip":"169.254.169.254"}}"#));
        assert!(!pass(&p, r#"{"process":{"name":"curly"}}"#));
        assert!(pass(&p, r#"{"process":{"name":"c\u0075rl"}}"#));
        assert!(!pass(&p, ""));
    }

    #[test]
    fn terms_need_every_group_and_values_are_not_keys() {
        const A: Requirement = &[&[
            &[Lit::value("\"process\"")],
            &[Lit::value("\"python"), Lit::value("\"curl\"")],
        ]];
        let p = Prefilter::new([Some(A)]).expect("built");
        assert!(pass(
            &p,
            r#"{"event":{"category":["process"]},"process":{"name":"python3"}}"#
        ));
        assert!(pass(
            &p,
            r#"{"event":{"category" : "process" },"process":{"name":"curl"}}"#
        ));
        // `"process"` only as a key, `"python` only as a key, or one group missing.
        assert!(!pass(
            &p,
            r#"{"event":{"category":["network"]},"process":{"name":"python3"}}"#
        ));
        assert!(!pass(
            &p,
            r#"{"event":{"category":"process"},"python3" :{"name":"x"}}"#
        ));
        assert!(!pass(
            &p,
            r#"{"event":{"category":"process"},"process":{"name":"bash"}}"#
        ));
    }

    #[test]
    fn keyed_values_count_only_under_their_key() {
        const A: Requirement = &[&[&[
            Lit::value("\"/tmp/").under("executable"),
            Lit::value(".sh\"").under("executable"),
        ]]];
        let p = Prefilter::new([Some(A)]).expect("built");
        assert!(pass(&p, r#"{"process":{"executable":"/tmp/x"}}"#));
        assert!(pass(&p, r#"{"process.executable" : "/TMP/x"}"#));
        assert!(pass(
            &p,
            r#"{"process":{"executable":["/bin/a", 5, "/tmp/x"]}}"#
        ));
        assert!(pass(&p, r#"{"process":{"executable":"/bin/run.sh"}}"#));
        // Nested arrays are not read: assumed to be under the key.
        assert!(pass(&p, r#"{"a":[["/tmp/x"]]}"#));
        assert!(!pass(&p, r#"{"process":{"working_directory":"/tmp/x"}}"#));
        assert!(!pass(&p, r#"{"process":{"args":["ls","/tmp/x"]}}"#));
        assert!(!pass(&p, r#"{"process":{"pre_executable":"/tmp/x"}}"#));
        assert!(!pass(&p, r#"{"/tmp/x":{"executable":"/bin/ls"}}"#));
    }

    #[test]
    fn a_longer_literal_at_the_same_place_implies_its_prefixes() {
        const A: Requirement = &[
            &[&[Lit::value("\"/etc/rc")], &[Lit::value("\"x\"")]],
            &[&[Lit::value("\"/etc/rc.local\"")], &[Lit::value("\"y\"")]],
        ];
        let p = Prefilter::new([Some(A)]).expect("built");
        assert!(pass(&p, r#"{"a":"/etc/rc.local","b":"x"}"#));
        assert!(pass(&p, r#"{"a":"/etc/rc.local","b":"y"}"#));
        assert!(!pass(&p, r#"{"a":"/etc/rc.local","b":"z"}"#));
    }

    #[test]
    fn many_literals_use_the_automaton() {
        let texts: Vec<&'static str> = (0..100)
            .map(|i| &*Box::leak(format!("\"name{i}\"").into_boxed_str()))
            .collect();
        let group: Vec<Lit> = texts.iter().map(|t| Lit::value(t)).collect();
        let group: &'static [Lit] = Box::leak(group.into_boxed_slice());
        let term: &'static [&'static [Lit]] = Box::leak(vec![group].into_boxed_slice());
        let req: Requirement = Box::leak(vec![term].into_boxed_slice());
        let p = Prefilter::new([Some(req)]).expect("built");
        assert_eq!(p.len(), 100);
        assert!(pass(&p, r#"{"a":"NAME77"}"#));
        assert!(!pass(&p, r#"{"NAME77":1}"#));
        assert!(!pass(&p, r#"{"a":"name777"}"#));
    }
}
