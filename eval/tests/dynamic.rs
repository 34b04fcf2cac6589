//! Fields that neither an index mapping nor ECS and Elastic Defend know are typed per value, as
//! Elasticsearch's dynamic mapping types them: a JSON number compares as a number, a string as
//! text. The independent interpreter must give the same answers.

use eql_runtime::detector::{Config, Detector};

fn matches(query: &str, lines: &[String]) -> Vec<String> {
    let text = format!("/*\n[rule]\nname = \"q\"\nunknown_fields = \"allow\"\n*/\n{query}\n");
    let rule = eql_eval::load("q.eql", &text, &eql_eval::Options::default()).expect("loads");
    let mut det = Detector::new(eql_eval::set(vec![rule]), Config::default()).expect("runs");
    let mut out = Vec::new();
    for l in lines {
        det.push_line(l.as_bytes(), &mut |a| out.push(a.events[0].raw.to_string()));
    }
    det.finish(&mut |a| out.push(a.events[0].raw.to_string()));
    let reference = eql_interp::Interpreted::from_file("q.eql", &text).expect("interpreter");
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let want: Vec<String> = eql_interp::run_stream(&reference, &refs)
        .expect("runs")
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(out, want, "the interpreter agrees on `{query}`");
    out
}

fn event(i: u32, id: &str) -> String {
    format!(
        "{{\"@timestamp\":\"2024-10-18T12:00:{:02}Z\",\"event\":{{\"category\":\"process\"}},\"serial_event_id\":{id}}}",
        i % 60
    )
}

#[test]
fn numbers_compare_as_numbers() {
    let lines: Vec<String> = (1..40).map(|i| event(i, &i.to_string())).collect();
    let got = matches("process where serial_event_id < 4", &lines);
    assert_eq!(got, lines[..3].to_vec());
}

#[test]
fn strings_compare_as_text() {
    // A field of strings is a keyword field under dynamic mapping: "10" sorts before "4".
    let lines: Vec<String> = [("1", 1), ("10", 2), ("5", 3)]
        .iter()
        .map(|(id, i)| event(*i, &format!("\"{id}\"")))
        .collect();
    let got = matches("process where serial_event_id < 4", &lines);
    assert_eq!(got, lines[..2].to_vec());
}

#[test]
fn booleans_compare_as_booleans_and_in_lists_per_value() {
    let lines = vec![event(1, "true"), event(2, "7"), event(3, "\"7\"")];
    assert_eq!(
        matches("process where serial_event_id == true", &lines),
        lines[..1].to_vec()
    );
    // `7` and `"7"` both equal the constant 7: the number as a number, the string as text.
    assert_eq!(
        matches("process where serial_event_id in (7, 8)", &lines),
        lines[1..].to_vec()
    );
}
