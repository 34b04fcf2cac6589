//! Elasticsearch's EQL spec files through compiled rules: every query the compiler supports was
//! compiled by `eql_rule!` (see `build.rs`) and runs here through the detector over its
//! dataset, as `eql-detect` runs a file (unbounded lateness: events in timestamp order, then
//! the tiebreaker; the literal prefilter on). The ids of a rule's alerts, flattened in output
//! order and cut at 50 (the harness's request `size`), must equal the spec's expectation, and
//! so must the join keys where the spec lists them.

use eql_conformance::{Case, Suite, SUITES};
use eql_runtime::detector::{Alert, Config, Detector};
use eql_runtime::rule::Shape;

/// What became of one case.
enum Outcome {
    Pass,
    Fail(String),
    /// The compiler or the detector does not support it, with the reason.
    NotSupported(String),
    /// Not Elasticsearch's dialect: the front end rejects it, with the reason.
    NotPortable(String),
}

fn run_case(suite: &Suite, case: &Case) -> Outcome {
    let rule = match case.rule {
        Ok(make) => make(),
        Err(reason) if !case.portable => return Outcome::NotPortable(reason.to_owned()),
        Err(reason) => return Outcome::NotSupported(format!("compiler: {reason}")),
    };
    let cfg = Config {
        lateness_nanos: u64::MAX,
        alert_cap: false,
        max_samples_per_key: case.max_samples_per_key,
        ..Config::default()
    };
    let stages = match rule.shape() {
        Shape::Sequence(spec) => spec.stages.len(),
        Shape::Event => 1,
    };
    let mut det = match Detector::new(vec![rule], cfg) {
        Ok(d) => d,
        Err(e) => return Outcome::NotSupported(format!("detector: {e}")),
    };
    let mut results: Vec<Alert> = Vec::new();
    for line in suite.data.lines() {
        det.push_line(line.as_bytes(), &mut |a| results.push(a));
    }
    det.finish(&mut |a| results.push(a));
    results.truncate(case.size);
    // A missing-event stage has no event in the alert: the harness's placeholder id is -1.
    let ids: Vec<i64> = results
        .iter()
        .flat_map(|a| {
            let mut ids = vec![-1; stages];
            for e in &a.events {
                let v: serde_json::Value = serde_json::from_str(&e.raw).expect("event JSON");
                if let Some(slot) = ids.get_mut(e.stage) {
                    *slot = v[suite.id_field].as_i64().expect("an id");
                }
            }
            ids
        })
        .collect();
    if !case.expected.contains(&ids.as_slice()) {
        return Outcome::Fail(format!("want {:?}, got {ids:?}", case.expected));
    }
    if let Some(want) = case.join_keys {
        let keys: Vec<String> = results
            .iter()
            .flat_map(|a| &a.keys)
            .map(|(_, v)| v.clone().unwrap_or_else(|| "null".to_owned()))
            .collect();
        if keys != want {
            return Outcome::Fail(format!("join keys: want {want:?}, got {keys:?}"));
        }
    }
    Outcome::Pass
}

/// Runs a suite; checks that every supported case passes, except the `known` wrong answers
/// (each with its reason, and each must still be wrong), and that at least `min_passed` pass.
/// Cases the compiler or detector rejects are reported with the reason.
fn check(file: &str, min_passed: usize, known: &[(&str, &str)]) {
    let suite = SUITES.iter().find(|s| s.file == file).expect("suite");
    let (mut passed, mut failed, mut unsupported, mut not_portable) = (0, Vec::new(), 0, 0);
    for case in suite.cases {
        match run_case(suite, case) {
            Outcome::Pass => {
                assert!(
                    !known.iter().any(|(n, _)| *n == case.name),
                    "{}: listed as known wrong but passes",
                    case.name
                );
                passed += 1;
            }
            Outcome::Fail(why) => match known.iter().find(|(n, _)| *n == case.name) {
                Some((_, reason)) => eprintln!("KNOWN WRONG {}: {reason}\n  {why}", case.name),
                None => {
                    eprintln!("FAIL {}: {}\n  {why}", case.name, case.query);
                    failed.push(case.name);
                }
            },
            Outcome::NotSupported(why) => {
                eprintln!("NOT SUPPORTED {}: {why}", case.name);
                unsupported += 1;
            }
            Outcome::NotPortable(why) => {
                eprintln!("NOT PORTABLE {}: {why}", case.name);
                not_portable += 1;
            }
        }
    }
    eprintln!(
        "{file}: {passed} passed, {} failed, {} known different, {unsupported} not supported, \
         {not_portable} not portable, of {}",
        failed.len(),
        known.len(),
        suite.cases.len()
    );
    assert!(failed.is_empty(), "{file}: failed: {failed:?}");
    assert!(
        passed >= min_passed,
        "{file}: {passed} pass, expected at least {min_passed}"
    );
}

#[test]
fn test_queries() {
    check("test_queries.toml", 133, &[]);
}

#[test]
fn additional_test_queries() {
    check("additional_test_queries.toml", 61, &[]);
}

#[test]
fn test_queries_date() {
    check("test_queries_date.toml", 4, &[]);
}

#[test]
fn test_extra() {
    check("test_extra.toml", 40, &[]);
}

#[test]
fn test_sample() {
    check("test_sample.toml", 25, &[]);
}

#[test]
fn test_sample_multi() {
    check("test_sample_multi.toml", 9, &[]);
}

/// Python eql 1.0.1's suite: the queries in Elasticsearch's dialect pass, but for the listed
/// dialect differences; the others are not portable (the front end rejects them).
#[test]
fn python_eql_1_0_1() {
    check(
        "../eql-pypi-1.0.1/test_queries.toml",
        // 74 before the unknown-column check: 5 queries that read a field no index has
        // (`bad_field`, `fake_field`, …) are now rejected, as Elasticsearch rejects them.
        69,
        eql_conformance::PYTHON_DIALECT,
    );
}

#[test]
fn test_missing_events() {
    check("test_missing_events.toml", 26, &[]);
}
