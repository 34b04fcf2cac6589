//! `parse(to_canonical(q))` gives `q` back, spans aside: for generated trees and for the corpus.

use eql_syntax::ast::*;
use eql_syntax::{parse, parse_unchecked, to_canonical, Span};
use proptest::prelude::*;

mod common;

fn roundtrip(q: &Query) -> Result<(), String> {
    let text = to_canonical(q);
    let back = parse_unchecked(&text)
        .map_err(|d| format!("{text}\n{}", eql_syntax::render(&d, "canonical", &text)))?;
    if back.without_spans() != q.without_spans() {
        return Err(format!(
            "canonical text reads back differently:\n{text}\n{:#?}\n!=\n{:#?}",
            back.without_spans(),
            q.without_spans()
        ));
    }
    // Printing is idempotent.
    if to_canonical(&back) != text {
        return Err(format!("printing is not stable for {text}"));
    }
    Ok(())
}

#[test]
fn corpus_round_trips() {
    let mut failures = Vec::new();
    for file in [
        "elastic-eql-rules.jsonl",
        "elastic-eql-rules-deprecated.jsonl",
    ] {
        for (path, src) in common::queries(file) {
            match parse(&src) {
                Ok(q) => {
                    if let Err(e) = roundtrip(&q) {
                        failures.push(format!("{path}: {e}"));
                    }
                }
                Err(_) => failures.push(format!("{path}: does not parse")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn e(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z_@][a-z0-9_]{0,6}",
        1 => Just("in".to_string()),
        1 => "[ a-z`.é-]{1,6}".prop_filter("no empty segments", |s| {
            !s.split('.').any(str::is_empty)
        }),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    (prop::collection::vec(segment(), 1..4), any::<bool>()).prop_map(|(segs, optional)| Field {
        name: segs.join("."),
        optional,
        span: Span::default(),
    })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Bool),
        (0..i64::MAX).prop_map(Literal::Int),
        (0.0..1e300f64).prop_map(Literal::Float),
        any::<String>().prop_map(Literal::String),
    ]
}

fn func_name() -> impl Strategy<Value = String> {
    "[a-z][a-zA-Z]{0,8}".prop_filter("not a keyword", |s| {
        ![
            "and", "any", "by", "false", "in", "join", "like", "maxspan", "not", "null", "of",
            "or", "regex", "sample", "sequence", "true", "until", "where", "with",
        ]
        .contains(&s.as_str())
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        literal().prop_map(|l| e(ExprKind::Literal(l))),
        field().prop_map(|f| e(ExprKind::Field(f))),
    ];
    leaf.prop_recursive(4, 48, 4, |inner| {
        let cmp = prop_oneof![
            Just(CmpOp::Eq),
            Just(CmpOp::Ne),
            Just(CmpOp::Lt),
            Just(CmpOp::Le),
            Just(CmpOp::Gt),
            Just(CmpOp::Ge)
        ];
        let mop = prop_oneof![
            Just(MatchOp::Colon),
            Just(MatchOp::Like),
            Just(MatchOp::LikeInsensitive),
            Just(MatchOp::Regex),
            Just(MatchOp::RegexInsensitive)
        ];
        let aop = prop_oneof![
            Just(ArithOp::Add),
            Just(ArithOp::Sub),
            Just(ArithOp::Mul),
            Just(ArithOp::Div),
            Just(ArithOp::Mod)
        ];
        let pats = prop::collection::vec(literal().prop_map(|l| e(ExprKind::Literal(l))), 1..4);
        prop_oneof![
            inner.clone().prop_map(|x| e(ExprKind::Not(Box::new(x)))),
            inner.clone().prop_map(|x| e(ExprKind::Neg(Box::new(x)))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|xs| e(ExprKind::And(xs))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|xs| e(ExprKind::Or(xs))),
            (cmp, inner.clone(), inner.clone()).prop_map(|(op, l, r)| e(ExprKind::Compare {
                op,
                left: Box::new(l),
                right: Box::new(r)
            })),
            (aop, inner.clone(), inner.clone()).prop_map(|(op, l, r)| e(ExprKind::Arith {
                op,
                left: Box::new(l),
                right: Box::new(r)
            })),
            (mop, inner.clone(), pats).prop_map(|(op, x, patterns)| e(ExprKind::Match {
                op,
                operand: Box::new(x),
                patterns
            })),
            (
                any::<bool>(),
                any::<bool>(),
                inner.clone(),
                prop::collection::vec(inner.clone(), 1..4)
            )
                .prop_map(|(negated, insensitive, x, list)| e(ExprKind::In {
                    negated,
                    insensitive,
                    operand: Box::new(x),
                    list
                })),
            (
                func_name(),
                any::<bool>(),
                prop::collection::vec(inner, 0..3)
            )
                .prop_map(|(name, insensitive, args)| e(ExprKind::Call {
                    func: eql_syntax::ast::Func::from_name(&name),
                    name,
                    insensitive,
                    args,
                    name_span: Span::default()
                })),
        ]
    })
}

fn event() -> impl Strategy<Value = EventQuery> {
    let cat = prop_oneof![
        Just(CategoryKind::Any),
        "[a-z][a-z_]{0,6}".prop_map(CategoryKind::Named),
        any::<String>().prop_map(CategoryKind::Named),
    ];
    (cat, expr()).prop_map(|(kind, condition)| EventQuery {
        category: Category {
            kind,
            span: Span::default(),
        },
        condition,
        span: Span::default(),
    })
}

fn stage() -> impl Strategy<Value = Stage> {
    (
        event(),
        prop::collection::vec(field(), 0..2),
        prop::option::of(1..=100u64),
        any::<bool>(),
    )
        .prop_map(|(query, by, runs, missing)| Stage {
            query,
            by,
            runs: runs.map(|count| Runs {
                count,
                span: Span::default(),
            }),
            missing,
            span: Span::default(),
        })
}

fn query() -> impl Strategy<Value = Query> {
    let unit = prop_oneof![
        Just(TimeUnit::Millis),
        Just(TimeUnit::Seconds),
        Just(TimeUnit::Minutes),
        Just(TimeUnit::Hours),
        Just(TimeUnit::Days)
    ];
    let maxspan = prop::option::of((1..10_000u64, unit)).prop_map(|m| {
        m.map(|(value, unit)| TimeSpan {
            value,
            unit,
            span: Span::default(),
        })
    });
    let body = prop_oneof![
        event().prop_map(QueryBody::Event),
        (
            prop::collection::vec(field(), 0..3),
            maxspan,
            prop::collection::vec(stage(), 1..4),
            prop::option::of(stage())
        )
            .prop_map(
                |(by, maxspan, stages, until)| QueryBody::Sequence(Sequence {
                    by,
                    maxspan,
                    stages,
                    until,
                    span: Span::default()
                })
            ),
        (
            prop::collection::vec(field(), 0..3),
            prop::collection::vec(stage(), 1..3)
        )
            .prop_map(|(by, stages)| QueryBody::Sample(Sample {
                by,
                stages,
                span: Span::default()
            })),
    ];
    let pipe = (any::<bool>(), 0..1000u64).prop_map(|(head, count)| Pipe {
        kind: if head { PipeKind::Head } else { PipeKind::Tail },
        count,
        span: Span::default(),
    });
    (body, prop::collection::vec(pipe, 0..3)).prop_map(|(body, pipes)| Query {
        body,
        pipes,
        span: Span::default(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn generated_trees_round_trip(q in query()) {
        if let Err(msg) = roundtrip(&q) {
            prop_assert!(false, "{}", msg);
        }
    }
}
