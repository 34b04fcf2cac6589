//! `--profile`: what each rule costs, from the detector's profile counters.

use std::fmt::Write as _;

use clap::ValueEnum;
use eql_runtime::detector::Stats;

/// How the `--profile` table is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Sort {
    /// Most time first.
    Time,
    /// Most evaluations first.
    Evaluations,
    /// By rule name (stable across runs, for diffing two reports).
    Name,
}

fn ms(nanos: u64) -> String {
    format!("{:.2}", nanos as f64 / 1e6)
}

/// The cost report: the shared costs (prefilter, decoding), then one row per rule.
pub fn report(stats: &Stats, rules: &[(String, String)], sort: Sort) -> String {
    let mut s = String::new();
    let shared = stats.profile.clone().unwrap_or_default();
    let eval_total: u64 = stats.rules.iter().map(|r| r.eval_nanos).sum();
    let total = shared.prefilter_nanos + shared.decode_nanos + eval_total;
    let share = |n: u64| {
        if total == 0 {
            0.0
        } else {
            100.0 * n as f64 / total as f64
        }
    };
    let _ = writeln!(
        s,
        "profile: {} lines, {} rules; time in the prefilter, decoding and rule evaluation:",
        stats.lines,
        rules.len()
    );
    let _ = writeln!(
        s,
        "  prefilter  {:>10} lines  {:>10} ms  {:>5.1}%",
        shared.prefiltered_lines,
        ms(shared.prefilter_nanos),
        share(shared.prefilter_nanos)
    );
    let _ = writeln!(
        s,
        "  decode     {:>10} lines  {:>10} ms  {:>5.1}%",
        shared.decodes,
        ms(shared.decode_nanos),
        share(shared.decode_nanos)
    );
    let _ = writeln!(
        s,
        "  rules      {:>10} evals  {:>10} ms  {:>5.1}%",
        stats.rules.iter().map(|r| r.evaluations).sum::<u64>(),
        ms(eval_total),
        share(eval_total)
    );
    let mut rows: Vec<usize> = (0..stats.rules.len().min(rules.len())).collect();
    match sort {
        Sort::Time => rows.sort_by(|&a, &b| {
            stats.rules[b]
                .eval_nanos
                .cmp(&stats.rules[a].eval_nanos)
                .then_with(|| rules[a].0.cmp(&rules[b].0))
        }),
        Sort::Evaluations => rows.sort_by(|&a, &b| {
            stats.rules[b]
                .evaluations
                .cmp(&stats.rules[a].evaluations)
                .then_with(|| rules[a].0.cmp(&rules[b].0))
        }),
        Sort::Name => rows.sort_by(|&a, &b| rules[a].0.cmp(&rules[b].0)),
    }
    let _ = writeln!(
        s,
        "\n  {:<60} {:>10} {:>9} {:>7} {:>10} {:>8} {:>6}",
        "rule", "evals", "matches", "alerts", "time ms", "ns/eval", "share"
    );
    for i in rows {
        let (r, name) = (&stats.rules[i], &rules[i].0);
        let name: String = if name.chars().count() > 60 {
            name.chars().take(59).chain(['…']).collect()
        } else {
            name.clone()
        };
        let per_eval = r.eval_nanos.checked_div(r.evaluations).unwrap_or(0);
        let _ = writeln!(
            s,
            "  {:<60} {:>10} {:>9} {:>7} {:>10} {:>8} {:>5.1}%",
            name,
            r.evaluations,
            r.matched_events,
            r.alerts,
            ms(r.eval_nanos),
            per_eval,
            share(r.eval_nanos)
        );
    }
    s
}
