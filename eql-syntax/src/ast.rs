//! The abstract syntax tree of an EQL query.
//!
//! Every node carries the byte [`Span`] of the source text it came from, so that later passes
//! (checks, the compiler, `explain`) can point back at the rule. The tree is the *meaning* of the
//! query: precedence is resolved (`not` > `and` > `or`), chains of the same boolean operator are
//! flattened into one n-ary node (all three are associative), and `with runs=N` is kept as written
//! (the compiler expands it).

use crate::span::Span;

pub use eql_ir::{ArithOp, CmpOp, Func};

/// A whole query: an event query, a sequence or a sample, followed by pipes.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// What the query selects.
    pub body: QueryBody,
    /// `| head N` / `| tail N`, in order.
    pub pipes: Vec<Pipe>,
    /// The whole query.
    pub span: Span,
}

/// The three kinds of EQL query.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryBody {
    /// `process where …`
    Event(EventQuery),
    /// `sequence [by …] [with maxspan=…] [stage]+ [until [stage]]`
    Sequence(Sequence),
    /// `sample by … [stage]+`
    Sample(Sample),
}

/// `category where condition`.
#[derive(Clone, Debug, PartialEq)]
pub struct EventQuery {
    /// The event category, or `any`.
    pub category: Category,
    /// The condition after `where`.
    pub condition: Expr,
    /// From the category to the end of the condition.
    pub span: Span,
}

/// The category of an event query.
#[derive(Clone, Debug, PartialEq)]
pub struct Category {
    /// `any` or a named category.
    pub kind: CategoryKind,
    /// The category token.
    pub span: Span,
}

/// `any` matches every event; a name matches events whose category field contains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CategoryKind {
    /// `any where …`: no category filter.
    Any,
    /// `process where …` or `"my-category" where …`.
    Named(String),
}

/// A `sequence`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// `sequence by k1, k2`: keys shared by every stage (and `until`).
    pub by: Vec<Field>,
    /// `with maxspan=N<unit>`.
    pub maxspan: Option<TimeSpan>,
    /// The stages, in order (missing-event stages included).
    pub stages: Vec<Stage>,
    /// `until [stage]`.
    pub until: Option<Stage>,
    /// The whole sequence.
    pub span: Span,
}

/// A `sample`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// `sample by k1, k2`.
    pub by: Vec<Field>,
    /// The stages (unordered).
    pub stages: Vec<Stage>,
    /// The whole sample.
    pub span: Span,
}

/// One bracketed stage of a sequence or sample: `[query] by k with runs=N`, or `![query]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// The event query inside the brackets.
    pub query: EventQuery,
    /// Stage-specific join keys (appended after the sequence-level keys).
    pub by: Vec<Field>,
    /// `with runs=N`.
    pub runs: Option<Runs>,
    /// `![…]`: a missing-event stage.
    pub missing: bool,
    /// From `[` (or `![`) to the end of the stage's modifiers.
    pub span: Span,
}

/// `with runs=N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Runs {
    /// N.
    pub count: u64,
    /// The `runs=N` text.
    pub span: Span,
}

/// `maxspan=N<unit>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeSpan {
    /// N.
    pub value: u64,
    /// The unit.
    pub unit: TimeUnit,
    /// The `N<unit>` text.
    pub span: Span,
}

impl TimeSpan {
    /// The span in nanoseconds, saturating.
    pub fn nanos(&self) -> u64 {
        self.value.saturating_mul(self.unit.nanos())
    }
}

/// The units `maxspan` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    /// `ms`
    Millis,
    /// `s`
    Seconds,
    /// `m`
    Minutes,
    /// `h`
    Hours,
    /// `d`
    Days,
}

impl TimeUnit {
    /// Nanoseconds in one unit.
    pub fn nanos(self) -> u64 {
        match self {
            TimeUnit::Millis => 1_000_000,
            TimeUnit::Seconds => 1_000_000_000,
            TimeUnit::Minutes => 60 * 1_000_000_000,
            TimeUnit::Hours => 3_600 * 1_000_000_000,
            TimeUnit::Days => 86_400 * 1_000_000_000,
        }
    }

    /// The unit as written in EQL.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Millis => "ms",
            TimeUnit::Seconds => "s",
            TimeUnit::Minutes => "m",
            TimeUnit::Hours => "h",
            TimeUnit::Days => "d",
        }
    }
}

/// `| head N` or `| tail N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pipe {
    /// head or tail.
    pub kind: PipeKind,
    /// N.
    pub count: u64,
    /// From `|` to N.
    pub span: Span,
}

/// The pipes Elasticsearch supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipeKind {
    /// The first N results.
    Head,
    /// The last N results.
    Tail,
}

/// A field reference: `process.name`, `?process.name`, `` `weird field` ``.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The full dotted path, unquoted (`process.parent.name`).
    pub name: String,
    /// `?field`: optional (null when absent, and a null join key is allowed).
    pub optional: bool,
    /// The field token, including `?` and backquotes.
    pub span: Span,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Its source text.
    pub span: Span,
}

/// Expression kinds. Boolean chains are n-ary; everything else is as written.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A constant.
    Literal(Literal),
    /// A field reference.
    Field(Field),
    /// `not e`
    Not(Box<Expr>),
    /// `a and b and …` (two or more operands, in source order).
    And(Vec<Expr>),
    /// `a or b or …` (two or more operands, in source order).
    Or(Vec<Expr>),
    /// `a == b`, `a != b`, `a < b`, …
    Compare {
        /// The operator.
        op: CmpOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `a : p`, `a like p`, `a like~ (p, q)`, `a regex p`, `a regex~ (p, q)`.
    Match {
        /// The operator.
        op: MatchOp,
        /// What is matched.
        operand: Box<Expr>,
        /// One or more patterns (a parenthesised list or a single value).
        patterns: Vec<Expr>,
    },
    /// `a in (…)`, `a in~ (…)`, `a not in (…)`, `a not in~ (…)`.
    In {
        /// `not in`.
        negated: bool,
        /// `in~`.
        insensitive: bool,
        /// What is looked up.
        operand: Box<Expr>,
        /// The list.
        list: Vec<Expr>,
    },
    /// `a + b`, `a - b`, `a * b`, `a / b`, `a % b`.
    Arith {
        /// The operator.
        op: ArithOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `-a`
    Neg(Box<Expr>),
    /// `name(args…)` or `name~(args…)`.
    Call {
        /// The function name as written (`startsWith`).
        name: String,
        /// The function it names (`None`: no such function; the checks reject the query).
        func: Option<Func>,
        /// `name~(…)`.
        insensitive: bool,
        /// The arguments.
        args: Vec<Expr>,
        /// The name token (with `~`).
        name_span: Span,
    },
}

/// Pattern-matching operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `:`: case-insensitive, wildcards.
    Colon,
    /// `like`: case-sensitive, wildcards.
    Like,
    /// `like~`: case-insensitive, wildcards.
    LikeInsensitive,
    /// `regex`: case-sensitive, Lucene regular expression over the whole value.
    Regex,
    /// `regex~`: case-insensitive regular expression.
    RegexInsensitive,
}

impl MatchOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Colon => ":",
            MatchOp::Like => "like",
            MatchOp::LikeInsensitive => "like~",
            MatchOp::Regex => "regex",
            MatchOp::RegexInsensitive => "regex~",
        }
    }

    /// Whether the operator ignores case.
    pub fn is_insensitive(self) -> bool {
        matches!(
            self,
            MatchOp::Colon | MatchOp::LikeInsensitive | MatchOp::RegexInsensitive
        )
    }

    /// Whether the patterns are regular expressions (otherwise `*`/`?` wildcards).
    pub fn is_regex(self) -> bool {
        matches!(self, MatchOp::Regex | MatchOp::RegexInsensitive)
    }
}

/// Constants.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// A decimal (or an integer too large for `i64`).
    Float(f64),
    /// A string, escapes decoded.
    String(String),
}

// ---------------------------------------------------------------------------------------------
// Span-free comparison: two trees mean the same query when they are equal after zeroing spans.

impl Query {
    /// A copy with every span set to `0..0`, to compare trees by meaning only
    /// (`a.without_spans() == b.without_spans()`).
    pub fn without_spans(&self) -> Query {
        let mut q = self.clone();
        q.clear_spans();
        q
    }

    /// Sets every span of the tree to `0..0`.
    pub fn clear_spans(&mut self) {
        self.span = Span::default();
        for p in &mut self.pipes {
            p.span = Span::default();
        }
        match &mut self.body {
            QueryBody::Event(e) => e.clear_spans(),
            QueryBody::Sequence(s) => {
                s.span = Span::default();
                s.by.iter_mut().for_each(Field::clear_spans);
                if let Some(m) = &mut s.maxspan {
                    m.span = Span::default();
                }
                s.stages.iter_mut().for_each(Stage::clear_spans);
                if let Some(u) = &mut s.until {
                    u.clear_spans();
                }
            }
            QueryBody::Sample(s) => {
                s.span = Span::default();
                s.by.iter_mut().for_each(Field::clear_spans);
                s.stages.iter_mut().for_each(Stage::clear_spans);
            }
        }
    }
}

impl Stage {
    /// Sets every span of the stage to `0..0`.
    pub fn clear_spans(&mut self) {
        self.span = Span::default();
        self.query.clear_spans();
        self.by.iter_mut().for_each(Field::clear_spans);
        if let Some(r) = &mut self.runs {
            r.span = Span::default();
        }
    }
}

impl EventQuery {
    /// Sets every span of the event query to `0..0`.
    pub fn clear_spans(&mut self) {
        self.span = Span::default();
        self.category.span = Span::default();
        self.condition.clear_spans();
    }
}

impl Field {
    /// Sets the span to `0..0`.
    pub fn clear_spans(&mut self) {
        self.span = Span::default();
    }
}

impl Expr {
    /// The field, when the expression is a bare field.
    pub fn field(&self) -> Option<&Field> {
        match &self.kind {
            ExprKind::Field(f) => Some(f),
            _ => None,
        }
    }

    /// The direct subexpressions, in source order (left before right, the operand before its
    /// patterns or list).
    pub fn children(&self) -> impl Iterator<Item = &Expr> {
        let (heads, rest): ([Option<&Expr>; 2], &[Expr]) = match &self.kind {
            ExprKind::Literal(_) | ExprKind::Field(_) => ([None, None], &[]),
            ExprKind::Not(x) | ExprKind::Neg(x) => ([Some(x), None], &[]),
            ExprKind::And(xs) | ExprKind::Or(xs) => ([None, None], xs),
            ExprKind::Compare { left, right, .. } | ExprKind::Arith { left, right, .. } => {
                ([Some(left), Some(right)], &[])
            }
            ExprKind::Match {
                operand, patterns, ..
            } => ([Some(operand), None], patterns),
            ExprKind::In { operand, list, .. } => ([Some(operand), None], list),
            ExprKind::Call { args, .. } => ([None, None], args),
        };
        heads.into_iter().flatten().chain(rest)
    }

    /// Whether the expression mentions a field for which `which` holds.
    pub fn mentions(&self, which: &dyn Fn(&Field) -> bool) -> bool {
        match &self.kind {
            ExprKind::Field(f) => which(f),
            _ => self.children().any(|x| x.mentions(which)),
        }
    }

    /// Whether the expression mentions any field.
    pub fn has_field(&self) -> bool {
        self.mentions(&|_| true)
    }

    /// Whether Elasticsearch evaluates this condition as a script rather than as a query:
    /// anything but a bare field compared with constants (`x == v`, `x : p`, `x in (…)`), and
    /// `cidrMatch` of a bare field with constant blocks (a terms query). The two differ on
    /// missing fields: a query's `not` is a `must_not` (true when the field is missing), a
    /// script's `null` never matches.
    pub fn is_script(&self) -> bool {
        let bare = |x: &Expr| x.field().is_some();
        match &self.kind {
            ExprKind::Not(x) => x.is_script(),
            ExprKind::And(_) | ExprKind::Or(_) | ExprKind::Literal(_) | ExprKind::Field(_) => false,
            ExprKind::Compare { left, right, .. } => {
                let field_const =
                    (bare(left) && !right.has_field()) || (bare(right) && !left.has_field());
                !field_const
            }
            ExprKind::Match { operand, .. } | ExprKind::In { operand, .. } => !bare(operand),
            ExprKind::Call { func, args, .. } => {
                let terms_query = *func == Some(Func::CidrMatch)
                    && args.first().is_some_and(bare)
                    && args[1..]
                        .iter()
                        .all(|b| matches!(b.kind, ExprKind::Literal(Literal::String(_))));
                !terms_query
            }
            ExprKind::Arith { .. } | ExprKind::Neg(_) => true,
        }
    }

    /// A copy with every span set to `0..0`.
    pub fn without_spans(&self) -> Expr {
        let mut e = self.clone();
        e.clear_spans();
        e
    }

    /// Sets every span of the expression to `0..0`.
    pub fn clear_spans(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            ExprKind::Literal(_) => {}
            ExprKind::Field(f) => f.clear_spans(),
            ExprKind::Not(x) | ExprKind::Neg(x) => x.clear_spans(),
            ExprKind::And(xs) | ExprKind::Or(xs) => xs.iter_mut().for_each(Expr::clear_spans),
            ExprKind::Compare { left, right, .. } | ExprKind::Arith { left, right, .. } => {
                left.clear_spans();
                right.clear_spans();
            }
            ExprKind::Match {
                operand, patterns, ..
            } => {
                operand.clear_spans();
                patterns.iter_mut().for_each(Expr::clear_spans);
            }
            ExprKind::In { operand, list, .. } => {
                operand.clear_spans();
                list.iter_mut().for_each(Expr::clear_spans);
            }
            ExprKind::Call {
                args, name_span, ..
            } => {
                *name_span = Span::default();
                args.iter_mut().for_each(Expr::clear_spans);
            }
        }
    }
}
