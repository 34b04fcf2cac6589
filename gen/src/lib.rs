//! A seeded generator of Elastic Defend Linux NDJSON with labelled attack scenarios and near misses
//! (`eql-detect gen`).
//!
//! # Background
//!
//! Hundreds of hosts are interleaved with sub-millisecond spacing. Each host runs a base set of
//! services (systemd and its timers, cron, sshd, chronyd, systemd-resolved, rsyslog, journald,
//! Elastic Agent, an SSM agent, node_exporter, Telegraf), the services of one role (web behind
//! nginx with Node.js, Python or PHP; HAProxy and memcached; PostgreSQL; MySQL; Redis; RabbitMQ;
//! Vault and Consul; a Kubernetes node; Elasticsearch; Prometheus and Grafana; Postfix; a CI build
//! agent) and zero to two interactive SSH sessions. Services start the programs such services
//! start (about 260 command lines over more than 200 executables, with realistic arguments,
//! parents, users and working directories; see `vocab`), or fork workers; programs only do
//! what they do: a `cat` or an `ls` opens no connection, shells never talk to the network, a
//! daemon's helpers write the daemon's files. About a fifth of the documents are execs and
//! forks, a tenth ends, two fifths connections and the rest file events.
//!
//! The documents carry the fields Elastic Defend documents for each Linux event type (endpoint
//! package `linux_process_fork_exec_exit`, `linux_network_attempted_accepted_and_disconnect`, the
//! file events): user, real user, group and real group; parent, session, entry and group leaders;
//! arguments, working directory, tty, hashes; and they are 1.5–3 KB each, like real ones, so
//! throughput measured on them means something. Every document has a unique `event.id`.
//!
//! # Injections
//!
//! On top of the background (with `inject_per_million` = r, per million events: r true IMDS
//! sequences, 2r IMDS near misses, 2r other attacks and 2r near misses of them, at jittered
//! regular intervals and each round-robin over its kinds, so even a small sample exercises many):
//! * true sequences of the v2 IMDS rule (each of its three stage-1 branches), which must alert;
//! * IMDS near misses, which must not: a connection from a process with another parent, a 1.5 s
//!   gap, an excluded working directory on a branch-3 command line, `host.os.type: "Linux"` on a
//!   branch-1 exec (`==` is case-sensitive), the connection before the exec, and 169.254.169.253;
//! * 17 other attacks across execution, privilege escalation, persistence, defense evasion,
//!   credential access, discovery and command and control, each satisfying one bundled rule
//!   precisely, and a near miss of each (see [`scenarios::ATTACKS`]).
//!
//! Each injection happens in a fresh SSH session of its own, so injections cannot interact, and
//! the background never matches a bundled rule: on any output, every alert of every bundled rule
//! is one of the injected scenarios (`tests/gen_truth.rs` checks it).
//!
//! # Truth
//!
//! [`Truth::to_json`] is the `--truth` sidecar: `events`, `bytes`, `seed`, `hosts`,
//! `true_sequences` (IMDS), `near_misses` (IMDS near misses per kind), `rules` (the distinct
//! rules of the scenarios), `scenarios` and `near_misses_list`: arrays of objects with `kind`,
//! `rule` (the exact bundled rule name that must alert or, for a near miss, that it imitates),
//! `near_miss`, `host_id` and `event_ids` (the `event.id`s of the scenario's documents). An alert
//! is explained by a scenario when its rule is the scenario's rule and the `event.id`s of its
//! events are a subset of the scenario's `event_ids` (a scenario may hold a document no rule
//! needs, such as the exec before a connection).
//!
//! # The bundled sample
//!
//! `data/sample.ndjson.gz` is
//! `eql-detect gen --events 2000 --seed 42 --hosts 10 --inject-per-million 3000 -o data/sample.ndjson.gz`.
//!
//! Output is a pure function of the seed and the options: the PRNG is a local splitmix64, so no
//! dependency update can change the bundled sample.

#![warn(missing_docs)]

mod background;
mod events;
mod rng;
pub mod scenarios;
mod truth;
mod vocab;

use std::cmp::Reverse;
use std::io::{self, Write};

use eql_runtime::time::days_from_civil;

pub use scenarios::{NearMiss, ATTACKS, IMDS_RULE};
pub use truth::{Scenario, Truth};

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Exactly this many documents are written.
    pub events: u64,
    /// The PRNG seed.
    pub seed: u64,
    /// Distinct hosts.
    pub hosts: u32,
    /// True IMDS sequences injected per million events (IMDS near misses, other attacks and
    /// their near misses: twice as many each).
    pub inject_per_million: u32,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            events: 5000,
            seed: 42,
            hosts: 200,
            inject_per_million: 1000,
        }
    }
}

/// The most documents one injection schedules.
const MAX_INJECTED: u64 = 4;

/// 0.5 to 1.5 times `mean` (saturating).
fn jitter(rng: &mut rng::Rng, mean: u64) -> u64 {
    if mean == u64::MAX {
        return u64::MAX;
    }
    mean / 2 + rng.below(mean.max(1))
}

/// Writes `cfg.events` documents to `out`, one per line; returns what was injected.
pub fn generate<W: Write>(cfg: &GenConfig, out: &mut W) -> io::Result<Truth> {
    // 2024-06-10T06:00:00Z: a fixed start, so the output is a pure function of the options.
    let start = days_from_civil(2024, 6, 10) * 86_400 * 1_000_000_000 + 6 * 3600 * 1_000_000_000;
    let mut g = background::Gen::new(cfg.seed, cfg.hosts, start);
    let mut truth = Truth::default();
    let mut now = start;
    // The time of the next background event; pending (injected) events due before it go first,
    // so the output is in timestamp order.
    let mut next_bg = start + g.rng.range(20_000, 400_000) as i64;
    // Injections come at jittered regular intervals (0.5 to 1.5 times the mean), so even a
    // small sample holds about the expected number of each: four streams, IMDS at the
    // configured rate, IMDS near misses, attacks and attack near misses at twice that.
    let rates = [
        cfg.inject_per_million,
        cfg.inject_per_million.saturating_mul(2),
        cfg.inject_per_million.saturating_mul(2),
        cfg.inject_per_million.saturating_mul(2),
    ];
    // Mean intervals in thousandths of an event.
    let interval: Vec<u64> = rates
        .iter()
        .map(|&r| {
            if r == 0 {
                u64::MAX
            } else {
                1_000_000_000 / u64::from(r)
            }
        })
        .collect();
    let mut next_at: Vec<u64> = interval.iter().map(|&i| jitter(&mut g.rng, i)).collect();
    let mut done = [0u64; 4];
    let mut line = String::new();
    while truth.events < cfg.events {
        let remaining = cfg.events - truth.events;
        let due = g.pending.peek().is_some_and(|Reverse(p)| p.time <= next_bg);
        // Drain pending events when they are due, or when only they still fit.
        let doc = if due || remaining <= g.pending.len() as u64 {
            match g.pending.pop() {
                Some(Reverse(p)) => {
                    now = now.max(p.time);
                    next_bg = next_bg.max(now);
                    p.doc
                }
                None => break,
            }
        } else {
            // Only start an injection when all its documents certainly fit.
            let room = remaining > g.pending.len() as u64 + MAX_INJECTED + 1;
            let pos = truth.events.saturating_mul(1000);
            if let Some(k) = (0..4).find(|&k| room && pos >= next_at[k]) {
                next_at[k] = next_at[k].saturating_add(jitter(&mut g.rng, interval[k]));
                let n = done[k];
                done[k] += 1;
                match k {
                    0 => {
                        truth.true_sequences += 1;
                        truth.scenarios.push(g.inject_imds(now, n));
                    }
                    1 => {
                        let j = (n % NearMiss::ALL.len() as u64) as usize;
                        truth.near_misses[j] += 1;
                        truth
                            .near_miss_list
                            .push(g.inject_imds_near(now, NearMiss::ALL[j]));
                    }
                    _ => {
                        let near_miss = k == 3;
                        let s =
                            g.inject_attack(now, (n % ATTACKS.len() as u64) as usize, near_miss);
                        if near_miss {
                            truth.near_miss_list.push(s);
                        } else {
                            truth.scenarios.push(s);
                        }
                    }
                }
                continue;
            }
            now = next_bg;
            next_bg = now + g.rng.range(20_000, 400_000) as i64;
            g.background(now)
        };
        line.clear();
        line.push_str(&doc);
        line.push('\n');
        out.write_all(line.as_bytes())?;
        truth.events += 1;
        truth.bytes += line.len() as u64;
    }
    Ok(truth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn run(cfg: &GenConfig) -> (Vec<u8>, Truth) {
        let mut buf = Vec::new();
        let truth = generate(cfg, &mut buf).unwrap();
        (buf, truth)
    }

    /// A configuration with many injections (5000 per million).
    fn busy(events: u64, seed: u64, hosts: u32) -> GenConfig {
        GenConfig {
            events,
            seed,
            hosts,
            inject_per_million: 5000,
        }
    }

    #[test]
    fn deterministic_and_exact_count() {
        let cfg = busy(3000, 7, 50);
        let (a, ta) = run(&cfg);
        let (b, tb) = run(&cfg);
        assert_eq!(a, b);
        assert_eq!(ta, tb);
        assert_eq!(ta.events, 3000);
        assert_eq!(a.iter().filter(|&&c| c == b'\n').count(), 3000);
        assert_eq!(ta.bytes, a.len() as u64);
        assert!(ta.true_sequences > 0);
        let (c, _) = run(&GenConfig { seed: 8, ..cfg });
        assert_ne!(a, c);
    }

    #[test]
    fn documents_are_valid_sized_ordered_and_labelled() {
        let (buf, truth) = run(&busy(4000, 1, 300));
        let text = std::str::from_utf8(&buf).unwrap();
        let mut last = String::new();
        let mut imds_connects = 0;
        let mut hosts = HashSet::new();
        let mut ids = HashSet::new();
        let mut total = 0usize;
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let ts = v["@timestamp"].as_str().unwrap().to_owned();
            assert!(ts >= last, "timestamps go backwards: {last} then {ts}");
            assert_eq!(ts.len(), 30);
            last = ts;
            assert!(v["process"]["parent"]["entity_id"].is_string(), "{line}");
            assert!(v["event"]["category"].is_array());
            assert!(v["user"]["Ext"]["real"]["id"].is_string());
            if v["event"]["category"][0] == "process" {
                let p = &v["process"];
                for f in ["real_user", "real_group", "user", "group"] {
                    assert!(p[f]["id"].is_string(), "{f}: {line}");
                }
                for f in ["session_leader", "entry_leader", "group_leader", "parent"] {
                    assert!(p[f]["entity_id"].is_string(), "{f}: {line}");
                }
                assert!(p["working_directory"].is_string());
                assert_eq!(p["args_count"], p["args"].as_array().unwrap().len());
            }
            hosts.insert(v["host"]["id"].as_str().unwrap().to_owned());
            assert!(
                ids.insert(v["event"]["id"].as_str().unwrap().to_owned()),
                "{line}"
            );
            if v["destination"]["ip"] == "169.254.169.254" {
                imds_connects += 1;
            }
            total += line.len();
        }
        let avg = total / 4000;
        assert!((1500..=3000).contains(&avg), "average document size {avg}");
        assert!(hosts.len() > 200, "{} hosts", hosts.len());
        // Every true sequence and every near miss except `other_address` connects to the IMDS once.
        let near: u64 = truth.near_misses.iter().sum::<u64>() - truth.near_misses[5];
        assert_eq!(imds_connects, truth.true_sequences + near);
        // Every labelled event was written, and no event is in two scenarios.
        let mut labelled = HashSet::new();
        for s in truth.scenarios.iter().chain(&truth.near_miss_list) {
            assert!(!s.event_ids.is_empty());
            for id in &s.event_ids {
                assert!(ids.contains(id), "{s:?}");
                assert!(labelled.insert(id.clone()), "{id} labelled twice");
            }
        }
        let kinds: HashSet<_> = truth.scenarios.iter().map(|s| s.rule).collect();
        assert!(kinds.len() >= 10, "{kinds:?}");
    }
}
