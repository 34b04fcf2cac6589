//! Precedence and associativity, exactly as Elasticsearch's EqlBase.g4.

use eql_syntax::ast::*;
use eql_syntax::{expr_to_canonical, parse, to_canonical};

fn cond(src: &str) -> Expr {
    let q = parse(src).unwrap_or_else(|d| panic!("{}", eql_syntax::render(&d, "q", src)));
    match q.body {
        QueryBody::Event(e) => e.condition,
        _ => panic!("not an event query"),
    }
}

fn canon(cond_src: &str) -> String {
    expr_to_canonical(&cond(&format!("any where {cond_src}")))
}

#[test]
fn and_binds_tighter_than_or() {
    assert_eq!(
        canon("a == 1 and b == 2 or c == 3 and d == 4"),
        "((a == 1 and b == 2) or (c == 3 and d == 4))"
    );
    let e = cond("any where a == 1 and b == 2 or c == 3 and d == 4");
    let ExprKind::Or(terms) = &e.kind else {
        panic!("expected Or, got {e:?}")
    };
    assert_eq!(terms.len(), 2);
    assert!(terms
        .iter()
        .all(|t| matches!(&t.kind, ExprKind::And(x) if x.len() == 2)));
}

#[test]
fn not_binds_tighter_than_and() {
    assert_eq!(canon("not a == 1 and b == 2"), "(not (a == 1) and b == 2)");
    assert_eq!(canon("not not a"), "not not a");
    assert_eq!(canon("not (a or b)"), "not (a or b)");
}

#[test]
fn predicates_belong_to_their_operand() {
    assert_eq!(canon("not x : \"a\""), "not (x : \"a\")");
    assert_eq!(canon("not x in (1, 2) or y"), "(not (x in (1, 2)) or y)");
    assert_eq!(canon("x not in~ (\"a\")"), "x not in~ (\"a\")");
    assert_eq!(canon("x like~ (\"a*\", \"b\")"), "x like~ (\"a*\", \"b\")");
}

#[test]
fn chains_are_flattened_and_left_to_right() {
    let e = cond("any where a and b and c or d or e");
    let ExprKind::Or(t) = &e.kind else { panic!() };
    assert_eq!(t.len(), 3);
    assert!(matches!(&t[0].kind, ExprKind::And(x) if x.len() == 3));
    // Parentheses make a group of their own.
    assert_eq!(canon("a and (b and c)"), "(a and (b and c))");
}

#[test]
fn arithmetic_precedence() {
    assert_eq!(canon("a + b * c - d == 1"), "((a + (b * c)) - d) == 1");
    assert_eq!(canon("-a * b % 3 > 1"), "((-a * b) % 3) > 1");
    assert_eq!(canon("a - -1 < +2"), "(a - -1) < 2");
    assert_eq!(canon("length(x) - 1 >= 0"), "(length(x) - 1) >= 0");
}

#[test]
fn spans_point_at_the_source() {
    let src = "process where process.name == \"curl\"";
    let e = cond(src);
    assert_eq!(e.span.text(src), "process.name == \"curl\"");
    let ExprKind::Compare { left, right, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(left.span.text(src), "process.name");
    assert_eq!(right.span.text(src), "\"curl\"");
}

#[test]
fn literals_and_fields() {
    let e = cond(
        r#"any where ?`a b`.c == "x\u{41}\n" and @timestamp > 1.5e3 and f.1x != 9223372036854775808"#,
    );
    let ExprKind::And(t) = &e.kind else { panic!() };
    let ExprKind::Compare { left, right, .. } = &t[0].kind else {
        panic!()
    };
    assert!(matches!(&left.kind, ExprKind::Field(f) if f.name == "a b.c" && f.optional));
    assert!(matches!(&right.kind, ExprKind::Literal(Literal::String(s)) if s == "xA\n"));
    let ExprKind::Compare { right, .. } = &t[1].kind else {
        panic!()
    };
    assert!(matches!(right.kind, ExprKind::Literal(Literal::Float(f)) if f == 1500.0));
    let ExprKind::Compare { right, .. } = &t[2].kind else {
        panic!()
    };
    assert!(matches!(right.kind, ExprKind::Literal(Literal::Float(_))));
    let e = cond(r#"any where x == """a\b"c""""#);
    let ExprKind::Compare { right, .. } = &e.kind else {
        panic!()
    };
    assert!(matches!(&right.kind, ExprKind::Literal(Literal::String(s)) if s == "a\\b\"c"));
}

#[test]
fn comments_are_whitespace() {
    assert_eq!(
        canon("a == 1 // line\n /* block\n */ and b == 2"),
        "(a == 1 and b == 2)"
    );
}

fn imds_v2() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/imds-rule-history/credential_access_unusual_instance_metadata_service_api_request.v2.d0225c37.toml"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the IMDS rule history is missing ({path}): {e}"));
    let doc: toml::Value = toml::from_str(&text).expect("valid TOML");
    doc["rule"]["query"]
        .as_str()
        .expect("rule.query")
        .to_string()
}

#[test]
fn imds_v2_first_stage_is_an_or_of_three() {
    let src = imds_v2();
    let q = parse(&src).unwrap_or_else(|d| panic!("{}", eql_syntax::render(&d, "imds", &src)));
    let QueryBody::Sequence(seq) = &q.body else {
        panic!("not a sequence")
    };
    assert_eq!(seq.by.len(), 2);
    assert_eq!(seq.maxspan.map(|m| m.nanos()), Some(1_000_000_000));
    assert_eq!(seq.stages.len(), 2);
    let st = &seq.stages[0].query;
    assert_eq!(st.category.kind, CategoryKind::Named("process".into()));
    let ExprKind::Or(terms) = &st.condition.kind else {
        panic!("stage 1 is not an Or: {}", expr_to_canonical(&st.condition))
    };
    assert_eq!(terms.len(), 3);
    assert!(matches!(&terms[0].kind, ExprKind::And(x) if x.len() == 4));
    assert!(matches!(
        &terms[1].kind,
        ExprKind::Match { op: MatchOp::Colon, patterns, .. } if patterns.len() == 13
    ));
    let ExprKind::And(third) = &terms[2].kind else {
        panic!("third branch")
    };
    assert_eq!(third.len(), 2);
    assert!(matches!(third[0].kind, ExprKind::Match { .. }));
    assert!(matches!(
        &third[1].kind,
        ExprKind::Not(inner) if matches!(&inner.kind, ExprKind::Or(x) if x.len() == 3)
    ));
    // The network stage is a plain conjunction.
    assert!(matches!(&seq.stages[1].query.condition.kind, ExprKind::And(x) if x.len() == 3));
    insta::assert_snapshot!("imds_v2_canonical", to_canonical(&q));
}
