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

/// Compiles every rule file under a directory into one rule set (path relative to the calling
/// crate's `Cargo.toml`; `.eql` files and Elastic detection-rules `.toml` files whose language
/// is EQL, recursively, in path order).
///
/// - `eql_rules!("rules/elastic")` is an expression of type
///   `Vec<Box<dyn eql_runtime::rule::Rule>>`.
/// - `eql_rules!(pub mod linux = "rules/elastic/linux");` declares a module with `rules()`,
///   `COUNT` and one submodule per rule.
///
/// The rules share one schema, the union of the fields they read, so the detector decodes each
/// event once for all of them. Cargo rebuilds when a file changes; for it to notice files added
/// or removed, the crate's build script prints `cargo:rerun-if-changed=<dir>`.
#[proc_macro]
pub fn eql_rules(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    eql_compiler::expand_set(input.into()).into()
}
