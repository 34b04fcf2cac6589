//! Literals for the runtime's raw-line prefilter (`eql_runtime::prefilter`).
//!
//! For each stage (and `until`) we look for a set of strings such that the raw JSON line of any
//! event the stage matches contains at least one of them, compared ASCII case-insensitively. The
//! runtime decodes every line that contains a backslash, so a literal may assume that string
//! values appear verbatim between their quotes:
//!
//! - an exact value `curl` gives `"curl"` (quotes included: far more selective than `curl`),
//!   a prefix `python*` gives `"python`, a suffix `*.sh` gives `.sh"`, a substring its text, and a
//!   general wildcard its longest literal run (with the quote when the run is at an end);
//! - values that could be written as a JSON number or boolean (`5`, `true`), which a keyword field
//!   indexes as their text, drop the quotes;
//! - `ip` and numeric fields, functions, ranges, `not`, and existence tests give nothing (their
//!   textual forms vary); neither does a case-insensitive pattern with non-ASCII letters, whose
//!   Unicode case alternatives an ASCII-folding search would miss.
//!
//! `and` needs one operand's literals, `or` every operand's. Among the operands of an `and`, the
//! literals of enumeration-like fields (`event.category`, `event.type`, `host.os.type`, …: present
//! in nearly every event) are the last choice.

use crate::ecs::FieldType;
use crate::ir::{MatcherKind, Pred, Rule, Shape, Test};

/// Fields whose values are small enumerations found in almost every event.
const ENUM_FIELDS: &[&str] = &[
    "event.action",
    "event.category",
    "event.dataset",
    "event.kind",
    "event.module",
    "event.outcome",
    "event.type",
    "host.os.family",
    "host.os.platform",
    "host.os.type",
    "network.direction",
    "network.transport",
];

/// A candidate set of literals with a rough quality: `(not enum-like, shortest literal)`.
#[derive(Clone, Debug)]
struct Lits {
    set: Vec<String>,
    specific: bool,
}

impl Lits {
    fn score(&self) -> (bool, usize) {
        let shortest = self.set.iter().map(String::len).min().unwrap_or(usize::MAX);
        (self.specific, shortest)
    }
}

/// The prefilter literals of a rule, or `None` when some stage has none.
pub fn literals(rule: &Rule) -> Option<Vec<String>> {
    let mut conds: Vec<usize> = match &rule.shape {
        Shape::Event => vec![0],
        Shape::Sequence { stages, until, .. } => {
            if stages.iter().any(|s| s.missing) {
                // A missing-event stage's matches cut sequences: dropping one could add an alert.
                return None;
            }
            stages.iter().chain(until.iter()).map(|s| s.cond).collect()
        }
    };
    conds.sort_unstable();
    conds.dedup();
    let mut all = Vec::new();
    for cond in conds {
        let stage = rule.stages.get(cond)?;
        let mut and = vec![pred_lits(rule, &stage.pred)];
        if let Some(cat) = &stage.category {
            and.push(Some(Lits {
                set: vec![value_literal(cat, Where::Exact, false)?],
                specific: false,
            }));
        }
        all.extend(best(and)?.set);
    }
    all.sort();
    all.dedup();
    if all.is_empty() || all.iter().any(String::is_empty) {
        return None;
    }
    Some(all)
}

fn best(options: Vec<Option<Lits>>) -> Option<Lits> {
    options.into_iter().flatten().max_by_key(|l| l.score())
}

fn pred_lits(rule: &Rule, pred: &Pred) -> Option<Lits> {
    match pred {
        // `False` never matches: an empty set requires nothing and adds nothing.
        Pred::False => Some(Lits {
            set: Vec::new(),
            specific: true,
        }),
        Pred::True | Pred::Not(_) | Pred::Has(_) => None,
        Pred::And(ps) => best(ps.iter().map(|p| pred_lits(rule, p)).collect()),
        Pred::Or(ps) => {
            let mut set = Vec::new();
            let mut specific = true;
            for p in ps {
                let l = pred_lits(rule, p)?;
                specific &= l.specific;
                set.extend(l.set);
            }
            Some(Lits { set, specific })
        }
        Pred::Any {
            field,
            test,
            script,
        } => {
            if *script {
                return None;
            }
            let info = rule.fields.get(*field)?;
            if info.ty != FieldType::Keyword {
                return None;
            }
            let set = test_lits(rule, test)?;
            Some(Lits {
                set,
                specific: !ENUM_FIELDS.contains(&info.path.as_str()),
            })
        }
    }
}

fn test_lits(rule: &Rule, test: &Test) -> Option<Vec<String>> {
    match test {
        Test::Eq(s) => Some(vec![value_literal(s, Where::Exact, false)?]),
        Test::Matchers(ids) => {
            let mut out = Vec::new();
            for id in ids {
                let m = rule.matchers.get(*id)?;
                let at = match m.kind {
                    MatcherKind::Exact => Where::Exact,
                    MatcherKind::Prefix => Where::Prefix,
                    MatcherKind::Suffix => Where::Suffix,
                    MatcherKind::Contains => Where::Inside,
                    MatcherKind::Glob => {
                        for p in &m.pats {
                            out.push(glob_literal(p, m.ci)?);
                        }
                        continue;
                    }
                    MatcherKind::Regex | MatcherKind::Cidr => return None,
                };
                for p in &m.pats {
                    out.push(value_literal(p, at, m.ci)?);
                }
            }
            Some(out)
        }
        Test::TextCmp(..)
        | Test::NumCmp(..)
        | Test::IpCmp(..)
        | Test::Length(..)
        | Test::Not(_) => None,
    }
}

/// Where a literal sits in the value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Where {
    Exact,
    Prefix,
    Suffix,
    Inside,
}

/// The raw text a value with this literal must contain; `None` when there is none to rely on.
fn value_literal(lit: &str, at: Where, ci: bool) -> Option<String> {
    if lit.is_empty() || (ci && lit.chars().any(|c| !c.is_ascii() && is_cased(c))) {
        return None;
    }
    // A keyword field indexes JSON numbers and booleans as their text, written without quotes.
    let bare = lit
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        || ["true", "false"]
            .iter()
            .any(|w| w.contains(&lit.to_ascii_lowercase()));
    if bare {
        return Some(lit.to_string());
    }
    Some(match at {
        Where::Exact => format!("\"{lit}\""),
        Where::Prefix => format!("\"{lit}"),
        Where::Suffix => format!("{lit}\""),
        Where::Inside => lit.to_string(),
    })
}

/// The longest literal run of a `*`/`?` pattern, anchored by a quote at either end.
fn glob_literal(pat: &str, ci: bool) -> Option<String> {
    let runs: Vec<&str> = pat.split(['*', '?']).collect();
    let last = runs.len() - 1;
    let (i, run) = runs
        .iter()
        .enumerate()
        .max_by_key(|(_, r)| r.len())
        .filter(|(_, r)| !r.is_empty())?;
    let at = match (i == 0, i == last) {
        (true, true) => Where::Exact,
        (true, false) => Where::Prefix,
        (false, true) => Where::Suffix,
        (false, false) => Where::Inside,
    };
    value_literal(run, at, ci)
}

fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase() || c.to_lowercase().ne(c.to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::{glob_literal, value_literal, Where};

    #[test]
    fn literal_shapes() {
        assert_eq!(
            value_literal("curl", Where::Exact, true).as_deref(),
            Some("\"curl\"")
        );
        assert_eq!(
            value_literal("python", Where::Prefix, true).as_deref(),
            Some("\"python")
        );
        assert_eq!(
            value_literal(".sh", Where::Suffix, false).as_deref(),
            Some(".sh\"")
        );
        assert_eq!(
            value_literal("169.254.169.254", Where::Inside, true).as_deref(),
            Some("169.254.169.254")
        );
        // Could be a JSON number or boolean in a keyword field: no quotes.
        assert_eq!(
            value_literal("443", Where::Exact, false).as_deref(),
            Some("443")
        );
        assert_eq!(
            value_literal("tru", Where::Prefix, true).as_deref(),
            Some("tru")
        );
        // Case-insensitive non-ASCII letters: Unicode alternatives an ASCII search would miss.
        assert_eq!(value_literal("straße", Where::Exact, true), None);
        assert_eq!(
            value_literal("straße", Where::Exact, false).as_deref(),
            Some("\"straße\"")
        );
        assert_eq!(value_literal("", Where::Exact, false), None);
    }

    #[test]
    fn glob_runs() {
        assert_eq!(
            glob_literal("/etc/rc*.d/*", true).as_deref(),
            Some("\"/etc/rc")
        );
        assert_eq!(
            glob_literal("*\\system32\\*.exe", true).as_deref(),
            Some("\\system32\\")
        );
        assert_eq!(glob_literal("a?c", false).as_deref(), Some("c\""));
        assert_eq!(glob_literal("*?*", false), None);
    }
}
