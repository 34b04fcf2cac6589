//! The rules compiled into this binary, and the `rules` and `explain` subcommands.

use std::fmt::Write as _;
use std::path::PathBuf;

use eql_runtime::rule::{Rule, RuleMeta, Shape};

/// Rule files run without a rebuild (`--rule-file`, `--rule-dir` and their options), shared by
/// file runs and Kafka members.
#[derive(clap::Args, Clone, Debug, Default)]
#[group(id = "rule_source", multiple = true)]
pub struct RuleFiles {
    /// Also run this rule (`.eql` or Elastic detection-rules `.toml`), loaded at run time: no
    /// rebuild needed. Repeatable.
    #[arg(long, value_name = "PATH", group = "rule_source")]
    pub rule_file: Vec<PathBuf>,
    /// Also run every rule file under this directory (recursively: `.eql` files, and
    /// detection-rules `.toml` files whose language is EQL), loaded at run time. A stream or
    /// Kafka member watches it and reloads what changes. Repeatable.
    #[arg(long, value_name = "DIR", group = "rule_source")]
    pub rule_dir: Vec<PathBuf>,
    /// An Elasticsearch index mapping (`{"properties": …}`, as `GET index/_mapping` returns it)
    /// for the rules loaded at run time: field types (`ip`, numbers, `date`, …) decide
    /// comparisons, and `alias` fields read their target. Default: Elastic Defend's ECS types.
    #[arg(long, value_name = "FILE", requires = "rule_source")]
    mapping: Option<PathBuf>,
    /// A numeric field that orders events of equal timestamp, for the rules loaded at run time
    /// (as Elasticsearch's `tiebreaker_field`; overrides the rule file's `tiebreaker_field`).
    #[arg(long, value_name = "FIELD", requires = "rule_source")]
    tiebreaker_field: Option<String>,
    /// The field events are ordered by, for the rules loaded at run time (Elasticsearch's
    /// `timestamp_field`; overrides the rule file's `timestamp_field`).
    #[arg(long, value_name = "FIELD", requires = "rule_source")]
    timestamp_field: Option<String>,
    /// The field `process where …` tests, for the rules loaded at run time (Elasticsearch's
    /// `event_category_field`; overrides the rule file's `event_category_override`).
    #[arg(long, value_name = "FIELD", requires = "rule_source")]
    event_category_field: Option<String>,
    /// Run only the rules given with --rule-file and --rule-dir, not the ones compiled into the
    /// binary.
    #[arg(long, requires = "rule_source")]
    pub no_builtin_rules: bool,
}

impl RuleFiles {
    /// Whether any rule is loaded at run time.
    pub fn any(&self) -> bool {
        !self.rule_file.is_empty() || !self.rule_dir.is_empty()
    }

    /// Loads every `--rule-file` and every rule file under each `--rule-dir` onto the engine
    /// compiled rules run on (lowered to the IR, then evaluated), with the field types of
    /// `--mapping` and the `--timestamp-field`, `--event-category-field` and
    /// `--tiebreaker-field` when given. They form one rule set: each line is decoded once for
    /// all of them. Errors are rendered diagnostics, every failing file's.
    pub fn load(&self) -> Result<Vec<eql_eval::LoadedRule>, String> {
        let opts = eql_eval::Options {
            timestamp: self.timestamp_field.clone(),
            event_category: self.event_category_field.clone(),
            tiebreaker: self.tiebreaker_field.clone(),
            types: self.mapping.as_deref().map(mapping).transpose()?,
        };
        let mut loaded = Vec::new();
        let mut errors = Vec::new();
        for path in &self.rule_file {
            let shown = path.display().to_string();
            match std::fs::read_to_string(path) {
                Ok(text) => match eql_eval::load(&shown, &text, &opts) {
                    Ok(rule) => loaded.push(rule),
                    Err(e) => errors.push(e),
                },
                Err(e) => errors.push(format!("eql-detect: {shown}: {e}")),
            }
        }
        for dir in &self.rule_dir {
            match eql_eval::load_dir(dir, &opts) {
                Ok(rules) => loaded.extend(rules),
                Err(es) => errors.extend(es),
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        Ok(eql_eval::loaded_set(loaded))
    }
}

/// The rules a run uses: the compiled rules `--select` picks (none with `--no-builtin-rules`)
/// and the `--rule-file` and `--rule-dir` rules, loaded once (again at each reload). Every call gives fresh instances, so each detector
/// (a Kafka member has one per partition) owns its rules.
pub struct RuleSet {
    select: Vec<Select>,
    builtin: bool,
    files: Vec<eql_eval::LoadedRule>,
}

impl RuleSet {
    /// Loads the rule files; errors are rendered diagnostics.
    pub fn load(select: &[Select], files: &RuleFiles) -> Result<RuleSet, String> {
        Ok(RuleSet {
            select: select.to_vec(),
            builtin: !files.no_builtin_rules,
            files: files.load()?,
        })
    }

    /// Every rule of the set.
    pub fn all(&self) -> Vec<Box<dyn Rule>> {
        let mut all: Vec<Box<dyn Rule>> = if self.builtin {
            selected(&self.select)
        } else {
            Vec::new()
        };
        all.extend(
            self.files
                .iter()
                .map(|r| Box::new(r.clone()) as Box<dyn Rule>),
        );
        all
    }

    /// How many rules were loaded at run time.
    pub fn loaded(&self) -> usize {
        self.files.len()
    }

    /// The rules a stream can run: those that answer before the input ends.
    pub fn stream(&self) -> Vec<Box<dyn Rule>> {
        self.all()
            .into_iter()
            .filter(|r| !r.needs_whole_input())
            .collect()
    }
}

/// Reads `--mapping`.
pub fn mapping(path: &std::path::Path) -> Result<eql_syntax::mapping::FieldTypes, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("eql-detect: {shown}: {e}"))?;
    eql_syntax::mapping::FieldTypes::from_mapping(&text)
        .map_err(|e| format!("eql-detect: {shown}: {e}"))
}

eql_runtime::eql_rules!(mod bundled = "rules");

/// Every compiled rule, in a fixed order (the order of the summary's per-rule lines): the
/// rule files under `rules/`, compiled into one rule set.
pub fn compiled() -> Vec<Box<dyn Rule>> {
    bundled::rules()
}

/// One `--select` filter: alternatives separated by commas, any of which a rule must meet.
#[derive(Clone, Debug)]
pub struct Select(Vec<(Key, String)>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Os,
    Tag,
    Index,
    Name,
    Id,
    Severity,
    File,
}

/// Parses `--select`: `os:linux`, `tag:TEXT`, `index:GLOB`, `name:GLOB`, `id:RULE_ID`,
/// `severity:LEVEL`, `file:GLOB` (the rule file, e.g. `rules/elastic/linux/*`), or several of them separated by commas (any may hold).
pub fn parse_select(s: &str) -> Result<Select, String> {
    let mut alts = Vec::new();
    for part in s.split(',') {
        let (key, value) = part.split_once(':').ok_or_else(|| {
            format!("`{part}`: expected KEY:VALUE (os, tag, index, name, id, severity, file)")
        })?;
        let key = match key.trim().to_ascii_lowercase().as_str() {
            "os" => Key::Os,
            "tag" => Key::Tag,
            "index" => Key::Index,
            "name" => Key::Name,
            "id" => Key::Id,
            "severity" => Key::Severity,
            "file" => Key::File,
            other => {
                return Err(format!(
                    "`{other}`: unknown key (os, tag, index, name, id, severity, file)"
                ))
            }
        };
        alts.push((key, value.trim().to_owned()));
    }
    Ok(Select(alts))
}

impl Select {
    /// Whether the rule meets one of the alternatives. Text compares case-insensitively;
    /// `index`, `name` and `file` take `*` wildcards.
    pub fn matches(&self, m: &RuleMeta) -> bool {
        let glob = |p: &str, s: &str| eql_runtime::matcher::like(p, s, true);
        self.0.iter().any(|(key, v)| match key {
            Key::Os => m
                .tags
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&format!("OS: {v}"))),
            Key::Tag => m.tags.iter().any(|t| t.eq_ignore_ascii_case(v)),
            Key::Index => m.index.iter().any(|i| glob(v, i)),
            Key::Name => glob(v, m.name),
            Key::Id => m.rule_id.eq_ignore_ascii_case(v),
            Key::Severity => m.severity.eq_ignore_ascii_case(v),
            Key::File => glob(v, m.source),
        })
    }
}

/// The compiled rules every filter selects.
pub fn selected(filters: &[Select]) -> Vec<Box<dyn Rule>> {
    compiled()
        .into_iter()
        .filter(|r| filters.iter().all(|f| f.matches(r.meta())))
        .collect()
}

fn mitre_lines(meta: &RuleMeta) -> Vec<String> {
    let mut lines = Vec::new();
    for t in meta.threat {
        lines.push(format!(
            "{} {} ({})",
            t.tactic.id, t.tactic.name, t.framework
        ));
        for tech in t.techniques {
            lines.push(format!("  {} {}", tech.technique.id, tech.technique.name));
            for sub in tech.subtechniques {
                lines.push(format!("    {} {}", sub.id, sub.name));
            }
        }
    }
    lines
}

/// What a rule is, in a word: `event`, `sequence` or `sample`.
fn shape_word(rule: &dyn Rule) -> &'static str {
    match rule.shape() {
        Shape::Event => "event",
        Shape::Sequence(spec) if spec.sample => "sample",
        Shape::Sequence(_) => "sequence",
    }
}

/// `eql-detect rules`: one line per rule (severity, shape, name, file), or with `long` one
/// block per rule with all of its metadata.
pub fn list(rules: &[Box<dyn Rule>], long: bool) -> String {
    let mut s = String::new();
    if !long {
        let width = rules
            .iter()
            .map(|r| r.meta().name.chars().count())
            .max()
            .unwrap_or(0)
            .min(80);
        for rule in rules {
            let m = rule.meta();
            let _ = writeln!(
                s,
                "{:<8}  {:<8}  {:<width$}  {}",
                m.severity,
                shape_word(rule.as_ref()),
                m.name,
                m.source
            );
        }
        return s;
    }
    for rule in rules {
        let m = rule.meta();
        let _ = writeln!(s, "{}", m.name);
        let mut category = m.event_category_field.to_owned();
        if let Some(t) = m.timestamp_override {
            let _ = write!(category, " (time range: {t})");
        }
        let rows: [(&str, String); 11] = [
            ("rule_id", m.rule_id.to_owned()),
            ("version", m.version.to_string()),
            ("shape", shape_word(rule.as_ref()).to_owned()),
            ("severity", m.severity.to_owned()),
            ("risk_score", m.risk_score.to_string()),
            ("index", m.index.join(", ")),
            (
                "fields",
                format!("category {category}, timestamp {}", m.timestamp_field),
            ),
            ("interval", format!("{} (from {})", m.interval, m.from)),
            ("max_signals", m.max_signals.to_string()),
            ("tags", m.tags.join(", ")),
            ("source", m.source.to_owned()),
        ];
        for (k, v) in rows {
            let _ = writeln!(s, "  {k:<12} {v}");
        }
        let mut mitre = mitre_lines(m).into_iter();
        if let Some(first) = mitre.next() {
            let _ = writeln!(s, "  {:<12} {first}", "mitre");
            for line in mitre {
                let _ = writeln!(s, "  {:<12} {line}", "");
            }
        }
        s.push('\n');
    }
    s
}

/// The file stem of a rule's source: `imds` for `rules/imds.eql`.
fn stem(source: &str) -> &str {
    let file = source.rsplit('/').next().unwrap_or(source);
    file.rsplit_once('.').map_or(file, |(stem, _)| stem)
}

/// Finds a rule by exact name, then by exact rule id, then by file stem, else by a
/// case-insensitive part of name or id. A query that fits several rules at the first of these
/// steps that fits any is an error listing them (Elastic reuses rule ids, so even an id can).
fn find<'r>(query: &str, rules: &'r [Box<dyn Rule>]) -> Result<&'r dyn Rule, String> {
    let q = query.trim().to_lowercase();
    let steps: [&dyn Fn(&RuleMeta) -> bool; 4] = [
        &|m| m.name.eq_ignore_ascii_case(&q),
        &|m| m.rule_id.eq_ignore_ascii_case(&q),
        &|m| stem(m.source).eq_ignore_ascii_case(&q),
        &|m| {
            !q.is_empty()
                && (m.name.to_lowercase().contains(&q) || m.rule_id.to_lowercase().contains(&q))
        },
    ];
    for step in steps {
        let hits: Vec<&dyn Rule> = rules
            .iter()
            .map(|r| r.as_ref())
            .filter(|r| step(r.meta()))
            .collect();
        match hits.as_slice() {
            [] => continue,
            [one] => return Ok(*one),
            many => {
                let mut msg = format!(
                    "`{query}` matches {} rules; name one by its exact name or file stem:",
                    many.len()
                );
                for r in many {
                    let _ = write!(msg, "\n  {}  ({})", r.meta().name, r.meta().source);
                }
                return Err(msg);
            }
        }
    }
    Err(format!(
        "no rule matches `{query}`; `eql-detect rules` lists them"
    ))
}

/// `eql-detect explain [RULE]`: the query as written, as it parses, and how it is evaluated.
/// Without a name, the one rule given with `--rule-file`.
pub fn explain(
    query: Option<&str>,
    rules: &[Box<dyn Rule>],
    loaded: usize,
) -> Result<String, String> {
    let rule = match query {
        Some(q) => find(q, rules)?,
        None if loaded == 1 => rules.last().ok_or("no rule to explain")?.as_ref(),
        None => {
            return Err(
                "name the rule to explain (or load exactly one rule with --rule-file); `eql-detect rules` lists them"
                    .to_owned(),
            )
        }
    };
    let m = rule.meta();
    let mut s = String::new();
    let _ = writeln!(s, "{} ({})\n", m.name, m.rule_id);
    let _ = writeln!(s, "Query as written:\n{}\n", indent(m.query.trim()));
    let _ = writeln!(
        s,
        "Query as Elasticsearch parses it (fully parenthesised):\n{}\n",
        indent(m.canonical.trim())
    );
    let _ = writeln!(
        s,
        "Plan (fields read, matchers):\n{}",
        indent(m.plan.trim())
    );
    Ok(s)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
