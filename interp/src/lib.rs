//! A reference interpreter for Elastic EQL: it evaluates the AST directly over a
//! `serde_json::Value` document, written for clarity rather than speed, and shares none of the
//! compiled path's matchers or decoder. Its purpose is to be obviously correct, so that
//! "compiled == interpreted == Elasticsearch" can be tested, and to run rules loaded at run time.
//!
//! Semantics are Elasticsearch's (see `eql-semantics.md` §1): per-operator case sensitivity,
//! any-element matching over arrays, `must_not` negation (true on missing fields), typed
//! comparisons for `ip`, numeric, date and `version` fields, a mapping's `null_value`,
//! `null`-propagating functions, and sequences driven by the runtime's
//! [`eql_runtime::seq::SequenceEngine`]. Missing-event stages `![…]` and `sample` queries need
//! the whole batch and run through [`stream::run_batch`] only.
//!
//! ```
//! use serde_json::json;
//! let rule = eql_interp::Interpreted::from_query(r#"process where process.name : "CURL""#).unwrap();
//! let doc = json!({"event": {"category": ["process"]}, "process.name": "curl"});
//! assert_eq!(rule.eval(&doc), 1);
//! ```

#![deny(missing_docs)]

mod eval;
mod field;
mod regex;
pub mod stream;
pub mod value;
pub mod wildcard;
pub mod witness;

use eql_runtime::rule::{
    KeyField, MitreRef, RuleMeta, SeqSpec, Shape, StageSpec, Technique, Threat, MAX_STAGES,
    UNTIL_BIT,
};
use eql_runtime::seq::{Key, KeyValue};
use eql_syntax::ast::{CategoryKind, EventQuery, Pipe, Query, QueryBody, Stage};

pub use eql_syntax::mapping::{FieldType, FieldTypes};
pub use stream::{run_batch, run_stream, run_stream_with, BatchMatch, StreamOptions};

/// One expanded stage (or `until`): what it matches and which keys it joins on.
#[derive(Clone, Debug)]
struct StagePlan {
    query: EventQuery,
    /// `(field, optional)`: sequence `by` fields, then the stage's own.
    keys: Vec<(String, bool)>,
    /// `![…]`: a missing-event stage.
    missing: bool,
}

/// A rule ready to evaluate: the parsed query, its expanded stages, metadata and shape. A clone
/// shares the leaked metadata, so one loaded rule can serve many detectors.
#[derive(Clone, Debug)]
pub struct Interpreted {
    query: Query,
    source: String,
    stages: Vec<StagePlan>,
    until: Option<StagePlan>,
    fields: Vec<String>,
    meta: &'static RuleMeta,
    shape: &'static Shape,
    types: FieldTypes,
    regexes: eval::Regexes,
    category_field: String,
    timestamp_field: String,
    /// Orders events of equal timestamp (`tiebreaker_field`).
    tiebreaker_field: Option<String>,
    /// A `sample` query: its stages are unordered, and it is answered over the whole input.
    sample: bool,
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn leak_list(v: &[String]) -> &'static [&'static str] {
    Box::leak(
        v.iter()
            .map(|s| leak(s))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

fn mitre(r: &eql_syntax::rulefile::MitreRef) -> MitreRef {
    MitreRef {
        id: leak(&r.id),
        name: leak(&r.name),
        reference: leak(&r.reference),
    }
}

/// Field names a search request may set instead of the rule file (`None`: the rule's own).
#[derive(Clone, Debug, Default)]
pub struct Fields {
    /// The field events are ordered by (`@timestamp`).
    pub timestamp: Option<String>,
    /// The field `process where …` tests (`event.category`).
    pub event_category: Option<String>,
    /// A numeric field that orders events of equal timestamp.
    pub tiebreaker: Option<String>,
}

impl Interpreted {
    /// From a rule file's text (`.eql` with leading TOML comment metadata, or a detection-rules
    /// `.toml`), chosen by the extension of `path`, with the fields in force of the rule's own
    /// `mapping` (read from disk, relative to `path`) or else ECS and Elastic Defend. Errors
    /// are rendered diagnostics pointing into the file (`path:line:col`).
    pub fn from_file(path: &str, text: &str) -> Result<Interpreted, String> {
        Interpreted::from_file_with(path, text, &Fields::default())
    }

    /// [`Interpreted::from_file`], with the timestamp, event-category and tiebreaker fields
    /// overridden where `fields` sets them (as Elasticsearch's search request can).
    pub fn from_file_with(path: &str, text: &str, fields: &Fields) -> Result<Interpreted, String> {
        Interpreted::load(path, text, fields, None)
    }

    /// [`Interpreted::from_file_with`], searching data of the index mapping `types` (the
    /// field types, and the fields in force for the unknown-field check; `None`: the rule's own
    /// `mapping`, read relative to `path`, else ECS and Elastic Defend). The rule file is
    /// checked as `eql_rule!` checks it at compile time: metadata keys and values, then the
    /// query, then every field it reads ([`eql_syntax::rulefile::RuleFile::check_fields`]).
    pub fn load(
        path: &str,
        text: &str,
        fields: &Fields,
        types: Option<&FieldTypes>,
    ) -> Result<Interpreted, String> {
        let mut rf = eql_syntax::rulefile::load(path, text).map_err(|errs| {
            let diags: Vec<_> = errs
                .iter()
                .map(eql_syntax::rulefile::LoadError::to_diagnostic)
                .collect();
            eql_syntax::render(&diags, path, text)
        })?;
        // Spans into the file when the query is there verbatim; else (unescaped from a TOML
        // string) into the query itself.
        let verbatim = text
            .get(rf.query_offset..)
            .is_some_and(|t| t.starts_with(&rf.query));
        let query = eql_syntax::parse(&rf.query).map_err(|diags| {
            if verbatim {
                let shifted: Vec<_> = diags
                    .into_iter()
                    .map(|d| d.offset(rf.query_offset as u32))
                    .collect();
                eql_syntax::render(&shifted, path, text)
            } else {
                eql_syntax::render(&diags, path, &rf.query)
            }
        })?;
        if let Some(f) = &fields.timestamp {
            rf.meta.timestamp_field.clone_from(f);
        }
        if let Some(f) = &fields.event_category {
            rf.meta.event_category_field.clone_from(f);
        }
        if let Some(f) = &fields.tiebreaker {
            rf.meta.tiebreaker_field = Some(f.clone());
        }
        let own = match types {
            Some(_) => None,
            None => rf
                .read_own_mapping(path)
                .map_err(|d| eql_syntax::render(&[d], path, text))?,
        };
        let types = types.or(own.as_ref());
        let unknown = rf.check_fields(&query, types);
        if !unknown.is_empty() {
            return Err(eql_syntax::render(&unknown, path, text));
        }
        let m = &rf.meta;
        let threat: Vec<Threat> = m
            .threat
            .iter()
            .map(|t| Threat {
                framework: leak(&t.framework),
                tactic: mitre(&t.tactic),
                techniques: Box::leak(
                    t.techniques
                        .iter()
                        .map(|tech| Technique {
                            technique: mitre(&tech.technique),
                            subtechniques: Box::leak(
                                tech.subtechniques
                                    .iter()
                                    .map(mitre)
                                    .collect::<Vec<_>>()
                                    .into_boxed_slice(),
                            ),
                        })
                        .collect::<Vec<_>>()
                        .into_boxed_slice(),
                ),
            })
            .collect();
        let meta = RuleMeta {
            name: leak(&m.name),
            rule_id: leak(&m.rule_id),
            description: leak(&m.description),
            severity: leak(&m.severity),
            risk_score: m.risk_score,
            version: m.version,
            tags: leak_list(&m.tags),
            index: leak_list(&m.index),
            event_category_field: leak(&m.event_category_field),
            timestamp_field: leak(&m.timestamp_field),
            timestamp_override: m.timestamp_override.as_deref().map(leak),
            interval: leak(&m.interval),
            from: leak(&m.from),
            max_signals: m.max_signals,
            author: leak_list(&m.author),
            license: leak(&m.license),
            references: leak_list(&m.references),
            threat: Box::leak(threat.into_boxed_slice()),
            query: leak(&rf.query),
            source: leak(path),
            canonical: leak(&eql_syntax::to_canonical(&query)),
            plan: "interpreted: the AST is evaluated directly over each JSON document",
        };
        let rule = Interpreted::build(
            query,
            &rf.query,
            meta,
            &m.event_category_field,
            &m.timestamp_field,
        )
        .map_err(|e| format!("error: {path}: {e}"))?;
        let rule = rule.with_tiebreaker(m.tiebreaker_field.clone());
        Ok(match types {
            Some(t) => rule.with_field_types(t.clone()),
            None => rule,
        })
    }

    /// From a bare query, with default metadata (tests and ad-hoc use).
    pub fn from_query(query: &str) -> Result<Interpreted, String> {
        let ast = eql_syntax::parse(query)
            .map_err(|diags| eql_syntax::render(&diags, "<query>", query))?;
        let meta = RuleMeta {
            name: "query",
            rule_id: "",
            description: "",
            severity: "low",
            risk_score: 21,
            version: 1,
            tags: &[],
            index: &[],
            event_category_field: "event.category",
            timestamp_field: "@timestamp",
            timestamp_override: None,
            interval: "5m",
            from: "now-6m",
            max_signals: 100,
            author: &[],
            license: "",
            references: &[],
            threat: &[],
            query: leak(query),
            source: "<query>",
            canonical: leak(&eql_syntax::to_canonical(&ast)),
            plan: "interpreted: the AST is evaluated directly over each JSON document",
        };
        Interpreted::build(ast, query, meta, "event.category", "@timestamp")
    }

    fn build(
        query: Query,
        source: &str,
        meta: RuleMeta,
        category_field: &str,
        timestamp_field: &str,
    ) -> Result<Interpreted, String> {
        let plan =
            |stage: &Stage, seq_by: &[eql_syntax::ast::Field]| -> Result<StagePlan, String> {
                Ok(StagePlan {
                    missing: stage.missing,
                    query: stage.query.clone(),
                    keys: seq_by
                        .iter()
                        .chain(&stage.by)
                        .map(|f| (f.name.clone(), f.optional))
                        .collect(),
                })
            };
        let (stages, until, maxspan) = match &query.body {
            QueryBody::Event(ev) => (
                vec![StagePlan {
                    query: ev.clone(),
                    keys: Vec::new(),
                    missing: false,
                }],
                None,
                None,
            ),
            QueryBody::Sequence(seq) => {
                let mut stages = Vec::new();
                for stage in &seq.stages {
                    let runs = stage.runs.map_or(1, |r| r.count);
                    for _ in 0..runs {
                        if stages.len() >= MAX_STAGES {
                            return Err(format!(
                                "a sequence may have at most {MAX_STAGES} stages after `runs` expansion"
                            ));
                        }
                        stages.push(plan(stage, &seq.by)?);
                    }
                }
                let until = seq.until.as_ref().map(|u| plan(u, &seq.by)).transpose()?;
                (stages, until, seq.maxspan.map(|m| m.nanos()))
            }
            QueryBody::Sample(s) => {
                if s.stages.len() > MAX_STAGES {
                    return Err(format!("a sample may have at most {MAX_STAGES} stages"));
                }
                let stages = s
                    .stages
                    .iter()
                    .map(|st| plan(st, &s.by))
                    .collect::<Result<Vec<_>, _>>()?;
                (stages, None, None)
            }
        };
        if stages.iter().all(|s| s.missing) {
            return Err("a sequence needs at least one stage that is not `![…]`".to_string());
        }
        let mut regexes = eval::Regexes::new();
        for s in stages.iter().chain(until.as_ref()) {
            eval::check(&s.query.condition, &mut regexes, source)?;
        }
        // Field table: category and timestamp first, then join keys, then everything read.
        let mut fields: Vec<String> = vec![category_field.to_string(), timestamp_field.to_string()];
        let add = |name: &str, fields: &mut Vec<String>| -> usize {
            match fields.iter().position(|f| f == name) {
                Some(i) => i,
                None => {
                    fields.push(name.to_string());
                    fields.len() - 1
                }
            }
        };
        let key_specs = |s: &StagePlan, fields: &mut Vec<String>| -> Result<StageSpec, String> {
            let mut keys = Vec::new();
            for (name, optional) in &s.keys {
                let id = add(name, fields);
                let field = u16::try_from(id).map_err(|_| "too many fields".to_string())?;
                keys.push(KeyField {
                    field,
                    optional: *optional,
                });
            }
            Ok(StageSpec {
                keys: Box::leak(keys.into_boxed_slice()),
                missing: s.missing,
            })
        };
        let stage_specs: Vec<StageSpec> = stages
            .iter()
            .map(|s| key_specs(s, &mut fields))
            .collect::<Result<_, _>>()?;
        let until_spec = until
            .as_ref()
            .map(|u| key_specs(u, &mut fields))
            .transpose()?;
        for s in stages.iter().chain(until.as_ref()) {
            let mut read = Vec::new();
            eval::fields_of(&s.query.condition, &mut read);
            for name in read {
                if !fields.iter().any(|f| f == name) {
                    fields.push(name.to_string());
                }
            }
        }
        let shape = match &query.body {
            QueryBody::Event(_) => Shape::Event,
            _ => Shape::Sequence(SeqSpec {
                maxspan_nanos: maxspan,
                stages: Box::leak(stage_specs.into_boxed_slice()),
                until: until_spec,
                sample: matches!(query.body, QueryBody::Sample(_)),
            }),
        };
        Ok(Interpreted {
            tiebreaker_field: None,
            sample: matches!(query.body, QueryBody::Sample(_)),
            query,
            source: source.to_string(),
            stages,
            until,
            fields,
            meta: Box::leak(Box::new(meta)),
            shape: Box::leak(Box::new(shape)),
            types: FieldTypes::ecs(),
            regexes,
            category_field: category_field.to_string(),
            timestamp_field: timestamp_field.to_string(),
        })
    }

    /// Sets (or, with `None`, removes) the numeric field that orders events of equal timestamp.
    pub fn with_tiebreaker(mut self, field: Option<String>) -> Interpreted {
        self.tiebreaker_field = field;
        self
    }

    /// The tiebreaker field's first value as an integer.
    pub fn tiebreaker_value(&self, doc: &serde_json::Value) -> Option<i64> {
        let field = self.tiebreaker_field.as_deref()?;
        let text = self.texts(doc, field).into_iter().next()?;
        text.parse::<i64>()
            .ok()
            .or_else(|| text.parse::<f64>().ok().map(|f| f as i64))
    }

    /// A `sample` query (its [`Shape`] is laid out as a sequence's, but stages are unordered).
    pub fn is_sample(&self) -> bool {
        self.sample
    }

    /// Whether expanded stage `i` is a missing-event stage `![…]`.
    pub fn is_missing_stage(&self, i: usize) -> bool {
        self.stages.get(i).is_some_and(|s| s.missing)
    }

    /// The mapped type of `field` (an alias resolved to its target's), if any.
    pub fn field_type(&self, field: &str) -> Option<&FieldType> {
        self.types.get(self.types.resolve(field))
    }

    /// Replaces the field-type table (by default [`FieldTypes::ecs`]).
    pub fn with_field_types(mut self, types: FieldTypes) -> Interpreted {
        self.types = types;
        self
    }

    /// The rule's metadata (leaked once: rules are loaded once per process).
    pub fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    /// The rule's shape, laid out as the compiler emits it: stages with `runs` expanded, keys =
    /// sequence `by` then stage `by`, [`KeyField::field`] indexing [`Interpreted::fields`].
    pub fn shape(&self) -> &'static Shape {
        self.shape
    }

    /// The field names the rule reads; the index is the `FieldId` used in key fields.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// The parsed query.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The query text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `| head N` / `| tail N`, in order.
    pub fn pipes(&self) -> &[Pipe] {
        &self.query.pipes
    }

    /// The field sequences are ordered by (`@timestamp` unless the rule overrides it).
    pub fn timestamp_field(&self) -> &str {
        &self.timestamp_field
    }

    /// The field category tests read (`event.category` unless the rule overrides it).
    pub fn category_field(&self) -> &str {
        &self.category_field
    }

    /// Bit `i`: expanded stage `i` matches (category test included); bit [`UNTIL_BIT`]: the
    /// `until` stage matches. An event query uses bit 0.
    pub fn eval(&self, doc: &serde_json::Value) -> u64 {
        let ctx = eval::Ctx {
            types: &self.types,
            regexes: &self.regexes,
            doc,
        };
        let mut mask = 0u64;
        for (i, s) in self.stages.iter().enumerate() {
            if self.stage_matches(&ctx, &s.query) {
                mask |= 1 << i;
            }
        }
        if let Some(u) = &self.until {
            if self.stage_matches(&ctx, &u.query) {
                mask |= UNTIL_BIT;
            }
        }
        mask
    }

    fn stage_matches(&self, ctx: &eval::Ctx<'_>, q: &EventQuery) -> bool {
        let category_ok = match &q.category.kind {
            CategoryKind::Any => true,
            // A term query on the category field: exact, case-sensitive, any element.
            CategoryKind::Named(c) => self.texts(ctx.doc, &self.category_field).contains(c),
        };
        category_ok && ctx.matches(&q.condition)
    }

    /// The values of a field as the keyword view: strings, numbers as JSON text, booleans as
    /// text; arrays flattened; `null` skipped.
    pub fn texts(&self, doc: &serde_json::Value, field: &str) -> Vec<String> {
        let target = self.types.resolve(field);
        field::values_or(doc, target, self.types.null_value(target))
            .into_iter()
            .filter_map(field::text)
            .collect()
    }

    /// The values of a join-key field, as Elasticsearch returns join keys: a `date` as epoch
    /// milliseconds in a sample and as ISO 8601 with milliseconds in a sequence, an `ip` in its
    /// canonical form, anything else as [`Interpreted::texts`] gives it.
    fn key_texts(&self, doc: &serde_json::Value, field: &str) -> Vec<String> {
        let target = self.types.resolve(field);
        let vals = field::values_or(doc, target, self.types.null_value(target));
        match self.types.get(target) {
            Some(FieldType::Date) => {
                let formats = self.types.date_formats(target);
                vals.into_iter()
                    .filter_map(|v| value::parse_instant_with(v, formats))
                    .map(|nanos| {
                        let ms = nanos.div_euclid(1_000_000);
                        if self.sample {
                            ms.to_string()
                        } else {
                            let iso = eql_runtime::time::rfc3339_nanos(ms * 1_000_000);
                            // `…T00:00:00.000000000Z` → `…T00:00:00.000Z`.
                            match iso.len().checked_sub(7) {
                                Some(cut) => format!("{}Z", &iso[..cut]),
                                None => iso,
                            }
                        }
                    })
                    .collect()
            }
            Some(FieldType::Ip) => vals
                .into_iter()
                .filter_map(field::text)
                .map(|t| value::parse_ip(&t).map_or(t, |ip| ip.to_string()))
                .collect(),
            _ => vals.into_iter().filter_map(field::text).collect(),
        }
    }

    /// The join keys of stage `stage` (or of `until` when `stage` is `None`) for a document:
    /// the cartesian product of each key field's distinct values. Empty when a non-optional key
    /// is missing (the hit is dropped); an optional (`?`) missing key is `None`.
    pub fn keys(&self, doc: &serde_json::Value, stage: Option<usize>) -> Vec<Key> {
        let plan = match stage {
            Some(i) => self.stages.get(i),
            None => self.until.as_ref(),
        };
        let Some(plan) = plan else {
            return Vec::new();
        };
        let mut keys: Vec<Vec<KeyValue>> = vec![Vec::new()];
        for (name, optional) in &plan.keys {
            let mut distinct: Vec<String> = Vec::new();
            for t in self.key_texts(doc, name) {
                if !distinct.contains(&t) {
                    distinct.push(t);
                }
            }
            let choices: Vec<KeyValue> = if distinct.is_empty() {
                if *optional {
                    vec![None]
                } else {
                    return Vec::new();
                }
            } else {
                distinct
                    .into_iter()
                    .map(|t| Some(t.into_boxed_str()))
                    .collect()
            };
            keys = keys
                .into_iter()
                .flat_map(|prefix| {
                    choices.iter().map(move |c| {
                        let mut k = prefix.clone();
                        k.push(c.clone());
                        k
                    })
                })
                .collect();
        }
        keys.into_iter().map(Vec::into_boxed_slice).collect()
    }
}
