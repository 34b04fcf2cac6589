//! A rule compiled into your own program, run over NDJSON on standard input:
//! `cargo run --release --example library < events.ndjson`.

use std::io::{self, BufRead};

use eql_runtime::detector::{Alert, Config, Detector};

// The path is relative to the crate's Cargo.toml, and cargo rebuilds when the file changes. A
// mistake in the rule is a compile error that points into the file (`rules/imds.eql:12:5`).
eql_runtime::eql_rule!(struct Imds = "rules/imds.eql");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut detector = Detector::new(vec![Box::new(Imds)], Config::default())?;
    let mut report = |alert: Alert| println!("{}: {:?}", alert.rule.name, alert.keys);
    for line in io::stdin().lock().lines() {
        detector.push_line(line?.as_bytes(), &mut report);
    }
    // Events still waiting for a later one (the reorder buffer) are decided now.
    detector.finish(&mut report);
    eprintln!("{} lines read", detector.stats().lines);
    Ok(())
}
