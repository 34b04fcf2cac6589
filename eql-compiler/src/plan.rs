//! The plan `explain` prints: the fields read and the matcher chosen for each pattern list.

use std::fmt::Write as _;

use crate::ir::{MatcherKind, Rule, Shape};

/// The plan as text (deterministic; part of the generated `RuleMeta`).
pub fn plan(rule: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "fields read:");
    for (i, f) in rule.fields.iter().enumerate() {
        let _ = writeln!(out, "  {i:>2} {} ({})", f.path, f.ty.as_str());
    }
    match &rule.shape {
        Shape::Event => {
            let _ = writeln!(out, "shape: event query");
        }
        Shape::Sequence {
            maxspan_nanos,
            stages,
            until,
            sample,
        } => {
            let span = maxspan_nanos.map_or("unbounded".to_owned(), |n| format!("{n} ns"));
            if *sample {
                let _ = writeln!(out, "shape: sample of {} stages", stages.len());
            } else {
                let _ = writeln!(
                    out,
                    "shape: sequence of {} stages, maxspan {span}",
                    stages.len()
                );
            }
            let key_names = |keys: &[(usize, bool)]| {
                keys.iter()
                    .map(|(f, opt)| {
                        let name = rule.fields.get(*f).map_or("?", |x| x.path.as_str());
                        format!("{}{name}", if *opt { "?" } else { "" })
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            for (i, s) in stages.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "  position {i}: stage_{}{} by [{}]",
                    s.cond,
                    if s.missing { " (missing)" } else { "" },
                    key_names(&s.keys)
                );
            }
            if let Some(u) = until {
                let _ = writeln!(out, "  until: stage_{} by [{}]", u.cond, key_names(&u.keys));
            }
        }
    }
    for (i, st) in rule.stages.iter().enumerate() {
        let _ = writeln!(out, "stage_{i}: {}", st.canonical);
    }
    match crate::literals::requirement(rule) {
        Some(terms) => {
            let _ = writeln!(
                out,
                "prefilter: a line is decoded only if it has a backslash or satisfies one of {} \
                 term(s) (literals match ASCII case-insensitively, inside string values under the \
                 key before the colon, or anywhere when marked `any:`):",
                terms.len()
            );
            for term in &terms {
                let groups: Vec<String> = term
                    .iter()
                    .map(|g| {
                        let lits: Vec<String> = g
                            .lits
                            .iter()
                            .map(|l| match (&l.key, l.value) {
                                (Some(key), true) => format!("{key}:{}", l.text),
                                (None, true) => l.text.clone(),
                                _ => format!("any:{}", l.text),
                            })
                            .collect();
                        if lits.len() == 1 {
                            lits.join("")
                        } else {
                            format!("({})", lits.join(" | "))
                        }
                    })
                    .collect();
                let _ = writeln!(out, "  {}", groups.join(" & "));
            }
        }
        None => {
            let _ = writeln!(
                out,
                "prefilter: none (some stage has no literal); every line is decoded"
            );
        }
    }
    if !rule.matchers.is_empty() {
        let _ = writeln!(out, "matchers:");
    }
    for m in &rule.matchers {
        let field = rule.fields.get(m.field).map_or("?", |f| f.path.as_str());
        let what = match m.kind {
            MatcherKind::Exact => "exact set",
            MatcherKind::Prefix => "prefix set",
            MatcherKind::Suffix => "suffix set",
            MatcherKind::Contains => "substring set",
            MatcherKind::Glob => "glob",
            MatcherKind::Regex => "regex",
            MatcherKind::Cidr => "cidr set",
        };
        let case = match m.kind {
            MatcherKind::Cidr => "",
            _ if m.ci => ", case-insensitive",
            _ => ", case-sensitive",
        };
        let pats: Vec<String> = m.pats.iter().map(|p| format!("{p:?}")).collect();
        let _ = writeln!(
            out,
            "  {} on {field}: {what}{case}, {} pattern(s): {}",
            m.name,
            m.pats.len(),
            pats.join(", ")
        );
    }
    out
}
