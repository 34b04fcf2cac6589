//! The runtime's raw-line prefilter requirement (`eql_runtime::prefilter`).
//!
//! For each stage (and `until`) we derive what the raw JSON line of any event the stage matches
//! must contain, compared ASCII case-insensitively, as a disjunction of terms: each term a
//! conjunction of groups, each group a disjunction of literals. The runtime decodes every line
//! that contains a backslash, so a literal may assume that string values appear verbatim
//! between their quotes:
//!
//! - an exact value `curl` gives `"curl"` (quotes included: far more selective than `curl`),
//!   a prefix `python*` gives `"python`, a suffix `*.sh` gives `.sh"`, a substring its text, and a
//!   general wildcard its longest literal run (with the quote when the run is at an end);
//! - such literals lie inside a string value, and are marked so: the runtime then ignores
//!   occurrences in object keys, which is what makes the category literal `"process"` useful;
//! - values that could be written as a JSON number or boolean (`5`, `true`), which a keyword field
//!   indexes as their text, drop the quotes and the mark;
//! - an IPv4 address on an `ip` field gives `a.b.c.d"` or `ffff:` (the text of any IPv6 form of
//!   the IPv4-mapped address contains `ffff:`; dotted quads have no leading zeros);
//! - other `ip` tests, numeric fields, functions, ranges, `not`, and existence tests give nothing
//!   (their textual forms vary); neither does a case-insensitive pattern with non-ASCII letters,
//!   whose Unicode case alternatives an ASCII-folding search would miss.
//!
//! `and` multiplies its operands' terms (up to [`MAX_TERMS`], dropping operands beyond that, which
//! only weakens the requirement), `or` needs every operand to have a requirement and joins their
//! terms.

use std::net::IpAddr;

use eql_syntax::ast::CmpOp;

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

pub use eql_ir::prefilter::{Group, Lit, Requirement, Term, MAX_TERMS};

/// The prefilter requirement of a rule: the union of its stages', or `None` when some stage has
/// none.
pub fn requirement(rule: &Rule) -> Option<Requirement> {
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
        let mut parts = vec![pred_req(rule, &stage.pred)];
        if let Some(cat) = &stage.category {
            let path = &rule.fields.get(rule.category_field)?.path;
            parts.push(Some(vec![vec![Group {
                lits: vec![value_literal(cat, Where::Exact, false)?.under(path)],
                specific: false,
            }]]));
        }
        all.extend(and(parts.into_iter().flatten().collect())?);
    }
    // The runtime searches for each term's first group before anything else: the best first.
    for term in &mut all {
        term.sort_by_key(|g| std::cmp::Reverse(g.score()));
    }
    if all
        .iter()
        .flatten()
        .any(|g| g.lits.iter().any(|l| l.text.is_empty()))
    {
        return None;
    }
    Some(all)
}

/// The conjunction of requirements (`None` when none of them requires anything).
fn and(mut parts: Vec<Requirement>) -> Option<Requirement> {
    if parts.is_empty() {
        return None;
    }
    if parts.iter().any(Vec::is_empty) {
        return Some(Vec::new());
    }
    // Single-term parts first (they do not multiply), then the most selective.
    parts.sort_by_key(|p| {
        let best = p
            .iter()
            .map(|t| t.iter().map(Group::score).max().unwrap_or((false, 0)))
            .min()
            .unwrap_or((false, 0));
        (p.len(), std::cmp::Reverse(best))
    });
    let mut acc: Requirement = vec![Vec::new()];
    for part in parts {
        if acc.len() * part.len() > MAX_TERMS {
            continue;
        }
        acc = acc
            .iter()
            .flat_map(|t| {
                part.iter().map(move |u| {
                    let mut term = t.clone();
                    for g in u {
                        if !term.contains(g) {
                            term.push(g.clone());
                        }
                    }
                    term
                })
            })
            .collect();
    }
    Some(acc)
}

/// The disjunction of requirements: every operand must have one.
fn or(parts: Vec<Option<Requirement>>) -> Option<Requirement> {
    let mut terms: Requirement = Vec::new();
    for p in parts {
        terms.extend(p?);
    }
    if terms.len() <= MAX_TERMS {
        return Some(terms);
    }
    // Too many: each term still implies its best group, so their union is a (weaker) requirement.
    let mut lits: Vec<Lit> = Vec::new();
    let mut specific = true;
    for t in &terms {
        let best = t.iter().max_by_key(|g| g.score())?;
        specific &= best.specific;
        lits.extend(best.lits.iter().cloned());
    }
    lits.sort();
    lits.dedup();
    Some(vec![vec![Group { lits, specific }]])
}

fn pred_req(rule: &Rule, pred: &Pred) -> Option<Requirement> {
    match pred {
        // `False` never matches: no term.
        Pred::False => Some(Vec::new()),
        Pred::True
        | Pred::Not(_)
        | Pred::Has(_)
        | Pred::Script(_)
        | Pred::ConstCmp { .. }
        | Pred::Dynamic { .. } => None,
        Pred::And(ps) => and(ps.iter().filter_map(|p| pred_req(rule, p)).collect()),
        Pred::Or(ps) => or(ps.iter().map(|p| pred_req(rule, p)).collect()),
        Pred::Any {
            field,
            test,
            script,
        } => {
            if *script {
                return None;
            }
            let info = rule.fields.get(*field)?;
            if info.null_value.is_some() {
                // An explicit `null` in the line stands for the value.
                return None;
            }
            let lits = match info.ty {
                FieldType::Keyword => test_lits(rule, test)?,
                FieldType::Ip => ip_lits(test)?,
                _ => return None,
            };
            let lits = lits.into_iter().map(|l| l.under(&info.path)).collect();
            Some(vec![vec![Group {
                lits,
                specific: !ENUM_FIELDS.contains(&info.path.as_str()),
            }]])
        }
    }
}

/// An IPv4 address compared for equality on an `ip` field.
fn ip_lits(test: &Test) -> Option<Vec<Lit>> {
    match test {
        Test::IpCmp(CmpOp::Eq, IpAddr::V4(v4)) => Some(vec![
            Lit {
                text: format!("{v4}\""),
                value: true,
                key: None,
            },
            Lit {
                text: "ffff:".to_string(),
                value: true,
                key: None,
            },
        ]),
        _ => None,
    }
}

fn test_lits(rule: &Rule, test: &Test) -> Option<Vec<Lit>> {
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
        | Test::DateCmp(..)
        | Test::VersionCmp(..)
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
fn value_literal(lit: &str, at: Where, ci: bool) -> Option<Lit> {
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
        return Some(Lit {
            text: lit.to_string(),
            value: false,
            key: None,
        });
    }
    let text = match at {
        Where::Exact => format!("\"{lit}\""),
        Where::Prefix => format!("\"{lit}"),
        Where::Suffix => format!("{lit}\""),
        Where::Inside => lit.to_string(),
    };
    Some(Lit {
        text,
        value: true,
        key: None,
    })
}

/// The longest literal run of a `*`/`?` pattern, anchored by a quote at either end.
fn glob_literal(pat: &str, ci: bool) -> Option<Lit> {
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
    use super::{glob_literal, value_literal, Lit, Where};

    fn text(l: Option<Lit>) -> Option<String> {
        l.map(|l| l.text)
    }

    #[test]
    fn literal_shapes() {
        assert_eq!(
            text(value_literal("curl", Where::Exact, true)).as_deref(),
            Some("\"curl\"")
        );
        assert_eq!(
            text(value_literal("python", Where::Prefix, true)).as_deref(),
            Some("\"python")
        );
        assert_eq!(
            text(value_literal(".sh", Where::Suffix, false)).as_deref(),
            Some(".sh\"")
        );
        assert_eq!(
            text(value_literal("169.254.169.254", Where::Inside, true)).as_deref(),
            Some("169.254.169.254")
        );
        // Could be a JSON number or boolean in a keyword field: no quotes.
        assert_eq!(
            text(value_literal("443", Where::Exact, false)).as_deref(),
            Some("443")
        );
        assert_eq!(
            text(value_literal("tru", Where::Prefix, true)).as_deref(),
            Some("tru")
        );
        // Case-insensitive non-ASCII letters: Unicode alternatives an ASCII search would miss.
        assert_eq!(text(value_literal("straße", Where::Exact, true)), None);
        assert_eq!(
            text(value_literal("straße", Where::Exact, false)).as_deref(),
            Some("\"straße\"")
        );
        assert_eq!(text(value_literal("", Where::Exact, false)), None);
    }

    #[test]
    fn glob_runs() {
        assert_eq!(
            text(glob_literal("/etc/rc*.d/*", true)).as_deref(),
            Some("\"/etc/rc")
        );
        assert_eq!(
            text(glob_literal("*\\system32\\*.exe", true)).as_deref(),
            Some("\\system32\\")
        );
        assert_eq!(text(glob_literal("a?c", false)).as_deref(), Some("c\""));
        assert_eq!(text(glob_literal("*?*", false)), None);
    }
}
