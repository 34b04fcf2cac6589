//! `eql_rule!`: compiles an Elastic EQL rule file into native Rust at build time.
//!
//! A thin shell over `eql-compiler`; use it through `eql_runtime::eql_rule!`.

/// Compiles an EQL rule file (path relative to the calling crate's `Cargo.toml`).
///
/// - `eql_rule!("rules/imds.eql")` is an expression whose value implements
///   `eql_runtime::rule::Rule`.
/// - `eql_rule!(pub struct Imds = "rules/imds.eql");` declares a unit struct implementing it,
///   for struct fields and statics.
///
/// Errors in the rule are reported as compile errors pointing into the rule file
/// (`rules/imds.eql:3:17`), and cargo rebuilds when the file changes.
#[proc_macro]
pub fn eql_rule(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    eql_compiler::expand(input.into()).into()
}
