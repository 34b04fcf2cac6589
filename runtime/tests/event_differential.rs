//! Differential tests: the scanner accepts a line exactly when `serde_json` parses it into an
//! object, and then extracts the same values as a naive walk over serde's parse.

use eql_runtime::event::{Doc, DynSchema, Value};
use proptest::prelude::*;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// A leaf as serde_json saw it.
#[derive(Clone, Debug, PartialEq)]
enum Leaf {
    Str(String),
    Num(f64),
    Bool(bool),
}

/// The reference: every scalar with its dotted path, in document order, duplicates kept.
struct Walk<'a> {
    /// `None` outside the top-level object.
    path: Option<String>,
    out: &'a mut Vec<(String, Leaf)>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON")
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.out
            .push((self.path.unwrap_or_default(), Leaf::Str(v.to_owned())));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.out
            .push((self.path.unwrap_or_default(), Leaf::Num(v as f64)));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.out
            .push((self.path.unwrap_or_default(), Leaf::Num(v as f64)));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.out.push((self.path.unwrap_or_default(), Leaf::Num(v)));
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.out
            .push((self.path.unwrap_or_default(), Leaf::Bool(v)));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Walk {
                path: self.path.clone(),
                out: &mut *self.out,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            let path = match &self.path {
                None => k,
                Some(p) => format!("{p}.{k}"),
            };
            map.next_value_seed(Walk {
                path: Some(path),
                out: &mut *self.out,
            })?;
        }
        Ok(())
    }
}

fn reference(line: &[u8]) -> Option<Vec<(String, Leaf)>> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    if !v.is_object() {
        return None;
    }
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(line);
    Walk {
        path: None,
        out: &mut out,
    }
    .deserialize(&mut de)
    .expect("serde accepted it once");
    Some(out)
}

fn same_number(text: &str, want: f64) -> bool {
    let Ok(got) = text.parse::<f64>() else {
        return false;
    };
    got == want || (got - want).abs() <= 1e-12 * got.abs().max(want.abs())
}

/// Checks acceptance, and for accepted lines the values of every leaf path plus `extra` fields.
fn check(line: &[u8], extra: &[String]) -> Result<(), TestCaseError> {
    // A leading BOM is skipped; serde_json does not know about it.
    let want = reference(line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line));
    let mut fields: Vec<String> = Vec::new();
    if let Some(w) = &want {
        for (p, _) in w {
            if !fields.contains(p) {
                fields.push(p.clone());
            }
        }
    }
    fields.extend(extra.iter().cloned());
    let schema = DynSchema::new(fields.clone());
    let mut doc = Doc::new();
    let got = doc.parse(&schema, line);
    prop_assert_eq!(
        got.is_ok(),
        want.is_some(),
        "line {:?}: ours {:?}",
        String::from_utf8_lossy(line),
        got.as_ref().err()
    );
    let (Ok(ev), Some(want)) = (got, want) else {
        return Ok(());
    };
    for name in &fields {
        let Some(id) = schema.field(name) else {
            continue;
        };
        let ours: Vec<Value> = ev.values(id).collect();
        let theirs: Vec<&Leaf> = want
            .iter()
            .filter(|(p, _)| p == name)
            .map(|(_, l)| l)
            .collect();
        prop_assert_eq!(ours.len(), theirs.len(), "field {:?} ({})", name, id);
        for (o, t) in ours.iter().zip(&theirs) {
            let ok = match (o, t) {
                (Value::Str(a), Leaf::Str(b)) => a == b,
                (Value::Num(a), Leaf::Num(b)) => same_number(a, *b),
                (Value::Bool(a), Leaf::Bool(b)) => a == b,
                _ => false,
            };
            prop_assert!(ok, "field {:?}: ours {:?} theirs {:?}", name, o, t);
        }
    }
    Ok(())
}

/// A JSON tree with keys that collide when dotted, and strings that need escapes.
#[derive(Clone, Debug)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "a.b", "b.a", "process", "name", "p.name", "x"])
            .prop_map(str::to_owned),
        1 => "[ab.\"\\\\/\u{0}-\u{1f}é😀]{0,4}",
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (any::<i32>(), 0u32..1000, -30i32..30).prop_map(|(a, b, e)| format!("{a}.{b}e{e}")),
        (any::<i16>(), 0u32..99).prop_map(|(a, b)| format!("{a}.{b:02}")),
        Just("-0".to_owned()),
        Just("0E+2".to_owned()),
        Just("1e-400".to_owned()),
    ]
}

fn tree() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        number().prop_map(J::Num),
        "[a-z /\\\\\"\u{0}-\u{1f}\u{7f}é€😀]{0,8}".prop_map(J::Str),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(J::Arr),
            prop::collection::vec((key(), inner), 0..6).prop_map(J::Obj),
        ]
    })
}

fn root() -> impl Strategy<Value = J> {
    prop::collection::vec((key(), tree()), 0..8).prop_map(J::Obj)
}

struct Emit {
    rng: u64,
    out: String,
}

impl Emit {
    fn roll(&mut self, n: u64) -> u64 {
        // xorshift: the emitter's choices follow the case's seed.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n
    }
    fn ws(&mut self) {
        if self.roll(6) == 0 {
            let w = [" ", "\t", "\r", "\n", "  "][self.roll(5) as usize];
            self.out.push_str(w);
        }
    }
    fn string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            let r = self.roll(6);
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' if r < 3 => self.out.push_str("\\n"),
                '/' if r == 0 => self.out.push_str("\\/"),
                c if (c as u32) < 0x20 || r == 1 => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        if self.roll(2) == 0 {
                            self.out.push_str(&format!("\\u{u:04x}"));
                        } else {
                            self.out.push_str(&format!("\\u{u:04X}"));
                        }
                    }
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
    fn value(&mut self, j: &J) {
        self.ws();
        match j {
            J::Null => self.out.push_str("null"),
            J::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => self.out.push_str(n),
            J::Str(s) => self.string(s),
            J::Arr(v) => {
                self.out.push('[');
                for (i, e) in v.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.value(e);
                }
                self.ws();
                self.out.push(']');
            }
            J::Obj(v) => {
                self.out.push('{');
                for (i, (k, e)) in v.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.ws();
                    self.string(k);
                    self.ws();
                    self.out.push(':');
                    self.value(e);
                }
                self.ws();
                self.out.push('}');
            }
        }
        self.ws();
    }
}

fn emit(j: &J, seed: u64) -> String {
    let mut e = Emit {
        rng: seed | 1,
        out: String::new(),
    };
    e.value(j);
    e.out
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize),
    Insert(usize, u8),
    Replace(usize, u8),
    Truncate(usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![
        4 => prop::sample::select(b"{}[]\",:\\ 0123456789eE+-.tnfulrsaxU/".to_vec()),
        1 => any::<u8>(),
    ];
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Replace(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..12).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn mutate(mut b: Vec<u8>, ms: &[Mutation]) -> Vec<u8> {
    for m in ms {
        let n = b.len().max(1);
        match *m {
            Mutation::Delete(i) if !b.is_empty() => {
                b.remove(i % n);
            }
            Mutation::Insert(i, c) => b.insert(i % (b.len() + 1), c),
            Mutation::Replace(i, c) if !b.is_empty() => b[i % n] = c,
            Mutation::Truncate(i) => b.truncate(i % n),
            Mutation::Duplicate(i, len) if !b.is_empty() => {
                let s = i % n;
                let e = (s + len).min(b.len());
                let piece = b[s..e].to_vec();
                b.splice(s..s, piece);
            }
            _ => {}
        }
    }
    b
}

fn extra_fields() -> Vec<String> {
    ["a", "a.b", "b.a.b", "process.name", "nope"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn generated_documents(j in root(), seed in any::<u64>(), bom in any::<bool>()) {
        let mut line = emit(&j, seed);
        if bom {
            line.insert(0, '\u{feff}');
        }
        check(line.as_bytes(), &extra_fields())?;
    }

    #[test]
    fn mutated_documents(j in root(), seed in any::<u64>(),
                         ms in prop::collection::vec(mutation(), 1..4)) {
        let line = mutate(emit(&j, seed).into_bytes(), &ms);
        check(&line, &extra_fields())?;
    }

    #[test]
    fn json_ish_token_soup(parts in prop::collection::vec(prop::sample::select(vec![
        "{", "}", "[", "]", "\"", ":", ",", "\"a\"", "\"a.b\"", "1", "-", "0", ".", "e", "true",
        "null", "false", " ", "\\", "\\u", "d83d", "\\ude00", "\n", "\r", "\t", "é", "\u{1}",
        "\"x\":", "{\"a\":",
    ]), 0..24)) {
        let line = parts.concat();
        check(line.as_bytes(), &extra_fields())?;
    }

    #[test]
    fn random_bytes(b in prop::collection::vec(any::<u8>(), 0..40)) {
        check(&b, &extra_fields())?;
    }
}

#[test]
fn known_edge_cases_agree() {
    for line in [
        "{}",
        " {} ",
        "{\"a\":{}}",
        "{\"a\":[[],[[]],{}]}",
        "{\"a\":1e308}",
        "{\"a\":1.7976931348623157e308}",
        "{\"a\":-1e400}",
        "{\"a\":0e99999999999999999999}",
        "{\"a\":1e-99999999999999999999}",
        "{\"a\":123456789012345678901234567890}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\u{7f}\"}",
        "{\"\":{\"\":1}}",
        "{\"a.\":{\".b\":1}}",
        "{\"a\":1,\"a\":2}",
        "{\"a\":{\"b\":1},\"a.b\":2}",
    ] {
        check(line.as_bytes(), &extra_fields()).unwrap();
    }
    let long = format!("{{\"a\":1{}}}", "0".repeat(400));
    check(long.as_bytes(), &extra_fields()).unwrap();
}
