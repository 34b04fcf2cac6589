//! Rule files: `.eql` with a leading TOML comment block, and Elastic detection-rules `.toml`.
//!
//! An `.eql` rule file is an EQL document. Its metadata, when it has any, is TOML inside the
//! leading comment, either one `/* … */` block or a run of `//` lines, and it must hold a `[rule]`
//! table (otherwise the comment is an ordinary comment):
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
//! A `.toml` rule file is an Elastic detection-rules file, read unchanged: `[rule] query = '''…'''`
//! plus the metadata next to it.
//!
//! Absent metadata takes these defaults (Kibana's where Kibana has one): `name` = the file stem,
//! `rule_id` = `""`, `description` = `""`, `severity` = `"low"`, `risk_score` = 21,
//! `version` = 1, `interval` = `"5m"`, `from` = `"now-6m"`, `max_signals` = 100,
//! `event_category_field` = `"event.category"` (key `event_category_override`),
//! `timestamp_field` = `"@timestamp"`, no `tiebreaker_field`, no `timestamp_override`, every
//! list empty.
//!
//! `timestamp_field`, `event_category_override` and `tiebreaker_field` are the parameters Kibana
//! passes to the EQL search (`timestamp_field`, `event_category_field`, `tiebreaker_field`).
//! `timestamp_override` (`event.ingested` in most Elastic rules) is not one of them: Kibana uses
//! it only for the time range of each scheduled search, falling back to `@timestamp` for
//! documents without it, so it never changes which events join or in what order. It is kept as
//! metadata.

use serde::Deserialize;

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
    /// What is wrong.
    pub message: String,
    /// Where, in bytes of the whole file.
    pub span: Span,
}

impl LoadError {
    fn new(message: impl Into<String>, start: usize, end: usize) -> LoadError {
        LoadError {
            message: message.into(),
            span: Span::new(start, end),
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
}

/// The whole metadata document; other top-level tables (`[metadata]`) are ignored.
#[derive(Debug, Deserialize)]
struct RawDoc {
    rule: Option<RawRule>,
}

/// Loads a rule file: `.eql` or Elastic `.toml`, chosen by the extension of `path`.
///
/// `path` is only used for the extension and the default name; nothing is read from disk.
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
    let Some(block) = leading_comment(text) else {
        return Ok(RuleFile {
            query: text.to_owned(),
            query_offset: 0,
            meta: metadata(stem, RawRule::default()),
        });
    };
    let has_rule_table = block.toml.lines().any(|l| l.trim() == "[rule]");
    if !has_rule_table {
        // An ordinary comment: part of the query, and defaults for the metadata.
        return Ok(RuleFile {
            query: text.to_owned(),
            query_offset: 0,
            meta: metadata(stem, RawRule::default()),
        });
    }
    let doc: RawDoc = toml::from_str(&block.toml)
        .map_err(|e| vec![toml_error(&e, |at| block.file_offset(at), text.len())])?;
    let raw = doc.rule.unwrap_or_default();
    if raw.query.is_some() {
        return Err(vec![LoadError::new(
            "the metadata of an `.eql` rule file must not contain `query`: the query follows the comment",
            block.start,
            block.end,
        )]);
    }
    Ok(RuleFile {
        query: text.get(block.end..).unwrap_or("").to_owned(),
        query_offset: block.end,
        meta: metadata(stem, raw),
    })
}

fn load_toml(stem: &str, text: &str) -> Result<RuleFile, Vec<LoadError>> {
    let doc: RawDoc =
        toml::from_str(text).map_err(|e| vec![toml_error(&e, |at| at, text.len())])?;
    let Some(mut raw) = doc.rule else {
        return Err(vec![LoadError::new("missing `[rule]` table", 0, 0)]);
    };
    if let Some(lang) = &raw.language {
        if lang != "eql" {
            return Err(vec![LoadError::new(
                format!("rule language is `{lang}`, not `eql`"),
                0,
                0,
            )]);
        }
    }
    let Some(query) = raw.query.take() else {
        return Err(vec![LoadError::new(
            "missing `query` in the `[rule]` table",
            0,
            0,
        )]);
    };
    let query_offset = find_query(text, &query);
    Ok(RuleFile {
        query,
        query_offset,
        meta: metadata(stem, raw),
    })
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

fn toml_error(e: &toml::de::Error, map: impl Fn(usize) -> usize, len: usize) -> LoadError {
    let (start, end) = e
        .span()
        .map_or((0, 0), |r| (map(r.start).min(len), map(r.end).min(len)));
    LoadError::new(
        format!("invalid rule metadata: {}", e.message()),
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
    }
}
