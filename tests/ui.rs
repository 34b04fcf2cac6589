//! Compile-fail tests of `eql_rule!`: bad rules must fail the build with an error that points
//! into the rule file (`path:line:col`, the source line and a caret).
//!
//! Refresh with `TRYBUILD=overwrite cargo test --test ui` and read the diff.

use std::path::{Path, PathBuf};

/// trybuild builds each case in `target/tests/trybuild/eql-detect/`, which becomes the macro's
/// `CARGO_MANIFEST_DIR`: make `tests/ui/rules` visible there (as askama does).
fn link_rules_into_trybuild_dir() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        root.join(target)
    };
    let dir = target.join("tests/trybuild/eql-detect/tests/ui");
    std::fs::create_dir_all(&dir).expect("trybuild directory");
    let link = dir.join("rules");
    if std::fs::symlink_metadata(&link).is_err() {
        std::os::unix::fs::symlink(root.join("tests/ui/rules"), &link).expect("symlink rules");
    }
}

#[test]
fn ui() {
    link_rules_into_trybuild_dir();
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
