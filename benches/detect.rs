//! End-to-end throughput: generated Elastic Defend NDJSON through the `Detector` with the IMDS
//! rule, as `eql-detect` runs it (minus I/O).
//!
//! The generator is the binary's own (`src/gen.rs`), so the workload is the one the README and
//! the CLI tests describe. The alert count is checked against the generator's ground truth before
//! anything is timed: a fast wrong answer is not a result.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use eql_runtime::detector::{Config, Detector};
use eql_runtime::rule::Rule;

// The bench uses the generator only, not every helper of the CLI's modules; and with
// `harness = false` their `#[cfg(test)]` modules compile without their `#[test]` functions.
#[allow(dead_code, unused_imports)]
#[path = "../src/gen.rs"]
mod gen;
#[allow(dead_code, unused_imports)]
#[path = "../src/time.rs"]
mod time;

fn detector(prefilter: bool) -> Detector {
    let rule: Box<dyn Rule> = Box::new(eql_runtime::eql_rule!("rules/imds.eql"));
    let cfg = Config {
        alert_cap: false,
        prefilter,
        ..Config::default()
    };
    Detector::new(vec![rule], cfg).expect("the IMDS rule is supported")
}

fn run(det: &mut Detector, data: &[u8]) -> u64 {
    let mut alerts = 0u64;
    for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        det.push_line(line, &mut |_| alerts += 1);
    }
    det.finish(&mut |_| alerts += 1);
    alerts
}

fn bench(c: &mut Criterion) {
    let cfg = gen::GenConfig {
        events: 20_000,
        seed: 7,
        hosts: 200,
        inject_per_million: 1000,
    };
    let mut data = Vec::new();
    let truth = gen::generate(&cfg, &mut data).expect("writing to memory cannot fail");
    for prefilter in [true, false] {
        assert_eq!(
            run(&mut detector(prefilter), &data),
            truth.true_sequences,
            "prefilter {prefilter}: alerts differ from the injected sequences"
        );
    }

    let mut g = c.benchmark_group("imds");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    g.bench_function("detect/prefilter", |b| {
        b.iter(|| run(&mut detector(true), &data))
    });
    g.bench_function("detect/validate", |b| {
        b.iter(|| run(&mut detector(false), &data))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
