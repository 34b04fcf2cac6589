//! Script conditions: what Elasticsearch evaluates as a Painless script rather than as a Lucene
//! query. Functions (`indexOf`, `concat`, …), arithmetic, and comparisons of computed values
//! become scripts; generated code builds each one as an expression over [`Val`] with the
//! functions of this module.
//!
//! A script sees one value per field. It is run for every combination of the values of the
//! fields it reads (an array field gives several; a missing field gives `null`), and the
//! condition holds when some combination yields `true`. `null` propagates: any function or
//! operator with a `null` operand is `null`, and a `null` result never matches, also under `not`.
//!
//! ```
//! use eql_runtime::script::{call, cmp, CmpOp, Func, Val};
//! let i = call(Func::IndexOf, false, &[Val::str("powershell"), Val::str("shell")]);
//! assert_eq!(i, Val::Int(5));
//! assert_eq!(cmp(CmpOp::Eq, &i, &Val::Int(5)), Val::Bool(true));
//! assert_eq!(cmp(CmpOp::Eq, &Val::Null, &Val::Int(5)), Val::Null);
//! ```

use std::cmp::Ordering;

use crate::event::{Event, FieldId, Value};
use crate::matcher::alt_case;
use crate::matcher::ip;
pub use crate::matcher::like;
use crate::value::{cmp_num, parse_num, Num};

pub use eql_ir::{ArithOp, CmpOp, Func};

/// A scalar inside a script. `Null` is both "missing" and an explicit `null`.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number (a `long`).
    Int(i64),
    /// A double.
    Float(f64),
    /// A string.
    Str(String),
}

impl Val {
    /// A string constant.
    pub fn str(s: &str) -> Val {
        Val::Str(s.to_owned())
    }

    /// The value in a string context (`string(v)`, `concat`): Java's `toString`.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Val::Null => None,
            Val::Bool(b) => Some(b.to_string()),
            Val::Int(i) => Some(i.to_string()),
            Val::Float(f) => Some(float_text(*f)),
            Val::Str(s) => Some(s.clone()),
        }
    }

    /// The value as a number, if it is one (strings are not converted: that is `number()`).
    pub fn as_num(&self) -> Option<Num> {
        match self {
            Val::Int(i) => Some(Num::Int(*i)),
            Val::Float(f) => Some(Num::Float(*f)),
            _ => None,
        }
    }

    fn from_num(n: Num) -> Val {
        match n {
            Num::Int(i) => Val::Int(i),
            Num::Float(f) => Val::Float(f),
        }
    }
}

/// Java's `Double.toString` for the common cases: integral values keep a `.0`.
pub fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        f.to_string()
    }
}

/// How a field's values enter a script: by the field's mapped type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `keyword`: the value's text (a JSON number as written, a boolean as `true`/`false`).
    Keyword,
    /// A numeric field: the number, or `null` when the value is not one.
    Number,
    /// `ip`: the address in canonical text (`::ffff:1.2.3.4` is `1.2.3.4`).
    Ip,
    /// `boolean`.
    Bool,
    /// `date`: in a script, typed by the JSON value; in a query, compared as an instant.
    Date,
    /// Unmapped: typed by the JSON value, as dynamic mapping would.
    Dynamic,
}

/// One field value as a script sees it.
pub fn field_value(kind: Kind, v: Value<'_>) -> Val {
    match (kind, v) {
        (Kind::Keyword, v) => Val::str(v.text()),
        (Kind::Number, v) => parse_num(v.text()).map_or(Val::Null, Val::from_num),
        (Kind::Ip, v) => ip::parse(v.text()).map_or(Val::Null, |a| Val::Str(a.to_string())),
        (Kind::Bool, Value::Bool(b)) => Val::Bool(b),
        (Kind::Bool, v) => match v.text() {
            "true" => Val::Bool(true),
            "false" => Val::Bool(false),
            _ => Val::Null,
        },
        (Kind::Dynamic | Kind::Date, Value::Str(s)) => Val::str(s),
        (Kind::Dynamic | Kind::Date, Value::Num(n)) => {
            parse_num(n).map_or(Val::Null, Val::from_num)
        }
        (Kind::Dynamic | Kind::Date, Value::Bool(b)) => Val::Bool(b),
    }
}

/// The most value combinations a script is run for; beyond it the document's arrays are
/// pathological (attacker-made) and the condition does not match.
pub const MAX_COMBINATIONS: usize = 1 << 16;

/// Whether the script `f` yields `true` for some combination of the values of `fields` (a
/// missing field is one `null`). `f` receives the values in the order of `fields`.
pub fn any(ev: &Event<'_>, fields: &[(FieldId, Kind)], f: impl Fn(&[Val]) -> Val) -> bool {
    let mut lists: Vec<Vec<Val>> = Vec::with_capacity(fields.len());
    let mut total = 1usize;
    for &(id, kind) in fields {
        let mut vals: Vec<Val> = ev.values(id).map(|v| field_value(kind, v)).collect();
        if vals.is_empty() {
            vals.push(Val::Null);
        }
        total = total.saturating_mul(vals.len());
        lists.push(vals);
    }
    if total > MAX_COMBINATIONS {
        return false;
    }
    let mut idx = vec![0usize; lists.len()];
    let mut env: Vec<Val> = lists.iter().map(|l| l[0].clone()).collect();
    loop {
        if f(&env) == Val::Bool(true) {
            return true;
        }
        // Odometer over the value lists.
        let mut k = 0;
        loop {
            if k == idx.len() {
                return false;
            }
            idx[k] += 1;
            if idx[k] < lists[k].len() {
                env[k] = lists[k][idx[k]].clone();
                break;
            }
            idx[k] = 0;
            env[k] = lists[k][0].clone();
            k += 1;
        }
    }
}

/// `a op b`: numbers numerically, strings byte-wise, booleans; `null` or mixed kinds are `null`.
pub fn cmp(op: CmpOp, a: &Val, b: &Val) -> Val {
    let ord = match (a, b) {
        (Val::Str(x), Val::Str(y)) => Some(x.as_str().cmp(y.as_str())),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        _ => match (a.as_num(), b.as_num()) {
            (Some(x), Some(y)) => cmp_num(x, y),
            _ => None,
        },
    };
    match ord {
        Some(o) => Val::Bool(op.holds(o)),
        None => Val::Null,
    }
}

/// `field op c` as a query (a field against a constant computed once, `number("5")`): any value
/// of the field compares as its type does; `!=` is true on a missing field; a `null` constant
/// turns `==`/`!=` into an existence test.
pub fn query_cmp(ev: &Event<'_>, field: FieldId, kind: Kind, op: CmpOp, c: &Val) -> bool {
    if *c == Val::Null {
        return match op {
            CmpOp::Eq => !ev.has(field),
            CmpOp::Ne => ev.has(field),
            _ => false,
        };
    }
    let test = |op: CmpOp| {
        ev.any_text(field, |s| {
            typed_order(kind, s, c).is_some_and(|o| op.holds(o))
        })
    };
    match op {
        CmpOp::Ne => !test(CmpOp::Eq),
        op => test(op),
    }
}

/// How an indexed value's text orders against a constant, by the field's type.
fn typed_order(kind: Kind, s: &str, c: &Val) -> Option<Ordering> {
    let c_num = || match c {
        Val::Str(t) => parse_num(t),
        other => other.as_num(),
    };
    match kind {
        Kind::Number => cmp_num(parse_num(s)?, c_num()?),
        Kind::Ip => {
            let a = ip::parse(s)?;
            let b = ip::parse(&c.to_text()?)?;
            Some(ip::key(&a).cmp(&ip::key(&b)))
        }
        Kind::Date => crate::time::cmp_text(s, &c.to_text()?),
        Kind::Bool | Kind::Keyword => Some(s.cmp(c.to_text()?.as_str())),
        // Dynamic mapping made a field of numbers a number field.
        Kind::Dynamic => match (parse_num(s), c.as_num()) {
            (Some(a), Some(b)) => cmp_num(a, b),
            _ => Some(s.cmp(c.to_text()?.as_str())),
        },
    }
}

/// `e == null` (`is_null`) or `e != null` (`!is_null`): existence, never `null` itself.
pub fn null_test(v: &Val, is_null: bool) -> Val {
    Val::Bool((*v == Val::Null) == is_null)
}

/// Three-valued `not`.
pub fn not(v: Val) -> Val {
    match v {
        Val::Bool(b) => Val::Bool(!b),
        _ => Val::Null,
    }
}

/// Three-valued `and`: `false` if any operand is, `true` if all are, else `null`.
pub fn and(vals: &[Val]) -> Val {
    if vals.contains(&Val::Bool(false)) {
        Val::Bool(false)
    } else if vals.iter().all(|v| *v == Val::Bool(true)) {
        Val::Bool(true)
    } else {
        Val::Null
    }
}

/// Three-valued `or`: `true` if any operand is, `false` if all are, else `null`.
pub fn or(vals: &[Val]) -> Val {
    if vals.contains(&Val::Bool(true)) {
        Val::Bool(true)
    } else if vals.iter().all(|v| *v == Val::Bool(false)) {
        Val::Bool(false)
    } else {
        Val::Null
    }
}

/// Whether the text of `v` passes `test` (`null` when `v` has no text): a pattern operator
/// (`:`, `like`, `regex`) on a computed value.
pub fn text_test(v: &Val, test: impl Fn(&str) -> bool) -> Val {
    match v.to_text() {
        Some(t) => Val::Bool(test(&t)),
        None => Val::Null,
    }
}

/// `v in (items)` (`in~` when `ci`): `null` when `v` is.
pub fn in_list(v: &Val, items: &[Val], ci: bool) -> Val {
    if *v == Val::Null {
        return Val::Null;
    }
    let found = items.iter().any(|item| {
        if ci {
            match (v.to_text(), item.to_text()) {
                (Some(a), Some(b)) => eq_ci(&a, &b),
                _ => false,
            }
        } else {
            cmp(CmpOp::Eq, v, item) == Val::Bool(true)
        }
    });
    Val::Bool(found)
}

/// Case-insensitive equality as Elasticsearch's case-insensitive term query decides it.
fn eq_ci(data: &str, pat: &str) -> bool {
    let mut d = data.chars();
    let mut p = pat.chars();
    loop {
        match (d.next(), p.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b || a == alt_case(b) => {}
            _ => return false,
        }
    }
}

/// `a op b`. Integers stay exact; overflow and division by zero are `null` (Java's exact
/// arithmetic throws); a non-finite double is `null`.
pub fn arith(op: ArithOp, a: &Val, b: &Val) -> Val {
    let (Some(x), Some(y)) = (a.as_num(), b.as_num()) else {
        return Val::Null;
    };
    match (x, y) {
        (Num::Int(x), Num::Int(y)) => {
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
            let (x, y) = (as_f64(x), as_f64(y));
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

/// `-v`.
pub fn neg(v: &Val) -> Val {
    match v.as_num() {
        Some(Num::Int(i)) => i.checked_neg().map_or(Val::Null, Val::Int),
        Some(Num::Float(f)) => Val::Float(-f),
        None => Val::Null,
    }
}

fn as_f64(n: Num) -> f64 {
    match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    }
}

/// Lower-cases per character, one char per char, so that indices stay aligned.
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
    if needle.len() > hay.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay[i..i + needle.len()] == *needle)
}

fn rfind(hay: &[char], needle: &[char]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| hay[i..i + needle.len()] == *needle)
}

/// Calls `f` (its `~` form when `ci`). Wrong argument counts were rejected when the rule was
/// compiled; a missing argument here is `null`.
pub fn call(f: Func, ci: bool, args: &[Val]) -> Val {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Val::Null);
    let chars = |s: &str| -> Vec<char> {
        if ci {
            lower_chars(s)
        } else {
            s.chars().collect()
        }
    };
    match f {
        Func::Add => arith(ArithOp::Add, &arg(0), &arg(1)),
        Func::Subtract => arith(ArithOp::Sub, &arg(0), &arg(1)),
        Func::Multiply => arith(ArithOp::Mul, &arg(0), &arg(1)),
        Func::Divide => arith(ArithOp::Div, &arg(0), &arg(1)),
        Func::Modulo => arith(ArithOp::Mod, &arg(0), &arg(1)),
        Func::Concat => args
            .iter()
            .map(Val::to_text)
            .collect::<Option<Vec<String>>>()
            .map_or(Val::Null, |t| Val::Str(t.concat())),
        Func::Length => arg(0)
            .to_text()
            .map_or(Val::Null, |s| Val::Int(s.encode_utf16().count() as i64)),
        Func::String => arg(0).to_text().map_or(Val::Null, Val::Str),
        Func::StartsWith | Func::EndsWith | Func::StringContains => {
            let (Some(src), Some(sub)) = (arg(0).to_text(), arg(1).to_text()) else {
                return Val::Null;
            };
            let (src, sub) = (chars(&src), chars(&sub));
            Val::Bool(match f {
                Func::StartsWith => src.starts_with(&sub),
                Func::EndsWith => src.ends_with(&sub),
                // stringContains("", "") is false (eql-semantics.md §1.7).
                _ => !(src.is_empty() && sub.is_empty()) && find(&src, &sub, 0).is_some(),
            })
        }
        Func::IndexOf => {
            let (Some(src), Some(sub)) = (arg(0).to_text(), arg(1).to_text()) else {
                return Val::Null;
            };
            let start = match arg(2) {
                Val::Null => 0,
                v => match v.as_num() {
                    Some(n) => as_f64(n).max(0.0) as usize,
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
            let Some(start) = arg(1).as_num().map(|n| as_f64(n) as i64) else {
                return Val::Null;
            };
            let end = match arg(2) {
                Val::Null => len,
                v => match v.as_num() {
                    Some(n) => as_f64(n) as i64,
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
                number_text(t)
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
            let Some(addr) = arg(0).to_text().and_then(|t| ip::parse(&t)) else {
                return Val::Null;
            };
            let hit = args
                .iter()
                .skip(1)
                .filter_map(|c| c.to_text().and_then(|t| ip::Cidr::parse(&t)))
                .any(|block| block.contains(&addr));
            Val::Bool(hit)
        }
    }
}

/// `number(s)` in base 10: an integer when it fits a `long`, else a finite double.
fn number_text(t: &str) -> Val {
    if let Ok(i) = t.parse::<i64>() {
        return Val::Int(i);
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map_or(Val::Null, Val::Float)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions() {
        let s = Val::str;
        assert_eq!(
            call(Func::Between, false, &[s("a[b]c"), s("["), s("]")]),
            s("b")
        );
        assert_eq!(
            call(Func::Between, true, &[s("A[B]C"), s("a"), s("c")]),
            s("[B]")
        );
        assert_eq!(
            call(Func::Concat, false, &[s("a"), Val::Int(1), Val::Float(2.0)]),
            s("a12.0")
        );
        assert_eq!(call(Func::Concat, false, &[s("a"), Val::Null]), Val::Null);
        assert_eq!(call(Func::IndexOf, true, &[s("ABC"), s("c")]), Val::Int(2));
        assert_eq!(call(Func::IndexOf, false, &[s("ABC"), s("c")]), Val::Null);
        assert_eq!(call(Func::Length, false, &[s("😀")]), Val::Int(2));
        assert_eq!(
            call(Func::Number, false, &[s("0x1F"), Val::Int(16)]),
            Val::Int(31)
        );
        assert_eq!(call(Func::Number, false, &[s("1.5")]), Val::Float(1.5));
        assert_eq!(
            call(Func::Substring, false, &[s("hello"), Val::Int(-3)]),
            s("llo")
        );
        assert_eq!(
            call(Func::StringContains, false, &[s(""), s("")]),
            Val::Bool(false)
        );
        assert_eq!(
            call(Func::Divide, false, &[Val::Int(7), Val::Int(2)]),
            Val::Int(3)
        );
        assert_eq!(
            call(Func::Divide, false, &[Val::Int(7), Val::Int(0)]),
            Val::Null
        );
        assert_eq!(
            call(Func::CidrMatch, false, &[s("10.1.2.3"), s("10.0.0.0/8")]),
            Val::Bool(true)
        );
        assert_eq!(
            Func::from_name("STRINGCONTAINS"),
            Some(Func::StringContains)
        );
        assert_eq!(Func::from_name("arrayContains"), None);
    }

    #[test]
    fn three_valued() {
        assert_eq!(and(&[Val::Bool(true), Val::Null]), Val::Null);
        assert_eq!(and(&[Val::Bool(false), Val::Null]), Val::Bool(false));
        assert_eq!(or(&[Val::Bool(true), Val::Null]), Val::Bool(true));
        assert_eq!(not(Val::Null), Val::Null);
        assert_eq!(
            cmp(CmpOp::Lt, &Val::Int(1), &Val::Float(1.5)),
            Val::Bool(true)
        );
        assert_eq!(cmp(CmpOp::Eq, &Val::Int(1), &Val::str("1")), Val::Null);
        assert_eq!(null_test(&Val::Null, true), Val::Bool(true));
        assert_eq!(
            in_list(&Val::str("ABC"), &[Val::str("abc")], true),
            Val::Bool(true)
        );
        assert_eq!(
            in_list(&Val::str("ABC"), &[Val::str("abc")], false),
            Val::Bool(false)
        );
    }
}
