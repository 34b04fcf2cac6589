//! `eql-detect kafka` against a real Kafka-compatible broker (tansu, in memory, on loopback).
//!
//! The generated Defend workload goes into a four-partition topic keyed by `host.id`; two
//! members of one consumer group run the bundled rules, one is killed (SIGKILL) mid-stream and a
//! replacement joins. The alerts in the alerts topic, de-duplicated by id, must be exactly the
//! single-process answer on the same events.
//!
//! The broker binary comes from `$TANSU`, `PATH` or `~/.cargo/bin`; `scripts/test.sh` (the
//! README's test command) installs it when it is missing.
#![cfg(feature = "kafka")]

use std::collections::{BTreeMap, BTreeSet};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_eql-detect");

fn tansu() -> PathBuf {
    if let Some(p) = std::env::var_os("TANSU") {
        return PathBuf::from(p);
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join("tansu"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the Kafka test needs the tansu broker: `cargo install tansu --features dynostore \
                 --locked` (scripts/test.sh does it), or set TANSU to its path"
            )
        })
}

/// One broker test at a time: each runs a broker and members, and on a small machine several
/// at once starve the members' heartbeats (group session timeouts) and the alert reader.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A broker on a free loopback port, killed when dropped.
struct Broker {
    child: Child,
    addr: String,
}

impl Broker {
    fn start() -> Broker {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let url = format!("tcp://{addr}");
        let child = Command::new(tansu())
            .args(["broker", "--storage-engine", "memory://tansu/"])
            .args(["--listener-url", &url, "--advertised-listener-url", &url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tansu starts");
        let broker = Broker { child, addr };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&broker.addr).is_err() {
            assert!(Instant::now() < deadline, "the broker listens");
            std::thread::sleep(Duration::from_millis(50));
        }
        broker
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills a process when dropped (so that a failing test leaves nothing running).
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("eql-detect runs");
    assert!(
        out.status.success(),
        "eql-detect {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eql-detect-kafka-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `eql-detect gen` into `dir/events.ndjson`: seeded Defend events with injected IMDS sequences.
fn generate(dir: &Path, events: u32, seed: u32, hosts: u32, inject_per_million: u32) -> PathBuf {
    let path = dir.join("events.ndjson");
    let (events, seed) = (events.to_string(), seed.to_string());
    let (hosts, inject) = (hosts.to_string(), inject_per_million.to_string());
    run(&[
        "gen",
        "--events",
        &events,
        "--seed",
        &seed,
        "--hosts",
        &hosts,
        "--inject-per-million",
        &inject,
        "-o",
        path.to_str().expect("utf-8 path"),
    ]);
    path
}

/// `kafka-produce` the file into a new topic.
fn produce(broker: &Broker, topic: &str, partitions: &str, key_field: &str, file: &Path) {
    let file = file.to_str().expect("utf-8 path");
    run(&[
        "kafka-produce",
        "-q",
        "--brokers",
        &broker.addr,
        "--topic",
        topic,
        "--partitions",
        partitions,
        "--key-field",
        key_field,
        file,
    ]);
}

/// A consumer-group member with the test's settings; it exits after 10 s without messages.
fn member(broker: &Broker, topic: &str, group: &str, stats: &Path, stderr: &Path) -> Guard {
    let child = Command::new(BIN)
        .args([
            "kafka",
            "--brokers",
            &broker.addr,
            "--topic",
            topic,
            "--group",
            group,
        ])
        .args([
            "--alerts-topic",
            "alerts",
            "--lateness",
            "1s",
            "--no-alert-cap",
        ])
        .args([
            "--idle-exit",
            "10s",
            "--commit-interval",
            "300ms",
            "--threads",
            "1",
        ])
        .args([
            "-X",
            "session.timeout.ms=6000",
            "-X",
            "heartbeat.interval.ms=500",
        ])
        .arg("--stats-json")
        .arg(stats)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(stderr).expect("stderr file"))
        .spawn()
        .expect("member starts");
    Guard(child)
}

fn wait(guard: &mut Guard, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Some(status) = guard.0.try_wait().expect("wait") {
            assert!(status.success(), "{what} exited with {status}");
            return;
        }
        assert!(Instant::now() < deadline, "{what} did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn stats(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("stats file")).expect("stats JSON")
}

/// Every message of the alerts topic: (key, value).
fn read_alerts(broker: &Broker) -> Vec<(String, Value)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .set("group.id", "alerts-reader")
        .set("enable.auto.commit", "false")
        .create()
        .expect("reader");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("alerts", 0, Offset::Beginning)
        .expect("partition");
    consumer.assign(&tpl).expect("assign");
    let mut out = Vec::new();
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_secs(3) {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let key = String::from_utf8(m.key().expect("alert key").to_vec()).expect("utf-8");
                let value = serde_json::from_slice(m.payload().expect("alert")).expect("JSON");
                out.push((key, value));
                quiet_since = Instant::now();
            }
            Some(Err(e)) => panic!("reading alerts: {e}"),
            None => {}
        }
    }
    out
}

#[test]
fn a_killed_member_loses_no_alert() {
    let _serial = one_at_a_time();
    let dir = tempdir("kill");
    let events = generate(&dir, 12000, 5, 40, 3000);
    // The single-process answer, with the members' lateness and no alert cap (the cap applies
    // per partition in a group).
    let single = run(&[
        "--lateness",
        "1s",
        "--no-alert-cap",
        "--format",
        "ndjson",
        "-q",
        events.to_str().unwrap(),
    ]);
    let expected: BTreeMap<String, Value> = String::from_utf8(single.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["kibana.alert.uuid"].as_str().unwrap().to_owned(), v)
        })
        .collect();
    assert!(expected.len() > 100, "the workload alerts");

    let broker = Broker::start();
    produce(&broker, "events", "4", "host.id", &events);
    let mut a = member(
        &broker,
        "events",
        "detect",
        &dir.join("a.json"),
        &dir.join("a.err"),
    );
    std::thread::sleep(Duration::from_secs(1));
    let b_err = dir.join("b.err");
    let mut b = member(&broker, "events", "detect", &dir.join("b.json"), &b_err);
    // Kill B once it is reading: mid-stream, with alerts sent and offsets uncommitted.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&b_err)
        .unwrap_or_default()
        .contains("reading from offset")
    {
        assert!(Instant::now() < deadline, "B got partitions");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    b.0.kill().expect("SIGKILL");
    b.0.wait().expect("reaped");
    assert!(
        !dir.join("b.json").exists(),
        "B was killed before it finished"
    );
    // A replacement joins, as a restarted member would.
    std::thread::sleep(Duration::from_secs(1));
    let mut c = member(
        &broker,
        "events",
        "detect",
        &dir.join("c.json"),
        &dir.join("c.err"),
    );
    wait(&mut a, "member A");
    wait(&mut c, "member C");

    let alerts = read_alerts(&broker);
    let mut got: BTreeMap<String, Value> = BTreeMap::new();
    for (key, value) in &alerts {
        assert_eq!(
            Some(key.as_str()),
            value["kibana.alert.uuid"].as_str(),
            "key is the id"
        );
        if let Some(earlier) = got.insert(key.clone(), value.clone()) {
            // A duplicate is a replay of the same detection: the same document.
            assert_eq!(&earlier, value, "one id, one alert");
        }
    }
    let missing: BTreeSet<_> = expected.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: BTreeSet<_> = got.keys().filter(|k| !expected.contains_key(*k)).collect();
    let (sa, sc) = (stats(&dir.join("a.json")), stats(&dir.join("c.json")));
    eprintln!(
        "{} alerts expected; the topic holds {} ({} distinct, {} replayed duplicates); \
         messages read: A {}, C {}",
        expected.len(),
        alerts.len(),
        got.len(),
        alerts.len() - got.len(),
        sa["kafka"]["messages"],
        sc["kafka"]["messages"]
    );
    assert!(missing.is_empty(), "alerts lost: {missing:?}");
    assert!(
        extra.is_empty(),
        "alerts the single process does not give: {extra:?}"
    );
    assert_eq!(got, expected);
    for s in [&sa, &sc] {
        assert_eq!(s["kafka"]["key_mismatch"], 0);
        assert_eq!(s["kafka"]["unkeyed"], 0);
        assert_eq!(s["kafka"]["split_keys"], 0);
        assert_eq!(
            s["lines"], s["kafka"]["messages"],
            "every message accounted for"
        );
    }
    assert!(
        sa["kafka"]["revoked"].as_u64() > Some(0),
        "A went through rebalances"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_topic_not_keyed_by_host_is_reported() {
    let _serial = one_at_a_time();
    let dir = tempdir("keys");
    let events = generate(&dir, 2000, 9, 10, 1000);
    let broker = Broker::start();
    // Keyed by process, not host: a host's events spread over the partitions.
    produce(&broker, "by-process", "3", "process.entity_id", &events);
    let stats_path = dir.join("m.json");
    let out = Command::new(BIN)
        .args(["kafka", "--brokers", &broker.addr, "--topic", "by-process"])
        .args([
            "--group",
            "keys",
            "--idle-exit",
            "3s",
            "--select",
            "file:rules/imds.eql",
        ])
        .arg("--stats-json")
        .arg(&stats_path)
        .output()
        .expect("member runs");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WARNING"), "said loudly: {stderr}");
    let s = stats(&stats_path);
    assert_eq!(s["kafka"]["messages"], 2000);
    assert!(s["kafka"]["key_mismatch"].as_u64() > Some(1000), "{s}");
    assert!(s["kafka"]["split_keys"].as_u64() > Some(100), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--rule-file` works in a member as in a file run: a rule written after the build, run by the
/// interpreter in every partition's detector, gives the file run's alerts; a missing-event rule
/// file is named as one a stream cannot run.
#[test]
fn a_member_runs_rule_files() {
    let _serial = one_at_a_time();
    let dir = tempdir("rule-file");
    let events = generate(&dir, 3000, 11, 12, 5000);
    let seq = dir.join("start-then-imds.eql");
    std::fs::write(
        &seq,
        "sequence by host.id with maxspan=1s\n  [process where event.type == \"start\"]\n  \
         [network where destination.ip == \"169.254.169.254\"]\n",
    )
    .unwrap();
    let missing = dir.join("missing.eql");
    std::fs::write(
        &missing,
        "sequence by host.id with maxspan=10s\n  [process where true]\n  ![file where true]\n  \
         [network where true]\n",
    )
    .unwrap();
    let rule_args = [
        "--no-builtin-rules",
        "--rule-file",
        seq.to_str().unwrap(),
        "--lateness",
        "1s",
        "--no-alert-cap",
    ];
    let ids = |ndjson: &[u8]| -> BTreeSet<String> {
        String::from_utf8_lossy(ndjson)
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("alert JSON");
                v["kibana.alert.uuid"].as_str().expect("id").to_owned()
            })
            .collect()
    };
    let mut file_args = rule_args.to_vec();
    file_args.extend(["--format", "ndjson", "-q", events.to_str().unwrap()]);
    let expected = ids(&run(&file_args).stdout);
    assert!(expected.len() >= 5, "the workload matches the rule file");

    let broker = Broker::start();
    produce(&broker, "rule-file", "3", "host.id", &events);
    let out = Command::new(BIN)
        .args(["kafka", "--brokers", &broker.addr, "--topic", "rule-file"])
        .args(["--group", "rule-file", "--idle-exit", "3s"])
        .args(rule_args)
        .args(["--rule-file", missing.to_str().unwrap()])
        .args(["--format", "ndjson"])
        .output()
        .expect("member runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 rule(s) answer only when the input ends"),
        "{stderr}"
    );
    assert_eq!(ids(&out.stdout), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits until the file at `path` satisfies `pred`, and returns its text.
fn wait_for(path: &Path, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if pred(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "waiting for {what}; so far:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A member reloads its `--rule-dir` while it runs, even with no message arriving: a changed
/// rule runs its new version on the next messages, an unchanged sequence keeps its pending
/// state, and a broken edit is reported while the previous version keeps running.
#[test]
fn a_member_reloads_its_rule_dir() {
    let _serial = one_at_a_time();
    let dir = tempdir("reload");
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let rule = |name: &str, id: &str, query: &str| {
        format!("/*\n[rule]\nname = \"{name}\"\nrule_id = \"{id}\"\nseverity = \"low\"\nrisk_score = 21\n*/\n{query}\n")
    };
    let single = rules.join("single.eql");
    let write_single = |name: &str| {
        let q = format!("process where process.name == \"{name}\"");
        std::fs::write(&single, rule("Single", "single", &q)).unwrap();
    };
    write_single("a");
    std::fs::write(
        rules.join("pair.eql"),
        rule(
            "Pair",
            "pair",
            "sequence by host.id\n  [process where process.name == \"s1\"]\n  [process where process.name == \"s2\"]",
        ),
    )
    .unwrap();
    let events = |name: &str, names: &[&str], first_ms: u64| {
        let path = dir.join(name);
        let lines: String = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let ms = first_ms + i as u64;
                format!(
                    "{{\"@timestamp\":\"2024-10-18T12:00:{:02}.{:03}Z\",\"event\":{{\"category\":[\"process\"]}},\"host\":{{\"id\":\"h1\"}},\"process\":{{\"name\":\"{n}\"}}}}\n",
                    ms / 1000,
                    ms % 1000
                )
            })
            .collect();
        std::fs::write(&path, lines).unwrap();
        path
    };
    let broker = Broker::start();
    produce(
        &broker,
        "reload",
        "1",
        "host.id",
        &events("first.ndjson", &["a", "s1"], 0),
    );
    let (out, err) = (dir.join("alerts.ndjson"), dir.join("stderr.txt"));
    let mut member = Guard(
        Command::new(BIN)
            .args(["kafka", "--brokers", &broker.addr, "--topic", "reload"])
            .args([
                "--group",
                "reload",
                "--idle-exit",
                "20s",
                "--lateness",
                "0s",
            ])
            .args(["--commit-interval", "300ms"])
            .args(["--no-builtin-rules", "--rule-dir", rules.to_str().unwrap()])
            .args(["--format", "ndjson"])
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .expect("member starts"),
    );
    wait_for(&out, "the first alert", |t| t.lines().count() == 1);
    write_single("b");
    wait_for(&err, "the reload", |t| t.contains("rules reloaded"));
    std::fs::write(
        &single,
        "/*\n[rule]\nname = \"Single\"\n*/\nprocess where process.name = \"c\"\n",
    )
    .unwrap();
    wait_for(&err, "the failed reload", |t| {
        t.contains("reload failed; the previous rules keep running")
    });
    produce(
        &broker,
        "reload",
        "1",
        "host.id",
        &events("second.ndjson", &["a", "b", "s2", "c"], 10),
    );
    wait_for(&out, "the alerts after the reload", |t| {
        t.lines().count() == 3
    });
    let pid = member.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    wait(&mut member, "the member");
    let names: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("alert JSON");
            v["kibana.alert.rule.name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert_eq!(names, ["Single", "Single", "Pair"], "{stderr}");
    assert!(
        stderr.contains("rules reloaded: 1 unchanged, 1 changed (Single)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("single.eql:5:"),
        "the error points into the file: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
