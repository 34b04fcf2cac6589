//! Decoding allocates nothing once a `Doc` has warmed up.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use eql_runtime::event::{Doc, DynSchema, Lookup, Schema};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn lookup(p: &[u8]) -> Lookup {
    match p {
        b"@timestamp" => Lookup::Field(0),
        b"process.name" => Lookup::Field(1),
        b"process.args" => Lookup::Field(2),
        b"process" => Lookup::Prefix,
        _ => Lookup::Miss,
    }
}

static SCHEMA: Schema = Schema {
    fields: &["@timestamp", "process.name", "process.args"],
    lookup: &lookup,
    timestamp: 0,
    null_values: &[],
};

const LINES: &[&[u8]] = &[
    br#"{"@timestamp":"2024-10-18T12:00:00Z","process":{"name":"c\u0075rl","args":["curl","-s","http:\/\/169.254.169.254\/"],"pid":7},"host":{"name":"h"}}"#,
    br#"{"@timestamp":1729252800000,"process.name":"wget","process":{"args":[["a"],"b\n"]}}"#,
    br#"{"process":{"name":null}}"#,
];

#[test]
fn no_allocation_after_warm_up() {
    let dyn_schema = DynSchema::new(vec![
        "@timestamp".into(),
        "process.name".into(),
        "process.args".into(),
    ]);
    let mut doc = Doc::new();
    let mut texts = 0usize;
    for round in 0..3 {
        let before = ALLOCS.load(Ordering::Relaxed);
        for line in LINES {
            let ev = doc.parse(&SCHEMA, line).expect("valid");
            texts += ev.texts(2).count() + ev.texts(1).count();
            let ev = doc.parse(&dyn_schema, line).expect("valid");
            texts += ev.texts(2).count() + ev.texts(1).count();
            assert!(doc.parse(&SCHEMA, b"{\"process\":{\"name\":").is_err());
        }
        let after = ALLOCS.load(Ordering::Relaxed);
        if round > 0 {
            assert_eq!(after, before, "round {round} allocated");
        }
    }
    // Per round and schema: 3 args + 1 name, 2 args + 1 name, nothing.
    assert_eq!(texts, 3 * 2 * 7);
}
