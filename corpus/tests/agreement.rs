//! Three engines agree on all 1,024 corpus rules, rule by rule, on a workload generated from the
//! rules themselves: witness events built to satisfy each rule's stages, and near misses that
//! change one thing.
//!
//! - **compiled**: the rules compiled into one `eql_rules!` set (codegen, the first back end);
//! - **loaded**: the same files loaded at run time (`eql-eval`, the IR evaluator: the second
//!   back end, what `--rule-file` runs), through the same detector;
//! - **reference**: the independent interpreter, which evaluates the AST over parsed JSON and
//!   orders the whole batch itself.
//!
//! Compiled and loaded must give the same alerts in the same order; the interpreter the same
//! alerts per rule (it reports them rule by rule, so only their order within a rule is compared
//! as a set).

use std::collections::BTreeMap;

use eql_runtime::detector::{Alert, Config, Detector};
use eql_runtime::rule::Rule;

/// The engine's rules, with their corpus paths and files.
fn corpus() -> Vec<(String, String)> {
    let root = eql_corpus::rule_dir();
    eql_corpus::paths()
        .map(|p| {
            let text = std::fs::read_to_string(format!("{root}/{p}")).expect("rule file");
            (p.to_owned(), text)
        })
        .collect()
}

fn config() -> Config {
    Config {
        lateness_nanos: u64::MAX,
        max_state_bytes: 1 << 30,
        alert_cap: false,
        ..Config::default()
    }
}

type Answers = BTreeMap<String, Vec<Vec<String>>>;

/// Per rule id: each alert as the documents it holds.
fn run(rules: Vec<Box<dyn Rule>>, lines: &[String]) -> Answers {
    let mut det = Detector::new(rules, config()).expect("detector");
    let mut out: Answers = BTreeMap::new();
    let mut keep = |a: Alert| {
        out.entry(a.rule.rule_id.to_owned())
            .or_default()
            .push(a.events.iter().map(|e| e.raw.to_string()).collect());
    };
    for line in lines {
        det.push_line(line.as_bytes(), &mut keep);
    }
    det.finish(&mut keep);
    let stats = det.stats();
    assert_eq!(
        stats.lines,
        stats.evaluated + stats.skipped.values().sum::<u64>(),
        "every line is accounted for"
    );
    out
}

#[test]
fn compiled_loaded_and_interpreted_corpus_agree() {
    let files = corpus();
    let compiled = eql_corpus::rules::rules();
    assert_eq!(compiled.len(), eql_corpus::CORPUS_RULES);
    assert_eq!(files.len(), compiled.len());

    let mut loaded = Vec::new();
    let mut interpreted = Vec::new();
    let mut lines = Vec::new();
    for (i, (path, text)) in files.iter().enumerate() {
        let rule = eql_eval::load(path, text, &eql_eval::Options::default())
            .unwrap_or_else(|e| panic!("{path}: the loader rejects it: {e}"));
        assert_eq!(rule.meta().rule_id, compiled[i].meta().rule_id, "{path}");
        loaded.push(rule);
        let rule = eql_interp::Interpreted::from_file(path, text)
            .unwrap_or_else(|e| panic!("{path}: the interpreter rejects it: {e}"));
        interpreted.push(rule);
        let events = eql_interp::witness::witnesses_for(compiled[i].meta().query, i as u64)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        lines.extend(events.iter().map(|e| e.to_string()));
    }
    let ours = run(compiled, &lines);
    let theirs = run(eql_eval::set(loaded), &lines);

    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let docs = eql_interp::stream::parse_lines(&refs).expect("witnesses are JSON");
    let opts = eql_interp::StreamOptions::default();
    let mut reference: Answers = BTreeMap::new();
    for rule in &interpreted {
        let found = eql_interp::stream::run_batch_parsed(rule, &refs, &docs, &opts)
            .unwrap_or_else(|e| panic!("{}: {e}", rule.source()));
        if !found.is_empty() {
            let alerts = found
                .into_iter()
                .map(|m| m.events.into_iter().flatten().collect())
                .collect();
            reference.insert(rule.meta().rule_id.to_owned(), alerts);
        }
    }

    let sorted = |a: Option<&Vec<Vec<String>>>| {
        let mut a = a.cloned().unwrap_or_default();
        a.sort();
        a
    };
    let mut differ = Vec::new();
    for ((path, _), rule) in files.iter().zip(&interpreted) {
        let id = rule.meta().rule_id;
        let (a, b, c) = (ours.get(id), theirs.get(id), reference.get(id));
        if a != b {
            differ.push(format!(
                "{path}: compiled {} alerts, loaded {}",
                a.map_or(0, Vec::len),
                b.map_or(0, Vec::len)
            ));
        }
        if sorted(a) != sorted(c) {
            differ.push(format!(
                "{path}: compiled {} alerts, interpreted {}",
                a.map_or(0, Vec::len),
                c.map_or(0, Vec::len)
            ));
        }
    }
    let firing = reference.len();
    let alerts: usize = reference.values().map(Vec::len).sum();
    println!(
        "{} events; {firing} of {} rules alert ({alerts} alerts); {} differences",
        lines.len(),
        files.len(),
        differ.len()
    );
    assert!(
        differ.is_empty(),
        "rules whose answers differ:\n{}",
        differ.join("\n")
    );
    // The workload must make most rules fire, or agreement says little.
    assert!(
        firing * 10 >= files.len() * 7,
        "only {firing} of {} rules fire on the workload",
        files.len()
    );
}
