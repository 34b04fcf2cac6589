//! Compiles EQL rules into Rust token streams.
