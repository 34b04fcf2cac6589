//! The sequence engine, with Elasticsearch's semantics.
//!
//! Input is a stream of *hits* in ordinal order (timestamp, then arrival): an event together with the
//! stages it matched and, per matched stage, its join keys. The engine keeps, per join key, one
//! pending sequence per stage (`OrdinalGroup.trimBefore` in Elasticsearch takes the latest candidate,
//! which is "most recent wins" in a time-ordered stream):
//!
//! - a stage-0 match opens a sequence in slot 0, replacing any older one;
//! - a stage-`i` match takes the sequence waiting in slot `i - 1` (consuming it), checks that the span
//!   from the sequence's *first* event is within `maxspan` (inclusive) and that no `until` event of
//!   the same key lies between the sequence's last event (inclusive) and this one (exclusive), then
//!   moves it to slot `i`, or completes it;
//! - stages are tried from last to first, so one event never advances the same sequence twice and
//!   each stage is strictly later than the previous one.
//!
//! State for a key is dropped once nothing pending for it can complete (its first event is more than
//! `maxspan` behind the stream), and a byte budget bounds the whole table: when it is exceeded the
//! least recently touched keys are evicted and counted.

use std::collections::HashMap;
use std::sync::Arc;

/// A join-key value: the field's text, or `None` for a null allowed by an optional (`?`) key.
pub type KeyValue = Option<Box<str>>;

/// A full join key (sequence keys then stage keys, compared positionally).
pub type Key = Box<[KeyValue]>;

/// Where an event sits in the stream: timestamp, then an optional tiebreaker, then arrival order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ordinal {
    /// Nanoseconds since the Unix epoch.
    pub timestamp: i64,
    /// The configured tiebreaker field's value, if any (numeric).
    pub tiebreaker: Option<i64>,
    /// Arrival order: the implicit tiebreaker.
    pub arrival: u64,
}

/// One event as the sequence engine sees it.
#[derive(Clone, Debug)]
pub struct SeqEvent {
    /// Position in the stream.
    pub ordinal: Ordinal,
    /// The original document.
    pub raw: Arc<str>,
}

/// One event's hits: the stages it matched, with the join keys for each.
#[derive(Clone, Debug)]
pub struct Hit {
    /// The event.
    pub event: SeqEvent,
    /// `(stage, keys)` for every matched stage (a multi-valued key gives several keys).
    pub stages: Vec<(usize, Vec<Key>)>,
    /// The keys for which the event matched `until`.
    pub until: Vec<Key>,
}

/// A completed sequence.
#[derive(Clone, Debug)]
pub struct Completed {
    /// The join key.
    pub key: Key,
    /// The events, one per stage, in order.
    pub events: Vec<SeqEvent>,
}

/// Counters the engine keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeqStats {
    /// Sequences completed.
    pub completed: u64,
    /// Pending sequences that could not advance because `maxspan` had passed.
    pub expired_maxspan: u64,
    /// Pending sequences cut by an `until` event.
    pub expired_until: u64,
    /// Keys whose state was dropped because the byte budget was exceeded.
    pub evicted_keys: u64,
    /// Pending sequences lost with evicted keys.
    pub evicted_pending: u64,
    /// Keys dropped because nothing pending could complete any more.
    pub retired_keys: u64,
    /// Live keys now.
    pub live_keys: u64,
    /// Approximate bytes held now.
    pub live_bytes: u64,
    /// The most bytes held at once.
    pub peak_bytes: u64,
}

#[derive(Debug)]
struct Pending {
    events: Vec<SeqEvent>,
}

impl Pending {
    fn first(&self) -> i64 {
        self.events
            .first()
            .map_or(i64::MIN, |e| e.ordinal.timestamp)
    }

    fn last(&self) -> Option<Ordinal> {
        self.events.last().map(|e| e.ordinal)
    }
}

#[derive(Debug)]
struct KeyState {
    /// `slots[i]` holds the sequence that has matched stages `0..=i`.
    slots: Box<[Option<Pending>]>,
    /// The latest `until` event for this key.
    until: Option<Ordinal>,
    /// Timestamp of the last event that touched this key (for eviction).
    touched: i64,
    /// Bytes charged for this key.
    bytes: usize,
}

impl KeyState {
    fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// The first timestamp of the oldest pending sequence.
    fn oldest_start(&self) -> Option<i64> {
        self.slots.iter().flatten().map(Pending::first).min()
    }
}

/// Fixed overhead charged per key and per pending event, on top of the key and document bytes.
/// Calibrated against the resident memory of a 1 M-key flood: the hash table's slot with its
/// growth slack and the boxed slots, and per event its `Vec` entry, `Arc` header and allocator
/// rounding, so that the budget bounds what the process really holds.
const KEY_OVERHEAD: usize = 320;
const EVENT_OVERHEAD: usize = 112;

/// The keyed state machine of one sequence rule.
#[derive(Debug)]
pub struct SequenceEngine {
    stages: usize,
    maxspan: Option<u64>,
    max_bytes: usize,
    keys: HashMap<Key, KeyState>,
    bytes: usize,
    now: i64,
    since_sweep: u64,
    stats: SeqStats,
}

impl SequenceEngine {
    /// An engine for `stages` stages (≥ 1), an optional maxspan in nanoseconds, and a state budget.
    pub fn new(stages: usize, maxspan_nanos: Option<u64>, max_bytes: usize) -> SequenceEngine {
        SequenceEngine {
            stages: stages.max(1),
            maxspan: maxspan_nanos,
            max_bytes,
            keys: HashMap::new(),
            bytes: 0,
            now: i64::MIN,
            since_sweep: 0,
            stats: SeqStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> SeqStats {
        let mut s = self.stats.clone();
        s.live_keys = self.keys.len() as u64;
        s.live_bytes = self.bytes as u64;
        s
    }

    /// Feeds one event's hits; hits must arrive in ordinal order. Completed sequences go to `out`.
    pub fn push(&mut self, hit: Hit, out: &mut impl FnMut(Completed)) {
        let ord = hit.event.ordinal;
        self.now = self.now.max(ord.timestamp);
        // Last stage first, so the event cannot advance a sequence it has just advanced.
        let mut stages = hit.stages;
        stages.sort_by_key(|s| std::cmp::Reverse(s.0));
        for (stage, keys) in stages {
            if stage >= self.stages {
                continue;
            }
            for key in keys {
                self.advance(stage, key, &hit.event, out);
            }
        }
        // After the stages: an `until` cuts only sequences advanced by later events (its own
        // event may still complete one, as in Elasticsearch, which looks for the nearest
        // `until` strictly before the advancing event).
        for key in &hit.until {
            let state = self.state_for(key, ord.timestamp);
            state.until = Some(ord);
        }
        self.since_sweep += 1;
        if self.bytes > self.max_bytes || self.since_sweep >= 4096 {
            self.sweep();
        }
        // Measured between events (a sweep has run if the budget was exceeded).
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.bytes as u64);
    }

    /// The smallest arrival number among the events the engine still holds: the events of
    /// pending sequences, and the `until` marks of keys with something pending. Replaying the
    /// stream from that arrival on rebuilds the same state (what a consumer may commit up to).
    /// Sweeps first, so that sequences past their maxspan do not hold it back; `now` is a
    /// timestamp no later hit will be earlier than (the stream's released position).
    pub fn oldest_held(&mut self, now: i64) -> Option<u64> {
        self.now = self.now.max(now);
        self.sweep();
        self.keys
            .values()
            .flat_map(|state| {
                let events = state.slots.iter().flatten().flat_map(|p| &p.events);
                let until = state.until.filter(|_| !state.is_empty());
                events
                    .map(|e| e.ordinal.arrival)
                    .chain(until.map(|u| u.arrival))
            })
            .min()
    }

    fn state_for(&mut self, key: &Key, ts: i64) -> &mut KeyState {
        if !self.keys.contains_key(key) {
            let bytes = KEY_OVERHEAD + key_bytes(key);
            self.bytes += bytes;
            self.keys.insert(
                key.clone(),
                KeyState {
                    slots: (0..self.stages.saturating_sub(1)).map(|_| None).collect(),
                    until: None,
                    touched: ts,
                    bytes,
                },
            );
        }
        let state = self.keys.get_mut(key).expect("inserted above");
        state.touched = state.touched.max(ts);
        state
    }

    fn advance(&mut self, stage: usize, key: Key, ev: &SeqEvent, out: &mut impl FnMut(Completed)) {
        let ts = ev.ordinal.timestamp;
        let last_stage = self.stages - 1;
        if stage == 0 {
            if last_stage == 0 {
                self.stats.completed += 1;
                out(Completed {
                    key,
                    events: vec![ev.clone()],
                });
                return;
            }
            let charge = EVENT_OVERHEAD + ev.raw.len();
            let state = self.state_for(&key, ts);
            let old = state.slots[0].replace(Pending {
                events: vec![ev.clone()],
            });
            let freed = old.map_or(0, |p| pending_bytes(&p));
            state.bytes = state.bytes + charge - freed;
            self.bytes = self.bytes + charge - freed;
            return;
        }
        let Some(state) = self.keys.get_mut(&key) else {
            return;
        };
        // Consume the candidate before the checks, as Elasticsearch does: if it fails them, an
        // older candidate would fail too.
        let Some(mut pending) = state.slots[stage - 1].take() else {
            return;
        };
        let freed = pending_bytes(&pending);
        state.bytes -= freed;
        self.bytes -= freed;
        state.touched = state.touched.max(ts);
        let strictly_later = pending.last().is_some_and(|last| last < ev.ordinal);
        if !strictly_later {
            // Cannot happen for hits in ordinal order; keep the candidate rather than lose it.
            state.bytes += freed;
            self.bytes += freed;
            state.slots[stage - 1] = Some(pending);
            return;
        }
        if !within(self.maxspan, pending.first(), ts) {
            self.stats.expired_maxspan += 1;
            return;
        }
        // Elasticsearch: `until.between(sequence, event)`, inclusive, with the `until` strictly
        // before the event; an `until` at the pending sequence's own last event cuts it too.
        let cut_by_until = match (state.until, pending.last()) {
            (Some(until), Some(last)) => last <= until && until < ev.ordinal,
            _ => false,
        };
        if cut_by_until {
            self.stats.expired_until += 1;
            return;
        }
        pending.events.push(ev.clone());
        if stage == last_stage {
            self.stats.completed += 1;
            out(Completed {
                key,
                events: pending.events,
            });
        } else {
            let charge = pending_bytes(&pending);
            let old = state.slots[stage].replace(pending);
            let freed = old.map_or(0, |p| pending_bytes(&p));
            state.bytes = state.bytes + charge - freed;
            self.bytes = self.bytes + charge - freed;
        }
    }

    /// Drops what can no longer complete; if still over budget, evicts the least recently
    /// touched keys until a tenth of the budget is free again.
    pub fn sweep(&mut self) {
        self.since_sweep = 0;
        let now = self.now;
        let maxspan = self.maxspan;
        let (mut freed, mut retired, mut expired) = (0, 0, 0);
        self.keys.retain(|_, state| {
            // A pending sequence whose first event is more than maxspan behind the stream can
            // no longer complete (without maxspan, none expires).
            for slot in state.slots.iter_mut() {
                if let Some(p) = slot.take_if(|p| !within(maxspan, p.first(), now)) {
                    let b = pending_bytes(&p);
                    state.bytes -= b;
                    freed += b;
                    expired += 1;
                }
            }
            // An `until` mark matters only while something is pending.
            let keep = !state.is_empty();
            if !keep {
                freed += state.bytes;
                retired += 1;
            }
            keep
        });
        self.bytes -= freed;
        self.stats.retired_keys += retired;
        self.stats.expired_maxspan += expired;
        if self.bytes > self.max_bytes {
            self.evict();
        }
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.bytes as u64);
    }

    fn evict(&mut self) {
        let target = self.max_bytes - self.max_bytes / 10;
        let mut by_age: Vec<(i64, i64, usize)> = Vec::with_capacity(self.keys.len());
        for state in self.keys.values() {
            by_age.push((
                state.touched,
                state.oldest_start().unwrap_or(i64::MIN),
                state.bytes,
            ));
        }
        by_age.sort_unstable();
        // Find the touch time below which keys go.
        let mut to_free = self.bytes.saturating_sub(target);
        let mut cutoff = (i64::MIN, i64::MIN);
        for (touched, start, bytes) in by_age {
            if to_free == 0 {
                break;
            }
            to_free = to_free.saturating_sub(bytes);
            cutoff = (touched, start);
        }
        let mut freed = 0;
        let mut evicted = 0;
        let mut pending_lost = 0;
        self.keys.retain(|_, state| {
            let age = (state.touched, state.oldest_start().unwrap_or(i64::MIN));
            if age <= cutoff {
                freed += state.bytes;
                evicted += 1;
                pending_lost += state.slots.iter().flatten().count() as u64;
                false
            } else {
                true
            }
        });
        self.bytes -= freed;
        self.stats.evicted_keys += evicted;
        self.stats.evicted_pending += pending_lost;
    }
}

/// Whether a sequence that started at `first` may still include an event at `ts`: maxspan is
/// inclusive and measured from the first event (`SequenceMatcher.exceedsMaxSpan`).
fn within(maxspan: Option<u64>, first: i64, ts: i64) -> bool {
    maxspan.is_none_or(|span| (ts as i128 - first as i128) <= span as i128)
}

/// What a join key costs in memory: each value's box and text.
pub(crate) fn key_bytes(key: &Key) -> usize {
    key.iter()
        .map(|v| 40 + v.as_ref().map_or(0, |s| s.len()))
        .sum()
}

fn pending_bytes(p: &Pending) -> usize {
    p.events.iter().map(|e| EVENT_OVERHEAD + e.raw.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        vec![Some(Box::<str>::from(s))].into_boxed_slice()
    }

    fn ev(ts_ms: i64, arrival: u64, label: &str) -> SeqEvent {
        SeqEvent {
            ordinal: Ordinal {
                timestamp: ts_ms * 1_000_000,
                tiebreaker: None,
                arrival,
            },
            raw: Arc::from(label),
        }
    }

    fn run(engine: &mut SequenceEngine, hits: Vec<Hit>) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for h in hits {
            engine.push(h, &mut |c: Completed| {
                out.push(c.events.iter().map(|e| e.raw.to_string()).collect())
            });
        }
        out
    }

    fn hit(e: SeqEvent, stages: &[usize], k: &str) -> Hit {
        Hit {
            event: e,
            stages: stages.iter().map(|&s| (s, vec![key(k)])).collect(),
            until: vec![],
        }
    }

    #[test]
    fn maxspan_is_inclusive_from_first_event() {
        let mut e = SequenceEngine::new(2, Some(1_000_000_000), 1 << 20);
        let got = run(
            &mut e,
            vec![
                hit(ev(1000, 0, "a"), &[0], "k"),
                hit(ev(2000, 1, "b"), &[1], "k"),
            ],
        );
        assert_eq!(got, vec![vec!["a", "b"]]);
        let mut e = SequenceEngine::new(2, Some(1_000_000_000), 1 << 20);
        let late = SeqEvent {
            ordinal: Ordinal {
                timestamp: 2000 * 1_000_000 + 1,
                tiebreaker: None,
                arrival: 1,
            },
            raw: Arc::from("b"),
        };
        let got = run(
            &mut e,
            vec![hit(ev(1000, 0, "a"), &[0], "k"), hit(late, &[1], "k")],
        );
        assert!(got.is_empty());
        assert_eq!(e.stats().expired_maxspan, 1);
    }

    #[test]
    fn most_recent_wins_and_completion_consumes() {
        let mut e = SequenceEngine::new(2, Some(1_000_000_000), 1 << 20);
        let got = run(
            &mut e,
            vec![
                hit(ev(1000, 0, "curl"), &[0], "k"),
                hit(ev(1200, 1, "wget"), &[0], "k"),
                hit(ev(1500, 2, "net1"), &[1], "k"),
                hit(ev(1600, 3, "net2"), &[1], "k"),
            ],
        );
        assert_eq!(got, vec![vec!["wget", "net1"]]);
    }

    #[test]
    fn one_event_matching_every_stage_does_not_complete_alone() {
        let mut e = SequenceEngine::new(2, None, 1 << 20);
        let got = run(
            &mut e,
            vec![
                hit(ev(1, 0, "x"), &[0, 1], "k"),
                hit(ev(2, 1, "y"), &[0, 1], "k"),
            ],
        );
        assert_eq!(got, vec![vec!["x", "y"]]);
    }

    #[test]
    fn keys_do_not_mix() {
        let mut e = SequenceEngine::new(2, None, 1 << 20);
        let got = run(
            &mut e,
            vec![
                hit(ev(1, 0, "a"), &[0], "k1"),
                hit(ev(2, 1, "b"), &[1], "k2"),
            ],
        );
        assert!(got.is_empty());
    }

    #[test]
    fn many_many_reuse_across_sequences() {
        // sequenceConditionManyMany: [serial<=3] [true] [true] over 1..5 -> [1,2,3],[2,3,4],[3,4,5]
        let mut e = SequenceEngine::new(3, None, 1 << 20);
        let hits = (1..=5)
            .map(|i| {
                let mut st = vec![1, 2];
                if i <= 3 {
                    st.push(0);
                }
                hit(ev(i, i as u64, &i.to_string()), &st, "k")
            })
            .collect();
        let got = run(&mut e, hits);
        assert_eq!(
            got,
            vec![
                vec!["1", "2", "3"],
                vec!["2", "3", "4"],
                vec!["3", "4", "5"]
            ]
        );
    }

    #[test]
    fn until_between_cuts_the_sequence() {
        let mut e = SequenceEngine::new(2, None, 1 << 20);
        let mut out = Vec::new();
        let mut push = |e: &mut SequenceEngine, h: Hit| {
            e.push(h, &mut |c: Completed| out.push(c.events.len()))
        };
        push(&mut e, hit(ev(1, 0, "a"), &[0], "k"));
        push(
            &mut e,
            Hit {
                event: ev(2, 1, "u"),
                stages: vec![],
                until: vec![key("k")],
            },
        );
        push(&mut e, hit(ev(3, 2, "b"), &[1], "k"));
        assert!(out.is_empty());
        assert_eq!(e.stats().expired_until, 1);
    }

    /// Elasticsearch's `test_extra.toml` `sequenceWithOptionalFieldsAndUntil_1`/`_2`: an event
    /// that is both a stage and the `until` advances the sequence, which the next stage then
    /// cannot take; an `until` on the completing event does not stop it.
    #[test]
    fn until_on_a_stage_event_cuts_at_the_next_stage() {
        let both = |e: SeqEvent, stage: usize| Hit {
            until: vec![key("k")],
            ..hit(e, &[stage], "k")
        };
        let mut e = SequenceEngine::new(3, None, 1 << 20);
        let got = run(
            &mut e,
            vec![
                hit(ev(1, 0, "a"), &[0], "k"),
                both(ev(2, 1, "b"), 1),
                hit(ev(3, 2, "c"), &[2], "k"),
            ],
        );
        assert!(got.is_empty());
        assert_eq!(e.stats().expired_until, 1);
        let mut e = SequenceEngine::new(3, None, 1 << 20);
        let got = run(
            &mut e,
            vec![
                hit(ev(1, 0, "a"), &[0], "k"),
                hit(ev(2, 1, "b"), &[1], "k"),
                both(ev(3, 2, "c"), 2),
            ],
        );
        assert_eq!(got, vec![vec!["a", "b", "c"]]);
    }

    #[test]
    fn budget_evicts_oldest_and_keeps_recent_keys() {
        let mut e = SequenceEngine::new(2, None, 64 * 1024);
        let mut out = 0;
        for i in 0..10_000u64 {
            e.push(
                hit(ev(i as i64, i, "doc"), &[0], &format!("k{i}")),
                &mut |_| out += 1,
            );
        }
        assert!(e.stats().live_bytes <= 64 * 1024, "{:?}", e.stats());
        assert!(e.stats().evicted_keys > 0);
        e.push(hit(ev(10_001, 10_001, "b"), &[1], "k9999"), &mut |_| {
            out += 1
        });
        assert_eq!(out, 1);
    }

    #[test]
    fn expired_state_is_retired_by_sweep() {
        let mut e = SequenceEngine::new(2, Some(1_000), 1 << 20);
        for i in 0..100u64 {
            e.push(
                hit(ev(i as i64, i, "a"), &[0], &format!("k{i}")),
                &mut |_| {},
            );
        }
        e.push(hit(ev(10_000, 200, "x"), &[], "none"), &mut |_| {});
        e.sweep();
        assert_eq!(e.stats().live_keys, 0);
        assert_eq!(e.stats().live_bytes, 0);
    }
}
