//! The end-of-run summary: every line accounted for, and how fast.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use eql_runtime::detector::Stats;
use serde::Serialize;

/// How many line locations are kept per skip reason.
pub const MAX_LOCATIONS: usize = 5;

/// Per-rule results.
#[derive(Debug, Default, Serialize)]
pub struct RuleSummary {
    /// Rule name.
    pub name: String,
    /// Rule id.
    pub rule_id: String,
    /// Alerts written.
    pub alerts: u64,
    /// Alerts withheld by the `max_signals` cap.
    pub suppressed: u64,
    /// Events that matched at least one stage.
    pub matched_events: u64,
    /// Stage hits dropped for a missing join key.
    pub null_key_dropped: u64,
    /// Partial sequences that ran out of `maxspan`.
    pub expired_maxspan: u64,
    /// Keys evicted to stay within `--max-state-bytes`.
    pub evicted_keys: u64,
    /// Partial sequences lost with them.
    pub evicted_pending: u64,
    /// The most sequence state held at once, in bytes.
    pub peak_state_bytes: u64,
    /// Results a `| head` or `| tail` pipe left out.
    pub piped_out: u64,
    /// Matching events of a missing-event or `sample` rule not kept (state budget full), so
    /// its answer may be incomplete.
    pub batch_dropped: u64,
}

/// Lines skipped for one reason.
#[derive(Debug, Default, Serialize)]
pub struct Skipped {
    /// How many.
    pub count: u64,
    /// The first few, as `file:line`.
    pub first: Vec<String>,
}

/// Everything the run reports.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Lines read (evaluated + skipped).
    pub lines: u64,
    /// Lines evaluated (decoded, or ruled out by the literal prefilter).
    pub evaluated: u64,
    /// Of the evaluated lines, those the prefilter ruled out without decoding.
    pub prefiltered: u64,
    /// Skipped lines, by reason.
    pub skipped: BTreeMap<String, Skipped>,
    /// Bytes read (decompressed).
    pub bytes: u64,
    /// Matching events that arrived too late to be joined in order.
    pub late_events: u64,
    /// Far-ahead events held back by the clock-jump rule.
    pub future_events: u64,
    /// Far-ahead events dropped because too many were waiting.
    pub future_dropped: u64,
    /// Alerts written, over all rules.
    pub alerts: u64,
    /// Per rule.
    pub rules: Vec<RuleSummary>,
    /// Inputs that could not be read (fully), with the reason.
    pub input_errors: Vec<String>,
    /// Why the run stopped early, if it did (`interrupted`, `output_closed`, `strict`).
    pub stopped: Option<String>,
    /// Wall-clock seconds.
    pub elapsed_secs: f64,
    /// Decompressed megabytes (10^6) per second.
    pub mb_per_sec: f64,
    /// Evaluated events per second.
    pub events_per_sec: f64,
}

impl Summary {
    /// Fills in the counters from the detector's statistics.
    pub fn absorb(&mut self, stats: &Stats, rules: &[(String, String)]) {
        self.lines = stats.lines;
        self.evaluated = stats.evaluated;
        self.prefiltered = stats.prefiltered;
        self.bytes = stats.bytes;
        for (reason, &n) in &stats.skipped {
            self.skipped
                .entry(reason.as_str().to_owned())
                .or_default()
                .count = n;
        }
        self.late_events = stats.late_events;
        self.future_events = stats.future_events;
        self.future_dropped = stats.future_dropped;
        self.rules = stats
            .rules
            .iter()
            .zip(rules)
            .map(|(r, (name, id))| RuleSummary {
                name: name.clone(),
                rule_id: id.clone(),
                alerts: r.alerts,
                suppressed: r.suppressed,
                matched_events: r.matched_events,
                null_key_dropped: r.null_key_dropped,
                expired_maxspan: r.seq.expired_maxspan,
                evicted_keys: r.seq.evicted_keys,
                evicted_pending: r.seq.evicted_pending,
                peak_state_bytes: r.seq.peak_bytes,
                piped_out: r.piped_out,
                batch_dropped: r.batch_dropped,
            })
            .collect();
        self.alerts = self.rules.iter().map(|r| r.alerts).sum();
    }

    /// Remembers where a skipped line was (the first few per reason).
    pub fn note_skip(&mut self, reason: &str, location: impl FnOnce() -> String) {
        let entry = self.skipped.entry(reason.to_owned()).or_default();
        if entry.first.len() < MAX_LOCATIONS {
            entry.first.push(location());
        }
    }

    /// Sets the elapsed time and the rates derived from it.
    pub fn set_elapsed(&mut self, secs: f64) {
        self.elapsed_secs = secs;
        let secs = secs.max(1e-9);
        self.mb_per_sec = self.bytes as f64 / 1e6 / secs;
        self.events_per_sec = self.evaluated as f64 / secs;
    }

    /// The summary as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The summary for people.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let skipped: u64 = self.skipped.values().map(|k| k.count).sum();
        let _ = writeln!(
            s,
            "eql-detect: {} lines, {} evaluated ({} by the prefilter alone), {} skipped, {} alert{}",
            self.lines,
            self.evaluated,
            self.prefiltered,
            skipped,
            self.alerts,
            if self.alerts == 1 { "" } else { "s" }
        );
        for (reason, k) in &self.skipped {
            let more = if k.count as usize > k.first.len() {
                ", …"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "  skipped {reason:<18} {:>8}  at {}{more}",
                k.count,
                k.first.join(", ")
            );
        }
        if self.late_events + self.future_events + self.future_dropped > 0 {
            let _ = writeln!(
                s,
                "  late events {} (not joined), far-future events {} held, {} dropped",
                self.late_events, self.future_events, self.future_dropped
            );
        }
        // With many rules, those that saw nothing are summed up in one line.
        let quiet = |r: &RuleSummary| {
            r.alerts
                + r.suppressed
                + r.matched_events
                + r.evicted_keys
                + r.piped_out
                + r.batch_dropped
                == 0
        };
        let many = self.rules.len() > 10;
        let silent = self.rules.iter().filter(|r| many && quiet(r)).count();
        for r in self.rules.iter().filter(|r| !(many && quiet(r))) {
            let _ = writeln!(
                s,
                "  rule \"{}\": {} alerts, {} suppressed by max_signals, {} matching events, {} evicted keys, peak state {} B",
                r.name, r.alerts, r.suppressed, r.matched_events, r.evicted_keys, r.peak_state_bytes
            );
            if r.piped_out > 0 {
                let _ = writeln!(s, "    {} results left out by head/tail", r.piped_out);
            }
            if r.batch_dropped > 0 {
                let _ = writeln!(
                    s,
                    "    {} matching events not kept (--max-state-bytes): the answer may be incomplete",
                    r.batch_dropped
                );
            }
        }
        if silent > 0 {
            let _ = writeln!(s, "  {silent} other rules: no matching events");
        }
        for e in &self.input_errors {
            let _ = writeln!(s, "  input error: {e}");
        }
        if let Some(why) = &self.stopped {
            let _ = writeln!(s, "  stopped early: {why}");
        }
        let _ = writeln!(
            s,
            "  {:.1} MB in {:.3} s: {:.1} MB/s, {:.0} events/s",
            self.bytes as f64 / 1e6,
            self.elapsed_secs,
            self.mb_per_sec,
            self.events_per_sec
        );
        s
    }
}
