//! `eql_rule!`: compiles an Elastic EQL rule file into native Rust at build time.
