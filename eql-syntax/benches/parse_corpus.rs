//! Parsing (grammar + checks) of every rule of the Elastic corpus.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::PathBuf;

fn corpus() -> Vec<String> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/elastic-eql-rules.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the rule corpus is missing ({}): {e}", path.display()));
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["query"].as_str().map(str::to_string))
        .collect()
}

fn bench(c: &mut Criterion) {
    let rules = corpus();
    let bytes: usize = rules.iter().map(String::len).sum();
    // Count before timing: a benchmark of failing parses would measure the error path.
    let parsed = rules
        .iter()
        .filter(|q| eql_syntax::parse(q).is_ok())
        .count();
    assert_eq!(
        parsed, 1024,
        "every corpus rule must parse before it is timed"
    );

    let mut g = c.benchmark_group("parse_corpus");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("1024 rules (bytes)", |b| {
        b.iter(|| {
            rules
                .iter()
                .filter(|q| eql_syntax::parse(std::hint::black_box(q)).is_ok())
                .count()
        })
    });
    g.throughput(Throughput::Elements(rules.len() as u64));
    g.bench_function("1024 rules (rules)", |b| {
        b.iter(|| {
            rules
                .iter()
                .filter(|q| eql_syntax::parse(std::hint::black_box(q)).is_ok())
                .count()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
