//! Rules loaded at run time, on the same engine as compiled ones.
//!
//! A rule file is parsed, checked and lowered to the compiler's IR exactly as `eql_rule!` does
//! at build time ([`eql_compiler::lower_file`]); then, instead of generating Rust, this crate
//! builds what the generated code would hold (matchers, a schema, the shape and metadata) and
//! evaluates the IR over the runtime's decoded [`eql_runtime::event::Event`]. Rules loaded
//! together share one schema, so the detector decodes each line once for all of them, and they
//! run with the same prefilter, category dispatch, reorder buffer and sequence engine as
//! compiled rules: codegen and this evaluator are two back ends of one IR.
//!
//! ```
//! use eql_runtime::detector::{Config, Detector};
//!
//! let text = "process where process.name : \"CURL\"";
//! let loaded = eql_eval::load("curl.eql", text, &eql_eval::Options::default()).unwrap();
//! let rules = eql_eval::set(vec![loaded]);
//! let mut detector = Detector::new(rules, Config::default()).unwrap();
//! let line = br#"{"@timestamp":"2024-10-18T12:00:00Z","event":{"category":"process"},"process":{"name":"curl"}}"#;
//! let mut alerts = Vec::new();
//! detector.push_line(line, &mut |a| alerts.push(a));
//! detector.finish(&mut |a| alerts.push(a));
//! assert_eq!(alerts.len(), 1);
//! ```
//!
//! What a loaded rule holds (its metadata, patterns and shape) is kept for the life of the
//! process, as a compiled rule's `static`s are: a reload that replaces a rule keeps the old
//! version's few kilobytes.

#![deny(missing_docs)]

mod dir;
mod eval;
mod matchers;
mod meta;
mod set;

use eql_compiler::Lowered;
use eql_runtime::rule::{Rule, RuleMeta};
use eql_syntax::mapping::FieldTypes;

pub use dir::{load_dir, rule_files};
pub use set::LoadedRule;

/// What a search request may set instead of the rule file, and the index mapping searched.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The field events are ordered by (`timestamp_field`; the rule's own when `None`).
    pub timestamp: Option<String>,
    /// The field `process where …` tests (`event_category_field`).
    pub event_category: Option<String>,
    /// A numeric field that orders events of equal timestamp (`tiebreaker_field`).
    pub tiebreaker: Option<String>,
    /// The index mapping's field types (`None`: the rule's own `mapping`, read relative to the
    /// rule file, else ECS and Elastic Defend).
    pub types: Option<FieldTypes>,
}

/// One rule file, checked and lowered, not yet placed in a set.
#[derive(Debug)]
pub struct Loaded {
    meta: &'static RuleMeta,
    lowered: Lowered,
}

impl Loaded {
    /// The rule's metadata.
    pub fn meta(&self) -> &'static RuleMeta {
        self.meta
    }
}

/// Loads a rule file's text (`.eql` with leading TOML comment metadata, or a detection-rules
/// `.toml`, chosen by the extension of `path`) and checks it as `eql_rule!` checks it at build
/// time: metadata, query, and every field it reads. Errors are rendered diagnostics pointing
/// into the file (`path:line:col`).
pub fn load(path: &str, text: &str, opts: &Options) -> Result<Loaded, String> {
    let render = |diags: &[eql_syntax::Diagnostic]| eql_syntax::render(diags, path, text);
    let mut file = eql_syntax::rulefile::load(path, text).map_err(|errs| {
        let diags: Vec<_> = errs
            .iter()
            .map(eql_syntax::rulefile::LoadError::to_diagnostic)
            .collect();
        render(&diags)
    })?;
    let m = &mut file.meta;
    if let Some(f) = &opts.timestamp {
        m.timestamp_field.clone_from(f);
    }
    if let Some(f) = &opts.event_category {
        m.event_category_field.clone_from(f);
    }
    if let Some(f) = &opts.tiebreaker {
        m.tiebreaker_field = Some(f.clone());
    }
    let own = match &opts.types {
        Some(_) => None,
        None => file.read_own_mapping(path).map_err(|d| render(&[d]))?,
    };
    let types = opts.types.as_ref().or(own.as_ref());
    let lowered = eql_compiler::lower_file(&file, types).map_err(|d| render(&d))?;
    let meta = meta::rule_meta(&file, path, &lowered.canonical, &lowered.plan);
    Ok(Loaded { meta, lowered })
}

/// Places loaded rules in one set, sharing one schema (the union of the fields they read), in
/// the order given.
pub fn set(rules: Vec<Loaded>) -> Vec<Box<dyn Rule>> {
    loaded_set(rules)
        .into_iter()
        .map(|r| Box::new(r) as Box<dyn Rule>)
        .collect()
}

/// [`set`], keeping the concrete rules (cheap to clone: each detector of a Kafka member owns
/// its rules, which share what was built).
pub fn loaded_set(rules: Vec<Loaded>) -> Vec<LoadedRule> {
    set::build(rules)
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn leak_list(v: &[String]) -> &'static [&'static str] {
    Box::leak(
        v.iter()
            .map(|s| leak(s))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}
