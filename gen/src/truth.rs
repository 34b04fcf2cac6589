//! The ground truth of a generated stream: what was injected, by event id.

use crate::scenarios::NearMiss;
use crate::GenConfig;

/// One injected event set: an attack that a bundled rule must alert on, or a near miss that
/// imitates one and must raise nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scenario {
    /// What was injected (`imds_curl`, `reverse_shell`, `near_reverse_shell_gap`, …).
    pub kind: &'static str,
    /// The exact name of the bundled rule that must alert (for a near miss: the rule it imitates,
    /// which must not).
    pub rule: &'static str,
    /// `true` for a near miss.
    pub near_miss: bool,
    /// The host the events are on.
    pub host_id: String,
    /// The `event.id` of every document of the scenario, in the order they were made.
    pub event_ids: Vec<String>,
}

/// What was injected: the ground truth the detector is checked against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Truth {
    /// Documents written.
    pub events: u64,
    /// Bytes written (before compression).
    pub bytes: u64,
    /// IMDS sequences that must alert (the IMDS entries of [`Truth::scenarios`]).
    pub true_sequences: u64,
    /// IMDS near misses per kind, in [`NearMiss::ALL`] order.
    pub near_misses: [u64; NearMiss::ALL.len()],
    /// Every injected attack whose documents were all written, in injection order.
    pub scenarios: Vec<Scenario>,
    /// Every injected near miss whose documents were all written (IMDS ones included).
    pub near_miss_list: Vec<Scenario>,
}

fn scenario_json(s: &Scenario) -> serde_json::Value {
    serde_json::json!({
        "kind": s.kind,
        "rule": s.rule,
        "near_miss": s.near_miss,
        "host_id": s.host_id,
        "event_ids": s.event_ids,
    })
}

impl Truth {
    /// The truth as a JSON object (the `--truth` sidecar): `events`, `bytes`, `seed`, `hosts`,
    /// `true_sequences`, `near_misses` (IMDS near misses per kind), `scenarios` and
    /// `near_misses_list` (arrays of `{kind, rule, near_miss, host_id, event_ids}`) and
    /// `rules` (the distinct rules of `scenarios`).
    pub fn to_json(&self, cfg: &GenConfig) -> String {
        let mut near = serde_json::Map::new();
        for (kind, n) in NearMiss::ALL.iter().zip(self.near_misses) {
            near.insert(kind.as_str().to_owned(), n.into());
        }
        let mut rules: Vec<&str> = self.scenarios.iter().map(|s| s.rule).collect();
        rules.sort_unstable();
        rules.dedup();
        serde_json::json!({
            "events": self.events,
            "bytes": self.bytes,
            "seed": cfg.seed,
            "hosts": cfg.hosts,
            "true_sequences": self.true_sequences,
            "near_misses": near,
            "rules": rules,
            "scenarios": self.scenarios.iter().map(scenario_json).collect::<Vec<_>>(),
            "near_misses_list": self.near_miss_list.iter().map(scenario_json).collect::<Vec<_>>(),
        })
        .to_string()
    }
}
