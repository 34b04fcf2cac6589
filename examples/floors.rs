//! Hardware and parsing floors for an NDJSON file: how fast can anything read it?
//!
//! `cargo run --release --example floors -- FILE.ndjson` prints, for the same bytes in memory:
//! a memchr newline scan, `serde_json` into `IgnoredAny` (full validation, nothing kept), and a
//! typed `serde_json` parse of only the fields the IMDS rule reads. The comparison script
//! (`scripts/compare.sh`) puts these beside `eql-detect`.

use std::time::Instant;

use serde::de::IgnoredAny;
use serde::Deserialize;

/// Only the fields the IMDS rule reads (nested form, as Elastic Defend writes them).
#[derive(Deserialize)]
#[allow(dead_code)] // Parsed to measure the parse; never read.
struct Doc<'a> {
    #[serde(rename = "@timestamp", borrow)]
    timestamp: Option<&'a str>,
    #[serde(borrow)]
    event: Option<EventF<'a>>,
    #[serde(borrow)]
    host: Option<Host<'a>>,
    #[serde(borrow)]
    process: Option<Process<'a>>,
    #[serde(borrow)]
    destination: Option<Dest<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct EventF<'a> {
    #[serde(borrow)]
    category: Option<Vec<&'a str>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Vec<&'a str>>,
    action: Option<&'a str>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Host<'a> {
    id: Option<&'a str>,
    #[serde(borrow)]
    os: Option<Os<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Os<'a> {
    #[serde(rename = "type")]
    kind: Option<&'a str>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Process<'a> {
    name: Option<std::borrow::Cow<'a, str>>,
    executable: Option<std::borrow::Cow<'a, str>>,
    command_line: Option<std::borrow::Cow<'a, str>>,
    working_directory: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    parent: Option<Parent<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Parent<'a> {
    entity_id: Option<&'a str>,
    executable: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Dest<'a> {
    ip: Option<&'a str>,
}

fn time<F: FnMut() -> usize>(name: &str, bytes: usize, mut f: F) {
    let mut best = f64::MAX;
    let mut count = 0;
    for _ in 0..3 {
        let t = Instant::now();
        count = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{name}\t{:.3}\t{:.0}\t{count}",
        best,
        bytes as f64 / best / 1e6
    );
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: floors FILE.ndjson");
        std::process::exit(2);
    };
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("floors: {path}: {e}");
            std::process::exit(1);
        }
    };
    let lines = || data.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    println!("floor\tseconds\tMB/s\tcount");
    time("memchr newline scan", data.len(), || {
        memchr::memchr_iter(b'\n', &data).count()
    });
    time("serde_json IgnoredAny", data.len(), || {
        lines()
            .filter(|l| serde_json::from_slice::<IgnoredAny>(l).is_ok())
            .count()
    });
    time("serde_json typed (rule fields)", data.len(), || {
        lines()
            .filter(|l| serde_json::from_slice::<Doc<'_>>(l).is_ok())
            .count()
    });
}
