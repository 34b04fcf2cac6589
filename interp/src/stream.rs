//! Running a rule over a batch of NDJSON lines, for tests and oracles.
//!
//! The batch is ordered by (timestamp, tiebreaker, arrival), as Elasticsearch orders events
//! (so any lateness is tolerated: the whole batch is sorted first), every event is evaluated,
//! and sequences go through the runtime's [`eql_runtime::seq::SequenceEngine`]. Results come in
//! completion order (an event query's events in stream order), then `head`/`tail` pipes and the
//! size limit apply.
//!
//! Missing-event stages `![…]` and `sample` need the whole batch, as Elasticsearch runs them with
//! extra searches; both are answered by [`eql_runtime::batch`], which the streaming detector uses
//! too. A sample orders its join keys by the key fields' mapped types.

use std::cmp::Ordering;
use std::sync::Arc;

use eql_runtime::batch::{self, BatchResult};
use eql_runtime::rule::{SeqSpec, Shape, UNTIL_BIT};
use eql_runtime::seq::{Hit, Key, Ordinal, SeqEvent};
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
type Event<'a> = (Ordinal, &'a serde_json::Value, &'a str);

/// Parses `lines` once, for running many rules over them with [`run_batch_parsed`]. A line
/// that is not JSON is an error naming it.
pub fn parse_lines(lines: &[&str]) -> Result<Vec<serde_json::Value>, String> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| format!("line {}: not JSON: {e}", i + 1))
        })
        .collect()
}

/// Runs `rule` over `lines` (one JSON document each), with join keys and missing-event
/// placeholders. A line that is not JSON, or (except for a `sample`, which does not order
/// events) has no parseable timestamp, is an error naming it.
pub fn run_batch(
    rule: &Interpreted,
    lines: &[&str],
    opts: &StreamOptions,
) -> Result<Vec<BatchMatch>, String> {
    run_batch_parsed(rule, lines, &parse_lines(lines)?, opts)
}

/// [`run_batch`] over lines already parsed by [`parse_lines`] (`docs[i]` is `lines[i]`).
pub fn run_batch_parsed(
    rule: &Interpreted,
    lines: &[&str],
    docs: &[serde_json::Value],
    opts: &StreamOptions,
) -> Result<Vec<BatchMatch>, String> {
    let mut events: Vec<Event<'_>> = Vec::with_capacity(lines.len());
    for (arrival, (line, doc)) in lines.iter().zip(docs).enumerate() {
        let ts = rule
            .texts(doc, rule.timestamp_field())
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
            rule.texts(doc, f)
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
            sequences(rule, spec, &events)
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

/// The hits of `events` for the rule: the stages each matches with their join keys.
fn hits(rule: &Interpreted, events: &[Event<'_>], stages: usize) -> Vec<Hit> {
    let mut out = Vec::new();
    for (ordinal, doc, line) in events {
        let mask = rule.eval(doc);
        if mask == 0 {
            continue;
        }
        let matched: Vec<(usize, Vec<Key>)> = (0..stages)
            .filter(|&i| mask & (1 << i) != 0)
            .map(|i| (i, rule.keys(doc, Some(i))))
            .filter(|(_, keys)| !keys.is_empty())
            .collect();
        let until = if mask & UNTIL_BIT != 0 {
            rule.keys(doc, None)
        } else {
            Vec::new()
        };
        out.push(Hit {
            event: SeqEvent {
                ordinal: *ordinal,
                raw: Arc::from(*line),
            },
            stages: matched,
            until,
        });
    }
    out
}

fn batch_match(r: BatchResult) -> BatchMatch {
    BatchMatch {
        events: r
            .events
            .into_iter()
            .map(|e| e.map(|e| e.raw.to_string()))
            .collect(),
        keys: key_strings(&r.key),
    }
}

/// Sequences over time-ordered `events` (missing-event stages checked at the end), in
/// completion order: the Elasticsearch spec `sequenceWithMoreThan10Results` expects exactly
/// this (its [16, 60, 66] comes after [59, 61, 65] although event 16 is the oldest of all).
fn sequences(rule: &Interpreted, spec: &SeqSpec, events: &[Event<'_>]) -> Vec<BatchMatch> {
    let hits = hits(rule, events, spec.stages.len());
    batch::sequences(spec, hits)
        .into_iter()
        .map(batch_match)
        .collect()
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

/// `sample`: per join key, up to `per_key` samples of distinct events, keys in ascending order
/// by the key fields' mapped types.
fn samples(rule: &Interpreted, events: &[Event<'_>], per_key: usize) -> Vec<BatchMatch> {
    let Shape::Sequence(spec) = rule.shape() else {
        return Vec::new();
    };
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
    let order = |a: &Key, b: &Key| {
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
    };
    let hits = hits(rule, events, spec.stages.len());
    batch::samples(spec, &hits, per_key, order)
        .into_iter()
        .map(batch_match)
        .collect()
}
