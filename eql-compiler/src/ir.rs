//! The compiler's intermediate form, defined in `eql-ir` (the contract with the back ends).

pub use eql_ir::rule::*;
