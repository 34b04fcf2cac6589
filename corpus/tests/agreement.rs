//! The corpus engine (all 1,024 rules compiled into one `eql_rules!` set) agrees with the
//! reference interpreter, rule by rule, on a workload generated from the rules themselves:
//! witness events built to satisfy each rule's stages, and near misses that change one thing.
//! Both run through the same detector (one with the compiled set, one with the interpreted
//! rules), so any difference is a difference in what the rules match.

use std::collections::BTreeMap;

use eql_runtime::detector::{Alert, AnyRule, Config, Detector};

/// The engine's rules, with their corpus paths and files.
fn corpus() -> Vec<(String, String)> {
    let root = concat!(env!("OUT_DIR"), "/rules");
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

/// Per rule id: each alert as the documents it holds.
fn run(rules: Vec<AnyRule>, lines: &[String]) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut det = Detector::with_rules(rules, config()).expect("detector");
    let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
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
fn the_compiled_corpus_agrees_with_the_interpreter() {
    let files = corpus();
    let compiled = eql_corpus::rules::rules();
    assert_eq!(compiled.len(), eql_corpus::CORPUS_RULES);
    assert_eq!(files.len(), compiled.len());

    let mut interpreted = Vec::new();
    let mut lines = Vec::new();
    for (i, (path, text)) in files.iter().enumerate() {
        let rule = eql_interp::Interpreted::from_file(path, text)
            .unwrap_or_else(|e| panic!("{path}: the interpreter rejects it: {e}"));
        assert_eq!(rule.meta().rule_id, compiled[i].meta().rule_id, "{path}");
        interpreted.push(AnyRule::Value(Box::new(rule)));
        let events = eql_interp::witness::witnesses_for(compiled[i].meta().query, i as u64)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        lines.extend(events.iter().map(|e| e.to_string()));
    }
    let ours = run(compiled.into_iter().map(AnyRule::from).collect(), &lines);
    let reference = run(interpreted, &lines);

    let mut differ = Vec::new();
    for (path, text) in &files {
        let id = eql_interp::Interpreted::from_file(path, text)
            .map(|r| r.meta().rule_id.to_owned())
            .unwrap_or_default();
        let (a, b) = (ours.get(&id), reference.get(&id));
        if a != b {
            differ.push(format!(
                "{path}: compiled {} alerts, interpreted {}",
                a.map_or(0, Vec::len),
                b.map_or(0, Vec::len)
            ));
        }
    }
    let firing = reference.len();
    let alerts: usize = reference.values().map(Vec::len).sum();
    println!(
        "{} events; {firing} of {} rules alert ({alerts} alerts); {} rules differ",
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
