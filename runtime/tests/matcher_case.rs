//! The ASCII fast path is exact: under Elasticsearch's case rule, an ASCII pattern character
//! matches exactly the data characters that `eq_ignore_ascii_case` accepts.

use eql_runtime::matcher::{alt_case, char_matches_ci};

#[test]
fn ascii_pattern_chars_match_only_ascii_case_variants() {
    for p in (0u8..128).map(char::from) {
        let alt = alt_case(p);
        assert!(alt.is_ascii(), "alt_case({p:?}) = {alt:?}");
        for d in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let want = d.is_ascii() && d.eq_ignore_ascii_case(&p);
            if char_matches_ci(d, p) != want {
                panic!("data {d:?} vs pattern {p:?}: rule says {}", !want);
            }
        }
    }
}

#[test]
fn alt_case_is_a_single_char_mapping_or_identity() {
    for p in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let alt = alt_case(p);
        if alt == p {
            continue;
        }
        // The alternative is one of the (full) case mappings, except the few characters
        // whose simple mapping differs from the full one.
        let up: String = p.to_uppercase().collect();
        let low: String = p.to_lowercase().collect();
        let simple_exception =
            matches!(p as u32, 0x130 | 0x1F80..=0x1FA7 | 0x1FB3 | 0x1FC3 | 0x1FF3);
        assert!(
            up == alt.to_string() || low == alt.to_string() || simple_exception,
            "alt_case({p:?}) = {alt:?}"
        );
        assert!(char_matches_ci(alt, p) && char_matches_ci(p, p));
    }
}

#[test]
fn non_ascii_examples() {
    assert_eq!(alt_case('É'), 'é');
    assert_eq!(alt_case('é'), 'É');
    assert_eq!(alt_case('σ'), 'Σ');
    assert_eq!(alt_case('Σ'), 'σ');
    assert_eq!(alt_case('ς'), 'Σ');
    assert_eq!(alt_case('ß'), 'ß');
    assert_eq!(alt_case('ẞ'), 'ß');
    assert_eq!(alt_case('ſ'), 'S');
    assert_eq!(alt_case('ı'), 'I');
    assert!(char_matches_ci('S', 'ſ') && !char_matches_ci('ſ', 'S'));
}
