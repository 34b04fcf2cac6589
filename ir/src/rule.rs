//! The lowered rule: per stage a predicate tree over field indexes, with matcher leaves (which
//! codegen turns into `static`s and the evaluator builds at load time).

use std::net::IpAddr;

use crate::field::FieldType;
use crate::func::Func;
use crate::op::{ArithOp, CmpOp};

/// Index of a field in [`Rule::fields`] (the generated `FieldId`).
pub type FieldIx = usize;

/// A rule, lowered.
#[derive(Debug)]
pub struct Rule {
    /// Field 0 is the timestamp, field 1 the category field, then every field read, sorted.
    pub fields: Vec<FieldInfo>,
    /// Matchers shared by the stage functions, in creation order.
    pub matchers: Vec<Matcher>,
    /// The distinct stage conditions (one generated function each).
    pub stages: Vec<Stage>,
    /// Script conditions (one generated function each).
    pub scripts: Vec<Script>,
    /// Computed constants (`number("5")`), each evaluated once at run time.
    pub consts: Vec<SExpr>,
    /// `| head N` / `| tail N`, in order: (`true` for head, N).
    pub pipes: Vec<(bool, u64)>,
    /// The tiebreaker field, when the rule names one.
    pub tiebreaker: Option<FieldIx>,
    /// Event query or sequence.
    pub shape: Shape,
    /// The field named categories are tested against.
    pub category_field: FieldIx,
}

/// A field the rule reads.
#[derive(Clone, Debug)]
pub struct FieldInfo {
    /// The dotted path.
    pub path: String,
    /// The Rust constant naming its id (`PROCESS_NAME`).
    pub const_name: String,
    /// Its mapped type.
    pub ty: FieldType,
    /// The mapping's `null_value`, as text: what an explicit JSON `null` is indexed as.
    pub null_value: Option<String>,
    /// A `date` field's custom `format`s (Java time patterns), from the mapping.
    pub date_formats: Vec<String>,
}

/// How the detector drives the rule.
#[derive(Debug)]
pub enum Shape {
    /// One event per alert: stage 0 only.
    Event,
    /// A sequence, `runs` expanded.
    Sequence {
        /// `with maxspan`, in nanoseconds.
        maxspan_nanos: Option<u64>,
        /// Expanded stages: (index into [`Rule::stages`], keys, missing).
        stages: Vec<SeqStage>,
        /// The `until` stage.
        until: Option<SeqStage>,
        /// A `sample`: unordered stages sharing a join key.
        sample: bool,
    },
}

/// One expanded sequence position.
#[derive(Debug)]
pub struct SeqStage {
    /// Which condition (index into [`Rule::stages`]).
    pub cond: usize,
    /// Join keys: (field, optional).
    pub keys: Vec<(FieldIx, bool)>,
    /// `![…]`.
    pub missing: bool,
}

/// One stage condition: the category test and the predicate.
#[derive(Debug)]
pub struct Stage {
    /// `category where condition`, printed canonically, for the doc comment.
    pub canonical: String,
    /// `None` for `any`.
    pub category: Option<String>,
    /// The condition.
    pub pred: Pred,
}

/// A boolean condition over one event.
#[derive(Debug)]
pub enum Pred {
    /// Always true.
    True,
    /// Always false.
    False,
    /// Negation; true on missing fields (a Lucene `must_not`).
    Not(Box<Pred>),
    /// All of.
    And(Vec<Pred>),
    /// Any of.
    Or(Vec<Pred>),
    /// The field is present and not null.
    Has(FieldIx),
    /// Some value of the field passes the test.
    Any {
        /// The field.
        field: FieldIx,
        /// The test on one value's keyword text.
        test: Test,
        /// A script-level condition (a function): `not` negates the per-value test instead of
        /// the whole leaf, as Elasticsearch evaluates scripts per value with null propagation.
        script: bool,
    },
    /// A field no mapping types, compared with a constant: each value as its JSON kind makes
    /// it, as dynamic mapping types the field (`eql_runtime::value::dynamic_order`). `!=` is
    /// `Not` of `==`, a must_not.
    Dynamic {
        /// The field.
        field: FieldIx,
        /// The comparison, field on the left.
        op: CmpOp,
        /// The constant as text (`None`: a text value never compares, as for a decimal).
        text: Option<String>,
        /// The constant as a number, when it is one (or a numeric string).
        num: Option<NumLit>,
        /// The constant as a boolean, when it is one.
        boolean: Option<bool>,
    },
    /// A script over several fields or computed values (index into [`Rule::scripts`]).
    Script(usize),
    /// A field compared with a computed constant (index into [`Rule::consts`]): a query leaf,
    /// as Elasticsearch folds the constant before it builds the query.
    ConstCmp {
        /// The field.
        field: FieldIx,
        /// The comparison, field on the left.
        op: CmpOp,
        /// The constant.
        konst: usize,
    },
}

/// A condition Elasticsearch runs as a script: evaluated for every combination of the values
/// of its fields, with `null` propagation; it holds when some combination yields `true`.
#[derive(Debug)]
pub struct Script {
    /// The condition, printed canonically, for the doc comment.
    pub canonical: String,
    /// The fields it reads; [`SExpr::Field`] indexes this list.
    pub fields: Vec<FieldIx>,
    /// The expression.
    pub expr: SExpr,
}

/// A script expression (`eql_runtime::script` evaluates it).
#[derive(Debug)]
pub enum SExpr {
    /// `null`.
    Null,
    /// A boolean constant.
    Bool(bool),
    /// An integer constant.
    Int(i64),
    /// A finite float constant.
    Float(f64),
    /// A string constant.
    Str(String),
    /// The `i`-th field of the script.
    Field(usize),
    /// `not`.
    Not(Box<SExpr>),
    /// `and`.
    And(Vec<SExpr>),
    /// `or`.
    Or(Vec<SExpr>),
    /// A comparison.
    Cmp(CmpOp, Box<SExpr>, Box<SExpr>),
    /// `e == null` (`true`) or `e != null` (`false`).
    NullTest(Box<SExpr>, bool),
    /// Arithmetic: `+ - * / %`.
    Arith(ArithOp, Box<SExpr>, Box<SExpr>),
    /// Unary minus.
    Neg(Box<SExpr>),
    /// A function, `~`, arguments.
    Call(Func, bool, Vec<SExpr>),
    /// `:`/`like`/`like~` on a computed value: the wildcard patterns, case-insensitive.
    Like(Box<SExpr>, Vec<String>, bool),
    /// `regex`/`regex~` on a computed value: the regex matchers' indexes.
    Regex(Box<SExpr>, Vec<usize>),
    /// `in`/`in~` (`not in` is `Not(In)`).
    In(Box<SExpr>, Vec<SExpr>, bool),
}

/// A test on one value (its keyword text `__s`).
#[derive(Debug)]
pub enum Test {
    /// Any of these matchers matches.
    Matchers(Vec<usize>),
    /// Exactly this text.
    Eq(String),
    /// Byte-wise order against this text (keyword ranges).
    TextCmp(CmpOp, String),
    /// Numeric comparison (numeric fields).
    NumCmp(CmpOp, NumLit),
    /// Address comparison (ip fields).
    IpCmp(CmpOp, IpAddr),
    /// Instant order against a date constant (RFC 3339 text or epoch milliseconds), both parsed
    /// as the timestamp is.
    DateCmp(CmpOp, String),
    /// Version precedence against this text (`version` fields).
    VersionCmp(CmpOp, String),
    /// Length in UTF-16 code units (Java's `String.length`) compared with a constant.
    Length(CmpOp, u64),
    /// Negated test (script `not`).
    Not(Box<Test>),
}

/// A numeric constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NumLit {
    /// An integer.
    Int(i64),
    /// A finite float.
    Float(f64),
}

/// A `static` matcher.
#[derive(Debug)]
pub struct Matcher {
    /// The field it reads (for the plan).
    pub field: FieldIx,
    /// The static's name (`PROCESS_NAME_EXACT_1`).
    pub name: String,
    /// What it is.
    pub kind: MatcherKind,
    /// Its patterns, as written (wildcards stripped for prefix/suffix/contains).
    pub pats: Vec<String>,
    /// Case-insensitive.
    pub ci: bool,
}

/// The matcher types of `eql_runtime::matcher`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatcherKind {
    /// A set of whole values.
    Exact,
    /// A set of prefixes.
    Prefix,
    /// A set of suffixes.
    Suffix,
    /// A set of substrings (built lazily: it owns search tables).
    Contains,
    /// One `*`/`?` pattern.
    Glob,
    /// One Lucene regular expression (built lazily).
    Regex,
    /// CIDR blocks (built lazily).
    Cidr,
}

impl MatcherKind {
    /// Suffix of generated names, and the plan's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MatcherKind::Exact => "EXACT",
            MatcherKind::Prefix => "PREFIX",
            MatcherKind::Suffix => "SUFFIX",
            MatcherKind::Contains => "CONTAINS",
            MatcherKind::Glob => "GLOB",
            MatcherKind::Regex => "REGEX",
            MatcherKind::Cidr => "CIDR",
        }
    }
}
