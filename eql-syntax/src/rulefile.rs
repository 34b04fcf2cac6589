//! Rule files: `.eql` with a leading TOML comment block, and Elastic detection-rules `.toml`.
//!
//! An `.eql` rule file is an EQL document. Its metadata, when it has any, is TOML inside the
//! leading comment, either one `/* … */` block or a run of `//` lines:
//!
//! ```text
//! /*
//! [rule]
//! name = "Curl started"
//! severity = "low"
//! */
//! process where process.name == "curl"
//! ```
//!
//! Whether a leading comment is metadata: a comment that parses as a TOML document with at
//! least one key or table is metadata, and must then hold a `[rule]` table (a metadata block
//! without one is an error, rather than a rule silently named after its file); so is a comment
//! with a line starting `[rule` that does not parse (its TOML error is reported). Any other
//! comment (prose, a commented-out query) is an ordinary comment, part of the query.
//!
//! A `.toml` rule file is an Elastic detection-rules file, read unchanged: `[rule] query = '''…'''`
//! plus the metadata next to it.
//!
//! # Accepted keys
//!
//! Both forms accept the same keys; any other key is an error, with a did-you-mean (the list is
//! also in `docs/rule-files.md`). Top-level tables: `[rule]`, `[metadata]`, `[transform]`
//! (detection-rules' investigation-guide transforms, not read).
//!
//! `[rule]`, the keys of detection-rules' rule schema (Kibana's rule fields):
//! `actions`, `alert_suppression` (`group_by`, `duration` (`value`, `unit`),
//! `missing_fields_strategy`), `author`, `building_block_type`, `data_view_id`,
//! `description`, `enabled`, `event_category_override`, `exceptions_list`, `false_positives`,
//! `filters`, `from`, `index`, `interval`, `investigation_fields` (`field_names`), `language`,
//! `license`, `max_signals`, `meta`, `name`, `namespace`, `note`, `query`, `references`,
//! `related_integrations` (`package`, `version`, `integration`), `required_fields` (`name`,
//! `type`, `ecs`), `revision`, `risk_score`, `risk_score_mapping` (`field`, `operator`,
//! `value`, `risk_score`), `rule_id`, `rule_name_override`, `setup`, `severity`,
//! `severity_mapping` (`field`, `operator`, `value`, `severity`), `tags`, `threat`,
//! `throttle`, `tiebreaker_field`, `timeline_id`, `timeline_title`, `timestamp_field`,
//! `timestamp_override`, `timestamp_override_fallback_disabled`, `to`, `type`, `version`;
//! and this project's own two, `mapping` and `unknown_fields` (below). `[[rule.threat]]`:
//! `framework`, `tactic` (`id`, `name`, `reference`), `technique` (`id`, `name`,
//! `reference`, `subtechnique` (`id`, `name`, `reference`)). The contents of `actions`,
//! `exceptions_list`, `filters` and `meta` are free-form.
//!
//! `[metadata]`: `bypass_bbr_timing`, `comments`, `creation_date`, `deprecation_date`,
//! `extended` (free-form), `integration`, `maturity`, `min_stack_comments`,
//! `min_stack_version`, `os_type_list`, `promotion`, `query_schema_validation`,
//! `related_endpoint_rules`, `updated_date`.
//!
//! Values checked beyond their TOML type: `severity` is `low`, `medium`, `high` or `critical`;
//! `risk_score` is 0 to 100; `unknown_fields` is `"error"` or `"allow"`; `mapping` is a
//! relative path. `query` is not allowed in an `.eql` file (the query follows the comment).
//!
//! # Defaults
//!
//! Absent metadata takes these defaults (Kibana's where Kibana has one): `name` = the file stem,
//! `rule_id` = `""`, `description` = `""`, `severity` = `"low"`, `risk_score` = 21,
//! `version` = 1, `interval` = `"5m"`, `from` = `"now-6m"`, `max_signals` = 100,
//! `event_category_field` = `"event.category"` (key `event_category_override`),
//! `timestamp_field` = `"@timestamp"`, no `tiebreaker_field`, no `timestamp_override`, every
//! list empty, `unknown_fields = "error"`, no `mapping`.
//!
//! `timestamp_field`, `event_category_override` and `tiebreaker_field` are the parameters Kibana
//! passes to the EQL search (`timestamp_field`, `event_category_field`, `tiebreaker_field`).
//! `timestamp_override` (`event.ingested` in most Elastic rules) is not one of them: Kibana uses
//! it only for the time range of each scheduled search, falling back to `@timestamp` for
//! documents without it, so it never changes which events join or in what order. It is kept as
//! metadata.
//!
//! # Unknown fields
//!
//! Every field a rule reads must be a field in force ([`crate::fields`]), as Elasticsearch
//! requires ("Unknown column"): the fields of the query (conditions, function arguments, `by`
//! keys, `until`, missing-event stages) and those the metadata names (`event_category_override`
//! when a stage names a category, `timestamp_field` unless the query is a `sample` (samples are
//! unordered), `tiebreaker_field`, `timestamp_override`); `?field` is exempt (null when
//! unknown). [`RuleFile::check_fields`]
//! makes the check; the compiler (`eql_rule!`, `eql_rules!`) and the interpreter
//! (`eql-detect --rule-file`) both call it. The fields in force are, in this order:
//!
//! 1. the index mapping given to the invocation (`eql_rule!(…, mapping = "…")`,
//!    `eql-detect --mapping`): it describes the data actually searched;
//! 2. else the rule's own `mapping = "relative/path.json"` (relative to the rule file's
//!    directory; it also gives the rule's field types, as an invocation mapping would);
//! 3. else ECS plus Elastic Defend's data streams.
//!
//! A rule written for other data without a mapping at hand opts out with
//! `unknown_fields = "allow"` in `[rule]`: its fields are then not checked (and an unknown one
//! is simply absent from every event, as on an engine without mappings).

use serde::Deserialize;

use crate::ast::{CategoryKind, Query, QueryBody};
use crate::diag::Diagnostic;
use crate::fields::Lookup;
use crate::functions::distance;
use crate::mapping::FieldTypes;
use crate::span::Span;

/// A loaded rule file: the query text and its metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleFile {
    /// The EQL query, exactly as written.
    pub query: String,
    /// Byte offset of `query` in the file, so diagnostics on the query can point into the file.
    /// Exact for `.eql` files and for TOML strings without escapes (`'''` literals); otherwise the
    /// offset of the `query` key.
    pub query_offset: usize,
    /// Everything else the file says about the rule.
    pub meta: RuleMetadata,
    /// Where the file sets a `[rule]` key that names a field or a file (`timestamp_field`,
    /// `event_category_override`, `tiebreaker_field`, `timestamp_override`, `mapping`): the key,
    /// the value as written and the value's span in the file, for diagnostics.
    pub meta_spans: Vec<(String, String, Span)>,
}

/// Rule metadata, with the defaults of the module documentation filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMetadata {
    /// `rule.name`.
    pub name: String,
    /// `rule.rule_id`.
    pub rule_id: String,
    /// `rule.description`.
    pub description: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// 0–100.
    pub risk_score: u32,
    /// `rule.version`.
    pub version: u32,
    /// `rule.tags`.
    pub tags: Vec<String>,
    /// `rule.index`.
    pub index: Vec<String>,
    /// How often the rule runs.
    pub interval: String,
    /// The look-back of each run.
    pub from: String,
    /// Alerts per run at most.
    pub max_signals: u32,
    /// `rule.author`.
    pub author: Vec<String>,
    /// `rule.license`.
    pub license: String,
    /// `rule.references`.
    pub references: Vec<String>,
    /// MITRE ATT&CK mapping.
    pub threat: Vec<Threat>,
    /// The field `process where …` tests (`event.category`).
    pub event_category_field: String,
    /// The field sequences are ordered by (`@timestamp`; key `timestamp_field`).
    pub timestamp_field: String,
    /// `timestamp_override`: the field Kibana's scheduled searches filter their time range on.
    /// It does not order events (see the module documentation).
    pub timestamp_override: Option<String>,
    /// A numeric field that orders events of equal timestamp (`tiebreaker_field`).
    pub tiebreaker_field: Option<String>,
    /// `unknown_fields`: whether fields outside the fields in force are errors (the default) or
    /// allowed (`"allow"`, for rules written for other data).
    pub unknown_fields: UnknownFields,
    /// `mapping`: the index mapping the rule is written for, relative to the rule file's
    /// directory (see the module documentation; [`RuleFile::mapping_path`] resolves it).
    pub mapping: Option<String>,
}

/// The `unknown_fields` key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownFields {
    /// `"error"` (the default): a field outside the fields in force is an error.
    #[default]
    Error,
    /// `"allow"`: fields are not checked.
    Allow,
}

/// One `[[rule.threat]]` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Threat {
    /// `MITRE ATT&CK`.
    pub framework: String,
    /// The tactic.
    pub tactic: MitreRef,
    /// The techniques.
    #[serde(rename = "technique")]
    pub techniques: Vec<Technique>,
}

/// A MITRE tactic, technique or subtechnique.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct MitreRef {
    /// `TA0006`, `T1552`, `T1552.005`.
    pub id: String,
    /// `Credential Access`.
    pub name: String,
    /// The attack.mitre.org address.
    pub reference: String,
}

/// A MITRE technique with its subtechniques.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Technique {
    /// The technique itself.
    #[serde(flatten)]
    pub technique: MitreRef,
    /// Its subtechniques.
    #[serde(rename = "subtechnique", default)]
    pub subtechniques: Vec<MitreRef>,
}

/// Why a rule file could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// What is wrong, one line.
    pub message: String,
    /// Where, in bytes of the whole file.
    pub span: Span,
    /// How to fix it (a did-you-mean), when there is something useful to say.
    pub help: Option<String>,
}

impl LoadError {
    fn new(message: impl Into<String>, start: usize, end: usize) -> LoadError {
        LoadError {
            message: message.into(),
            span: Span::new(start, end),
            help: None,
        }
    }

    fn with_help(mut self, help: impl Into<String>) -> LoadError {
        self.help = Some(help.into());
        self
    }

    /// The error as a [`Diagnostic`] (span in the file), to render with [`crate::render`].
    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.message.clone(), self.span);
        match &self.help {
            Some(h) => d.with_help(h.clone()),
            None => d,
        }
    }
}

/// The `[rule]` table as written; `None` means absent (a default applies).
#[derive(Debug, Default, Deserialize)]
struct RawRule {
    name: Option<String>,
    rule_id: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    risk_score: Option<u32>,
    version: Option<u32>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    index: Vec<String>,
    interval: Option<String>,
    from: Option<String>,
    max_signals: Option<u32>,
    #[serde(default)]
    author: Vec<String>,
    license: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    threat: Vec<Threat>,
    event_category_override: Option<String>,
    timestamp_override: Option<String>,
    timestamp_field: Option<String>,
    tiebreaker_field: Option<String>,
    query: Option<String>,
    language: Option<String>,
    unknown_fields: Option<String>,
    mapping: Option<String>,
}

/// The whole metadata document; the other tables are validated ([`validate`]), not read.
#[derive(Debug, Deserialize)]
struct RawDoc {
    rule: Option<RawRule>,
}

/// Loads a rule file: `.eql` or Elastic `.toml`, chosen by the extension of `path`.
///
/// `path` is only used for the extension and the default name; nothing is read from disk.
/// The metadata is validated (see the module documentation); errors point into the file.
pub fn load(path: &str, text: &str) -> Result<RuleFile, Vec<LoadError>> {
    let stem = file_stem(path);
    if path.ends_with(".toml") {
        load_toml(stem, text)
    } else if path.ends_with(".eql") {
        load_eql(stem, text)
    } else {
        Err(vec![LoadError::new(
            format!("`{path}`: a rule file must end in `.eql` or `.toml`"),
            0,
            0,
        )])
    }
}

/// Whether a file in a rules directory is an EQL rule: every `.eql` file is; a `.toml` file is
/// unless its `[rule]` table names another `language` (detection-rules directories mix EQL
/// rules with KQL, ES|QL and machine-learning rules). A `.toml` file that is not valid TOML
/// counts as EQL, so that loading it reports the error.
pub fn is_eql_rule(path: &str, text: &str) -> bool {
    if path.ends_with(".eql") {
        return true;
    }
    if !path.ends_with(".toml") {
        return false;
    }
    match toml::from_str::<toml::Table>(text) {
        Ok(doc) => match doc.get("rule").and_then(|r| r.get("language")) {
            Some(toml::Value::String(lang)) => lang == "eql",
            Some(_) => true,
            // detection-rules `.toml` files without a language are not query rules.
            None => doc.get("rule").and_then(|r| r.get("query")).is_some(),
        },
        Err(_) => true,
    }
}

fn file_stem(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

fn load_eql(stem: &str, text: &str) -> Result<RuleFile, Vec<LoadError>> {
    let plain = || RuleFile {
        query: text.to_owned(),
        query_offset: 0,
        meta: metadata(stem, RawRule::default()),
        meta_spans: Vec::new(),
    };
    let Some(block) = leading_comment(text) else {
        return Ok(plain());
    };
    let map = |at: usize| block.file_offset(at).min(text.len());
    let doc = match toml_edit::ImDocument::parse(block.toml.as_str()) {
        // Prose, or a commented-out query: an ordinary comment, part of the query.
        Ok(doc) if doc.as_table().is_empty() => return Ok(plain()),
        Ok(doc) => doc,
        Err(e) if looks_like_metadata(&block.toml) => return Err(vec![toml_edit_error(&e, map)]),
        Err(_) => return Ok(plain()),
    };
    let mut spans = Vec::new();
    let root = doc.as_table();
    if root.get("rule").is_none() {
        return Err(missing_rule(root, (block.start, block.start + 2), &map));
    }
    let mut errs = validate(root, &map, &mut spans);
    if let Some((key, _)) = doc
        .as_table()
        .get("rule")
        .and_then(|r| r.as_table_like())
        .and_then(|r| r.get_key_value("query"))
    {
        let (s, e) = key
            .span()
            .map_or((block.start, block.end), |r| (map(r.start), map(r.end)));
        errs.push(LoadError::new(
            "the metadata of an `.eql` rule file must not contain `query`: the query follows the comment",
            s,
            e,
        ));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let raw: RawDoc =
        toml::from_str(&block.toml).map_err(|e| vec![toml_error(&e, map, text.len())])?;
    Ok(RuleFile {
        query: text.get(block.end..).unwrap_or("").to_owned(),
        query_offset: block.end,
        meta: metadata(stem, raw.rule.unwrap_or_default()),
        meta_spans: spans,
    })
}

/// A comment that fails to parse as TOML is metadata (and its error reported) when a line
/// starts a `[rule…]` or `[metadata]` table.
fn looks_like_metadata(toml: &str) -> bool {
    toml.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("[rule") || l.starts_with("[[rule") || l.starts_with("[metadata")
    })
}

fn load_toml(stem: &str, text: &str) -> Result<RuleFile, Vec<LoadError>> {
    let map = |at: usize| at.min(text.len());
    let doc = toml_edit::ImDocument::parse(text).map_err(|e| vec![toml_edit_error(&e, map)])?;
    let mut spans = Vec::new();
    if doc.as_table().get("rule").is_none() {
        return Err(missing_rule(doc.as_table(), (0, 0), &map));
    }
    let errs = validate(doc.as_table(), &map, &mut spans);
    if !errs.is_empty() {
        return Err(errs);
    }
    let raw: RawDoc = toml::from_str(text).map_err(|e| vec![toml_error(&e, map, text.len())])?;
    let Some(mut raw) = raw.rule else {
        return Err(missing_rule(doc.as_table(), (0, 0), &map));
    };
    if let Some(lang) = &raw.language {
        if lang != "eql" {
            let (s, e) = value_span(doc.as_table(), "language", &map).unwrap_or((0, 0));
            return Err(vec![LoadError::new(
                format!("rule language is `{lang}`, not `eql`"),
                s,
                e,
            )]);
        }
    }
    let Some(query) = raw.query.take() else {
        let (s, e) = key_span(doc.as_table(), "rule", &map).unwrap_or((0, 0));
        return Err(vec![LoadError::new(
            "missing `query` in the `[rule]` table",
            s,
            e,
        )]);
    };
    let query_offset = find_query(text, &query);
    Ok(RuleFile {
        query,
        query_offset,
        meta: metadata(stem, raw),
        meta_spans: spans,
    })
}

/// Metadata without a `[rule]` table: one error at `at`; `[rule]` keys written at the top level
/// are named in its help (the header is what is missing) rather than reported one by one.
fn missing_rule(
    root: &toml_edit::Table,
    at: (usize, usize),
    map: &dyn Fn(usize) -> usize,
) -> Vec<LoadError> {
    let stray: Vec<&str> = root
        .iter()
        .map(|(k, _)| k)
        .filter(|k| RULE.iter().any(|(name, _)| name == k))
        .collect();
    let help = if stray.is_empty() {
        "the metadata must hold a `[rule]` table (in an `.eql` file, a leading comment that is \
         TOML is metadata)"
            .to_owned()
    } else {
        let keys: Vec<String> = stray.iter().map(|k| format!("`{k}`")).collect();
        format!(
            "{} belong in `[rule]`: add the line `[rule]` above them",
            keys.join(", ")
        )
    };
    let mut errs =
        vec![LoadError::new("rule metadata without a `[rule]` table", at.0, at.1).with_help(help)];
    let mut spans = Vec::new();
    errs.extend(validate(root, map, &mut spans).into_iter().filter(|e| {
        !stray
            .iter()
            .any(|k| e.message == format!("unknown rule metadata key `{k}` at the top level"))
    }));
    errs
}

/// The span of `[rule] key`'s value, mapped into the file.
fn value_span(
    root: &toml_edit::Table,
    key: &str,
    map: &dyn Fn(usize) -> usize,
) -> Option<(usize, usize)> {
    let r = root.get("rule")?.as_table_like()?.get(key)?.span()?;
    Some((map(r.start), map(r.end)))
}

/// The span of the top-level key `key` (the `[rule]` header), mapped into the file.
fn key_span(
    root: &toml_edit::Table,
    key: &str,
    map: &dyn Fn(usize) -> usize,
) -> Option<(usize, usize)> {
    let r = root.key(key)?.span()?;
    Some((map(r.start), map(r.end)))
}

/// The byte offset of the decoded query in the raw file: exact when the TOML string has no
/// escapes; otherwise the start of the `query` key line.
fn find_query(text: &str, query: &str) -> usize {
    let key = text
        .match_indices("query")
        .find(|(i, _)| {
            let line_start = text[..*i].rfind('\n').map_or(0, |n| n + 1);
            text[line_start..*i].trim().is_empty() && text[i + 5..].trim_start().starts_with('=')
        })
        .map_or(0, |(i, _)| i);
    match text.get(key..).and_then(|rest| rest.find(query)) {
        Some(at) if !query.is_empty() => key + at,
        _ => key,
    }
}

/// What a metadata key holds, for validation.
#[derive(Clone, Copy)]
enum Shape {
    /// Anything (free-form, or a value whose type serde checks).
    Any,
    /// A table with these keys.
    Table(&'static [(&'static str, Shape)]),
    /// An array of tables with these keys (`[[rule.threat]]`, or an array of inline tables).
    Tables(&'static [(&'static str, Shape)]),
}

use Shape::{Any, Table as T, Tables as Ts};

const MITRE: &[(&str, Shape)] = &[("id", Any), ("name", Any), ("reference", Any)];
const TECHNIQUE: &[(&str, Shape)] = &[
    ("id", Any),
    ("name", Any),
    ("reference", Any),
    ("subtechnique", Ts(MITRE)),
];
const THREAT: &[(&str, Shape)] = &[
    ("framework", Any),
    ("tactic", T(MITRE)),
    ("technique", Ts(TECHNIQUE)),
];
const MAPPING_ENTRY: &[(&str, Shape)] = &[
    ("field", Any),
    ("operator", Any),
    ("value", Any),
    ("risk_score", Any),
    ("severity", Any),
];

/// The `[rule]` keys: detection-rules' rule schema, plus `mapping` and `unknown_fields`.
const RULE: &[(&str, Shape)] = &[
    ("actions", Any),
    (
        "alert_suppression",
        T(&[
            ("group_by", Any),
            ("duration", T(&[("value", Any), ("unit", Any)])),
            ("missing_fields_strategy", Any),
        ]),
    ),
    ("author", Any),
    ("building_block_type", Any),
    ("data_view_id", Any),
    ("description", Any),
    ("enabled", Any),
    ("event_category_override", Any),
    ("exceptions_list", Any),
    ("false_positives", Any),
    ("filters", Any),
    ("from", Any),
    ("index", Any),
    ("interval", Any),
    ("investigation_fields", T(&[("field_names", Any)])),
    ("language", Any),
    ("license", Any),
    ("mapping", Any),
    ("max_signals", Any),
    ("meta", Any),
    ("name", Any),
    ("namespace", Any),
    ("note", Any),
    ("query", Any),
    ("references", Any),
    (
        "related_integrations",
        Ts(&[("package", Any), ("version", Any), ("integration", Any)]),
    ),
    (
        "required_fields",
        Ts(&[("name", Any), ("type", Any), ("ecs", Any)]),
    ),
    ("revision", Any),
    ("risk_score", Any),
    ("risk_score_mapping", Ts(MAPPING_ENTRY)),
    ("rule_id", Any),
    ("rule_name_override", Any),
    ("setup", Any),
    ("severity", Any),
    ("severity_mapping", Ts(MAPPING_ENTRY)),
    ("tags", Any),
    ("threat", Ts(THREAT)),
    ("throttle", Any),
    ("tiebreaker_field", Any),
    ("timeline_id", Any),
    ("timeline_title", Any),
    ("timestamp_field", Any),
    ("timestamp_override", Any),
    ("timestamp_override_fallback_disabled", Any),
    ("to", Any),
    ("type", Any),
    ("unknown_fields", Any),
    ("version", Any),
];

/// The `[metadata]` keys of detection-rules.
const METADATA: &[(&str, Shape)] = &[
    ("bypass_bbr_timing", Any),
    ("comments", Any),
    ("creation_date", Any),
    ("deprecation_date", Any),
    ("extended", Any),
    ("integration", Any),
    ("maturity", Any),
    ("min_stack_comments", Any),
    ("min_stack_version", Any),
    ("os_type_list", Any),
    ("promotion", Any),
    ("query_schema_validation", Any),
    ("related_endpoint_rules", Any),
    ("updated_date", Any),
];

const TOP: &[(&str, Shape)] = &[
    ("metadata", T(METADATA)),
    ("rule", T(RULE)),
    ("transform", Any),
];

const SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];

/// `[rule]` keys whose value names a field or a file, recorded in [`RuleFile::meta_spans`].
const SPANNED: &[&str] = &[
    "event_category_override",
    "timestamp_field",
    "tiebreaker_field",
    "timestamp_override",
    "mapping",
];

/// Checks the keys of the whole document against the schema and the values of `severity`,
/// `risk_score`, `unknown_fields` and `mapping`; records the spans of [`SPANNED`] values.
fn validate(
    root: &toml_edit::Table,
    map: &dyn Fn(usize) -> usize,
    spans: &mut Vec<(String, String, Span)>,
) -> Vec<LoadError> {
    let mut errs = Vec::new();
    keys(root, TOP, "", map, &mut errs);
    let Some(rule) = root.get("rule").and_then(|r| r.as_table_like()) else {
        return errs;
    };
    let span_of =
        |item: &toml_edit::Item| item.span().map_or((0, 0), |r| (map(r.start), map(r.end)));
    if let Some(item) = rule.get("severity") {
        if let Some(s) = item.as_str() {
            if !SEVERITIES.contains(&s) {
                let (a, b) = span_of(item);
                let mut e = LoadError::new(
                    format!("severity `{s}`: expected `low`, `medium`, `high` or `critical`"),
                    a,
                    b,
                );
                if let Some(best) = closest(&s.to_ascii_lowercase(), SEVERITIES.iter().copied()) {
                    e = e.with_help(format!("did you mean `{best}`?"));
                }
                errs.push(e);
            }
        }
    }
    if let Some(item) = rule.get("risk_score") {
        if let Some(n) = item.as_integer() {
            if !(0..=100).contains(&n) {
                let (a, b) = span_of(item);
                errs.push(LoadError::new(
                    format!("risk_score {n} is out of range: expected 0 to 100"),
                    a,
                    b,
                ));
            }
        }
    }
    if let Some(item) = rule.get("unknown_fields") {
        if let Some(s) = item.as_str() {
            if s != "allow" && s != "error" {
                let (a, b) = span_of(item);
                errs.push(LoadError::new(
                    format!("unknown_fields `{s}`: expected `\"error\"` or `\"allow\"`"),
                    a,
                    b,
                ));
            }
        }
    }
    if let Some(item) = rule.get("mapping") {
        if let Some(s) = item.as_str() {
            let p = std::path::Path::new(s);
            if s.is_empty() || p.is_absolute() || s.starts_with('/') || s.starts_with('\\') {
                let (a, b) = span_of(item);
                errs.push(LoadError::new(
                    format!("mapping `{s}`: the path must be relative to the rule file"),
                    a,
                    b,
                ));
            }
        }
    }
    for key in SPANNED {
        if let Some(item) = rule.get(key) {
            if let Some(s) = item.as_str() {
                let (a, b) = span_of(item);
                spans.push(((*key).to_owned(), s.to_owned(), Span::new(a, b)));
            }
        }
    }
    errs
}

/// Checks the keys of one table (recursively, per `shape`).
fn keys(
    table: &dyn toml_edit::TableLike,
    allowed: &[(&str, Shape)],
    path: &str,
    map: &dyn Fn(usize) -> usize,
    errs: &mut Vec<LoadError>,
) {
    for (k, item) in table.iter() {
        let shown = if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        };
        match allowed.iter().find(|(name, _)| *name == k) {
            None => {
                let (a, b) = table
                    .get_key_value(k)
                    .and_then(|(key, _)| key.span())
                    .map_or((0, 0), |r| (map(r.start), map(r.end)));
                let place = if path.is_empty() {
                    "at the top level".to_owned()
                } else {
                    format!("in `[{path}]`")
                };
                let mut e =
                    LoadError::new(format!("unknown rule metadata key `{k}` {place}"), a, b);
                e = match closest(k, allowed.iter().map(|(n, _)| *n)) {
                    Some(best) => e.with_help(format!("did you mean `{best}`?")),
                    None => e.with_help("the accepted keys are listed in docs/rule-files.md"),
                };
                errs.push(e);
            }
            Some((_, Any)) => {}
            Some((_, T(sub))) => {
                if let Some(t) = item.as_table_like() {
                    keys(t, sub, &shown, map, errs);
                }
            }
            Some((_, Ts(sub))) => {
                if let Some(aot) = item.as_array_of_tables() {
                    for t in aot.iter() {
                        keys(t, sub, &shown, map, errs);
                    }
                } else if let Some(arr) = item.as_array() {
                    for v in arr.iter() {
                        if let Some(t) = v.as_inline_table() {
                            keys(t, sub, &shown, map, errs);
                        }
                    }
                }
            }
        }
    }
}

/// The closest of `candidates` to `word` (edit distance at most 2, or a third of the word; a
/// candidate that starts with the word, or that it starts with, counts as close).
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let bound = (word.chars().count() / 3).max(2);
    candidates
        .map(|c| {
            let d = distance(word, c);
            let prefix = word.len() >= 4 && (c.starts_with(word) || word.starts_with(c));
            (if prefix { d.min(bound) } else { d }, c)
        })
        .filter(|(d, _)| *d <= bound)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

impl RuleFile {
    /// The rule's `mapping` resolved against the rule file's own path (`rules/x.eql` with
    /// `mapping = "m.json"` → `rules/m.json`), or `None` when the rule names none.
    pub fn mapping_path(&self, rule_path: &str) -> Option<String> {
        let m = self.meta.mapping.as_deref()?;
        let dir = rule_path
            .rfind(['/', '\\'])
            .map_or("", |i| &rule_path[..=i]);
        Some(format!("{dir}{m}"))
    }

    /// The field types of the rule's own `mapping`, read from disk relative to the rule file
    /// at `rule_path` ([`RuleFile::mapping_path`]); `Ok(None)` when the rule names none. The
    /// error points at the `mapping` value. (The macros read it through the compiler's source
    /// loader instead, so that cargo tracks the file.)
    pub fn read_own_mapping(&self, rule_path: &str) -> Result<Option<FieldTypes>, Diagnostic> {
        let Some(mpath) = self.mapping_path(rule_path) else {
            return Ok(None);
        };
        let at = self
            .meta_spans
            .iter()
            .find(|(k, _, _)| k == "mapping")
            .map_or(Span::new(0, 0), |(_, _, s)| *s);
        let text = std::fs::read_to_string(&mpath)
            .map_err(|e| Diagnostic::error(format!("mapping: cannot read `{mpath}`: {e}"), at))?;
        FieldTypes::from_mapping(&text)
            .map(Some)
            .map_err(|e| Diagnostic::error(format!("mapping `{mpath}`: {e}"), at))
    }

    /// The span in the file of the `[rule]` key `key`'s value, when the file sets it to `value`.
    fn meta_span(&self, key: &str, value: &str) -> Option<Span> {
        self.meta_spans
            .iter()
            .find(|(k, v, _)| k == key && v == value)
            .map(|(_, _, s)| *s)
    }

    /// The unknown-field check (module documentation): every field `query` (this file's
    /// query, parsed) reads, and every field the metadata names, must be a field in force —
    /// `types`' fields when it was read from an index mapping (the invocation's, or the rule's
    /// own `mapping`, whichever the caller resolved), otherwise ECS and Elastic Defend. Nothing
    /// is checked under `unknown_fields = "allow"`. Spans are the file's (the query's shifted
    /// by [`RuleFile::query_offset`]).
    pub fn check_fields(&self, query: &Query, types: Option<&FieldTypes>) -> Vec<Diagnostic> {
        if self.meta.unknown_fields == UnknownFields::Allow {
            return Vec::new();
        }
        let (known, origin) = match types {
            Some(t) => (t.known_fields(), t.known_fields_origin()),
            None => (
                crate::fields::KnownFields::defaults(),
                crate::mapping::DEFAULT_ORIGIN,
            ),
        };
        let by = u32::try_from(self.query_offset).unwrap_or(u32::MAX);
        let mut out: Vec<Diagnostic> = known
            .check_query(query, origin)
            .into_iter()
            .map(|d| d.offset(by))
            .collect();
        let m = &self.meta;
        let named_category = match &query.body {
            QueryBody::Event(e) => matches!(e.category.kind, CategoryKind::Named(_)),
            QueryBody::Sequence(s) => s
                .stages
                .iter()
                .chain(&s.until)
                .any(|st| matches!(st.query.category.kind, CategoryKind::Named(_))),
            QueryBody::Sample(s) => s
                .stages
                .iter()
                .any(|st| matches!(st.query.category.kind, CategoryKind::Named(_))),
        };
        // A `sample` is unordered: Elasticsearch reads no timestamp for it.
        let mut meta_fields: Vec<(&str, &str)> = Vec::new();
        if !matches!(query.body, QueryBody::Sample(_)) {
            meta_fields.push(("timestamp_field", &m.timestamp_field));
        }
        if named_category {
            meta_fields.push(("event_category_override", &m.event_category_field));
        }
        if let Some(t) = &m.tiebreaker_field {
            meta_fields.push(("tiebreaker_field", t));
        }
        if let Some(t) = &m.timestamp_override {
            meta_fields.push(("timestamp_override", t));
        }
        for (key, name) in meta_fields {
            let what = match known.lookup(name) {
                Lookup::Field => continue,
                Lookup::Object => "is an object, not a field",
                Lookup::Unknown => "is not a field",
            };
            let (span, whence) = match self.meta_span(key, name) {
                Some(s) => (s, String::new()),
                None => (
                    Span::new(0, 0),
                    format!(" (the default or the search's `{key}`)"),
                ),
            };
            let mut d = Diagnostic::error(format!("`{key}` `{name}`{whence} {what}"), span)
                .with_note(format!("fields in force: {origin}"));
            if let Some(s) = known.suggest(name) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            out.push(d);
        }
        out.sort_by_key(|d| (d.span.start, d.span.end));
        out
    }
}

/// The metadata comment at the top of an `.eql` file.
struct CommentBlock {
    /// The TOML text (comment markers removed; `//` lines joined with newlines).
    toml: String,
    /// For each TOML line, where it starts in the file.
    line_starts: Vec<(usize, usize)>,
    /// Where the comment starts.
    start: usize,
    /// One past the comment (and the newline after it).
    end: usize,
}

impl CommentBlock {
    /// Maps a byte offset in `toml` to one in the file.
    fn file_offset(&self, at: usize) -> usize {
        let mut best = (0, self.start);
        for &(toml_at, file_at) in &self.line_starts {
            if toml_at <= at {
                best = (toml_at, file_at);
            }
        }
        best.1 + (at - best.0)
    }
}

fn leading_comment(text: &str) -> Option<CommentBlock> {
    let start = text.len() - text.trim_start().len();
    let rest = &text[start..];
    if let Some(body) = rest.strip_prefix("/*") {
        let close = body.find("*/")?;
        let inner_start = start + 2;
        let toml = body[..close].to_owned();
        let mut line_starts = Vec::new();
        let mut toml_at = 0;
        for line in toml.split_inclusive('\n') {
            line_starts.push((toml_at, inner_start + toml_at));
            toml_at += line.len();
        }
        let mut end = inner_start + close + 2;
        if text[end..].starts_with("\r\n") {
            end += 2;
        } else if text[end..].starts_with('\n') {
            end += 1;
        }
        return Some(CommentBlock {
            toml,
            line_starts,
            start,
            end,
        });
    }
    if !rest.starts_with("//") {
        return None;
    }
    let mut toml = String::new();
    let mut line_starts = Vec::new();
    let mut at = start;
    for line in text[start..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        let Some(body) = trimmed.strip_prefix("//") else {
            break;
        };
        let body_start = at + (line.len() - trimmed.len()) + 2;
        let (body, skip) = match body.strip_prefix(' ') {
            Some(b) => (b, 1),
            None => (body, 0),
        };
        line_starts.push((toml.len(), body_start + skip));
        toml.push_str(body);
        if !body.ends_with('\n') {
            toml.push('\n');
        }
        at += line.len();
    }
    Some(CommentBlock {
        toml,
        line_starts,
        start,
        end: at,
    })
}

/// One line: TOML messages continue on further lines (`expected …`), which a renderer that
/// repeats the message's lines would show twice.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

fn toml_error(e: &toml::de::Error, map: impl Fn(usize) -> usize, len: usize) -> LoadError {
    let (start, end) = e
        .span()
        .map_or((0, 0), |r| (map(r.start).min(len), map(r.end).min(len)));
    LoadError::new(
        format!("invalid rule metadata: {}", one_line(e.message())),
        start,
        end.max(start),
    )
}

fn toml_edit_error(e: &toml_edit::TomlError, map: impl Fn(usize) -> usize) -> LoadError {
    let (start, end) = e.span().map_or((0, 0), |r| (map(r.start), map(r.end)));
    LoadError::new(
        format!("invalid rule metadata: {}", one_line(e.message())),
        start,
        end.max(start),
    )
}

fn metadata(stem: &str, raw: RawRule) -> RuleMetadata {
    RuleMetadata {
        name: raw.name.unwrap_or_else(|| stem.to_owned()),
        rule_id: raw.rule_id.unwrap_or_default(),
        description: raw.description.unwrap_or_default(),
        severity: raw.severity.unwrap_or_else(|| "low".to_owned()),
        risk_score: raw.risk_score.unwrap_or(21),
        version: raw.version.unwrap_or(1),
        tags: raw.tags,
        index: raw.index,
        interval: raw.interval.unwrap_or_else(|| "5m".to_owned()),
        from: raw.from.unwrap_or_else(|| "now-6m".to_owned()),
        max_signals: raw.max_signals.unwrap_or(100),
        author: raw.author,
        license: raw.license.unwrap_or_default(),
        references: raw.references,
        threat: raw.threat,
        event_category_field: raw
            .event_category_override
            .unwrap_or_else(|| "event.category".to_owned()),
        timestamp_field: raw
            .timestamp_field
            .unwrap_or_else(|| "@timestamp".to_owned()),
        timestamp_override: raw.timestamp_override,
        tiebreaker_field: raw.tiebreaker_field,
        unknown_fields: match raw.unknown_fields.as_deref() {
            Some("allow") => UnknownFields::Allow,
            _ => UnknownFields::Error,
        },
        mapping: raw.mapping,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(path: &str, text: &str) -> Vec<LoadError> {
        load(path, text).expect_err("an error")
    }

    fn at<'a>(text: &'a str, e: &LoadError) -> &'a str {
        &text[e.span.start as usize..e.span.end as usize]
    }

    #[test]
    fn unknown_keys_have_a_did_you_mean_and_a_place() {
        let text = "/*\n[rule]\nname = \"x\"\nriskscore = 99\n\n[[rule.threat]]\nframwork = \"MITRE ATT&CK\"\n[rule.threat.tactic]\nid = \"TA0006\"\nnmae = \"Credential Access\"\n\n[metdata]\nmaturity = \"production\"\n*/\nany where true";
        let e = errs("x.eql", text);
        let msgs: Vec<(&str, &str, Option<&str>)> = e
            .iter()
            .map(|e| (e.message.as_str(), at(text, e), e.help.as_deref()))
            .collect();
        assert_eq!(
            msgs,
            [
                (
                    "unknown rule metadata key `riskscore` in `[rule]`",
                    "riskscore",
                    Some("did you mean `risk_score`?")
                ),
                (
                    "unknown rule metadata key `framwork` in `[rule.threat]`",
                    "framwork",
                    Some("did you mean `framework`?")
                ),
                (
                    "unknown rule metadata key `nmae` in `[rule.threat.tactic]`",
                    "nmae",
                    Some("did you mean `name`?")
                ),
                (
                    "unknown rule metadata key `metdata` at the top level",
                    "metdata",
                    Some("did you mean `metadata`?")
                ),
            ]
        );
    }

    #[test]
    fn detection_rules_keys_are_accepted() {
        let text = "[metadata]\ncreation_date = \"2024/01/01\"\nintegration = [\"endpoint\"]\nmaturity = \"production\"\nupdated_date = \"2024/01/01\"\n\n[rule]\nauthor = [\"Elastic\"]\ndescription = \"d\"\nfalse_positives = [\"x\"]\nlanguage = \"eql\"\nlicense = \"Elastic License v2\"\nname = \"n\"\nnote = \"n\"\nsetup = \"s\"\nrisk_score = 0\nrule_id = \"id\"\nseverity = \"critical\"\ntype = \"eql\"\ntimestamp_override = \"event.ingested\"\nquery = '''\nany where true\n'''\n\n[[rule.related_integrations]]\npackage = \"endpoint\"\nversion = \"^8.2.0\"\n\n[rule.investigation_fields]\nfield_names = [\"host.name\"]\n\n[rule.alert_suppression]\ngroup_by = [\"host.name\"]\nmissing_fields_strategy = \"suppress\"\n[rule.alert_suppression.duration]\nunit = \"m\"\nvalue = 5\n\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[[rule.threat.technique]]\nid = \"T1552\"\nname = \"Unsecured Credentials\"\nreference = \"https://attack.mitre.org/techniques/T1552/\"\n[[rule.threat.technique.subtechnique]]\nid = \"T1552.005\"\nname = \"Cloud Instance Metadata API\"\nreference = \"https://attack.mitre.org/techniques/T1552/005/\"\n[rule.threat.tactic]\nid = \"TA0006\"\nname = \"Credential Access\"\nreference = \"https://attack.mitre.org/tactics/TA0006/\"\n\n[transform]\n[[transform.osquery]]\nlabel = \"x\"\n";
        let f = load("x.toml", text).expect("loads");
        assert_eq!(f.meta.severity, "critical");
        assert_eq!(f.meta.risk_score, 0);
        assert_eq!(f.meta.threat[0].techniques[0].subtechniques.len(), 1);
    }

    #[test]
    fn severity_and_risk_score_are_checked() {
        let text = "/*\n[rule]\nseverity = \"hgih\"\nrisk_score = 101\n*/\nany where true";
        let e = errs("x.eql", text);
        assert_eq!(e.len(), 2);
        assert_eq!(at(text, &e[0]), "\"hgih\"");
        assert_eq!(e[0].help.as_deref(), Some("did you mean `high`?"));
        assert_eq!(at(text, &e[1]), "101");
        assert!(e[1].message.contains("0 to 100"));
        let neg = errs(
            "x.toml",
            "[rule]\nrisk_score = -1\nquery = \"any where true\"\n",
        );
        assert!(neg[0].message.contains("out of range"), "{neg:?}");
        let up = errs("x.eql", "// [rule]\n// severity = \"High\"\nany where true");
        assert_eq!(up[0].help.as_deref(), Some("did you mean `high`?"));
        for s in SEVERITIES {
            let ok = format!("// [rule]\n// severity = \"{s}\"\nany where true");
            assert!(load("x.eql", &ok).is_ok(), "{s}");
        }
    }

    #[test]
    fn metadata_without_a_rule_table() {
        let text = "/*\nname = \"x\"\nseverity = \"high\"\n*/\nany where true";
        let e = errs("x.eql", text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].message, "rule metadata without a `[rule]` table");
        assert_eq!(at(text, &e[0]), "/*");
        assert!(e[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("`name`, `severity`"));
        let meta_only = errs(
            "x.eql",
            "// [metadata]\n// maturity = \"production\"\nany where true",
        );
        assert_eq!(
            meta_only[0].message,
            "rule metadata without a `[rule]` table"
        );
        let toml = errs("x.toml", "name = \"x\"\nquery = \"any where true\"\n");
        assert_eq!(toml.len(), 1, "{toml:?}");
        // Prose and commented-out queries stay comments; so does an empty block.
        for prose in [
            "// Detects curl.\n// Author: me\nany where true",
            "/* process where process.name == \"x\" */\nany where true",
            "/* */\nany where true",
            "/*\n * JSDoc style\n */\nany where true",
        ] {
            let f = load("x.eql", prose).expect("a comment");
            assert_eq!(f.query, prose);
            assert_eq!(f.meta.name, "x");
        }
    }

    #[test]
    fn toml_errors_are_one_line_and_located() {
        let text = "/*\n[rule\nname = \"x\"\n*/\nany where true";
        let e = errs("x.eql", text);
        assert_eq!(e.len(), 1);
        assert!(!e[0].message.contains('\n'), "{:?}", e[0]);
        assert!(e[0].message.starts_with("invalid rule metadata: "));
        assert_eq!(e[0].span.start, 8, "after `[rule` on line 2");
        let t = errs("x.toml", "[rule]\nname = \"x\nquery = \"\"\n");
        assert!(!t[0].message.contains('\n'));
        assert!(t[0].span.start >= 7);
    }

    #[test]
    fn opt_out_and_own_mapping() {
        let f = load(
            "rules/win/x.eql",
            "// [rule]\n// unknown_fields = \"allow\"\n// mapping = \"../m.json\"\nany where true",
        )
        .expect("loads");
        assert_eq!(f.meta.unknown_fields, UnknownFields::Allow);
        assert_eq!(
            f.mapping_path("rules/win/x.eql").as_deref(),
            Some("rules/win/../m.json")
        );
        assert_eq!(f.mapping_path("x.eql").as_deref(), Some("../m.json"));
        let bad = errs(
            "x.eql",
            "// [rule]\n// unknown_fields = \"yes\"\nany where true",
        );
        assert!(bad[0].message.contains("`\"allow\"`"));
        let abs = errs(
            "x.eql",
            "// [rule]\n// mapping = \"/etc/m.json\"\nany where true",
        );
        assert!(abs[0].message.contains("relative to the rule file"));
        let q = load("x.eql", "any where true").expect("loads");
        assert_eq!(q.meta.unknown_fields, UnknownFields::Error);
        assert_eq!(q.meta.mapping, None);
    }

    #[test]
    fn check_fields_covers_query_and_metadata() {
        let text = "/*\n[rule]\ntiebreaker_field = \"event.sequnce\"\ntimestamp_override = \"event.ingested\"\n*/\nprocess where process.nmae == \"x\"";
        let f = load("x.eql", text).expect("loads");
        let q = crate::parse(&f.query).expect("parses");
        let ds = f.check_fields(&q, None);
        assert_eq!(ds.len(), 2, "{ds:?}");
        let span = |d: &Diagnostic| &text[d.span.start as usize..d.span.end as usize];
        assert_eq!(span(&ds[0]), "\"event.sequnce\"");
        assert_eq!(
            ds[0].help.as_deref(),
            Some("did you mean `event.sequence`?")
        );
        assert_eq!(span(&ds[1]), "process.nmae");
        // With a mapping, its fields are those in force: `@timestamp` and the category field
        // must be in it, and ECS fields are no longer known.
        let types = FieldTypes::from_mapping(
            r#"{"properties":{"ts":{"type":"date"},"event":{"properties":{"category":{"type":"keyword"}}},"process":{"properties":{"nmae":{"type":"keyword"}}}}}"#,
        )
        .expect("mapping");
        let g = load("x.eql", "process where process.nmae == \"x\"").expect("loads");
        let q = crate::parse(&g.query).expect("parses");
        let ds = g.check_fields(&q, Some(&types));
        assert_eq!(ds.len(), 1, "{ds:?}");
        assert!(
            ds[0].message.starts_with("`timestamp_field` `@timestamp`"),
            "{ds:?}"
        );
        // `any where` reads no category field; opting out silences everything.
        let h = load(
            "x.eql",
            "// [rule]\n// timestamp_field = \"ts\"\nany where process.nmae == \"x\"",
        )
        .expect("loads");
        let q = crate::parse(&h.query).expect("parses");
        assert!(h.check_fields(&q, Some(&types)).is_empty());
        let o = load(
            "x.eql",
            "// [rule]\n// unknown_fields = \"allow\"\nany where a.b == 1",
        )
        .expect("loads");
        let q = crate::parse(&o.query).expect("parses");
        assert!(o.check_fields(&q, None).is_empty());
    }
}
