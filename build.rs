//! Rebuilds the binary when a rule file is added to or removed from `rules/` (the
//! `eql_rules!` expansion already tracks every file it read, so edits need nothing more).

fn main() {
    println!("cargo:rerun-if-changed=rules");
}
