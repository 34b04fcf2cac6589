//! A directory of rule files, loaded as `eql_rules!` compiles one: `.eql` files and EQL `.toml`
//! files, recursively, in path order; hidden entries and other query languages skipped.

use std::path::{Path, PathBuf};

use crate::{load, Loaded, Options};

/// The rule files (`.eql`, `.toml`) under `dir`, recursively, sorted; hidden entries skipped.
pub fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        let entries = std::fs::read_dir(&at)
            .map_err(|e| format!("cannot read rules directory `{}`: {e}", at.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("`{}`: {e}", at.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| format!("`{}`: {e}", path.display()))?;
            if kind.is_dir() {
                stack.push(path);
            } else if name.ends_with(".eql") || name.ends_with(".toml") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Loads every EQL rule file under `dir` ([`rule_files`]; detection-rules `.toml` files of
/// another language are skipped). Every file that fails is reported, each error a rendered
/// diagnostic.
pub fn load_dir(dir: &Path, opts: &Options) -> Result<Vec<Loaded>, Vec<String>> {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for path in rule_files(dir).map_err(|e| vec![e])? {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                errors.push(format!("{shown}: {e}"));
                continue;
            }
        };
        if !eql_syntax::rulefile::is_eql_rule(&shown, &text) {
            continue;
        }
        match load(&shown, &text, opts) {
            Ok(rule) => loaded.push(rule),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(errors)
    }
}
