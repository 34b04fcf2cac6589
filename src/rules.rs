//! The rules compiled into this binary, and the `rules` and `explain` subcommands.

use std::fmt::Write as _;

use eql_runtime::rule::{Rule, RuleMeta};

/// A rule file loaded for `--rule-file`, evaluated by the reference interpreter, with the
/// field types of `--mapping` and the `--timestamp-field`, `--event-category-field` and
/// `--tiebreaker-field` when given.
pub fn interpreted(
    path: &std::path::Path,
    types: Option<&eql_interp::FieldTypes>,
    fields: &eql_interp::Fields,
) -> Result<eql_runtime::detector::AnyRule, String> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("eql-detect: {shown}: {e}"))?;
    let mut rule = eql_interp::Interpreted::from_file_with(&shown, &text, fields)?;
    if let Some(types) = types {
        rule = rule.with_field_types(types.clone());
    }
    Ok(eql_runtime::detector::AnyRule::Value(Box::new(rule)))
}

/// Reads `--mapping`.
pub fn mapping(path: &std::path::Path) -> Result<eql_interp::FieldTypes, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("eql-detect: {shown}: {e}"))?;
    eql_interp::FieldTypes::from_mapping(&text).map_err(|e| format!("eql-detect: {shown}: {e}"))
}

/// Every compiled rule, in a fixed order (the order of the summary's per-rule lines).
pub fn compiled() -> Vec<Box<dyn Rule>> {
    vec![Box::new(eql_runtime::eql_rule!("rules/imds.eql"))]
}

fn mitre_lines(meta: &RuleMeta) -> Vec<String> {
    let mut lines = Vec::new();
    for t in meta.threat {
        lines.push(format!(
            "{} {} ({})",
            t.tactic.id, t.tactic.name, t.framework
        ));
        for tech in t.techniques {
            lines.push(format!("  {} {}", tech.technique.id, tech.technique.name));
            for sub in tech.subtechniques {
                lines.push(format!("    {} {}", sub.id, sub.name));
            }
        }
    }
    lines
}

/// `eql-detect rules`: one block per rule.
pub fn list() -> String {
    let mut s = String::new();
    for rule in compiled() {
        let m = rule.meta();
        let _ = writeln!(s, "{}", m.name);
        let rows: [(&str, String); 9] = [
            ("rule_id", m.rule_id.to_owned()),
            ("version", m.version.to_string()),
            ("severity", m.severity.to_owned()),
            ("risk_score", m.risk_score.to_string()),
            ("index", m.index.join(", ")),
            ("interval", format!("{} (from {})", m.interval, m.from)),
            ("max_signals", m.max_signals.to_string()),
            ("tags", m.tags.join(", ")),
            ("source", m.source.to_owned()),
        ];
        for (k, v) in rows {
            let _ = writeln!(s, "  {k:<12} {v}");
        }
        let mut mitre = mitre_lines(m).into_iter();
        if let Some(first) = mitre.next() {
            let _ = writeln!(s, "  {:<12} {first}", "mitre");
            for line in mitre {
                let _ = writeln!(s, "  {:<12} {line}", "");
            }
        }
        s.push('\n');
    }
    s
}

/// Finds a rule by exact name or id, else by a unique case-insensitive part of either.
fn find(query: &str) -> Result<Box<dyn Rule>, String> {
    let q = query.trim().to_lowercase();
    let mut all = compiled();
    if let Some(i) = all.iter().position(|r| {
        let m = r.meta();
        m.name.eq_ignore_ascii_case(&q) || m.rule_id.eq_ignore_ascii_case(&q)
    }) {
        return Ok(all.swap_remove(i));
    }
    let mut hits: Vec<Box<dyn Rule>> = all
        .into_iter()
        .filter(|r| {
            let m = r.meta();
            !q.is_empty()
                && (m.name.to_lowercase().contains(&q) || m.rule_id.to_lowercase().contains(&q))
        })
        .collect();
    match hits.len() {
        1 => Ok(hits.remove(0)),
        0 => Err(format!(
            "no rule matches `{query}`; `eql-detect rules` lists them"
        )),
        n => Err(format!("`{query}` matches {n} rules; be more specific")),
    }
}

/// `eql-detect explain RULE`: the query as written, as it parses, and how it is evaluated.
pub fn explain(query: &str) -> Result<String, String> {
    let rule = find(query)?;
    let m = rule.meta();
    let mut s = String::new();
    let _ = writeln!(s, "{} ({})\n", m.name, m.rule_id);
    let _ = writeln!(s, "Query as written:\n{}\n", indent(m.query.trim()));
    let _ = writeln!(
        s,
        "Query as Elasticsearch parses it (fully parenthesised):\n{}\n",
        indent(m.canonical.trim())
    );
    let _ = writeln!(
        s,
        "Plan (fields read, matchers):\n{}",
        indent(m.plan.trim())
    );
    Ok(s)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
