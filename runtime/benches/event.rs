//! Decoding throughput: the IMDS rule's fields from realistic Elastic Defend documents,
//! against `serde_json` skipping the same lines (`IgnoredAny`) and building a `Value`.
//!
//! Templates come from `$EQL_CORPUS` or `testdata/ecs-samples` in this repository.

use std::path::{Path, PathBuf};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use eql_runtime::event::{lookup_in, Doc, DynSchema, Lookup, Schema};

const FIELDS: &[&str] = &[
    "@timestamp",
    "event.category",
    "host.os.type",
    "event.type",
    "event.action",
    "process.name",
    "process.executable",
    "process.command_line",
    "process.working_directory",
    "process.parent.executable",
    "host.id",
    "process.parent.entity_id",
    "destination.ip",
];

/// What the compiler generates for these fields: one `match` over full paths.
fn imds_lookup(p: &[u8]) -> Lookup {
    match p {
        b"@timestamp" => Lookup::Field(0),
        b"event.category" => Lookup::Field(1),
        b"host.os.type" => Lookup::Field(2),
        b"event.type" => Lookup::Field(3),
        b"event.action" => Lookup::Field(4),
        b"process.name" => Lookup::Field(5),
        b"process.executable" => Lookup::Field(6),
        b"process.command_line" => Lookup::Field(7),
        b"process.working_directory" => Lookup::Field(8),
        b"process.parent.executable" => Lookup::Field(9),
        b"host.id" => Lookup::Field(10),
        b"process.parent.entity_id" => Lookup::Field(11),
        b"destination.ip" => Lookup::Field(12),
        b"event" | b"host" | b"host.os" | b"process" | b"process.parent" | b"destination" => {
            Lookup::Prefix
        }
        _ => Lookup::Miss,
    }
}

static IMDS: Schema = Schema {
    fields: FIELDS,
    lookup: &imds_lookup,
    timestamp: 0,
    null_values: &[],
};

fn corpus_dir() -> PathBuf {
    match std::env::var_os("EQL_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/ecs-samples"),
    }
}

fn templates() -> Vec<serde_json::Value> {
    let root = corpus_dir();
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        root.join("constructed"),
        root.join("elastic-endpoint-package/package/endpoint/data_stream/process"),
        root.join("elastic-endpoint-package/package/endpoint/data_stream/network"),
        root.join("elastic-endpoint-package/schemas/examples/v1"),
    ] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let wanted = dir.ends_with("v1")
                && (name.starts_with("process_") || name.starts_with("network_"))
                || !dir.ends_with("v1") && name.ends_with(".json");
            if wanted {
                files.push(p);
            }
        }
    }
    files.sort();
    let docs: Vec<serde_json::Value> = files
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .filter(|v: &serde_json::Value| v.is_object())
        .collect();
    assert!(
        !docs.is_empty(),
        "no templates under {}; set EQL_CORPUS",
        root.display()
    );
    docs
}

/// NDJSON lines: the templates in turn, each with its own sequence number and pid.
fn corpus(n: usize) -> Vec<Vec<u8>> {
    let t = templates();
    (0..n)
        .map(|i| {
            let mut v = t[i % t.len()].clone();
            if let Some(ev) = v.get_mut("event").and_then(|e| e.as_object_mut()) {
                ev.insert("sequence".into(), i.into());
            }
            if let Some(p) = v.get_mut("process").and_then(|e| e.as_object_mut()) {
                p.insert("pid".into(), (1000 + i).into());
            }
            serde_json::to_vec(&v).expect("serialisable")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let lines = corpus(2000);
    let bytes: usize = lines.iter().map(Vec::len).sum();
    let dyn_schema = DynSchema::new(FIELDS.iter().map(|s| s.to_string()).collect());

    // Check the work before timing it: every line decodes, every field is where serde sees it.
    let mut doc = Doc::new();
    let mut values = 0usize;
    for line in &lines {
        let ev = doc.parse(&IMDS, line).expect("valid line");
        let v: serde_json::Value = serde_json::from_slice(line).expect("valid line");
        for (f, name) in FIELDS.iter().enumerate() {
            let mut node = Some(&v);
            for part in name.split('.') {
                node = node.and_then(|n| n.get(part));
            }
            let want = match node {
                Some(serde_json::Value::Array(a)) => a.iter().filter(|x| !x.is_null()).count(),
                Some(serde_json::Value::Null) | Some(serde_json::Value::Object(_)) | None => 0,
                Some(_) => 1,
            };
            assert_eq!(ev.values(f as u16).count(), want, "{name}");
            values += want;
        }
        assert!(ev.has(0), "every template has @timestamp");
    }
    assert!(
        values >= lines.len() * 4,
        "too few values decoded: {values}"
    );
    for p in ["process", "process.parent.entity_id", "x"] {
        assert_eq!(imds_lookup(p.as_bytes()), lookup_in(FIELDS, p.as_bytes()));
    }
    eprintln!(
        "corpus: {} lines, {:.1} KB average, {values} values of {} fields",
        lines.len(),
        bytes as f64 / lines.len() as f64 / 1024.0,
        FIELDS.len()
    );

    let mut g = c.benchmark_group("decode_imds");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("doc_parse_static_schema", |b| {
        let mut doc = Doc::new();
        b.iter(|| {
            let mut n = 0usize;
            for line in &lines {
                if let Ok(ev) = doc.parse(&IMDS, line) {
                    n += usize::from(ev.any_text(5, |s| s == "curl"));
                }
            }
            black_box(n)
        })
    });
    g.bench_function("doc_parse_dyn_schema", |b| {
        let mut doc = Doc::new();
        b.iter(|| {
            let mut n = 0usize;
            for line in &lines {
                if let Ok(ev) = doc.parse(&dyn_schema, line) {
                    n += usize::from(ev.has(0));
                }
            }
            black_box(n)
        })
    });
    let nothing = DynSchema::new(Vec::new());
    g.bench_function("doc_parse_no_fields", |b| {
        let mut doc = Doc::new();
        b.iter(|| {
            let mut n = 0usize;
            for line in &lines {
                n += usize::from(doc.parse(&nothing, line).is_ok());
            }
            black_box(n)
        })
    });
    g.bench_function("serde_json_ignored_any", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for line in &lines {
                n += usize::from(
                    serde_json::from_slice::<serde::de::IgnoredAny>(black_box(line)).is_ok(),
                );
            }
            black_box(n)
        })
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for line in &lines {
                n += usize::from(serde_json::from_slice::<serde_json::Value>(line).is_ok());
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
