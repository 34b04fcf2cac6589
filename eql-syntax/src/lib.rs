//! The Elastic EQL front end: a pest grammar, an AST in which every node carries its byte span,
//! the checks Elasticsearch makes, rustc-style diagnostics and a fully parenthesised printer.
//!
//! This crate has no syn/quote dependency: it is the whole language front end, usable by the
//! compiler, the interpreter and tools alike.
//!
//! ```
//! let q = eql_syntax::parse(r#"process where process.name : ("curl", "wget") and not user.id == 0"#)
//!     .expect("valid EQL");
//! assert_eq!(
//!     eql_syntax::to_canonical(&q),
//!     r#"process where (process.name : ("curl", "wget") and not (user.id == 0))"#
//! );
//!
//! let src = "process where process.name = \"curl\"";
//! let errs = eql_syntax::parse(src).unwrap_err();
//! assert!(eql_syntax::render(&errs, "rule.eql", src).contains("did you mean `==`?"));
//! ```
//!
//! Keywords are lower-case only, as in Elasticsearch's `EqlBase.g4` (`AND: 'and';`), while
//! function names are resolved case-insensitively, as Elasticsearch's function registry does
//! (see [`functions::lookup`]).

#![deny(missing_docs)]

pub mod ast;
pub mod fields;
pub mod rulefile;
pub mod span;

mod check;
mod diag;
pub mod functions;
mod lexscan;
pub mod mapping;
mod parser;
mod pesterr;
mod print;

pub use diag::{render, Diagnostic};
pub use print::{expr_to_canonical, to_canonical};
pub use span::Span;

/// Parses `src` into a tree without the semantic checks (unknown functions, join keys, field
/// comparisons, …); only what the grammar itself cannot express is reported. For tools that
/// want the tree of a query Elasticsearch would reject.
pub fn parse_unchecked(src: &str) -> Result<ast::Query, Vec<Diagnostic>> {
    if u32::try_from(src.len()).is_err() {
        return Err(vec![Diagnostic::error(
            "query too large (4 GiB or more)",
            Span::new(0, 0),
        )]);
    }
    let (q, mut diags) = parser::parse_tree(src)?;
    if diags.is_empty() {
        Ok(q)
    } else {
        diags.sort_by_key(|d| (d.span.start, d.span.end));
        Err(diags)
    }
}

/// Parses `src` and runs every check Elasticsearch makes. All problems found are returned
/// together, sorted by position. Never panics, whatever the input.
pub fn parse(src: &str) -> Result<ast::Query, Vec<Diagnostic>> {
    if u32::try_from(src.len()).is_err() {
        return Err(vec![Diagnostic::error(
            "query too large (4 GiB or more)",
            Span::new(0, 0),
        )]);
    }
    let (q, mut diags) = parser::parse_tree(src)?;
    check::check(&q, &mut diags);
    if diags.is_empty() {
        Ok(q)
    } else {
        diags.sort_by_key(|d| (d.span.start, d.span.end));
        Err(diags)
    }
}
