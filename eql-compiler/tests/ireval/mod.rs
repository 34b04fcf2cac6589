//! An interpreter of the compiler's IR (`eql_compiler::__test`), built on the same runtime
//! pieces the generated code calls: the matchers of `eql_runtime::matcher`, `value::parse_num` /
//! `cmp_num`, `ip::eq` / `ip::cmp` / `ip::cidr_match`, and `Event::any_text` over an event decoded
//! by `Doc::parse`.
//!
//! Why this stands for the generated code: `codegen.rs` renders each IR node as one Rust
//! expression and adds no logic of its own. Every arm below names the expression codegen emits
//! for the same node, so evaluating the IR here decides exactly what the generated `stage_N`
//! functions and `eval` decide, without running rustc per random rule. Keep the two in step: a
//! new IR node or a changed rendering in codegen must be mirrored here.
//!
//! It lives with the tests (not in `eql-compiler/src`) because the compiler must not depend on
//! the runtime: the runtime is only a dev-dependency.

use std::cmp::Ordering;
use std::sync::Arc;

use eql_compiler::__test::{FieldType, MatcherKind, NumLit, Pred, Rule, SExpr, Shape, Test};
use eql_runtime::event::{Doc, DynSchema, Event};
use eql_runtime::matcher::{ip, Contains, Exact, Glob, Prefix, Regex, Suffix};
use eql_runtime::rule::{KeyField, RuleMeta, SeqSpec, Shape as RtShape, StageSpec, UNTIL_BIT};
use eql_runtime::script::{self, ArithOp, Func, Kind, Val};
use eql_runtime::seq::{Key, KeyValue};
use eql_runtime::value::{cmp_num, parse_num, Num};
use eql_syntax::ast::CmpOp;

/// A matcher `static` of the generated code, built at run time with the same constructor.
enum Built {
    /// `Exact::new(&[pats], ci)`.
    Exact(Exact),
    /// `Prefix::new(&[pats], ci)`.
    Prefix(Prefix),
    /// `Suffix::new(&[pats], ci)`.
    Suffix(Suffix),
    /// `LazyLock::new(|| Contains::new(&[pats], ci))` (boxed: it owns search tables).
    Contains(Box<Contains>),
    /// `Glob::new(first, ci)`.
    Glob(Glob),
    /// `LazyLock::new(|| Regex::new(first, ci).ok())`: an invalid pattern matches nothing.
    Regex(Option<Regex>),
    /// `[pats].into_iter().filter_map(ip::Cidr::parse).collect()`.
    Cidr(Vec<ip::Cidr>),
}

impl Built {
    /// The call codegen's `test_tokens` emits for `Test::Matchers`.
    fn is_match(&self, s: &str) -> bool {
        match self {
            Built::Exact(m) => m.is_match(s),
            Built::Prefix(m) => m.is_match(s),
            Built::Suffix(m) => m.is_match(s),
            Built::Contains(m) => m.is_match(s),
            Built::Glob(m) => m.is_match(s),
            // `NAME.as_ref().is_some_and(|__r| __r.is_match(__s))`
            Built::Regex(r) => r.as_ref().is_some_and(|r| r.is_match(s)),
            // `ip::cidr_match(__s, &NAME)`
            Built::Cidr(c) => ip::cidr_match(s, c),
        }
    }
}

/// The matchers take `&'static` pattern lists (they are `static`s in generated code); a test
/// process builds a bounded number of rules, so leaking them is the honest equivalent.
fn leak_list(pats: &[String]) -> &'static [&'static str] {
    let v: Vec<&'static str> = pats
        .iter()
        .map(|p| &*Box::leak(p.clone().into_boxed_str()))
        .collect();
    Box::leak(v.into_boxed_slice())
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// A lowered rule ready to evaluate: the IR, its schema and its matchers.
pub struct IrRule {
    ir: Rule,
    schema: DynSchema,
    matchers: Vec<Built>,
    /// The runtime shape, laid out as codegen's `__SHAPE` (field ids index the IR's fields).
    shape: &'static RtShape,
    names: &'static [&'static str],
    meta: &'static RuleMeta,
}

impl IrRule {
    /// Builds the matchers and the schema of a lowered rule.
    pub fn new(ir: Rule, query: &str) -> IrRule {
        let matchers = ir
            .matchers
            .iter()
            .map(|m| {
                let first = m.pats.first().map_or("", String::as_str);
                match m.kind {
                    MatcherKind::Exact => Built::Exact(Exact::new(leak_list(&m.pats), m.ci)),
                    MatcherKind::Prefix => Built::Prefix(Prefix::new(leak_list(&m.pats), m.ci)),
                    MatcherKind::Suffix => Built::Suffix(Suffix::new(leak_list(&m.pats), m.ci)),
                    MatcherKind::Contains => {
                        let pats: Vec<&str> = m.pats.iter().map(String::as_str).collect();
                        Built::Contains(Box::new(Contains::new(&pats, m.ci)))
                    }
                    MatcherKind::Glob => Built::Glob(Glob::new(leak_str(first), m.ci)),
                    MatcherKind::Regex => Built::Regex(Regex::new(first, m.ci).ok()),
                    MatcherKind::Cidr => {
                        Built::Cidr(m.pats.iter().filter_map(|p| ip::Cidr::parse(p)).collect())
                    }
                }
            })
            .collect();
        let paths: Vec<String> = ir.fields.iter().map(|f| f.path.clone()).collect();
        let names = leak_list(&paths);
        let shape = match &ir.shape {
            Shape::Event => RtShape::Event,
            Shape::Sequence {
                maxspan_nanos,
                stages,
                until,
                sample,
            } => {
                let spec = |keys: &[(usize, bool)], missing: bool| StageSpec {
                    keys: Box::leak(
                        keys.iter()
                            .map(|&(f, optional)| KeyField {
                                field: u16::try_from(f).unwrap_or(u16::MAX),
                                optional,
                            })
                            .collect::<Vec<_>>()
                            .into_boxed_slice(),
                    ),
                    missing,
                };
                RtShape::Sequence(SeqSpec {
                    maxspan_nanos: *maxspan_nanos,
                    stages: Box::leak(
                        stages
                            .iter()
                            .map(|s| spec(&s.keys, s.missing))
                            .collect::<Vec<_>>()
                            .into_boxed_slice(),
                    ),
                    until: until.as_ref().map(|u| spec(&u.keys, u.missing)),
                    sample: *sample,
                })
            }
        };
        let meta = RuleMeta {
            name: "ir",
            rule_id: "",
            description: "",
            severity: "low",
            risk_score: 21,
            version: 1,
            tags: &[],
            index: &[],
            event_category_field: "event.category",
            timestamp_field: "@timestamp",
            timestamp_override: None,
            interval: "5m",
            from: "now-6m",
            max_signals: 100,
            author: &[],
            license: "",
            references: &[],
            threat: &[],
            query: leak_str(query),
            source: "<ir>",
            canonical: "",
            plan: "",
        };
        IrRule {
            ir,
            schema: DynSchema::new(paths),
            matchers,
            shape: Box::leak(Box::new(shape)),
            names,
            meta: Box::leak(Box::new(meta)),
        }
    }

    /// The IR.
    pub fn ir(&self) -> &Rule {
        &self.ir
    }

    /// Codegen's `eval` body for a decoded event.
    pub fn eval(&self, ev: &Event<'_>) -> u64 {
        match &self.ir.shape {
            // `u64::from(stage_0(__ev))`
            Shape::Event => u64::from(self.stage(0, ev)),
            Shape::Sequence { stages, until, .. } => {
                // One test per distinct condition; `runs` copies share its bits.
                let mut bits = 0u64;
                for cond in 0..self.ir.stages.len() {
                    let mask: u64 = stages
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.cond == cond)
                        .fold(0, |m, (i, _)| m | (1u64 << (i % 64)));
                    if mask != 0 {
                        if self.stage(cond, ev) {
                            bits |= mask;
                        }
                    } else if until.as_ref().is_some_and(|u| u.cond == cond) && self.stage(cond, ev)
                    {
                        bits |= UNTIL_BIT;
                    }
                }
                bits
            }
        }
    }

    /// Decodes a line with the rule's schema and evaluates it; `None` when the line is not a
    /// document the decoder accepts.
    pub fn eval_line(&self, doc: &mut Doc, line: &str) -> Option<u64> {
        let ev = doc.parse(&self.schema, line.as_bytes()).ok()?;
        Some(self.eval(&ev))
    }

    /// A generated `stage_N` function.
    fn stage(&self, i: usize, ev: &Event<'_>) -> bool {
        let Some(st) = self.ir.stages.get(i) else {
            return false;
        };
        // `__ev.any_text(CATEGORY, |__s| __s == "cat") && (pred)`; `pred` alone for `any`.
        let cat = st
            .category
            .as_ref()
            .is_none_or(|c| ev.any_text(field_id(self.ir.category_field), |s| s == c));
        cat && self.pred(&st.pred, ev)
    }

    /// Codegen's `pred`.
    fn pred(&self, p: &Pred, ev: &Event<'_>) -> bool {
        match p {
            Pred::True => true,
            Pred::False => false,
            // `__ev.has(F)`
            Pred::Has(f) => ev.has(field_id(*f)),
            // `!inner`
            Pred::Not(inner) => !self.pred(inner, ev),
            // `a && b && …` (short-circuit, as Rust's `&&`)
            Pred::And(xs) => xs.iter().all(|x| self.pred(x, ev)),
            // `a || b || …`
            Pred::Or(xs) => xs.iter().any(|x| self.pred(x, ev)),
            // `__ev.any_text(F, |__s| test)`
            Pred::Any { field, test, .. } => ev.any_text(field_id(*field), |s| self.test(test, s)),
            // `script_N(__ev)`: `any(__ev, &[(F, Kind)…], |__v| expr)`
            Pred::Script(i) => {
                let Some(sc) = self.ir.scripts.get(*i) else {
                    return false;
                };
                let fields: Vec<_> = sc
                    .fields
                    .iter()
                    .map(|&f| (field_id(f), self.kind(f)))
                    .collect();
                script::any(ev, &fields, |v| self.sexpr(&sc.expr, v))
            }
            // `script::query_cmp(__ev, F, Kind, CmpOp, &CONST_N)`
            Pred::ConstCmp { field, op, konst } => {
                let c = self
                    .ir
                    .consts
                    .get(*konst)
                    .map_or(Val::Null, |c| self.sexpr(c, &[]));
                script::query_cmp(ev, field_id(*field), self.kind(*field), script_op(*op), &c)
            }
        }
    }

    /// Codegen's `kind_tokens`.
    fn kind(&self, f: usize) -> Kind {
        match self.ir.fields.get(f).map(|x| x.ty) {
            Some(FieldType::Keyword) => Kind::Keyword,
            Some(FieldType::Number) => Kind::Number,
            Some(FieldType::Ip) => Kind::Ip,
            Some(FieldType::Date) => Kind::Date,
            _ => Kind::Dynamic,
        }
    }

    /// Codegen's `sexpr`: the same `eql_runtime::script` calls.
    fn sexpr(&self, e: &SExpr, v: &[Val]) -> Val {
        let list = |xs: &[SExpr]| xs.iter().map(|x| self.sexpr(x, v)).collect::<Vec<_>>();
        match e {
            SExpr::Null => Val::Null,
            SExpr::Bool(b) => Val::Bool(*b),
            SExpr::Int(i) => Val::Int(*i),
            SExpr::Float(f) => Val::Float(if f.is_finite() { *f } else { 0.0 }),
            SExpr::Str(s) => Val::str(s),
            SExpr::Field(i) => v.get(*i).cloned().unwrap_or(Val::Null),
            SExpr::Not(x) => script::not(self.sexpr(x, v)),
            SExpr::And(xs) => script::and(&list(xs)),
            SExpr::Or(xs) => script::or(&list(xs)),
            SExpr::Cmp(op, a, b) => {
                script::cmp(script_op(*op), &self.sexpr(a, v), &self.sexpr(b, v))
            }
            SExpr::NullTest(x, is_null) => script::null_test(&self.sexpr(x, v), *is_null),
            SExpr::Arith(op, a, b) => {
                let op = match op {
                    '+' => ArithOp::Add,
                    '-' => ArithOp::Sub,
                    '*' => ArithOp::Mul,
                    '/' => ArithOp::Div,
                    _ => ArithOp::Mod,
                };
                script::arith(op, &self.sexpr(a, v), &self.sexpr(b, v))
            }
            SExpr::Neg(x) => script::neg(&self.sexpr(x, v)),
            SExpr::Call(f, ci, args) => match Func::from_name(f) {
                Some(f) => script::call(f, *ci, &list(args)),
                None => Val::Null,
            },
            SExpr::Like(x, pats, ci) => script::text_test(&self.sexpr(x, v), |t| {
                pats.iter().any(|p| eql_runtime::matcher::like(p, t, *ci))
            }),
            SExpr::Regex(x, ids) => script::text_test(&self.sexpr(x, v), |t| {
                ids.iter()
                    .filter_map(|&i| self.matchers.get(i))
                    .any(|m| m.is_match(t))
            }),
            SExpr::In(x, items, ci) => script::in_list(&self.sexpr(x, v), &list(items), *ci),
        }
    }

    /// Codegen's `test_tokens`, on one value's keyword text `s` (`__s`).
    fn test(&self, t: &Test, s: &str) -> bool {
        match t {
            // `false` for an empty list, else `M1.is_match(__s) || M2.… `
            Test::Matchers(ids) => ids
                .iter()
                .filter_map(|&i| self.matchers.get(i))
                .any(|m| m.is_match(s)),
            // `__s == "lit"`
            Test::Eq(lit) => s == lit,
            // `__s < "lit"` etc.: `str`'s order is byte-wise.
            Test::TextCmp(op, lit) => text_op(*op, s.cmp(lit.as_str())),
            // `matches!(parse_num(__s).and_then(|__n| cmp_num(__n, N)), ORD)`
            Test::NumCmp(op, n) => {
                let n = match *n {
                    NumLit::Int(i) => Num::Int(i),
                    // codegen writes `0.0` for a non-finite float (lowering keeps only finite).
                    NumLit::Float(f) => Num::Float(if f.is_finite() { f } else { 0.0 }),
                };
                ordering(*op, parse_num(s).and_then(|v| cmp_num(v, n)))
            }
            // `ip::eq(__s, &IP)`
            Test::IpCmp(CmpOp::Eq, addr) => ip::eq(s, addr),
            // `matches!(ip::cmp(__s, &IP), ORD)`
            Test::IpCmp(op, addr) => ordering(*op, ip::cmp(s, addr)),
            // `matches!(time::cmp_text(__s, "lit"), ORD)`
            Test::DateCmp(op, lit) => ordering(*op, eql_runtime::time::cmp_text(s, lit)),
            // `matches!(Some(cmp_version(__s, "lit")), ORD)`
            Test::VersionCmp(op, lit) => {
                ordering(*op, Some(eql_runtime::value::cmp_version(s, lit)))
            }
            // `__s.encode_utf16().count() OP n`
            Test::Length(op, n) => {
                let len = s.encode_utf16().count();
                let n = usize::try_from(*n).unwrap_or(usize::MAX);
                text_op(*op, len.cmp(&n))
            }
            // `!inner`
            Test::Not(inner) => !self.test(inner, s),
        }
    }

    /// Join keys of a stage (`None`: `until`) as the detector computes them for compiled rules
    /// (`detector::stage_keys`): the cartesian product of each key field's distinct texts, empty
    /// when a non-optional key has no value.
    fn keys_of(&self, ev: &Event<'_>, stage: Option<usize>) -> Vec<Key> {
        let RtShape::Sequence(spec) = self.shape else {
            return Vec::new();
        };
        let st = match stage {
            Some(i) => spec.stages.get(i),
            None => spec.until.as_ref(),
        };
        let Some(st) = st else { return Vec::new() };
        let mut keys: Vec<Vec<KeyValue>> = vec![Vec::new()];
        for kf in st.keys {
            let mut values: Vec<KeyValue> = Vec::new();
            // Codegen's `key_value`: a `date` key is its instant (`time::date_key`).
            let info = self.ir.fields.get(usize::from(kf.field));
            for text in ev.texts(kf.field) {
                let value: Box<str> = match info.filter(|f| f.ty == FieldType::Date) {
                    Some(f) => {
                        let formats: Vec<&str> =
                            f.date_formats.iter().map(String::as_str).collect();
                        eql_runtime::time::date_key(text, &formats, spec.sample)
                            .map_or_else(|| Box::from(text), String::into_boxed_str)
                    }
                    None => Box::from(text),
                };
                if !values.iter().any(|v| v.as_deref() == Some(&*value)) {
                    values.push(Some(value));
                }
            }
            if values.is_empty() {
                if !kf.optional {
                    return Vec::new();
                }
                values.push(None);
            }
            keys = keys
                .into_iter()
                .flat_map(|prefix| {
                    values.iter().map(move |v| {
                        let mut k = prefix.clone();
                        k.push(v.clone());
                        k
                    })
                })
                .collect();
        }
        keys.into_iter().map(Vec::into_boxed_slice).collect()
    }
}

fn field_id(f: usize) -> u16 {
    u16::try_from(f).unwrap_or(u16::MAX)
}

/// `__s OP lit` for a total order.
fn text_op(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

/// Codegen's `ordering`: the `Option<Ordering>` pattern that satisfies `op` (`None` never does).
fn ordering(op: CmpOp, o: Option<Ordering>) -> bool {
    o.is_some_and(|o| text_op(op, o))
}

/// The IR evaluator as a run-time rule, so the [`eql_runtime::detector::Detector`] drives it
/// exactly as it drives the interpreter. The detector hands over a parsed document; it is
/// serialised again and decoded with `Doc::parse`, the compiled path's decoder.
pub struct IrValueRule(pub Arc<IrRule>);

impl IrValueRule {
    fn with_event<T>(&self, doc: &serde_json::Value, f: impl FnOnce(&Event<'_>) -> T) -> Option<T> {
        let line = doc.to_string();
        let mut scratch = Doc::new();
        let ev = scratch.parse(&self.0.schema, line.as_bytes()).ok()?;
        Some(f(&ev))
    }
}

impl eql_runtime::rule::ValueRule for IrValueRule {
    fn meta(&self) -> &'static RuleMeta {
        self.0.meta
    }

    fn shape(&self) -> &'static RtShape {
        self.0.shape
    }

    fn field_names(&self) -> &'static [&'static str] {
        self.0.names
    }

    fn timestamp(&self, doc: &serde_json::Value) -> Option<String> {
        self.with_event(doc, |ev| ev.first_text(0).map(str::to_owned))
            .flatten()
    }

    fn eval(&self, doc: &serde_json::Value) -> u64 {
        self.with_event(doc, |ev| self.0.eval(ev)).unwrap_or(0)
    }

    fn keys(&self, doc: &serde_json::Value, stage: Option<usize>) -> Vec<Key> {
        self.with_event(doc, |ev| self.0.keys_of(ev, stage))
            .unwrap_or_default()
    }
}

fn script_op(op: CmpOp) -> script::CmpOp {
    match op {
        CmpOp::Eq => script::CmpOp::Eq,
        CmpOp::Ne => script::CmpOp::Ne,
        CmpOp::Lt => script::CmpOp::Lt,
        CmpOp::Le => script::CmpOp::Le,
        CmpOp::Gt => script::CmpOp::Gt,
        CmpOp::Ge => script::CmpOp::Ge,
    }
}
