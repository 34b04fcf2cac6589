//! The compiled IMDS rule on generated Elastic Defend data: the stage predicates per event
//! (decode + evaluate), and the whole detector (prefilter on and off, one and two threads);
//! then the whole bundled rule set (IMDS and Elastic's 327 Linux Elastic Defend rules, one
//! `eql_rules!` engine) beside IMDS alone, and the same rule files loaded at run time (what
//! `--rule-dir rules` runs).
//!
//! `cargo bench --bench imds`. Every benchmark checks its result count before it is timed.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use eql_runtime::detector::{Config, Detector};
use eql_runtime::event::Doc;
use eql_runtime::rule::Rule;

// The workload generator of `eql-detect gen`.
use eql_gen as gen;

// The binary's bundled rule set.
eql_runtime::eql_rules!(mod bundled = "rules");

const IMDS: &str = "Unusual Instance Metadata Service (IMDS) API Request";

/// A rule set over the lines; returns the IMDS rule's alerts and all alerts.
fn detect_set(rules: Vec<Box<dyn Rule>>, lines: &[&[u8]], threads: usize) -> (u64, u64) {
    let cfg = Config {
        alert_cap: false,
        lateness_nanos: u64::MAX,
        ..Config::default()
    };
    let mut det = Detector::new(rules, cfg).expect("runs");
    let (mut imds, mut all) = (0, 0);
    let mut count = |a: eql_runtime::detector::Alert| {
        imds += u64::from(a.rule.name == IMDS);
        all += 1;
    };
    for chunk in lines.chunks(4096) {
        det.push_batch(chunk, threads, &mut count);
    }
    det.finish(&mut count);
    (imds, all)
}

/// The bundled rule files, loaded at run time.
fn loaded_set() -> Vec<eql_eval::LoadedRule> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let rules = eql_eval::load_dir(dir.as_ref(), &eql_eval::Options::default())
        .unwrap_or_else(|e| panic!("bundled rules load: {}", e.join("\n")));
    eql_eval::loaded_set(rules)
}

fn boxed(rules: &[eql_eval::LoadedRule]) -> Vec<Box<dyn Rule>> {
    rules
        .iter()
        .map(|r| Box::new(r.clone()) as Box<dyn Rule>)
        .collect()
}

fn workload(events: u64) -> (Vec<u8>, gen::Truth) {
    let cfg = gen::GenConfig {
        events,
        seed: 7,
        ..gen::GenConfig::default()
    };
    let mut data = Vec::new();
    let truth = gen::generate(&cfg, &mut data).expect("generates");
    (data, truth)
}

fn detect(lines: &[&[u8]], prefilter: bool, threads: usize) -> u64 {
    // Unbounded lateness, as for files: the only setting where the prefilter applies.
    let cfg = Config {
        prefilter,
        alert_cap: false,
        lateness_nanos: u64::MAX,
        ..Config::default()
    };
    let rule = eql_runtime::eql_rule!("rules/imds.eql");
    let mut det = Detector::new(vec![Box::new(rule)], cfg).expect("runs");
    let mut alerts = 0;
    if threads == 1 {
        for l in lines {
            det.push_line(l, &mut |_| alerts += 1);
        }
    } else {
        for chunk in lines.chunks(4096) {
            det.push_batch(chunk, threads, &mut |_| alerts += 1);
        }
    }
    det.finish(&mut |_| alerts += 1);
    alerts
}

fn bench(c: &mut Criterion) {
    let (data, truth) = workload(50_000);
    let lines: Vec<&[u8]> = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len() as u64, truth.events);

    // Stage predicates: decode the rule's fields and evaluate both stages, per event.
    let rule = eql_runtime::eql_rule!("rules/imds.eql");
    let mut doc = Doc::new();
    let mut stage_hits = [0u64; 2];
    for l in &lines {
        let ev = doc
            .parse(rule.schema(), l)
            .expect("generated lines are valid");
        let mask = rule.eval(&ev);
        stage_hits[0] += mask & 1;
        stage_hits[1] += (mask >> 1) & 1;
    }
    assert!(stage_hits[0] >= truth.true_sequences && stage_hits[1] >= truth.true_sequences);

    let mut g = c.benchmark_group("imds");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    g.bench_function("decode_and_eval", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for l in &lines {
                if let Ok(ev) = doc.parse(rule.schema(), l) {
                    n += u64::from(rule.eval(&ev) != 0);
                }
            }
            n
        })
    });

    // The whole detector: every configuration finds exactly the injected sequences.
    for (name, prefilter, threads) in [
        ("detector/decode_all", false, 1),
        ("detector/prefilter", true, 1),
        ("detector/prefilter_2_threads", true, 2),
    ] {
        assert_eq!(
            detect(&lines, prefilter, threads),
            truth.true_sequences,
            "{name} finds the injected sequences"
        );
        g.bench_function(name, |b| {
            b.iter_batched(
                || (),
                |()| detect(&lines, prefilter, threads),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();

    // The bundled set in one engine, beside IMDS alone, on the same lines.
    let mut g = c.benchmark_group("rule_set");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    assert_eq!(detect(&lines, true, 1), truth.true_sequences);
    g.bench_function("imds_only", |b| {
        b.iter_batched(|| (), |()| detect(&lines, true, 1), BatchSize::PerIteration)
    });
    let loaded = loaded_set();
    assert_eq!(loaded.len(), bundled::COUNT);
    // Both back ends raise the same alerts, every rule's, before either is timed.
    let compiled_alerts = detect_set(bundled::rules(), &lines, 1);
    assert_eq!(compiled_alerts.0, truth.true_sequences);
    assert_eq!(detect_set(boxed(&loaded), &lines, 1), compiled_alerts);
    for (name, threads) in [("all_328_rules", 1), ("all_328_rules_2_threads", 2)] {
        assert_eq!(
            detect_set(bundled::rules(), &lines, threads),
            compiled_alerts,
            "{name}: the same alerts on any number of threads"
        );
        g.bench_function(name, |b| {
            b.iter_batched(
                bundled::rules,
                |rules| detect_set(rules, &lines, threads),
                BatchSize::PerIteration,
            )
        });
    }
    g.bench_function("all_328_rules_loaded", |b| {
        b.iter_batched(
            || boxed(&loaded),
            |rules| detect_set(rules, &lines, 1),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
