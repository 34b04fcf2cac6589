//! Running a rule over a batch of NDJSON lines, for tests and oracles.
//!
//! The batch is ordered by (timestamp, tiebreaker, arrival), as Elasticsearch orders events
//! (so any lateness is tolerated: the whole batch is sorted first), every event is evaluated,
//! and sequences go through the runtime's [`SequenceEngine`]. Results come in completion order
//! (an event query's events in stream order), then `head`/`tail` pipes and the size limit apply.
//!
//! Two things need the whole batch, as Elasticsearch runs them with extra searches:
//!
//! - missing-event stages `![…]`: the positive stages form sequences first; each completed
//!   sequence is then checked for events of its missing stages (same join key): one between the
//!   neighbouring positive events discards it, and leading / trailing ones discard it when they
//!   fall within `maxspan` of the sequence (Elasticsearch's `TumblingWindow.doCheckMissingEvents`);
//! - `sample`: events are grouped by join key in index (arrival) order, keys in ascending order
//!   (null first, as a composite aggregation with missing buckets), and each key yields up to
//!   `max_samples_per_key` samples of distinct events, one per stage, chosen by backtracking
//!   over each stage's first `stages + max_samples_per_key − 1` events (`SampleIterator`).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use eql_runtime::rule::{Shape, UNTIL_BIT};
use eql_runtime::seq::{Completed, Hit, Key, Ordinal, SeqEvent, SequenceEngine};
use eql_syntax::ast::PipeKind;

use crate::value::{self, parse_instant};
use crate::{FieldType, Interpreted};

/// How [`run_stream_with`] and [`run_batch`] order and limit.
#[derive(Clone, Debug, Default)]
pub struct StreamOptions {
    /// A numeric field that breaks timestamp ties before arrival order (`serial_event_id`).
    pub tiebreaker: Option<String>,
    /// Results returned at most (after pipes); `None` is unlimited.
    pub size: Option<usize>,
    /// Samples returned at most per join key (`max_samples_per_key`); `None` is 1.
    pub max_samples_per_key: Option<usize>,
}

/// One result of [`run_batch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchMatch {
    /// The raw lines of the events, one per stage; `None` for a missing-event stage.
    pub events: Vec<Option<String>>,
    /// The join key (`None`: a null key); empty for an event query.
    pub keys: Vec<Option<String>>,
}

/// [`run_stream_with`] with default options.
pub fn run_stream(rule: &Interpreted, lines: &[&str]) -> Result<Vec<Vec<String>>, String> {
    run_stream_with(rule, lines, &StreamOptions::default())
}

/// Runs `rule` over `lines` (one JSON document each). Returns every result as the raw lines
/// of its events: one line for an event query, one per stage for a sequence (missing-event
/// stages have no line). A line that is not JSON or has no parseable timestamp is an error
/// naming it.
pub fn run_stream_with(
    rule: &Interpreted,
    lines: &[&str],
    opts: &StreamOptions,
) -> Result<Vec<Vec<String>>, String> {
    Ok(run_batch(rule, lines, opts)?
        .into_iter()
        .map(|m| m.events.into_iter().flatten().collect())
        .collect())
}

/// One parsed event: its place in the order, the document, the line.
type Event<'a> = (Ordinal, serde_json::Value, &'a str);

/// Runs `rule` over `lines` (one JSON document each), with join keys and missing-event
/// placeholders. A line that is not JSON, or (except for a `sample`, which does not order
/// events) has no parseable timestamp, is an error naming it.
pub fn run_batch(
    rule: &Interpreted,
    lines: &[&str],
    opts: &StreamOptions,
) -> Result<Vec<BatchMatch>, String> {
    let mut events: Vec<Event<'_>> = Vec::with_capacity(lines.len());
    for (arrival, line) in lines.iter().enumerate() {
        let doc: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("line {}: not JSON: {e}", arrival + 1))?;
        let ts = rule
            .texts(&doc, rule.timestamp_field())
            .first()
            .and_then(|t| {
                // Numbers come back as JSON text: parse them as epoch milliseconds.
                let v = serde_json::from_str::<serde_json::Value>(t)
                    .ok()
                    .filter(serde_json::Value::is_number)
                    .unwrap_or_else(|| serde_json::Value::String(t.clone()));
                parse_instant(&v)
            });
        let ts = match ts {
            Some(ts) => ts,
            // A sample neither orders nor spans: events without a timestamp take part.
            None if rule.is_sample() => 0,
            None => {
                return Err(format!(
                    "line {}: no parseable `{}`",
                    arrival + 1,
                    rule.timestamp_field()
                ))
            }
        };
        let tiebreaker = opts.tiebreaker.as_ref().and_then(|f| {
            rule.texts(&doc, f)
                .first()
                .and_then(|t| t.parse::<i64>().ok())
        });
        let ordinal = Ordinal {
            timestamp: ts,
            tiebreaker,
            arrival: arrival as u64,
        };
        events.push((ordinal, doc, *line));
    }

    let mut out = match rule.shape() {
        Shape::Event => {
            events.sort_by_key(|e| e.0);
            events
                .iter()
                .filter(|(_, doc, _)| rule.eval(doc) & 1 != 0)
                .map(|(_, _, line)| BatchMatch {
                    events: vec![Some(line.to_string())],
                    keys: Vec::new(),
                })
                .collect()
        }
        Shape::Sequence(_) if rule.is_sample() => {
            // Index order, not time order: a sample picks events as a search without sort would.
            samples(rule, &events, opts.max_samples_per_key.unwrap_or(1).max(1))
        }
        Shape::Sequence(spec) => {
            events.sort_by_key(|e| e.0);
            sequences(rule, &events, spec.stages.len(), spec.maxspan_nanos)
        }
    };
    for pipe in rule.pipes() {
        let n = usize::try_from(pipe.count).unwrap_or(usize::MAX);
        match pipe.kind {
            PipeKind::Head => out.truncate(n),
            PipeKind::Tail => {
                let skip = out.len().saturating_sub(n);
                out.drain(..skip);
            }
        }
    }
    if let Some(size) = opts.size {
        out.truncate(size);
    }
    Ok(out)
}

fn key_strings(key: &Key) -> Vec<Option<String>> {
    key.iter()
        .map(|k| k.as_deref().map(str::to_string))
        .collect()
}

/// Sequences over time-ordered `events`: the positive stages through the [`SequenceEngine`],
/// then the missing-event check.
fn sequences(
    rule: &Interpreted,
    events: &[Event<'_>],
    stages: usize,
    maxspan: Option<u64>,
) -> Vec<BatchMatch> {
    let positive: Vec<usize> = (0..stages).filter(|&i| !rule.is_missing_stage(i)).collect();
    let mut engine = SequenceEngine::new(positive.len(), maxspan, usize::MAX);
    // Completed sequences with the indices (into `events`) of their events, in completion order.
    let mut done: Vec<(Key, Vec<usize>)> = Vec::new();
    // Per missing stage, the (millisecond time, join keys) of the events matching it.
    let mut missing: Vec<Vec<(i64, Vec<Key>)>> = vec![Vec::new(); stages];
    for (idx, (ordinal, doc, _)) in events.iter().enumerate() {
        let mask = rule.eval(doc);
        if mask == 0 {
            continue;
        }
        for (i, list) in missing.iter_mut().enumerate() {
            if rule.is_missing_stage(i) && mask & (1 << i) != 0 {
                let keys = rule.keys(doc, Some(i));
                if !keys.is_empty() {
                    list.push((ordinal.timestamp.div_euclid(1_000_000), keys));
                }
            }
        }
        let mut hits = Vec::new();
        for (p, &i) in positive.iter().enumerate() {
            if mask & (1 << i) != 0 {
                let keys = rule.keys(doc, Some(i));
                if !keys.is_empty() {
                    hits.push((p, keys));
                }
            }
        }
        let until = if mask & UNTIL_BIT != 0 {
            rule.keys(doc, None)
        } else {
            Vec::new()
        };
        let hit = Hit {
            event: SeqEvent {
                ordinal: *ordinal,
                // The engine carries the event's index; the line is looked up afterwards.
                raw: Arc::from(idx.to_string()),
            },
            stages: hits,
            until,
        };
        engine.push(hit, &mut |c: Completed| {
            let idxs = c
                .events
                .iter()
                .filter_map(|e| e.raw.parse::<usize>().ok())
                .collect();
            done.push((c.key, idxs));
        });
    }
    // Sequences stay in completion order (the ordinal of their last event). The
    // Elasticsearch spec `sequenceWithMoreThan10Results` expects exactly this: its
    // [16, 60, 66] comes after [59, 61, 65] although event 16 is the oldest of all.
    done.into_iter()
        .filter(|(key, idxs)| {
            positive.len() == stages || !has_missing(rule, events, &missing, maxspan, key, idxs)
        })
        .map(|(key, idxs)| {
            let mut it = idxs.iter();
            let evs = (0..stages)
                .map(|i| {
                    if rule.is_missing_stage(i) {
                        None
                    } else {
                        it.next().map(|&x| events[x].2.to_string())
                    }
                })
                .collect();
            BatchMatch {
                events: evs,
                keys: key_strings(&key),
            }
        })
        .collect()
}

/// Whether a completed sequence (its positive events `idxs`) is discarded by its missing-event
/// stages. Times compare in milliseconds, strictly, as Elasticsearch's range queries do.
fn has_missing(
    rule: &Interpreted,
    events: &[Event<'_>],
    missing: &[Vec<(i64, Vec<Key>)>],
    maxspan: Option<u64>,
    key: &Key,
    idxs: &[usize],
) -> bool {
    let stages = missing.len();
    let ms = |idx: usize| events[idx].0.timestamp.div_euclid(1_000_000);
    // Positive stage → its event's time.
    let mut at: Vec<Option<i64>> = vec![None; stages];
    let mut it = idxs.iter();
    for (i, slot) in at.iter_mut().enumerate() {
        if !rule.is_missing_stage(i) {
            *slot = it.next().map(|&x| ms(x));
        }
    }
    let (Some(first), Some(last)) = (
        at.iter().flatten().next().copied(),
        at.iter().flatten().last().copied(),
    ) else {
        return false;
    };
    let exceeds = |from: Option<i64>, to: Option<i64>| match (from, to, maxspan) {
        (Some(f), Some(t), Some(span)) => {
            i128::from(t - f) * 1_000_000 > i128::from(span) && span > 0
        }
        (Some(_), Some(_), None) => false,
        _ => true,
    };
    let (mut last_leading, mut first_trailing): (Option<i64>, Option<i64>) = (None, None);
    for i in (0..stages).filter(|&i| rule.is_missing_stage(i)) {
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
    let leading_stage = rule.is_missing_stage(0);
    let trailing_stage = rule.is_missing_stage(stages - 1);
    let kept = (first_trailing.is_none() && last_leading.is_none())
        || (last_leading.is_none() && leading_stage)
        || (first_trailing.is_none() && trailing_stage)
        || (leading_stage && trailing_stage && exceeds(last_leading, first_trailing))
        || (leading_stage && !trailing_stage && exceeds(last_leading, Some(last)))
        || (!leading_stage && trailing_stage && exceeds(Some(first), first_trailing));
    !kept
}

/// A join-key value's place in a composite aggregation's ascending order.
#[derive(Debug, PartialEq, PartialOrd)]
enum SortValue<'a> {
    Null,
    Number(f64),
    Address(u128),
    Text(&'a str),
}

fn sort_value<'a>(ty: Option<&FieldType>, v: &'a Option<Box<str>>) -> SortValue<'a> {
    let Some(t) = v.as_deref() else {
        return SortValue::Null;
    };
    match ty {
        Some(FieldType::Ip) => value::parse_ip(t).map_or(SortValue::Text(t), |ip| {
            SortValue::Address(value::ip_bits(ip))
        }),
        Some(FieldType::Keyword | FieldType::Boolean | FieldType::Version) => SortValue::Text(t),
        // Numbers, dates (epoch milliseconds) and dynamically mapped numbers.
        _ => t
            .parse::<f64>()
            .map_or(SortValue::Text(t), SortValue::Number),
    }
}

/// `sample`: per join key, up to `per_key` samples of distinct events, keys in ascending order.
fn samples(rule: &Interpreted, events: &[Event<'_>], per_key: usize) -> Vec<BatchMatch> {
    let Shape::Sequence(spec) = rule.shape() else {
        return Vec::new();
    };
    let stages = spec.stages.len();
    // Key → per stage, the matching events in index order.
    let mut groups: HashMap<Key, Vec<Vec<usize>>> = HashMap::new();
    for (idx, (_, doc, _)) in events.iter().enumerate() {
        let mask = rule.eval(doc);
        for i in (0..stages).filter(|&i| mask & (1 << i) != 0) {
            for key in rule.keys(doc, Some(i)) {
                let lists = groups
                    .entry(key)
                    .or_insert_with(|| vec![Vec::new(); stages]);
                if !lists[i].contains(&idx) {
                    lists[i].push(idx);
                }
            }
        }
    }
    let types: Vec<Option<&FieldType>> = spec
        .stages
        .first()
        .map(|s| {
            s.keys
                .iter()
                .map(|k| {
                    rule.fields()
                        .get(usize::from(k.field))
                        .and_then(|f| rule.field_type(f))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut keys: Vec<&Key> = groups
        .iter()
        .filter(|(_, lists)| lists.iter().all(|l| !l.is_empty()))
        .map(|(k, _)| k)
        .collect();
    keys.sort_by(|a, b| {
        a.iter()
            .zip(b.iter())
            .enumerate()
            .map(|(i, (x, y))| {
                let ty = types.get(i).copied().flatten();
                sort_value(ty, x)
                    .partial_cmp(&sort_value(ty, y))
                    .unwrap_or(Ordering::Equal)
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
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
            out.push(BatchMatch {
                events: sample
                    .iter()
                    .map(|&x| Some(events[x].2.to_string()))
                    .collect(),
                keys: key_strings(key),
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
