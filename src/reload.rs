//! Live reload of the rules loaded at run time, for the long-running modes (a stream on stdin,
//! a Kafka member): on SIGHUP, and when a `--rule-file` or a file under a `--rule-dir` changes.
//!
//! A watcher thread compares the files' names, sizes and modification times once a second
//! (polling sees every kind of change, including a directory swapped in by a symlink, as
//! Kubernetes updates a mounted ConfigMap). A reload loads every file again: if any file fails,
//! the errors are reported with their locations and the previous rules keep running; otherwise
//! the detectors take the new set ([`eql_runtime::detector::Detector::replace_rules`]), in which
//! unchanged rules keep their pending sequences.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use eql_runtime::detector::Replaced;

use crate::rules::{RuleFiles, RuleSet, Select};

/// How often the watcher looks at the rule files.
const POLL: Duration = Duration::from_secs(1);

/// Reloads the rule set when asked to.
pub struct Reloader {
    due: Arc<AtomicBool>,
    select: Vec<Select>,
    files: RuleFiles,
}

/// What the watched files look like: each one's path, length and modification time.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

fn fingerprint(files: &RuleFiles) -> Fingerprint {
    let mut paths = files.rule_file.clone();
    for dir in &files.rule_dir {
        // An unreadable directory is an empty one here; the reload reports why.
        paths.extend(eql_eval::rule_files(dir).unwrap_or_default());
    }
    paths
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let len = meta.as_ref().map_or(0, |m| m.len());
            let modified = meta.and_then(|m| m.modified().ok());
            (p, len, modified)
        })
        .collect()
}

impl Reloader {
    /// Starts watching: SIGHUP, and (when rules are loaded at run time) the rule files.
    pub fn start(select: &[Select], files: &RuleFiles) -> Reloader {
        let due = Arc::new(AtomicBool::new(false));
        if let Err(e) = signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&due)) {
            eprintln!("eql-detect: SIGHUP will not reload the rules: {e}");
        }
        if files.any() {
            let (flag, watched) = (Arc::clone(&due), files.clone());
            let spawned = std::thread::Builder::new()
                .name("rule-watch".into())
                .spawn(move || {
                    let mut last = fingerprint(&watched);
                    loop {
                        std::thread::sleep(POLL);
                        let now = fingerprint(&watched);
                        if now != last {
                            last = now;
                            flag.store(true, Ordering::Relaxed);
                        }
                    }
                });
            if let Err(e) = spawned {
                eprintln!("eql-detect: rule files will not be watched: {e}");
            }
        }
        Reloader {
            due,
            select: select.to_vec(),
            files: files.clone(),
        }
    }

    /// When a reload is due: the rules loaded again, or the rendered errors of the files that
    /// fail (the caller keeps the rules it runs).
    pub fn due(&self) -> Option<Result<RuleSet, String>> {
        if !self.due.swap(false, Ordering::Relaxed) {
            return None;
        }
        Some(RuleSet::load(&self.select, &self.files))
    }
}

/// The line a reload writes to stderr.
pub fn describe(r: &Replaced) -> String {
    let list = |names: &[&str]| {
        let shown: Vec<&str> = names.iter().take(5).copied().collect();
        let more = names.len().saturating_sub(shown.len());
        let mut s = shown.join(", ");
        if more > 0 {
            s.push_str(&format!(", and {more} more"));
        }
        s
    };
    let mut parts = vec![format!("{} unchanged", r.kept)];
    for (what, names) in [
        ("added", &r.added),
        ("changed", &r.changed),
        ("removed", &r.removed),
    ] {
        if !names.is_empty() {
            parts.push(format!("{} {what} ({})", names.len(), list(names)));
        }
    }
    format!("eql-detect: rules reloaded: {}", parts.join(", "))
}

/// The lines a failed reload writes to stderr.
pub fn describe_failure(errors: &str) -> String {
    format!("eql-detect: reload failed; the previous rules keep running:\n{errors}")
}
