//! The semantic checks Elasticsearch makes after parsing, one function per rule. They all push
//! into the same list and keep going, so that one run reports every problem.

use crate::ast::*;
use crate::diag::Diagnostic;
use crate::functions;
use crate::span::Span;

/// Runs every check over `q`.
pub(crate) fn check(q: &Query, out: &mut Vec<Diagnostic>) {
    match &q.body {
        QueryBody::Event(e) => event(e, out),
        QueryBody::Sequence(s) => sequence(s, out),
        QueryBody::Sample(s) => sample(s, out),
    }
}

fn event(e: &EventQuery, out: &mut Vec<Diagnostic>) {
    expr(&e.condition, out);
}

fn stages<'a>(stages: &'a [Stage], until: Option<&'a Stage>) -> impl Iterator<Item = &'a Stage> {
    stages.iter().chain(until)
}

fn sequence(s: &Sequence, out: &mut Vec<Diagnostic>) {
    for st in stages(&s.stages, s.until.as_ref()) {
        event(&st.query, out);
        runs(st, out);
    }
    join_keys(s.by.len(), &s.stages, s.until.as_ref(), out);
    if let Some(u) = &s.until {
        if u.missing {
            out.push(Diagnostic::error(
                "`until` cannot be a missing event",
                u.span,
            ));
        }
        if let Some(r) = u.runs {
            out.push(Diagnostic::error("`until` does not take `runs`", r.span));
        }
    }
    let missing: Vec<&Stage> = s.stages.iter().filter(|st| st.missing).collect();
    if let Some(first) = missing.first() {
        if s.maxspan.is_none() {
            out.push(
                Diagnostic::error("missing events `![…]` require `with maxspan`", first.span)
                    .with_help("add `with maxspan=…` after `sequence [by …]`"),
            );
        }
        if missing.len() == s.stages.len() {
            out.push(Diagnostic::error(
                "a sequence needs at least one stage that is not a missing event",
                s.span,
            ));
        }
    }
    let expanded: u64 = s
        .stages
        .iter()
        .map(|st| st.runs.map_or(1, |r| r.count.max(1)))
        .fold(0, u64::saturating_add);
    let runs_ok = s
        .stages
        .iter()
        .all(|st| st.runs.is_none_or(|r| (1..=100).contains(&r.count)));
    if expanded < 2 && runs_ok {
        out.push(
            Diagnostic::error("a sequence requires at least 2 queries", s.span)
                .with_help("add a stage, or repeat one with `with runs=N`"),
        );
    }
}

fn sample(s: &Sample, out: &mut Vec<Diagnostic>) {
    for st in &s.stages {
        event(&st.query, out);
        if st.missing {
            out.push(Diagnostic::error(
                "missing events `![…]` are not supported in `sample`",
                st.span,
            ));
        }
        if let Some(r) = st.runs {
            out.push(Diagnostic::error(
                "`sample` does not support `runs`",
                r.span,
            ));
        }
    }
    join_keys(s.by.len(), &s.stages, None, out);
}

fn runs(st: &Stage, out: &mut Vec<Diagnostic>) {
    if let Some(r) = st.runs {
        if r.count == 0 {
            out.push(Diagnostic::error(
                "A positive runs value is required",
                r.span,
            ));
        } else if r.count > 100 {
            out.push(
                Diagnostic::error("A query cannot be repeated more than 100 times", r.span)
                    .with_note("`runs` accepts 1 to 100"),
            );
        }
    }
}

/// Every stage (and `until`) must have the same number of keys.
fn join_keys(shared: usize, st: &[Stage], until: Option<&Stage>, out: &mut Vec<Diagnostic>) {
    let Some(first) = st.first() else { return };
    let expected = shared + first.by.len();
    for s in stages(st, until).skip(1) {
        let found = shared + s.by.len();
        if found != expected {
            let span = match (s.by.first(), s.by.last()) {
                (Some(a), Some(b)) => a.span.to(b.span),
                _ => s.span,
            };
            out.push(
                Diagnostic::error(
                    format!(
                        "Inconsistent number of join keys specified; expected [{expected}] but found [{found}]"
                    ),
                    span,
                )
                .with_note("every stage must be joined on the same number of keys"),
            );
        }
    }
}

/// Whether `e` mentions a field that is not `?optional`.
fn has_required_field(e: &Expr) -> bool {
    e.mentions(&|f| !f.optional)
}

fn field_to_field(span: Span) -> Diagnostic {
    Diagnostic::error(
        "comparing a field with another field is not supported",
        span,
    )
    .with_note("Elasticsearch EQL compares fields only with constants, even through functions")
}

fn expr(e: &Expr, out: &mut Vec<Diagnostic>) {
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Field(_) => {}
        ExprKind::Not(x) | ExprKind::Neg(x) => expr(x, out),
        ExprKind::And(xs) | ExprKind::Or(xs) => xs.iter().for_each(|x| expr(x, out)),
        ExprKind::Compare { left, right, .. } => {
            // Optional fields that no index maps are `null` to Elasticsearch, so `?x == ?y` is
            // allowed; whether they are mapped is known only with the mapping.
            if left.has_field()
                && right.has_field()
                && (has_required_field(left) || has_required_field(right))
            {
                out.push(field_to_field(e.span));
            }
            expr(left, out);
            expr(right, out);
        }
        ExprKind::Arith { left, right, .. } => {
            expr(left, out);
            expr(right, out);
        }
        ExprKind::Match {
            operand, patterns, ..
        } => {
            expr(operand, out);
            patterns.iter().for_each(|x| expr(x, out));
        }
        ExprKind::In { operand, list, .. } => {
            if operand.has_field() {
                if let Some(bad) = list.iter().find(|x| x.has_field()) {
                    out.push(field_to_field(bad.span));
                }
            }
            expr(operand, out);
            list.iter().for_each(|x| expr(x, out));
        }
        ExprKind::Call {
            name,
            insensitive,
            args,
            name_span,
            ..
        } => {
            call(name, *insensitive, args.len(), *name_span, e.span, out);
            args.iter().for_each(|x| expr(x, out));
        }
    }
}

fn call(name: &str, ci: bool, n: usize, name_span: Span, span: Span, out: &mut Vec<Diagnostic>) {
    let Some(f) = functions::lookup(name) else {
        let d = Diagnostic::error(format!("unknown function `{name}`"), name_span);
        let d = match functions::suggest(name) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_note(
                "Elasticsearch EQL functions: add, between, cidrMatch, concat, divide, endsWith, \
                 indexOf, length, modulo, multiply, number, startsWith, string, stringContains, \
                 substring, subtract",
            ),
        };
        out.push(d);
        return;
    };
    if ci && !f.has_insensitive() {
        out.push(
            Diagnostic::error(
                format!("`{}` has no case-insensitive variant `{name}~`", f.name()),
                name_span,
            )
            .with_note("only between, endsWith, indexOf, startsWith and stringContains take `~`"),
        );
    }
    let (min, max) = f.arity();
    let ok = n >= min && max.is_none_or(|m| n <= m);
    if !ok {
        let want = match max {
            Some(m) if m == min => format!("{m}"),
            Some(m) => format!("{min} to {m}"),
            None => format!("at least {min}"),
        };
        let plural = if want == "1" { "" } else { "s" };
        out.push(Diagnostic::error(
            format!("`{}` takes {want} argument{plural}, found {n}", f.name()),
            span,
        ));
    }
}
