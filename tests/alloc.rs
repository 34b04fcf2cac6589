//! The IMDS rule's hot path allocates nothing per event: decoding and evaluating any event, and
//! the detector's handling of every event that matches no stage (the vast majority).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use eql_runtime::detector::{Config, Detector};
use eql_runtime::event::Doc;
use eql_runtime::rule::Rule;

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // Only the measuring thread counts: tests run in parallel on other threads.
    static MEASURING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn count() {
    if MEASURING.with(|m| m.get()) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const EXEC: &str = r#"{"@timestamp":"2024-10-18T12:00:00.123456789Z","event":{"category":["process"],"type":["start"],"action":"exec"},"host":{"id":"h1","os":{"type":"linux"}},"process":{"name":"c\u0075rl","executable":"\/usr\/bin\/curl","command_line":"curl http://169.254.169.254/latest/meta-data/","working_directory":"/home/u","parent":{"entity_id":"p1","executable":"/bin/bash"}}}"#;
const NET: &str = r#"{"@timestamp":"2024-10-18T12:00:00.5Z","event":{"category":["network"],"type":["start"],"action":"connection_attempted"},"host":{"id":"h1","os":{"type":"linux"}},"destination":{"ip":"::ffff:169.254.169.254","port":80},"process":{"parent":{"entity_id":"p1"}}}"#;
const BENIGN: &[&str] = &[
    r#"{"@timestamp":"2024-10-18T12:00:01Z","event":{"category":["process"],"type":["start"],"action":"exec"},"host":{"id":"h2","os":{"type":"linux"}},"process":{"name":"bash","executable":"/bin/bash","command_line":"bash -l","args":["bash","-l"],"parent":{"entity_id":"p9","executable":"/usr/sbin/sshd"}}}"#,
    r#"{"@timestamp":"2024-10-18T12:00:02Z","event":{"category":["network"],"type":["start"],"action":"connection_accepted"},"host":{"id":"h2","os":{"type":"linux"}},"destination":{"ip":"10.0.0.7","port":22},"process":{"name":"sshd","parent":{"entity_id":"p1"}}}"#,
    r#"{"@timestamp":"2024-10-18T12:00:03Z","event":{"category":["file"],"type":["creation"],"action":"creation"},"host":{"id":"h3","os":{"type":"linux"}},"file":{"path":"\/var\/log\/syslog.1","name":"syslog.1"},"process":{"name":"logrotate"}}"#,
];

/// Measurements run one at a time: the count is global, only the switch is per thread.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCS.load(Ordering::Relaxed);
    MEASURING.with(|m| m.set(true));
    f();
    MEASURING.with(|m| m.set(false));
    ALLOCS.load(Ordering::Relaxed) - before
}

#[test]
fn the_counter_counts() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    assert!(allocations(|| drop(std::hint::black_box(vec![1u8; 64]))) >= 1);
}

#[test]
fn decoding_and_evaluating_allocate_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rule = eql_runtime::eql_rule!("rules/imds.eql");
    let mut doc = Doc::new();
    let lines: Vec<&str> = [EXEC, NET].iter().chain(BENIGN).copied().collect();
    // Warm up: scratch buffers grow once, lazily built matchers are built once.
    let mut masks = Vec::new();
    for l in &lines {
        let ev = doc.parse(rule.schema(), l.as_bytes()).expect("valid");
        masks.push(rule.eval(&ev));
    }
    assert_eq!(
        masks,
        [0b01, 0b10, 0, 0, 0],
        "stage masks of the sample events"
    );
    let n = allocations(|| {
        for _ in 0..1000 {
            for l in &lines {
                let ev = doc.parse(rule.schema(), l.as_bytes()).expect("valid");
                std::hint::black_box(rule.eval(&ev));
            }
        }
    });
    assert_eq!(
        n, 0,
        "allocations while decoding and evaluating 5000 events"
    );
}

#[test]
fn the_detector_allocates_nothing_for_events_that_match_no_stage() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for prefilter in [false, true] {
        let cfg = Config {
            prefilter,
            ..Config::default()
        };
        let mut det = Detector::new(
            vec![Box::new(eql_runtime::eql_rule!("rules/imds.eql"))],
            cfg,
        )
        .expect("runs");
        let mut alerts = 0;
        for l in [EXEC, NET].iter().chain(BENIGN) {
            det.push_line(l.as_bytes(), &mut |_| alerts += 1);
        }
        let n = allocations(|| {
            for _ in 0..1000 {
                for l in BENIGN {
                    det.push_line(l.as_bytes(), &mut |_| alerts += 1);
                }
            }
        });
        assert_eq!(
            n, 0,
            "allocations for 3000 non-matching events (prefilter {prefilter})"
        );
        assert_eq!(det.stats().evaluated, 3005);
        det.finish(&mut |_| alerts += 1);
        assert_eq!(alerts, 1, "the sequence is still found");
    }
}
