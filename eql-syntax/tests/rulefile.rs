//! Rule files: the IMDS history in Elastic's TOML format, and the `.eql` form in `rules/`.

use eql_syntax::rulefile::{load, RuleFile};

const HISTORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/imds-rule-history");
const V2: &str = "credential_access_unusual_instance_metadata_service_api_request.v2.d0225c37.toml";

fn repo_file(rel: &str) -> String {
    let path = format!("{}/../{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn load_ok(path: &str, text: &str) -> RuleFile {
    match load(path, text) {
        Ok(f) => f,
        Err(e) => panic!("{path}: {e:?}"),
    }
}

#[test]
fn every_imds_version_loads() {
    let mut n = 0;
    let dir = std::fs::read_dir(HISTORY).expect("corpus directory");
    for entry in dir {
        let path = entry.expect("dir entry").path();
        let text = std::fs::read_to_string(&path).expect("rule file");
        let name = path.to_string_lossy().into_owned();
        let f = load_ok(&name, &text);
        assert!(f.query.contains("169.254.169.254"), "{name}");
        // The offset points at the query text inside the file.
        assert_eq!(
            &text[f.query_offset..f.query_offset + f.query.len()],
            f.query
        );
        assert!(!f.meta.name.is_empty());
        assert_eq!(f.meta.interval, "5m", "Kibana default");
        assert_eq!(f.meta.max_signals, 100, "Kibana default");
        n += 1;
    }
    assert_eq!(n, 6);
}

#[test]
fn imds_eql_matches_v2_toml() {
    let eql = repo_file("rules/imds.eql");
    let toml_text = std::fs::read_to_string(format!("{HISTORY}/{V2}")).expect("v2");
    let e = load_ok("rules/imds.eql", &eql);
    let t = load_ok(V2, &toml_text);
    assert_eq!(e.query, t.query, "query must be byte-identical");
    assert_eq!(&eql[e.query_offset..], e.query);
    assert!(e
        .query
        .starts_with("sequence by host.id,  process.parent.entity_id"));

    let m = &e.meta;
    assert_eq!(
        m.name,
        "Unusual Instance Metadata Service (IMDS) API Request"
    );
    assert_eq!(m.rule_id, "ecc0cd54-608e-11ef-ab6d-f661ea17fbce");
    assert_eq!(m.severity, "medium");
    assert_eq!(m.risk_score, 47);
    assert_eq!(m.version, 2);
    assert_eq!(m.index, ["logs-endpoint.events.*"]);
    assert_eq!(m.interval, "5m");
    assert_eq!(m.from, "now-9m");
    assert_eq!(m.max_signals, 100);
    assert_eq!(m.author, ["Elastic"]);
    assert_eq!(m.license, "Elastic License v2");
    assert_eq!(m.tags.len(), 6);
    assert_eq!(m.event_category_field, "event.category");
    assert_eq!(m.timestamp_field, "@timestamp");
    // Everything the TOML says, the .eql says too (the TOML has no version: default 1).
    assert_eq!(m.description, t.meta.description);
    assert_eq!(m.threat, t.meta.threat);
    assert_eq!(m.tags, t.meta.tags);
    assert_eq!(m.references, t.meta.references);

    let ids: Vec<_> = m.threat.iter().map(|t| t.tactic.id.as_str()).collect();
    assert_eq!(ids, ["TA0006", "TA0007"]);
    assert_eq!(m.threat[0].framework, "MITRE ATT&CK");
    assert_eq!(m.threat[0].techniques[0].technique.id, "T1552");
    assert_eq!(m.threat[0].techniques[0].subtechniques[0].id, "T1552.005");
    assert_eq!(m.threat[1].techniques[0].technique.id, "T1580");
    assert!(m.threat[1].techniques[0].subtechniques.is_empty());
}

#[test]
fn eql_defaults_without_metadata() {
    let f = load_ok("rules/curl.eql", "// just a note\nprocess where true");
    assert_eq!(f.query_offset, 0);
    assert_eq!(f.query, "// just a note\nprocess where true");
    assert_eq!(f.meta.name, "curl");
    assert_eq!(f.meta.severity, "low");
    assert_eq!(f.meta.risk_score, 21);
    assert_eq!(f.meta.from, "now-6m");
    assert!(f.meta.threat.is_empty());
}

#[test]
fn eql_line_comment_metadata() {
    let text =
        "// [rule]\n// name = \"x\"\n// event_category_override = \"event.type\"\nany where true\n";
    let f = load_ok("a/b.eql", text);
    assert_eq!(f.meta.name, "x");
    assert_eq!(f.meta.event_category_field, "event.type");
    assert_eq!(f.query, "any where true\n");
    assert_eq!(&text[f.query_offset..], f.query);
}

#[test]
fn errors_point_into_the_file() {
    let text = "/*\n[rule]\nrisk_score = \"high\"\n*/\nany where true";
    let err = load("x.eql", text).expect_err("bad risk_score");
    assert_eq!(err.len(), 1);
    let at = err[0].span.start as usize;
    assert!(text[at..].starts_with("\"high\""), "{:?}", err[0]);

    assert!(load("x.txt", "any where true").is_err());
    assert!(
        load("x.toml", "[rule]\nname = \"n\"\n").is_err(),
        "no query"
    );
    assert!(load("x.toml", "[rule]\nlanguage = \"kuery\"\nquery = \"a:b\"\n").is_err());
    assert!(load("x.eql", "/*\n[rule]\nquery = \"any where true\"\n*/\n").is_err());
    // Unterminated comment: not metadata, and no panic.
    assert!(load("x.eql", "/* [rule]").is_ok());
}
