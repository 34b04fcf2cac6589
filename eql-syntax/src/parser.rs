//! pest grammar → AST, with the syntactic checks that need the parse tree.

use crate::ast::*;
use crate::diag::Diagnostic;
use crate::span::Span;
use pest::iterators::Pair;
use pest::Parser as _;

/// The pest parser generated from `eql.pest`.
#[derive(pest_derive::Parser)]
#[grammar = "eql.pest"]
pub(crate) struct EqlParser;

/// Deepest expression tree built. Every pass over the tree recurses, so hostile input such as
/// `1+1+…+1` is cut off here with a diagnostic instead of exhausting the stack.
const MAX_DEPTH: usize = 256;

fn span_of(p: &Pair<'_, Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

/// A harmless node to stand in where an error was reported.
fn placeholder(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Literal(Literal::Bool(true)),
        span,
    }
}

/// Grammar, then AST. Diagnostics from building are returned with the tree.
pub(crate) fn parse_tree(src: &str) -> Result<(Query, Vec<Diagnostic>), Vec<Diagnostic>> {
    let scan = crate::lexscan::scan(src);
    if let Some(d) = scan.too_deep {
        return Err(vec![d]);
    }
    let mut pairs = match EqlParser::parse(Rule::main, src) {
        Ok(p) => p,
        Err(e) => {
            return Err(if scan.lexical.is_empty() {
                vec![crate::pesterr::syntax_error(src, &e)]
            } else {
                scan.lexical
            })
        }
    };
    let query = pairs
        .next()
        .and_then(|main| main.into_inner().find(|p| p.as_rule() == Rule::query));
    let Some(query) = query else {
        return Err(vec![Diagnostic::error(
            "empty query",
            Span::new(0, src.len()),
        )]);
    };
    let mut b = Builder { diags: Vec::new() };
    let q = b.query(query);
    Ok((q, b.diags))
}

struct Builder {
    diags: Vec<Diagnostic>,
}

impl Builder {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn query(&mut self, p: Pair<'_, Rule>) -> Query {
        let span = span_of(&p);
        let mut body = None;
        let mut pipes = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::event_query => body = Some(QueryBody::Event(self.event_query(c))),
                Rule::sequence => body = Some(QueryBody::Sequence(self.sequence(c))),
                Rule::sample => body = Some(QueryBody::Sample(self.sample(c))),
                Rule::join => {
                    let s = span_of(&c);
                    self.err(
                        Diagnostic::error(
                            "`join` is not supported by Elasticsearch EQL",
                            Span {
                                start: s.start,
                                end: s.start + 4,
                            },
                        )
                        .with_help("use `sequence` (or `sample` for unordered events)"),
                    );
                }
                Rule::pipe => {
                    if let Some(pipe) = self.pipe(c) {
                        pipes.push(pipe);
                    }
                }
                _ => {}
            }
        }
        let body = body.unwrap_or_else(|| {
            QueryBody::Event(EventQuery {
                category: Category {
                    kind: CategoryKind::Any,
                    span,
                },
                condition: placeholder(span),
                span,
            })
        });
        Query { body, pipes, span }
    }

    fn pipe(&mut self, p: Pair<'_, Rule>) -> Option<Pipe> {
        let span = span_of(&p);
        let mut name = None;
        let mut args = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::pipe_name => name = Some((c.as_str().to_string(), span_of(&c))),
                Rule::expr => args.push(c),
                _ => {}
            }
        }
        let (name, name_span) = name?;
        let kind = match name.as_str() {
            "head" => PipeKind::Head,
            "tail" => PipeKind::Tail,
            _ => {
                self.err(
                    Diagnostic::error(format!("unsupported pipe `{name}`"), name_span).with_help(
                        "Elasticsearch EQL supports only `head` and `tail`; `count`, `unique`, \
                         `unique_count`, `filter` and `sort` are Endgame EQL pipes",
                    ),
                );
                return None;
            }
        };
        let count = match args.as_slice() {
            [one] => {
                let e = self.expr(one.clone(), 0);
                match e.kind {
                    ExprKind::Literal(Literal::Int(n)) if n >= 0 => Some(n as u64),
                    _ => None,
                }
            }
            _ => None,
        };
        match count {
            Some(count) => Some(Pipe { kind, count, span }),
            None => {
                self.err(
                    Diagnostic::error(
                        format!("`{name}` takes one non-negative integer"),
                        Span {
                            start: name_span.start,
                            end: span.end,
                        },
                    )
                    .with_help(format!("for example `| {name} 10`")),
                );
                None
            }
        }
    }

    fn event_query(&mut self, p: Pair<'_, Rule>) -> EventQuery {
        let span = span_of(&p);
        let mut category = Category {
            kind: CategoryKind::Any,
            span,
        };
        let mut condition = placeholder(span);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::category => {
                    let cspan = span_of(&c);
                    let kind = match c.into_inner().next() {
                        Some(t) => match t.as_rule() {
                            Rule::kw_any => CategoryKind::Any,
                            Rule::dq_string | Rule::raw_string => {
                                CategoryKind::Named(self.string(&t))
                            }
                            _ => CategoryKind::Named(t.as_str().to_string()),
                        },
                        None => CategoryKind::Any,
                    };
                    category = Category { kind, span: cspan };
                }
                Rule::expr => condition = self.expr(c, 0),
                _ => {}
            }
        }
        EventQuery {
            category,
            condition,
            span,
        }
    }

    /// `by` / `with maxspan` before the stages, in any order, so the order can be checked.
    fn header(
        &mut self,
        clauses: Vec<Pair<'_, Rule>>,
        by: &mut Vec<Field>,
        maxspan: &mut Option<TimeSpan>,
    ) -> Option<Span> {
        let mut by_seen = false;
        let mut with_span: Option<Span> = None;
        for c in clauses {
            let cspan = span_of(&c);
            match c.as_rule() {
                Rule::by_clause => {
                    if with_span.is_some() {
                        self.err(
                            Diagnostic::error(
                                "Please specify sequence [by] before [with] not after",
                                cspan,
                            )
                            .with_help("write `sequence by … with maxspan=…`"),
                        );
                    } else if by_seen {
                        self.err(Diagnostic::error("`by` is given twice", cspan));
                    }
                    by_seen = true;
                    *by = self.fields(c);
                }
                Rule::maxspan_clause => {
                    if with_span.is_some() {
                        self.err(Diagnostic::error("`with maxspan` is given twice", cspan));
                    }
                    with_span = Some(cspan);
                    if let Some(tv) = c.into_inner().find(|t| t.as_rule() == Rule::time_value) {
                        *maxspan = self.time_span(tv);
                    }
                }
                _ => {}
            }
        }
        with_span
    }

    fn sequence(&mut self, p: Pair<'_, Rule>) -> Sequence {
        let span = span_of(&p);
        let mut seq = Sequence {
            by: Vec::new(),
            maxspan: None,
            stages: Vec::new(),
            until: None,
            span,
        };
        let mut header = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::by_clause | Rule::maxspan_clause => header.push(c),
                Rule::stage => seq.stages.push(self.stage(c)),
                Rule::until_clause => {
                    if let Some(s) = c.into_inner().find(|t| t.as_rule() == Rule::stage) {
                        seq.until = Some(self.stage(s));
                    }
                }
                _ => {}
            }
        }
        self.header(header, &mut seq.by, &mut seq.maxspan);
        seq
    }

    fn sample(&mut self, p: Pair<'_, Rule>) -> Sample {
        let span = span_of(&p);
        let mut sample = Sample {
            by: Vec::new(),
            stages: Vec::new(),
            span,
        };
        let mut header = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::by_clause | Rule::maxspan_clause => header.push(c),
                Rule::stage => sample.stages.push(self.stage(c)),
                Rule::until_clause => {
                    let s = span_of(&c);
                    self.err(Diagnostic::error("`sample` does not support `until`", s));
                }
                _ => {}
            }
        }
        let mut maxspan = None;
        if let Some(with) = self.header(header, &mut sample.by, &mut maxspan) {
            self.err(
                Diagnostic::error("`sample` does not support `maxspan`", with)
                    .with_note("samples are unordered and have no time window"),
            );
        }
        sample
    }

    fn stage(&mut self, p: Pair<'_, Rule>) -> Stage {
        let span = span_of(&p);
        let mut query = None;
        let mut by = Vec::new();
        let mut by_seen = false;
        let mut runs: Option<Runs> = None;
        let mut missing = false;
        for c in p.into_inner() {
            let cspan = span_of(&c);
            match c.as_rule() {
                Rule::missing => missing = true,
                Rule::event_query => query = Some(self.event_query(c)),
                Rule::by_clause => {
                    if runs.is_some() {
                        self.err(
                            Diagnostic::error(
                                "Please specify [by] before [with runs] not after",
                                cspan,
                            )
                            .with_help("write `[…] by … with runs=N`"),
                        );
                    } else if by_seen {
                        self.err(Diagnostic::error("`by` is given twice", cspan));
                    }
                    by_seen = true;
                    by = self.fields(c);
                }
                Rule::runs_clause => {
                    if runs.is_some() {
                        self.err(Diagnostic::error("`with runs` is given twice", cspan));
                    }
                    if let Some(r) = self.runs(c) {
                        runs = Some(r);
                    }
                }
                _ => {}
            }
        }
        let query = query.unwrap_or_else(|| EventQuery {
            category: Category {
                kind: CategoryKind::Any,
                span,
            },
            condition: placeholder(span),
            span,
        });
        Stage {
            query,
            by,
            runs,
            missing,
            span,
        }
    }

    fn runs(&mut self, p: Pair<'_, Rule>) -> Option<Runs> {
        let span = span_of(&p);
        let mut key = None;
        let mut value = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_maxspan => key = Some(("maxspan".to_string(), span_of(&c))),
                Rule::ident => key = Some((c.as_str().to_string(), span_of(&c))),
                Rule::time_value => value = Some(c),
                _ => {}
            }
        }
        let (key, key_span) = key?;
        let value = value?;
        let vspan = span_of(&value);
        if key == "maxspan" {
            self.err(
                Diagnostic::error(
                    "`maxspan` is a sequence parameter, not a stage one",
                    key_span,
                )
                .with_help("write `sequence [by …] with maxspan=…` before the first stage"),
            );
            return None;
        }
        if key != "runs" {
            self.err(
                Diagnostic::error(format!("unknown stage parameter `{key}`"), key_span)
                    .with_help("the only stage parameter is `runs`, as in `with runs=3`"),
            );
            return None;
        }
        let text = value.as_str().trim();
        match text.parse::<u64>() {
            Ok(count) => Some(Runs {
                count,
                span: Span {
                    start: key_span.start,
                    end: span.end,
                },
            }),
            Err(_) => {
                self.err(
                    Diagnostic::error(format!("`runs` must be an integer, found `{text}`"), vspan)
                        .with_help("use a whole number between 1 and 100"),
                );
                None
            }
        }
    }

    fn time_span(&mut self, p: Pair<'_, Rule>) -> Option<TimeSpan> {
        let span = span_of(&p);
        let mut number = "";
        let mut unit = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::number => number = c.as_str(),
                Rule::time_unit => unit = Some((c.as_str(), span_of(&c))),
                _ => {}
            }
        }
        let text = p_text(number, unit.map(|u| u.0));
        if number.contains(['.', 'e', 'E']) {
            let help = match (number.parse::<f64>(), unit.map(|u| u.0)) {
                (Ok(v), Some("s")) => format!("use a smaller unit: `{}ms`", (v * 1000.0).round()),
                (Ok(v), Some("m")) => format!("use a smaller unit: `{}s`", (v * 60.0).round()),
                (Ok(v), Some("h")) => format!("use a smaller unit: `{}m`", (v * 60.0).round()),
                (Ok(v), Some("d")) => format!("use a smaller unit: `{}h`", (v * 24.0).round()),
                _ => "use a whole number with a smaller unit".to_string(),
            };
            self.err(
                Diagnostic::error(
                    format!("decimal time interval `{text}` is not supported"),
                    span,
                )
                .with_help(help),
            );
            return None;
        }
        let Some((unit_text, unit_span)) = unit else {
            self.err(
                Diagnostic::error(format!("time unit missing in `maxspan={number}`"), span)
                    .with_help(format!(
                        "add one of `ms`, `s`, `m`, `h`, `d`, as in `{number}s`"
                    )),
            );
            return None;
        };
        let unit = match unit_text {
            "ms" => TimeUnit::Millis,
            "s" => TimeUnit::Seconds,
            "m" => TimeUnit::Minutes,
            "h" => TimeUnit::Hours,
            "d" => TimeUnit::Days,
            other => {
                self.err(
                    Diagnostic::error(format!("unknown time unit `{other}`"), unit_span)
                        .with_help("use one of `ms`, `s`, `m`, `h`, `d`"),
                );
                return None;
            }
        };
        match number.parse::<u64>() {
            Ok(0) => {
                self.err(Diagnostic::error("`maxspan` must be positive", span));
                None
            }
            Ok(value) => Some(TimeSpan { value, unit, span }),
            Err(_) => {
                self.err(Diagnostic::error(
                    format!("time interval `{text}` is out of range"),
                    span,
                ));
                None
            }
        }
    }

    fn fields(&mut self, p: Pair<'_, Rule>) -> Vec<Field> {
        p.into_inner()
            .filter(|c| c.as_rule() == Rule::field)
            .map(|c| self.field(c))
            .collect()
    }

    fn field(&mut self, p: Pair<'_, Rule>) -> Field {
        let span = span_of(&p);
        let mut optional = false;
        let mut segments: Vec<String> = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::optional_mark => optional = true,
                Rule::field_path => {
                    for s in c.into_inner() {
                        match s.as_rule() {
                            Rule::quoted_ident => {
                                let t = s.as_str();
                                let inner = t.get(1..t.len().saturating_sub(1)).unwrap_or("");
                                if inner.is_empty() {
                                    self.err(Diagnostic::error(
                                        "empty quoted field name",
                                        span_of(&s),
                                    ));
                                }
                                segments.push(inner.replace("``", "`"));
                            }
                            _ => segments.push(s.as_str().to_string()),
                        }
                    }
                }
                _ => {}
            }
        }
        Field {
            name: segments.join("."),
            optional,
            span,
        }
    }

    // ------------------------------------------------------------------ expressions

    fn too_deep(&mut self, span: Span) -> Expr {
        self.err(
            Diagnostic::error("expression nested too deeply", span)
                .with_note(format!("at most {MAX_DEPTH} levels are accepted")),
        );
        placeholder(span)
    }

    /// `expr`: `not` > `and` > `or`, left to right; same-operator chains become one node.
    fn expr(&mut self, p: Pair<'_, Rule>, depth: usize) -> Expr {
        let span = span_of(&p);
        // Terms (leading `not` spans + operand) separated by `and`/`or`.
        let mut terms: Vec<(Vec<Span>, Pair<'_, Rule>)> = Vec::new();
        let mut ops: Vec<Rule> = Vec::new();
        let mut nots = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_not => nots.push(span_of(&c)),
                Rule::kw_and | Rule::kw_or => ops.push(c.as_rule()),
                _ => terms.push((std::mem::take(&mut nots), c)),
            }
        }
        let has_or = ops.contains(&Rule::kw_or);
        let has_and = ops.contains(&Rule::kw_and);
        let max_nots = terms.iter().map(|t| t.0.len()).max().unwrap_or(0);
        let inner = depth + usize::from(has_or) + usize::from(has_and) + max_nots;
        if inner > MAX_DEPTH {
            return self.too_deep(span);
        }
        let mut groups: Vec<Vec<Expr>> = vec![Vec::new()];
        for (i, (nots, atom)) in terms.into_iter().enumerate() {
            if i > 0 && ops.get(i - 1) == Some(&Rule::kw_or) {
                groups.push(Vec::new());
            }
            let mut e = self.bool_atom(atom, inner);
            for n in nots.iter().rev() {
                let s = Span {
                    start: n.start,
                    end: e.span.end,
                };
                e = Expr {
                    kind: ExprKind::Not(Box::new(e)),
                    span: s,
                };
            }
            if let Some(g) = groups.last_mut() {
                g.push(e);
            }
        }
        let mut ors: Vec<Expr> = groups.into_iter().filter_map(nary_and).collect();
        if ors.len() == 1 {
            ors.pop().unwrap_or_else(|| placeholder(span))
        } else {
            let s = cover(&ors).unwrap_or(span);
            Expr {
                kind: ExprKind::Or(ors),
                span: s,
            }
        }
    }

    fn bool_atom(&mut self, p: Pair<'_, Rule>, depth: usize) -> Expr {
        let span = span_of(&p);
        match p.as_rule() {
            Rule::lineage => {
                let rel = p.into_inner().next().map_or("", |r| r.as_str());
                self.err(
                    Diagnostic::error(
                        format!("lineage (`{rel} of`) is not supported by Elasticsearch EQL"),
                        span,
                    )
                    .with_help(
                        "use a `sequence` joined by process.entity_id / process.parent.entity_id",
                    ),
                );
                placeholder(span)
            }
            _ => self.value_expr(p, depth),
        }
    }

    fn value_expr(&mut self, p: Pair<'_, Rule>, depth: usize) -> Expr {
        let span = span_of(&p);
        let children: Vec<Pair<'_, Rule>> = p.into_inner().collect();
        match children.as_slice() {
            [single] => self.arith(single.clone(), depth),
            [left, op, right, rest @ ..] => {
                if let Some(second) = rest.first() {
                    self.err(
                        Diagnostic::error(
                            "comparison operators cannot be chained",
                            span_of(second),
                        )
                        .with_help("combine the comparisons with `and`"),
                    );
                }
                if depth + 1 > MAX_DEPTH {
                    return self.too_deep(span);
                }
                let op_text = op.as_str();
                let op = match op_text {
                    "==" => CmpOp::Eq,
                    "!=" => CmpOp::Ne,
                    "<" => CmpOp::Lt,
                    "<=" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    ">=" => CmpOp::Ge,
                    _ => {
                        self.err(
                            Diagnostic::error("`=` is not a comparison operator", span_of(op))
                                .with_help("did you mean `==`?"),
                        );
                        CmpOp::Eq
                    }
                };
                let left = self.arith(left.clone(), depth + 1);
                let right = self.arith(right.clone(), depth + 1);
                let span = Span {
                    start: span.start,
                    end: right.span.end,
                };
                Expr {
                    kind: ExprKind::Compare {
                        op,
                        left: Box::new(left),
                        right: Box::new(right),
                    },
                    span,
                }
            }
            _ => placeholder(span),
        }
    }

    /// Arithmetic: unary signs, then `* / %`, then `+ -`, all left-associative.
    fn arith(&mut self, p: Pair<'_, Rule>, depth: usize) -> Expr {
        let span = span_of(&p);
        let mut terms: Vec<(Vec<Pair<'_, Rule>>, Pair<'_, Rule>)> = Vec::new();
        let mut ops: Vec<ArithOp> = Vec::new();
        let mut signs = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::sign => signs.push(c),
                Rule::arith_op => ops.push(match c.as_str() {
                    "+" => ArithOp::Add,
                    "-" => ArithOp::Sub,
                    "*" => ArithOp::Mul,
                    "/" => ArithOp::Div,
                    _ => ArithOp::Mod,
                }),
                _ => terms.push((std::mem::take(&mut signs), c)),
            }
        }
        let max_signs = terms.iter().map(|t| t.0.len()).max().unwrap_or(0);
        let inner = depth + ops.len() + max_signs;
        if inner > MAX_DEPTH {
            return self.too_deep(span);
        }
        let mut built = Vec::with_capacity(terms.len());
        for (signs, term) in terms {
            let mut e = self.predicated(term, inner);
            for s in signs.iter().rev() {
                // Unary `+` is the identity: nothing to keep.
                if s.as_str() == "-" {
                    let sp = Span {
                        start: span_of(s).start,
                        end: e.span.end,
                    };
                    e = Expr {
                        kind: ExprKind::Neg(Box::new(e)),
                        span: sp,
                    };
                }
            }
            built.push(e);
        }
        let mut it = built.into_iter();
        let Some(mut product) = it.next() else {
            return placeholder(span);
        };
        let mut sum: Option<(Expr, ArithOp)> = None;
        for (op, term) in ops.into_iter().zip(it) {
            match op {
                ArithOp::Mul | ArithOp::Div | ArithOp::Mod => product = binary(op, product, term),
                ArithOp::Add | ArithOp::Sub => {
                    let left = match sum.take() {
                        None => product,
                        Some((acc, aop)) => binary(aop, acc, product),
                    };
                    sum = Some((left, op));
                    product = term;
                }
            }
        }
        match sum {
            None => product,
            Some((acc, aop)) => binary(aop, acc, product),
        }
    }

    fn predicated(&mut self, p: Pair<'_, Rule>, depth: usize) -> Expr {
        let span = span_of(&p);
        let mut it = p.into_inner();
        let Some(first) = it.next() else {
            return placeholder(span);
        };
        let Some(pred) = it.next() else {
            return self.primary(first, depth);
        };
        if depth + 2 > MAX_DEPTH {
            return self.too_deep(span);
        }
        let operand = Box::new(self.primary(first, depth + 1));
        match pred.as_rule() {
            Rule::in_pred => {
                let mut negated = false;
                let mut insensitive = false;
                let mut list = Vec::new();
                for c in pred.into_inner() {
                    match c.as_rule() {
                        Rule::negated_in => negated = true,
                        Rule::in_op => insensitive = c.as_str().ends_with('~'),
                        Rule::expr => list.push(self.expr(c, depth + 1)),
                        _ => {}
                    }
                }
                Expr {
                    kind: ExprKind::In {
                        negated,
                        insensitive,
                        operand,
                        list,
                    },
                    span,
                }
            }
            Rule::bad_neq_match => {
                self.err(
                    Diagnostic::error("`!:` is not supported", span)
                        .with_help("negate the match instead: `not field : \"…\"`"),
                );
                placeholder(span)
            }
            _ => {
                let mut op = MatchOp::Colon;
                let mut patterns = Vec::new();
                for c in pred.into_inner() {
                    match c.as_rule() {
                        Rule::match_op => {
                            op = match c.as_str() {
                                "like" => MatchOp::Like,
                                "like~" => MatchOp::LikeInsensitive,
                                "regex" => MatchOp::Regex,
                                "regex~" => MatchOp::RegexInsensitive,
                                _ => MatchOp::Colon,
                            }
                        }
                        Rule::lparen | Rule::rparen | Rule::comma => {}
                        _ => {
                            let e = self.primary(c, depth + 1);
                            if !matches!(e.kind, ExprKind::Literal(_)) {
                                let d = Diagnostic::error(
                                    format!("the patterns of `{}` must be constants", op.as_str()),
                                    e.span,
                                );
                                let d = if matches!(e.kind, ExprKind::Field(_)) {
                                    d.with_note(
                                        "Elasticsearch does not compare a field with another field",
                                    )
                                } else {
                                    d.with_help("use a string literal such as \"*.exe\"")
                                };
                                self.err(d);
                            }
                            patterns.push(e);
                        }
                    }
                }
                Expr {
                    kind: ExprKind::Match {
                        op,
                        operand,
                        patterns,
                    },
                    span,
                }
            }
        }
    }

    fn primary(&mut self, p: Pair<'_, Rule>, depth: usize) -> Expr {
        let span = span_of(&p);
        let lit = |l| Expr {
            kind: ExprKind::Literal(l),
            span,
        };
        match p.as_rule() {
            Rule::kw_null => lit(Literal::Null),
            Rule::kw_true => lit(Literal::Bool(true)),
            Rule::kw_false => lit(Literal::Bool(false)),
            Rule::number => {
                let l = self.number(p.as_str(), span);
                lit(l)
            }
            Rule::dq_string | Rule::raw_string => {
                let s = self.string(&p);
                lit(Literal::String(s))
            }
            Rule::sq_string => {
                let t = p.as_str();
                let inner = t.get(1..t.len().saturating_sub(1)).unwrap_or("");
                self.err(
                    Diagnostic::error("single-quoted strings are not supported", span)
                        .with_help(format!("use double quotes: \"{inner}\"")),
                );
                lit(Literal::String(inner.to_string()))
            }
            Rule::field => {
                let f = self.field(p);
                Expr {
                    kind: ExprKind::Field(f),
                    span,
                }
            }
            Rule::paren => match p.into_inner().find(|c| c.as_rule() == Rule::expr) {
                Some(e) => self.expr(e, depth),
                None => placeholder(span),
            },
            Rule::call => {
                if depth + 1 > MAX_DEPTH {
                    return self.too_deep(span);
                }
                let mut name = String::new();
                let mut name_span = span;
                let mut args = Vec::new();
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::func_name => {
                            name = c.as_str().to_string();
                            name_span = span_of(&c);
                        }
                        Rule::expr => args.push(self.expr(c, depth + 1)),
                        _ => {}
                    }
                }
                let insensitive = name.ends_with('~');
                if insensitive {
                    name.pop();
                }
                Expr {
                    kind: ExprKind::Call {
                        func: eql_ir::Func::from_name(&name),
                        name,
                        insensitive,
                        args,
                        name_span,
                    },
                    span,
                }
            }
            _ => placeholder(span),
        }
    }

    fn number(&mut self, text: &str, span: Span) -> Literal {
        if !text.contains(['.', 'e', 'E']) {
            if let Ok(i) = text.parse::<i64>() {
                return Literal::Int(i);
            }
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Literal::Float(f),
            _ => {
                self.err(Diagnostic::error(
                    format!("number `{text}` is out of range"),
                    span,
                ));
                Literal::Int(0)
            }
        }
    }

    /// Decodes a `"…"` or `"""…"""` token, reporting bad escapes at their exact bytes.
    fn string(&mut self, p: &Pair<'_, Rule>) -> String {
        let text = p.as_str();
        let base = p.as_span().start();
        if p.as_rule() == Rule::raw_string {
            return text
                .get(3..text.len().saturating_sub(3))
                .unwrap_or("")
                .to_string();
        }
        let body = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
        match unescape(body) {
            Ok(s) => s,
            Err(errs) => {
                for (start, end, d) in errs {
                    let d = Diagnostic {
                        span: Span::new(base + 1 + start, base + 1 + end),
                        ..d
                    };
                    self.err(d);
                }
                String::new()
            }
        }
    }
}

fn p_text(number: &str, unit: Option<&str>) -> String {
    format!("{number}{}", unit.unwrap_or(""))
}

fn binary(op: ArithOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    Expr {
        kind: ExprKind::Arith {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
        span,
    }
}

fn cover(es: &[Expr]) -> Option<Span> {
    Some(es.first()?.span.to(es.last()?.span))
}

fn nary_and(mut g: Vec<Expr>) -> Option<Expr> {
    match g.len() {
        0 => None,
        1 => g.pop(),
        _ => {
            let span = cover(&g)?;
            Some(Expr {
                kind: ExprKind::And(g),
                span,
            })
        }
    }
}

/// Decodes the escapes Elasticsearch accepts: `\n \r \t \\ \"`, `\' \b \f` and `\u{X…}` (1 to
/// 8 hex digits). Errors carry byte ranges relative to `body`.
pub(crate) fn unescape(body: &str) -> Result<String, Vec<(usize, usize, Diagnostic)>> {
    let mut out = String::with_capacity(body.len());
    let mut errs = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((j, e)) = chars.next() else {
            errs.push((
                i,
                i + 1,
                Diagnostic::error("dangling `\\` at the end of a string", Span::default()),
            ));
            break;
        };
        match e {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            // Not in the syntax docs, but accepted by Elasticsearch: a production rule
            // (`\'`) relies on it, and `\b` `\f` come with it in its unescaping code.
            '\'' => out.push('\''),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'u' => {
                let rest = &body[j + 1..];
                let hex_len = rest
                    .strip_prefix('{')
                    .map(|r| r.chars().take_while(|c| c.is_ascii_hexdigit()).count());
                let closed = hex_len.is_some_and(|n| rest[1 + n..].starts_with('}'));
                match hex_len {
                    Some(n) if closed && (1..=8).contains(&n) => {
                        let end = j + 1 + n + 2;
                        let code = u32::from_str_radix(&rest[1..1 + n], 16).ok();
                        match code.and_then(char::from_u32) {
                            Some(ch) => out.push(ch),
                            None => errs.push((
                                i,
                                end,
                                Diagnostic::error(
                                    format!("invalid unicode escape `{}`", &body[i..end]),
                                    Span::default(),
                                )
                                .with_help("the code point must be a Unicode scalar value"),
                            )),
                        }
                        // Skip `{hex}`.
                        while chars.peek().is_some_and(|&(k, _)| k < end) {
                            chars.next();
                        }
                    }
                    _ => errs.push((
                        i,
                        j + 1,
                        Diagnostic::error("malformed unicode escape", Span::default())
                            .with_help("write `\\u{…}` with 1 to 8 hex digits, as in `\\u{1F600}`"),
                    )),
                }
            }
            other => errs.push((
                i,
                j + other.len_utf8(),
                Diagnostic::error(format!("unknown escape `\\{other}`"), Span::default())
                    .with_help(
                        "the escapes are `\\n`, `\\r`, `\\t`, `\\\\`, `\\\"` and `\\u{…}`; \
                         write `\\\\` for a backslash, or use a raw string \"\"\"…\"\"\"",
                    ),
            )),
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_accepts_the_documented_escapes() {
        assert_eq!(
            unescape(r#"a\n\r\t\\\"\u{41}\u{1F600}"#).ok().as_deref(),
            Some("a\n\r\t\\\"A\u{1F600}")
        );
    }

    #[test]
    fn unescape_reports_exact_ranges() {
        let errs = unescape(r"ab\qc").err().unwrap_or_default();
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].0, errs[0].1), (2, 4));
        let errs = unescape(r"\u{110000}").err().unwrap_or_default();
        assert_eq!((errs[0].0, errs[0].1), (0, 10));
        let errs = unescape(r"\u{123456789}").err().unwrap_or_default();
        assert_eq!(errs.len(), 1);
        assert!(unescape("\\").is_err());
        assert!(unescape(r"\u{}").is_err());
        assert!(unescape(r"\é").is_err());
    }
}
