//! Running a rule over a batch of NDJSON lines, for tests and oracles.
//!
//! The batch is ordered by (timestamp, tiebreaker, arrival), as Elasticsearch orders events
//! (so any lateness is tolerated: the whole batch is sorted first), every event is evaluated,
//! and sequences go through the runtime's [`SequenceEngine`]. Results come in completion order
//! (an event query's events in stream order), then `head`/`tail` pipes and the size limit apply.

use std::sync::Arc;

use eql_runtime::rule::{Shape, UNTIL_BIT};
use eql_runtime::seq::{Completed, Hit, Ordinal, SeqEvent, SequenceEngine};
use eql_syntax::ast::PipeKind;

use crate::value::parse_instant;
use crate::Interpreted;

/// How [`run_stream_with`] orders and limits.
#[derive(Clone, Debug, Default)]
pub struct StreamOptions {
    /// A numeric field that breaks timestamp ties before arrival order (`serial_event_id`).
    pub tiebreaker: Option<String>,
    /// Results returned at most (after pipes); `None` is unlimited.
    pub size: Option<usize>,
}

/// [`run_stream_with`] with default options.
pub fn run_stream(rule: &Interpreted, lines: &[&str]) -> Result<Vec<Vec<String>>, String> {
    run_stream_with(rule, lines, &StreamOptions::default())
}

/// Runs `rule` over `lines` (one JSON document each). Returns every result as the raw lines
/// of its events: one line for an event query, one per stage for a sequence. A line that is
/// not JSON or has no parseable timestamp is an error naming it.
pub fn run_stream_with(
    rule: &Interpreted,
    lines: &[&str],
    opts: &StreamOptions,
) -> Result<Vec<Vec<String>>, String> {
    let mut events = Vec::with_capacity(lines.len());
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
            })
            .ok_or_else(|| {
                format!(
                    "line {}: no parseable `{}`",
                    arrival + 1,
                    rule.timestamp_field()
                )
            })?;
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
    events.sort_by_key(|e| e.0);

    let mut results: Vec<(Ordinal, Vec<String>)> = Vec::new();
    match rule.shape() {
        Shape::Event => {
            for (ordinal, doc, line) in &events {
                if rule.eval(doc) & 1 != 0 {
                    results.push((*ordinal, vec![line.to_string()]));
                }
            }
        }
        Shape::Sequence(spec) => {
            let mut engine = SequenceEngine::new(spec.stages.len(), spec.maxspan_nanos, usize::MAX);
            for (ordinal, doc, line) in &events {
                let mask = rule.eval(doc);
                if mask == 0 {
                    continue;
                }
                let mut stages = Vec::new();
                for i in 0..spec.stages.len() {
                    if mask & (1 << i) != 0 {
                        let keys = rule.keys(doc, Some(i));
                        if !keys.is_empty() {
                            stages.push((i, keys));
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
                        raw: Arc::from(*line),
                    },
                    stages,
                    until,
                };
                engine.push(hit, &mut |c: Completed| {
                    let first = c.events.first().map(|e| e.ordinal);
                    let raws = c.events.iter().map(|e| e.raw.to_string()).collect();
                    if let Some(first) = first {
                        results.push((first, raws));
                    }
                });
            }
            // Sequences stay in completion order (the ordinal of their last event). The
            // Elasticsearch spec `sequenceWithMoreThan10Results` expects exactly this: its
            // [16, 60, 66] comes after [59, 61, 65] although event 16 is the oldest of all.
        }
    }
    let mut out: Vec<Vec<String>> = results.into_iter().map(|r| r.1).collect();
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
