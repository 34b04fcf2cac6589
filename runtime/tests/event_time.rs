//! Timestamp parsing against a naive calendar, and on arbitrary text.

use eql_runtime::event::Value;
use eql_runtime::time::{parse_timestamp, TimestampError};
use proptest::prelude::*;

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn month_len(y: i64, m: u32) -> u32 {
    [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][m as usize - 1]
}

/// Days since 1970-01-01 by counting whole years and months.
fn naive_days(y: i64, m: u32, d: u32) -> i64 {
    let mut days = 0i64;
    if y >= 1970 {
        for yy in 1970..y {
            days += if leap(yy) { 366 } else { 365 };
        }
    } else {
        for yy in y..1970 {
            days -= if leap(yy) { 366 } else { 365 };
        }
    }
    for mm in 1..m {
        days += i64::from(month_len(y, mm));
    }
    days + i64::from(d) - 1
}

#[derive(Debug, Clone)]
struct Stamp {
    y: i64,
    m: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    frac: String,
    offset: Option<(bool, u32, u32)>,
    offset_style: u8,
}

fn stamp() -> impl Strategy<Value = Stamp> {
    (
        1679i64..=2260,
        1u32..=12,
        1u32..=31,
        (0u32..24, 0u32..60, 0u32..60),
        "[0-9]{0,9}",
        prop::option::of((any::<bool>(), 0u32..=17, 0u32..60)),
        0u8..3,
    )
        .prop_map(|(y, m, d, (h, mi, s), frac, offset, offset_style)| Stamp {
            y,
            m,
            d: d.min(month_len(y, m)),
            h,
            mi,
            s,
            frac,
            offset,
            offset_style,
        })
}

impl Stamp {
    fn text(&self) -> String {
        let mut t = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.y, self.m, self.d, self.h, self.mi, self.s
        );
        if !self.frac.is_empty() {
            t.push('.');
            t.push_str(&self.frac);
        }
        match self.offset {
            None if self.offset_style == 0 => t.push('Z'),
            None => {}
            Some((neg, oh, om)) => {
                let sign = if neg { '-' } else { '+' };
                match self.offset_style {
                    0 => t.push_str(&format!("{sign}{oh:02}:{om:02}")),
                    1 => t.push_str(&format!("{sign}{oh:02}{om:02}")),
                    _ if om == 0 => t.push_str(&format!("{sign}{oh:02}")),
                    _ => t.push_str(&format!("{sign}{oh:02}:{om:02}")),
                }
            }
        }
        t
    }

    fn nanos(&self) -> i64 {
        let secs = naive_days(self.y, self.m, self.d) * 86_400
            + i64::from(self.h * 3600 + self.mi * 60 + self.s);
        let off = self.offset.map_or(0, |(neg, oh, om)| {
            let o = i64::from(oh * 3600 + om * 60);
            if neg {
                -o
            } else {
                o
            }
        });
        let mut frac = self.frac.clone();
        while frac.len() < 9 {
            frac.push('0');
        }
        (secs - off) * 1_000_000_000 + frac.parse::<i64>().unwrap_or(0)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn dates_agree_with_a_naive_calendar(st in stamp()) {
        let t = st.text();
        prop_assert_eq!(parse_timestamp(Value::Str(&t)), Ok(st.nanos()), "{}", t);
    }

    #[test]
    fn date_only_is_midnight_utc(y in 1679i64..=2260, m in 1u32..=12, d in 1u32..=31) {
        let d = d.min(month_len(y, m));
        let t = format!("{y:04}-{m:02}-{d:02}");
        prop_assert_eq!(
            parse_timestamp(Value::Str(&t)),
            Ok(naive_days(y, m, d) * 86_400 * 1_000_000_000)
        );
    }

    #[test]
    fn days_past_the_month_end_are_rejected(y in 1679i64..=2260, m in 1u32..=12, extra in 1u32..5) {
        let d = month_len(y, m) + extra;
        let t = format!("{y:04}-{m:02}-{d:02}T00:00:00Z");
        prop_assert!(parse_timestamp(Value::Str(&t)).is_err(), "{}", t);
    }

    #[test]
    fn epoch_millis(ms in -9_000_000_000_000_000i64 / 1_000_000..9_000_000_000_000_000 / 1_000_000,
                    frac in "[0-9]{0,6}") {
        let text = if frac.is_empty() { ms.to_string() } else { format!("{ms}.{frac}") };
        let mut f = frac.clone();
        while f.len() < 6 {
            f.push('0');
        }
        let sub = f.parse::<i64>().unwrap_or(0);
        let want = if text.starts_with('-') { ms * 1_000_000 - sub } else { ms * 1_000_000 + sub };
        prop_assert_eq!(parse_timestamp(Value::Num(&text)), Ok(want));
        if text.len() != 4 {
            prop_assert_eq!(parse_timestamp(Value::Str(&text)), Ok(want));
        }
    }

    #[test]
    fn arbitrary_text_never_panics(t in "[0-9TZ:+.,\\- ]{0,40}|\\PC{0,20}") {
        if let Err(e) = parse_timestamp(Value::Str(&t)) {
            prop_assert!(!e.reason().is_empty() && !e.to_string().is_empty());
        }
        let _ = parse_timestamp(Value::Num(&t));
    }
}

#[test]
fn leap_day_boundaries() {
    let p = |t: &str| parse_timestamp(Value::Str(t));
    assert_eq!(
        p("2024-03-01T00:00:00Z").unwrap() - p("2024-02-29T00:00:00Z").unwrap(),
        86_400_000_000_000
    );
    assert_eq!(p("1900-02-29"), Err(TimestampError::InvalidDate));
    assert!(p("1904-02-29").is_ok());
    assert_eq!(
        p("2024-02-29T23:59:59.999999999+00:00"),
        Ok(1_709_251_199_999_999_999)
    );
}
