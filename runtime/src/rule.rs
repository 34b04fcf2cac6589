//! What a rule is: static metadata, the fields it reads, its shape, and a predicate.

use crate::event::{Event, FieldId, Schema};

/// A rule. Generated code implements it, and so do rules loaded at run time (the `eql-eval`
/// crate); the [`crate::detector::Detector`] drives both alike.
pub trait Rule: Send + Sync {
    /// Name, id, severity, MITRE mapping, … as written in the rule file.
    fn meta(&self) -> &'static RuleMeta;
    /// The fields this rule reads (and only those are decoded).
    fn schema(&self) -> &'static Schema;
    /// Event query, sequence or sample, with join keys and maxspan.
    fn shape(&self) -> &'static Shape;
    /// Evaluates every stage's condition (category test included) on one event.
    ///
    /// Bit `i` is set when stage `i` (after `with runs=N` expansion) matches; bit [`UNTIL_BIT`]
    /// when the `until` condition matches. An event query uses bit 0.
    fn eval(&self, ev: &Event<'_>) -> u64;

    /// What the raw line of every event some stage can match contains, or `None` when nothing
    /// is known. See [`crate::prefilter`].
    fn prefilter(&self) -> Option<crate::prefilter::Requirement> {
        None
    }

    /// The query's `| head N` / `| tail N` pipes, in order.
    fn pipes(&self) -> &'static [Pipe] {
        &[]
    }

    /// The tiebreaker field's value (`tiebreaker_field`): orders events of equal timestamp
    /// before arrival order does. `None` when the rule has none or the event lacks it.
    fn tiebreaker(&self, _ev: &Event<'_>) -> Option<i64> {
        None
    }

    /// A join-key value as Elasticsearch reports it, when that is not the value's text (a
    /// `date` field's keys are instants); `None` keeps the text.
    fn key_value(&self, _field: FieldId, _text: &str) -> Option<String> {
        None
    }

    /// The field this rule orders events by. Rules compiled together share one schema but may
    /// each name their own timestamp field.
    fn timestamp_field(&self) -> FieldId {
        self.schema().timestamp
    }

    /// The categories some stage (or `until`) tests, on the field returned with them; `None`
    /// when a stage matches any category. An event with none of them matches no stage, so the
    /// detector does not evaluate the rule on it.
    fn categories(&self) -> Option<(FieldId, &'static [&'static str])> {
        None
    }

    /// Whether the rule answers only when the input ends: a missing-event sequence, a `sample`,
    /// or a `| tail` pipe. On an unbounded stream such a rule never answers.
    fn needs_whole_input(&self) -> bool {
        let batch = matches!(self.shape(), Shape::Sequence(spec) if spec.is_batch());
        batch || self.pipes().iter().any(|p| p.kind == PipeKind::Tail)
    }
}

/// A `| head N` or `| tail N` pipe. On a stream, `head` passes the first N results and `tail`
/// holds the last N until the input ends; pipes apply in the order written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pipe {
    /// Which end is kept.
    pub kind: PipeKind,
    /// How many results.
    pub count: u64,
}

/// The end of the results a [`Pipe`] keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipeKind {
    /// The first N.
    Head,
    /// The last N.
    Tail,
}

pub use eql_ir::{MAX_STAGES, UNTIL_BIT};

/// Rule metadata, from the rule file.
#[derive(Debug)]
pub struct RuleMeta {
    /// `rule.name`.
    pub name: &'static str,
    /// `rule.rule_id`.
    pub rule_id: &'static str,
    /// `rule.description`.
    pub description: &'static str,
    /// `low`, `medium`, `high`, `critical`.
    pub severity: &'static str,
    /// 0–100.
    pub risk_score: u32,
    /// `rule.version`, when the file has one.
    pub version: u32,
    /// `rule.tags`.
    pub tags: &'static [&'static str],
    /// `rule.index`.
    pub index: &'static [&'static str],
    /// The field `process where …` tests (`event_category_override`, else `event.category`).
    pub event_category_field: &'static str,
    /// The field events are ordered by (`timestamp_field`, else `@timestamp`).
    pub timestamp_field: &'static str,
    /// `timestamp_override`: the field Kibana's scheduled searches take their time range from.
    /// It does not order events; kept for `eql-detect rules` and alerts.
    pub timestamp_override: Option<&'static str>,
    /// How often Kibana runs the rule (`5m` by default).
    pub interval: &'static str,
    /// The look-back of each run (`now-9m`).
    pub from: &'static str,
    /// Alerts per run at most (100 by default).
    pub max_signals: u32,
    /// `rule.author`.
    pub author: &'static [&'static str],
    /// `rule.license`.
    pub license: &'static str,
    /// `rule.references`.
    pub references: &'static [&'static str],
    /// MITRE ATT&CK mapping.
    pub threat: &'static [Threat],
    /// The EQL query, verbatim.
    pub query: &'static str,
    /// The rule file, relative to the crate that compiled it.
    pub source: &'static str,
    /// The query printed fully parenthesised: what it really means.
    pub canonical: &'static str,
    /// The fields read and the matcher chosen for each pattern list, as text for `explain`.
    pub plan: &'static str,
}

/// One `[[rule.threat]]` entry.
#[derive(Debug)]
pub struct Threat {
    /// `MITRE ATT&CK`.
    pub framework: &'static str,
    /// The tactic.
    pub tactic: MitreRef,
    /// The techniques.
    pub techniques: &'static [Technique],
}

/// A MITRE tactic, technique or subtechnique reference.
#[derive(Debug)]
pub struct MitreRef {
    /// `TA0006`, `T1552`, `T1552.005`.
    pub id: &'static str,
    /// `Credential Access`.
    pub name: &'static str,
    /// The attack.mitre.org address.
    pub reference: &'static str,
}

/// A MITRE technique with its subtechniques.
#[derive(Debug)]
pub struct Technique {
    /// The technique.
    pub technique: MitreRef,
    /// Its subtechniques.
    pub subtechniques: &'static [MitreRef],
}

/// How the detector drives a rule.
#[derive(Debug)]
pub enum Shape {
    /// One event per alert.
    Event,
    /// A keyed sequence.
    Sequence(SeqSpec),
}

/// A sequence, with `runs` expanded.
#[derive(Debug)]
pub struct SeqSpec {
    /// `with maxspan`, in nanoseconds; `None` means unbounded.
    pub maxspan_nanos: Option<u64>,
    /// The stages in order.
    pub stages: &'static [StageSpec],
    /// `until`, if any.
    pub until: Option<StageSpec>,
    /// A `sample`: unordered stages sharing a join key (see [`crate::batch`]).
    pub sample: bool,
}

impl SeqSpec {
    /// Whether the answer needs the whole input ([`crate::batch`]): a `sample`, or a sequence
    /// with missing-event stages.
    pub fn is_batch(&self) -> bool {
        self.sample || self.stages.iter().any(|s| s.missing)
    }
}

/// One stage of a sequence.
#[derive(Debug)]
pub struct StageSpec {
    /// Join keys: the sequence's `by` fields then the stage's own.
    pub keys: &'static [KeyField],
    /// `![…]`.
    pub missing: bool,
}

/// A join-key field.
#[derive(Clone, Copy, Debug)]
pub struct KeyField {
    /// The field.
    pub field: FieldId,
    /// `?field`: a missing value is a legitimate (null) key rather than a reason to drop the event.
    pub optional: bool,
}
