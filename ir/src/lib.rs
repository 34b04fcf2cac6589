//! The contract between the EQL compiler and the engines that run its output.
//!
//! `eql-syntax` parses a rule and resolves its functions ([`Func`]); `eql-compiler` lowers it
//! to the [`rule`] IR and derives its [`prefilter`] literals; then one of two back ends takes
//! it: codegen (Rust for `eql_rule!`) or the IR evaluator (`eql-eval`, for rules loaded at run
//! time), both over `eql-runtime`. Everything they must agree on is defined once, here: the IR,
//! the functions, the operators, field types and ids, and the limits on stages.
//!
//! No dependencies: the runtime that generated code links stays small.

#![deny(missing_docs)]

pub mod field;
pub mod func;
pub mod op;
pub mod prefilter;
pub mod rule;

pub use field::{FieldId, FieldType};
pub use func::Func;
pub use op::{ArithOp, CmpOp};

/// The most stages a sequence may have after `runs` expansion (one bit is kept for `until`).
pub const MAX_STAGES: usize = 63;

/// The stage mask bit that reports an `until` match.
pub const UNTIL_BIT: u64 = 1 << 63;
