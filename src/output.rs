//! Writing alerts: NDJSON shaped like Kibana's EQL sequence alerts, or a table for people.

use std::fmt::Write as _;
use std::io::{self, Write};

use eql_runtime::detector::Alert;
use eql_runtime::rule::{MitreRef, RuleMeta, Threat};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::time::rfc3339_nanos;

/// How alerts are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per alert (the default when stdout is not a terminal).
    Ndjson,
    /// An aligned, readable block per alert (the default on a terminal).
    Table,
}

/// One alert as JSON.
///
/// Field names are Kibana's (`kibana.alert.*`, flattened, as the alerts index stores them) where
/// Kibana has one. A sequence in Kibana becomes a *shell* alert plus one building-block alert per
/// event, all sharing `kibana.alert.group.id`; this is the shell, with the events embedded under
/// `events` instead of as separate building blocks, so one line is one detection.
#[derive(Serialize)]
struct AlertJson<'a> {
    /// When the sequence completed: the last event's time. Kibana stamps the detection time
    /// here; event time keeps the output reproducible.
    #[serde(rename = "@timestamp")]
    timestamp: String,
    #[serde(rename = "event.kind")]
    event_kind: &'static str,
    /// The detection's id ([`alert_id`]): index alerts with it as `_id` and a replayed
    /// duplicate (a consumer that resumed from its last commit) overwrites itself.
    #[serde(rename = "kibana.alert.uuid")]
    uuid: String,
    /// The first event's time (Kibana: the source event's `@timestamp`).
    #[serde(rename = "kibana.alert.original_time")]
    original_time: String,
    #[serde(rename = "kibana.alert.rule.name")]
    name: &'a str,
    #[serde(rename = "kibana.alert.rule.rule_id")]
    rule_id: &'a str,
    #[serde(rename = "kibana.alert.rule.type")]
    rule_type: &'static str,
    #[serde(rename = "kibana.alert.rule.version")]
    version: String,
    #[serde(rename = "kibana.alert.rule.description")]
    description: &'a str,
    #[serde(rename = "kibana.alert.rule.tags")]
    tags: &'a [&'a str],
    #[serde(rename = "kibana.alert.rule.threat")]
    threat: Vec<serde_json::Value>,
    #[serde(rename = "kibana.alert.rule.references")]
    references: &'a [&'a str],
    #[serde(rename = "kibana.alert.severity")]
    severity: &'a str,
    #[serde(rename = "kibana.alert.risk_score")]
    risk_score: u32,
    #[serde(rename = "kibana.alert.status")]
    status: &'static str,
    #[serde(rename = "kibana.alert.workflow_status")]
    workflow_status: &'static str,
    /// Ties the shell to its building blocks in Kibana; here a stable hash of the rule and the
    /// documents, so the same detection gets the same id on every run.
    #[serde(rename = "kibana.alert.group.id")]
    group_id: String,
    /// The sequence's join keys: field name to value (`null` for a null `?field`).
    #[serde(rename = "eql.join_keys")]
    join_keys: serde_json::Map<String, serde_json::Value>,
    /// The join key values in key order, as Elasticsearch's `join_keys` lists them (a field
    /// used twice, by the sequence and by a stage, appears twice).
    #[serde(rename = "eql.join_key_values")]
    join_key_values: Vec<serde_json::Value>,
    /// ECS `tags`: `["sample"]` on alerts raised on the bundled sample, so that they cannot be
    /// taken for detections on real data; absent otherwise.
    #[serde(rename = "tags", skip_serializing_if = "Option::is_none")]
    sample_tags: Option<&'static [&'static str]>,
    /// The original documents, in sequence order, byte for byte.
    events: Vec<Box<RawValue>>,
}

/// Where the events of an alert came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The user's input.
    Input,
    /// The bundled sample: synthetic events, and the alert says so in every format.
    Sample,
}

/// The ECS `tags` of an alert raised on the bundled sample.
pub const SAMPLE_TAGS: &[&str] = &["sample"];

/// Kibana's threat array, as `kibana.alert.rule.threat` carries it.
pub fn threat_json(threat: &[Threat]) -> Vec<serde_json::Value> {
    fn mref(r: &MitreRef) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("id".into(), r.id.into());
        m.insert("name".into(), r.name.into());
        m.insert("reference".into(), r.reference.into());
        m
    }
    threat
        .iter()
        .map(|t| {
            let techniques: Vec<serde_json::Value> = t
                .techniques
                .iter()
                .map(|tech| {
                    let mut m = mref(&tech.technique);
                    if !tech.subtechniques.is_empty() {
                        let subs: Vec<serde_json::Value> = tech
                            .subtechniques
                            .iter()
                            .map(|s| serde_json::Value::Object(mref(s)))
                            .collect();
                        m.insert("subtechnique".into(), subs.into());
                    }
                    serde_json::Value::Object(m)
                })
                .collect();
            let mut m = serde_json::Map::new();
            m.insert("framework".into(), t.framework.into());
            m.insert("tactic".into(), serde_json::Value::Object(mref(&t.tactic)));
            if !techniques.is_empty() {
                m.insert("technique".into(), techniques.into());
            }
            serde_json::Value::Object(m)
        })
        .collect()
}

/// 64-bit FNV-1a: tiny and stable across versions and platforms (unlike `DefaultHasher`).
fn fnv1a(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h ^= u64::from(b);
        *h = h.wrapping_mul(0x0100_0000_01b3);
    }
}

/// A document without framing: a byte-order mark or CR/LF around it is not JSON.
fn unframed(raw: &str) -> &str {
    raw.trim_start_matches('\u{feff}')
        .trim_matches(|c: char| c.is_ascii_whitespace())
}

/// The alert's id: SHA-256 over the rule id and the documents (without framing, each
/// length-prefixed), in hex. The same detection gets the same id on every run, and from every
/// consumer that replays the events, so a duplicate is recognisable and indexing by this `_id`
/// is idempotent. Cryptographic, because the documents are attacker-influenced: a forged
/// collision would let one alert overwrite another.
pub fn alert_id(alert: &Alert) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(alert.rule.rule_id.as_bytes());
    for e in &alert.events {
        field(unframed(&e.raw).as_bytes());
    }
    h.finalize()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Embeds a document verbatim. The detector only hands over documents it parsed, so this does
/// not fail in practice; if it ever did, the text is kept as a JSON string rather than lost.
fn raw_value(raw: &str) -> Box<RawValue> {
    let text = unframed(raw);
    RawValue::from_string(text.to_owned())
        .or_else(|_| RawValue::from_string(serde_json::Value::String(raw.to_owned()).to_string()))
        .unwrap_or_else(|_| RawValue::NULL.to_owned())
}

/// Writes one alert as a JSON line.
pub fn write_ndjson<W: Write>(out: &mut W, alert: &Alert, origin: Origin) -> io::Result<()> {
    let meta: &RuleMeta = alert.rule;
    let first = alert.events.first().map_or(0, |e| e.timestamp_nanos);
    let last = alert.events.last().map_or(0, |e| e.timestamp_nanos);
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    fnv1a(&mut h, meta.rule_id.as_bytes());
    for e in &alert.events {
        fnv1a(&mut h, &[0]);
        fnv1a(&mut h, e.raw.as_bytes());
    }
    let key_value = |value: &Option<String>| {
        value
            .as_ref()
            .map_or(serde_json::Value::Null, |s| s.as_str().into())
    };
    let join_keys = alert
        .keys
        .iter()
        .map(|(field, value)| ((*field).to_owned(), key_value(value)))
        .collect();
    let join_key_values = alert.keys.iter().map(|(_, v)| key_value(v)).collect();
    let doc = AlertJson {
        timestamp: rfc3339_nanos(last),
        event_kind: "signal",
        uuid: alert_id(alert),
        original_time: rfc3339_nanos(first),
        name: meta.name,
        rule_id: meta.rule_id,
        rule_type: "eql",
        version: meta.version.to_string(),
        description: meta.description.trim(),
        tags: meta.tags,
        threat: threat_json(meta.threat),
        references: meta.references,
        severity: meta.severity,
        risk_score: meta.risk_score,
        status: "active",
        workflow_status: "open",
        group_id: format!("{h:016x}"),
        join_keys,
        join_key_values,
        sample_tags: (origin == Origin::Sample).then_some(SAMPLE_TAGS),
        events: alert.events.iter().map(|e| raw_value(&e.raw)).collect(),
    };
    serde_json::to_writer(&mut *out, &doc).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Makes untrusted text safe for a terminal: control characters (escape sequences included)
/// become `\u{..}`-style escapes, and very long values are cut.
pub fn printable(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars + 8));
    for (n, c) in s.chars().enumerate() {
        if n >= max_chars {
            out.push('…');
            break;
        }
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

fn field<'v>(doc: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    // Documents may nest (`{"process":{"name":…}}`) or flatten (`{"process.name":…}`); try the
    // flat key first, then walk.
    if let Some(v) = doc.get(path) {
        return Some(v);
    }
    let mut cur = doc;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn text(doc: &serde_json::Value, path: &str) -> String {
    match field(doc, path) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(","),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// Writes one alert as an aligned block:
///
/// ```text
/// 2024-06-10T06:15:23.138901200Z  medium  Unusual Instance Metadata Service (IMDS) API Request
///   host.id                   ec2a0b4f…
///   process.parent.entity_id  ZWMy…
///   [1] 06:15:23.123456700  process  curl      curl -s http://169.254.169.254/…
///   [2] 06:15:23.138901200  network  curl      -> 169.254.169.254:80 connection_attempted
/// ```
pub fn write_table<W: Write>(out: &mut W, alert: &Alert, origin: Origin) -> io::Result<()> {
    let meta = alert.rule;
    let last = alert.events.last().map_or(0, |e| e.timestamp_nanos);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}  {:<8}  {}{}",
        rfc3339_nanos(last),
        meta.severity,
        printable(meta.name, 200),
        if origin == Origin::Sample {
            "  [sample data]"
        } else {
            ""
        }
    );
    let width = alert.keys.iter().map(|(f, _)| f.len()).max().unwrap_or(0);
    for (f, v) in &alert.keys {
        let v = v
            .as_deref()
            .map_or_else(|| "null".to_owned(), |v| printable(v, 120));
        let _ = writeln!(s, "  {f:<width$}  {v}");
    }
    if let Some(host) = alert
        .events
        .first()
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.raw).ok())
        .map(|d| text(&d, "host.name"))
        .filter(|h| !h.is_empty())
    {
        let _ = writeln!(s, "  {:<width$}  {}", "host.name", printable(&host, 120));
    }
    for (i, e) in alert.events.iter().enumerate() {
        let doc: serde_json::Value = serde_json::from_str(&e.raw).unwrap_or_default();
        let ts = rfc3339_nanos(e.timestamp_nanos);
        // The time of day is enough inside one alert: maxspan keeps events close.
        let tod = ts.get(11..29).unwrap_or(&ts);
        let category = text(&doc, "event.category");
        let name = text(&doc, "process.name");
        let detail = match field(&doc, "destination.ip") {
            Some(_) => {
                let port = text(&doc, "destination.port");
                let port = if port.is_empty() {
                    String::new()
                } else {
                    format!(":{port}")
                };
                format!(
                    "-> {}{} {}",
                    text(&doc, "destination.ip"),
                    port,
                    text(&doc, "event.action")
                )
            }
            None => {
                let cmd = text(&doc, "process.command_line");
                if cmd.is_empty() {
                    text(&doc, "process.executable")
                } else {
                    cmd
                }
            }
        };
        let _ = writeln!(
            s,
            "  [{}] {}  {:<8} {:<16} {}",
            i + 1,
            tod,
            printable(&category, 8),
            printable(&name, 16),
            printable(&detail, 160)
        );
    }
    s.push('\n');
    out.write_all(s.as_bytes())
}

/// Writes one alert in the chosen format.
pub fn write_alert<W: Write>(
    out: &mut W,
    format: Format,
    alert: &Alert,
    origin: Origin,
) -> io::Result<()> {
    match format {
        Format::Ndjson => write_ndjson(out, alert, origin),
        Format::Table => write_table(out, alert, origin),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use eql_runtime::detector::AlertEvent;
    use eql_runtime::rule::Technique;

    use super::*;

    static META: RuleMeta = RuleMeta {
        name: "Test \u{1b}[2J rule",
        rule_id: "0000-test",
        description: "  A rule for tests.\n",
        severity: "low",
        risk_score: 21,
        version: 3,
        tags: &["A", "B"],
        index: &["logs-*"],
        event_category_field: "event.category",
        timestamp_field: "@timestamp",
        timestamp_override: None,
        interval: "5m",
        from: "now-6m",
        max_signals: 100,
        author: &["Elastic"],
        license: "Elastic License v2",
        references: &[],
        threat: &[Threat {
            framework: "MITRE ATT&CK",
            tactic: MitreRef {
                id: "TA0007",
                name: "Discovery",
                reference: "https://attack.mitre.org/tactics/TA0007/",
            },
            techniques: &[Technique {
                technique: MitreRef {
                    id: "T1580",
                    name: "Cloud Infrastructure Discovery",
                    reference: "https://attack.mitre.org/techniques/T1580/",
                },
                subtechniques: &[],
            }],
        }],
        query: "any where true",
        source: "test.eql",
        canonical: "any where true",
        plan: "",
    };

    fn alert(raws: &[&str]) -> Alert {
        Alert {
            rule: &META,
            keys: vec![("host.id", Some("h1".into())), ("user.name", None)],
            events: raws
                .iter()
                .enumerate()
                .map(|(i, r)| AlertEvent {
                    timestamp_nanos: 1_000_000_000 * (i as i64 + 1),
                    raw: Arc::from(*r),
                    stage: i,
                })
                .collect(),
        }
    }

    #[test]
    fn ndjson_embeds_documents_verbatim_and_nulls_missing_keys() {
        let raws = [r#"{"b": 1,  "a":[1.50, "x"]}"#, "{\"z\":\"\\u00e9\"}\r\n"];
        let mut out = Vec::new();
        write_ndjson(&mut out, &alert(&raws), Origin::Input).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("}\n") && text.matches('\n').count() == 1);
        // Key order, spacing, number spelling and escapes survive; surrounding whitespace does not.
        assert!(
            text.contains(r#""events":[{"b": 1,  "a":[1.50, "x"]},{"z":"\u00e9"}]"#),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["eql.join_keys"],
            serde_json::json!({"host.id": "h1", "user.name": null})
        );
        assert_eq!(v["@timestamp"], "1970-01-01T00:00:02.000000000Z");
        assert_eq!(
            v["kibana.alert.original_time"],
            "1970-01-01T00:00:01.000000000Z"
        );
        assert_eq!(v["kibana.alert.rule.version"], "3");
        assert_eq!(v["kibana.alert.rule.description"], "A rule for tests.");
        assert_eq!(
            v["kibana.alert.rule.threat"][0]["technique"][0]["id"],
            "T1580"
        );
        // No subtechniques: the key is left out, as Kibana does.
        assert!(v["kibana.alert.rule.threat"][0]["technique"][0]
            .get("subtechnique")
            .is_none());
    }

    #[test]
    fn framing_is_trimmed_and_non_json_is_kept_as_a_string() {
        assert_eq!(raw_value("\u{feff}{\"a\":1}\r").get(), "{\"a\":1}");
        assert_eq!(raw_value("not json").get(), "\"not json\"");
    }

    #[test]
    fn group_id_depends_on_the_documents() {
        let id = |raws: &[&str]| {
            let mut out = Vec::new();
            write_ndjson(&mut out, &alert(raws), Origin::Input).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            v["kibana.alert.group.id"].as_str().unwrap().to_owned()
        };
        assert_eq!(id(&["{}", "{\"a\":1}"]), id(&["{}", "{\"a\":1}"]));
        assert_ne!(id(&["{}", "{\"a\":1}"]), id(&["{\"a\":1}", "{}"]));
    }

    #[test]
    fn table_escapes_untrusted_text() {
        let mut out = Vec::new();
        write_table(
            &mut out,
            &alert(&["{\"process\":{\"name\":\"a\\u001bb\"}}", "not json"]),
            Origin::Input,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.contains("a\\u{1b}b"), "{text}");
        assert!(text.contains("\n  user.name  null\n"), "{text}");
    }

    #[test]
    fn sample_alerts_are_labelled_in_every_format() {
        let raws = ["{}"];
        for format in [Format::Ndjson, Format::Table] {
            let mut input = Vec::new();
            write_alert(&mut input, format, &alert(&raws), Origin::Input).unwrap();
            let mut sample = Vec::new();
            write_alert(&mut sample, format, &alert(&raws), Origin::Sample).unwrap();
            let (input, sample) = (
                String::from_utf8(input).unwrap(),
                String::from_utf8(sample).unwrap(),
            );
            assert!(!input.contains("sample"), "{input}");
            assert!(sample.contains("sample"), "{sample}");
        }
        let mut out = Vec::new();
        write_ndjson(&mut out, &alert(&raws), Origin::Sample).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["tags"], serde_json::json!(["sample"]));
    }

    #[test]
    fn printable_cuts_long_values() {
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(printable("ab\u{7}", 10), "ab\\u{7}");
    }
}
