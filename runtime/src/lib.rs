//! The runtime for Elastic EQL rules compiled to native code by `eql_rule!`.

#![deny(missing_docs)]

pub mod event;
pub mod matcher;
pub mod rule;
pub mod value;

pub use eql_macro::eql_rule;
