//! Every EQL rule of Elastic's detection-rules repository (1,024 rules, 198 of them sequences)
//! compiled by `eql_rules!` into one engine at build time.
//!
//! The build script writes the rules corpus as detection-rules `.toml` files and compiles the
//! directory; [`rules::rules`] returns them in path order. The tests check that the engine
//! agrees with the reference interpreter on a generated workload, rule by rule, and
//! `cargo build --release -p eql-corpus` measures what compiling them all costs.

#![deny(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/engine.rs"));

/// The corpus path of each rule, in the engine's order.
pub fn paths() -> impl Iterator<Item = &'static str> {
    include_str!(concat!(env!("OUT_DIR"), "/paths.txt")).lines()
}

/// The directory the build script wrote the rule files to (`paths()` are relative to it).
pub fn rule_dir() -> &'static str {
    concat!(env!("OUT_DIR"), "/rules")
}
