//! The sequence engine on its own: hits in, completed sequences out.
//!
//! A seeded stream over many keys: most keys open a sequence that never completes (the common
//! case of a suspicious-looking process start with no follow-up), a few complete.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use eql_runtime::seq::{Hit, Key, Ordinal, SeqEvent, SequenceEngine};

fn key(i: u64) -> Key {
    vec![
        Some(Box::<str>::from(format!("host-{}", i % 512))),
        Some(Box::from(format!("parent-{i}"))),
    ]
    .into_boxed_slice()
}

/// Every 10th event is a second stage for the parent opened 0.9 ms before; the rest stay pending.
fn stream(n: u64) -> (Vec<Hit>, u64) {
    let doc: Arc<str> = Arc::from("{\"@timestamp\":\"2024-10-18T12:00:00Z\"}");
    let mut hits = Vec::with_capacity(n as usize);
    let mut expected = 0;
    for i in 0..n {
        let ts = i as i64 * 100_000; // 0.1 ms apart
        let (stage, parent) = if i % 10 == 9 { (1, i - 9) } else { (0, i) };
        if stage == 1 {
            expected += 1;
        }
        hits.push(Hit {
            event: SeqEvent {
                ordinal: Ordinal {
                    timestamp: ts,
                    tiebreaker: None,
                    arrival: i,
                },
                raw: doc.clone(),
            },
            stages: vec![(stage, vec![key(parent)])],
            until: vec![],
        });
    }
    (hits, expected)
}

fn bench(c: &mut Criterion) {
    let (hits, expected) = stream(100_000);
    let run = |hits: &[Hit]| {
        let mut engine = SequenceEngine::new(2, Some(1_000_000_000), 64 << 20);
        let mut done = 0u64;
        for h in hits {
            engine.push(h.clone(), &mut |_| done += 1);
        }
        done
    };
    assert_eq!(
        run(&hits),
        expected,
        "the stream must complete the planted sequences"
    );
    let mut g = c.benchmark_group("seq");
    g.throughput(Throughput::Elements(hits.len() as u64));
    g.bench_function("imds_shape_100k_hits", |b| b.iter(|| run(&hits)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
