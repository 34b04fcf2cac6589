//! The only code that reads rule files: paths are relative to the calling crate's
//! `CARGO_MANIFEST_DIR`, absolute paths are rejected (builds must not depend on the machine).

use std::path::{Component, Path, PathBuf};

/// A rule file read from disk.
#[derive(Debug)]
pub struct Source {
    /// The absolute path, for the `include_bytes!` that makes cargo rebuild on edits.
    pub abs: String,
    /// The file's text.
    pub text: String,
}

/// Why a rule file could not be read; `abs` is set when the file exists (so the tracking
/// `include_bytes!` can still be emitted).
#[derive(Debug)]
pub struct SourceError {
    /// What went wrong, for `compile_error!`.
    pub message: String,
    /// The absolute path, if the file exists.
    pub abs: Option<String>,
}

/// Reads `rel` relative to `manifest_dir` (the calling crate's `CARGO_MANIFEST_DIR`).
pub fn load(rel: &str, manifest_dir: Option<&str>) -> Result<Source, SourceError> {
    let fail = |message: String, abs: Option<String>| SourceError { message, abs };
    let path = Path::new(rel);
    if rel.is_empty() {
        return Err(fail("the rule file path is empty".into(), None));
    }
    if path.is_absolute() || path.components().any(|c| matches!(c, Component::Prefix(_))) {
        return Err(fail(
            format!("`{rel}`: the rule file path must be relative to the crate's Cargo.toml"),
            None,
        ));
    }
    let Some(dir) = manifest_dir else {
        return Err(fail(
            "CARGO_MANIFEST_DIR is not set: `eql_rule!` must be built by cargo".into(),
            None,
        ));
    };
    let abs: PathBuf = Path::new(dir).join(path);
    let abs_text = abs.to_string_lossy().into_owned();
    let bytes = std::fs::read(&abs).map_err(|e| {
        fail(
            format!("cannot read rule file `{rel}` ({abs_text}): {e}"),
            None,
        )
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source {
            abs: abs_text,
            text,
        }),
        Err(e) => Err(fail(
            format!("rule file `{rel}` is not UTF-8: {}", e.utf8_error()),
            Some(abs_text),
        )),
    }
}

/// The rule files (`.eql`, `.toml`) under the directory `rel` (relative to `manifest_dir`),
/// recursively, as relative paths joined with `/`, sorted. Hidden entries are skipped.
pub fn list(rel: &str, manifest_dir: Option<&str>) -> Result<Vec<String>, SourceError> {
    let fail = |message: String| SourceError { message, abs: None };
    let path = Path::new(rel);
    if rel.is_empty() || path.is_absolute() {
        return Err(fail(format!(
            "`{rel}`: the rules directory must be a path relative to the crate's Cargo.toml"
        )));
    }
    let Some(dir) = manifest_dir else {
        return Err(fail(
            "CARGO_MANIFEST_DIR is not set: `eql_rules!` must be built by cargo".into(),
        ));
    };
    let root = Path::new(dir).join(path);
    let mut out = Vec::new();
    let mut stack = vec![(root.clone(), rel.trim_end_matches('/').to_owned())];
    while let Some((abs, shown)) = stack.pop() {
        let entries = std::fs::read_dir(&abs).map_err(|e| {
            fail(format!(
                "cannot read rules directory `{shown}` ({}): {e}",
                abs.display()
            ))
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| fail(format!("`{shown}`: {e}")))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let child = format!("{shown}/{name}");
            let kind = entry
                .file_type()
                .map_err(|e| fail(format!("`{child}`: {e}")))?;
            if kind.is_dir() {
                stack.push((entry.path(), child));
            } else if name.ends_with(".eql") || name.ends_with(".toml") {
                out.push(child);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_paths() {
        assert!(load("/etc/passwd", Some("/tmp")).is_err());
        assert!(load("", Some("/tmp")).is_err());
        assert!(load("x.eql", None).is_err());
        let e = load("no/such/file.eql", Some("/nonexistent")).unwrap_err();
        assert!(e
            .message
            .contains("cannot read rule file `no/such/file.eql`"));
        assert!(e.abs.is_none());
    }

    #[test]
    fn reads_relative_to_manifest() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let s = load("../rules/imds.eql", Some(dir)).expect("rules/imds.eql");
        assert!(s.text.contains("169.254.169.254"));
        assert!(s.abs.starts_with(dir));
    }
}
