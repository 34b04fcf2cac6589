//! The IR evaluated over a decoded event: each node decides what the expression codegen emits
//! for it decides, with the same runtime calls (`eql_runtime::matcher`, `script`, `value`,
//! `time`, `ip`). The agreement tests hold the two back ends to the same answers.

use std::cmp::Ordering;

use eql_ir::rule::{FieldIx, NumLit, Pred, SExpr, Test};
use eql_ir::{CmpOp, FieldType};
use eql_runtime::event::{Event, FieldId};
use eql_runtime::matcher::ip;
use eql_runtime::script::{self, Kind, Val};
use eql_runtime::value::{cmp_num, cmp_version, dynamic_order, parse_num, Num};

use crate::matchers::Built;

/// A script's fields, resolved once: ids in the set's schema and how each enters the script.
pub(crate) struct ScriptFields(pub(crate) Vec<(FieldId, Kind)>);

/// What evaluation reads besides the event: the IR and what was built from it at load time.
pub(crate) struct Evaluator<'r> {
    /// Each IR field's id in the set's schema.
    pub(crate) ids: &'r [FieldId],
    pub(crate) types: &'r [FieldType],
    pub(crate) matchers: &'r [Built],
    pub(crate) scripts: &'r [(ScriptFields, SExpr)],
    /// The computed constants, evaluated once at load.
    pub(crate) consts: &'r [Val],
}

impl Evaluator<'_> {
    #[inline]
    fn id(&self, f: FieldIx) -> FieldId {
        self.ids.get(f).copied().unwrap_or(FieldId::MAX)
    }

    /// Codegen's `pred`: `&&`, `||` and `!` short-circuit as Rust's do.
    pub(crate) fn pred(&self, p: &Pred, ev: &Event<'_>) -> bool {
        match p {
            Pred::True => true,
            Pred::False => false,
            Pred::Has(f) => ev.has(self.id(*f)),
            Pred::Not(inner) => !self.pred(inner, ev),
            Pred::And(xs) => xs.iter().all(|x| self.pred(x, ev)),
            Pred::Or(xs) => xs.iter().any(|x| self.pred(x, ev)),
            Pred::Any { field, test, .. } => ev.any_text(self.id(*field), |s| self.test(test, s)),
            Pred::Script(i) => match self.scripts.get(*i) {
                Some((fields, expr)) => script::any(ev, &fields.0, |v| self.sexpr(expr, v)),
                None => false,
            },
            Pred::Dynamic {
                field,
                op,
                text,
                num,
                boolean,
            } => {
                let num = num.map(num_lit);
                ev.any_value(self.id(*field), |v| {
                    ordering(*op, dynamic_order(v, text.as_deref(), num, *boolean))
                })
            }
            Pred::ConstCmp { field, op, konst } => {
                let c = self.consts.get(*konst).unwrap_or(&Val::Null);
                let kind = kind(self.types.get(*field).copied());
                script::query_cmp(ev, self.id(*field), kind, *op, c)
            }
        }
    }

    /// Codegen's `test_tokens`, on one value's keyword text.
    fn test(&self, t: &Test, s: &str) -> bool {
        match t {
            Test::Matchers(ids) => ids
                .iter()
                .filter_map(|&i| self.matchers.get(i))
                .any(|m| m.is_match(s)),
            Test::Eq(lit) => s == lit,
            Test::TextCmp(op, lit) => op.holds(s.cmp(lit.as_str())),
            Test::NumCmp(op, n) => {
                ordering(*op, parse_num(s).and_then(|v| cmp_num(v, num_lit(*n))))
            }
            Test::IpCmp(CmpOp::Eq, addr) => ip::eq(s, addr),
            Test::IpCmp(op, addr) => ordering(*op, ip::cmp(s, addr)),
            Test::DateCmp(op, lit) => ordering(*op, eql_runtime::time::cmp_text(s, lit)),
            Test::VersionCmp(op, lit) => ordering(*op, Some(cmp_version(s, lit))),
            Test::Length(op, n) => {
                let len = s.encode_utf16().count();
                op.holds(len.cmp(&usize::try_from(*n).unwrap_or(usize::MAX)))
            }
            Test::Not(inner) => !self.test(inner, s),
        }
    }

    /// Codegen's `sexpr`: the same `eql_runtime::script` calls.
    pub(crate) fn sexpr(&self, e: &SExpr, v: &[Val]) -> Val {
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
            SExpr::Cmp(op, a, b) => script::cmp(*op, &self.sexpr(a, v), &self.sexpr(b, v)),
            SExpr::NullTest(x, is_null) => script::null_test(&self.sexpr(x, v), *is_null),
            SExpr::Arith(op, a, b) => script::arith(*op, &self.sexpr(a, v), &self.sexpr(b, v)),
            SExpr::Neg(x) => script::neg(&self.sexpr(x, v)),
            SExpr::Call(f, ci, args) => script::call(*f, *ci, &list(args)),
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
}

/// Codegen's `num`: a non-finite float is written as `0.0` (lowering keeps only finite ones).
fn num_lit(n: NumLit) -> Num {
    match n {
        NumLit::Int(i) => Num::Int(i),
        NumLit::Float(f) => Num::Float(if f.is_finite() { f } else { 0.0 }),
    }
}

/// Codegen's `kind_tokens`: how a field's values enter a script.
pub(crate) fn kind(ty: Option<FieldType>) -> Kind {
    match ty {
        Some(FieldType::Keyword) => Kind::Keyword,
        Some(FieldType::Number) => Kind::Number,
        Some(FieldType::Ip) => Kind::Ip,
        Some(FieldType::Date) => Kind::Date,
        _ => Kind::Dynamic,
    }
}

/// An order that may be unknown (`None` never satisfies `op`).
fn ordering(op: CmpOp, o: Option<Ordering>) -> bool {
    o.is_some_and(|o| op.holds(o))
}
