//! `eql-detect kafka`: one member of a Kafka consumer group running the compiled rules, and
//! `eql-detect kafka-produce`: NDJSON into a topic, keyed by the field sequences join on.
//!
//! EQL sequences are keyed (`by host.id, …`), so a topic keyed by `host.id` partitions the
//! problem: every event of a host lands in one partition, read by one member of the group. Each
//! assigned partition gets its own [`Detector`] (state per key, as for a file), numbered by the
//! partition's offsets, so that a replay from an offset rebuilds exactly the same state and
//! alerts.
//!
//! Delivery without loss (at least once, duplicates recognisable):
//! - A partition's committed offset is the oldest message whose effects are not final: the
//!   oldest event a pending sequence or the reorder buffer still holds
//!   ([`Detector::oldest_held`]), or else the next message. Alerts are flushed (written to
//!   stdout, acknowledged by the alerts topic's brokers) before the offsets that produced them
//!   are committed.
//! - A member that restarts, or takes over a partition in a rebalance, resumes from the
//!   committed offset and replays the window still open there (in practice the last maxspan +
//!   lateness), rebuilding the state the previous owner held.
//! - Alerts replayed that way come out again with the same `kibana.alert.uuid` (a hash of the
//!   rule and the events), so indexing them into Elasticsearch by `_id` is idempotent.
//!
//! The partitioning assumption is checked as messages arrive: a message whose key is not the
//! event's `--key-field` value, a message without a key, and a key value seen in two
//! partitions are counted and reported, since sequences across partitions would be missed.

use std::collections::HashMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use clap::Args;
use eql_runtime::detector::{
    Alert, Config, Decided, Detector, LineOutcome, Replaced, RuleStats, Stats,
};
use eql_runtime::event::{Doc, DynSchema};
use eql_runtime::rule::{Rule, RuleMeta};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde::Serialize;

use crate::input::{self, Line, LineReader, Source};
use crate::output::{self, Format};
use crate::reload;
use crate::rules::{self, RuleSet, Select};
use crate::summary::Summary;

/// Options of `eql-detect kafka`.
#[derive(Args, Debug)]
pub struct KafkaArgs {
    /// Bootstrap brokers, `host:port[,host:port…]`.
    #[arg(long, default_value = "127.0.0.1:9092")]
    brokers: String,
    /// Topics of events, one JSON document per message, keyed by --key-field (comma-separated).
    #[arg(long, required = true, value_delimiter = ',')]
    topic: Vec<String>,
    /// Consumer group: the members of a group share the topics' partitions.
    #[arg(long, default_value = "eql-detect")]
    group: String,
    /// Write alerts to this topic (message key: the alert id; value: the alert as JSON). It is
    /// created, with one partition, if it does not exist.
    #[arg(long, value_name = "TOPIC")]
    alerts_topic: Option<String>,
    /// Print alerts on stdout too when --alerts-topic is given (without it, they go to stdout).
    #[arg(long)]
    stdout: bool,
    /// Format of alerts on stdout [default: table on a terminal, else ndjson].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// The field the topics are keyed by. Every event with one value of it must be in one
    /// partition; messages whose key is not that value are counted and reported.
    #[arg(long, default_value = "host.id", value_name = "FIELD")]
    key_field: String,
    /// How far out of timestamp order an event may arrive within its partition and still be
    /// joined (e.g. 2s, 500ms).
    #[arg(long, default_value = "5s", value_parser = crate::parse_dur)]
    lateness: u64,
    /// How often offsets are committed (after the alerts before them are delivered).
    #[arg(long, default_value = "5s", value_parser = crate::parse_dur)]
    commit_interval: u64,
    /// Treat this long without a message as the end of the input: release what waits for
    /// later events, deliver the alerts, commit everything read, and exit (for a topic that
    /// holds a finished batch). Without it the member runs until SIGINT/SIGTERM.
    #[arg(long, value_name = "DURATION", value_parser = crate::parse_dur)]
    idle_exit: Option<u64>,
    /// Memory budget for detection state per sequence rule and partition.
    #[arg(long, default_value = "40MiB", value_parser = crate::parse_size)]
    max_state_bytes: u64,
    /// Report every alert. By default a rule's max_signals per interval of event time applies,
    /// per partition.
    #[arg(long)]
    no_alert_cap: bool,
    /// Run only the compiled rules this filter selects (as for a file run; repeatable).
    #[arg(long, value_name = "FILTER", value_parser = rules::parse_select)]
    select: Vec<Select>,
    #[command(flatten)]
    rule_files: rules::RuleFiles,
    /// Threads that decode and evaluate messages (sequences and alerts stay in offset order).
    /// Default: the available cores.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    threads: Option<u32>,
    /// A librdkafka setting for the consumer and the alerts producer, `KEY=VALUE` (e.g.
    /// `session.timeout.ms=6000`, `security.protocol=ssl`); repeatable. The defaults set here:
    /// `enable.auto.commit=false`, `auto.offset.reset=earliest`, `fetch.wait.max.ms=20`.
    #[arg(long = "kafka-config", short = 'X', value_name = "KEY=VALUE", value_parser = parse_setting)]
    kafka_config: Vec<(String, String)>,
    /// No summary on stderr (errors and warnings are still reported).
    #[arg(long, short)]
    quiet: bool,
    /// Also write the summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    stats_json: Option<PathBuf>,
}

/// Options of `eql-detect kafka-produce`.
#[derive(Args, Debug)]
pub struct ProduceArgs {
    /// NDJSON inputs (plain or gzip); `-` or nothing is stdin.
    inputs: Vec<PathBuf>,
    /// Bootstrap brokers, `host:port[,host:port…]`.
    #[arg(long, default_value = "127.0.0.1:9092")]
    brokers: String,
    /// The topic to write to.
    #[arg(long)]
    topic: String,
    /// Each message's key: this field's value in the event (events without it get no key).
    #[arg(long, default_value = "host.id", value_name = "FIELD")]
    key_field: String,
    /// Create the topic with this many partitions first (nothing is done if it exists).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    partitions: Option<i32>,
    /// A librdkafka producer setting, `KEY=VALUE`; repeatable.
    #[arg(long = "kafka-config", short = 'X', value_name = "KEY=VALUE", value_parser = parse_setting)]
    kafka_config: Vec<(String, String)>,
    /// Lines longer than this are not sent (and are counted).
    #[arg(long, default_value = "1MiB", value_parser = crate::parse_size)]
    max_line_bytes: u64,
    /// No report on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_setting(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

/// Messages taken from the consumer at a time: evaluated in parallel, applied in order.
const BATCH_MESSAGES: usize = 4096;
/// How long delivering alerts and committing may take before the member gives up.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(60);
/// Key values remembered for the split-key check (beyond this many, new values are not tracked).
const MAX_TRACKED_KEYS: usize = 1 << 20;
/// Warnings of each kind printed before they are only counted.
const MAX_WARNINGS: u64 = 5;

/// Where a partition stands.
struct Part {
    det: Detector,
    /// The offset after the last message applied (`None` before the first).
    next: Option<i64>,
    /// The rebalance that assigned it: messages polled before it are not applied (the client
    /// fetches them again from the committed offset).
    since: u64,
}

/// A partition: the topic's index in [`Member::topics`], and its number.
type PartId = (usize, i32);

/// Counters of the Kafka side, reported with the detection summary.
#[derive(Debug, Default, Serialize)]
struct KafkaCounts {
    /// Messages applied to a detector.
    messages: u64,
    /// Messages polled for a partition this member no longer owned (its new owner reads them).
    not_owned: u64,
    /// Messages without a key: where they land says nothing about their key field.
    unkeyed: u64,
    /// Messages whose key is not the event's key-field value.
    key_mismatch: u64,
    /// Messages whose key-field value this member had already seen in another partition.
    split_keys: u64,
    /// Partitions assigned, over all rebalances.
    assigned: u64,
    /// Partitions revoked.
    revoked: u64,
    /// Offset commits made (each covering every owned partition).
    commits: u64,
    /// Offset commits that failed (the next one covers them).
    commit_failures: u64,
    /// Alerts delivered to the alerts topic.
    delivered: u64,
    /// Consumer errors reported by the client (each logged up to a limit).
    consumer_errors: u64,
    /// Events per second from the first message to the last.
    events_per_sec: f64,
    /// When the first and the last message were applied (Unix seconds), so that the rate of
    /// several members can be put together.
    first_message_unix: f64,
    last_message_unix: f64,
}

/// The detection summary plus the Kafka counters.
#[derive(Serialize)]
struct KafkaSummary<'a> {
    #[serde(flatten)]
    run: &'a Summary,
    kafka: &'a KafkaCounts,
}

/// The key-partitioning check.
struct KeyCheck {
    schema: DynSchema,
    doc: Doc,
    /// Key value → the partition it was first seen in.
    seen: HashMap<Box<str>, PartId>,
}

impl KeyCheck {
    fn new(field: &str) -> KeyCheck {
        KeyCheck {
            schema: DynSchema::new(vec![field.to_owned()]),
            doc: Doc::new(),
            seen: HashMap::new(),
        }
    }

    fn check(
        &mut self,
        topics: &[String],
        (t, partition): PartId,
        key: Option<&[u8]>,
        payload: &[u8],
        counts: &mut KafkaCounts,
    ) {
        let topic = topics.get(t).map_or("", String::as_str);
        let Ok(event) = self.doc.parse(&self.schema, payload) else {
            return;
        };
        let Some(value) = event.first_text(0) else {
            return;
        };
        let field = self.schema.fields()[0].as_str();
        match key {
            None => {
                counts.unkeyed += 1;
                if counts.unkeyed <= MAX_WARNINGS {
                    eprintln!(
                        "eql-detect kafka: WARNING {topic}[{partition}]: a message without a key \
                         ({field} {value:?}); key the topic by {field} or sequences across \
                         partitions are missed"
                    );
                }
            }
            Some(k) if k != value.as_bytes() => {
                counts.key_mismatch += 1;
                if counts.key_mismatch <= MAX_WARNINGS {
                    eprintln!(
                        "eql-detect kafka: WARNING {topic}[{partition}]: message key {:?} is not \
                         the event's {field} {value:?}; sequences across partitions are missed",
                        String::from_utf8_lossy(k)
                    );
                }
            }
            Some(_) => {}
        }
        match self.seen.get(value) {
            Some(&(t0, p0)) if (t0, p0) != (t, partition) => {
                counts.split_keys += 1;
                if counts.split_keys <= MAX_WARNINGS {
                    eprintln!(
                        "eql-detect kafka: WARNING {field} {value:?} is in {}[{p0}] and \
                         {topic}[{partition}]: the topic is not partitioned by {field}, and \
                         sequences across partitions are missed",
                        topics.get(t0).map_or("", String::as_str)
                    );
                }
            }
            Some(_) => {}
            None if self.seen.len() < MAX_TRACKED_KEYS => {
                self.seen.insert(value.into(), (t, partition));
            }
            None => {}
        }
    }
}

/// Where alerts go: stdout, the alerts topic, or both.
struct Sink {
    stdout: Option<(BufWriter<io::Stdout>, Format)>,
    producer: Option<(BaseProducer<DeliveryCtx>, String)>,
    /// The first write or send error; the member stops on it without committing.
    err: Option<String>,
    alerts: u64,
    /// Alerts handed to the producer.
    sent: u64,
}

/// Counts the alerts topic's delivery reports.
struct DeliveryCtx {
    delivered: AtomicU64,
    failed: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl ClientContext for DeliveryCtx {}

impl ProducerContext for DeliveryCtx {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut last) = self.last_error.lock() {
                    *last = Some(e.to_string());
                }
            }
        }
    }
}

impl Sink {
    fn emit(&mut self, alert: Alert) {
        self.alerts += 1;
        if self.err.is_some() {
            return;
        }
        if let Some((out, format)) = &mut self.stdout {
            if let Err(e) = output::write_alert(out, *format, &alert, output::Origin::Input) {
                self.err = Some(format!("writing alerts: {e}"));
                return;
            }
        }
        if let Some((producer, topic)) = &self.producer {
            let mut value = Vec::with_capacity(4096);
            if let Err(e) = output::write_ndjson(&mut value, &alert, output::Origin::Input) {
                self.err = Some(format!("encoding an alert: {e}"));
                return;
            }
            value.pop(); // the newline
            let id = output::alert_id(&alert);
            let mut record = BaseRecord::to(topic).key(&id).payload(&value);
            loop {
                match producer.send(record) {
                    Ok(()) => {
                        self.sent += 1;
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                        // The local queue is full: serve delivery reports, then retry.
                        producer.poll(Duration::from_millis(50));
                        record = r;
                    }
                    Err((e, _)) => {
                        self.err = Some(format!("sending an alert to {topic}: {e}"));
                        return;
                    }
                }
            }
            producer.poll(Duration::ZERO);
        }
    }

    /// Delivers everything emitted so far; an error means some alert may not be out, and
    /// nothing may be committed.
    fn flush(&mut self) -> Result<(), String> {
        if let Some(e) = &self.err {
            return Err(e.clone());
        }
        if let Some((out, _)) = &mut self.stdout {
            out.flush().map_err(|e| format!("writing alerts: {e}"))?;
        }
        if let Some((producer, topic)) = &self.producer {
            producer
                .flush(FLUSH_TIMEOUT)
                .map_err(|e| format!("delivering alerts to {topic}: {e}"))?;
            // An empty queue is not yet a report for every alert: serve the reports until
            // each alert sent is known delivered or failed.
            let ctx = producer.context();
            let started = Instant::now();
            while ctx.delivered.load(Ordering::Relaxed) + ctx.failed.load(Ordering::Relaxed)
                < self.sent
            {
                if started.elapsed() > FLUSH_TIMEOUT {
                    return Err(format!("delivering alerts to {topic}: no delivery report"));
                }
                producer.poll(Duration::from_millis(10));
            }
            if ctx.failed.load(Ordering::Relaxed) > 0 {
                let last = ctx.last_error.lock().ok().and_then(|l| l.clone());
                return Err(format!(
                    "delivering alerts to {topic}: {} failed (last: {})",
                    ctx.failed.load(Ordering::Relaxed),
                    last.unwrap_or_default()
                ));
            }
        }
        Ok(())
    }

    fn delivered(&self) -> u64 {
        self.producer
            .as_ref()
            .map_or(0, |(p, _)| p.context().delivered.load(Ordering::Relaxed))
    }
}

/// Everything one member holds, shared with the rebalance callbacks.
struct Member {
    /// Topic names; partitions refer to them by index.
    topics: Vec<String>,
    parts: HashMap<PartId, Part>,
    /// Rebalances so far (see [`Part::since`]).
    generation: Arc<AtomicU64>,
    /// The counters of detectors dropped with their partitions.
    closed: Stats,
    sink: Sink,
    keys: KeyCheck,
    counts: KafkaCounts,
    summary: Summary,
    cfg: Config,
    rules: RuleSet,
    /// Scratch for one-thread evaluation.
    doc: Doc,
    first_message: Option<Instant>,
    last_message: Option<Instant>,
}

fn lock(m: &Mutex<Member>) -> MutexGuard<'_, Member> {
    // A panic while holding the lock would already have ended the run; take the state anyway.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Member {
    fn topic_index(&mut self, topic: &str) -> usize {
        match self.topics.iter().position(|t| t == topic) {
            Some(i) => i,
            None => {
                self.topics.push(topic.to_owned());
                self.topics.len() - 1
            }
        }
    }

    fn assign(&mut self, tpl: &TopicPartitionList) {
        let since = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        for e in tpl.elements() {
            let id = (self.topic_index(e.topic()), e.partition());
            if self.parts.contains_key(&id) {
                continue;
            }
            match Detector::new(self.rules.stream(), self.cfg.clone()) {
                Ok(det) => {
                    self.parts.insert(
                        id,
                        Part {
                            det,
                            next: None,
                            since,
                        },
                    );
                    self.counts.assigned += 1;
                }
                // The same rules built a detector at start-up; should this one fail, the
                // member stops rather than run without the partition.
                Err(e) => {
                    self.sink.err.get_or_insert(format!("{e}"));
                }
            }
        }
    }

    /// What may be committed now for each owned partition: the oldest message a detector still
    /// needs, else the next one to read.
    fn commit_points(&mut self) -> TopicPartitionList {
        let mut tpl = TopicPartitionList::new();
        for (&(t, partition), part) in &mut self.parts {
            let Some(next) = part.next else { continue };
            let held = part.det.oldest_held().and_then(|a| i64::try_from(a).ok());
            let offset = held.map_or(next, |h| h.min(next));
            // Only a partition number the client gave us could fail here.
            let _ = tpl.add_partition_offset(&self.topics[t], partition, Offset::Offset(offset));
        }
        tpl
    }

    /// Flushes the alerts and returns the offsets to commit; `None` if the alerts could not be
    /// delivered (then nothing is committed).
    fn checkpoint(&mut self) -> Option<TopicPartitionList> {
        match self.sink.flush() {
            Ok(()) => Some(self.commit_points()),
            Err(e) => {
                self.sink.err.get_or_insert(e);
                None
            }
        }
    }

    /// Gives up partitions in a rebalance: returns their commit points (after delivering the
    /// alerts), and drops their state.
    fn revoke(&mut self, tpl: &TopicPartitionList) -> Option<TopicPartitionList> {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let offsets = self.checkpoint();
        for e in tpl.elements() {
            let id = (self.topic_index(e.topic()), e.partition());
            if let Some(part) = self.parts.remove(&id) {
                self.closed.merge(&part.det.stats());
                self.counts.revoked += 1;
            }
        }
        let offsets = offsets?;
        let mut mine = TopicPartitionList::new();
        for e in offsets.elements() {
            if tpl.find_partition(e.topic(), e.partition()).is_some() {
                let _ = mine.add_partition_offset(e.topic(), e.partition(), e.offset());
            }
        }
        Some(mine)
    }

    /// Applies a batch of polled messages, evaluating them on `threads` threads.
    fn process(&mut self, batch: &Batch, threads: usize) {
        let now = Instant::now();
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        if self.first_message.is_none() {
            self.counts.first_message_unix = unix;
        }
        self.counts.last_message_unix = unix;
        self.first_message.get_or_insert(now);
        self.last_message = Some(now);
        let ids: Vec<usize> = batch.topics.iter().map(|t| self.topic_index(t)).collect();
        let decided = self.evaluate(batch, &ids, threads);
        let Member {
            topics,
            parts,
            sink,
            keys,
            counts,
            summary,
            ..
        } = self;
        for (msg, decided) in batch.msgs.iter().zip(decided) {
            let id = (ids[msg.topic], msg.partition);
            let Some(part) = parts.get_mut(&id).filter(|p| msg.generation >= p.since) else {
                counts.not_owned += 1;
                continue;
            };
            let Some(decided) = decided else { continue };
            if part.next.is_some_and(|n| msg.offset < n) {
                // Delivered twice by the client: applied already.
                continue;
            }
            let topic = topics[id.0].as_str();
            if part.next.is_none() && !summary_quiet() {
                eprintln!(
                    "eql-detect kafka: {topic}[{}]: reading from offset {}",
                    msg.partition, msg.offset
                );
            }
            part.det.set_arrival(u64::try_from(msg.offset).unwrap_or(0));
            let outcome = part.det.apply(decided, &mut |a| sink.emit(a));
            part.next = Some(msg.offset + 1);
            counts.messages += 1;
            if let LineOutcome::Skipped(reason) = outcome {
                summary.note_skip(reason.as_str(), || {
                    format!("{topic}[{}]@{}", msg.partition, msg.offset)
                });
            }
            keys.check(topics, id, batch.key(msg), batch.payload(msg), counts);
        }
    }

    /// Decodes and evaluates each message against its partition's detector (`None` for a
    /// partition not owned).
    fn evaluate(&mut self, batch: &Batch, ids: &[usize], threads: usize) -> Vec<Option<Decided>> {
        let one = |parts: &HashMap<PartId, Part>, doc: &mut Doc, msg: &Msg| {
            let part = parts.get(&(ids[msg.topic], msg.partition))?;
            Some(part.det.evaluate(doc, batch.payload(msg)))
        };
        let threads = threads.clamp(1, batch.msgs.len().max(1));
        if threads == 1 {
            let (parts, doc) = (&self.parts, &mut self.doc);
            return batch.msgs.iter().map(|m| one(parts, doc, m)).collect();
        }
        let parts = &self.parts;
        let chunk = batch.msgs.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .msgs
                .chunks(chunk)
                .map(|msgs| {
                    scope.spawn(move || {
                        let mut doc = Doc::new();
                        msgs.iter()
                            .map(|m| one(parts, &mut doc, m))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| match h.join() {
                    Ok(v) => v,
                    // Evaluation does not panic on any input; if it ever did, surface it.
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    }

    /// The end of a finite input: releases what waits for later events in every partition.
    fn drain(&mut self) {
        let Member { parts, sink, .. } = self;
        for part in parts.values_mut() {
            part.det.finish(&mut |a| sink.emit(a));
        }
    }

    /// Takes a reloaded rule set (or reports why it did not load): every partition's detector
    /// runs the new rules from its next message, unchanged rules keeping their state, and the
    /// counters of partitions already closed follow their rules.
    fn reload(&mut self, due: Result<RuleSet, String>) {
        let set = match due {
            Ok(set) => set,
            Err(e) => {
                eprintln!("{}", reload::describe_failure(&e));
                return;
            }
        };
        let (old_rules, new_rules) = (self.rules.stream(), set.stream());
        let old: Vec<&'static RuleMeta> = old_rules.iter().map(|r| r.meta()).collect();
        let new: Vec<&'static RuleMeta> = new_rules.iter().map(|r| r.meta()).collect();
        if new.is_empty() {
            eprintln!(
                "{}",
                reload::describe_failure("none of the rules can run on a stream")
            );
            return;
        }
        let change = Replaced::between(&old, &new);
        let closed = std::mem::take(&mut self.closed.rules);
        self.closed.rules = vec![RuleStats::default(); new.len()];
        for (oi, s) in closed.into_iter().enumerate() {
            match (change.moved.get(oi).copied().flatten(), old.get(oi)) {
                (Some(ni), _) => self.closed.rules[ni] = s,
                (None, Some(meta)) => self.closed.retired.push((meta, s)),
                (None, None) => {}
            }
        }
        self.closed.reloads += 1;
        for part in self.parts.values_mut() {
            if let Err(e) = part.det.replace_rules(set.stream()) {
                eprintln!("eql-detect kafka: reload: {e}");
            }
        }
        self.rules = set;
        eprintln!("{}", reload::describe(&change));
    }

    /// Detection counters over all partitions, past and present.
    fn stats(&self) -> Stats {
        let mut total = self.closed.clone();
        for part in self.parts.values() {
            total.merge(&part.det.stats());
        }
        total
    }
}

/// Set once at start: whether informational lines are printed.
static QUIET: AtomicBool = AtomicBool::new(false);

fn summary_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// One polled message, its bytes in the batch's buffer.
struct Msg {
    /// Index in [`Batch::topics`].
    topic: usize,
    partition: i32,
    offset: i64,
    /// [`Member::generation`] when it was polled.
    generation: u64,
    key: Option<(usize, usize)>,
    payload: (usize, usize),
}

/// Messages polled together, copied out of the client's buffers.
#[derive(Default)]
struct Batch {
    topics: Vec<String>,
    data: Vec<u8>,
    msgs: Vec<Msg>,
}

impl Batch {
    fn push(&mut self, m: &impl Message, generation: u64) {
        let topic = match self.topics.iter().position(|t| t == m.topic()) {
            Some(i) => i,
            None => {
                self.topics.push(m.topic().to_owned());
                self.topics.len() - 1
            }
        };
        let mut put = |bytes: &[u8]| {
            let start = self.data.len();
            self.data.extend_from_slice(bytes);
            (start, self.data.len())
        };
        let key = m.key().map(&mut put);
        // A message without a value (a tombstone) is an empty line: skipped, and counted.
        let payload = put(m.payload().unwrap_or_default());
        self.msgs.push(Msg {
            topic,
            partition: m.partition(),
            offset: m.offset(),
            generation,
            key,
            payload,
        });
    }

    fn payload(&self, m: &Msg) -> &[u8] {
        &self.data[m.payload.0..m.payload.1]
    }

    fn key(&self, m: &Msg) -> Option<&[u8]> {
        m.key.map(|(s, e)| &self.data[s..e])
    }

    fn clear(&mut self) {
        self.data.clear();
        self.msgs.clear();
    }
}

/// The consumer's context: rebalances commit what the member gives up and start fresh
/// detectors for what it gets.
struct MemberCtx {
    member: Arc<Mutex<Member>>,
}

impl ClientContext for MemberCtx {}

impl ConsumerContext for MemberCtx {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(tpl) => {
                let offsets = lock(&self.member).revoke(tpl);
                commit(consumer, &self.member, offsets);
            }
            Rebalance::Assign(_) => {}
            Rebalance::Error(e) => eprintln!("eql-detect kafka: rebalance error: {e}"),
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            if !summary_quiet() {
                let list: Vec<String> = tpl
                    .elements()
                    .iter()
                    .map(|e| format!("{}[{}]", e.topic(), e.partition()))
                    .collect();
                eprintln!("eql-detect kafka: assigned {}", list.join(" "));
            }
            lock(&self.member).assign(tpl);
        }
    }
}

fn client_config(brokers: &str, settings: &[(String, String)]) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", brokers);
    for (k, v) in settings {
        cfg.set(k, v);
    }
    cfg
}

/// Why the member stopped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Idle,
    Interrupted,
    Failed,
}

/// `eql-detect kafka`.
pub fn run(args: &KafkaArgs, interrupted: &AtomicBool) -> ExitCode {
    let started = Instant::now();
    QUIET.store(args.quiet, Ordering::Relaxed);
    let set = match RuleSet::load(&args.select, &args.rule_files) {
        Ok(set) => set,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if !args.rule_files.no_builtin_rules && rules::selected(&args.select).is_empty() {
        eprintln!("eql-detect kafka: no compiled rule matches --select");
        return ExitCode::from(2);
    }
    let all = set.all();
    let whole: Vec<&str> = all
        .iter()
        .filter(|r| r.needs_whole_input())
        .map(|r| r.meta().name)
        .collect();
    if !whole.is_empty() {
        eprintln!(
            "eql-detect kafka: {} rule(s) answer only when the input ends (missing-event \
             sequences, sample, | tail) and do not run on a stream: {}",
            whole.len(),
            whole.join("; ")
        );
    }
    warn_about_keys(&all, &args.key_field);
    let rules = set.stream();
    if rules.is_empty() {
        eprintln!("eql-detect kafka: none of the selected rules can run on a stream");
        return ExitCode::from(2);
    }
    let cfg = Config {
        lateness_nanos: args.lateness,
        max_state_bytes: usize::try_from(args.max_state_bytes).unwrap_or(usize::MAX),
        alert_cap: !args.no_alert_cap,
        ..Config::default()
    };
    if let Err(e) = Detector::new(rules, cfg.clone()) {
        eprintln!("eql-detect kafka: {e}");
        return ExitCode::from(1);
    }

    let format = args.format.unwrap_or(if io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Ndjson
    });
    let producer = match &args.alerts_topic {
        None => None,
        Some(topic) => {
            // Brokers that do not create topics on first use would fail every delivery.
            let admin_cfg = client_config(&args.brokers, &args.kafka_config);
            if let Err(e) = create_topic(&admin_cfg, topic, 1) {
                eprintln!("eql-detect kafka: creating the alerts topic {topic}: {e}");
                return ExitCode::from(1);
            }
            let ctx = DeliveryCtx {
                delivered: AtomicU64::new(0),
                failed: AtomicU64::new(0),
                last_error: Mutex::new(None),
            };
            match client_config(&args.brokers, &args.kafka_config)
                .set("linger.ms", "20")
                .create_with_context::<_, BaseProducer<DeliveryCtx>>(ctx)
            {
                Ok(p) => Some((p, topic.clone())),
                Err(e) => {
                    eprintln!("eql-detect kafka: alerts producer: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let stdout = (producer.is_none() || args.stdout)
        .then(|| (BufWriter::with_capacity(64 << 10, io::stdout()), format));
    let generation = Arc::new(AtomicU64::new(0));
    let member = Arc::new(Mutex::new(Member {
        topics: args.topic.clone(),
        parts: HashMap::new(),
        generation: Arc::clone(&generation),
        closed: Stats::default(),
        sink: Sink {
            stdout,
            producer,
            err: None,
            alerts: 0,
            sent: 0,
        },
        keys: KeyCheck::new(&args.key_field),
        counts: KafkaCounts::default(),
        summary: Summary::default(),
        cfg,
        rules: set,
        doc: Doc::new(),
        first_message: None,
        last_message: None,
    }));

    let mut settings = vec![
        ("group.id".to_owned(), args.group.clone()),
        ("enable.auto.commit".to_owned(), "false".to_owned()),
        ("auto.offset.reset".to_owned(), "earliest".to_owned()),
        ("enable.partition.eof".to_owned(), "false".to_owned()),
        // A fetch returns once this has passed even when the broker holds less than
        // fetch.min.bytes: some brokers (tansu) wait it out on every fetch, and librdkafka's
        // 500 ms default then caps a member at a few thousand events a second.
        ("fetch.wait.max.ms".to_owned(), "20".to_owned()),
    ];
    settings.extend(args.kafka_config.iter().cloned());
    let consumer: BaseConsumer<MemberCtx> = match client_config(&args.brokers, &settings)
        .create_with_context(MemberCtx {
            member: Arc::clone(&member),
        }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("eql-detect kafka: consumer: {e}");
            return ExitCode::from(2);
        }
    };
    let topics: Vec<&str> = args.topic.iter().map(String::as_str).collect();
    if let Err(e) = consumer.subscribe(&topics) {
        eprintln!("eql-detect kafka: subscribing to {}: {e}", topics.join(","));
        return ExitCode::from(2);
    }

    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| n as usize,
    );
    let commit_every = Duration::from_nanos(args.commit_interval);
    let idle_exit = args.idle_exit.map(Duration::from_nanos);
    let mut last_commit = Instant::now();
    let mut last_message = Instant::now();
    let mut batch = Batch::default();
    let reloader = reload::Reloader::start(&args.select, &args.rule_files);
    let end = loop {
        if interrupted.load(Ordering::Relaxed) {
            break End::Interrupted;
        }
        if let Some(due) = reloader.due() {
            lock(&member).reload(due);
        }
        batch.clear();
        let mut timeout = Duration::from_millis(100);
        while batch.msgs.len() < BATCH_MESSAGES {
            match consumer.poll(timeout) {
                None => break,
                Some(Ok(m)) => batch.push(&m, generation.load(Ordering::SeqCst)),
                Some(Err(e)) => {
                    let mut m = lock(&member);
                    m.counts.consumer_errors += 1;
                    if m.counts.consumer_errors <= MAX_WARNINGS * 4 {
                        eprintln!("eql-detect kafka: {e}");
                    }
                    break;
                }
            }
            timeout = Duration::ZERO;
        }
        let mut m = lock(&member);
        if batch.msgs.is_empty() {
            if idle_exit.is_some_and(|d| last_message.elapsed() >= d) {
                break End::Idle;
            }
        } else {
            last_message = Instant::now();
            m.process(&batch, threads);
        }
        if m.sink.err.is_some() {
            break End::Failed;
        }
        if last_commit.elapsed() >= commit_every {
            last_commit = Instant::now();
            let offsets = m.checkpoint();
            drop(m);
            commit(&consumer, &member, offsets);
        }
    };

    // Deliver what is out, then commit: everything read when the input is over (its state is
    // final by declaration), else only what is final.
    let mut m = lock(&member);
    if end == End::Idle {
        m.drain();
    }
    let offsets = if end == End::Failed {
        None
    } else {
        m.checkpoint().map(|points| {
            if end != End::Idle {
                return points;
            }
            let mut all = TopicPartitionList::new();
            for (&(t, partition), part) in &m.parts {
                if let Some(next) = part.next {
                    let _ = all.add_partition_offset(&m.topics[t], partition, Offset::Offset(next));
                }
            }
            all
        })
    };
    if end == End::Idle {
        // The drained state must not be committed again (at its older positions) when the
        // consumer leaves the group.
        let parts: Vec<Part> = m.parts.drain().map(|(_, p)| p).collect();
        for part in parts {
            m.closed.merge(&part.det.stats());
        }
    }
    drop(m);
    commit(&consumer, &member, offsets);
    // Leaving the group revokes the partitions, which commits once more (with the alerts
    // delivered first).
    drop(consumer);

    let mut m = lock(&member);
    let failed = m.sink.flush().err().or_else(|| m.sink.err.clone());
    let stats = m.stats();
    m.counts.delivered = m.sink.delivered();
    let elapsed = match (m.first_message, m.last_message) {
        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
        _ => 0.0,
    };
    m.counts.events_per_sec = if elapsed > 0.0 {
        m.counts.messages as f64 / elapsed
    } else {
        0.0
    };
    let mut summary = std::mem::take(&mut m.summary);
    let rule_names: Vec<(String, String)> = m
        .rules
        .stream()
        .iter()
        .map(|r| (r.meta().name.to_owned(), r.meta().rule_id.to_owned()))
        .collect();
    summary.absorb(&stats, &rule_names);
    summary.stopped = match end {
        End::Idle => Some("idle".to_owned()),
        End::Interrupted => Some("interrupted".to_owned()),
        End::Failed => Some("output_failed".to_owned()),
    };
    summary.set_elapsed(started.elapsed().as_secs_f64());
    let mut code = ExitCode::SUCCESS;
    if let Some(e) = failed {
        eprintln!(
            "eql-detect kafka: {e}; offsets after the last delivered alert were not committed"
        );
        code = ExitCode::from(1);
    }
    let json = serde_json::to_string(&KafkaSummary {
        run: &summary,
        kafka: &m.counts,
    })
    .unwrap_or_default();
    if let Some(path) = &args.stats_json {
        if let Err(e) = std::fs::write(path, json + "\n") {
            eprintln!("eql-detect kafka: {}: {e}", path.display());
            code = ExitCode::from(1);
        }
    }
    if !args.quiet {
        let c = &m.counts;
        let text = format!(
            "{}  kafka: {} messages ({:.0} events/s), {} not owned any more; partitions \
             assigned {}, revoked {}; {} commits ({} failed); {} alerts delivered to the \
             alerts topic\n  keying by {}: {} unkeyed, {} keys not the field's value, {} values \
             seen in two partitions\n",
            summary.to_text(),
            c.messages,
            c.events_per_sec,
            c.not_owned,
            c.assigned,
            c.revoked,
            c.commits,
            c.commit_failures,
            c.delivered,
            args.key_field,
            c.unkeyed,
            c.key_mismatch,
            c.split_keys
        );
        let _ = io::stderr().write_all(text.as_bytes());
    }
    code
}

/// Commits `offsets` (if the alerts before them were delivered) and counts the outcome.
fn commit(
    consumer: &BaseConsumer<MemberCtx>,
    member: &Mutex<Member>,
    offsets: Option<TopicPartitionList>,
) {
    let Some(offsets) = offsets.filter(|o| o.count() > 0) else {
        return;
    };
    let result = consumer.commit(&offsets, CommitMode::Sync);
    let mut m = lock(member);
    match result {
        Ok(()) => m.counts.commits += 1,
        Err(e) => {
            m.counts.commit_failures += 1;
            eprintln!("eql-detect kafka: committing offsets: {e}");
        }
    }
}

/// Says which sequence rules do not join on the key field: their sequences are found only if
/// all events of their keys still land in one partition (true of keys finer than a host, such
/// as `process.entity_id`, when the topic is keyed by `host.id`).
fn warn_about_keys(rules: &[Box<dyn Rule>], key_field: &str) {
    if summary_quiet() {
        return;
    }
    let mut sequences = 0;
    let mut other = 0;
    for rule in rules {
        if let eql_runtime::rule::Shape::Sequence(spec) = rule.shape() {
            sequences += 1;
            let names = rule.schema().fields;
            let joins_on_key = spec.stages.first().is_some_and(|s| {
                s.keys
                    .iter()
                    .any(|k| names.get(usize::from(k.field)) == Some(&key_field))
            });
            if !joins_on_key {
                other += 1;
            }
        }
    }
    if other > 0 {
        eprintln!(
            "eql-detect kafka: {other} of {sequences} sequence rules do not join on {key_field}; \
             their sequences are found when all events of a join key are in one partition \
             (as for process.entity_id in a topic keyed by host.id)"
        );
    }
}

/// `eql-detect kafka-produce`.
pub fn produce(args: &ProduceArgs) -> ExitCode {
    let started = Instant::now();
    let cfg = client_config(&args.brokers, &args.kafka_config);
    if let Some(n) = args.partitions {
        if let Err(e) = create_topic(&cfg, &args.topic, n) {
            eprintln!("eql-detect kafka-produce: creating {}: {e}", args.topic);
            return ExitCode::from(1);
        }
    }
    let ctx = DeliveryCtx {
        delivered: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        last_error: Mutex::new(None),
    };
    let producer: BaseProducer<DeliveryCtx> =
        match cfg.clone().set("linger.ms", "20").create_with_context(ctx) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("eql-detect kafka-produce: {e}");
                return ExitCode::from(2);
            }
        };
    let sources: Vec<Source> = if args.inputs.is_empty() {
        vec![Source::Stdin]
    } else {
        args.inputs
            .iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    Source::Stdin
                } else {
                    Source::File(p.clone())
                }
            })
            .collect()
    };
    let schema = DynSchema::new(vec![args.key_field.clone()]);
    let mut doc = Doc::new();
    let max = usize::try_from(args.max_line_bytes).unwrap_or(usize::MAX);
    let (mut sent, mut unkeyed, mut too_long, mut bytes) = (0u64, 0u64, 0u64, 0u64);
    let mut code = ExitCode::SUCCESS;
    for source in &sources {
        let name = source.name();
        let opened = match input::open(source, None, false) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("eql-detect kafka-produce: {name}: {e}");
                code = ExitCode::from(1);
                continue;
            }
        };
        let mut reader = LineReader::new(opened.reader, max);
        loop {
            let line = match reader.next_line() {
                Ok(Some(Line::Data(line))) => line,
                Ok(Some(Line::TooLong { .. })) => {
                    too_long += 1;
                    continue;
                }
                Ok(None) => break,
                Err(e) => {
                    eprintln!("eql-detect kafka-produce: {name}: {e}");
                    code = ExitCode::from(1);
                    break;
                }
            };
            let key = doc
                .parse(&schema, line)
                .ok()
                .and_then(|ev| ev.first_text(0).map(str::to_owned));
            if key.is_none() {
                unkeyed += 1;
            }
            let mut record = BaseRecord::to(&args.topic).payload(line);
            if let Some(k) = &key {
                record = record.key(k.as_str());
            }
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                        producer.poll(Duration::from_millis(20));
                        record = r;
                    }
                    Err((e, _)) => {
                        eprintln!("eql-detect kafka-produce: sending to {}: {e}", args.topic);
                        return ExitCode::from(1);
                    }
                }
            }
            producer.poll(Duration::ZERO);
            sent += 1;
            bytes += line.len() as u64;
        }
    }
    if let Err(e) = producer.flush(FLUSH_TIMEOUT) {
        eprintln!(
            "eql-detect kafka-produce: delivering to {}: {e}",
            args.topic
        );
        return ExitCode::from(1);
    }
    let failed = producer.context().failed.load(Ordering::Relaxed);
    if failed > 0 {
        let last = producer
            .context()
            .last_error
            .lock()
            .ok()
            .and_then(|l| l.clone());
        eprintln!(
            "eql-detect kafka-produce: {failed} messages not delivered (last error: {})",
            last.unwrap_or_default()
        );
        code = ExitCode::from(1);
    }
    if !args.quiet {
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "eql-detect kafka-produce: {sent} messages ({:.1} MB) to {} in {secs:.2} s \
             ({:.0} messages/s); {unkeyed} without {}; {too_long} lines too long, not sent",
            bytes as f64 / 1e6,
            args.topic,
            sent as f64 / secs.max(1e-9),
            args.key_field
        );
    }
    code
}

/// Creates `topic` with `partitions` partitions; an existing topic is left as it is.
fn create_topic(cfg: &ClientConfig, topic: &str, partitions: i32) -> Result<(), String> {
    let admin: AdminClient<DefaultClientContext> = cfg.create().map_err(|e| e.to_string())?;
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = futures_executor::block_on(admin.create_topics([&new], &opts))
        .map_err(|e| e.to_string())?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => return Err(format!("{t}: {code}")),
        }
    }
    Ok(())
}
