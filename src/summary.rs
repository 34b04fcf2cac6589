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
    /// Per rule (then the versions a reload replaced or removed, marked so).
    pub rules: Vec<RuleSummary>,
    /// Rule reloads applied (SIGHUP, or a watched rule file that changed).
    pub reloads: u64,
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
        let retired = stats.retired.iter().map(|(meta, r)| {
            let name = format!("{} (before a reload)", meta.name);
            (r, (name, meta.rule_id.to_owned()))
        });
        let current = stats.rules.iter().zip(rules.iter().cloned());
        self.reloads = stats.reloads;
        self.rules = current
            .chain(retired)
            .map(|(r, (name, id))| RuleSummary {
                name,
                rule_id: id,
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

    /// The summary for people: the totals, what was skipped and where, then the rules that
    /// alerted or lost state to a limit, one line each; with more than
    /// [`ALL_RULES_UP_TO`] rules, the rest in one line.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let skipped: u64 = self.skipped.values().map(|k| k.count).sum();
        let _ = writeln!(
            s,
            "eql-detect: {}, {} evaluated ({} by the prefilter alone), {} skipped, {}",
            count(self.lines, "line", "lines"),
            self.evaluated,
            self.prefiltered,
            skipped,
            count(self.alerts, "alert", "alerts"),
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
                "  {} (not joined), {} held, {} dropped",
                count(self.late_events, "late event", "late events"),
                count(self.future_events, "far-future event", "far-future events"),
                self.future_dropped
            );
        }
        let all = self.rules.len() <= ALL_RULES_UP_TO;
        let (shown, rest): (Vec<&RuleSummary>, Vec<&RuleSummary>) = self
            .rules
            .iter()
            .partition(|r| all || r.alerts + r.suppressed > 0 || r.lost_state());
        for r in &shown {
            rule_line(&mut s, r);
        }
        if !rest.is_empty() {
            let matched = rest.iter().filter(|r| r.matched_events > 0).count() as u64;
            let held = rest.iter().filter(|r| r.peak_state_bytes > 0).count() as u64;
            let _ = writeln!(
                s,
                "  {} {}: no alerts ({} with matching events, {} held partial sequences)",
                rest.len(),
                if shown.is_empty() {
                    if rest.len() == 1 {
                        "rule"
                    } else {
                        "rules"
                    }
                } else if rest.len() == 1 {
                    "other rule"
                } else {
                    "other rules"
                },
                matched,
                held
            );
        }
        if self.reloads > 0 {
            let _ = writeln!(
                s,
                "  {}",
                count(self.reloads, "rule reload", "rule reloads")
            );
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

/// Up to this many rules, the text summary has a line for each.
pub const ALL_RULES_UP_TO: usize = 10;

impl RuleSummary {
    /// Whether a limit cost the rule state or results (evictions, dropped matches, pipes).
    fn lost_state(&self) -> bool {
        self.evicted_keys + self.batch_dropped + self.piped_out > 0
    }
}

/// One rule's line, with the rarer counters only when they are not zero.
fn rule_line(s: &mut String, r: &RuleSummary) {
    let alerts = if r.alerts == 0 {
        "no alerts".to_owned()
    } else {
        count(r.alerts, "alert", "alerts")
    };
    let _ = write!(
        s,
        "  rule \"{}\": {alerts}, {}",
        r.name,
        count(r.matched_events, "matching event", "matching events")
    );
    if r.suppressed > 0 {
        let _ = write!(s, ", {} withheld by max_signals", r.suppressed);
    }
    if r.evicted_keys > 0 {
        let _ = write!(
            s,
            ", {} (--max-state-bytes)",
            count(r.evicted_keys, "evicted key", "evicted keys")
        );
    }
    if r.peak_state_bytes > 0 {
        let _ = write!(s, ", peak state {}", bytes(r.peak_state_bytes));
    }
    s.push('\n');
    if r.piped_out > 0 {
        let _ = writeln!(
            s,
            "    {} left out by head/tail",
            count(r.piped_out, "result", "results")
        );
    }
    if r.batch_dropped > 0 {
        let _ = writeln!(
            s,
            "    {} not kept (--max-state-bytes): the answer may be incomplete",
            count(r.batch_dropped, "matching event", "matching events")
        );
    }
}

/// `1 alert`, `2 alerts`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Bytes for people: `812 B`, `2.9 KiB`, `31.0 MiB`.
fn bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    match n {
        0..=1023 => format!("{n} B"),
        1024..=1_048_575 => format!("{:.1} KiB", n as f64 / KIB),
        _ => format!("{:.1} MiB", n as f64 / (KIB * KIB)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, alerts: u64, matched: u64) -> RuleSummary {
        RuleSummary {
            name: name.to_owned(),
            alerts,
            matched_events: matched,
            ..RuleSummary::default()
        }
    }

    #[test]
    fn plurals_and_units() {
        assert_eq!(count(1, "alert", "alerts"), "1 alert");
        assert_eq!(count(0, "alert", "alerts"), "0 alerts");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(2929), "2.9 KiB");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
    }

    #[test]
    fn many_rules_show_those_that_alerted_and_collapse_the_rest() {
        let mut s = Summary {
            alerts: 3,
            ..Summary::default()
        };
        s.rules.push(rule("A", 1, 2));
        s.rules.push(rule("B", 2, 2));
        for i in 0..20 {
            s.rules
                .push(rule(&format!("quiet {i}"), 0, u64::from(i < 3)));
        }
        let text = s.to_text();
        assert!(
            text.contains("  rule \"A\": 1 alert, 2 matching events\n"),
            "{text}"
        );
        assert!(
            text.contains("  rule \"B\": 2 alerts, 2 matching events\n"),
            "{text}"
        );
        assert!(!text.contains("quiet"), "{text}");
        assert!(
            text.contains(
                "  20 other rules: no alerts (3 with matching events, 0 held partial sequences)\n"
            ),
            "{text}"
        );
        assert!(text.starts_with("eql-detect: 0 lines,"), "{text}");
        assert!(text.contains(", 3 alerts\n"), "{text}");
    }

    #[test]
    fn few_rules_are_all_shown() {
        let mut s = Summary::default();
        s.rules.push(rule("only", 0, 1));
        let text = s.to_text();
        assert!(
            text.contains("  rule \"only\": no alerts, 1 matching event\n"),
            "{text}"
        );
    }
}
