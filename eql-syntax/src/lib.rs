//! The Elastic EQL front end: a pest grammar, an AST in which every node carries its byte span,
//! the checks Elasticsearch makes, rustc-style diagnostics and a fully parenthesised printer.
//!
//! This crate has no syn/quote dependency: it is the whole language front end, usable by the
//! compiler, the interpreter and tools alike.

#![deny(missing_docs)]

pub mod ast;
pub mod rulefile;
pub mod span;

pub use span::Span;
