//! The driver: lines in, alerts out, every line accounted for.
//!
//! For each line the detector decodes the fields the rules read (once for all the rules that share
//! a schema, as the rules of one `eql_rules!` set do), reads the timestamp, asks each rule whose
//! literals the line holds and whose categories the event has which stages the event matches, and feeds the hits, restored to timestamp order by a bounded reorder
//! buffer, to the rule's [`SequenceEngine`]. Event queries alert at once.
//!
//! Time rules (the choices a stream forces on us):
//! - The *clock* is the highest timestamp seen. Hits wait in the reorder buffer until the clock has
//!   passed them by `lateness`; then they are released in (timestamp, arrival) order.
//! - A hit more than `lateness` behind the clock (the *watermark*), or older than a hit already
//!   released, is *late*: counted, and not joined (joining it out of order could produce an
//!   answer Elasticsearch would not). Whether an event joins thus depends only on the newest
//!   timestamp seen before it, and state the watermark has passed is final.
//! - A timestamp more than `max_clock_jump` ahead of the clock does not move the clock by itself: one
//!   forged far-future event must not flush everyone's state or make every later event late. The
//!   clock jumps only after `jump_confirmations` such events in a row (a real gap in the data); until
//!   then those events wait in the buffer (bounded; overflow is counted and dropped).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;
use std::time::Instant;

use crate::event::{Doc, Event, FieldId, Schema};
use crate::prefilter::Prefilter;
use crate::rule::{PipeKind, Rule, RuleMeta, SeqSpec, Shape, UNTIL_BIT};
use crate::seq::{Completed, Hit, Key, KeyValue, Ordinal, SeqEvent, SeqStats, SequenceEngine};
use crate::time::parse_timestamp;

mod reload;

pub use reload::{matching, Replaced};

/// Runtime knobs.
#[derive(Clone, Debug)]
pub struct Config {
    /// How far behind the clock an event may arrive and still be joined in order (nanoseconds).
    pub lateness_nanos: u64,
    /// Memory budget for detection state, in bytes: three quarters for each sequence rule's
    /// pending sequences (held as their documents), one quarter for the reorder buffer. Past it
    /// the least recently touched keys are evicted, and waiting hits are released early; both
    /// are counted.
    pub max_state_bytes: usize,
    /// Honour each rule's `max_signals` per `interval` of event time, as Kibana's executor does.
    pub alert_cap: bool,
    /// A timestamp this far ahead of the clock is held back until confirmed (nanoseconds).
    pub max_clock_jump_nanos: u64,
    /// How many consecutive far-ahead events move the clock.
    pub jump_confirmations: u32,
    /// How many far-ahead events may wait at once; more are dropped and counted.
    pub max_future_events: usize,
    /// Decide lines that contain none of the rules' literals without decoding them (see
    /// [`crate::prefilter`]). Such lines are not validated as JSON. The detector rests the
    /// prefilter while more than a fifth of the lines pass it (then it costs more than it saves),
    /// unless there are several rules (it then also picks the rules each line may match).
    /// It applies only with an unbounded `lateness_nanos` (`u64::MAX`): with a finite one, every
    /// line's timestamp moves the clock that decides what is late, so every line is decoded.
    pub prefilter: bool,
    /// Samples per join key a `sample` rule reports at most (Elasticsearch's
    /// `max_samples_per_key`, 1 by default).
    pub max_samples_per_key: usize,
    /// Count each rule's evaluations and time them, and time decoding and the prefilter
    /// ([`RuleStats::evaluations`], [`Stats::profile`]). Off by default: timing costs a clock
    /// read around every evaluation.
    pub profile: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            lateness_nanos: 5_000_000_000,
            max_state_bytes: 40 << 20,
            alert_cap: true,
            max_clock_jump_nanos: 3_600_000_000_000,
            jump_confirmations: 64,
            max_future_events: 100_000,
            prefilter: true,
            max_samples_per_key: 1,
            profile: false,
        }
    }
}

/// Why a line was not evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// Blank line.
    Empty,
    /// Not UTF-8.
    InvalidUtf8,
    /// Not JSON.
    InvalidJson,
    /// JSON, but not an object.
    NotAnObject,
    /// Nested deeper than the decoder allows.
    TooDeep,
    /// No timestamp field.
    MissingTimestamp,
    /// A timestamp that does not parse, or is out of range.
    InvalidTimestamp,
    /// Longer than the configured maximum (counted by the reader).
    LineTooLong,
}

impl SkipReason {
    /// A short stable name, for summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Empty => "empty",
            SkipReason::InvalidUtf8 => "invalid_utf8",
            SkipReason::InvalidJson => "invalid_json",
            SkipReason::NotAnObject => "not_an_object",
            SkipReason::TooDeep => "too_deep",
            SkipReason::MissingTimestamp => "missing_timestamp",
            SkipReason::InvalidTimestamp => "invalid_timestamp",
            SkipReason::LineTooLong => "line_too_long",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<crate::json::LineError> for SkipReason {
    fn from(e: crate::json::LineError) -> SkipReason {
        use crate::json::LineError;
        match e {
            LineError::InvalidUtf8 { .. } => SkipReason::InvalidUtf8,
            LineError::InvalidJson { .. } => SkipReason::InvalidJson,
            LineError::NotAnObject => SkipReason::NotAnObject,
            LineError::TooDeep => SkipReason::TooDeep,
        }
    }
}

/// What happened to one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineOutcome {
    /// Decoded and evaluated by every rule.
    Evaluated,
    /// Not evaluated, for this reason.
    Skipped(SkipReason),
}

/// One event of an alert.
#[derive(Clone, Debug)]
pub struct AlertEvent {
    /// Its timestamp, nanoseconds since the epoch.
    pub timestamp_nanos: i64,
    /// The original document.
    pub raw: Arc<str>,
    /// The stage it filled (0 for event queries).
    pub stage: usize,
}

/// A detection.
#[derive(Clone, Debug)]
pub struct Alert {
    /// The rule.
    pub rule: &'static RuleMeta,
    /// Join keys: field name and value (empty for event queries).
    pub keys: Vec<(&'static str, Option<String>)>,
    /// The events, in sequence order.
    pub events: Vec<AlertEvent>,
}

/// Per-rule counters.
#[derive(Clone, Debug, Default)]
pub struct RuleStats {
    /// Events that matched at least one stage.
    pub matched_events: u64,
    /// Stage hits dropped because a non-optional join key was missing or null.
    pub null_key_dropped: u64,
    /// Alerts emitted.
    pub alerts: u64,
    /// Alerts withheld by the `max_signals` cap.
    pub suppressed: u64,
    /// Results a `| head` or `| tail` pipe left out.
    pub piped_out: u64,
    /// Hits of a missing-event or `sample` rule not kept: the state budget was full.
    pub batch_dropped: u64,
    /// Events the rule was evaluated on (with [`Config::profile`]; otherwise 0). Lines the
    /// prefilter or the category dispatch ruled out for this rule are not evaluations.
    pub evaluations: u64,
    /// Time spent evaluating the rule and building its hits, in nanoseconds (with
    /// [`Config::profile`]).
    pub eval_nanos: u64,
    /// The sequence engine's counters.
    pub seq: SeqStats,
}

impl RuleStats {
    /// Adds another detector's counters for the same rule.
    fn add(&mut self, theirs: &RuleStats) {
        self.matched_events += theirs.matched_events;
        self.null_key_dropped += theirs.null_key_dropped;
        self.alerts += theirs.alerts;
        self.suppressed += theirs.suppressed;
        self.piped_out += theirs.piped_out;
        self.batch_dropped += theirs.batch_dropped;
        self.evaluations += theirs.evaluations;
        self.eval_nanos += theirs.eval_nanos;
        let (a, b) = (&mut self.seq, &theirs.seq);
        a.completed += b.completed;
        a.expired_maxspan += b.expired_maxspan;
        a.expired_until += b.expired_until;
        a.evicted_keys += b.evicted_keys;
        a.evicted_pending += b.evicted_pending;
        a.retired_keys += b.retired_keys;
        a.live_keys += b.live_keys;
        a.live_bytes += b.live_bytes;
        a.peak_bytes += b.peak_bytes;
    }
}

/// Counters over the whole input. `lines == evaluated + skipped.values().sum()`.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Lines seen (including skipped ones).
    pub lines: u64,
    /// Bytes seen.
    pub bytes: u64,
    /// Lines evaluated (decoded, or decided by the prefilter).
    pub evaluated: u64,
    /// Of the evaluated lines, those the prefilter decided without decoding.
    pub prefiltered: u64,
    /// Lines skipped, by reason.
    pub skipped: BTreeMap<SkipReason, u64>,
    /// Matching events that arrived after their place in time order had passed (not joined).
    pub late_events: u64,
    /// Far-ahead events held back by the clock-jump rule.
    pub future_events: u64,
    /// Far-ahead events dropped because too many were waiting.
    pub future_dropped: u64,
    /// Hits released from the reorder buffer before the clock had passed them by `lateness`,
    /// because the buffer was full (a later, older event is then late).
    pub released_early: u64,
    /// Per rule, in the order given to [`Detector::new`] (or to the last
    /// [`Detector::replace_rules`]).
    pub rules: Vec<RuleStats>,
    /// Rules a reload changed or removed, with their counters up to then.
    pub retired: Vec<(&'static RuleMeta, RuleStats)>,
    /// Reloads applied ([`Detector::replace_rules`]).
    pub reloads: u64,
    /// The shared costs, with [`Config::profile`].
    pub profile: Option<SharedCosts>,
}

impl Stats {
    /// Adds the counters of another detector over the same rules: a process that runs one
    /// detector per stream partition reports their sum. Peak state adds up too (the detectors
    /// hold their state at the same time), so it is an upper bound.
    pub fn merge(&mut self, other: &Stats) {
        self.lines += other.lines;
        self.bytes += other.bytes;
        self.evaluated += other.evaluated;
        self.prefiltered += other.prefiltered;
        for (reason, n) in &other.skipped {
            *self.skipped.entry(*reason).or_default() += n;
        }
        self.late_events += other.late_events;
        self.future_events += other.future_events;
        self.future_dropped += other.future_dropped;
        self.released_early += other.released_early;
        if self.rules.len() < other.rules.len() {
            self.rules.resize(other.rules.len(), RuleStats::default());
        }
        for (mine, theirs) in self.rules.iter_mut().zip(&other.rules) {
            mine.add(theirs);
        }
        for (meta, theirs) in &other.retired {
            match self
                .retired
                .iter_mut()
                .find(|(m, _)| std::ptr::eq(*m, *meta))
            {
                Some((_, mine)) => mine.add(theirs),
                None => self.retired.push((meta, theirs.clone())),
            }
        }
        // Every detector of a process reloads together.
        self.reloads = self.reloads.max(other.reloads);
        if let Some(theirs) = &other.profile {
            let mine = self.profile.get_or_insert_with(SharedCosts::default);
            mine.prefiltered_lines += theirs.prefiltered_lines;
            mine.prefilter_nanos += theirs.prefilter_nanos;
            mine.decodes += theirs.decodes;
            mine.decode_nanos += theirs.decode_nanos;
        }
    }
}

/// The costs every rule shares (with [`Config::profile`]).
#[derive(Clone, Debug, Default)]
pub struct SharedCosts {
    /// Lines scanned by the literal prefilter, and the time it took (nanoseconds).
    pub prefiltered_lines: u64,
    /// Time in the prefilter.
    pub prefilter_nanos: u64,
    /// Decodes (one per line and schema), and the time they took.
    pub decodes: u64,
    /// Time decoding.
    pub decode_nanos: u64,
}

/// The profile counters, shared by evaluating threads.
#[derive(Debug, Default)]
struct Profile {
    evaluations: Vec<AtomicU64>,
    eval_nanos: Vec<AtomicU64>,
    prefiltered_lines: AtomicU64,
    prefilter_nanos: AtomicU64,
    decodes: AtomicU64,
    decode_nanos: AtomicU64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, AtomicOrdering::Relaxed);
}

fn elapsed_nanos(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Rules evaluated on one decode: the rules sharing a schema (those of one compiled set, or
/// the rules loaded at run time together).
struct Group {
    schema: &'static Schema,
    /// The rules (slot indices), ascending.
    members: Vec<usize>,
    /// The same, one bit per rule.
    mask: Vec<u64>,
    /// Members without a category set: evaluated on every event.
    any_category: Vec<u64>,
    /// Per category field, the members each category value selects.
    by_category: Vec<(FieldId, std::collections::HashMap<&'static str, Vec<u64>>)>,
}

fn set_bit(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

/// The set bits, ascending.
fn ones(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
    bits.iter().enumerate().flat_map(|(w, &word)| {
        let mut word = word;
        std::iter::from_fn(move || {
            if word == 0 {
                return None;
            }
            let b = word.trailing_zeros() as usize;
            word &= word - 1;
            Some(w * 64 + b)
        })
    })
}

fn groups(rules: &[RuleSlot]) -> Vec<Group> {
    let words = rules.len().div_ceil(64);
    let mut groups: Vec<Group> = Vec::new();
    for (i, slot) in rules.iter().enumerate() {
        let schema = slot.rule.schema();
        let found = groups.iter().position(|g| std::ptr::eq(g.schema, schema));
        let g = match found {
            Some(g) => g,
            None => {
                groups.push(Group {
                    schema,
                    members: Vec::new(),
                    mask: vec![0; words],
                    any_category: vec![0; words],
                    by_category: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[g];
        group.members.push(i);
        set_bit(&mut group.mask, i);
        match slot.rule.categories() {
            None => set_bit(&mut group.any_category, i),
            Some((field, names)) => {
                let at = match group.by_category.iter().position(|(f, _)| *f == field) {
                    Some(at) => at,
                    None => {
                        group.by_category.push((field, Default::default()));
                        group.by_category.len() - 1
                    }
                };
                for name in names {
                    let bits = group.by_category[at]
                        .1
                        .entry(*name)
                        .or_insert_with(|| vec![0; words]);
                    set_bit(bits, i);
                }
            }
        }
    }
    groups
}

/// Why a rule set cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupError(String);

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

struct RuleSlot {
    rule: Box<dyn Rule>,
    seq: Option<(&'static SeqSpec, SequenceEngine)>,
    /// A missing-event sequence or `sample`: its hits, answered when the input ends.
    batch: Option<Batch>,
    /// The query's `head`/`tail` pipes, with what each has passed or holds.
    pipes: Vec<PipeState>,
    interval_nanos: i64,
    cap_bucket: i64,
    cap_count: u32,
}

/// The hits of a rule that needs the whole input ([`crate::batch`]).
struct Batch {
    spec: &'static SeqSpec,
    hits: Vec<Hit>,
    /// Bytes held by `hits`, charged like the reorder buffer's.
    bytes: usize,
}

impl RuleSlot {
    /// The sequence or sample layout, if the rule has one.
    fn spec(&self) -> Option<&'static SeqSpec> {
        match (&self.seq, &self.batch) {
            (Some((spec, _)), _) => Some(spec),
            (_, Some(b)) => Some(b.spec),
            _ => None,
        }
    }
}

/// One line, decoded and evaluated but not yet applied to the detector's state.
#[derive(Debug)]
pub struct Decided {
    bytes: u64,
    /// Whether the prefilter looked at the line (it may be resting, see [`PrefilterUse`]).
    probed: bool,
    result: Result<Decision, SkipReason>,
}

/// The prefilter pays for itself only when most lines fail it: scanning a line for the literals
/// costs about as much as decoding it. Over each window of probed lines the detector counts how
/// many passed; when more than a fifth did, the prefilter rests (every line is decoded) for
/// `REST_WINDOWS` windows, then probes again. Answers are the same either way. With more than
/// one rule it never rests: it then also tells which rules each line may match, and on Elastic's
/// Linux rules that cuts evaluations tenfold.
#[derive(Clone, Copy, Debug)]
struct PrefilterUse {
    active: bool,
    seen: u32,
    passed: u32,
    resting: u32,
}

const PREFILTER_WINDOW: u32 = 8192;
const REST_WINDOWS: u32 = 16;

#[derive(Debug)]
enum Decision {
    /// The prefilter ruled every rule out.
    Prefiltered,
    /// Decoded; these rules matched.
    Decoded {
        timestamp: i64,
        tiebreaker: Option<i64>,
        matches: Vec<RuleMatch>,
    },
}

#[derive(Debug)]
struct RuleMatch {
    rule: usize,
    /// The event's time by the rule's timestamp field.
    timestamp: i64,
    hit: Option<RuleHit>,
    null_key_dropped: u64,
}

#[derive(Debug)]
enum RuleHit {
    /// An event query matched: the document.
    Event(Arc<str>),
    /// A sequence rule's stages matched.
    Seq(Hit),
}

struct Buffered {
    ordinal: Ordinal,
    rule: usize,
    hit: RuleHit,
    /// Bytes charged to the reorder buffer for this hit.
    bytes: usize,
}

/// What a buffered hit costs: its document, its keys, and bookkeeping.
fn hit_bytes(hit: &RuleHit) -> usize {
    match hit {
        RuleHit::Event(raw) => raw.len() + 128,
        RuleHit::Seq(hit) => seq_hit_bytes(hit),
    }
}

fn seq_hit_bytes(hit: &Hit) -> usize {
    let keys: usize = hit
        .stages
        .iter()
        .flat_map(|(_, ks)| ks.iter())
        .chain(hit.until.iter())
        .map(|k| crate::seq::key_bytes(k) + 32)
        .sum();
    // The heap entry, the stage and key vectors, the document's `Arc` header, and rounding.
    hit.event.raw.len() + keys + 224
}

impl PartialEq for Buffered {
    fn eq(&self, other: &Self) -> bool {
        self.ordinal == other.ordinal
    }
}
impl Eq for Buffered {}
impl PartialOrd for Buffered {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Buffered {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.ordinal.cmp(&other.ordinal)
    }
}

/// Runs a set of compiled rules over a stream of NDJSON lines.
pub struct Detector {
    rules: Vec<RuleSlot>,
    /// The rules by shared decode, with their category dispatch.
    groups: Vec<Group>,
    profile: Option<Profile>,
    cfg: Config,
    /// Scratch for [`Detector::push_line`] (taken while evaluating).
    doc: Option<Doc>,
    stats: Stats,
    arrival: u64,
    clock: Option<i64>,
    released: Option<Ordinal>,
    buffer: BinaryHeap<Reverse<Buffered>>,
    /// Bytes held by `buffer`.
    buffer_bytes: usize,
    jump_streak: u32,
    held_future: usize,
    prefilter: Option<Prefilter>,
    prefilter_use: PrefilterUse,
    /// Every rule is a `sample`: lines need no timestamp.
    samples_only: bool,
}

impl PrefilterUse {
    fn probing() -> PrefilterUse {
        PrefilterUse {
            active: true,
            seen: 0,
            passed: 0,
            resting: 0,
        }
    }
}

impl Detector {
    /// A detector for these rules: compiled ones, rules loaded at run time, or both.
    pub fn new(rules: Vec<Box<dyn Rule>>, cfg: Config) -> Result<Detector, SetupError> {
        let mut slots = Vec::with_capacity(rules.len());
        for rule in rules {
            let meta = rule.meta();
            let (seq, batch) = match rule.shape() {
                Shape::Event => (None, None),
                Shape::Sequence(spec) if spec.is_batch() => (
                    None,
                    Some(Batch {
                        spec,
                        hits: Vec::new(),
                        bytes: 0,
                    }),
                ),
                Shape::Sequence(spec) => {
                    // Three quarters of the budget for pending sequences, one for the reorder buffer.
                    let engine = SequenceEngine::new(
                        spec.stages.len(),
                        spec.maxspan_nanos,
                        cfg.max_state_bytes - cfg.max_state_bytes / 4,
                    );
                    (Some((spec, engine)), None)
                }
            };
            let pipes = rule.pipes().iter().map(PipeState::new).collect();
            slots.push(RuleSlot {
                rule,
                seq,
                batch,
                pipes,
                interval_nanos: parse_interval(meta.interval).unwrap_or(300_000_000_000),
                cap_bucket: i64::MIN,
                cap_count: 0,
            });
        }
        // With a finite lateness every line's timestamp moves the clock that decides what is
        // late, so every line must be decoded for the answer not to depend on the prefilter.
        let prefilter = if cfg.prefilter && cfg.lateness_nanos == u64::MAX {
            Prefilter::per_rule(slots.iter().map(|s| s.rule.prefilter()))
        } else {
            None
        };
        let profile = cfg.profile.then(|| Profile {
            evaluations: slots.iter().map(|_| AtomicU64::new(0)).collect(),
            eval_nanos: slots.iter().map(|_| AtomicU64::new(0)).collect(),
            ..Profile::default()
        });
        let groups = groups(&slots);
        let samples_only = !slots.is_empty()
            && slots
                .iter()
                .all(|s| s.batch.as_ref().is_some_and(|b| b.spec.sample));
        let stats = Stats {
            rules: vec![RuleStats::default(); slots.len()],
            ..Stats::default()
        };
        Ok(Detector {
            rules: slots,
            groups,
            profile,
            cfg,
            doc: Some(Doc::new()),
            stats,
            arrival: 0,
            clock: None,
            released: None,
            buffer: BinaryHeap::new(),
            buffer_bytes: 0,
            jump_streak: 0,
            held_future: 0,
            prefilter,
            prefilter_use: PrefilterUse::probing(),
            samples_only,
        })
    }

    /// Numbers the next evaluated line `arrival` (lines are otherwise numbered 0, 1, 2, …).
    /// Arrival orders events of equal timestamp, so it must not go back: a smaller number is
    /// ignored. A stream with its own positions (a Kafka partition's offsets) numbers lines by
    /// them, so that a replay from a position rebuilds the same state and the same alerts.
    pub fn set_arrival(&mut self, arrival: u64) {
        self.arrival = self.arrival.max(arrival);
    }

    /// The smallest arrival number among the lines the detector still needs: hits waiting in
    /// the reorder buffer, events of pending sequences (with the `until` marks that may cut
    /// them), and the hits held by rules that need the whole input. `None` when it holds none.
    ///
    /// Every effect of the lines before it is final: feeding a fresh detector the stream from
    /// that line on rebuilds the state this one holds, so a consumer may commit its position
    /// up to there and no sequence is lost on a restart.
    pub fn oldest_held(&mut self) -> Option<u64> {
        // No hit released from now on is older than the watermark or the last one released.
        let now = self
            .released
            .map_or(i64::MIN, |o| o.timestamp)
            .max(self.horizon().unwrap_or(i64::MIN));
        let buffered = self.buffer.iter().map(|Reverse(b)| b.ordinal.arrival).min();
        let mut oldest = buffered;
        for slot in &mut self.rules {
            let held = match (&mut slot.seq, &slot.batch) {
                (Some((_, engine)), _) => engine.oldest_held(now),
                (None, Some(batch)) => batch.hits.iter().map(|h| h.event.ordinal.arrival).min(),
                (None, None) => None,
            };
            oldest = match (oldest, held) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        oldest
    }

    /// Whether a literal prefilter is in use.
    pub fn has_prefilter(&self) -> bool {
        self.prefilter.is_some()
    }

    /// The rules' metadata, in order.
    pub fn metas(&self) -> impl Iterator<Item = &'static RuleMeta> + '_ {
        self.rules.iter().map(|s| s.rule.meta())
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats.clone();
        for (slot, rs) in self.rules.iter().zip(s.rules.iter_mut()) {
            if let Some((_, engine)) = &slot.seq {
                rs.seq = engine.stats();
            }
        }
        if let Some(p) = &self.profile {
            let load = |c: &AtomicU64| c.load(AtomicOrdering::Relaxed);
            for (i, rs) in s.rules.iter_mut().enumerate() {
                rs.evaluations = p.evaluations.get(i).map_or(0, load);
                rs.eval_nanos = p.eval_nanos.get(i).map_or(0, load);
            }
            s.profile = Some(SharedCosts {
                prefiltered_lines: load(&p.prefiltered_lines),
                prefilter_nanos: load(&p.prefilter_nanos),
                decodes: load(&p.decodes),
                decode_nanos: load(&p.decode_nanos),
            });
        }
        s
    }

    /// Records a line the reader skipped itself (e.g. too long), so that the counts add up.
    pub fn skip_line(&mut self, reason: SkipReason, bytes: u64) {
        self.stats.lines += 1;
        self.stats.bytes += bytes;
        *self.stats.skipped.entry(reason).or_default() += 1;
    }

    /// Processes one line (without its `\n`). Alerts that complete go to `out`.
    pub fn push_line(&mut self, line: &[u8], out: &mut impl FnMut(Alert)) -> LineOutcome {
        let mut doc = self.doc.take().unwrap_or_default();
        let decided = self.evaluate(&mut doc, line);
        self.doc = Some(doc);
        self.apply(decided, out)
    }

    /// Processes a batch of lines, evaluating them on up to `threads` threads; the results are
    /// applied in input order, so alerts and counts are exactly those of [`Detector::push_line`]
    /// line by line. Returns the outcome of each line.
    pub fn push_batch(
        &mut self,
        lines: &[&[u8]],
        threads: usize,
        out: &mut impl FnMut(Alert),
    ) -> Vec<LineOutcome> {
        let threads = threads.clamp(1, lines.len().max(1));
        let decided: Vec<Decided> = if threads == 1 {
            let mut doc = self.doc.take().unwrap_or_default();
            let d = lines.iter().map(|l| self.evaluate(&mut doc, l)).collect();
            self.doc = Some(doc);
            d
        } else {
            let chunk = lines.len().div_ceil(threads);
            let this = &*self;
            std::thread::scope(|scope| {
                let handles: Vec<_> = lines
                    .chunks(chunk)
                    .map(|part| {
                        scope.spawn(move || {
                            let mut doc = Doc::new();
                            part.iter()
                                .map(|l| this.evaluate(&mut doc, l))
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
        };
        decided.into_iter().map(|d| self.apply(d, out)).collect()
    }

    /// The stateless half of [`Detector::push_line`]: decodes and evaluates one line. It takes
    /// `&self`, so several threads (each with its own [`Doc`]) may evaluate lines at once; feed the
    /// results to [`Detector::apply`] in input order.
    pub fn evaluate(&self, doc: &mut Doc, line: &[u8]) -> Decided {
        let bytes = line.len() as u64 + 1;
        let probed = self.prefilter.is_some() && self.prefilter_use.active;
        let result = self.decide(doc, line, probed);
        Decided {
            bytes,
            probed,
            result,
        }
    }

    /// A line's timestamp; when every rule is a `sample` (which neither orders nor spans), a
    /// line without one still takes part, at time 0.
    fn untimed_ok(&self, ts: Result<i64, SkipReason>) -> Result<i64, SkipReason> {
        match ts {
            Err(SkipReason::MissingTimestamp) if self.samples_only => Ok(0),
            other => other,
        }
    }

    fn decide(&self, doc: &mut Doc, line: &[u8], probe: bool) -> Result<Decision, SkipReason> {
        // The decoder strips one leading BOM itself; the other paths see the line without it.
        let framed = line.strip_suffix(b"\r").unwrap_or(line);
        let line = framed.strip_prefix(BOM).unwrap_or(framed);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Err(SkipReason::Empty);
        }
        // The candidate rules: those whose literals the line holds (all, without a prefilter).
        let mut cand = std::mem::take(&mut doc.rule_bits);
        cand.clear();
        match self.prefilter.as_ref().filter(|_| probe) {
            Some(p) => {
                let start = self.profile.as_ref().map(|_| Instant::now());
                cand.extend_from_slice(p.candidates(line, &mut doc.prefilter));
                if let (Some(prof), Some(start)) = (&self.profile, start) {
                    add(&prof.prefiltered_lines, 1);
                    add(&prof.prefilter_nanos, elapsed_nanos(start));
                }
            }
            None => cand.resize(self.rules.len().div_ceil(64), u64::MAX),
        }
        let mut sel = std::mem::take(&mut doc.rule_sel);
        let mut by_cat = std::mem::take(&mut doc.rule_cat);
        let result = if cand.iter().all(|w| *w == 0) {
            Ok(Decision::Prefiltered)
        } else {
            self.decide_rules(doc, framed, &cand, (&mut sel, &mut by_cat))
        };
        doc.rule_bits = cand;
        doc.rule_sel = sel;
        doc.rule_cat = by_cat;
        result
    }

    /// Evaluates the candidate rules, one decode per group.
    fn decide_rules(
        &self,
        doc: &mut Doc,
        framed: &[u8],
        cand: &[u64],
        (sel, by_cat): (&mut Vec<u64>, &mut Vec<u64>),
    ) -> Result<Decision, SkipReason> {
        let mut timestamp = None;
        let mut tiebreaker = None;
        let mut matches = Vec::new();
        let mut groups_hit = 0;
        for group in &self.groups {
            sel.clear();
            sel.extend(group.mask.iter().zip(cand).map(|(m, c)| m & c));
            if sel.iter().all(|w| *w == 0) {
                continue;
            }
            groups_hit += 1;
            let schema = group.schema;
            let start = self.profile.as_ref().map(|_| Instant::now());
            let parsed = doc.parse(schema, framed);
            if let (Some(prof), Some(start)) = (&self.profile, start) {
                add(&prof.decodes, 1);
                add(&prof.decode_nanos, elapsed_nanos(start));
            }
            let ev = parsed.map_err(SkipReason::from)?;
            let line_ts = match timestamp {
                Some(ts) => ts,
                None => {
                    let ts = read_timestamp(&ev, schema.timestamp);
                    *timestamp.insert(self.untimed_ok(ts)?)
                }
            };
            // Category dispatch: only rules testing one of the event's categories.
            if !group.by_category.is_empty() {
                by_cat.clear();
                by_cat.extend_from_slice(&group.any_category);
                for (field, map) in &group.by_category {
                    for text in ev.texts(*field) {
                        if let Some(bits) = map.get(text) {
                            by_cat.iter_mut().zip(bits).for_each(|(a, b)| *a |= b);
                        }
                    }
                }
                sel.iter_mut().zip(by_cat.iter()).for_each(|(a, b)| *a &= b);
            }
            let mut raw: Option<Arc<str>> = None;
            for index in ones(sel) {
                let Some(slot) = self.rules.get(index) else {
                    continue;
                };
                let rule = slot.rule.as_ref();
                let start = self.profile.as_ref().map(|_| Instant::now());
                let m = self.eval_compiled(slot, rule, &ev, schema, line_ts, &mut raw);
                if let (Some(prof), Some(start)) = (&self.profile, start) {
                    add(&prof.evaluations[index], 1);
                    add(&prof.eval_nanos[index], elapsed_nanos(start));
                }
                tiebreaker = tiebreaker.or_else(|| rule.tiebreaker(&ev));
                if let Some((ts, hit)) = m {
                    matches.push(RuleMatch {
                        rule: index,
                        timestamp: ts,
                        hit: hit.0,
                        null_key_dropped: hit.1,
                    });
                }
            }
        }
        if groups_hit > 1 {
            // Groups interleave when compiled and run-time rules are mixed: keep rule order.
            matches.sort_by_key(|m| m.rule);
        }
        match timestamp {
            Some(timestamp) => Ok(Decision::Decoded {
                timestamp,
                tiebreaker,
                matches,
            }),
            // No rules: nothing to decide.
            None => Ok(Decision::Prefiltered),
        }
    }

    /// One compiled rule on a decoded event: `None` when no stage matches (or the event lacks
    /// the rule's own timestamp field), else the rule's timestamp of the event, its hit and
    /// the stage hits dropped for a missing join key.
    #[allow(clippy::type_complexity)]
    fn eval_compiled(
        &self,
        slot: &RuleSlot,
        rule: &dyn Rule,
        ev: &Event<'_>,
        schema: &Schema,
        line_ts: i64,
        raw: &mut Option<Arc<str>>,
    ) -> Option<(i64, (Option<RuleHit>, u64))> {
        let mask = rule.eval(ev);
        if mask == 0 {
            return None;
        }
        let field = rule.timestamp_field();
        let ts = if field == schema.timestamp {
            line_ts
        } else {
            read_timestamp(ev, field).ok()?
        };
        let raw = raw.get_or_insert_with(|| Arc::from(ev.raw()));
        let hit = match slot.spec() {
            None => (Some(RuleHit::Event(Arc::clone(raw))), 0),
            Some(spec) => {
                let (hit, dropped) =
                    build_hit(spec, mask, ts, raw, |i| stage_keys(i, spec, ev, rule));
                (hit.map(RuleHit::Seq), dropped)
            }
        };
        Some((ts, hit))
    }

    /// The sequential half of [`Detector::push_line`]: counts the line and feeds its hits, in
    /// input order, to the reorder buffer and the sequence engines.
    pub fn apply(&mut self, decided: Decided, out: &mut impl FnMut(Alert)) -> LineOutcome {
        self.stats.lines += 1;
        self.stats.bytes += decided.bytes;
        self.tune_prefilter(&decided);
        let (timestamp, tiebreaker, matches) = match decided.result {
            Err(reason) => {
                *self.stats.skipped.entry(reason).or_default() += 1;
                return LineOutcome::Skipped(reason);
            }
            Ok(Decision::Prefiltered) => {
                self.stats.evaluated += 1;
                self.stats.prefiltered += 1;
                return LineOutcome::Evaluated;
            }
            Ok(Decision::Decoded {
                timestamp,
                tiebreaker,
                matches,
            }) => (timestamp, tiebreaker, matches),
        };
        self.stats.evaluated += 1;
        let arrival = self.arrival;
        self.arrival += 1;
        self.advance_clock(timestamp);
        for m in matches {
            let rstats = &mut self.stats.rules[m.rule];
            rstats.matched_events += 1;
            rstats.null_key_dropped += m.null_key_dropped;
            let Some(hit) = m.hit else { continue };
            let timestamp = m.timestamp;
            let ordinal = Ordinal {
                timestamp,
                tiebreaker,
                arrival,
            };
            match hit {
                // On a stream (finite lateness) an event query's result goes out at once. On
                // files, and whenever `head`/`tail` pipes need it, results come in time order,
                // as Elasticsearch returns them: they wait in the reorder buffer.
                RuleHit::Event(raw)
                    if self.rules[m.rule].pipes.is_empty()
                        && self.cfg.lateness_nanos != u64::MAX =>
                {
                    let slot = &mut self.rules[m.rule];
                    let alert = event_alert(slot.rule.meta(), timestamp, raw);
                    emit(slot, rstats, &self.cfg, alert, out);
                }
                RuleHit::Event(raw) => self.buffer_hit(m.rule, ordinal, RuleHit::Event(raw)),
                RuleHit::Seq(mut hit) => {
                    hit.event.ordinal = ordinal;
                    match &mut self.rules[m.rule].batch {
                        Some(batch) => {
                            // Held until the input ends; past the budget, new hits are dropped
                            // and counted (the answer is then incomplete, and says so).
                            let bytes = seq_hit_bytes(&hit);
                            if batch.bytes + bytes > self.cfg.max_state_bytes {
                                rstats.batch_dropped += 1;
                            } else {
                                batch.bytes += bytes;
                                batch.hits.push(hit);
                            }
                        }
                        None => self.buffer_hit(m.rule, ordinal, RuleHit::Seq(hit)),
                    }
                }
            }
        }
        self.release(false, out);
        LineOutcome::Evaluated
    }

    fn tune_prefilter(&mut self, decided: &Decided) {
        let u = &mut self.prefilter_use;
        if self.prefilter.is_none() {
            return;
        }
        if !u.active {
            u.resting = u.resting.saturating_sub(1);
            if u.resting == 0 {
                *u = PrefilterUse::probing();
            }
            return;
        }
        if !decided.probed {
            return;
        }
        u.seen += 1;
        if !matches!(decided.result, Ok(Decision::Prefiltered)) {
            u.passed += 1;
        }
        if u.seen >= PREFILTER_WINDOW {
            // With several rules the prefilter also says which rules a line may match, and that
            // saves far more evaluations than its scan costs: it rests only for a single rule.
            if u.passed > u.seen / 5 && self.rules.len() == 1 {
                u.active = false;
                u.resting = PREFILTER_WINDOW * REST_WINDOWS;
            } else {
                *u = PrefilterUse::probing();
            }
        }
    }

    fn buffer_hit(&mut self, rule: usize, ordinal: Ordinal, hit: RuleHit) {
        // Late: older than something already released, or more than `lateness` behind the
        // clock. The second makes the rule a watermark (whether an event joins depends only
        // on the newest timestamp seen before it), and it bounds what a later hit can be, so
        // that state the watermark has passed is final (`oldest_held`).
        let behind = self.horizon().is_some_and(|h| ordinal.timestamp < h);
        if behind || self.released.is_some_and(|r| ordinal < r) {
            self.stats.late_events += 1;
            return;
        }
        // The clock-jump rule guards releases by the clock, which an unbounded lateness never
        // makes: then nothing is held as "future" (and the answer does not depend on which lines
        // moved the clock).
        let bounded = self.cfg.lateness_nanos != u64::MAX;
        if bounded && self.clock.is_some_and(|c| ordinal.timestamp > c) {
            // Held back by the clock-jump rule.
            if self.held_future >= self.cfg.max_future_events {
                self.stats.future_dropped += 1;
                return;
            }
            self.held_future += 1;
            self.stats.future_events += 1;
        }
        let bytes = hit_bytes(&hit);
        self.buffer_bytes += bytes;
        self.buffer.push(Reverse(Buffered {
            ordinal,
            rule,
            hit,
            bytes,
        }));
    }

    fn advance_clock(&mut self, ts: i64) {
        match self.clock {
            None => self.clock = Some(ts),
            Some(clock) if ts <= clock => self.jump_streak = 0,
            Some(clock) => {
                let jump = (ts as i128 - clock as i128) as u128;
                if jump <= self.cfg.max_clock_jump_nanos as u128 {
                    self.clock = Some(ts);
                    self.jump_streak = 0;
                } else {
                    self.jump_streak += 1;
                    if self.jump_streak >= self.cfg.jump_confirmations {
                        self.clock = Some(ts);
                        self.jump_streak = 0;
                    }
                }
            }
        }
    }

    /// The watermark: the clock less `lateness` (`None` before the first timestamp).
    fn horizon(&self) -> Option<i64> {
        let lateness = self.cfg.lateness_nanos.min(i64::MAX as u64) as i64;
        self.clock.map(|c| c.saturating_sub(lateness))
    }

    /// Releases buffered hits the clock has passed by `lateness` (all of them when `all`).
    fn release(&mut self, all: bool, out: &mut impl FnMut(Alert)) {
        let Some(horizon) = self.horizon() else {
            return;
        };
        // A quarter of the state budget holds hits waiting for their place in time; past it the
        // oldest go early (counted), so a flood of matching events cannot grow memory.
        let budget = self.cfg.max_state_bytes / 4;
        while let Some(Reverse(top)) = self.buffer.peek() {
            let over_budget = self.buffer_bytes > budget;
            if !all && top.ordinal.timestamp > horizon && !over_budget {
                break;
            }
            let Some(Reverse(item)) = self.buffer.pop() else {
                break;
            };
            self.buffer_bytes -= item.bytes;
            if !all && item.ordinal.timestamp > horizon {
                self.stats.released_early += 1;
            }
            if self.clock.is_some_and(|c| item.ordinal.timestamp > c) {
                self.held_future = self.held_future.saturating_sub(1);
            }
            self.released = Some(item.ordinal);
            let slot = &mut self.rules[item.rule];
            let rstats = &mut self.stats.rules[item.rule];
            let cfg = &self.cfg;
            match item.hit {
                RuleHit::Event(raw) => {
                    let alert = event_alert(slot.rule.meta(), item.ordinal.timestamp, raw);
                    emit(slot, rstats, cfg, alert, out);
                }
                RuleHit::Seq(hit) => {
                    if let Some((spec, engine)) = &mut slot.seq {
                        let spec: &'static SeqSpec = spec;
                        let mut done = Vec::new();
                        engine.push(hit, &mut |c: Completed| done.push(c));
                        for c in done {
                            let alert =
                                to_alert(slot.rule.meta(), spec, slot.rule.schema().fields, c);
                            emit(slot, rstats, cfg, alert, out);
                        }
                    }
                }
            }
        }
    }

    /// End of input: releases everything still buffered, answers the rules that need the whole
    /// input, then writes what `| tail` pipes hold.
    pub fn finish(&mut self, out: &mut impl FnMut(Alert)) {
        self.release(true, out);
        self.held_future = 0;
        for (slot, rstats) in self.rules.iter_mut().zip(&mut self.stats.rules) {
            let Some(batch) = slot.batch.take() else {
                continue;
            };
            let spec = batch.spec;
            let results = if spec.sample {
                let per_key = self.cfg.max_samples_per_key;
                crate::batch::samples(spec, &batch.hits, per_key, crate::batch::key_order)
            } else {
                crate::batch::sequences(spec, batch.hits)
            };
            for r in results {
                let keys = key_names(spec, slot.rule.schema().fields, &r.key);
                let events = r
                    .events
                    .into_iter()
                    .enumerate()
                    .filter_map(|(stage, e)| {
                        e.map(|e| AlertEvent {
                            timestamp_nanos: e.ordinal.timestamp,
                            raw: e.raw,
                            stage,
                        })
                    })
                    .collect();
                let alert = Alert {
                    rule: slot.rule.meta(),
                    keys,
                    events,
                };
                emit(slot, rstats, &self.cfg, alert, out);
            }
        }
        for (slot, rstats) in self.rules.iter_mut().zip(&mut self.stats.rules) {
            for i in 0..slot.pipes.len() {
                let held = match &mut slot.pipes[i] {
                    PipeState::Tail { held, .. } => std::mem::take(held),
                    PipeState::Head { .. } => continue,
                };
                for alert in held {
                    pipe_from(slot, rstats, &self.cfg, i + 1, alert, out);
                }
            }
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn read_timestamp(ev: &Event<'_>, field: crate::event::FieldId) -> Result<i64, SkipReason> {
    let Some(value) = ev.first_value(field) else {
        return Err(SkipReason::MissingTimestamp);
    };
    parse_timestamp(value).map_err(|_| SkipReason::InvalidTimestamp)
}

/// The join keys of one stage (`None`: of `until`): the cartesian product of each key field's
/// distinct values. `None` when a non-optional key has no value (Elasticsearch drops such events).
fn stage_keys(
    stage: Option<usize>,
    spec: &SeqSpec,
    ev: &Event<'_>,
    rule: &dyn Rule,
) -> Option<Vec<Key>> {
    let stage = match stage {
        Some(i) => spec.stages.get(i)?,
        None => spec.until.as_ref()?,
    };
    let mut keys: Vec<Vec<KeyValue>> = vec![Vec::with_capacity(stage.keys.len())];
    for kf in stage.keys {
        let mut values: Vec<KeyValue> = Vec::new();
        for text in ev.texts(kf.field) {
            let value: Box<str> = match rule.key_value(kf.field, text) {
                Some(v) => v.into_boxed_str(),
                None => Box::from(text),
            };
            if !values.iter().any(|v| v.as_deref() == Some(&*value)) {
                values.push(Some(value));
            }
        }
        if values.is_empty() {
            if !kf.optional {
                return None;
            }
            values.push(None);
        }
        let mut next = Vec::with_capacity(keys.len() * values.len());
        for prefix in &keys {
            for v in &values {
                let mut k = prefix.clone();
                k.push(v.clone());
                next.push(k);
            }
        }
        keys = next;
    }
    Some(keys.into_iter().map(Vec::into_boxed_slice).collect())
}

/// The hit of a sequence rule (without its arrival, which the sequential half assigns), and how
/// many stage hits were dropped for a missing non-optional join key.
fn build_hit(
    spec: &SeqSpec,
    mask: u64,
    timestamp: i64,
    raw: &Arc<str>,
    mut keys: impl FnMut(Option<usize>) -> Option<Vec<Key>>,
) -> (Option<Hit>, u64) {
    let mut dropped = 0;
    let mut stages = Vec::new();
    for i in 0..spec.stages.len() {
        if mask & (1 << i) == 0 {
            continue;
        }
        match keys(Some(i)) {
            Some(mut k) => {
                // A multi-valued key completes one sequence per value: emit them in value order,
                // not in the order the document happens to write them (dotted, nested, duplicate).
                k.sort_unstable();
                stages.push((i, k));
            }
            None => dropped += 1,
        }
    }
    let mut until = Vec::new();
    if mask & UNTIL_BIT != 0 && spec.until.is_some() {
        match keys(None) {
            Some(mut k) => {
                k.sort_unstable();
                until = k;
            }
            None => dropped += 1,
        }
    }
    if stages.is_empty() && until.is_empty() {
        return (None, dropped);
    }
    let hit = Hit {
        event: SeqEvent {
            ordinal: Ordinal {
                timestamp,
                tiebreaker: None,
                arrival: 0,
            },
            raw: Arc::clone(raw),
        },
        stages,
        until,
    };
    (Some(hit), dropped)
}

fn to_alert(
    meta: &'static RuleMeta,
    spec: &'static SeqSpec,
    fields: &'static [&'static str],
    c: Completed,
) -> Alert {
    let keys = key_names(spec, fields, &c.key);
    let events = c
        .events
        .into_iter()
        .enumerate()
        .map(|(stage, e)| AlertEvent {
            timestamp_nanos: e.ordinal.timestamp,
            raw: e.raw,
            stage,
        })
        .collect();
    Alert {
        rule: meta,
        keys,
        events,
    }
}

/// A join key with the names of its fields (the first stage's key fields).
fn key_names(
    spec: &SeqSpec,
    fields: &'static [&'static str],
    key: &Key,
) -> Vec<(&'static str, Option<String>)> {
    let key_fields = spec.stages.first().map_or(&[][..], |s| s.keys);
    key_fields
        .iter()
        .zip(key.iter())
        .map(|(kf, v)| {
            let name = fields.get(kf.field as usize).copied().unwrap_or("?");
            (name, v.as_deref().map(str::to_owned))
        })
        .collect()
}

fn event_alert(rule: &'static RuleMeta, timestamp: i64, raw: Arc<str>) -> Alert {
    Alert {
        rule,
        keys: Vec::new(),
        events: vec![AlertEvent {
            timestamp_nanos: timestamp,
            raw,
            stage: 0,
        }],
    }
}

/// What one `head`/`tail` pipe has passed or holds.
#[derive(Debug)]
enum PipeState {
    /// Passes `left` more results, then none.
    Head { left: u64 },
    /// Holds the last `count` results until the input ends.
    Tail { count: usize, held: VecDeque<Alert> },
}

impl PipeState {
    fn new(p: &crate::rule::Pipe) -> PipeState {
        match p.kind {
            PipeKind::Head => PipeState::Head { left: p.count },
            PipeKind::Tail => PipeState::Tail {
                count: usize::try_from(p.count).unwrap_or(usize::MAX),
                held: VecDeque::new(),
            },
        }
    }
}

/// A rule's result: through its pipes, then the alert cap.
fn emit(
    slot: &mut RuleSlot,
    rstats: &mut RuleStats,
    cfg: &Config,
    alert: Alert,
    out: &mut impl FnMut(Alert),
) {
    pipe_from(slot, rstats, cfg, 0, alert, out);
}

/// Passes `alert` through the pipes from the `first`-th on, then the alert cap.
fn pipe_from(
    slot: &mut RuleSlot,
    rstats: &mut RuleStats,
    cfg: &Config,
    first: usize,
    alert: Alert,
    out: &mut impl FnMut(Alert),
) {
    for pipe in slot.pipes.iter_mut().skip(first) {
        match pipe {
            PipeState::Head { left: 0 } => {
                rstats.piped_out += 1;
                return;
            }
            PipeState::Head { left } => *left -= 1,
            PipeState::Tail { count, held } => {
                if *count > 0 {
                    held.push_back(alert);
                }
                if held.len() > *count || *count == 0 {
                    held.pop_front();
                    rstats.piped_out += 1;
                }
                return;
            }
        }
    }
    if cfg.alert_cap {
        let ts = alert.events.last().map_or(0, |e| e.timestamp_nanos);
        let bucket = ts.div_euclid(slot.interval_nanos.max(1));
        if bucket != slot.cap_bucket {
            slot.cap_bucket = bucket;
            slot.cap_count = 0;
        }
        if slot.cap_count >= slot.rule.meta().max_signals {
            rstats.suppressed += 1;
            return;
        }
        slot.cap_count += 1;
    }
    rstats.alerts += 1;
    out(alert);
}

/// Parses a Kibana interval such as `5m`, `30s`, `1h` into nanoseconds.
pub fn parse_interval(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit = match unit {
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        _ => return None,
    };
    n.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::parse_interval;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("5m"), Some(300_000_000_000));
        assert_eq!(parse_interval("1s"), Some(1_000_000_000));
        assert_eq!(parse_interval("5"), None);
        assert_eq!(parse_interval("m"), None);
    }
}
