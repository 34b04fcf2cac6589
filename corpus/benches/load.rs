//! Loading all 1,024 corpus rules at run time, as `--rule-dir` loads a directory: read nothing
//! (the files are in memory), then parse, check, lower and build each rule, and place them all
//! in one set with one schema.
//!
//! `cargo bench -p eql-corpus --bench load`. The load is checked (every rule, none rejected)
//! before it is timed.

use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let root = eql_corpus::rule_dir();
    let files: Vec<(String, String)> = eql_corpus::paths()
        .map(|p| {
            let text = std::fs::read_to_string(format!("{root}/{p}")).expect("rule file");
            (p.to_owned(), text)
        })
        .collect();
    let load_all = || {
        let loaded: Vec<eql_eval::Loaded> = files
            .iter()
            .map(|(path, text)| {
                eql_eval::load(path, text, &eql_eval::Options::default())
                    .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect();
        eql_eval::loaded_set(loaded)
    };
    assert_eq!(load_all().len(), eql_corpus::CORPUS_RULES);
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.bench_function("corpus_1024_rules", |b| b.iter(load_all));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
