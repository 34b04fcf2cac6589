//! A loaded rule's [`RuleMeta`], from its rule file's metadata: what generated code writes as a
//! `static`, built once at load time.

use eql_runtime::rule::{MitreRef, RuleMeta, Technique, Threat};
use eql_syntax::rulefile::RuleFile;

use crate::{leak, leak_list};

fn mitre(r: &eql_syntax::rulefile::MitreRef) -> MitreRef {
    MitreRef {
        id: leak(&r.id),
        name: leak(&r.name),
        reference: leak(&r.reference),
    }
}

/// The metadata of `file`, loaded from `path`, with the texts lowering produced.
pub(crate) fn rule_meta(
    file: &RuleFile,
    path: &str,
    canonical: &str,
    plan: &str,
) -> &'static RuleMeta {
    let m = &file.meta;
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
    Box::leak(Box::new(RuleMeta {
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
        query: leak(&file.query),
        source: leak(path),
        canonical: leak(canonical),
        plan: leak(plan),
    }))
}
