//! What needs the whole input before it can answer: missing-event sequences and `sample`.
//! Elasticsearch runs both with extra searches over the whole window; here the matching events
//! of such a rule are collected while the input streams, and the answer is computed when it ends.
//!
//! - Missing-event stages `![…]`: the positive stages form sequences through the
//!   [`SequenceEngine`]; each completed sequence is then checked for events of its missing stages
//!   with the same join key. One strictly between the neighbouring positive events discards it;
//!   leading and trailing ones discard it when they fall within `maxspan` of the sequence
//!   (Elasticsearch's `TumblingWindow.doCheckMissingEvents`). Times compare in milliseconds.
//! - `sample`: events are grouped by join key in input order, keys in ascending order (null
//!   first, as a composite aggregation with missing buckets orders them), and each key yields up
//!   to `max_samples_per_key` samples of distinct events, one per stage, chosen depth-first from
//!   each stage's first `stages + max_samples_per_key − 1` events (`SampleIterator`).

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::rule::SeqSpec;
use crate::seq::{Completed, Hit, Key, KeyValue, SeqEvent, SequenceEngine};

/// One result: per stage its event (`None` for a missing-event stage), and the join key.
#[derive(Clone, Debug)]
pub struct BatchResult {
    /// One entry per stage, in stage order.
    pub events: Vec<Option<SeqEvent>>,
    /// The join key.
    pub key: Key,
}

/// Missing-event sequences over `hits` (sorted here by ordinal). Results come in completion
/// order, as the streaming engine's.
pub fn sequences(spec: &SeqSpec, mut hits: Vec<Hit>) -> Vec<BatchResult> {
    hits.sort_by_key(|h| h.event.ordinal);
    let stages = spec.stages.len();
    let missing_stage = |i: usize| spec.stages.get(i).is_some_and(|s| s.missing);
    let positive: Vec<usize> = (0..stages).filter(|&i| !missing_stage(i)).collect();
    let mut engine = SequenceEngine::new(positive.len(), spec.maxspan_nanos, usize::MAX);
    let mut done: Vec<Completed> = Vec::new();
    // Per stage, the (millisecond time, join keys) of the events matching it as a missing stage.
    let mut missing: Vec<Vec<(i64, Vec<Key>)>> = vec![Vec::new(); stages];
    for hit in hits {
        let ms = hit.event.ordinal.timestamp.div_euclid(1_000_000);
        let mut positive_hits = Vec::new();
        for (stage, keys) in hit.stages {
            if missing_stage(stage) {
                if let Some(list) = missing.get_mut(stage) {
                    list.push((ms, keys));
                }
            } else if let Some(p) = positive.iter().position(|&i| i == stage) {
                positive_hits.push((p, keys));
            }
        }
        let hit = Hit {
            event: hit.event,
            stages: positive_hits,
            until: hit.until,
        };
        engine.push(hit, &mut |c: Completed| done.push(c));
    }
    done.into_iter()
        .filter(|c| positive.len() == stages || !has_missing(spec, &missing, &c.key, &c.events))
        .map(|c| {
            let mut it = c.events.into_iter();
            let events = (0..stages)
                .map(|i| if missing_stage(i) { None } else { it.next() })
                .collect();
            BatchResult { events, key: c.key }
        })
        .collect()
}

/// Whether a completed sequence (its positive `events`) is discarded by its missing stages.
fn has_missing(
    spec: &SeqSpec,
    missing: &[Vec<(i64, Vec<Key>)>],
    key: &Key,
    events: &[SeqEvent],
) -> bool {
    let stages = missing.len();
    let missing_stage = |i: usize| spec.stages.get(i).is_some_and(|s| s.missing);
    // Positive stage → its event's time in milliseconds.
    let mut at: Vec<Option<i64>> = vec![None; stages];
    let mut it = events.iter();
    for (i, slot) in at.iter_mut().enumerate() {
        if !missing_stage(i) {
            *slot = it.next().map(|e| e.ordinal.timestamp.div_euclid(1_000_000));
        }
    }
    let (Some(first), Some(last)) = (
        at.iter().flatten().next().copied(),
        at.iter().flatten().last().copied(),
    ) else {
        return false;
    };
    let exceeds = |from: Option<i64>, to: Option<i64>| match (from, to, spec.maxspan_nanos) {
        (Some(f), Some(t), Some(span)) => {
            i128::from(t) * 1_000_000 - i128::from(f) * 1_000_000 > i128::from(span) && span > 0
        }
        (Some(_), Some(_), None) => false,
        _ => true,
    };
    let (mut last_leading, mut first_trailing): (Option<i64>, Option<i64>) = (None, None);
    for i in (0..stages).filter(|&i| missing_stage(i)) {
        let prev = at[..i].iter().rev().flatten().next().copied();
        let next = at[i + 1..].iter().flatten().next().copied();
        let times = missing[i]
            .iter()
            .filter(|(_, keys)| keys.contains(key))
            .map(|(t, _)| *t);
        match (prev, next) {
            (None, _) => {
                if let Some(t) = times.filter(|&t| t < first).max() {
                    last_leading = Some(last_leading.map_or(t, |l| l.max(t)));
                }
            }
            (_, None) => {
                if let Some(t) = times.filter(|&t| t > last).min() {
                    first_trailing = Some(first_trailing.map_or(t, |f| f.min(t)));
                }
            }
            (Some(p), Some(n)) => {
                if times.into_iter().any(|t| p < t && t < n) {
                    return true;
                }
            }
        }
    }
    let leading = missing_stage(0);
    let trailing = missing_stage(stages - 1);
    let kept = (first_trailing.is_none() && last_leading.is_none())
        || (last_leading.is_none() && leading)
        || (first_trailing.is_none() && trailing)
        || (leading && trailing && exceeds(last_leading, first_trailing))
        || (leading && !trailing && exceeds(last_leading, Some(last)))
        || (!leading && trailing && exceeds(Some(first), first_trailing));
    !kept
}

/// `sample` over `hits` in input order: per join key, up to `per_key` samples of distinct
/// events, keys ordered by `key_order`.
pub fn samples(
    spec: &SeqSpec,
    hits: &[Hit],
    per_key: usize,
    key_order: impl Fn(&Key, &Key) -> Ordering,
) -> Vec<BatchResult> {
    let stages = spec.stages.len();
    let per_key = per_key.max(1);
    // Key → per stage, the matching events (indices into `hits`) in input order.
    let mut groups: HashMap<&Key, Vec<Vec<usize>>> = HashMap::new();
    for (idx, hit) in hits.iter().enumerate() {
        for (stage, keys) in &hit.stages {
            for key in keys {
                let lists = groups
                    .entry(key)
                    .or_insert_with(|| vec![Vec::new(); stages]);
                if let Some(list) = lists.get_mut(*stage) {
                    if !list.contains(&idx) {
                        list.push(idx);
                    }
                }
            }
        }
    }
    let mut keys: Vec<&Key> = groups
        .iter()
        .filter(|(_, lists)| lists.iter().all(|l| !l.is_empty()))
        .map(|(k, _)| *k)
        .collect();
    keys.sort_by(|a, b| key_order(a, b));
    // Elasticsearch asks each stage for `stages + per_key - 1` events of the key: enough for
    // `per_key` samples of distinct events.
    let fetch = (stages + per_key).saturating_sub(1);
    let mut out = Vec::new();
    for key in keys {
        let lists: Vec<&[usize]> = groups[key]
            .iter()
            .map(|l| &l[..l.len().min(fetch)])
            .collect();
        let mut found = Vec::new();
        pick(&lists, &mut Vec::new(), per_key, &mut found);
        for sample in found {
            out.push(BatchResult {
                events: sample
                    .iter()
                    .map(|&x| Some(hits[x].event.clone()))
                    .collect(),
                key: key.clone(),
            });
        }
    }
    out
}

/// Depth-first choice of one distinct event per stage, collecting up to `max` samples.
fn pick(lists: &[&[usize]], partial: &mut Vec<usize>, max: usize, found: &mut Vec<Vec<usize>>) {
    let Some(list) = lists.get(partial.len()) else {
        return;
    };
    for &e in *list {
        if found.len() >= max {
            return;
        }
        if partial.contains(&e) {
            continue;
        }
        partial.push(e);
        if partial.len() == lists.len() {
            found.push(partial.clone());
        } else {
            pick(lists, partial, max, found);
        }
        partial.pop();
    }
}

/// A join key's ascending order without a mapping: null first, then numbers numerically,
/// addresses by their 16 bytes, text byte-wise (in that order across kinds).
pub fn key_order(a: &Key, b: &Key) -> Ordering {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| value_order(x, y))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

fn value_order(a: &KeyValue, b: &KeyValue) -> Ordering {
    sort_value(a)
        .partial_cmp(&sort_value(b))
        .unwrap_or(Ordering::Equal)
}

/// A key value's kind and place, for [`key_order`].
#[derive(PartialEq, PartialOrd)]
enum Sort<'a> {
    Null,
    Number(f64),
    Address(u128),
    Text(&'a str),
}

fn sort_value(v: &KeyValue) -> Sort<'_> {
    let Some(t) = v.as_deref() else {
        return Sort::Null;
    };
    if let Ok(n) = t.parse::<f64>() {
        return Sort::Number(n);
    }
    match crate::matcher::ip::parse(t) {
        Some(ip) => Sort::Address(crate::matcher::ip::key(&ip)),
        None => Sort::Text(t),
    }
}
