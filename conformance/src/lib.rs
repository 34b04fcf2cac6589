//! Elasticsearch's EQL spec files, compiled: `build.rs` writes one rule file per query and one
//! `eql_rule!` per query the compiler supports (with the spec's index mapping), so the real
//! macro path is exercised; `tests/compiled.rs` runs them through the detector.

#![deny(missing_docs)]

use eql_runtime::rule::Rule;

/// One query of a spec file.
pub struct Case {
    /// The spec's `name`.
    pub name: &'static str,
    /// The query text.
    pub query: &'static str,
    /// The ids of the expected events, flattened across sequences; several lists when the
    /// result may be any one of them.
    pub expected: &'static [&'static [i64]],
    /// The join keys of all results, flattened, as strings (`"null"` for a null key), when the
    /// spec gives them.
    pub join_keys: Option<&'static [&'static str]>,
    /// Results returned at most (the request's `size`, 50 unless the spec sets it).
    pub size: usize,
    /// `max_samples_per_key` (1 unless the spec sets it).
    pub max_samples_per_key: usize,
    /// Whether the front end accepts the query (Elasticsearch's dialect).
    pub portable: bool,
    /// The compiled rule, or why the compiler rejects the query.
    pub rule: Result<fn() -> Box<dyn Rule>, &'static str>,
}

/// One spec file with its dataset.
pub struct Suite {
    /// The spec file, under the corpus's `elasticsearch/` folder.
    pub file: &'static str,
    /// The dataset as NDJSON lines, adapted (see `build.rs`).
    pub data: &'static str,
    /// The field that holds each event's id.
    pub id_field: &'static str,
    /// The tiebreaker field, if the suite has one.
    pub tiebreaker: Option<&'static str>,
    /// The index mapping (merged when several indices are searched together), as JSON.
    pub mapping: &'static str,
    /// The queries.
    pub cases: &'static [Case],
}

const PY_CASE: &str = "Python eql compares strings case-insensitively; an Elasticsearch range \
                       on a keyword is case-sensitive";
const PY_WILDCARD_EQ: &str = "Python eql's `==` treats `*` as a wildcard; Elasticsearch's `==` is \
                              exact (wildcards need `:` or `like`)";
const PY_BETWEEN_CASE: &str = "Python eql's `between` is case-insensitive; Elasticsearch's is \
                               case-sensitive (`between~` is not)";

/// Queries of the Python eql suite that Elasticsearch accepts but answers differently (the
/// expected ids are Python eql's), with the reason. (Those that read a field the dataset does
/// not have, `fake_field` and the like, Elasticsearch rejects: "Unknown column"; they count as
/// not portable.)
pub const PYTHON_DIALECT: &[(&str, &str)] = &[
    ("q38", PY_CASE),
    ("q39", PY_CASE),
    ("q40", PY_CASE),
    ("q41", PY_CASE),
    ("q54", PY_WILDCARD_EQ),
    ("q55", PY_WILDCARD_EQ),
    ("q122", PY_WILDCARD_EQ),
    ("q144", PY_WILDCARD_EQ),
    ("q145", PY_WILDCARD_EQ),
    ("q146", PY_WILDCARD_EQ),
    ("q228", PY_BETWEEN_CASE),
    ("q229", PY_BETWEEN_CASE),
    ("q232", PY_BETWEEN_CASE),
];

include!(concat!(env!("OUT_DIR"), "/suites.rs"));
