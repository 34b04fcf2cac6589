//! Witness events: documents built so that each stage of a query is likely to match, plus near
//! misses that probe the edges (case, wildcards, arrays, missing fields, negation, `maxspan`).
//!
//! They feed differential tests: the same events go through the compiled engine and through this
//! interpreter, and the two must agree. Agreement on events that match nothing proves little, so
//! the generator works hard to make rules fire:
//!
//! - the condition is walked as a boolean goal: `and` satisfies every operand, `or` one (chosen
//!   by the seed, and one witness per branch of the top-level `or`s), `not` flips the goal;
//! - each leaf becomes a constraint on one field (a wildcard or regular expression to
//!   instantiate, a value to equal or avoid, a bound, a CIDR block, a length, an affix);
//! - each field gets one value meeting all its constraints when one can be found, otherwise an
//!   array with one element per constraint (a query leaf matches when any element does);
//! - leaves the generator cannot solve directly (other functions, arithmetic, functions relating
//!   two fields such as `startsWith~(host.name, substring(user.name, 0, -1))`) give their
//!   fields values, then a small search derives one field's value from the others' or from the
//!   leaf's constants (the same text, one character less, a `$` or `.` more, a number ± 1, …);
//! - every stage is then checked with this interpreter and regenerated with other choices when
//!   it does not match (for an event query the first, unchecked attempt is then kept as an extra
//!   event, so that a wrong "no" of the interpreter still reaches the engine under test).
//!
//! Values are typed as Elastic Defend maps the fields ([`FieldTypes::ecs`]): numbers for
//! `process.pid`, addresses for `destination.ip`, arrays for `process.args`. Fields are written as
//! nested objects, sometimes (from the seed) as dotted keys (`"process.name"`, or
//! `{"process": {"parent.name": …}}`), and as dotted keys wherever nesting would conflict (a
//! value at `a.b` and another at `a.b.c`).
//!
//! Regular expressions are instantiated for the Lucene subset the interpreter supports.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv6Addr};

use eql_syntax::ast::{
    CategoryKind, CmpOp, EventQuery, Expr, ExprKind, Field, Literal, Query, QueryBody, Stage,
};
use eql_syntax::mapping::{FieldType, FieldTypes};
use eql_syntax::Span;
use serde_json::{Map, Value};

use crate::eval::{self, Ctx, Regexes};
use crate::{field, value};

/// The field a stage's category is tested on.
const CATEGORY: &str = "event.category";
/// At most this many events per query.
const MAX_EVENTS: usize = 40;
/// Attempts per stage before giving up on making it match.
const ATTEMPTS: usize = 16;
/// At most this many witnesses for the branches of top-level `or`s (besides the first).
const MAX_BRANCH_WITNESSES: usize = 7;
/// 2024-10-18T12:00:00Z.
const BASE_NANOS: i64 = 1_729_252_800 * NANOS_PER_SEC;
const NANOS_PER_SEC: i64 = 1_000_000_000;
/// Categories an `any` stage is given.
const ANY_CATEGORIES: &[&str] = &["process", "file", "network", "registry"];
/// Addresses outside the private, reserved and documentation blocks rules exclude.
const PUBLIC_IPS: &[&str] = &[
    "93.184.216.34",
    "8.8.8.8",
    "140.82.112.3",
    "185.199.108.153",
    "2606:4700:4700::1111",
];
/// Fields that are arrays in ECS events: their values are always written as arrays.
const ARRAY_FIELDS: &[&str] = &[
    "event.category",
    "event.type",
    "process.args",
    "process.parent.args",
    "registry.data.strings",
    "host.ip",
    "dns.resolved_ip",
    "related.ip",
    "related.user",
    "tags",
];

/// Witness events for one parsed query, deterministic for a seed.
///
/// Every event has `@timestamp` (RFC 3339 with nanoseconds), `event.category` (an array, but a
/// plain string in one mutant) and a `witness` string naming what the event is for (`match`,
/// `case process.name`, `remove process.args`, `sequence late`, …).
/// For an event query: one witness per choice of the top-level `or`s (up to a small cap), each
/// followed by near-miss mutants (a value's case changed, a value moved into an array, a field
/// removed, a bound hit exactly, a number written as text, an avoided value supplied). For a
/// sequence: the stages in order sharing join-key values, then variants (another solution, the
/// last stage after `maxspan` and exactly at it, the stages swapped in time, missing-event stages
/// present, an `until` event in between, a join key that differs), each variant with its own key
/// values and far apart in time. At most 40 events (more only when `runs` make one sequence
/// longer: that sequence is always whole), in timestamp order.
pub fn witnesses(query: &Query, seed: u64) -> Vec<Value> {
    let types = FieldTypes::ecs();
    let mut rng = Rng::new(seed);
    match &query.body {
        QueryBody::Event(q) => event_witnesses(&types, q, &mut rng),
        QueryBody::Sequence(s) => {
            let shape = SeqShape {
                by: &s.by,
                stages: &s.stages,
                until: s.until.as_ref(),
                maxspan: s.maxspan.map(|m| m.nanos()),
                sample: false,
            };
            sequence_witnesses(&types, &shape, &mut rng)
        }
        QueryBody::Sample(s) => {
            let shape = SeqShape {
                by: &s.by,
                stages: &s.stages,
                until: None,
                maxspan: None,
                sample: true,
            };
            sequence_witnesses(&types, &shape, &mut rng)
        }
    }
}

/// [`witnesses`] for query text, parsed with [`eql_syntax::parse`]; errors are rendered
/// diagnostics.
pub fn witnesses_for(text: &str, seed: u64) -> Result<Vec<Value>, String> {
    let query = eql_syntax::parse(text).map_err(|d| eql_syntax::render(&d, "<query>", text))?;
    Ok(witnesses(&query, seed))
}

// ---------------------------------------------------------------------------------------------
// Randomness.

/// splitmix64.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_F00D)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// True with probability `num / den`.
    fn chance(&mut self, num: u64, den: u64) -> bool {
        den > 0 && self.next() % den < num
    }

    fn fork(&mut self) -> Rng {
        Rng(self.next())
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> Option<&'a T> {
        xs.get(self.below(xs.len()))
    }
}

// ---------------------------------------------------------------------------------------------
// Constraints.

/// How to produce a value for a constraint.
#[derive(Clone, Debug)]
enum Gen {
    /// Wildcard patterns (`:`, `like`, `like~`): one is instantiated.
    Wild { pats: Vec<String>, ci: bool },
    /// One of these values (`==`, `in`, `in~`).
    Exact { vals: Vec<Literal>, ci: bool },
    /// Lucene regular expressions.
    Regex { pats: Vec<String>, ci: bool },
    /// A value `v` with `v op lit`.
    Cmp { op: CmpOp, lit: Literal },
    /// An address in one of the blocks.
    Cidr(Vec<String>),
    /// Text whose length `l` has `l op n`.
    Len { op: CmpOp, n: i64 },
    /// Text starting with, ending with or containing `text`.
    Affix {
        kind: AffixKind,
        text: String,
        ci: bool,
    },
    /// Text that is a part of `text` (`startsWith("literal", field)`).
    Within { text: String, ci: bool },
    /// `true`.
    Truthy,
    /// One of these values.
    OneOf(Vec<Value>),
    /// Any value of the field's type.
    Any,
}

#[derive(Clone, Copy, Debug)]
enum AffixKind {
    Starts,
    Ends,
    Contains,
}

/// A constraint on one field: a generator, and the leaf that decides whether a value meets it
/// (evaluated over a document holding only that field, which must give the boolean).
#[derive(Clone, Debug)]
struct Constraint {
    gen: Gen,
    check: Option<(Expr, bool)>,
}

/// Everything the condition asks of one field.
#[derive(Clone, Debug, Default)]
struct Plan {
    /// Each must be met by some value of the field.
    wants: Vec<Constraint>,
    /// Each must be met by every value of the field (they are negated leaves).
    avoids: Vec<Constraint>,
    /// Some avoided leaf is a script: a missing field makes it `null`, never `true`.
    needs_value: bool,
    /// `field == null`.
    absent: bool,
}

/// What a leaf asks of the document.
enum Leaf {
    /// A constraint on one field; `invert`: the leaf holds when the generated value is avoided
    /// (`!=`, `not in`).
    Field {
        name: String,
        gen: Gen,
        invert: bool,
    },
    /// `field == null` (`absent`) or `field != null`.
    Null { name: String, absent: bool },
    /// Nothing the generator can solve: the fields it reads get values.
    Other(Vec<String>),
}

fn const_lit(e: &Expr) -> Option<Literal> {
    match &e.kind {
        ExprKind::Literal(l) => Some(l.clone()),
        ExprKind::Neg(x) => match const_lit(x)? {
            Literal::Int(i) => i.checked_neg().map(Literal::Int),
            Literal::Float(f) => Some(Literal::Float(-f)),
            _ => None,
        },
        _ => None,
    }
}

fn str_lit(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Literal(Literal::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// A bare field, or `string(field)` (which has the same text).
fn field_of(e: &Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Field(f) => Some(&f.name),
        ExprKind::Call { name, args, .. } if name.eq_ignore_ascii_case("string") => {
            match args.as_slice() {
                [only] => match &only.kind {
                    ExprKind::Field(f) => Some(&f.name),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
    }
}

fn lit_int(l: &Literal) -> Option<i64> {
    match l {
        Literal::Int(i) => Some(*i),
        Literal::Float(f) if f.is_finite() => Some(f.floor() as i64),
        Literal::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// What a leaf (anything but `and`/`or`/query-level `not`) asks of the document.
fn analyze(e: &Expr) -> Leaf {
    let other = || {
        let mut names = Vec::new();
        eval::fields_of(e, &mut names);
        Leaf::Other(names.into_iter().map(String::from).collect())
    };
    match &e.kind {
        ExprKind::Field(f) => Leaf::Field {
            name: f.name.clone(),
            gen: Gen::Truthy,
            invert: false,
        },
        ExprKind::Compare { op, left, right } => {
            let (fe, op, lit) = match (const_lit(right), const_lit(left)) {
                (Some(l), _) => (left.as_ref(), *op, l),
                (None, Some(l)) => (right.as_ref(), flip(*op), l),
                _ => return other(),
            };
            if let Some(name) = field_of(fe) {
                let name = name.to_string();
                if matches!(lit, Literal::Null) {
                    return match op {
                        CmpOp::Eq => Leaf::Null { name, absent: true },
                        CmpOp::Ne => Leaf::Null {
                            name,
                            absent: false,
                        },
                        _ => other(),
                    };
                }
                let script = e.is_script();
                return match op {
                    CmpOp::Eq => Leaf::Field {
                        name,
                        gen: Gen::Exact {
                            vals: vec![lit],
                            ci: false,
                        },
                        invert: false,
                    },
                    // A query's `!=` is `not ==` (true on a missing field); a script's is a
                    // comparison.
                    CmpOp::Ne if !script => Leaf::Field {
                        name,
                        gen: Gen::Exact {
                            vals: vec![lit],
                            ci: false,
                        },
                        invert: true,
                    },
                    _ => Leaf::Field {
                        name,
                        gen: Gen::Cmp { op, lit },
                        invert: false,
                    },
                };
            }
            if let ExprKind::Call { name, args, .. } = &fe.kind {
                if name.eq_ignore_ascii_case("length") {
                    if let ([arg], Some(n)) = (args.as_slice(), lit_int(&lit)) {
                        if let Some(f) = field_of(arg) {
                            return Leaf::Field {
                                name: f.to_string(),
                                gen: Gen::Len { op, n },
                                invert: false,
                            };
                        }
                    }
                }
            }
            other()
        }
        ExprKind::Match {
            op,
            operand,
            patterns,
        } => {
            let Some(name) = field_of(operand) else {
                return other();
            };
            let Some(pats) = patterns.iter().map(str_lit).collect::<Option<Vec<_>>>() else {
                return other();
            };
            let ci = op.is_insensitive();
            let gen = if op.is_regex() {
                Gen::Regex { pats, ci }
            } else {
                Gen::Wild { pats, ci }
            };
            Leaf::Field {
                name: name.to_string(),
                gen,
                invert: false,
            }
        }
        ExprKind::In {
            negated,
            insensitive,
            operand,
            list,
        } => {
            let Some(name) = field_of(operand) else {
                return other();
            };
            let vals: Vec<Literal> = list
                .iter()
                .filter_map(const_lit)
                .filter(|l| !matches!(l, Literal::Null))
                .collect();
            if vals.is_empty() {
                return other();
            }
            Leaf::Field {
                name: name.to_string(),
                gen: Gen::Exact {
                    vals,
                    ci: *insensitive,
                },
                invert: *negated,
            }
        }
        ExprKind::Call {
            name,
            insensitive,
            args,
            ..
        } => {
            let lower = name.to_ascii_lowercase();
            match (lower.as_str(), args.as_slice()) {
                ("cidrmatch", [first, blocks @ ..]) => {
                    let Some(name) = field_of(first) else {
                        return other();
                    };
                    let blocks: Vec<String> = blocks.iter().filter_map(str_lit).collect();
                    if blocks.is_empty() {
                        return other();
                    }
                    Leaf::Field {
                        name: name.to_string(),
                        gen: Gen::Cidr(blocks),
                        invert: false,
                    }
                }
                ("startswith" | "endswith" | "stringcontains", [a, b]) => {
                    let kind = match lower.as_str() {
                        "startswith" => AffixKind::Starts,
                        "endswith" => AffixKind::Ends,
                        _ => AffixKind::Contains,
                    };
                    let ci = *insensitive;
                    if let (Some(name), Some(text)) = (field_of(a), str_lit(b)) {
                        return Leaf::Field {
                            name: name.to_string(),
                            gen: Gen::Affix { kind, text, ci },
                            invert: false,
                        };
                    }
                    if let (Some(text), Some(name)) = (str_lit(a), field_of(b)) {
                        return Leaf::Field {
                            name: name.to_string(),
                            gen: Gen::Within { text, ci },
                            invert: false,
                        };
                    }
                    other()
                }
                _ => other(),
            }
        }
        _ => other(),
    }
}

/// How hard a goal is to reach, roughly: the number of leaves the generator cannot solve.
fn hardness(e: &Expr) -> usize {
    match &e.kind {
        ExprKind::And(xs) => xs.iter().map(hardness).sum(),
        ExprKind::Or(xs) => xs.iter().map(hardness).min().unwrap_or(0),
        ExprKind::Not(x) => hardness(x),
        _ => match analyze(e) {
            Leaf::Other(_) => 1,
            Leaf::Field {
                gen: Gen::Regex { pats, .. },
                ..
            } => usize::from(pats.iter().all(|p| rx_parse(p).is_none())),
            _ => 0,
        },
    }
}

/// `event.category == "c"`, as a leaf to check the category constraint with.
fn category_leaf(c: &str) -> Expr {
    let node = |kind| Expr {
        kind,
        span: Span::default(),
    };
    node(ExprKind::Compare {
        op: CmpOp::Eq,
        left: Box::new(node(ExprKind::Field(Field {
            name: CATEGORY.to_string(),
            optional: false,
            span: Span::default(),
        }))),
        right: Box::new(node(ExprKind::Literal(Literal::String(c.to_string())))),
    })
}

/// Walks a condition towards a goal, collecting per-field plans.
struct Walker<'a> {
    rng: &'a mut Rng,
    /// Forced choices: `or`/`and` node address → operand index.
    forced: &'a HashMap<usize, usize>,
    /// Prefer the operands the generator can solve.
    easy: bool,
    walk: Walk,
}

/// What one walk of a condition asks for.
#[derive(Clone, Debug, Default)]
struct Walk {
    plans: BTreeMap<String, Plan>,
    /// Leaves over several fields the generator cannot solve: `(leaf, wanted value, fields)`,
    /// for [`Env::repair`].
    others: Vec<(Expr, bool, Vec<String>)>,
}

impl Walker<'_> {
    fn choose(&mut self, e: &Expr, xs: &[Expr]) -> usize {
        if let Some(&i) = self.forced.get(&(e as *const Expr as usize)) {
            return i.min(xs.len().saturating_sub(1));
        }
        if self.easy {
            let h: Vec<usize> = xs.iter().map(hardness).collect();
            let best = h.iter().copied().min().unwrap_or(0);
            let easiest: Vec<usize> = (0..xs.len()).filter(|&i| h[i] == best).collect();
            if let Some(&i) = self.rng.pick(&easiest) {
                return i;
            }
        }
        self.rng.below(xs.len())
    }

    fn walk(&mut self, e: &Expr, want: bool) {
        match &e.kind {
            ExprKind::And(xs) if want => xs.iter().for_each(|x| self.walk(x, true)),
            ExprKind::Or(xs) if !want => xs.iter().for_each(|x| self.walk(x, false)),
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                if !xs.is_empty() {
                    let i = self.choose(e, xs);
                    self.walk(&xs[i], want);
                }
            }
            ExprKind::Not(x) if !x.is_script() => self.walk(x, !want),
            ExprKind::Not(x) => self.leaf(e, x, want, true),
            _ => self.leaf(e, e, want, false),
        }
    }

    /// `node` is evaluated as a unit and must give `want`; it is `inner` or, for a script,
    /// `not inner` (`outer_not`).
    fn leaf(&mut self, node: &Expr, inner: &Expr, want: bool, outer_not: bool) {
        let inner_want = want != outer_not;
        match analyze(inner) {
            Leaf::Field { name, gen, invert } => {
                let c = Constraint {
                    gen,
                    check: Some((node.clone(), want)),
                };
                let plan = self.walk.plans.entry(name).or_default();
                if inner_want != invert {
                    plan.wants.push(c);
                } else {
                    // A script that must be true needs its fields, also to be false inside it.
                    if inner.is_script() && want {
                        plan.needs_value = true;
                    }
                    plan.avoids.push(c);
                }
            }
            Leaf::Null { name, absent } => {
                let plan = self.walk.plans.entry(name).or_default();
                if absent == inner_want {
                    plan.absent = true;
                } else {
                    plan.wants.push(Constraint {
                        gen: Gen::Any,
                        check: None,
                    });
                }
            }
            Leaf::Other(names) => {
                for name in &names {
                    let plan = self.walk.plans.entry(name.clone()).or_default();
                    plan.wants.push(Constraint {
                        gen: Gen::Any,
                        check: None,
                    });
                }
                if !names.is_empty() {
                    self.walk.others.push((node.clone(), want, names));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Values.

/// What evaluation needs: field types and compiled regular expressions.
struct Env<'a> {
    types: &'a FieldTypes,
    regexes: Regexes,
    /// The conditions passed the interpreter's load-time checks, so they can be evaluated.
    checked: bool,
}

impl Env<'_> {
    fn new<'a>(types: &'a FieldTypes, conditions: &[&Expr]) -> Env<'a> {
        let mut regexes = Regexes::new();
        let checked = conditions
            .iter()
            .all(|c| eval::check(c, &mut regexes, "").is_ok());
        Env {
            types,
            regexes,
            checked,
        }
    }

    fn ty(&self, name: &str) -> FieldType {
        match self.types.get(self.types.resolve(name)) {
            Some(FieldType::Alias(_)) | None => FieldType::Keyword,
            Some(t) => t.clone(),
        }
    }

    fn eval(&self, doc: &Value, e: &Expr) -> bool {
        if !self.checked {
            return false;
        }
        Ctx {
            types: self.types,
            regexes: &self.regexes,
            doc,
        }
        .matches(e)
    }

    /// Whether `v` as the only value of `name` meets the constraint.
    fn holds(&self, name: &str, c: &Constraint, v: &Value) -> bool {
        match &c.check {
            Some((e, want)) if self.checked => {
                let mut m = Map::new();
                m.insert(name.to_string(), v.clone());
                self.eval(&Value::Object(m), e) == *want
            }
            _ => true,
        }
    }

    /// Whether a stage matches the document (category included).
    fn stage_matches(&self, q: &EventQuery, doc: &Value) -> bool {
        if !self.checked {
            return false;
        }
        let category_ok = match &q.category.kind {
            CategoryKind::Any => true,
            CategoryKind::Named(c) => field::values_or(doc, CATEGORY, None)
                .into_iter()
                .filter_map(field::text)
                .any(|t| t == *c),
        };
        category_ok && self.eval(doc, &q.condition)
    }
}

/// Changes the case of ASCII letters, for case-insensitive operators.
fn vary_case(s: String, ci: bool, rng: &mut Rng) -> String {
    if !ci {
        return s;
    }
    match rng.below(4) {
        0 => s,
        1 => s.to_ascii_uppercase(),
        2 => s.to_ascii_lowercase(),
        _ => s
            .chars()
            .map(|c| if rng.chance(1, 2) { swap_case(c) } else { c })
            .collect(),
    }
}

fn swap_case(c: char) -> char {
    if c.is_ascii_lowercase() {
        c.to_ascii_uppercase()
    } else {
        c.to_ascii_lowercase()
    }
}

/// What a `*` becomes.
fn filler(rng: &mut Rng) -> &'static str {
    ["", "x", "ab", "0", "w-1", "Q", ""][rng.below(7)]
}

/// A wildcard pattern instantiated: `*` → a short string (plus `pad` characters at the last
/// one), `?` → one character. Backslashes are literal, as in Elasticsearch.
fn instantiate(pat: &str, rng: &mut Rng, pad: usize) -> String {
    let last_star = pat.rfind('*');
    let mut out = String::new();
    for (i, c) in pat.char_indices() {
        match c {
            '*' => {
                out.push_str(filler(rng));
                if Some(i) == last_star {
                    out.extend(std::iter::repeat_n('x', pad));
                }
            }
            '?' => out.push(['c', 'X', '7', 'a'][rng.below(4)]),
            c => out.push(c),
        }
    }
    out
}

/// Text of exactly `len` UTF-16 units (all ASCII).
fn text_of_len(len: usize) -> String {
    "witness-".chars().cycle().take(len).collect()
}

/// The length a `length(x) op n` constraint picks.
fn len_for(op: CmpOp, n: i64, rng: &mut Rng) -> Option<usize> {
    let d = 1 + rng.below(3) as i64;
    let l = match op {
        CmpOp::Eq => n,
        CmpOp::Ne => n.saturating_add(1),
        CmpOp::Gt => n.saturating_add(d),
        CmpOp::Ge => n.saturating_add(d - 1),
        CmpOp::Lt => n.saturating_sub(d).min(n.saturating_sub(1)),
        CmpOp::Le => n.saturating_sub(d - 1),
    };
    let l = l.max(0);
    if l > 10_000 {
        return None;
    }
    let l = l as usize;
    let fits = match op {
        CmpOp::Lt => (l as i64) < n,
        CmpOp::Le => (l as i64) <= n,
        _ => true,
    };
    fits.then_some(l)
}

/// A string as the field's type wants it: a number field gets a JSON number when it parses.
fn typed_text(s: String, ty: &FieldType) -> Value {
    if *ty == FieldType::Number {
        if let Ok(i) = s.trim().parse::<i64>() {
            return Value::from(i);
        }
        if let Some(n) = s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
        {
            return Value::Number(n);
        }
    }
    Value::String(s)
}

fn lit_text(l: &Literal) -> Option<String> {
    match l {
        Literal::Null => None,
        Literal::Bool(b) => Some(b.to_string()),
        Literal::Int(i) => Some(i.to_string()),
        Literal::Float(f) => Some(value::float_text(*f)),
        Literal::String(s) => Some(s.clone()),
    }
}

fn lit_num(l: &Literal) -> Option<f64> {
    match l {
        Literal::Int(i) => Some(*i as f64),
        Literal::Float(f) => Some(*f),
        Literal::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn float_value(f: f64) -> Option<Value> {
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// A literal as a field value of the given type.
fn lit_value(l: &Literal, ty: &FieldType, ci: bool, rng: &mut Rng) -> Option<Value> {
    match (l, ty) {
        (Literal::Null, _) => None,
        (Literal::String(s), FieldType::Ip) if s.contains('/') => {
            addr_in(s, rng).map(Value::String)
        }
        (Literal::String(s), FieldType::Number) => Some(typed_text(s.clone(), ty)),
        (Literal::String(s), _) => Some(Value::String(vary_case(s.clone(), ci, rng))),
        (Literal::Int(i), FieldType::Number) => Some(Value::from(*i)),
        (Literal::Float(f), FieldType::Number) => float_value(*f),
        (Literal::Int(i), _) if rng.chance(1, 3) => Some(Value::from(*i)),
        (Literal::Bool(b), _) if !rng.chance(1, 4) => Some(Value::Bool(*b)),
        _ => lit_text(l).map(Value::String),
    }
}

/// An address inside a CIDR block (or the address itself).
fn addr_in(block: &str, rng: &mut Rng) -> Option<String> {
    let (net, mask) = value::parse_cidr(block)?;
    let host = !mask;
    let offset = if host == 0 {
        0
    } else {
        (1 + rng.below(200) as u128) & host
    };
    Some(bits_to_ip(net | offset, !block.contains(':')))
}

fn bits_to_ip(bits: u128, v4: bool) -> String {
    let v6 = Ipv6Addr::from(bits);
    match v6.to_ipv4_mapped() {
        Some(a) if v4 => a.to_string(),
        _ => v6.to_string(),
    }
}

/// A value `v` with `v op lit`, compared the way the field's type compares.
fn cmp_value(op: CmpOp, lit: &Literal, ty: &FieldType, rng: &mut Rng) -> Option<Value> {
    let d = 1 + rng.below(3) as i64;
    let up = match op {
        CmpOp::Gt | CmpOp::Ne => d,
        CmpOp::Ge => d - 1,
        CmpOp::Lt => -d,
        CmpOp::Le => 1 - d,
        CmpOp::Eq => 0,
    };
    match ty {
        FieldType::Ip => {
            let text = lit_text(lit)?;
            let ip = value::parse_ip(&text)?;
            let bits = value::ip_bits(ip).checked_add_signed(i128::from(up))?;
            Some(Value::String(bits_to_ip(bits, matches!(ip, IpAddr::V4(_)))))
        }
        FieldType::Date => {
            let nanos = match lit {
                Literal::Int(ms) => ms.checked_mul(1_000_000)?,
                Literal::String(s) => value::parse_instant_text(s)?,
                _ => return None,
            };
            let t = nanos.checked_add(up.checked_mul(NANOS_PER_SEC)?)?;
            Some(Value::String(eql_runtime::time::rfc3339_nanos(t)))
        }
        FieldType::Number => match lit {
            Literal::Int(i) => Some(Value::from(i.checked_add(up)?)),
            _ => float_value(lit_num(lit)? + up as f64),
        },
        _ => {
            // Text compares byte-wise: a proper prefix is smaller, an extension larger.
            let s = lit_text(lit)?;
            let smaller = || {
                let mut t = s.clone();
                t.pop().map(|_| t)
            };
            let text = match op {
                CmpOp::Eq => s.clone(),
                CmpOp::Gt | CmpOp::Ne => format!("{s}{}", ["0", "z", "~"][rng.below(3)]),
                CmpOp::Ge if d == 1 => s.clone(),
                CmpOp::Ge => format!("{s}1"),
                CmpOp::Lt => smaller()?,
                CmpOp::Le if d == 1 => s.clone(),
                CmpOp::Le => smaller()?,
            };
            Some(Value::String(text))
        }
    }
}

/// A value of the field's type that no constraint asked for.
fn default_value(ty: &FieldType, name: &str, rng: &mut Rng) -> Value {
    match ty {
        FieldType::Number => Value::from(1000 + rng.below(9000) as i64),
        FieldType::Ip => Value::String(PUBLIC_IPS[rng.below(PUBLIC_IPS.len())].to_string()),
        FieldType::Date => Value::String(eql_runtime::time::rfc3339_nanos(
            BASE_NANOS - 3_600 * NANOS_PER_SEC,
        )),
        FieldType::Boolean => Value::Bool(true),
        _ => {
            let last = name.rsplit('.').next().unwrap_or(name);
            Value::String(format!("w{}-{last}", rng.below(100)))
        }
    }
}

/// A value that differs from what `gen` asks for, when the difference is easy to state.
fn negated(gen: &Gen) -> Option<Gen> {
    match gen {
        Gen::Cmp { op, lit } => Some(Gen::Cmp {
            op: negate(*op),
            lit: lit.clone(),
        }),
        Gen::Len { op, n } => Some(Gen::Len {
            op: negate(*op),
            n: *n,
        }),
        Gen::Truthy => Some(Gen::OneOf(vec![Value::Bool(false)])),
        _ => None,
    }
}

/// A value for a constraint; `pad`: make text at least this long where a wildcard allows.
fn gen_value(gen: &Gen, ty: &FieldType, name: &str, pad: usize, rng: &mut Rng) -> Option<Value> {
    match gen {
        Gen::Wild { pats, ci } => {
            let p = rng.pick(pats)?;
            let mut s = instantiate(p, rng, 0);
            let short = pad.saturating_sub(s.encode_utf16().count());
            if short > 0 && p.contains('*') {
                s = instantiate(p, rng, short);
            }
            Some(typed_text(vary_case(s, *ci, rng), ty))
        }
        Gen::Exact { vals, ci } => lit_value(rng.pick(vals)?, ty, *ci, rng),
        Gen::Regex { pats, ci } => {
            let p = rng.pick(pats)?;
            let s = rx_generate(&rx_parse(p)?, rng);
            Some(typed_text(vary_case(s, *ci, rng), ty))
        }
        Gen::Cmp { op, lit } => cmp_value(*op, lit, ty, rng),
        Gen::Cidr(blocks) => addr_in(rng.pick(blocks)?, rng).map(Value::String),
        Gen::Len { op, n } => len_for(*op, *n, rng).map(|l| Value::String(text_of_len(l))),
        Gen::Affix { kind, text, ci } => {
            let mut fill = filler(rng).to_string();
            let short = pad.saturating_sub(text.encode_utf16().count() + fill.len());
            fill.extend(std::iter::repeat_n('x', short));
            let s = match kind {
                AffixKind::Starts => format!("{text}{fill}"),
                AffixKind::Ends => format!("{fill}{text}"),
                AffixKind::Contains => format!("{fill}{text}{}", filler(rng)),
            };
            Some(Value::String(vary_case(s, *ci, rng)))
        }
        Gen::Within { text, ci } => Some(Value::String(vary_case(text.clone(), *ci, rng))),
        Gen::Truthy => Some(if rng.chance(1, 5) {
            Value::String("true".to_string())
        } else {
            Value::Bool(true)
        }),
        Gen::OneOf(vals) => rng.pick(vals).cloned(),
        Gen::Any => Some(default_value(ty, name, rng)),
    }
}

/// A second element for an array value.
fn decoy(ty: &FieldType, name: &str, rng: &mut Rng) -> Value {
    match ty {
        FieldType::Number => Value::from(rng.below(7) as i64),
        FieldType::Ip => Value::String("198.51.100.7".to_string()),
        _ if name == CATEGORY => Value::String("host".to_string()),
        _ if name.ends_with("args") => {
            Value::String(["-d", "--decoy", "decoy"][rng.below(3)].into())
        }
        _ => Value::String(format!("decoy{}", rng.below(10))),
    }
}

/// Characters of a string value (for the case mutant).
fn has_letters(v: &Value) -> bool {
    match v {
        Value::String(s) => s.chars().any(|c| c.is_ascii_alphabetic()),
        Value::Array(xs) => xs.iter().any(has_letters),
        _ => false,
    }
}

fn swap_value_case(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(if s.chars().any(|c| c.is_ascii_lowercase()) {
            s.to_ascii_uppercase()
        } else {
            s.to_ascii_lowercase()
        }),
        Value::Array(xs) => Value::Array(xs.iter().map(swap_value_case).collect()),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Solving a stage.

/// A stage's fields (absent ones omitted) and what the condition asked of them.
#[derive(Clone, Debug, Default)]
struct Solved {
    fields: BTreeMap<String, Value>,
    plans: BTreeMap<String, Plan>,
    /// The interpreter matches the stage on these fields.
    ok: bool,
}

impl Env<'_> {
    /// The value of one field (`None`: leave it out).
    fn resolve(&self, name: &str, plan: &Plan, rng: &mut Rng) -> Option<Value> {
        let ty = self.ty(name);
        let avoids_ok = |v: &Value| plan.avoids.iter().all(|c| self.holds(name, c, v));
        if plan.wants.is_empty() {
            if plan.absent || (!plan.needs_value && rng.chance(1, 2)) {
                return None;
            }
            // Present, with a value that differs from everything avoided.
            for t in 0..12 {
                let gen = match plan.avoids.get(t % plan.avoids.len().max(1)) {
                    Some(c) if t % 2 == 0 => negated(&c.gen),
                    _ => None,
                };
                let mut v = gen
                    .and_then(|g| gen_value(&g, &ty, name, 0, rng))
                    .unwrap_or_else(|| default_value(&ty, name, rng));
                if t >= 6 {
                    if let Value::String(s) = &mut v {
                        s.push_str("-zq");
                    }
                }
                if avoids_ok(&v) {
                    return Some(self.arrayify(name, &ty, v, plan, rng));
                }
            }
            return plan.needs_value.then(|| default_value(&ty, name, rng));
        }
        if plan.absent && rng.chance(1, 2) {
            return None;
        }
        let pad = plan
            .wants
            .iter()
            .map(|c| c.gen.clone())
            .chain(plan.avoids.iter().filter_map(|c| negated(&c.gen)))
            .filter_map(|g| match g {
                Gen::Len { op, n } => match op {
                    CmpOp::Gt => Some(n.saturating_add(1)),
                    CmpOp::Ge | CmpOp::Eq => Some(n),
                    _ => None,
                },
                _ => None,
            })
            .max()
            .map_or(0, |n| n.clamp(0, 10_000) as usize);
        // One value for every constraint.
        let n = plan.wants.len();
        let start = rng.below(n);
        for t in 0..(8 * n).min(64) {
            let w = &plan.wants[(start + t) % n];
            let pad = if t % 2 == 0 { pad } else { 0 };
            let Some(v) = gen_value(&w.gen, &ty, name, pad, rng) else {
                continue;
            };
            if plan.wants.iter().all(|c| self.holds(name, c, &v)) && avoids_ok(&v) {
                return Some(self.arrayify(name, &ty, v, plan, rng));
            }
        }
        // One value per constraint: any element may meet a wanted leaf.
        let mut vals: Vec<Value> = Vec::new();
        for w in &plan.wants {
            if w.check.is_none() || vals.iter().any(|v| self.holds(name, w, v)) {
                continue;
            }
            let mut best = None;
            for _ in 0..8 {
                if let Some(v) = gen_value(&w.gen, &ty, name, pad, rng) {
                    if self.holds(name, w, &v) && avoids_ok(&v) {
                        best = Some(v);
                        break;
                    }
                    best.get_or_insert(v);
                }
            }
            vals.extend(best);
        }
        match vals.len() {
            0 => {
                let v = plan
                    .wants
                    .iter()
                    .find_map(|w| gen_value(&w.gen, &ty, name, pad, rng))
                    .unwrap_or_else(|| default_value(&ty, name, rng));
                Some(self.arrayify(name, &ty, v, plan, rng))
            }
            1 => {
                let v = vals.remove(0);
                Some(self.arrayify(name, &ty, v, plan, rng))
            }
            _ => {
                let k = rng.below(vals.len());
                vals.rotate_left(k);
                Some(Value::Array(vals))
            }
        }
    }

    /// Writes array fields as arrays, and sometimes others too, with a decoy element that need
    /// not come after the matching one.
    fn arrayify(&self, name: &str, ty: &FieldType, v: Value, plan: &Plan, rng: &mut Rng) -> Value {
        let always = ARRAY_FIELDS.contains(&name);
        let sometimes = matches!(ty, FieldType::Keyword | FieldType::Ip) && rng.chance(1, 8);
        if !(always || sometimes) || v.is_array() {
            return v;
        }
        let d = decoy(ty, name, rng);
        let with_decoy = rng.chance(1, 2)
            && (name != CATEGORY || rng.chance(1, 4))
            && plan.avoids.iter().all(|c| self.holds(name, c, &d));
        if !with_decoy {
            return Value::Array(vec![v]);
        }
        if rng.chance(1, 2) {
            Value::Array(vec![d, v])
        } else {
            Value::Array(vec![v, d])
        }
    }

    /// The plans of one stage for one walk.
    fn plans(
        &self,
        q: &EventQuery,
        forced: &HashMap<usize, usize>,
        easy: bool,
        rng: &mut Rng,
    ) -> Walk {
        let mut w = Walker {
            rng,
            forced,
            easy,
            walk: Walk::default(),
        };
        w.walk(&q.condition, true);
        let mut walk = w.walk;
        let cat = walk.plans.entry(CATEGORY.to_string()).or_default();
        match &q.category.kind {
            CategoryKind::Named(c) => cat.wants.push(Constraint {
                gen: Gen::Exact {
                    vals: vec![Literal::String(c.clone())],
                    ci: false,
                },
                check: Some((category_leaf(c), true)),
            }),
            CategoryKind::Any => cat.wants.push(Constraint {
                gen: Gen::OneOf(
                    ANY_CATEGORIES
                        .iter()
                        .map(|c| Value::String(c.to_string()))
                        .collect(),
                ),
                check: None,
            }),
        }
        walk
    }

    /// Fields for one walk of a stage; `pins` are join keys, set whatever the condition says.
    fn assign(
        &self,
        plans: &BTreeMap<String, Plan>,
        pins: &BTreeMap<String, Value>,
        rng: &mut Rng,
    ) -> BTreeMap<String, Value> {
        let mut fields = BTreeMap::new();
        for (name, plan) in plans {
            if pins.contains_key(name) {
                continue;
            }
            if let Some(v) = self.resolve(name, plan, rng) {
                fields.insert(name.clone(), v);
            }
        }
        for (name, v) in pins {
            fields.insert(name.clone(), v.clone());
        }
        fields
    }

    /// Solves a stage, retrying with other choices until the interpreter agrees it matches.
    /// Returns the solution and, when the first attempt failed but a later one worked, the
    /// first attempt.
    fn solve(
        &self,
        q: &EventQuery,
        pins: &BTreeMap<String, Value>,
        forced: &HashMap<usize, usize>,
        rng: &mut Rng,
    ) -> (Solved, Option<Solved>) {
        let mut first: Option<Solved> = None;
        let attempts = if self.checked { ATTEMPTS } else { 1 };
        for attempt in 0..attempts {
            let mut r = rng.fork();
            let walk = self.plans(q, forced, attempt % 3 != 2, &mut r);
            let mut fields = self.assign(&walk.plans, pins, &mut r);
            let mut ok = self.stage_matches(q, &flat_doc(&fields));
            if !ok && !walk.others.is_empty() {
                self.repair(&walk, &mut fields, pins);
                ok = self.stage_matches(q, &flat_doc(&fields));
            }
            let s = Solved {
                fields,
                plans: walk.plans,
                ok,
            };
            if ok {
                return (s, first);
            }
            first.get_or_insert(s);
        }
        (first.unwrap_or_default(), None)
    }
}

impl Env<'_> {
    /// Makes leaves over several fields (`startsWith(a, b)`, `a == substring(b, 0, -1)`) hold
    /// by giving one field a value derived from the others' (the same text, one character
    /// less or more, …), keeping that field's own constraints.
    fn repair(
        &self,
        walk: &Walk,
        fields: &mut BTreeMap<String, Value>,
        pins: &BTreeMap<String, Value>,
    ) {
        for _ in 0..2 {
            for (node, want, names) in &walk.others {
                if self.eval(&flat_doc(fields), node) == *want {
                    continue;
                }
                'field: for f in names {
                    if pins.contains_key(f) {
                        continue;
                    }
                    let ty = self.ty(f);
                    let mut pool: Vec<Value> = Vec::new();
                    let mut texts = constants(node);
                    for g in names.iter().filter(|g| *g != f) {
                        texts.extend(fields.get(g).map(derived).unwrap_or_default());
                    }
                    for t in texts {
                        let v = typed_text(t, &ty);
                        if !pool.contains(&v) {
                            pool.push(v);
                        }
                    }
                    let old = fields.get(f).cloned();
                    for cand in pool {
                        let own_ok = walk.plans.get(f).is_none_or(|p| {
                            p.wants
                                .iter()
                                .chain(&p.avoids)
                                .all(|c| self.holds(f, c, &cand))
                        });
                        if !own_ok {
                            continue;
                        }
                        fields.insert(f.clone(), cand);
                        if self.eval(&flat_doc(fields), node) == *want {
                            break 'field;
                        }
                    }
                    match old {
                        Some(v) => fields.insert(f.clone(), v),
                        None => fields.remove(f),
                    };
                }
            }
        }
    }
}

/// Texts derived from the constants of a leaf (`x - 1 == 81` → 82, `concat(x, "") == "a"` →
/// `a`), for [`Env::repair`].
fn constants(e: &Expr) -> Vec<String> {
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Literal(Literal::Int(n)) => {
                let n = *n;
                for m in [
                    Some(n),
                    n.checked_add(1),
                    n.checked_sub(1),
                    n.checked_mul(2),
                    (n % 2 == 0).then_some(n / 2),
                    n.checked_neg(),
                ]
                .into_iter()
                .flatten()
                {
                    out.push(m.to_string());
                }
            }
            ExprKind::Literal(Literal::Float(f)) => out.push(value::float_text(*f)),
            ExprKind::Literal(Literal::String(s)) => {
                out.extend(derived(&Value::String(s.clone())));
                out.push(format!("x{s}"));
            }
            _ => e.children().for_each(|x| walk(x, out)),
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out);
    out.truncate(64);
    out
}

/// Texts derived from a value, for [`Env::repair`].
fn derived(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let texts: Vec<String> = match v {
        Value::Array(xs) => xs.iter().filter_map(field::text).collect(),
        other => field::text(other).into_iter().collect(),
    };
    for t in texts {
        let mut shorter = t.clone();
        shorter.pop();
        let head = t.split('.').next().unwrap_or_default().to_string();
        for d in [
            t.clone(),
            format!("{shorter}."),
            shorter,
            format!("{t}$"),
            format!("{t}."),
            head,
            t.to_ascii_uppercase(),
            t.to_ascii_lowercase(),
        ] {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

/// All fields as dotted keys of one object (for checks).
fn flat_doc(fields: &BTreeMap<String, Value>) -> Value {
    Value::Object(fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

// ---------------------------------------------------------------------------------------------
// Documents.

/// Inserts `v` at `segs`, the first `nested` segments as objects and the rest as one dotted
/// key; false on a conflict with what is there.
fn insert_at(root: &mut Map<String, Value>, segs: &[&str], nested: usize, v: &Value) -> bool {
    let nested = nested.min(segs.len().saturating_sub(1));
    let mut node = root;
    for seg in &segs[..nested] {
        let slot = node
            .entry(seg.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        match slot {
            Value::Object(m) => node = m,
            _ => return false,
        }
    }
    let key = segs[nested..].join(".");
    if node.contains_key(&key) {
        return false;
    }
    node.insert(key, v.clone());
    true
}

/// An event: `@timestamp`, a label, then the fields as nested objects, sometimes as dotted keys
/// (and as dotted keys where nesting would conflict).
fn build_doc(fields: &BTreeMap<String, Value>, ts: i64, label: &str, rng: &mut Rng) -> Value {
    let mut root = Map::new();
    root.insert(
        "@timestamp".to_string(),
        Value::String(eql_runtime::time::rfc3339_nanos(ts)),
    );
    root.insert("witness".to_string(), Value::String(label.to_string()));
    let mut order: Vec<(&String, &Value)> = fields.iter().collect();
    // Shorter paths first: a longer one that cannot nest under a scalar becomes a dotted key.
    order.sort_by_key(|(k, _)| (k.matches('.').count(), k.as_str()));
    for (path, v) in order {
        if path == "@timestamp" || path == "witness" {
            continue;
        }
        let segs: Vec<&str> = path.split('.').collect();
        let nested = match rng.below(16) {
            0 | 1 => 0,
            2 => rng.below(segs.len()),
            _ => segs.len(),
        };
        if !insert_at(&mut root, &segs, nested, v) {
            root.insert(path.clone(), v.clone());
        }
    }
    Value::Object(root)
}

// ---------------------------------------------------------------------------------------------
// Event queries.

/// `or` nodes reached from the root through `and`s only: each branch gets a witness.
fn choice_points<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::And(xs) => xs.iter().for_each(|x| choice_points(x, out)),
        // Nested `or`s are reached through the choice of their parent.
        ExprKind::Or(_) => out.push(e),
        _ => {}
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mutant {
    Case,
    Array,
    Remove,
    Boundary,
    NumText,
    TripAvoid,
    ScalarCategory,
}

const MUTANTS: &[Mutant] = &[
    Mutant::Case,
    Mutant::Array,
    Mutant::Remove,
    Mutant::TripAvoid,
    Mutant::Boundary,
    Mutant::NumText,
    Mutant::ScalarCategory,
];

fn textual(g: &Gen) -> bool {
    matches!(
        g,
        Gen::Wild { .. }
            | Gen::Exact { .. }
            | Gen::Regex { .. }
            | Gen::Affix { .. }
            | Gen::Within { .. }
    )
}

/// A near miss of a solution: one field changed. `None` when the mutant does not apply.
fn mutate(
    env: &Env<'_>,
    s: &Solved,
    kind: Mutant,
    rng: &mut Rng,
) -> Option<(String, BTreeMap<String, Value>)> {
    let wanted = |name: &str, pred: &dyn Fn(&Gen) -> bool| {
        s.plans
            .get(name)
            .is_some_and(|p| p.wants.iter().any(|c| c.check.is_some() && pred(&c.gen)))
    };
    let mut fields = s.fields.clone();
    let candidates: Vec<String> = match kind {
        Mutant::Case => s
            .fields
            .iter()
            .filter(|(k, v)| *k != CATEGORY && has_letters(v) && wanted(k, &textual))
            .map(|(k, _)| k.clone())
            .collect(),
        Mutant::Array => s
            .fields
            .iter()
            .filter(|(k, v)| *k != CATEGORY && !v.is_array() && wanted(k, &|_| true))
            .map(|(k, _)| k.clone())
            .collect(),
        Mutant::Remove => s
            .fields
            .keys()
            .filter(|k| *k != CATEGORY && wanted(k, &|_| true))
            .cloned()
            .collect(),
        Mutant::Boundary => s
            .fields
            .keys()
            .filter(|k| {
                wanted(k, &|g| {
                    matches!(
                        g,
                        Gen::Len { .. }
                            | Gen::Cmp {
                                op: CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge,
                                ..
                            }
                    )
                })
            })
            .cloned()
            .collect(),
        Mutant::NumText => s
            .fields
            .iter()
            .filter(|(_, v)| v.is_number())
            .map(|(k, _)| k.clone())
            .collect(),
        Mutant::TripAvoid => s
            .plans
            .iter()
            .filter(|(k, p)| *k != CATEGORY && !p.avoids.is_empty())
            .map(|(k, _)| k.clone())
            .collect(),
        Mutant::ScalarCategory => match s.fields.get(CATEGORY) {
            Some(Value::Array(xs)) if xs.len() == 1 => vec![CATEGORY.to_string()],
            _ => Vec::new(),
        },
    };
    let name = rng.pick(&candidates)?.clone();
    let ty = env.ty(&name);
    let old = fields.get(&name).cloned();
    match kind {
        Mutant::Case => {
            let v = swap_value_case(old.as_ref()?);
            fields.insert(name.clone(), v);
        }
        Mutant::Array => {
            let v = old?;
            let d = decoy(&ty, &name, rng);
            fields.insert(name.clone(), Value::Array(vec![d, v]));
        }
        Mutant::Remove => {
            fields.remove(&name);
        }
        Mutant::Boundary => {
            let plan = s.plans.get(&name)?;
            let v = plan.wants.iter().find_map(|c| match &c.gen {
                Gen::Len { n, .. } => {
                    Some(Value::String(text_of_len((*n).clamp(0, 10_000) as usize)))
                }
                Gen::Cmp { op, lit } if *op != CmpOp::Eq && *op != CmpOp::Ne => {
                    cmp_value(CmpOp::Eq, lit, &ty, rng)
                }
                _ => None,
            })?;
            fields.insert(name.clone(), v);
        }
        Mutant::NumText => {
            let v = old?;
            fields.insert(name.clone(), Value::String(v.to_string()));
        }
        Mutant::TripAvoid => {
            let plan = s.plans.get(&name)?;
            let c = rng.pick(&plan.avoids)?;
            let v = gen_value(&c.gen, &ty, &name, 0, rng)?;
            fields.insert(name.clone(), v);
        }
        Mutant::ScalarCategory => {
            let first = old?.as_array()?.first()?.clone();
            fields.insert(name.clone(), first);
        }
    }
    let label = match kind {
        Mutant::Case => "case",
        Mutant::Array => "array",
        Mutant::Remove => "remove",
        Mutant::Boundary => "boundary",
        Mutant::NumText => "number-as-text",
        Mutant::TripAvoid => "avoided-value",
        Mutant::ScalarCategory => "scalar-category",
    };
    Some((format!("{label} {name}"), fields))
}

fn event_witnesses(types: &FieldTypes, q: &EventQuery, rng: &mut Rng) -> Vec<Value> {
    let env = Env::new(types, &[&q.condition]);
    // Forced choices: none (the seed decides), then each branch of each top-level `or`.
    let mut points = Vec::new();
    choice_points(&q.condition, &mut points);
    let mut choices: Vec<(usize, usize)> = Vec::new();
    for p in &points {
        if let ExprKind::Or(xs) = &p.kind {
            for i in 0..xs.len() {
                choices.push((*p as *const Expr as usize, i));
            }
        }
    }
    if choices.len() > MAX_BRANCH_WITNESSES {
        let n = choices.len();
        choices = (0..MAX_BRANCH_WITNESSES)
            .map(|k| choices[k * n / MAX_BRANCH_WITNESSES])
            .collect();
    }
    let mut forcings: Vec<HashMap<usize, usize>> = vec![HashMap::new()];
    forcings.extend(choices.into_iter().map(|(p, i)| HashMap::from([(p, i)])));

    let mut out: Vec<(String, BTreeMap<String, Value>)> = Vec::new();
    let none = BTreeMap::new();
    let mut bases = Vec::new();
    for forced in &forcings {
        let (s, first) = env.solve(q, &none, forced, rng);
        bases.push((s, first));
    }
    let per_base = (MAX_EVENTS / bases.len().max(1)).max(2);
    let mut kind_at = 0;
    for (b, (s, first)) in bases.iter().enumerate() {
        let mut group = vec![(
            if s.ok { "match" } else { "unsolved" }.to_string(),
            s.fields.clone(),
        )];
        if let Some(f) = first {
            group.push(("unchecked".to_string(), f.fields.clone()));
        }
        // The first witness gets every mutant; the others a rotating few.
        let want = if b == 0 { MUTANTS.len() } else { 2 };
        let (mut made, mut tried) = (0, 0);
        while made < want && tried < MUTANTS.len() && group.len() < per_base {
            let kind = MUTANTS[kind_at % MUTANTS.len()];
            kind_at += 1;
            tried += 1;
            if let Some(m) = mutate(&env, s, kind, rng) {
                group.push(m);
                made += 1;
            }
        }
        out.extend(group);
    }
    out.truncate(MAX_EVENTS);
    out.iter()
        .enumerate()
        .map(|(i, (label, fields))| {
            build_doc(fields, BASE_NANOS + i as i64 * NANOS_PER_SEC, label, rng)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Sequences and samples.

struct SeqShape<'q> {
    by: &'q [Field],
    stages: &'q [Stage],
    until: Option<&'q Stage>,
    maxspan: Option<u64>,
    sample: bool,
}

/// A join key's value: fixed by a constraint, or fresh per variant.
#[derive(Clone, Debug)]
enum KeyVal {
    Fixed(Value),
    Fresh {
        ty: FieldType,
        tag: u64,
        /// Which of a few shapes (so that one can avoid what the stages exclude).
        style: u64,
    },
}

impl KeyVal {
    fn value(&self, variant: usize, j: usize) -> Value {
        match self {
            KeyVal::Fixed(v) => v.clone(),
            KeyVal::Fresh { ty, tag, style } => {
                let (a, v, j) = (tag % 200 + 1, variant as u64 % 250 + 1, j as u64 % 250 + 1);
                match (ty, style) {
                    (FieldType::Number, 0) => Value::from(100_000 + a * 1_000 + v * 16 + j),
                    (FieldType::Number, _) => Value::from(7_000_000 + a * 10_000 + v * 64 + j),
                    (FieldType::Ip, 0) => Value::String(format!("45.{a}.{v}.{j}")),
                    (FieldType::Ip, 1) => Value::String(
                        Ipv6Addr::new(0x2a05, a as u16, 0, 0, 0, 0, v as u16, j as u16).to_string(),
                    ),
                    (FieldType::Ip, _) => Value::String(format!("10.{a}.{v}.{j}")),
                    (_, 0) => Value::String(format!("k{:04x}-{variant}-{j}", tag % 0x10000)),
                    (_, 1) => Value::String(format!("Key_{:x}_{variant}_{j}", tag % 0x1000)),
                    (_, _) => Value::String(format!("{}{variant}{j}", tag % 1000)),
                }
            }
        }
    }
}

/// One expanded stage: its query, its key fields, whether it is `![…]`.
struct Slot<'q> {
    query: &'q EventQuery,
    keys: Vec<&'q str>,
    /// Per key: `?field`, which may be null.
    optional: Vec<bool>,
    missing: bool,
}

fn sequence_witnesses(types: &FieldTypes, shape: &SeqShape<'_>, rng: &mut Rng) -> Vec<Value> {
    let mut slots: Vec<Slot<'_>> = Vec::new();
    for st in shape.stages {
        let runs = st.runs.map_or(1, |r| r.count).clamp(1, 63);
        for _ in 0..runs {
            if slots.len() >= 63 {
                break;
            }
            slots.push(Slot {
                query: &st.query,
                keys: shape
                    .by
                    .iter()
                    .chain(&st.by)
                    .map(|f| f.name.as_str())
                    .collect(),
                optional: shape.by.iter().chain(&st.by).map(|f| f.optional).collect(),
                missing: st.missing,
            });
        }
    }
    if slots.is_empty() {
        return Vec::new();
    }
    let until = shape.until.map(|u| Slot {
        query: &u.query,
        keys: shape
            .by
            .iter()
            .chain(&u.by)
            .map(|f| f.name.as_str())
            .collect(),
        optional: shape.by.iter().chain(&u.by).map(|f| f.optional).collect(),
        missing: false,
    });
    let conditions: Vec<&Expr> = slots
        .iter()
        .chain(until.as_ref())
        .map(|s| &s.query.condition)
        .collect();
    let env = Env::new(types, &conditions);
    let no_force = HashMap::new();

    // Join keys: the j-th key of every stage has the same value.
    let nkeys = slots.iter().map(|s| s.keys.len()).max().unwrap_or(0);
    let walks: Vec<Walk> = slots
        .iter()
        .map(|s| env.plans(s.query, &no_force, true, rng))
        .collect();
    let tag = rng.next();
    let mut keyvals: Vec<KeyVal> = Vec::new();
    for j in 0..nkeys {
        keyvals.push(key_value(&env, &slots, &walks, j, tag, rng));
    }
    let pins = |slot: &Slot<'_>, variant: usize| -> BTreeMap<String, Value> {
        slot.keys
            .iter()
            .zip(&keyvals)
            .enumerate()
            .map(|(j, (name, kv))| (name.to_string(), kv.value(variant, j)))
            .collect()
    };
    let solve_all = |rng: &mut Rng| -> Vec<Solved> {
        slots
            .iter()
            .map(|s| env.solve(s.query, &pins(s, 0), &no_force, rng).0)
            .collect()
    };
    let main = solve_all(rng);
    let alt = solve_all(rng);
    let until_solved = until
        .as_ref()
        .map(|u| env.solve(u.query, &pins(u, 0), &no_force, rng).0);

    // Timing.
    let n = slots.len() as u64;
    let step: i64 = match shape.maxspan {
        Some(m) => (m / (2 * n + 2)).clamp(1, NANOS_PER_SEC as u64) as i64,
        None => NANOS_PER_SEC,
    };
    let maxspan = shape
        .maxspan
        .map(|m| m.min(40 * 86_400 * NANOS_PER_SEC as u64) as i64);
    let gap = 3_600 * NANOS_PER_SEC + 3 * maxspan.unwrap_or(0);

    // Variants: (label, events as (offset, fields)).
    type Events = Vec<(i64, BTreeMap<String, Value>)>;
    let rekey = |fields: &BTreeMap<String, Value>, slot: &Slot<'_>, variant: usize| {
        let mut f = fields.clone();
        f.extend(pins(slot, variant));
        f
    };
    let in_order = |sol: &[Solved], variant: usize, with_missing: bool| -> Events {
        slots
            .iter()
            .zip(sol)
            .enumerate()
            .filter(|(_, (slot, _))| with_missing || !slot.missing)
            .map(|(i, (slot, s))| (i as i64 * step, rekey(&s.fields, slot, variant)))
            .collect()
    };
    let mut variants: Vec<(String, Events)> = Vec::new();
    let mut v = 0usize;
    let mut next_variant = || {
        v += 1;
        v - 1
    };
    variants.push(("match".to_string(), in_order(&main, next_variant(), false)));
    let differs = alt.iter().zip(&main).any(|(a, b)| a.fields != b.fields);
    if differs && alt.iter().all(|s| s.ok) {
        variants.push((
            "match-alt".to_string(),
            in_order(&alt, next_variant(), false),
        ));
    }
    let present: Vec<usize> = (0..slots.len()).filter(|&i| !slots[i].missing).collect();
    if let (Some(m), Some(&last)) = (maxspan, present.last()) {
        if present.len() > 1 {
            for (label, extra) in [("late", step.max(1_000_000)), ("maxspan-edge", 0)] {
                let mut evs = in_order(&main, next_variant(), false);
                let first_t = evs.first().map_or(0, |e| e.0);
                if let Some(e) = evs.iter_mut().find(|e| e.0 == last as i64 * step) {
                    e.0 = first_t.saturating_add(m).saturating_add(extra);
                }
                variants.push((label.to_string(), evs));
            }
        }
    }
    if present.len() > 1 {
        let mut evs = in_order(&main, next_variant(), false);
        let total = (slots.len() as i64 - 1) * step;
        for e in &mut evs {
            e.0 = total - e.0;
        }
        variants.push(("swapped".to_string(), evs));
    }
    if slots.iter().any(|s| s.missing) {
        variants.push((
            "missing-present".to_string(),
            in_order(&main, next_variant(), true),
        ));
    }
    if let (Some(u), Some(us)) = (until.as_ref(), until_solved.as_ref()) {
        let variant = next_variant();
        let mut evs = in_order(&main, variant, false);
        evs.push((step / 2, rekey(&us.fields, u, variant)));
        variants.push(("until".to_string(), evs));
    }
    if keyvals.iter().any(|k| matches!(k, KeyVal::Fresh { .. })) && present.len() > 1 {
        let variant = next_variant();
        let other = next_variant();
        let mut evs = in_order(&main, variant, false);
        if let (Some(e), Some(&last)) = (evs.last_mut(), present.last()) {
            e.1 = rekey(&main[last].fields, &slots[last], other);
        }
        variants.push(("key-mismatch".to_string(), evs));
    }

    // Emit while the budget lasts (the first variant always).
    let budget = MAX_EVENTS.max(variants.first().map_or(0, |v| v.1.len()));
    let mut out = Vec::new();
    let mut base = BASE_NANOS;
    for (k, (label, mut evs)) in variants.into_iter().enumerate() {
        if k > 0 && out.len() + evs.len() > budget {
            continue;
        }
        evs.sort_by_key(|e| e.0);
        let stage_label = if shape.sample { "sample" } else { "sequence" };
        for (t, fields) in &evs {
            out.push(build_doc(
                fields,
                base.saturating_add(*t),
                &format!("{stage_label} {label}"),
                rng,
            ));
        }
        base = base.saturating_add(gap);
    }
    out
}

/// The value of the `j`-th join key: one meeting the stages' constraints on their `j`-th key
/// field when there are any, else fresh per variant (or the same in every variant when a
/// stage relates the key to another field, which is then derived from it).
fn key_value(
    env: &Env<'_>,
    slots: &[Slot<'_>],
    walks: &[Walk],
    j: usize,
    tag: u64,
    rng: &mut Rng,
) -> KeyVal {
    let fields: Vec<(&str, Option<&Plan>)> = slots
        .iter()
        .zip(walks)
        .filter_map(|(s, w)| s.keys.get(j).map(|&name| (name, w.plans.get(name))))
        .collect();
    let related = slots.iter().zip(walks).any(|(s, w)| {
        s.keys.get(j).is_some_and(|name| {
            w.others
                .iter()
                .any(|(_, _, names)| names.iter().any(|n| n == name))
        })
    });
    // `?x == null` in a stage keyed by `?x`: a null key in every stage (JSON `null`).
    let optional = slots.iter().all(|s| s.optional.get(j).is_none_or(|&o| o));
    if optional && fields.iter().any(|(_, p)| p.is_some_and(|p| p.absent)) {
        return KeyVal::Fixed(Value::Null);
    }
    let gens: Vec<(&str, &Gen)> = fields
        .iter()
        .filter_map(|(name, p)| p.map(|p| (*name, p)))
        .flat_map(|(name, p)| {
            p.wants
                .iter()
                .filter(|c| c.check.is_some())
                .map(move |c| (name, &c.gen))
        })
        .collect();
    let ty = if fields.iter().any(|(n, _)| env.ty(n) == FieldType::Ip) {
        FieldType::Ip
    } else if fields.iter().any(|(n, _)| env.ty(n) == FieldType::Number) {
        FieldType::Number
    } else {
        FieldType::Keyword
    };
    let score = |v: &Value| -> usize {
        fields
            .iter()
            .filter_map(|(name, p)| p.map(|p| (*name, p)))
            .map(|(name, p)| {
                p.wants
                    .iter()
                    .chain(&p.avoids)
                    .filter(|c| env.holds(name, c, v))
                    .count()
            })
            .sum()
    };
    let full: usize = fields
        .iter()
        .filter_map(|(_, p)| p.map(|p| p.wants.len() + p.avoids.len()))
        .sum();
    if gens.is_empty() {
        // Fresh values, in a shape the stages do not exclude.
        let fresh = |style| KeyVal::Fresh {
            ty: ty.clone(),
            tag,
            style,
        };
        let kv = (0..3)
            .map(fresh)
            .find(|k| score(&k.value(0, j)) == full)
            .unwrap_or_else(|| fresh(0));
        return if related {
            KeyVal::Fixed(kv.value(0, j))
        } else {
            kv
        };
    }
    let mut best: Option<(usize, Value)> = None;
    for t in 0..48 {
        let (name, gen) = gens[t % gens.len()];
        let Some(v) = gen_value(gen, &env.ty(name), name, 0, rng) else {
            continue;
        };
        let v = match v {
            Value::Array(mut xs) if !xs.is_empty() => xs.swap_remove(0),
            other => other,
        };
        let s = score(&v);
        if best.as_ref().is_none_or(|b| s > b.0) {
            best = Some((s, v));
        }
        if s == full {
            break;
        }
    }
    match best {
        Some((_, v)) => KeyVal::Fixed(v),
        None => KeyVal::Fresh { ty, tag, style: 0 },
    }
}

// ---------------------------------------------------------------------------------------------
// Lucene regular expressions, instantiated.

/// A parsed regular expression (the subset the interpreter translates).
#[derive(Clone, Debug)]
enum Rx {
    Alt(Vec<Rx>),
    Cat(Vec<Rx>),
    Rep(Box<Rx>, u32, u32),
    Lit(char),
    Any,
    /// A bracket class (or `\d`…): its members, negated.
    Class(Vec<ClassItem>, bool),
}

/// A member of a class: a range, or everything outside some ranges (`\D` inside brackets).
#[derive(Clone, Debug)]
enum ClassItem {
    Range(char, char),
    NotIn(Vec<(char, char)>),
}

impl ClassItem {
    fn contains(&self, c: char) -> bool {
        let within = |rs: &[(char, char)]| rs.iter().any(|&(a, b)| a <= c && c <= b);
        match self {
            ClassItem::Range(a, b) => within(&[(*a, *b)]),
            ClassItem::NotIn(rs) => !within(rs),
        }
    }
}

/// Lucene 9's predefined classes `\d \D \s \S \w \W`: ranges, and whether negated.
fn predefined_class(c: char) -> Option<(Vec<(char, char)>, bool)> {
    let digits = vec![('0', '9')];
    let space = vec![(' ', ' '), ('\t', '\r')];
    let word = vec![('a', 'z'), ('A', 'Z'), ('_', '_'), ('0', '9')];
    Some(match c {
        'd' => (digits, false),
        'D' => (digits, true),
        's' => (space, false),
        'S' => (space, true),
        'w' => (word, false),
        'W' => (word, true),
        _ => return None,
    })
}

/// Characters tried for negated classes.
const RX_OTHERS: [char; 11] = ['x', 'a', 'Z', '0', '_', 'q', 'm', '.', '/', ' ', '-'];

fn rx_parse(p: &str) -> Option<Rx> {
    let chars: Vec<char> = p.chars().collect();
    let mut parser = RxParser {
        c: &chars,
        i: 0,
        depth: 0,
    };
    let rx = parser.alt()?;
    (parser.i == chars.len()).then_some(rx)
}

struct RxParser<'a> {
    c: &'a [char],
    i: usize,
    depth: usize,
}

impl RxParser<'_> {
    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn alt(&mut self) -> Option<Rx> {
        let mut alts = vec![self.cat()?];
        while self.peek() == Some('|') {
            self.i += 1;
            alts.push(self.cat()?);
        }
        Some(if alts.len() == 1 {
            alts.remove(0)
        } else {
            Rx::Alt(alts)
        })
    }

    fn cat(&mut self) -> Option<Rx> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let mut atom = self.atom()?;
            while let Some(c) = self.peek() {
                let (lo, hi) = match c {
                    '*' => (0, 2),
                    '+' => (1, 2),
                    '?' => (0, 1),
                    '{' => {
                        let close = self.c[self.i..].iter().position(|&x| x == '}')?;
                        let body: String = self.c[self.i + 1..self.i + close].iter().collect();
                        self.i += close;
                        let (a, b) = match body.split_once(',') {
                            Some((a, "")) => {
                                let a: u32 = a.parse().ok()?;
                                (a, a.saturating_add(2))
                            }
                            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                            None => {
                                let a: u32 = body.parse().ok()?;
                                (a, a)
                            }
                        };
                        if a > b || b > 10_000 {
                            return None;
                        }
                        (a, b.min(a.saturating_add(2)))
                    }
                    _ => break,
                };
                self.i += 1;
                atom = Rx::Rep(Box::new(atom), lo, hi);
            }
            items.push(atom);
        }
        Some(Rx::Cat(items))
    }

    fn atom(&mut self) -> Option<Rx> {
        let c = self.peek()?;
        self.i += 1;
        match c {
            '(' => {
                self.depth += 1;
                if self.depth > 64 {
                    return None;
                }
                let inner = self.alt()?;
                if self.peek() != Some(')') {
                    return None;
                }
                self.i += 1;
                self.depth -= 1;
                Some(inner)
            }
            '[' => self.class(),
            '.' => Some(Rx::Any),
            '\\' => {
                let e = self.peek()?;
                self.i += 1;
                Some(match predefined_class(e) {
                    Some((ranges, negated)) => Rx::Class(
                        ranges
                            .into_iter()
                            .map(|(a, b)| ClassItem::Range(a, b))
                            .collect(),
                        negated,
                    ),
                    None => Rx::Lit(e),
                })
            }
            '"' => {
                let close = self.c[self.i..].iter().position(|&x| x == '"')?;
                let lits = self.c[self.i..self.i + close]
                    .iter()
                    .map(|&x| Rx::Lit(x))
                    .collect();
                self.i += close + 1;
                Some(Rx::Cat(lits))
            }
            '~' | '&' | '<' | '>' | '@' | '#' | '*' | '+' | '?' | '{' => None,
            c => Some(Rx::Lit(c)),
        }
    }

    fn class(&mut self) -> Option<Rx> {
        let negated = self.peek() == Some('^');
        if negated {
            self.i += 1;
        }
        let mut items = Vec::new();
        loop {
            let mut c = self.peek()?;
            self.i += 1;
            if c == ']' && !items.is_empty() {
                break;
            }
            if c == '\\' {
                c = self.peek()?;
                self.i += 1;
                if let Some((ranges, negated)) = predefined_class(c) {
                    if negated {
                        items.push(ClassItem::NotIn(ranges));
                    } else {
                        items.extend(ranges.into_iter().map(|(a, b)| ClassItem::Range(a, b)));
                    }
                    continue;
                }
            }
            if self.peek() == Some('-') && self.c.get(self.i + 1).is_some_and(|&x| x != ']') {
                self.i += 1;
                let mut d = self.peek()?;
                self.i += 1;
                if d == '\\' {
                    d = self.peek()?;
                    self.i += 1;
                }
                items.push(ClassItem::Range(c, d));
            } else {
                items.push(ClassItem::Range(c, c));
            }
        }
        Some(Rx::Class(items, negated))
    }
}

fn rx_generate(rx: &Rx, rng: &mut Rng) -> String {
    let mut out = String::new();
    rx_emit(rx, rng, &mut out);
    out
}

fn rx_emit(rx: &Rx, rng: &mut Rng, out: &mut String) {
    match rx {
        Rx::Alt(xs) => {
            if let Some(x) = rng.pick(xs) {
                rx_emit(x, rng, out);
            }
        }
        Rx::Cat(xs) => xs.iter().for_each(|x| rx_emit(x, rng, out)),
        Rx::Rep(x, lo, hi) => {
            let n = lo + rng.below((hi - lo + 1) as usize) as u32;
            for _ in 0..n {
                rx_emit(x, rng, out);
            }
        }
        Rx::Lit(c) => out.push(*c),
        Rx::Any => out.push(['x', 'a', '0'][rng.below(3)]),
        Rx::Class(items, false) => match rng.pick(items) {
            Some(ClassItem::Range(a, b)) => {
                let (a, b) = (*a as u32, *b as u32);
                let c = if a < b {
                    a + rng.below((b - a + 1).min(26) as usize) as u32
                } else {
                    a
                };
                out.push(char::from_u32(c).unwrap_or('x'));
            }
            Some(item) => {
                let ok: Vec<char> = RX_OTHERS
                    .into_iter()
                    .filter(|&c| item.contains(c))
                    .collect();
                out.push(rng.pick(&ok).copied().unwrap_or('\u{e000}'));
            }
            None => {}
        },
        Rx::Class(items, true) => {
            let ok: Vec<char> = RX_OTHERS
                .into_iter()
                .filter(|&c| !items.iter().any(|i| i.contains(c)))
                .collect();
            out.push(rng.pick(&ok).copied().unwrap_or('\u{e000}'));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Interpreted;

    /// Bit mask of the expanded stages some witness matches, and the mask of all stages.
    fn coverage(text: &str, seed: u64) -> (u64, u64) {
        let rule = Interpreted::from_query(text).unwrap();
        let n = match rule.shape() {
            eql_runtime::rule::Shape::Sequence(s) => s.stages.len(),
            _ => 1,
        };
        let all = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        let events = witnesses_for(text, seed).unwrap();
        assert!(
            !events.is_empty() && events.len() <= MAX_EVENTS.max(n),
            "{text}"
        );
        let got = events.iter().fold(0, |m, e| m | rule.eval(e)) & all;
        (got, all)
    }

    #[test]
    fn small_queries_match_every_stage() {
        let queries = [
            r#"process where process.name : ("cmd.exe", "power*.exe", "?sh") and process.args : "-enc*""#,
            r#"process where process.name : "a*" and not process.name : "ab*" and not process.parent.name in ("explorer.exe", "svchost.exe")"#,
            r#"sequence by host.id with maxspan=1s [process where process.name == "curl"] [network where destination.port == 443 and process.name like "curl"]"#,
            r#"network where cidrMatch(destination.ip, "10.0.0.0/8", "192.168.0.0/16") and not cidrMatch(source.ip, "127.0.0.0/8")"#,
            r#"file where file.extension in~ ("EXE", "dll") and file.path != null and ?file.size > 100"#,
            r#"process where length(process.command_line) > 20 and startsWith~(process.name, "Py") and process.command_line : "*http*""#,
            r#"registry where registry.data.strings regex~ """C:\\Program Files( \(x86\))?\\[a-z]+\.exe""""#,
            r#"sequence [file where file.path : "/tmp/*"] by file.path [process where true] by process.executable"#,
            r#"sequence by user.id with maxspan=5m [authentication where event.outcome == "failure"] with runs=3 [authentication where event.outcome == "success"] until [process where process.name == "logout"]"#,
            r#"sequence by host.id with maxspan=1h [process where process.name == "a"] ![process where process.name == "b"] [process where process.name == "c"]"#,
            r#"sample by host.id [process where process.name == "a"] [network where destination.port > 1000]"#,
            r#"any where event.action : "*delete*" and user.name != "root""#,
        ];
        for q in queries {
            for seed in 0..4 {
                let (got, all) = coverage(q, seed);
                assert_eq!(got, all, "seed {seed}: {q}\n{:#?}", witnesses_for(q, seed));
            }
        }
    }

    #[test]
    fn deterministic_and_shaped() {
        let q = r#"sequence by host.id with maxspan=1s [process where process.name : "x*"] [file where file.path : "/etc/*"]"#;
        let a = witnesses_for(q, 7).unwrap();
        assert_eq!(a, witnesses_for(q, 7).unwrap());
        assert_ne!(a, witnesses_for(q, 8).unwrap());
        for e in &a {
            let ts = e["@timestamp"].as_str().unwrap();
            assert_eq!(ts.len(), "2024-10-18T12:00:00.000000000Z".len(), "{ts}");
            let cats = field::values_or(e, CATEGORY, None);
            assert!(!cats.is_empty(), "{e}");
        }
        let times: Vec<&str> = a
            .iter()
            .map(|e| e["@timestamp"].as_str().unwrap())
            .collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted);
        assert!(a.iter().any(|e| e["witness"] == "sequence swapped"));
        // Stages of one variant share their key; variants do not.
        let key = |label: &str| -> Vec<String> {
            a.iter()
                .filter(|e| e["witness"] == label)
                .map(|e| field::values_or(e, "host.id", None)[0].to_string())
                .collect()
        };
        let (m, late) = (key("sequence match"), key("sequence late"));
        assert_eq!((m.len(), late.len()), (2, 2));
        assert!(m[0] == m[1] && late[0] == late[1] && m[0] != late[0]);
        // The late variant puts its last stage beyond maxspan.
        let nanos = |label: &str| -> Vec<i64> {
            a.iter()
                .filter(|e| e["witness"] == label)
                .map(|e| value::parse_instant(&e["@timestamp"]).unwrap())
                .collect()
        };
        let late = nanos("sequence late");
        assert!(late[1] - late[0] > NANOS_PER_SEC);
        let m = nanos("sequence match");
        assert!(m[1] > m[0] && m[1] - m[0] < NANOS_PER_SEC);

        // A case-sensitive `==` does not match the case mutant; `:` does.
        for (q, expect) in [
            (r#"process where process.name == "curl""#, 0),
            (r#"process where process.name : "curl""#, 1),
        ] {
            let rule = Interpreted::from_query(q).unwrap();
            let events = witnesses_for(q, 3).unwrap();
            let case = events
                .iter()
                .find(|e| e["witness"] == "case process.name")
                .unwrap();
            assert_eq!(rule.eval(case), expect, "{q}: {case}");
            let removed = events
                .iter()
                .find(|e| e["witness"] == "remove process.name")
                .unwrap();
            assert_eq!(rule.eval(removed), 0, "{q}: {removed}");
        }
    }

    #[test]
    fn conflicting_paths_become_dotted_keys() {
        let mut f = BTreeMap::new();
        f.insert("a.b".to_string(), Value::from("x"));
        f.insert("a.b.c".to_string(), Value::from("y"));
        f.insert("a.bc".to_string(), Value::from("z"));
        for seed in 0..16 {
            let d = build_doc(&f, BASE_NANOS, "t", &mut Rng::new(seed));
            for (k, v) in &f {
                let got: Vec<_> = field::values_or(&d, k, None);
                assert_eq!(got, vec![v], "{k} in {d}");
            }
        }
    }

    #[test]
    fn regex_generator() {
        // Patterns the interpreter does not translate are skipped.
        let re = |p: &str| {
            let t = crate::regex::translate(p, false).ok()?;
            regex::Regex::new(&t).ok()
        };
        for p in [
            r".*[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}.*",
            r"-[A-NP-Za-np-z][A-Za-z]*[RLDwW][A-Za-z]*",
            r"(azure|sharp|blood)(hound)/.*",
            r"[^-]+x\-[a-c]{2,}",
            r"a\sb\d{2}[\d\W]+\S+\w[^\s]",
        ] {
            let rx = rx_parse(p).unwrap();
            let Some(r) = re(p) else {
                continue;
            };
            for seed in 0..20 {
                let s = rx_generate(&rx, &mut Rng::new(seed));
                assert!(r.is_match(&s), "{p}: {s}");
            }
        }
    }

    #[test]
    fn elastic_rules_coverage() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/elastic-eql-rules.jsonl"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            println!("skipped: {path} not found");
            return;
        };
        let (mut rules, mut covered, mut fired, mut panics, mut rejected) = (0, 0, 0, 0, 0);
        let mut missed = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let rec: Value = serde_json::from_str(line).unwrap();
            let q = rec["query"].as_str().unwrap_or_default();
            let Ok(rule) = Interpreted::from_query(q) else {
                rejected += 1;
                if let Ok(ast) = eql_syntax::parse(q) {
                    if std::panic::catch_unwind(|| witnesses(&ast, 1)).is_err() {
                        panics += 1;
                    }
                }
                continue;
            };
            rules += 1;
            let n = match rule.shape() {
                eql_runtime::rule::Shape::Sequence(s) => s.stages.len(),
                _ => 1,
            };
            let all = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
            let result = std::panic::catch_unwind(|| witnesses_for(q, 1));
            let Ok(Ok(events)) = result else {
                panics += 1;
                continue;
            };
            assert!(events.len() <= MAX_EVENTS.max(n));
            let got = events.iter().fold(0, |m, e| m | rule.eval(e)) & all;
            let lines: Vec<String> = events.iter().map(Value::to_string).collect();
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let results = crate::run_batch(&rule, &lines, &Default::default());
            if results.is_ok_and(|r| !r.is_empty()) {
                fired += 1;
            }
            if got == all {
                covered += 1;
            } else {
                missed.push(rec["name"].as_str().unwrap_or(q).to_string());
            }
        }
        println!(
            "witness coverage: {covered}/{rules} rules have every stage matched ({:.1}%)",
            100.0 * covered as f64 / rules.max(1) as f64
        );
        println!("witness coverage: {fired}/{rules} rules have a result over their witnesses");
        println!("witness coverage: {rejected} rules rejected by the interpreter, not counted");
        for m in missed.iter().take(200) {
            println!("  not covered: {m}");
        }
        assert_eq!(panics, 0);
        assert!(rules >= 1000, "only {rules} rules loaded");
        // Measured: every rule the interpreter loads (1024/1024), for stages and for results.
        assert!(
            covered * 100 >= rules * 98,
            "stage coverage {covered}/{rules}"
        );
        assert!(
            fired * 100 >= rules * 95,
            "rules with a result {fired}/{rules}"
        );
    }
}
