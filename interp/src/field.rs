//! Field lookup over a JSON document, the way Elasticsearch indexes one.
//!
//! Nested objects and dotted keys name the same field (`{"process":{"name":"x"}}`,
//! `{"process.name":"x"}` and `{"process":{"parent.entity_id":"x"}}` all have the values their
//! joined paths suggest), arrays are multiple values (nested arrays flattened, arrays of objects
//! continue the path) and `null` is no value. The walk is deliberately plain: visit every key,
//! keep those whose joined path equals the field.

use serde_json::Value;

/// Every leaf value of `field` in `doc`: strings, numbers, booleans; never arrays or objects (an
/// object is not a value of the field that names it). An explicit `null` (also inside an array)
/// is no value, or `null_value` when the mapping gives one, as Elasticsearch indexes it.
pub fn values_or<'a>(doc: &'a Value, field: &str, null_value: Option<&'a Value>) -> Vec<&'a Value> {
    let mut out = Vec::new();
    walk(doc, "", field, null_value, &mut out);
    out
}

/// `prefix` is the joined path of `node` so far ("" at the root).
fn walk<'a>(
    node: &'a Value,
    prefix: &str,
    field: &str,
    null: Option<&'a Value>,
    out: &mut Vec<&'a Value>,
) {
    match node {
        Value::Array(items) => {
            // An array adds no path segment: each element sits at the same path.
            for item in items {
                walk(item, prefix, field, null, out);
            }
        }
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                if path == field {
                    leaves(child, null, out);
                } else if field.len() > path.len()
                    && field.starts_with(path.as_str())
                    && field.as_bytes()[path.len()] == b'.'
                {
                    walk(child, &path, field, null, out);
                }
            }
        }
        // A scalar whose path is a strict prefix of the field has no sub-fields.
        _ => {}
    }
}

/// The scalar values at a field's own position: arrays flattened, `null` and objects skipped.
fn leaves<'a>(node: &'a Value, null: Option<&'a Value>, out: &mut Vec<&'a Value>) {
    match node {
        Value::Null => out.extend(null),
        Value::Object(_) => {}
        Value::Array(items) => items.iter().for_each(|item| leaves(item, null, out)),
        scalar => out.push(scalar),
    }
}

/// The keyword view of one scalar: a string as is, a number as its JSON text, a boolean as
/// `true`/`false`.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(doc: &Value, field: &str) -> Vec<String> {
        values_or(doc, field, None)
            .into_iter()
            .filter_map(text)
            .collect()
    }

    #[test]
    fn nested_dotted_and_mixed_paths_are_one_field() {
        assert_eq!(
            texts(&json!({"process":{"name":"x"}}), "process.name"),
            ["x"]
        );
        assert_eq!(texts(&json!({"process.name":"x"}), "process.name"), ["x"]);
        let d = json!({"process":{"parent.entity_id":"p"}});
        assert_eq!(texts(&d, "process.parent.entity_id"), ["p"]);
        let both = json!({"process.name":"a","process":{"name":"b"}});
        let mut got = texts(&both, "process.name");
        got.sort();
        assert_eq!(got, ["a", "b"]);
    }

    #[test]
    fn arrays_nulls_and_objects() {
        let d = json!({"a":{"b":[1,[2,null],"x",true]}});
        assert_eq!(texts(&d, "a.b"), ["1", "2", "x", "true"]);
        let d = json!({"a":[{"b":"1"},{"b":"2"},{"c":"3"}]});
        assert_eq!(texts(&d, "a.b"), ["1", "2"]);
        assert!(texts(&json!({"a":null}), "a").is_empty());
        assert!(texts(&json!({"a":{"b":"x"}}), "a").is_empty());
        assert!(texts(&json!({"ab":"x"}), "a.b").is_empty());
        assert!(texts(&json!({"a":"x"}), "a.b").is_empty());
        let n = json!("NULL");
        let got: Vec<_> = values_or(&json!({"a":[null,"x"]}), "a", Some(&n))
            .into_iter()
            .filter_map(text)
            .collect();
        assert_eq!(got, ["NULL", "x"]);
        assert!(values_or(&json!({}), "a", Some(&n)).is_empty());
    }
}
