//! Replacing a running detector's rules (a live reload): unchanged rules keep their state.

use std::collections::BinaryHeap;

use super::{Detector, Profile, RuleStats, SetupError};
use crate::rule::{Rule, RuleMeta};

/// What [`Detector::replace_rules`] changed, by rule name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replaced {
    /// Rules unchanged: they kept their pending sequences, held hits and counters.
    pub kept: usize,
    /// Rules that are new.
    pub added: Vec<&'static str>,
    /// Rules whose file changed: they start afresh.
    pub changed: Vec<&'static str>,
    /// Rules that are gone.
    pub removed: Vec<&'static str>,
    /// For each previous rule, its index among the new ones (`None`: changed or removed), as
    /// [`matching`] gives it.
    pub moved: Vec<Option<usize>>,
}

impl Replaced {
    /// What replacing the rules `old` by `new` changes (see [`matching`]).
    pub fn between(old: &[&'static RuleMeta], new: &[&'static RuleMeta]) -> Replaced {
        let moved = matching(old, new);
        let mut out = Replaced {
            kept: moved.iter().flatten().count(),
            ..Replaced::default()
        };
        for (ni, meta) in new.iter().enumerate() {
            if moved.contains(&Some(ni)) {
                continue;
            }
            if old.iter().any(|o| o.source == meta.source) {
                out.changed.push(meta.name);
            } else {
                out.added.push(meta.name);
            }
        }
        for (oi, meta) in old.iter().enumerate() {
            if moved[oi].is_none() && !new.iter().any(|n| n.source == meta.source) {
                out.removed.push(meta.name);
            }
        }
        out.moved = moved;
        out
    }

    /// Whether anything changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The same rule: the same static (a compiled rule), or metadata equal in every field (the
/// query, its canonical form and plan, the file it came from, …).
fn same(a: &'static RuleMeta, b: &'static RuleMeta) -> bool {
    std::ptr::eq(a, b) || format!("{a:?}") == format!("{b:?}")
}

/// Which previous rule each is among the new ones: for each of `old`, the index in `new` of
/// the first equal rule not taken by an earlier one (`None`: changed or removed). Whoever keeps
/// per-rule records beside a detector (a Kafka member's closed partitions) moves them with it.
pub fn matching(old: &[&'static RuleMeta], new: &[&'static RuleMeta]) -> Vec<Option<usize>> {
    let mut taken = vec![false; new.len()];
    old.iter()
        .map(|&o| {
            let ni = new
                .iter()
                .enumerate()
                .position(|(i, &n)| !taken[i] && same(o, n))?;
            taken[ni] = true;
            Some(ni)
        })
        .collect()
}

impl Detector {
    /// Runs `rules` from now on, in place of the current ones, keeping the clock and the
    /// counters of the lines seen. A rule equal to a current one ([`RuleMeta`] equal in every
    /// field) keeps its pending sequences, held hits, pipes, alert cap and counters; a changed
    /// or new rule starts empty; a removed rule's waiting hits are dropped. The counters of
    /// changed and removed rules move to [`super::Stats::retired`], so totals stay whole.
    pub fn replace_rules(&mut self, rules: Vec<Box<dyn Rule>>) -> Result<Replaced, SetupError> {
        let fresh = Detector::new(rules, self.cfg.clone())?;
        let mut old: Vec<Option<super::RuleSlot>> = std::mem::take(&mut self.rules)
            .into_iter()
            .map(Some)
            .collect();
        let old_stats = std::mem::take(&mut self.stats.rules);
        let old_profile = self.profile.take();
        let mut slots = fresh.rules;
        let old_metas: Vec<&'static RuleMeta> =
            old.iter().flatten().map(|o| o.rule.meta()).collect();
        let new_metas: Vec<&'static RuleMeta> = slots.iter().map(|s| s.rule.meta()).collect();
        let out = Replaced::between(&old_metas, &new_metas);
        let moved = out.moved.clone();
        let mut stats = vec![RuleStats::default(); slots.len()];
        for (oi, ni) in moved.iter().enumerate() {
            let Some(ni) = *ni else { continue };
            let Some(o) = old.get_mut(oi).and_then(Option::take) else {
                continue;
            };
            let Some(slot) = slots.get_mut(ni) else {
                continue;
            };
            // The new rule's layout (its field ids are the new schema's), the old one's state.
            if let (Some((_, engine)), Some((_, kept))) = (&mut slot.seq, o.seq) {
                *engine = kept;
            }
            if let (Some(batch), Some(kept)) = (&mut slot.batch, o.batch) {
                batch.hits = kept.hits;
                batch.bytes = kept.bytes;
            }
            slot.pipes = o.pipes;
            slot.cap_bucket = o.cap_bucket;
            slot.cap_count = o.cap_count;
            if let Some(s) = old_stats.get(oi) {
                stats[ni] = s.clone();
            }
        }
        // Changed and removed rules: their counters up to now.
        for (oi, o) in old.into_iter().enumerate() {
            let Some(o) = o else { continue };
            let mut s = old_stats.get(oi).cloned().unwrap_or_default();
            if let Some((_, engine)) = &o.seq {
                s.seq = engine.stats();
            }
            self.stats.retired.push((o.rule.meta(), s));
        }
        // Hits waiting for their turn follow their rule, or go with it.
        let buffered = std::mem::take(&mut self.buffer).into_vec();
        let mut heap = BinaryHeap::with_capacity(buffered.len());
        for std::cmp::Reverse(mut b) in buffered {
            match moved.get(b.rule).copied().flatten() {
                Some(ni) => {
                    b.rule = ni;
                    heap.push(std::cmp::Reverse(b));
                }
                None => self.buffer_bytes = self.buffer_bytes.saturating_sub(b.bytes),
            }
        }
        self.buffer = heap;
        self.profile = fresh.profile.map(|p| carry_profile(p, old_profile, &moved));
        self.rules = slots;
        self.stats.rules = stats;
        self.stats.reloads += 1;
        self.groups = fresh.groups;
        self.prefilter = fresh.prefilter;
        self.prefilter_use = fresh.prefilter_use;
        self.samples_only = fresh.samples_only;
        Ok(out)
    }
}

/// The per-rule profile counters of kept rules, moved to their new places.
fn carry_profile(new: Profile, old: Option<Profile>, moved: &[Option<usize>]) -> Profile {
    use std::sync::atomic::Ordering;
    if let Some(old) = old {
        for (oi, ni) in moved.iter().enumerate() {
            let Some(ni) = *ni else { continue };
            for (from, to) in [
                (&old.evaluations, &new.evaluations),
                (&old.eval_nanos, &new.eval_nanos),
            ] {
                if let (Some(f), Some(t)) = (from.get(oi), to.get(ni)) {
                    t.store(f.load(Ordering::Relaxed), Ordering::Relaxed);
                }
            }
        }
        for (from, to) in [
            (&old.prefiltered_lines, &new.prefiltered_lines),
            (&old.prefilter_nanos, &new.prefilter_nanos),
            (&old.decodes, &new.decodes),
            (&old.decode_nanos, &new.decode_nanos),
        ] {
            to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
    new
}
