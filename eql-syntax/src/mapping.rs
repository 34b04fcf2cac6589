//! Field types from an Elasticsearch index mapping: how a field was indexed decides how it compares.
//!
//! A mapped field compares by its type (an `ip` field as an address, a `long` field as a number,
//! a `keyword` as text). An unmapped field is typed per value, as dynamic mapping would have
//! done: JSON numbers as numbers, booleans as booleans, strings as keywords.

use std::collections::HashMap;

use crate::fields::KnownFields;

/// The field types that change how a field compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// `keyword`, `wildcard`, `text` with a keyword sub-field: compared as text.
    Keyword,
    /// `long`, `integer`, `short`, `byte`, `double`, `float`, …: compared as numbers.
    Number,
    /// `ip`: compared as addresses (an IPv4-mapped IPv6 address equals its IPv4 form).
    Ip,
    /// `boolean`.
    Boolean,
    /// `date`: compared as instants (RFC 3339 text or epoch milliseconds).
    Date,
    /// `version`: software versions, ordered by their numeric parts (`1.11.3 > 1.5.0`), a
    /// pre-release before its release, and text that is no valid version after every valid one.
    Version,
    /// `alias`: another field's values under this name.
    Alias(String),
}

/// A field-name → type table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldTypes {
    types: HashMap<String, FieldType>,
    /// A field the table does not list is a `keyword` when the default field set (ECS and
    /// Elastic Defend) has it, as Defend's index templates map them; any other is typed per
    /// value, as dynamic mapping types it. Otherwise every unlisted field is typed per value.
    unlisted_known_keyword: bool,
    /// `null_value`: what an explicit JSON `null` is indexed as.
    null_values: HashMap<String, serde_json::Value>,
    /// `format` of `date` fields: the Java time patterns a value is parsed with (several when
    /// tables of indices searched together were merged).
    date_formats: HashMap<String, Vec<String>>,
    /// The mapping's fields, for the unknown-field check (`None`: not read from a mapping, so
    /// [`KnownFields::defaults`] are in force).
    known: Option<KnownFields>,
}

/// [`FieldTypes::known_fields_origin`] without a mapping.
pub const DEFAULT_ORIGIN: &str = "ECS and Elastic Defend (no index mapping given)";

/// ECS fields of type `ip` that detection rules compare.
const ECS_IP: &[&str] = &[
    "client.ip",
    "client.nat.ip",
    "destination.ip",
    "destination.nat.ip",
    "dns.resolved_ip",
    "host.ip",
    "network.forwarded_ip",
    "observer.ip",
    "related.ip",
    "server.ip",
    "server.nat.ip",
    "source.ip",
    "source.nat.ip",
    "threat.indicator.ip",
];

/// ECS numeric fields that detection rules compare.
const ECS_NUMBER: &[&str] = &[
    "client.bytes",
    "client.packets",
    "client.port",
    "destination.bytes",
    "destination.packets",
    "destination.port",
    "dll.Ext.relative_file_creation_time",
    "dns.answers.ttl",
    "event.duration",
    "event.risk_score",
    "event.sequence",
    "event.severity",
    "file.size",
    "host.uptime",
    "http.request.bytes",
    "http.response.bytes",
    "http.response.status_code",
    "network.bytes",
    "network.packets",
    "problemchild.prediction_probability",
    "process.Ext.relative_file_creation_time",
    "process.args_count",
    "process.entry_leader.pid",
    "process.exit_code",
    "process.group_leader.pid",
    "process.parent.args_count",
    "process.parent.exit_code",
    "process.parent.pgid",
    "process.parent.pid",
    "process.parent.ppid",
    "process.parent.thread.id",
    "process.parent.uptime",
    "process.pgid",
    "process.pid",
    "process.ppid",
    "process.session_leader.pid",
    "process.thread.id",
    "process.uptime",
    "server.bytes",
    "server.packets",
    "server.port",
    "source.bytes",
    "source.packets",
    "source.port",
    "user.id_number",
];

/// ECS date fields.
const ECS_DATE: &[&str] = &[
    "@timestamp",
    "event.created",
    "event.ingested",
    "event.start",
    "event.end",
    "process.start",
    "process.parent.start",
    "file.created",
    "file.mtime",
];

impl FieldTypes {
    /// No mapped fields: everything typed per value.
    pub fn empty() -> FieldTypes {
        FieldTypes::default()
    }

    /// The ECS fields rules compare as addresses, numbers or dates; every other field of ECS
    /// and Elastic Defend is a keyword, as Defend's index templates map them; a field neither
    /// knows is typed per value, as dynamic mapping would type it.
    pub fn ecs() -> FieldTypes {
        let mut t = FieldTypes {
            unlisted_known_keyword: true,
            ..FieldTypes::default()
        };
        for f in ECS_IP {
            t.set(f, FieldType::Ip);
        }
        for f in ECS_NUMBER {
            t.set(f, FieldType::Number);
        }
        for f in ECS_DATE {
            t.set(f, FieldType::Date);
        }
        t
    }

    /// The fields in force for the unknown-field check ([`crate::fields`]): the mapping's
    /// fields when the table was read from one ([`FieldTypes::from_mapping`], [`FieldTypes::merge`]),
    /// otherwise ECS and Elastic Defend ([`KnownFields::defaults`]).
    pub fn known_fields(&self) -> &KnownFields {
        self.known
            .as_ref()
            .unwrap_or_else(|| KnownFields::defaults())
    }

    /// What [`FieldTypes::known_fields`] holds, in words, for diagnostics.
    pub fn known_fields_origin(&self) -> &'static str {
        if self.known.is_some() {
            "those of the index mapping"
        } else {
            DEFAULT_ORIGIN
        }
    }

    /// Sets (or replaces) one field's type.
    pub fn set(&mut self, field: &str, ty: FieldType) {
        self.types.insert(field.to_string(), ty);
    }

    /// The mapped type of `field`, if any (aliases are returned as such).
    pub fn get(&self, field: &str) -> Option<&FieldType> {
        static KEYWORD: FieldType = FieldType::Keyword;
        self.types.get(field).or_else(|| {
            let known = self.unlisted_known_keyword
                && KnownFields::defaults().lookup(field) == crate::fields::Lookup::Field;
            known.then_some(&KEYWORD)
        })
    }

    /// Whether the index has no field `field`: the table is an index mapping (not the default
    /// ECS table, under which an unlisted field may still be in the data, dynamically mapped)
    /// and does not list it. Elasticsearch makes an optional `?field` of that kind `null`.
    pub fn lacks(&self, field: &str) -> bool {
        !self.unlisted_known_keyword && self.get(self.resolve(field)).is_none()
    }

    /// The field whose values `field` has: the alias target, or the field itself.
    pub fn resolve<'a>(&'a self, field: &'a str) -> &'a str {
        match self.types.get(field) {
            Some(FieldType::Alias(target)) => target,
            _ => field,
        }
    }

    /// The `null_value` of `field`: explicit `null`s are indexed as this value.
    pub fn null_value(&self, field: &str) -> Option<&serde_json::Value> {
        self.null_values.get(field)
    }

    /// The `null_value` of `field` as the text a keyword would index (`"NULL"`, `0`, `true`).
    pub fn null_text(&self, field: &str) -> Option<String> {
        self.null_value(field).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// The custom `format`s of a `date` field (empty: the default, ISO 8601 or epoch millis).
    pub fn date_formats(&self, field: &str) -> &[String] {
        self.date_formats.get(field).map_or(&[], Vec::as_slice)
    }

    /// Adds another index's table, for indices searched together: a field keeps the type it
    /// first had, date formats and null values are pooled.
    pub fn merge(&mut self, other: &FieldTypes) {
        for (name, ty) in &other.types {
            self.types.entry(name.clone()).or_insert_with(|| ty.clone());
        }
        for (name, v) in &other.null_values {
            self.null_values
                .entry(name.clone())
                .or_insert_with(|| v.clone());
        }
        for (name, formats) in &other.date_formats {
            let mine = self.date_formats.entry(name.clone()).or_default();
            for f in formats {
                if !mine.contains(f) {
                    mine.push(f.clone());
                }
            }
        }
        self.unlisted_known_keyword |= other.unlisted_known_keyword;
        match (&mut self.known, &other.known) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (None, Some(theirs)) => self.known = Some(theirs.clone()),
            _ => {}
        }
    }

    /// Reads an Elasticsearch mapping (`{"properties": {…}}`, optionally under `"mappings"`;
    /// lines starting with `#` are dropped first, as the Elasticsearch test harness does).
    pub fn from_mapping(text: &str) -> Result<FieldTypes, String> {
        let cleaned: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let json: serde_json::Value =
            serde_json::from_str(&cleaned).map_err(|e| format!("mapping is not JSON: {e}"))?;
        let root = json.get("mappings").unwrap_or(&json);
        let props = root
            .get("properties")
            .ok_or_else(|| "mapping has no `properties`".to_string())?;
        let mut t = FieldTypes {
            known: Some(KnownFields::from_mapping(props)),
            ..FieldTypes::default()
        };
        t.add_properties(props);
        Ok(t)
    }

    fn add_properties(&mut self, props: &serde_json::Value) {
        for_each_property(props, "", &mut |path, def| {
            if def.get("properties").is_some() {
                return;
            }
            let path = path.to_owned();
            let ty = def.get("type").and_then(|t| t.as_str()).unwrap_or("object");
            let mapped = match ty {
                "ip" => FieldType::Ip,
                "long" | "integer" | "short" | "byte" | "double" | "float" | "half_float"
                | "scaled_float" | "unsigned_long" => FieldType::Number,
                "boolean" => FieldType::Boolean,
                "date" | "date_nanos" => {
                    // Only explicit patterns: the built-in names are ISO 8601 or epoch forms.
                    if let Some(f) = def.get("format").and_then(|f| f.as_str()) {
                        let custom: Vec<String> = f
                            .split("||")
                            .filter(|p| p.chars().any(|c| !c.is_ascii_lowercase() && c != '_'))
                            .map(str::to_string)
                            .collect();
                        if !custom.is_empty() {
                            self.date_formats.insert(path.clone(), custom);
                        }
                    }
                    FieldType::Date
                }
                "version" => FieldType::Version,
                "alias" => match def.get("path").and_then(|p| p.as_str()) {
                    Some(target) => FieldType::Alias(target.to_string()),
                    None => return,
                },
                // keyword, wildcard, text (its keyword sub-field is what EQL compares), and the
                // test harness's `[runtime_random_keyword_type]` placeholder.
                _ => FieldType::Keyword,
            };
            if let Some(v) = def.get("null_value").filter(|v| !v.is_null()) {
                self.null_values.insert(path.clone(), v.clone());
            }
            self.set(&path, mapped);
        });
    }
}

/// Calls `f` with the dotted path and the definition of every entry of a mapping's
/// `properties`, objects (with `properties` of their own) before the fields inside them.
pub(crate) fn for_each_property(
    props: &serde_json::Value,
    prefix: &str,
    f: &mut dyn FnMut(&str, &serde_json::Value),
) {
    let Some(map) = props.as_object() else {
        return;
    };
    for (name, def) in map {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        f(&path, def);
        if let Some(sub) = def.get("properties") {
            for_each_property(sub, &path, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_with_comments_aliases_and_objects() {
        let m = "# comment\n{\"properties\":{\"pid\":{\"type\":\"long\"},\"a\":{\"type\":\"ip\"},\
                 \"event\":{\"properties\":{\"category\":{\"type\":\"alias\",\"path\":\"event_type\"}}},\
                 \"name\":{\"type\":\"[runtime_random_keyword_type]\"}}}";
        let t = FieldTypes::from_mapping(m).unwrap();
        assert_eq!(t.get("pid"), Some(&FieldType::Number));
        assert_eq!(t.get("a"), Some(&FieldType::Ip));
        assert_eq!(t.get("name"), Some(&FieldType::Keyword));
        assert_eq!(t.resolve("event.category"), "event_type");
        assert_eq!(t.resolve("pid"), "pid");
        assert!(FieldTypes::from_mapping("{}").is_err());
    }

    #[test]
    fn version_null_value_date_format_and_merge() {
        let a = FieldTypes::from_mapping(
            r#"{"properties":{"v":{"type":"version"},"k":{"type":"keyword","null_value":"NULL"},
                "d":{"type":"date","format":"dd-MM-yyyy"},"e":{"type":"date","format":"epoch_millis"}}}"#,
        )
        .unwrap();
        assert_eq!(a.get("v"), Some(&FieldType::Version));
        assert_eq!(a.null_value("k"), Some(&serde_json::json!("NULL")));
        assert_eq!(a.null_value("v"), None);
        assert_eq!(a.date_formats("d"), ["dd-MM-yyyy"]);
        assert!(a.date_formats("e").is_empty());
        let b = FieldTypes::from_mapping(
            r#"{"properties":{"d":{"type":"date","format":"yyyy-MM-dd"},"x":{"type":"ip"}}}"#,
        )
        .unwrap();
        let mut m = a.clone();
        m.merge(&b);
        assert_eq!(m.date_formats("d"), ["dd-MM-yyyy", "yyyy-MM-dd"]);
        assert_eq!(m.get("x"), Some(&FieldType::Ip));
        assert_eq!(m.get("v"), Some(&FieldType::Version));
    }

    #[test]
    fn ecs_defaults() {
        let t = FieldTypes::ecs();
        assert_eq!(t.get("destination.ip"), Some(&FieldType::Ip));
        assert_eq!(t.get("process.pid"), Some(&FieldType::Number));
        // Elastic Defend maps every other ECS field it writes as keyword.
        assert_eq!(t.get("process.name"), Some(&FieldType::Keyword));
    }
}
