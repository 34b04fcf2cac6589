//! Numbers and strings as Elasticsearch orders them.

use std::cmp::Ordering::{self, Equal, Greater, Less};

use eql_runtime::value::{cmp_num, cmp_str, num_eq, parse_num, Num};
use proptest::prelude::*;

#[test]
fn parses_json_numbers_and_numeric_strings() {
    assert_eq!(parse_num("0"), Some(Num::Int(0)));
    assert_eq!(parse_num("-17"), Some(Num::Int(-17)));
    assert_eq!(parse_num("+5"), Some(Num::Int(5)));
    assert_eq!(parse_num("9223372036854775807"), Some(Num::Int(i64::MAX)));
    assert_eq!(
        parse_num("9223372036854775808"),
        Some(Num::Float(9_223_372_036_854_775_808.0))
    );
    assert_eq!(parse_num("1.5"), Some(Num::Float(1.5)));
    assert_eq!(parse_num("1e3"), Some(Num::Float(1000.0)));
    assert_eq!(parse_num("1E-2"), Some(Num::Float(0.01)));
    assert_eq!(parse_num(".5"), Some(Num::Float(0.5)));
    assert_eq!(parse_num("5."), Some(Num::Float(5.0)));
    for bad in [
        "", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", " 1", "1 ", "0x10", "NaN", "inf",
        "Infinity", "1,5", "١",
    ] {
        assert_eq!(parse_num(bad), None, "{bad:?}");
    }
}

#[test]
fn mixed_comparisons() {
    let cases: &[(&str, &str, Option<Ordering>)] = &[
        ("1", "1.0", Some(Equal)),
        ("1", "0.5", Some(Greater)),
        ("-1", "-0.5", Some(Less)),
        ("0", "-0.0", Some(Equal)),
        ("9007199254740993", "9007199254740992.0", Some(Greater)),
        (
            "-9223372036854775808",
            "-9.223372036854775808e18",
            Some(Equal),
        ),
        ("9223372036854775807", "1e19", Some(Less)),
        ("2", "1e400", Some(Less)),
    ];
    for &(a, b, want) in cases {
        let (x, y) = (parse_num(a).unwrap(), parse_num(b).unwrap());
        assert_eq!(cmp_num(x, y), want, "{a} vs {b}");
        assert_eq!(cmp_num(y, x), want.map(Ordering::reverse), "{b} vs {a}");
    }
    assert_eq!(cmp_num(Num::Float(f64::NAN), Num::Float(1.0)), None);
    assert!(num_eq("1.0", Num::Int(1)) && !num_eq("x", Num::Int(1)));
}

#[test]
fn keyword_order_is_bytewise() {
    assert_eq!(cmp_str("B", "a"), Less);
    assert_eq!(cmp_str("a", "ab"), Less);
    assert_eq!(cmp_str("z", "é"), Less);
    assert_eq!(cmp_str("\u{FFFF}", "\u{10000}"), Less);
}

proptest! {
    #[test]
    fn int_float_comparison_is_exact(i in any::<i64>(), j in -(1i64 << 52)..(1i64 << 52), frac in prop::sample::select(vec![0.0, 0.25, 0.5, -0.5])) {
        // j + frac is exact in f64; compare against i128 arithmetic scaled by 4.
        let f = j as f64 + frac;
        let want = (i as i128 * 4).cmp(&(j as i128 * 4 + (frac * 4.0) as i128));
        prop_assert_eq!(cmp_num(Num::Int(i), Num::Float(f)), Some(want));
    }

    #[test]
    fn integers_round_trip(i in any::<i64>()) {
        prop_assert_eq!(parse_num(&i.to_string()), Some(Num::Int(i)));
    }
}

#[test]
fn version_order() {
    use eql_runtime::value::cmp_version;
    let ordered = [
        "0.9.9",
        "1",
        "1.2",
        "1.2.0",
        "1.2.4",
        "1.5.0-alpha",
        "1.5.0-alpha.1",
        "1.5.0-alpha.beta",
        "1.5.0-beta.2",
        "1.5.0-beta.11",
        "1.5.0-rc.1",
        "1.5.0",
        "1.5.0+build.1",
        "1.11.3",
        "1.11.3.1",
        "18446744073709551616.0",
        "01.2.3",
        "1.2.3+",
        "1.2.3-",
        "bad",
    ];
    for (i, a) in ordered.iter().enumerate() {
        for (j, b) in ordered.iter().enumerate() {
            assert_eq!(cmp_version(a, b), i.cmp(&j), "{a} vs {b}");
        }
    }
}
