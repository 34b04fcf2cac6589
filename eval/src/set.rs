//! Loaded rules as one set: a schema built at load time (the union of the fields they read, ids
//! by path, as `eql_rules!` lays out a compiled set), and each rule's IR with what was built from
//! it, behind the runtime's [`Rule`] trait.

use std::collections::BTreeMap;
use std::sync::Arc;

use eql_ir::rule::{self as ir, Pred, Shape as IrShape};
use eql_ir::FieldType;
use eql_runtime::event::{DynSchema, Event, FieldId, Schema};
use eql_runtime::prefilter::{Lit, Requirement};
use eql_runtime::rule::{
    KeyField, Pipe, PipeKind, Rule, RuleMeta, SeqSpec, Shape, StageSpec, UNTIL_BIT,
};
use eql_runtime::script::Val;

use crate::eval::{kind, Evaluator, ScriptFields};
use crate::matchers::Built;
use crate::{leak, leak_list, Loaded};

/// One rule, ready to evaluate.
struct Ready {
    meta: &'static RuleMeta,
    schema: &'static Schema,
    shape: &'static Shape,
    pipes: &'static [Pipe],
    prefilter: Option<Requirement>,
    categories: Option<(FieldId, &'static [&'static str])>,
    timestamp: FieldId,
    tiebreaker: Option<FieldId>,
    /// Join-key fields of type `date`, with their formats: keys are their instants.
    date_keys: Vec<(FieldId, Vec<String>)>,
    sample: bool,
    ids: Vec<FieldId>,
    types: Vec<FieldType>,
    matchers: Vec<Built>,
    scripts: Vec<(ScriptFields, ir::SExpr)>,
    consts: Vec<Val>,
    /// Per distinct condition: its category test, predicate, and the bits it sets.
    conds: Vec<Cond>,
    category_field: FieldId,
}

struct Cond {
    category: Option<String>,
    pred: Pred,
    bits: u64,
}

impl Ready {
    fn evaluator(&self) -> Evaluator<'_> {
        Evaluator {
            ids: &self.ids,
            types: &self.types,
            matchers: &self.matchers,
            scripts: &self.scripts,
            consts: &self.consts,
        }
    }
}

/// A loaded rule as the detector drives it. Clones share the rule.
#[derive(Clone)]
pub struct LoadedRule(Arc<Ready>);

impl std::fmt::Debug for LoadedRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LoadedRule")
            .field(&self.0.meta.name)
            .finish()
    }
}

impl Rule for LoadedRule {
    fn meta(&self) -> &'static RuleMeta {
        self.0.meta
    }

    fn schema(&self) -> &'static Schema {
        self.0.schema
    }

    fn shape(&self) -> &'static Shape {
        self.0.shape
    }

    fn eval(&self, ev: &Event<'_>) -> u64 {
        let r = &*self.0;
        let e = r.evaluator();
        let mut bits = 0;
        for c in &r.conds {
            let cat = c
                .category
                .as_deref()
                .is_none_or(|cat| ev.any_text(r.category_field, |s| s == cat));
            if cat && e.pred(&c.pred, ev) {
                bits |= c.bits;
            }
        }
        bits
    }

    fn prefilter(&self) -> Option<Requirement> {
        self.0.prefilter
    }

    fn pipes(&self) -> &'static [Pipe] {
        self.0.pipes
    }

    fn tiebreaker(&self, ev: &Event<'_>) -> Option<i64> {
        eql_runtime::__private::tiebreaker(ev, self.0.tiebreaker?)
    }

    fn key_value(&self, field: FieldId, text: &str) -> Option<String> {
        let (_, formats) = self.0.date_keys.iter().find(|(f, _)| *f == field)?;
        let formats: Vec<&str> = formats.iter().map(String::as_str).collect();
        eql_runtime::time::date_key(text, &formats, self.0.sample)
    }

    fn timestamp_field(&self) -> FieldId {
        self.0.timestamp
    }

    fn categories(&self) -> Option<(FieldId, &'static [&'static str])> {
        self.0.categories
    }
}

/// Builds the set: one schema for all of `rules`, then each rule against it.
pub(crate) fn build(rules: Vec<Loaded>) -> Vec<LoadedRule> {
    // The union of the fields, sorted by path; ids are positions in it.
    let mut by_path: BTreeMap<String, Option<String>> = BTreeMap::new();
    for r in &rules {
        for f in &r.lowered.ir.fields {
            by_path
                .entry(f.path.clone())
                .or_insert_with(|| f.null_value.clone());
        }
    }
    let paths: Vec<String> = by_path.keys().cloned().collect();
    let id_of = |path: &str| -> FieldId {
        paths
            .binary_search_by(|p| p.as_str().cmp(path))
            .ok()
            .and_then(|i| FieldId::try_from(i).ok())
            .unwrap_or(FieldId::MAX)
    };
    let null_values: Vec<(FieldId, &'static str)> = by_path
        .iter()
        .filter_map(|(p, n)| Some((id_of(p), leak(n.as_deref()?))))
        .collect();
    let timestamp = rules
        .first()
        .and_then(|r| r.lowered.ir.fields.first())
        .map_or(0, |f| id_of(&f.path));
    let mut table = DynSchema::new(paths.clone());
    table.mark_null_values(&null_values.iter().map(|(f, _)| *f).collect::<Vec<_>>());
    let lookup: &'static (dyn Fn(&[u8]) -> eql_runtime::event::Lookup + Send + Sync) =
        Box::leak(Box::new(move |p: &[u8]| {
            eql_runtime::json::Lookuper::lookup(&table, p)
        }));
    let schema: &'static Schema = Box::leak(Box::new(Schema {
        fields: leak_list(&paths),
        lookup,
        timestamp,
        null_values: Box::leak(null_values.into_boxed_slice()),
    }));
    rules
        .into_iter()
        .map(|r| LoadedRule(Arc::new(ready(r, schema, &id_of))))
        .collect()
}

fn ready(r: Loaded, schema: &'static Schema, id_of: &dyn Fn(&str) -> FieldId) -> Ready {
    let requirement = eql_compiler::literals::requirement(&r.lowered.ir);
    let ir = r.lowered.ir;
    let ids: Vec<FieldId> = ir.fields.iter().map(|f| id_of(&f.path)).collect();
    let id = |f: usize| ids.get(f).copied().unwrap_or(FieldId::MAX);
    let types: Vec<FieldType> = ir.fields.iter().map(|f| f.ty).collect();
    let matchers: Vec<Built> = ir.matchers.iter().map(Built::new).collect();
    let scripts: Vec<(ScriptFields, ir::SExpr)> = ir
        .scripts
        .into_iter()
        .map(|s| {
            let fields = s
                .fields
                .iter()
                .map(|&f| (id(f), kind(types.get(f).copied())))
                .collect();
            (ScriptFields(fields), s.expr)
        })
        .collect();
    let consts: Vec<Val> = {
        let e = Evaluator {
            ids: &ids,
            types: &types,
            matchers: &matchers,
            scripts: &[],
            consts: &[],
        };
        ir.consts.iter().map(|c| e.sexpr(c, &[])).collect()
    };
    let (shape, masks, date_keys, sample) = match &ir.shape {
        IrShape::Event => (Shape::Event, vec![(0, 1)], Vec::new(), false),
        IrShape::Sequence {
            maxspan_nanos,
            stages,
            until,
            sample,
        } => {
            let spec = |s: &ir::SeqStage| StageSpec {
                keys: Box::leak(
                    s.keys
                        .iter()
                        .map(|&(f, optional)| KeyField {
                            field: id(f),
                            optional,
                        })
                        .collect::<Vec<_>>()
                        .into_boxed_slice(),
                ),
                missing: s.missing,
            };
            // One test per distinct condition; `runs` copies share its bits.
            let masks = (0..ir.stages.len())
                .filter_map(|cond| {
                    let mask: u64 = stages
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.cond == cond)
                        .fold(0, |m, (i, _)| m | (1u64 << (i % 64)));
                    if mask != 0 {
                        Some((cond, mask))
                    } else if until.as_ref().is_some_and(|u| u.cond == cond) {
                        Some((cond, UNTIL_BIT))
                    } else {
                        None
                    }
                })
                .collect();
            let mut date_keys: Vec<(FieldId, Vec<String>)> = Vec::new();
            for (f, _) in stages.iter().chain(until).flat_map(|s| s.keys.iter()) {
                let Some(info) = ir.fields.get(*f) else {
                    continue;
                };
                if info.ty == FieldType::Date && !date_keys.iter().any(|(x, _)| *x == id(*f)) {
                    date_keys.push((id(*f), info.date_formats.clone()));
                }
            }
            let shape = Shape::Sequence(SeqSpec {
                maxspan_nanos: *maxspan_nanos,
                stages: Box::leak(
                    stages
                        .iter()
                        .map(spec)
                        .collect::<Vec<_>>()
                        .into_boxed_slice(),
                ),
                until: until.as_ref().map(spec),
                sample: *sample,
            });
            (shape, masks, date_keys, *sample)
        }
    };
    // Codegen's `categories`: known when every condition tests one.
    let categories = ir
        .stages
        .iter()
        .map(|st| st.category.as_deref().map(leak))
        .collect::<Option<Vec<&'static str>>>()
        .map(|mut cats| {
            cats.sort_unstable();
            cats.dedup();
            let cats: &'static [&'static str] = Box::leak(cats.into_boxed_slice());
            (id(ir.category_field), cats)
        });
    let pipes: Vec<Pipe> = ir
        .pipes
        .iter()
        .map(|&(head, count)| Pipe {
            kind: if head { PipeKind::Head } else { PipeKind::Tail },
            count,
        })
        .collect();
    let category_field = id(ir.category_field);
    let tiebreaker = ir.tiebreaker.map(id);
    let timestamp = id(0);
    let mut stages: Vec<Option<ir::Stage>> = ir.stages.into_iter().map(Some).collect();
    let conds = masks
        .into_iter()
        .filter_map(|(cond, bits)| {
            let st = stages.get_mut(cond)?.take()?;
            Some(Cond {
                category: st.category,
                pred: st.pred,
                bits,
            })
        })
        .collect();
    Ready {
        meta: r.meta,
        schema,
        shape: Box::leak(Box::new(shape)),
        pipes: Box::leak(pipes.into_boxed_slice()),
        prefilter: requirement.map(leak_requirement),
        categories,
        timestamp,
        tiebreaker,
        date_keys,
        sample,
        ids,
        types,
        matchers,
        scripts,
        consts,
        conds,
        category_field,
    }
}

/// The compiler's prefilter requirement in the runtime's form (what codegen writes as a
/// `const`).
fn leak_requirement(terms: eql_compiler::literals::Requirement) -> Requirement {
    let terms: Vec<&'static [&'static [Lit]]> = terms
        .into_iter()
        .map(|term| {
            let groups: Vec<&'static [Lit]> = term
                .into_iter()
                .map(|g| {
                    let lits: Vec<Lit> = g
                        .lits
                        .into_iter()
                        .map(|l| match (l.key, l.value) {
                            (Some(key), true) => Lit::value(leak(&l.text)).under(leak(&key)),
                            (None, true) => Lit::value(leak(&l.text)),
                            _ => Lit::text(leak(&l.text)),
                        })
                        .collect();
                    &*Box::leak(lits.into_boxed_slice())
                })
                .collect();
            &*Box::leak(groups.into_boxed_slice())
        })
        .collect();
    Box::leak(terms.into_boxed_slice())
}
