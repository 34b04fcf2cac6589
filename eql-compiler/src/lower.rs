//! AST → IR: resolves fields and their types, picks a matcher per pattern group, expands
//! `runs`, and rejects (with a span) everything it cannot compile exactly.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use eql_syntax::ast::{
    CategoryKind, CmpOp, EventQuery, Expr, ExprKind, Field, Func, Literal, MatchOp, PipeKind,
    Query, QueryBody, Stage as AstStage,
};
use eql_syntax::mapping::FieldTypes;
use eql_syntax::rulefile::RuleMetadata;
use eql_syntax::{Diagnostic, Span};

use crate::ecs::{mapped_type, FieldType};
use crate::ir::{
    FieldInfo, FieldIx, Matcher, MatcherKind, NumLit, Pred, Rule, SExpr, Script, SeqStage, Shape,
    Stage, Test,
};

/// The most stages a sequence may have after `runs` expansion (bit 63 reports `until`).
use eql_ir::MAX_STAGES;

/// Lowers a parsed query. Field types come from `types` (an index mapping) when given, else
/// from Elastic Defend's ECS mapping. Diagnostics carry spans into the query text.
pub fn lower(
    query: &Query,
    meta: &RuleMetadata,
    types: Option<&FieldTypes>,
) -> Result<Rule, Vec<Diagnostic>> {
    let mut cx = Lower::new(query, meta, types);
    let shape = cx.shape(query);
    let pipes = query
        .pipes
        .iter()
        .map(|p| (p.kind == PipeKind::Head, p.count))
        .collect();
    if cx.diags.is_empty() {
        Ok(Rule {
            fields: cx.fields,
            matchers: cx.matchers,
            stages: cx.stages,
            scripts: cx.scripts,
            consts: cx.consts,
            pipes,
            tiebreaker: cx.tiebreaker,
            category_field: cx.category_field,
            shape,
        })
    } else {
        Err(cx.diags)
    }
}

fn unsupported(what: &str, span: Span) -> Diagnostic {
    Diagnostic::error(format!("not supported by the compiler yet: {what}"), span)
}

struct Lower {
    fields: Vec<FieldInfo>,
    by_path: HashMap<String, FieldIx>,
    category_field: FieldIx,
    matchers: Vec<Matcher>,
    /// Per name stem (`PROCESS_NAME_EXACT`), how many matchers have it.
    counters: HashMap<String, usize>,
    stages: Vec<Stage>,
    scripts: Vec<Script>,
    consts: Vec<SExpr>,
    tiebreaker: Option<FieldIx>,
    /// The index mapping, or the ECS default.
    types: FieldTypes,
    diags: Vec<Diagnostic>,
}

impl Lower {
    fn new(query: &Query, meta: &RuleMetadata, mapping: Option<&FieldTypes>) -> Lower {
        let ecs;
        let types = match mapping {
            Some(t) => t,
            None => {
                ecs = FieldTypes::ecs();
                &ecs
            }
        };
        let mut read = BTreeSet::new();
        collect_fields(query, &mut read);
        let mut names = vec![meta.timestamp_field.clone()];
        names.push(meta.event_category_field.clone());
        // Sorted (BTreeSet) after the two fixed fields, so output is deterministic.
        names.extend(read);
        names.extend(meta.tiebreaker_field.clone());
        // An `alias` field reads its target: both names are one field.
        let resolve = |name: &str| types.resolve(name).to_owned();
        let mut used = BTreeSet::new();
        let mut fields: Vec<FieldInfo> = Vec::new();
        let mut by_path: HashMap<String, FieldIx> = HashMap::new();
        for name in names {
            let path = resolve(&name);
            let ix = match fields.iter().position(|f| f.path == path) {
                Some(ix) => ix,
                None => {
                    let ty = mapped_type(types.get(&path));
                    let null_value = types.null_text(&path);
                    let date_formats = types.date_formats(&path).to_vec();
                    fields.push(FieldInfo {
                        const_name: unique(&mut used, const_name(&path)),
                        path,
                        ty,
                        null_value,
                        date_formats,
                    });
                    fields.len() - 1
                }
            };
            by_path.entry(name).or_insert(ix);
        }
        let category_field = by_path
            .get(&meta.event_category_field)
            .copied()
            .unwrap_or(0);
        let tiebreaker = meta
            .tiebreaker_field
            .as_ref()
            .and_then(|t| by_path.get(t).copied());
        Lower {
            category_field,
            fields,
            by_path,
            matchers: Vec::new(),
            counters: HashMap::new(),
            stages: Vec::new(),
            scripts: Vec::new(),
            consts: Vec::new(),
            tiebreaker,
            types: types.clone(),
            diags: Vec::new(),
        }
    }

    /// The type a comparison with `lit` uses: an unmapped field is typed by its values, as
    /// dynamic mapping types them; the constant tells which kind of values the rule expects.
    fn effective_type(&self, fx: FieldIx, lit: &Literal) -> FieldType {
        match (self.fields[fx].ty, lit) {
            (FieldType::Dynamic, Literal::Int(_) | Literal::Float(_)) => FieldType::Number,
            (FieldType::Dynamic, _) => FieldType::Keyword,
            (ty, _) => ty,
        }
    }

    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn field(&self, f: &Field) -> FieldIx {
        // Every field was collected up front; 0 is unreachable but never a panic.
        self.by_path.get(&f.name).copied().unwrap_or(0)
    }

    fn shape(&mut self, query: &Query) -> Shape {
        match &query.body {
            QueryBody::Event(q) => {
                self.stage(q);
                Shape::Event
            }
            QueryBody::Sample(s) => {
                let mut expected_keys = None;
                let stages = s
                    .stages
                    .iter()
                    .map(|st| self.seq_stage(&s.by, st, &mut expected_keys))
                    .collect();
                Shape::Sequence {
                    maxspan_nanos: None,
                    stages,
                    until: None,
                    sample: true,
                }
            }
            QueryBody::Sequence(seq) => {
                let mut stages = Vec::new();
                let mut expected_keys = None;
                for st in &seq.stages {
                    let s = self.seq_stage(&seq.by, st, &mut expected_keys);
                    let runs = st.runs.map_or(1, |r| r.count);
                    // Expanded one by one so a huge `runs` cannot allocate before the check.
                    for _ in 0..runs {
                        if stages.len() > MAX_STAGES {
                            break;
                        }
                        stages.push(SeqStage {
                            cond: s.cond,
                            keys: s.keys.clone(),
                            missing: s.missing,
                        });
                    }
                }
                if stages.len() > MAX_STAGES {
                    self.error(
                        Diagnostic::error(
                            format!(
                                "a sequence may have at most {MAX_STAGES} stages once `runs` is expanded"
                            ),
                            seq.span,
                        )
                        .with_help("lower `runs`, or split the rule"),
                    );
                }
                let until = seq
                    .until
                    .as_ref()
                    .map(|u| self.seq_stage(&seq.by, u, &mut expected_keys));
                Shape::Sequence {
                    maxspan_nanos: seq.maxspan.map(|m| m.nanos()),
                    stages,
                    until,
                    sample: false,
                }
            }
        }
    }

    fn seq_stage(&mut self, by: &[Field], st: &AstStage, expected: &mut Option<usize>) -> SeqStage {
        let keys: Vec<(FieldIx, bool)> = by
            .iter()
            .chain(&st.by)
            .map(|f| (self.field(f), f.optional))
            .collect();
        match *expected {
            Some(n) if n != keys.len() => self.error(Diagnostic::error(
                format!(
                    "inconsistent number of join keys: {} here, {n} in the first stage",
                    keys.len()
                ),
                st.span,
            )),
            _ => *expected = Some(keys.len()),
        }
        SeqStage {
            cond: self.stage(&st.query),
            keys,
            missing: st.missing,
        }
    }

    fn stage(&mut self, q: &EventQuery) -> usize {
        let pred = self.pred(&q.condition);
        let category = match &q.category.kind {
            CategoryKind::Any => None,
            CategoryKind::Named(c) => Some(c.clone()),
        };
        let canonical = format!(
            "{} where {}",
            category.as_deref().unwrap_or("any"),
            eql_syntax::expr_to_canonical(&q.condition)
        );
        self.stages.push(Stage {
            canonical,
            category,
            pred,
        });
        self.stages.len() - 1
    }

    fn pred(&mut self, e: &Expr) -> Pred {
        if e.is_script() && !specialised(e) {
            return self.script(e);
        }
        match &e.kind {
            ExprKind::Literal(Literal::Bool(b)) => {
                if *b {
                    Pred::True
                } else {
                    Pred::False
                }
            }
            ExprKind::Not(inner) => match self.pred(inner) {
                // Scripts evaluate `not` per value, and stay false on a missing field.
                Pred::Any {
                    field,
                    test,
                    script: true,
                } => Pred::Any {
                    field,
                    test: Test::Not(Box::new(test)),
                    script: true,
                },
                p => Pred::Not(Box::new(p)),
            },
            ExprKind::And(xs) => Pred::And(xs.iter().map(|x| self.pred(x)).collect()),
            ExprKind::Or(xs) => Pred::Or(xs.iter().map(|x| self.pred(x)).collect()),
            ExprKind::Compare { op, left, right } => self.compare(e, *op, left, right),
            ExprKind::Match {
                op,
                operand,
                patterns,
            } => self.matches(*op, operand, patterns),
            ExprKind::In {
                negated,
                insensitive,
                operand,
                list,
            } => {
                let p = self.in_list(*insensitive, operand, list);
                if *negated {
                    Pred::Not(Box::new(p))
                } else {
                    p
                }
            }
            ExprKind::Call {
                name,
                func,
                insensitive,
                args,
                name_span,
            } => self.call(name, *func, *insensitive, args, (*name_span, e.span)),
            // A field as a condition holds when some value is `true` (a boolean, or its text).
            ExprKind::Field(f) => leaf(self.field(f), Test::Eq("true".to_owned()), false),
            ExprKind::Literal(_) => {
                self.error(Diagnostic::error(
                    "a condition must be boolean, not a constant",
                    e.span,
                ));
                Pred::False
            }
            ExprKind::Arith { .. } | ExprKind::Neg(_) => {
                self.error(unsupported("arithmetic as a condition", e.span));
                Pred::False
            }
        }
    }

    /// A condition Elasticsearch runs as a script, as one [`Script`].
    fn script(&mut self, e: &Expr) -> Pred {
        let mut fields = Vec::new();
        let expr = self.sexpr(e, &mut fields);
        self.scripts.push(Script {
            canonical: eql_syntax::expr_to_canonical(e),
            fields,
            expr,
        });
        Pred::Script(self.scripts.len() - 1)
    }

    /// `?field` that the index mapping does not know: Elasticsearch makes it `null`.
    fn absent(&self, e: &Expr) -> bool {
        matches!(&e.kind, ExprKind::Field(f) if f.optional && self.types.lacks(&f.name))
    }

    fn sexpr(&mut self, e: &Expr, fields: &mut Vec<FieldIx>) -> SExpr {
        if self.absent(e) {
            return SExpr::Null;
        }
        let mut sub = |cx: &mut Lower, x: &Expr| Box::new(cx.sexpr(x, fields));
        match &e.kind {
            ExprKind::Literal(l) => match l {
                Literal::Null => SExpr::Null,
                Literal::Bool(b) => SExpr::Bool(*b),
                Literal::Int(i) => SExpr::Int(*i),
                Literal::Float(f) if f.is_finite() => SExpr::Float(*f),
                Literal::Float(_) => SExpr::Null,
                Literal::String(s) => SExpr::Str(s.clone()),
            },
            ExprKind::Field(f) => {
                let fx = self.field(f);
                let i = match fields.iter().position(|&x| x == fx) {
                    Some(i) => i,
                    None => {
                        fields.push(fx);
                        fields.len() - 1
                    }
                };
                SExpr::Field(i)
            }
            ExprKind::Not(x) => SExpr::Not(sub(self, x)),
            ExprKind::Neg(x) => SExpr::Neg(sub(self, x)),
            ExprKind::And(xs) => SExpr::And(xs.iter().map(|x| self.sexpr(x, fields)).collect()),
            ExprKind::Or(xs) => SExpr::Or(xs.iter().map(|x| self.sexpr(x, fields)).collect()),
            ExprKind::Compare { op, left, right } => {
                // `e == null` / `e != null` test existence; other operators with null are null.
                let null =
                    |x: &Expr| matches!(x.kind, ExprKind::Literal(Literal::Null)) || self.absent(x);
                if null(left) || null(right) {
                    let other = if null(right) { left } else { right };
                    return match op {
                        CmpOp::Eq => SExpr::NullTest(sub(self, other), true),
                        CmpOp::Ne => SExpr::NullTest(sub(self, other), false),
                        _ => SExpr::Null,
                    };
                }
                SExpr::Cmp(*op, sub(self, left), sub(self, right))
            }
            ExprKind::Arith { op, left, right } => {
                SExpr::Arith(*op, sub(self, left), sub(self, right))
            }
            ExprKind::Match {
                op,
                operand,
                patterns,
            } => {
                let operand = sub(self, operand);
                let mut pats = Vec::new();
                for p in patterns {
                    match &p.kind {
                        ExprKind::Literal(Literal::String(s)) => pats.push(s.clone()),
                        _ => self.error(Diagnostic::error(
                            format!("the patterns of `{}` must be strings", op.as_str()),
                            p.span,
                        )),
                    }
                }
                if op.is_regex() {
                    let fx = fields.first().copied().unwrap_or(0);
                    let ids = pats
                        .into_iter()
                        .map(|p| self.matcher(fx, MatcherKind::Regex, vec![p], op.is_insensitive()))
                        .collect();
                    SExpr::Regex(operand, ids)
                } else {
                    SExpr::Like(operand, pats, op.is_insensitive())
                }
            }
            ExprKind::In {
                negated,
                insensitive,
                operand,
                list,
            } => {
                let operand = sub(self, operand);
                let items = list.iter().map(|x| self.sexpr(x, fields)).collect();
                let e = SExpr::In(operand, items, *insensitive);
                if *negated {
                    SExpr::Not(Box::new(e))
                } else {
                    e
                }
            }
            ExprKind::Call {
                name,
                func,
                insensitive,
                args,
                name_span,
            } => {
                let Some(func) = *func else {
                    self.error(unsupported(&format!("the function `{name}`"), *name_span));
                    return SExpr::Null;
                };
                let args = args.iter().map(|x| self.sexpr(x, fields)).collect();
                SExpr::Call(func, *insensitive, args)
            }
        }
    }

    /// The field operand of a predicate, or an error at its span.
    fn operand_field<'e>(&mut self, e: &'e Expr, what: &str) -> Option<&'e Field> {
        match &e.kind {
            ExprKind::Field(f) => Some(f),
            _ => {
                self.error(unsupported(
                    &format!("{what} on anything but a field"),
                    e.span,
                ));
                None
            }
        }
    }

    fn compare(&mut self, whole: &Expr, op: CmpOp, left: &Expr, right: &Expr) -> Pred {
        // `length(f) op n` is a script over the field.
        if let ExprKind::Call {
            func: Some(Func::Length),
            args,
            ..
        } = &left.kind
        {
            return self.length(op, args, right, whole.span);
        }
        let (field, op, lit) = match (&left.kind, &right.kind) {
            (ExprKind::Field(f), _) => match literal(right) {
                Some(l) => (f, op, l),
                None if !right.has_field() => return self.const_cmp(f, op, right),
                None => return self.bad_compare(right),
            },
            (_, ExprKind::Field(f)) => match literal(left) {
                Some(l) => (f, flip(op), l),
                None if !left.has_field() => return self.const_cmp(f, flip(op), left),
                None => return self.bad_compare(left),
            },
            (
                ExprKind::Call {
                    name, name_span, ..
                },
                _,
            )
            | (
                _,
                ExprKind::Call {
                    name, name_span, ..
                },
            ) => {
                self.error(unsupported(
                    &format!("comparing the result of `{name}`"),
                    *name_span,
                ));
                return Pred::False;
            }
            _ => {
                self.error(unsupported(
                    "a comparison without a field on either side",
                    whole.span,
                ));
                return Pred::False;
            }
        };
        let fx = self.field(field);
        if lit == Literal::Null {
            return match op {
                CmpOp::Eq => Pred::Not(Box::new(Pred::Has(fx))),
                CmpOp::Ne => Pred::Has(fx),
                _ => {
                    self.error(Diagnostic::error(
                        format!("`{}` cannot compare with null", op.as_str()),
                        whole.span,
                    ));
                    Pred::False
                }
            };
        }
        let ty = self.fields[fx].ty;
        if ty == FieldType::Dynamic {
            return ne_as_not(op, dynamic_leaf(fx, eq_for_ne(op), &lit));
        }
        let test = match ty {
            FieldType::Keyword | FieldType::Dynamic => match keyword_text(&lit) {
                Some(text) if matches!(op, CmpOp::Eq | CmpOp::Ne) => Test::Eq(text),
                Some(text) => Test::TextCmp(op, text),
                None => {
                    self.error(unsupported(
                        "a decimal number compared with a keyword field",
                        right.span.to(left.span),
                    ));
                    return Pred::False;
                }
            },
            FieldType::Number => match num_lit(&lit) {
                Some(n) => Test::NumCmp(eq_for_ne(op), n),
                None => {
                    self.error(Diagnostic::error(
                        format!("`{}` is a numeric field; this is not a number", field.name),
                        whole.span,
                    ));
                    return Pred::False;
                }
            },
            FieldType::Ip => match &lit {
                Literal::String(s) => match s.parse::<IpAddr>() {
                    Ok(ip) => Test::IpCmp(eq_for_ne(op), ip.to_canonical()),
                    Err(_) => {
                        self.error(Diagnostic::error(
                            format!(
                                "`{}` is an ip field; `{s}` is not an IP address",
                                field.name
                            ),
                            whole.span,
                        ));
                        return Pred::False;
                    }
                },
                _ => {
                    self.error(Diagnostic::error(
                        format!(
                            "`{}` is an ip field; compare it with a quoted address",
                            field.name
                        ),
                        whole.span,
                    ));
                    return Pred::False;
                }
            },
            FieldType::Version => match keyword_text(&lit) {
                // A term query: the exact text.
                Some(text) if matches!(op, CmpOp::Eq | CmpOp::Ne) => Test::Eq(text),
                Some(text) => Test::VersionCmp(op, text),
                None => {
                    self.error(Diagnostic::error(
                        format!(
                            "`{}` is a version field; compare it with a version",
                            field.name
                        ),
                        whole.span,
                    ));
                    return Pred::False;
                }
            },
            FieldType::Date => match &lit {
                Literal::String(s) => Test::DateCmp(eq_for_ne(op), s.clone()),
                // A number is epoch milliseconds.
                Literal::Int(n) => Test::DateCmp(eq_for_ne(op), n.to_string()),
                _ => {
                    self.error(Diagnostic::error(
                        format!(
                            "`{}` is a date field; compare it with a date or epoch milliseconds",
                            field.name
                        ),
                        whole.span,
                    ));
                    return Pred::False;
                }
            },
        };
        let leaf = Pred::Any {
            field: fx,
            test,
            script: false,
        };
        ne_as_not(op, leaf)
    }

    /// `field op <constant expression>`: the constant is computed once, at run time.
    fn const_cmp(&mut self, f: &Field, op: CmpOp, e: &Expr) -> Pred {
        let field = self.field(f);
        let mut none = Vec::new();
        let konst = self.sexpr(e, &mut none);
        self.consts.push(konst);
        Pred::ConstCmp {
            field,
            op,
            konst: self.consts.len() - 1,
        }
    }

    fn bad_compare(&mut self, e: &Expr) -> Pred {
        let msg = if matches!(e.kind, ExprKind::Field(_)) {
            Diagnostic::error(
                "a field cannot be compared with another field in EQL",
                e.span,
            )
        } else {
            unsupported("comparing with a computed value", e.span)
        };
        self.error(msg);
        Pred::False
    }

    fn length(&mut self, op: CmpOp, args: &[Expr], right: &Expr, span: Span) -> Pred {
        let [arg] = args else {
            self.error(Diagnostic::error("`length` takes one argument", span));
            return Pred::False;
        };
        let Some(field) = self.operand_field(arg, "`length`") else {
            return Pred::False;
        };
        let n = match literal(right) {
            Some(Literal::Int(n)) => n,
            _ => {
                self.error(unsupported(
                    "`length(…)` compared with anything but an integer",
                    right.span,
                ));
                return Pred::False;
            }
        };
        let fx = self.field(field);
        let test = match u64::try_from(n) {
            Ok(n) => Test::Length(op, n),
            // A length is never negative: the answer is known for every present value.
            Err(_) => {
                if matches!(op, CmpOp::Gt | CmpOp::Ge | CmpOp::Ne) {
                    Test::Not(Box::new(Test::Matchers(Vec::new())))
                } else {
                    Test::Matchers(Vec::new())
                }
            }
        };
        Pred::Any {
            field: fx,
            test,
            script: true,
        }
    }

    fn matches(&mut self, op: MatchOp, operand: &Expr, patterns: &[Expr]) -> Pred {
        let Some(field) = self.operand_field(operand, &format!("`{}`", op.as_str())) else {
            return Pred::False;
        };
        let fx = self.field(field);
        if !matches!(
            self.fields[fx].ty,
            FieldType::Keyword | FieldType::Dynamic | FieldType::Version
        ) {
            self.error(unsupported(
                &format!(
                    "`{}` on the {} field `{}`",
                    op.as_str(),
                    self.fields[fx].ty.as_str(),
                    field.name
                ),
                operand.span,
            ));
            return Pred::False;
        }
        let mut pats = Vec::new();
        for p in patterns {
            match &p.kind {
                ExprKind::Literal(Literal::String(s)) => pats.push(s.as_str()),
                _ => self.error(Diagnostic::error(
                    format!("the patterns of `{}` must be strings", op.as_str()),
                    p.span,
                )),
            }
        }
        let ci = op.is_insensitive();
        if op.is_regex() {
            let ids = pats
                .iter()
                .map(|p| self.matcher(fx, MatcherKind::Regex, vec![(*p).to_owned()], ci))
                .collect();
            return leaf(fx, Test::Matchers(ids), false);
        }
        self.pattern_list(fx, &pats, ci)
    }

    /// A wildcard list: one matcher per shape (a glob per odd pattern), OR-ed.
    fn pattern_list(&mut self, fx: FieldIx, pats: &[&str], ci: bool) -> Pred {
        let mut groups: BTreeMap<u8, (MatcherKind, Vec<String>)> = BTreeMap::new();
        let mut globs = Vec::new();
        for p in pats {
            let (kind, text) = match classify(p) {
                PatShape::AnyValue => return Pred::Has(fx),
                PatShape::Exact(t) => (MatcherKind::Exact, t),
                PatShape::Prefix(t) => (MatcherKind::Prefix, t),
                PatShape::Suffix(t) => (MatcherKind::Suffix, t),
                PatShape::Contains(t) => (MatcherKind::Contains, t),
                PatShape::Glob => {
                    globs.push((*p).to_owned());
                    continue;
                }
            };
            let order = kind as u8;
            let group = groups.entry(order).or_insert_with(|| (kind, Vec::new()));
            if !group.1.iter().any(|x| x == text) {
                group.1.push(text.to_owned());
            }
        }
        let mut ids = Vec::new();
        for (_, (kind, texts)) in groups {
            ids.push(self.matcher(fx, kind, texts, ci));
        }
        for g in globs {
            ids.push(self.matcher(fx, MatcherKind::Glob, vec![g], ci));
        }
        leaf(fx, Test::Matchers(ids), false)
    }

    fn in_list(&mut self, ci: bool, operand: &Expr, list: &[Expr]) -> Pred {
        let Some(field) = self.operand_field(operand, "`in`") else {
            return Pred::False;
        };
        let fx = self.field(field);
        let ty = self.fields[fx].ty;
        let mut texts = Vec::new();
        let mut alts = Vec::new();
        for item in list {
            let Some(lit) = literal(item) else {
                self.error(Diagnostic::error("`in` lists hold constants", item.span));
                continue;
            };
            if ty == FieldType::Dynamic && !ci {
                // Each value compares as its JSON kind makes it.
                alts.push(dynamic_leaf(fx, CmpOp::Eq, &lit));
                continue;
            }
            match if ty == FieldType::Dynamic {
                self.effective_type(fx, &lit)
            } else {
                ty
            } {
                FieldType::Keyword | FieldType::Dynamic | FieldType::Version => {
                    match keyword_text(&lit) {
                        Some(t) if lit != Literal::Null => {
                            if !texts.contains(&t) {
                                texts.push(t);
                            }
                        }
                        _ => self.error(unsupported("this constant in an `in` list", item.span)),
                    }
                }
                FieldType::Number => match num_lit(&lit) {
                    Some(n) => alts.push(leaf(fx, Test::NumCmp(CmpOp::Eq, n), false)),
                    None => self.error(Diagnostic::error(
                        format!("`{}` is a numeric field; this is not a number", field.name),
                        item.span,
                    )),
                },
                FieldType::Ip => match &lit {
                    Literal::String(s) if s.parse::<IpAddr>().is_ok() => {
                        if let Ok(ip) = s.parse::<IpAddr>() {
                            // Elasticsearch stores IPv4 as IPv4-mapped IPv6: one address, two texts.
                            alts.push(leaf(fx, Test::IpCmp(CmpOp::Eq, ip.to_canonical()), false));
                        }
                    }
                    _ => self.error(Diagnostic::error(
                        format!("`{}` is an ip field; this is not an IP address", field.name),
                        item.span,
                    )),
                },
                FieldType::Date => {
                    self.error(unsupported("`in` on the timestamp field", item.span));
                }
            }
        }
        if !texts.is_empty() {
            // `in` never expands wildcards: an exact set, verbatim.
            let id = self.matcher(fx, MatcherKind::Exact, texts, ci);
            alts.insert(0, leaf(fx, Test::Matchers(vec![id]), false));
        }
        match alts.len() {
            0 => Pred::False,
            1 => alts.pop().unwrap_or(Pred::False),
            _ => Pred::Or(alts),
        }
    }

    fn call(
        &mut self,
        name: &str,
        func: Option<Func>,
        insensitive: bool,
        args: &[Expr],
        (name_span, span): (Span, Span),
    ) -> Pred {
        let kind = match func {
            Some(Func::StartsWith) => MatcherKind::Prefix,
            Some(Func::EndsWith) => MatcherKind::Suffix,
            Some(Func::StringContains) => MatcherKind::Contains,
            Some(Func::CidrMatch) => return self.cidr_match(args, span),
            _ => {
                self.error(unsupported(&format!("the function `{name}`"), name_span));
                return Pred::False;
            }
        };
        let [src, sub] = args else {
            self.error(Diagnostic::error(
                format!("`{name}` takes two arguments"),
                span,
            ));
            return Pred::False;
        };
        let Some(field) = self.operand_field(src, &format!("`{name}`")) else {
            return Pred::False;
        };
        let Some(Literal::String(sub)) = literal(sub) else {
            self.error(unsupported(
                &format!("`{name}` with a second argument that is not a string"),
                sub.span,
            ));
            return Pred::False;
        };
        if sub.is_empty() && kind == MatcherKind::Contains {
            self.error(unsupported(
                "`stringContains` with an empty substring",
                span,
            ));
            return Pred::False;
        }
        let fx = self.field(field);
        let id = self.matcher(fx, kind, vec![sub], insensitive);
        leaf(fx, Test::Matchers(vec![id]), true)
    }

    /// `cidrMatch(ip, "10.0.0.0/8", …)`: a terms query on an ip field, so field-level.
    fn cidr_match(&mut self, args: &[Expr], span: Span) -> Pred {
        let Some((first, blocks)) = args.split_first() else {
            self.error(Diagnostic::error("`cidrMatch` needs a field", span));
            return Pred::False;
        };
        let Some(field) = self.operand_field(first, "`cidrMatch`") else {
            return Pred::False;
        };
        let fx = self.field(field);
        if self.fields[fx].ty != FieldType::Ip {
            self.error(Diagnostic::error(
                format!("`cidrMatch` needs an ip field; `{}` is not one", field.name),
                first.span,
            ));
            return Pred::False;
        }
        let mut cidrs = Vec::new();
        for b in blocks {
            match literal(b) {
                Some(Literal::String(s)) if valid_cidr(&s) => cidrs.push(s),
                _ => self.error(Diagnostic::error("not a CIDR block", b.span)),
            }
        }
        if cidrs.is_empty() {
            return Pred::False;
        }
        let id = self.matcher(fx, MatcherKind::Cidr, cidrs, false);
        leaf(fx, Test::Matchers(vec![id]), false)
    }

    fn matcher(&mut self, fx: FieldIx, kind: MatcherKind, pats: Vec<String>, ci: bool) -> usize {
        // No cased letter in any pattern: case-sensitive gives the same answer, faster.
        let ci = ci && kind != MatcherKind::Cidr && pats.iter().any(|p| has_cased(p));
        let stem = format!("{}_{}", self.fields[fx].const_name, kind.as_str());
        let n = self.counters.entry(stem.clone()).or_insert(0);
        *n += 1;
        self.matchers.push(Matcher {
            field: fx,
            name: format!("{stem}_{n}"),
            kind,
            pats,
            ci,
        });
        self.matchers.len() - 1
    }
}

fn is_field(e: &Expr) -> bool {
    e.field().is_some()
}

/// Script conditions over one field that have a specialised form: `startsWith`, `endsWith`
/// and `stringContains` of a field and a string, and `length(field)` against an integer.
fn specialised(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Not(x) => specialised(x),
        ExprKind::Call {
            func: Some(func @ (Func::StartsWith | Func::EndsWith | Func::StringContains)),
            args,
            ..
        } => {
            matches!(args.as_slice(), [f, lit] if is_field(f)
                && matches!(&lit.kind, ExprKind::Literal(Literal::String(s))
                    if !(s.is_empty() && *func == Func::StringContains)))
        }
        ExprKind::Compare { left, right, .. } => {
            matches!(&left.kind, ExprKind::Call { func: Some(Func::Length), args, .. }
                if matches!(args.as_slice(), [f] if is_field(f)))
                && matches!(literal(right), Some(Literal::Int(_)))
        }
        _ => false,
    }
}

fn leaf(field: FieldIx, test: Test, script: bool) -> Pred {
    Pred::Any {
        field,
        test,
        script,
    }
}

/// `!=` is lowered as `not ==`: the test itself is equality.
fn eq_for_ne(op: CmpOp) -> CmpOp {
    if op == CmpOp::Ne {
        CmpOp::Eq
    } else {
        op
    }
}

/// `lit op field` as `field op' lit`.
fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        o => o,
    }
}

/// A constant, with `-n` folded.
fn literal(e: &Expr) -> Option<Literal> {
    match &e.kind {
        ExprKind::Literal(l) => Some(l.clone()),
        ExprKind::Neg(inner) => match literal(inner)? {
            Literal::Int(n) => n.checked_neg().map(Literal::Int),
            Literal::Float(f) => Some(Literal::Float(-f)),
            _ => None,
        },
        _ => None,
    }
}

/// The term a constant becomes in a keyword field. Decimals are left out: their text in
/// Elasticsearch is Java's `Double.toString`, which this compiler does not reproduce.
fn keyword_text(l: &Literal) -> Option<String> {
    match l {
        Literal::String(s) => Some(s.clone()),
        Literal::Int(n) => Some(n.to_string()),
        Literal::Bool(b) => Some(b.to_string()),
        Literal::Null | Literal::Float(_) => None,
    }
}

/// `!=` is `not ==`: a must_not, true when the field is missing. `leaf` is the `==` test.
fn ne_as_not(op: CmpOp, leaf: Pred) -> Pred {
    if op == CmpOp::Ne {
        Pred::Not(Box::new(leaf))
    } else {
        leaf
    }
}

/// `field op lit` on a field no mapping types ([`Pred::Dynamic`]).
fn dynamic_leaf(field: FieldIx, op: CmpOp, lit: &Literal) -> Pred {
    Pred::Dynamic {
        field,
        op,
        text: keyword_text(lit),
        num: num_lit(lit),
        boolean: match lit {
            Literal::Bool(b) => Some(*b),
            _ => None,
        },
    }
}

/// A constant as a number, as Elasticsearch coerces it for a numeric field.
fn num_lit(l: &Literal) -> Option<NumLit> {
    match l {
        Literal::Int(n) => Some(NumLit::Int(*n)),
        Literal::Float(f) if f.is_finite() => Some(NumLit::Float(*f)),
        Literal::String(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<i64>() {
                Some(NumLit::Int(n))
            } else {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(NumLit::Float)
            }
        }
        _ => None,
    }
}

/// `address/length`, or a bare address (a block of one address).
fn valid_cidr(s: &str) -> bool {
    let Some((addr, len)) = s.split_once('/') else {
        return s.parse::<IpAddr>().is_ok();
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    match addr.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => len <= 32 && !addr.contains(':'),
        Ok(IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

/// Whether `s` has a letter whose case can change (so case-insensitivity matters).
pub fn has_cased(s: &str) -> bool {
    s.chars()
        .any(|c| !c.to_lowercase().eq(c.to_uppercase()) || c.is_lowercase() || c.is_uppercase())
}

/// The cheapest matcher shape for a wildcard pattern.
#[derive(Debug, PartialEq, Eq)]
pub enum PatShape<'p> {
    /// `*` (or `**`…): any value.
    AnyValue,
    /// No wildcard.
    Exact(&'p str),
    /// `lit*`.
    Prefix(&'p str),
    /// `*lit`.
    Suffix(&'p str),
    /// `*lit*`.
    Contains(&'p str),
    /// Anything else (`?`, inner `*`).
    Glob,
}

/// Classifies a `:`/`like` pattern (`*` any run, `?` one character, no escape).
pub fn classify(p: &str) -> PatShape<'_> {
    let wild = |s: &str| s.contains(['*', '?']);
    if !p.is_empty() && p.bytes().all(|b| b == b'*') {
        return PatShape::AnyValue;
    }
    if !wild(p) {
        return PatShape::Exact(p);
    }
    if let Some(head) = p.strip_suffix('*') {
        if !wild(head) {
            return PatShape::Prefix(head);
        }
        if let Some(mid) = head.strip_prefix('*') {
            if !mid.is_empty() && !wild(mid) {
                return PatShape::Contains(mid);
            }
        }
    }
    if let Some(tail) = p.strip_prefix('*') {
        if !wild(tail) {
            return PatShape::Suffix(tail);
        }
    }
    PatShape::Glob
}

/// `process.parent.name` → `PROCESS_PARENT_NAME`; `@timestamp` → `TIMESTAMP`.
pub(crate) fn const_name(path: &str) -> String {
    let mut out = String::new();
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("FIELD_{out}")
    } else {
        out
    }
}

pub(crate) fn unique(used: &mut BTreeSet<String>, name: String) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    candidate
}

/// Every field the query mentions: conditions and join keys.
fn collect_fields(q: &Query, out: &mut BTreeSet<String>) {
    let stage = |st: &AstStage, out: &mut BTreeSet<String>| {
        expr_fields(&st.query.condition, out);
        out.extend(st.by.iter().map(|f| f.name.clone()));
    };
    match &q.body {
        QueryBody::Event(e) => expr_fields(&e.condition, out),
        QueryBody::Sequence(s) => {
            out.extend(s.by.iter().map(|f| f.name.clone()));
            s.stages.iter().for_each(|st| stage(st, out));
            if let Some(u) = &s.until {
                stage(u, out);
            }
        }
        QueryBody::Sample(s) => {
            out.extend(s.by.iter().map(|f| f.name.clone()));
            s.stages.iter().for_each(|st| stage(st, out));
        }
    }
}

fn expr_fields(e: &Expr, out: &mut BTreeSet<String>) {
    match &e.kind {
        ExprKind::Field(f) => {
            out.insert(f.name.clone());
        }
        _ => e.children().for_each(|x| expr_fields(x, out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(classify("*"), PatShape::AnyValue);
        assert_eq!(classify("**"), PatShape::AnyValue);
        assert_eq!(classify(""), PatShape::Exact(""));
        assert_eq!(classify("curl"), PatShape::Exact("curl"));
        assert_eq!(classify("python*"), PatShape::Prefix("python"));
        assert_eq!(classify("*.exe"), PatShape::Suffix(".exe"));
        assert_eq!(classify("*169.254*"), PatShape::Contains("169.254"));
        assert_eq!(classify("/etc/rc*.d/*"), PatShape::Glob);
        assert_eq!(classify("doc?"), PatShape::Glob);
        assert_eq!(classify("a**"), PatShape::Glob);
        assert_eq!(classify("*a?*"), PatShape::Glob);
    }

    #[test]
    fn cased() {
        assert!(!has_cased("./*"));
        assert!(!has_cased("169.254.169.254"));
        assert!(has_cased("/tmp/*"));
        assert!(has_cased("É"));
        assert!(has_cased("ß"));
    }

    #[test]
    fn names() {
        assert_eq!(const_name("@timestamp"), "TIMESTAMP");
        assert_eq!(const_name("process.parent.name"), "PROCESS_PARENT_NAME");
        assert_eq!(const_name("1a"), "FIELD_1A");
        assert_eq!(const_name("..."), "FIELD_");
        let mut used = BTreeSet::new();
        assert_eq!(unique(&mut used, "A".into()), "A");
        assert_eq!(unique(&mut used, "A".into()), "A_2");
    }
}
