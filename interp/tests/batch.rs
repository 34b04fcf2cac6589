//! `run_batch`: missing-event windows, samples, typed fields from a mapping, on small
//! hand-made batches (the Elasticsearch specs in `conformance.rs` cover the same ground on
//! their datasets).

use eql_interp::{run_batch, FieldTypes, Interpreted, StreamOptions};
use serde_json::{json, Value};

fn ids(query: &str, types: Option<&FieldTypes>, docs: &[Value], opts: &StreamOptions) -> Vec<i64> {
    let mut rule = Interpreted::from_query(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    if let Some(t) = types {
        rule = rule.with_field_types(t.clone());
    }
    let lines: Vec<String> = docs.iter().map(Value::to_string).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    run_batch(&rule, &lines, opts)
        .expect("batch runs")
        .iter()
        .flat_map(|m| m.events.iter())
        .map(|e| match e {
            None => -1,
            Some(raw) => serde_json::from_str::<Value>(raw).unwrap()["id"]
                .as_i64()
                .unwrap(),
        })
        .collect()
}

fn ev(id: i64, ms: i64, cat: &str, tag: &str) -> Value {
    json!({"id": id, "@timestamp": ms, "event": {"category": cat}, "tag": tag})
}

#[test]
fn a_sequence_of_missing_stages_only_is_an_error() {
    let q = "sequence with maxspan=1s ![a where true] ![b where true]";
    assert!(Interpreted::from_query(q).is_err(), "accepted {q}");
}

#[test]
fn middle_missing_event_is_strictly_between_neighbours() {
    let q = "sequence with maxspan=1s [a where tag == \"n\"] ![a where tag == \"m\"] [a where tag == \"n\"]";
    let opts = StreamOptions::default();
    let docs = [
        ev(1, 1, "a", "n"),
        ev(2, 2, "a", "m"),
        ev(3, 3, "a", "n"),
        ev(4, 4, "a", "n"),
    ];
    assert_eq!(ids(q, None, &docs, &opts), [3, -1, 4]);
    // At the same millisecond as a neighbour, it is not between.
    let docs = [ev(1, 1, "a", "n"), ev(2, 1, "a", "m"), ev(3, 3, "a", "n")];
    assert_eq!(ids(q, None, &docs, &opts), [1, -1, 3]);
}

#[test]
fn leading_and_trailing_missing_events_use_the_maxspan_window() {
    let opts = StreamOptions::default();
    // Leading only: a missing event within maxspan before the sequence discards it.
    let lead = "sequence with maxspan=10ms ![a where tag == \"m\"] [a where tag == \"n\"]";
    let docs = [ev(1, 0, "a", "m"), ev(2, 5, "a", "n"), ev(3, 20, "a", "n")];
    assert_eq!(ids(lead, None, &docs, &opts), [-1, 3]);
    // Trailing only: within maxspan after the first event.
    let trail = "sequence with maxspan=10ms [a where tag == \"n\"] ![a where tag == \"m\"]";
    let docs = [ev(1, 0, "a", "n"), ev(2, 5, "a", "m"), ev(3, 20, "a", "n")];
    assert_eq!(ids(trail, None, &docs, &opts), [3, -1]);
    // Both: only a leading *and* a trailing event within maxspan of each other discard it.
    let both = "sequence with maxspan=10ms ![a where tag == \"m\"] [a where tag == \"n\"] ![a where tag == \"m\"]";
    let docs = [ev(1, 0, "a", "m"), ev(2, 5, "a", "n"), ev(3, 30, "a", "n")];
    assert_eq!(ids(both, None, &docs, &opts), [-1, 2, -1, -1, 3, -1]);
    let docs = [
        ev(1, 0, "a", "m"),
        ev(2, 5, "a", "n"),
        ev(3, 9, "a", "m"),
        ev(4, 30, "a", "n"),
    ];
    assert_eq!(ids(both, None, &docs, &opts), [-1, 4, -1]);
}

#[test]
fn missing_events_join_on_their_stage_keys() {
    let q = "sequence with maxspan=1s [a where tag == \"n\"] by k ![a where tag == \"m\"] by k [a where tag == \"n\"] by k";
    let d = |id, ms, tag: &str, k: &str| json!({"id": id, "@timestamp": ms, "event": {"category": "a"}, "tag": tag, "k": k});
    let docs = [d(1, 1, "n", "x"), d(2, 2, "m", "y"), d(3, 3, "n", "x")];
    assert_eq!(ids(q, None, &docs, &StreamOptions::default()), [1, -1, 3]);
    let docs = [d(1, 1, "n", "x"), d(2, 2, "m", "x"), d(3, 3, "n", "x")];
    assert!(ids(q, None, &docs, &StreamOptions::default()).is_empty());
}

#[test]
fn samples_pick_distinct_events_per_key_in_key_order() {
    let d = |id: i64, cat: &str, h: Option<&str>| {
        let mut v = json!({"id": id, "event": {"category": cat}});
        if let Some(h) = h {
            v["h"] = json!(h);
        }
        v
    };
    // No timestamps: a sample does not order by time.
    let docs = [
        d(1, "a", Some("z")),
        d(2, "a", Some("b")),
        d(3, "a", None),
        d(4, "b", None),
        d(5, "b", Some("b")),
        d(6, "a", Some("b")),
        d(7, "b", Some("z")),
    ];
    let opts = StreamOptions::default();
    // Null first, then ascending; one sample per key by default.
    assert_eq!(
        ids(
            "sample by ?h [a where true] [b where true]",
            None,
            &docs,
            &opts
        ),
        [3, 4, 2, 5, 1, 7]
    );
    // A non-optional key drops events without it.
    assert_eq!(
        ids(
            "sample by h [a where true] [b where true]",
            None,
            &docs,
            &opts
        ),
        [2, 5, 1, 7]
    );
    // One event cannot fill two stages of a sample.
    assert_eq!(
        ids(
            "sample by h [any where id == 5] [any where true]",
            None,
            &docs,
            &opts
        ),
        [5, 2]
    );
    let two = StreamOptions {
        max_samples_per_key: Some(2),
        ..StreamOptions::default()
    };
    assert_eq!(
        ids(
            "sample by h [a where true] [b where true]",
            None,
            &docs,
            &two
        ),
        [2, 5, 6, 5, 1, 7]
    );
    let size = StreamOptions {
        size: Some(1),
        ..StreamOptions::default()
    };
    assert_eq!(
        ids(
            "sample by h [a where true] [b where true]",
            None,
            &docs,
            &size
        ),
        [2, 5]
    );
}

#[test]
fn numeric_sample_keys_sort_as_numbers() {
    let types =
        FieldTypes::from_mapping(r#"{"properties":{"n":{"type":"long"}}}"#).expect("mapping");
    let d = |id: i64, cat: &str, n: i64| json!({"id": id, "event": {"category": cat}, "n": n});
    let docs = [d(1, "a", 10), d(2, "b", 10), d(3, "a", 9), d(4, "b", 9)];
    assert_eq!(
        ids(
            "sample by n [a where true] [b where true]",
            Some(&types),
            &docs,
            &StreamOptions::default()
        ),
        [3, 4, 1, 2]
    );
}

#[test]
fn mapping_types_version_null_value_and_date_formats() {
    let types = FieldTypes::from_mapping(
        r#"{"properties":{"v":{"type":"version"},"k":{"type":"keyword","null_value":"NULL"},
            "d":{"type":"date","format":"dd-MM-yyyy"}}}"#,
    )
    .expect("mapping");
    let docs = [
        json!({"id": 1, "@timestamp": 1, "event": {"category": "a"}, "v": "1.11.3", "k": null, "d": "17-12-2022"}),
        json!({"id": 2, "@timestamp": 2, "event": {"category": "a"}, "v": "1.5.0", "d": "18-12-2022"}),
        json!({"id": 3, "@timestamp": 3, "event": {"category": "a"}, "v": "bad", "k": [null, "x"]}),
    ];
    let opts = StreamOptions::default();
    let run = |q: &str| ids(q, Some(&types), &docs, &opts);
    assert_eq!(run("a where v > \"1.5.0\""), [1, 3]);
    assert_eq!(run("a where v < \"1.6\""), [2]);
    assert_eq!(run("a where k == \"NULL\""), [1, 3]);
    assert_eq!(run("a where ?k == null"), [2]);
    assert_eq!(run("a where d > \"17-12-2022\""), [2]);
}

#[test]
fn date_join_keys_render_per_query_kind() {
    let types = FieldTypes::from_mapping(r#"{"properties":{"d":{"type":"date"}}}"#).unwrap();
    let docs = [
        json!({"id": 1, "@timestamp": 1, "event": {"category": "a"}, "d": "1970-01-02T00:00:00Z"}),
        json!({"id": 2, "@timestamp": 2, "event": {"category": "b"}, "d": 86_400_000}),
    ];
    let lines: Vec<String> = docs.iter().map(Value::to_string).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let keys = |q: &str| {
        let rule = Interpreted::from_query(q)
            .unwrap()
            .with_field_types(types.clone());
        run_batch(&rule, &lines, &StreamOptions::default())
            .unwrap()
            .into_iter()
            .flat_map(|m| m.keys)
            .collect::<Vec<_>>()
    };
    // The two spellings of one instant join.
    assert_eq!(
        keys("sequence by d [a where true] [b where true]"),
        [Some("1970-01-02T00:00:00.000Z".to_string())]
    );
    assert_eq!(
        keys("sample by d [a where true] [b where true]"),
        [Some("86400000".to_string())]
    );
}
