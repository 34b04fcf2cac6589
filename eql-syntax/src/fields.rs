//! The fields in force: which field names a rule may read, as Elasticsearch's "Unknown column"
//! check sees them.
//!
//! Elasticsearch resolves every field of an EQL query against the mappings of the indices it
//! searches; a field that no index maps is a query error (`Unknown column [process.nmae]`), unless
//! it is written `?process.nmae` (then it is `null`). The same holds here, at compile time and at
//! load time alike, against one of two field sets:
//!
//! - an index mapping ([`KnownFields::from_mapping`], through
//!   [`FieldTypes::from_mapping`](crate::mapping::FieldTypes::from_mapping)): its leaf fields,
//!   `alias` fields and multi-fields (`"fields": {"text": …}` makes `name.text` a field);
//! - without one, [`KnownFields::defaults`]: ECS plus the field definitions of every Elastic
//!   Defend data stream, generated into `eql-syntax/data/known-fields.tsv` by
//!   `scripts/known-fields.py` (its header names the origin commits and licences).
//!
//! In both, an `object` or `nested` field, and the parent of any dotted field (`process`,
//! `process.parent`), is an object, not a column: only its sub-fields can be read. A `flattened`
//! field is a column, and so is any key under it (`labels.env`, when `labels` is flattened).
//! EQL field names have no wildcards.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::ast::{Expr, ExprKind, Field, Query, QueryBody, Stage};
use crate::diag::Diagnostic;
use crate::functions::distance;

/// What a name is in a field set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A field a query can read.
    Field,
    /// An object: only its sub-fields are columns.
    Object,
    /// Not in the field set.
    Unknown,
}

/// A set of field names in force (see the module documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownFields {
    /// Every column, with its Elasticsearch type as written (`keyword`, `long`, `object`, …).
    fields: BTreeMap<String, String>,
    /// `flattened` fields: every key under them is a column too.
    flattened: BTreeSet<String>,
}

/// The generated default field list (ECS plus Elastic Defend).
const DEFAULT_LIST: &str = include_str!("../data/known-fields.tsv");

impl KnownFields {
    /// ECS plus every Elastic Defend data stream's fields: the field set when no index mapping
    /// is given. Parsed once.
    pub fn defaults() -> &'static KnownFields {
        static DEFAULTS: OnceLock<KnownFields> = OnceLock::new();
        DEFAULTS.get_or_init(|| {
            let mut k = KnownFields::default();
            for line in DEFAULT_LIST.lines() {
                if line.starts_with('#') || line.is_empty() {
                    continue;
                }
                let mut cols = line.split('\t');
                let (Some(name), Some(ty)) = (cols.next(), cols.next()) else {
                    continue;
                };
                // `a/b`: ECS says a, Defend b; the first is the one kept.
                let ty = ty.split('/').next().unwrap_or(ty);
                k.insert(name, ty);
            }
            k
        })
    }

    /// The fields of an Elasticsearch mapping's `properties` (already parsed JSON).
    pub fn from_mapping(properties: &serde_json::Value) -> KnownFields {
        let mut k = KnownFields::default();
        k.add_properties(properties);
        k
    }

    fn add_properties(&mut self, props: &serde_json::Value) {
        crate::mapping::for_each_property(props, "", &mut |path, def| {
            let ty = def.get("type").and_then(|t| t.as_str());
            self.insert(path, ty.unwrap_or("object"));
            if def.get("properties").is_some() {
                return;
            }
            if let Some(multi) = def.get("fields").and_then(|f| f.as_object()) {
                for (sub, sdef) in multi {
                    let sty = sdef
                        .get("type")
                        .and_then(|t| t.as_str())
                        .unwrap_or("keyword");
                    self.insert(&format!("{path}.{sub}"), sty);
                }
            }
        });
    }

    fn insert(&mut self, name: &str, ty: &str) {
        if ty == "flattened" {
            self.flattened.insert(name.to_owned());
        }
        self.fields
            .entry(name.to_owned())
            .or_insert_with(|| ty.to_owned());
    }

    /// Adds another field set (indices searched together: a field of any of them is in force).
    pub fn merge(&mut self, other: &KnownFields) {
        for (name, ty) in &other.fields {
            self.insert(name, ty);
        }
    }

    /// How many names the set holds (objects included).
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The Elasticsearch type the set records for `name` (`keyword`, `long`, `object`, …).
    pub fn type_of(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// Whether `name` is a column, an object, or unknown.
    pub fn lookup(&self, name: &str) -> Lookup {
        match self.fields.get(name).map(String::as_str) {
            Some("object" | "nested") => return Lookup::Object,
            Some(_) => return Lookup::Field,
            None => {}
        }
        // A key under a `flattened` field.
        let mut at = name.len();
        while let Some(dot) = name[..at].rfind('.') {
            if self.flattened.contains(&name[..dot]) {
                return Lookup::Field;
            }
            at = dot;
        }
        // The parent of a dotted field.
        let prefix = format!("{name}.");
        match self.fields.range(prefix.clone()..).next() {
            Some((k, _)) if k.starts_with(&prefix) => Lookup::Object,
            _ => Lookup::Unknown,
        }
    }

    /// The closest column to an unknown `name`, for "did you mean": the smallest edit distance
    /// over the whole path, case ignored, at most 2 (1 for names shorter than 6, a fifth of the
    /// length for long names). Work is bounded: names whose lengths differ by more than the bound are skipped.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        let lower = name.to_ascii_lowercase();
        let len = name.chars().count();
        let bound = if len < 6 { 1 } else { (len / 5).max(2) };
        let mut best: Option<(usize, &str)> = None;
        for (k, ty) in &self.fields {
            if matches!(ty.as_str(), "object" | "nested") || k.len().abs_diff(name.len()) > bound {
                continue;
            }
            let d = distance(&lower, &k.to_ascii_lowercase());
            if d <= bound && best.is_none_or(|(b, _)| d < b) {
                best = Some((d, k));
            }
        }
        best.map(|(_, k)| k)
    }

    /// The diagnostic for a field that is not a column (`None`: it is one). `origin` names the
    /// field set in the note (`ECS and Elastic Defend`, `the index mapping`).
    pub fn diagnose(&self, field: &Field, origin: &str) -> Option<Diagnostic> {
        let name = &field.name;
        match self.lookup(name) {
            Lookup::Field => None,
            Lookup::Object => Some(
                Diagnostic::error(
                    format!("`{name}` is an object, not a field: only its sub-fields can be read"),
                    field.span,
                )
                .with_note(format!("fields in force: {origin}")),
            ),
            Lookup::Unknown => {
                let d = Diagnostic::error(
                    format!("unknown field `{name}` (Elasticsearch: Unknown column [{name}])"),
                    field.span,
                );
                let d = match self.suggest(name) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!(
                        "write `?{name}` if no index may have it (it is then null)"
                    )),
                };
                Some(d.with_note(format!("fields in force: {origin}")))
            }
        }
    }

    /// Every field `q` reads that is not a column: conditions (function arguments included),
    /// `until`, `by` keys of sequences, samples and stages, missing-event stages. Optional fields
    /// (`?x`) are never reported: an unknown one is `null`, as in Elasticsearch. Spans are the
    /// query's.
    pub fn check_query(&self, q: &Query, origin: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut field = |f: &Field| {
            if !f.optional {
                out.extend(self.diagnose(f, origin));
            }
        };
        match &q.body {
            QueryBody::Event(e) => walk(&e.condition, &mut field),
            QueryBody::Sequence(s) => {
                s.by.iter().for_each(&mut field);
                s.stages
                    .iter()
                    .chain(&s.until)
                    .for_each(|st| stage(st, &mut field));
            }
            QueryBody::Sample(s) => {
                s.by.iter().for_each(&mut field);
                s.stages.iter().for_each(|st| stage(st, &mut field));
            }
        }
        out.sort_by_key(|d| (d.span.start, d.span.end));
        out
    }
}

fn stage(st: &Stage, f: &mut dyn FnMut(&Field)) {
    walk(&st.query.condition, f);
    st.by.iter().for_each(f);
}

fn walk(e: &Expr, f: &mut dyn FnMut(&Field)) {
    match &e.kind {
        ExprKind::Field(x) => f(x),
        _ => e.children().for_each(|c| walk(c, f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_hold_ecs_and_defend() {
        let k = KnownFields::defaults();
        assert!(k.len() > 4000);
        assert_eq!(k.lookup("process.name"), Lookup::Field);
        assert_eq!(k.lookup("@timestamp"), Lookup::Field);
        // Multi-fields and Defend's own fields.
        assert_eq!(k.lookup("process.command_line.text"), Lookup::Field);
        assert_eq!(
            k.lookup("process.Ext.relative_file_creation_time"),
            Lookup::Field
        );
        assert_eq!(k.lookup("process.parent"), Lookup::Object);
        assert_eq!(k.lookup("process"), Lookup::Object);
        assert_eq!(k.lookup("process.nmae"), Lookup::Unknown);
        assert_eq!(k.suggest("process.nmae"), Some("process.name"));
        assert_eq!(k.suggest("Process.Name"), Some("process.name"));
        assert_eq!(
            k.suggest("process.parent.executabel"),
            Some("process.parent.executable")
        );
        assert_eq!(k.suggest("zzzzzzzz"), None);
        assert_eq!(k.suggest("ts"), None, "not `tags`");
    }

    #[test]
    fn mapping_fields_aliases_multi_fields_objects_flattened() {
        let props = serde_json::json!({
            "pid": {"type": "long"},
            "name": {"type": "keyword", "fields": {"text": {"type": "text"}}},
            "event": {"properties": {"category": {"type": "alias", "path": "event_type"}}},
            "labels": {"type": "flattened"},
            "blob": {"type": "object"}
        });
        let k = KnownFields::from_mapping(&props);
        assert_eq!(k.lookup("pid"), Lookup::Field);
        assert_eq!(k.lookup("name.text"), Lookup::Field);
        assert_eq!(k.lookup("event.category"), Lookup::Field);
        assert_eq!(k.lookup("event"), Lookup::Object);
        assert_eq!(k.lookup("labels.env.name"), Lookup::Field);
        assert_eq!(k.lookup("blob"), Lookup::Object);
        assert_eq!(k.lookup("blob.x"), Lookup::Unknown);
        assert_eq!(k.lookup("pdi"), Lookup::Unknown);
    }

    #[test]
    fn every_mention_is_checked_but_optional_ones() {
        let q = crate::parse(
            "sequence by host.nmae [process where startsWith(process.nmae, \"a\") and ?x.y == 1] \
             by user.nmae [network where true] by user.name until [process where prcess.pid == 1] by user.id",
        )
        .expect("parses");
        let ds = KnownFields::defaults().check_query(&q, "ECS");
        let names: Vec<&str> = ds.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(ds.len(), 4, "{names:?}");
        assert!(names[0].contains("`host.nmae`"));
        assert!(names[1].contains("`process.nmae`"));
        assert!(names[2].contains("`user.nmae`"));
        assert!(names[3].contains("`prcess.pid`"));
        assert_eq!(ds[1].help.as_deref(), Some("did you mean `process.name`?"));
    }
}
