//! The canonical, fully parenthesised form of a query.
//!
//! Every `and`/`or` group and every arithmetic operation is wrapped in parentheses, keywords are
//! lower-case, there is one space around operators and strings are re-escaped, so that
//! `parse(to_canonical(q))` gives `q` back (spans aside).

use crate::ast::*;

/// The whole query on one line.
pub fn to_canonical(q: &Query) -> String {
    let mut out = String::new();
    match &q.body {
        QueryBody::Event(e) => event(&mut out, e),
        QueryBody::Sequence(s) => {
            out.push_str("sequence");
            by(&mut out, &s.by);
            if let Some(m) = &s.maxspan {
                out.push_str(&format!(" with maxspan={}{}", m.value, m.unit.as_str()));
            }
            for st in &s.stages {
                out.push(' ');
                stage(&mut out, st);
            }
            if let Some(u) = &s.until {
                out.push_str(" until ");
                stage(&mut out, u);
            }
        }
        QueryBody::Sample(s) => {
            out.push_str("sample");
            by(&mut out, &s.by);
            for st in &s.stages {
                out.push(' ');
                stage(&mut out, st);
            }
        }
    }
    for p in &q.pipes {
        let kind = match p.kind {
            PipeKind::Head => "head",
            PipeKind::Tail => "tail",
        };
        out.push_str(&format!(" | {kind} {}", p.count));
    }
    out
}

/// One expression, fully parenthesised.
pub fn expr_to_canonical(e: &Expr) -> String {
    let mut out = String::new();
    expr(&mut out, e);
    out
}

fn by(out: &mut String, keys: &[Field]) {
    for (i, f) in keys.iter().enumerate() {
        out.push_str(if i == 0 { " by " } else { ", " });
        field(out, f);
    }
}

fn stage(out: &mut String, st: &Stage) {
    if st.missing {
        out.push('!');
    }
    out.push('[');
    event(out, &st.query);
    out.push(']');
    by(out, &st.by);
    if let Some(r) = st.runs {
        out.push_str(&format!(" with runs={}", r.count));
    }
}

fn event(out: &mut String, e: &EventQuery) {
    match &e.category.kind {
        CategoryKind::Any => out.push_str("any"),
        CategoryKind::Named(n) if is_ident(n) => out.push_str(n),
        CategoryKind::Named(n) => string(out, n),
    }
    out.push_str(" where ");
    expr(out, &e.condition);
}

const KEYWORDS: &[&str] = &[
    "and", "any", "by", "false", "in", "join", "like", "maxspan", "not", "null", "of", "or",
    "regex", "sample", "sequence", "true", "until", "where", "with",
];

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '@'
}

/// A bare identifier: not a keyword, starts with a letter, `_` or `@`.
fn is_ident(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '@')
        && s.chars().all(ident_char)
        && !KEYWORDS.contains(&s)
}

fn field(out: &mut String, f: &Field) {
    if f.optional {
        out.push('?');
    }
    for (i, seg) in f.name.split('.').enumerate() {
        let plain = if i == 0 {
            is_ident(seg)
        } else {
            !seg.is_empty() && seg.chars().all(ident_char)
        };
        if i > 0 {
            out.push('.');
        }
        if plain {
            out.push_str(seg);
        } else {
            out.push('`');
            out.push_str(&seg.replace('`', "``"));
            out.push('`');
        }
    }
}

fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn literal(out: &mut String, l: &Literal) {
    match l {
        Literal::Null => out.push_str("null"),
        Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Literal::Int(i) => out.push_str(&i.to_string()),
        // `{:?}` always keeps a `.` or an exponent, so the value reads back as a decimal.
        Literal::Float(f) => out.push_str(&format!("{f:?}")),
        Literal::String(s) => string(out, s),
    }
}

/// Nodes that print as a primary expression (self-delimited).
fn is_primary(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Literal(Literal::Int(i)) => *i >= 0,
        ExprKind::Literal(Literal::Float(f)) => f.is_sign_positive(),
        ExprKind::Literal(_)
        | ExprKind::Field(_)
        | ExprKind::Call { .. }
        | ExprKind::And(_)
        | ExprKind::Or(_)
        | ExprKind::Arith { .. } => true,
        _ => false,
    }
}

/// Prints `e` where only a primary may stand, adding parentheses when needed.
fn primary(out: &mut String, e: &Expr) {
    if is_primary(e) {
        expr(out, e);
    } else {
        out.push('(');
        expr(out, e);
        out.push(')');
    }
}

/// Operand of arithmetic or a comparison: a primary or a negation.
fn operand(out: &mut String, e: &Expr) {
    if matches!(e.kind, ExprKind::Neg(_)) {
        expr(out, e);
    } else {
        primary(out, e);
    }
}

fn list(out: &mut String, items: &[Expr], each: fn(&mut String, &Expr)) {
    out.push('(');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        each(out, x);
    }
    out.push(')');
}

fn expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Literal(Literal::Int(i)) if *i < 0 => {
            // Only a hand-built tree has a negative literal; print it as a negation.
            out.push_str(&format!("-{}", i.unsigned_abs()));
        }
        ExprKind::Literal(Literal::Float(f)) if f.is_sign_negative() => {
            out.push_str(&format!("-{:?}", -f));
        }
        ExprKind::Literal(l) => literal(out, l),
        ExprKind::Field(f) => field(out, f),
        ExprKind::Not(x) => {
            out.push_str("not ");
            if matches!(x.kind, ExprKind::Not(_)) {
                expr(out, x);
            } else {
                primary(out, x);
            }
        }
        ExprKind::And(xs) | ExprKind::Or(xs) => {
            let op = if matches!(e.kind, ExprKind::And(_)) {
                " and "
            } else {
                " or "
            };
            out.push('(');
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push_str(op);
                }
                // Not and predicates bind tighter than and/or; nested groups self-parenthesise.
                expr(out, x);
            }
            out.push(')');
        }
        ExprKind::Compare { op, left, right } => {
            operand(out, left);
            out.push_str(&format!(" {} ", op.as_str()));
            operand(out, right);
        }
        ExprKind::Match {
            op,
            operand: x,
            patterns,
        } => {
            primary(out, x);
            out.push_str(&format!(" {} ", op.as_str()));
            if let [one] = patterns.as_slice() {
                primary(out, one);
            } else {
                list(out, patterns, primary);
            }
        }
        ExprKind::In {
            negated,
            insensitive,
            operand: x,
            list: items,
        } => {
            primary(out, x);
            out.push_str(if *negated { " not in" } else { " in" });
            if *insensitive {
                out.push('~');
            }
            out.push(' ');
            list(out, items, expr);
        }
        ExprKind::Arith { op, left, right } => {
            out.push('(');
            operand(out, left);
            out.push_str(&format!(" {} ", op.as_str()));
            operand(out, right);
            out.push(')');
        }
        ExprKind::Neg(x) => {
            out.push('-');
            operand(out, x);
        }
        ExprKind::Call {
            name,
            insensitive,
            args,
            ..
        } => {
            out.push_str(name);
            if *insensitive {
                out.push('~');
            }
            list(out, args, expr);
        }
    }
}
