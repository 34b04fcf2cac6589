//! Evaluation of conditions over one document, and the load-time checks that keep evaluation
//! total.
//!
//! Elasticsearch turns a filter into Lucene queries where it can and into scripts where it must,
//! and the two treat missing values differently, so the interpreter keeps the distinction:
//!
//! - a *query leaf* compares a bare field with constants (`x == v`, `x : p`, `x in (…)`,
//!   `x < v`); it matches when **any** value of the field does, is false on a missing field,
//!   and `not` over it is `must_not` (true on a missing field); `x != v` is `not (x == v)`;
//! - a *script leaf* is anything else (functions, arithmetic); it is evaluated with `null`
//!   propagation for every combination of the values of the fields it reads, and matches when
//!   some combination yields `true` (a `null` result never matches, also under `not`).

use std::cmp::Ordering;
use std::collections::HashMap;

use eql_syntax::ast::{ArithOp, CmpOp, Expr, ExprKind, Func, Literal, MatchOp};
use serde_json::Value;

use crate::field;
use crate::value::{self, parse_cidr, parse_instant_text, parse_ip, Num, Val};
use crate::wildcard;
use eql_syntax::mapping::{FieldType, FieldTypes};

/// Compiled regular expressions, keyed by (Lucene pattern, case-insensitive).
pub(crate) type Regexes = HashMap<(String, bool), regex::Regex>;

/// The most value combinations a script leaf is evaluated for; beyond it the document's arrays
/// are pathological and the leaf does not match (see [`Ctx::script_any`]).
const MAX_COMBINATIONS: usize = 1 << 16;

/// What evaluation needs besides the expression.
pub(crate) struct Ctx<'a> {
    pub types: &'a FieldTypes,
    pub regexes: &'a Regexes,
    pub doc: &'a Value,
}

/// The value of one field inside a script, per combination.
type Env<'a> = HashMap<&'a str, Val>;

fn is_field(e: &Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Field(f) => Some(&f.name),
        _ => None,
    }
}

/// Every field an expression reads, in first-mention order.
pub(crate) fn fields_of<'a>(e: &'a Expr, out: &mut Vec<&'a str>) {
    match &e.kind {
        ExprKind::Field(f) => {
            if !out.contains(&f.name.as_str()) {
                out.push(&f.name);
            }
        }
        _ => e.children().for_each(|x| fields_of(x, out)),
    }
}

/// The field and constant blocks of a `cidrMatch` that Elasticsearch runs as a query.
fn cidr_query(e: &Expr) -> Option<(&str, &[Expr])> {
    let ExprKind::Call { name, args, .. } = &e.kind else {
        return None;
    };
    if !name.eq_ignore_ascii_case("cidrMatch") {
        return None;
    }
    let (first, blocks) = args.split_first()?;
    let field = is_field(first)?;
    blocks
        .iter()
        .all(|b| matches!(b.kind, ExprKind::Literal(Literal::String(_))))
        .then_some((field, blocks))
}

/// `a op b` is `b flip(op) a`.
fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

fn holds(op: CmpOp, ord: Option<Ordering>) -> bool {
    match (op, ord) {
        (_, None) => false,
        (CmpOp::Eq, Some(o)) => o == Ordering::Equal,
        (CmpOp::Ne, Some(o)) => o != Ordering::Equal,
        (CmpOp::Lt, Some(o)) => o == Ordering::Less,
        (CmpOp::Le, Some(o)) => o != Ordering::Greater,
        (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
        (CmpOp::Ge, Some(o)) => o != Ordering::Less,
    }
}

impl Ctx<'_> {
    fn mapped(&self, field: &str) -> Option<&FieldType> {
        match self.types.get(self.types.resolve(field)) {
            Some(FieldType::Alias(_)) | None => None,
            Some(t) => Some(t),
        }
    }

    fn values(&self, field: &str) -> Vec<&Value> {
        let target = self.types.resolve(field);
        field::values_or(self.doc, target, self.types.null_value(target))
    }

    fn formats(&self, field: &str) -> &[String] {
        self.types.date_formats(self.types.resolve(field))
    }

    /// `?a == ?b` (or `!=`) over two optional fields that are both absent: Elasticsearch
    /// replaces an optional field that exists nowhere with `null`, and `null == null` is an
    /// `IsNull` check, so the comparison holds. (An absent field stands for one that exists
    /// nowhere: the interpreter sees one document, not the index.)
    fn optional_nulls(&self, e: &Expr) -> Option<bool> {
        let ExprKind::Compare { op, left, right } = &e.kind else {
            return None;
        };
        let absent = |x: &Expr| match &x.kind {
            ExprKind::Field(f) => f.optional && self.values(&f.name).is_empty(),
            _ => false,
        };
        match op {
            CmpOp::Eq | CmpOp::Ne if absent(left) && absent(right) => Some(*op == CmpOp::Eq),
            _ => None,
        }
    }

    /// A boolean condition: does the document match it?
    pub fn matches(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::And(xs) => xs.iter().all(|x| self.matches(x)),
            ExprKind::Or(xs) => xs.iter().any(|x| self.matches(x)),
            ExprKind::Not(x) if !x.is_script() => !self.matches(x),
            _ if self.optional_nulls(e).is_some() => self.optional_nulls(e) == Some(true),
            _ if e.is_script() => self.script_any(e),
            _ => self.query_leaf(e),
        }
    }

    /// A field-versus-constants leaf, any-element over the field's values.
    fn query_leaf(&self, e: &Expr) -> bool {
        let empty = Env::new();
        match &e.kind {
            ExprKind::Literal(Literal::Bool(b)) => *b,
            ExprKind::Literal(_) => false,
            ExprKind::Field(f) => self
                .values(&f.name)
                .iter()
                .any(|v| v.as_bool() == Some(true) || v.as_str() == Some("true")),
            ExprKind::Compare { op, left, right } => {
                let (name, op, constant) = match (is_field(left), is_field(right)) {
                    (Some(name), _) if !right.has_field() => (name, *op, right),
                    (_, Some(name)) => (name, flip(*op), left),
                    _ => return false,
                };
                let c = self.script(constant, &empty);
                let vals = self.values(name);
                let ty = self.mapped(name);
                let fmts = self.formats(name);
                match (op, &c) {
                    (CmpOp::Eq, Val::Null) => vals.is_empty(),
                    (CmpOp::Ne, Val::Null) => !vals.is_empty(),
                    (_, Val::Null) => false,
                    // `!=` is `not ==`: must_not over the whole field.
                    (CmpOp::Ne, _) => !vals
                        .iter()
                        .any(|v| holds(CmpOp::Eq, typed_cmp(ty, fmts, v, &c))),
                    _ => vals.iter().any(|v| holds(op, typed_cmp(ty, fmts, v, &c))),
                }
            }
            ExprKind::Match {
                op,
                operand,
                patterns,
            } => {
                let Some(name) = is_field(operand) else {
                    return false;
                };
                let pats: Vec<Val> = patterns.iter().map(|p| self.script(p, &empty)).collect();
                self.values(name)
                    .iter()
                    .filter_map(|v| field::text(v))
                    .any(|t| pats.iter().any(|p| self.pattern_match(*op, &t, p)))
            }
            ExprKind::In {
                negated,
                insensitive,
                operand,
                list,
            } => {
                let Some(name) = is_field(operand) else {
                    return false;
                };
                let items: Vec<Val> = list.iter().map(|p| self.script(p, &empty)).collect();
                let ty = self.mapped(name);
                let fmts = self.formats(name);
                let found = self.values(name).iter().any(|v| {
                    items.iter().any(|item| {
                        if *insensitive {
                            match (field::text(v), item.to_text()) {
                                (Some(t), Some(p)) => wildcard::str_eq(&t, &p, true),
                                _ => false,
                            }
                        } else {
                            holds(CmpOp::Eq, typed_cmp(ty, fmts, v, item))
                        }
                    })
                });
                found != *negated
            }
            ExprKind::Call { .. } => match cidr_query(e) {
                Some((field, blocks)) => {
                    let blocks: Vec<_> = blocks
                        .iter()
                        .filter_map(|b| match &b.kind {
                            ExprKind::Literal(Literal::String(s)) => parse_cidr(s),
                            _ => None,
                        })
                        .collect();
                    self.values(field).iter().any(|v| {
                        v.as_str()
                            .and_then(parse_ip)
                            .is_some_and(|ip| blocks.iter().any(|&b| value::in_cidr(ip, b)))
                    })
                }
                None => false,
            },
            _ => false,
        }
    }

    fn pattern_match(&self, op: MatchOp, text: &str, pat: &Val) -> bool {
        let Val::Str(p) = pat else {
            return false;
        };
        if op.is_regex() {
            self.regexes
                .get(&(p.clone(), op.is_insensitive()))
                .is_some_and(|re| re.is_match(text))
        } else {
            wildcard::matches(text, p, op.is_insensitive())
        }
    }

    /// A script leaf: true when some combination of field values makes it `true`.
    fn script_any(&self, e: &Expr) -> bool {
        let mut names = Vec::new();
        fields_of(e, &mut names);
        let mut per_field: Vec<(&str, Vec<Val>)> = Vec::new();
        let mut total = 1usize;
        for name in names {
            let ty = self.mapped(name);
            let mut vals: Vec<Val> = self
                .values(name)
                .into_iter()
                .map(|v| script_value(ty, v))
                .collect();
            if vals.is_empty() {
                vals.push(Val::Null);
            }
            total = total.saturating_mul(vals.len());
            per_field.push((name, vals));
        }
        if total > MAX_COMBINATIONS {
            return false;
        }
        let mut idx = vec![0usize; per_field.len()];
        loop {
            let env: Env = per_field
                .iter()
                .zip(&idx)
                .map(|((n, vals), &i)| (*n, vals[i].clone()))
                .collect();
            if self.script(e, &env) == Val::Bool(true) {
                return true;
            }
            // Odometer increment over the value lists.
            let mut k = 0;
            loop {
                if k == idx.len() {
                    return false;
                }
                idx[k] += 1;
                if idx[k] < per_field[k].1.len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
        }
    }

    /// Evaluates an expression as a script, with `null` propagation.
    pub fn script(&self, e: &Expr, env: &Env) -> Val {
        match &e.kind {
            ExprKind::Literal(l) => match l {
                Literal::Null => Val::Null,
                Literal::Bool(b) => Val::Bool(*b),
                Literal::Int(i) => Val::Int(*i),
                Literal::Float(f) => Val::Float(*f),
                Literal::String(s) => Val::Str(s.clone()),
            },
            ExprKind::Field(f) => env.get(f.name.as_str()).cloned().unwrap_or(Val::Null),
            ExprKind::Not(x) => match self.script(x, env) {
                Val::Bool(b) => Val::Bool(!b),
                _ => Val::Null,
            },
            ExprKind::And(xs) => {
                let vals: Vec<Val> = xs.iter().map(|x| self.script(x, env)).collect();
                if vals.contains(&Val::Bool(false)) {
                    Val::Bool(false)
                } else if vals.iter().all(|v| *v == Val::Bool(true)) {
                    Val::Bool(true)
                } else {
                    Val::Null
                }
            }
            ExprKind::Or(xs) => {
                let vals: Vec<Val> = xs.iter().map(|x| self.script(x, env)).collect();
                if vals.contains(&Val::Bool(true)) {
                    Val::Bool(true)
                } else if vals.iter().all(|v| *v == Val::Bool(false)) {
                    Val::Bool(false)
                } else {
                    Val::Null
                }
            }
            ExprKind::Compare { op, left, right } => {
                let l = self.script(left, env);
                let r = self.script(right, env);
                // `e == null` / `e != null` are existence tests, not comparisons.
                let lit_null = |x: &Expr| matches!(x.kind, ExprKind::Literal(Literal::Null));
                if lit_null(right) || lit_null(left) {
                    let other = if lit_null(right) { &l } else { &r };
                    return match op {
                        CmpOp::Eq => Val::Bool(*other == Val::Null),
                        CmpOp::Ne => Val::Bool(*other != Val::Null),
                        _ => Val::Null,
                    };
                }
                if l == Val::Null || r == Val::Null {
                    return Val::Null;
                }
                match script_cmp(&l, &r) {
                    Some(o) => Val::Bool(holds(*op, Some(o))),
                    None => Val::Null,
                }
            }
            ExprKind::Match {
                op,
                operand,
                patterns,
            } => {
                let v = self.script(operand, env);
                let Some(t) = v.to_text() else {
                    return Val::Null;
                };
                let hit = patterns.iter().any(|p| {
                    let pv = self.script(p, env);
                    self.pattern_match(*op, &t, &pv)
                });
                Val::Bool(hit)
            }
            ExprKind::In {
                negated,
                insensitive,
                operand,
                list,
            } => {
                let v = self.script(operand, env);
                if v == Val::Null {
                    return Val::Null;
                }
                let found = list.iter().any(|item| {
                    let iv = self.script(item, env);
                    if *insensitive {
                        match (v.to_text(), iv.to_text()) {
                            (Some(a), Some(b)) => wildcard::str_eq(&a, &b, true),
                            _ => false,
                        }
                    } else {
                        script_cmp(&v, &iv) == Some(Ordering::Equal)
                    }
                });
                Val::Bool(found != *negated)
            }
            ExprKind::Arith { op, left, right } => {
                arith(*op, &self.script(left, env), &self.script(right, env))
            }
            ExprKind::Neg(x) => match self.script(x, env).as_num() {
                Some(Num::Int(i)) => i.checked_neg().map_or(Val::Null, Val::Int),
                Some(Num::Float(f)) => Val::Float(-f),
                None => Val::Null,
            },
            ExprKind::Call {
                func,
                insensitive,
                args,
                ..
            } => {
                let vals: Vec<Val> = args.iter().map(|a| self.script(a, env)).collect();
                func.map_or(Val::Null, |f| call(f, *insensitive, &vals))
            }
        }
    }
}

/// How a field value enters a script: typed by the mapping, else by its JSON type.
fn script_value(ty: Option<&FieldType>, v: &Value) -> Val {
    match ty {
        Some(FieldType::Number) => number_of(v).map_or(Val::Null, Num::val),
        Some(FieldType::Keyword | FieldType::Version) => field::text(v).map_or(Val::Null, Val::Str),
        Some(FieldType::Ip) => field::text(v)
            .and_then(|t| parse_ip(&t))
            .map_or(Val::Null, |ip| Val::Str(ip.to_string())),
        Some(FieldType::Boolean) => bool_of(v).map_or(Val::Null, Val::Bool),
        _ => Val::from_json(v),
    }
}

fn number_of(v: &Value) -> Option<Num> {
    match v {
        Value::Number(_) => Val::from_json(v).as_num(),
        Value::String(s) => Num::parse(s),
        _ => None,
    }
}

fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

fn const_num(c: &Val) -> Option<Num> {
    match c {
        Val::Str(s) => Num::parse(s),
        other => other.as_num(),
    }
}

/// Compares one indexed value with a constant the way the field's type does.
fn typed_cmp(ty: Option<&FieldType>, fmts: &[String], v: &Value, c: &Val) -> Option<Ordering> {
    match ty {
        Some(FieldType::Ip) => {
            let ip = parse_ip(&field::text(v)?)?;
            let ct = c.to_text()?;
            if ct.contains('/') {
                // A term query on an ip field accepts a CIDR block.
                let block = parse_cidr(&ct)?;
                return value::in_cidr(ip, block).then_some(Ordering::Equal);
            }
            let cip = parse_ip(&ct)?;
            Some(value::ip_bits(ip).cmp(&value::ip_bits(cip)))
        }
        Some(FieldType::Number) => number_of(v)?.compare(const_num(c)?),
        Some(FieldType::Date) => {
            let t = value::parse_instant_with(v, fmts)?;
            let ct = match c {
                Val::Int(ms) => ms.checked_mul(1_000_000)?,
                Val::Str(s) => value::parse_instant_with(&Value::String(s.clone()), fmts)
                    .or_else(|| parse_instant_text(s))?,
                _ => return None,
            };
            Some(t.cmp(&ct))
        }
        Some(FieldType::Boolean) => {
            let b = bool_of(v)?;
            let cb = match c {
                Val::Bool(b) => *b,
                Val::Str(s) => bool_of(&Value::String(s.clone()))?,
                _ => return None,
            };
            Some(b.cmp(&cb))
        }
        Some(FieldType::Keyword) => Some(field::text(v)?.as_str().cmp(c.to_text()?.as_str())),
        Some(FieldType::Version) => Some(value::compare_versions(&field::text(v)?, &c.to_text()?)),
        _ => match v {
            // Dynamic mapping made this a number field.
            Value::Number(_) => number_of(v)?.compare(const_num(c)?),
            Value::Bool(b) => match c {
                Val::Bool(cb) => Some(b.cmp(cb)),
                _ => Some(b.to_string().as_str().cmp(c.to_text()?.as_str())),
            },
            _ => Some(field::text(v)?.as_str().cmp(c.to_text()?.as_str())),
        },
    }
}

/// Script comparison: numbers numerically, strings byte-wise, booleans; mixed kinds are null.
fn script_cmp(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => Some(x.as_str().cmp(y.as_str())),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        _ => a.as_num()?.compare(b.as_num()?),
    }
}

fn arith(op: ArithOp, a: &Val, b: &Val) -> Val {
    let (Some(x), Some(y)) = (a.as_num(), b.as_num()) else {
        return Val::Null;
    };
    match (x, y) {
        (Num::Int(x), Num::Int(y)) => {
            // Java's exact arithmetic throws on overflow and division by zero: no value.
            let r = match op {
                ArithOp::Add => x.checked_add(y),
                ArithOp::Sub => x.checked_sub(y),
                ArithOp::Mul => x.checked_mul(y),
                ArithOp::Div => x.checked_div(y),
                ArithOp::Mod => x.checked_rem(y),
            };
            r.map_or(Val::Null, Val::Int)
        }
        (x, y) => {
            let (x, y) = (x.as_f64(), y.as_f64());
            let r = match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div => x / y,
                ArithOp::Mod => x % y,
            };
            if r.is_finite() {
                Val::Float(r)
            } else {
                Val::Null
            }
        }
    }
}

/// Lower-cases per character, keeping one char per char so that indices stay aligned.
fn lower_chars(s: &str) -> Vec<char> {
    s.chars()
        .map(|c| {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

fn find(hay: &[char], needle: &[char], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    if needle.is_empty() {
        return Some(from);
    }
    (from..=hay.len().saturating_sub(needle.len()))
        .find(|&i| hay.len() >= needle.len() && hay[i..i + needle.len()] == *needle)
}

fn rfind(hay: &[char], needle: &[char]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| hay[i..i + needle.len()] == *needle)
}

fn texts(args: &[Val]) -> Option<Vec<String>> {
    args.iter().map(Val::to_text).collect()
}

/// Evaluates a built-in function.
fn call(func: Func, ci: bool, args: &[Val]) -> Val {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Val::Null);
    let chars = |s: &str| -> Vec<char> {
        if ci {
            lower_chars(s)
        } else {
            s.chars().collect()
        }
    };
    match func {
        Func::Add => arith(ArithOp::Add, &arg(0), &arg(1)),
        Func::Subtract => arith(ArithOp::Sub, &arg(0), &arg(1)),
        Func::Multiply => arith(ArithOp::Mul, &arg(0), &arg(1)),
        Func::Divide => arith(ArithOp::Div, &arg(0), &arg(1)),
        Func::Modulo => arith(ArithOp::Mod, &arg(0), &arg(1)),
        Func::Concat => texts(args).map_or(Val::Null, |t| Val::Str(t.concat())),
        Func::Length => arg(0)
            .to_text()
            .map_or(Val::Null, |s| Val::Int(s.encode_utf16().count() as i64)),
        Func::String => arg(0).to_text().map_or(Val::Null, Val::Str),
        Func::StartsWith | Func::EndsWith | Func::StringContains => {
            let (Some(src), Some(sub)) = (arg(0).to_text(), arg(1).to_text()) else {
                return Val::Null;
            };
            let (src, sub) = (chars(&src), chars(&sub));
            let hit = match func {
                Func::StartsWith => src.starts_with(&sub),
                Func::EndsWith => src.ends_with(&sub),
                // eql-semantics.md §1.7: stringContains("", "") is false.
                _ => !(src.is_empty() && sub.is_empty()) && find(&src, &sub, 0).is_some(),
            };
            Val::Bool(hit)
        }
        Func::IndexOf => {
            let (Some(src), Some(sub)) = (arg(0).to_text(), arg(1).to_text()) else {
                return Val::Null;
            };
            let start = match arg(2) {
                Val::Null => 0,
                v => match v.as_num() {
                    Some(n) => n.as_f64().max(0.0) as usize,
                    None => return Val::Null,
                },
            };
            let (src, sub) = (chars(&src), chars(&sub));
            match find(&src, &sub, start.min(src.len())) {
                Some(i) if start <= src.len() || sub.is_empty() => Val::Int(i as i64),
                _ => Val::Null,
            }
        }
        Func::Between => {
            let (Some(src), Some(left), Some(right)) =
                (arg(0).to_text(), arg(1).to_text(), arg(2).to_text())
            else {
                return Val::Null;
            };
            let greedy = matches!(arg(3), Val::Bool(true));
            let orig: Vec<char> = src.chars().collect();
            let (m, l, r) = (chars(&src), chars(&left), chars(&right));
            let Some(start) = find(&m, &l, 0) else {
                return Val::Str(String::new());
            };
            let from = start + l.len();
            let end = if greedy {
                rfind(&m, &r)
            } else {
                find(&m, &r, from)
            };
            match end {
                Some(end) if end >= from => Val::Str(orig[from..end].iter().collect()),
                _ => Val::Str(String::new()),
            }
        }
        Func::Substring => {
            let Some(src) = arg(0).to_text() else {
                return Val::Null;
            };
            let s: Vec<char> = src.chars().collect();
            let len = s.len() as i64;
            let Some(start) = arg(1).as_num().map(|n| n.as_f64() as i64) else {
                return Val::Null;
            };
            let end = match arg(2) {
                Val::Null => len,
                v => match v.as_num() {
                    Some(n) => n.as_f64() as i64,
                    None => return Val::Null,
                },
            };
            // Python-style slicing: negative offsets count from the end, then clamp.
            let norm = |i: i64| (if i < 0 { i + len } else { i }).clamp(0, len) as usize;
            let (a, b) = (norm(start), norm(end));
            Val::Str(if a < b {
                s[a..b].iter().collect()
            } else {
                String::new()
            })
        }
        Func::Number => {
            let Some(src) = arg(0).to_text() else {
                return Val::Null;
            };
            let base = match arg(1) {
                Val::Null => 10,
                v => match v.as_num() {
                    Some(Num::Int(b)) if (2..=36).contains(&b) => b as u32,
                    _ => return Val::Null,
                },
            };
            let t = src.trim();
            if base == 10 {
                Num::parse(t).map_or(Val::Null, Num::val)
            } else {
                let digits = if base == 16 {
                    t.strip_prefix("0x")
                        .or_else(|| t.strip_prefix("0X"))
                        .unwrap_or(t)
                } else {
                    t
                };
                i64::from_str_radix(digits, base).map_or(Val::Null, Val::Int)
            }
        }
        Func::CidrMatch => {
            let Some(ip) = arg(0).to_text().and_then(|t| parse_ip(&t)) else {
                return Val::Null;
            };
            let hit = args[1..]
                .iter()
                .filter_map(|c| c.to_text().and_then(|t| parse_cidr(&t)))
                .any(|block| value::in_cidr(ip, block));
            Val::Bool(hit)
        }
    }
}

/// Checks an expression before any evaluation, compiling its regular expressions; an error
/// names the construct the interpreter does not support.
pub(crate) fn check(e: &Expr, regexes: &mut Regexes, src: &str) -> Result<(), String> {
    let snippet = || e.span.text(src).to_string();
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Field(_) => Ok(()),
        ExprKind::Not(x) | ExprKind::Neg(x) => check(x, regexes, src),
        ExprKind::And(xs) | ExprKind::Or(xs) => xs.iter().try_for_each(|x| check(x, regexes, src)),
        ExprKind::Compare { left, right, .. } => {
            // `?a == ?b` is allowed: optional fields that exist nowhere become `null`.
            let optional = |x: &Expr| matches!(&x.kind, ExprKind::Field(f) if f.optional);
            if left.has_field() && right.has_field() && !(optional(left) && optional(right)) {
                return Err(format!(
                    "comparing fields with each other is not supported by Elasticsearch: `{}`",
                    snippet()
                ));
            }
            check(left, regexes, src)?;
            check(right, regexes, src)
        }
        ExprKind::Arith { left, right, .. } => {
            check(left, regexes, src)?;
            check(right, regexes, src)
        }
        ExprKind::Match {
            op,
            operand,
            patterns,
        } => {
            check(operand, regexes, src)?;
            for p in patterns {
                let ExprKind::Literal(Literal::String(text)) = &p.kind else {
                    return Err(format!(
                        "`{}` patterns must be string constants: `{}`",
                        op.as_str(),
                        p.span.text(src)
                    ));
                };
                if op.is_regex() {
                    let key = (text.clone(), op.is_insensitive());
                    if let std::collections::hash_map::Entry::Vacant(slot) = regexes.entry(key) {
                        let translated = crate::regex::translate(text, op.is_insensitive())?;
                        let re = regex::Regex::new(&translated)
                            .map_err(|err| format!("regex `{text}`: {err}"))?;
                        slot.insert(re);
                    }
                }
            }
            Ok(())
        }
        ExprKind::In { operand, list, .. } => {
            check(operand, regexes, src)?;
            if let Some(item) = list.iter().find(|x| x.has_field()) {
                return Err(format!(
                    "`in` lists must be constants: `{}`",
                    item.span.text(src)
                ));
            }
            list.iter().try_for_each(|x| check(x, regexes, src))
        }
        ExprKind::Call {
            name,
            func,
            insensitive,
            args,
            ..
        } => {
            let Some(func) = *func else {
                return Err(format!("unknown function `{name}`"));
            };
            let (min, max) = func.arity();
            if args.len() < min || max.is_some_and(|m| args.len() > m) {
                return Err(format!(
                    "`{name}` takes {min}..{} arguments, got {}",
                    max.map_or_else(String::new, |m| m.to_string()),
                    args.len()
                ));
            }
            if *insensitive && !func.has_insensitive() {
                return Err(format!("`{name}` has no case-insensitive `~` form"));
            }
            if func == Func::CidrMatch {
                for block in &args[1..] {
                    match &block.kind {
                        ExprKind::Literal(Literal::String(s)) if parse_cidr(s).is_some() => {}
                        _ => {
                            return Err(format!(
                                "cidrMatch needs constant CIDR blocks: `{}`",
                                block.span.text(src)
                            ))
                        }
                    }
                }
            }
            args.iter().try_for_each(|x| check(x, regexes, src))
        }
    }
}
