//! One JSON document, decoded only as far as a rule needs.
//!
//! A [`Doc`] is reusable scratch space; [`Doc::parse`] validates one NDJSON line and records
//! the values of the fields a [`Schema`] (or a [`DynSchema`]) reads, and returns an [`Event`]
//! that borrows the line and the doc. How field paths are formed from the document (dotted
//! keys, nested objects, arrays, `null`, duplicates) is described in [`crate::json`].
//!
//! ```
//! use eql_runtime::event::{Doc, DynSchema};
//!
//! let schema = DynSchema::new(vec!["process.name".into(), "event.type".into()]);
//! let mut doc = Doc::new();
//! let line = br#"{"process":{"name":"c\u0075rl"},"event.type":["start","info"]}"#;
//! let ev = doc.parse(&schema, line).unwrap();
//! assert_eq!(ev.first_text(0), Some("curl"));
//! assert!(ev.any_text(1, |t| t == "start"));
//! ```

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

pub use eql_ir::FieldId;

/// The fields a rule reads, and how to find them while walking a document.
pub struct Schema {
    /// Full dotted paths (`process.parent.entity_id`); the index is the [`FieldId`].
    pub fields: &'static [&'static str],
    /// Classifies a full dotted path met while walking the document: a generated `match` for
    /// compiled rules, a [`DynSchema`] table for rules loaded at run time.
    pub lookup: &'static (dyn Fn(&[u8]) -> Lookup + Send + Sync),
    /// The timestamp field (`@timestamp`).
    pub timestamp: FieldId,
    /// The fields [`Lookup::FieldNull`] names, with the text an explicit `null` is indexed as.
    pub null_values: &'static [(FieldId, &'static str)],
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema")
            .field("fields", &self.fields)
            .field("timestamp", &self.timestamp)
            .field("null_values", &self.null_values)
            .finish_non_exhaustive()
    }
}

/// What a path means to a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Not read, and no read field lies below it: skip the value.
    Miss,
    /// Not read itself, but some read field lies below it: descend.
    Prefix,
    /// A read field (and nothing below it is read).
    Field(FieldId),
    /// A read field that is also a prefix of another read field.
    FieldAndPrefix(FieldId),
    /// A read field whose explicit `null`s are indexed as a value (the mapping's `null_value`,
    /// see [`Lookuper::null_value`]), as Elasticsearch does.
    FieldNull(FieldId),
}

use crate::json::Kind;
pub use crate::json::{LineError, Lookuper};

impl Lookuper for Schema {
    #[inline]
    fn lookup(&self, path: &[u8]) -> Lookup {
        (self.lookup)(path)
    }
    fn null_value(&self, field: FieldId) -> Option<&'static str> {
        self.null_values
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, text)| *text)
    }
    #[inline]
    fn field_count(&self) -> usize {
        self.fields.len()
    }
}

/// Classifies `path` against `fields` by comparing it with each one: the reference that a
/// generated `match` lookup agrees with. The first occurrence of a repeated field wins.
pub fn lookup_in(fields: &[&str], path: &[u8]) -> Lookup {
    let mut field = None;
    let mut prefix = false;
    for (i, f) in fields.iter().enumerate() {
        let f = f.as_bytes();
        if f == path {
            if field.is_none() {
                field = FieldId::try_from(i).ok();
            }
        } else if f.len() > path.len() && f.starts_with(path) && f.get(path.len()) == Some(&b'.') {
            prefix = true;
        }
    }
    match (field, prefix) {
        (Some(f), false) => Lookup::Field(f),
        (Some(f), true) => Lookup::FieldAndPrefix(f),
        (None, true) => Lookup::Prefix,
        (None, false) => Lookup::Miss,
    }
}

/// A schema built at run time from field names (the interpreter, `--rule-file`).
///
/// The [`FieldId`] of a field is its index in the list; a repeated name keeps its first index,
/// and fields past index 65535 are never found.
#[derive(Clone, Debug)]
pub struct DynSchema {
    fields: Vec<String>,
    map: HashMap<Box<[u8]>, Lookup, BuildFnv>,
}

/// FNV-1a: paths are short and the table's keys come from the schema, not from documents, so a
/// keyed hash buys nothing here and SipHash would cost more than the lookup itself.
#[derive(Clone, Copy, Debug, Default)]
struct BuildFnv;

struct Fnv(u64);

impl BuildHasher for BuildFnv {
    type Hasher = Fnv;
    #[inline]
    fn build_hasher(&self) -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl DynSchema {
    /// Builds the lookup table for `fields`.
    pub fn new(fields: Vec<String>) -> DynSchema {
        let mut map: HashMap<Box<[u8]>, Lookup, BuildFnv> = HashMap::default();
        for (i, name) in fields.iter().enumerate() {
            let Ok(id) = FieldId::try_from(i) else { break };
            let bytes = name.as_bytes();
            let e = map.entry(bytes.into()).or_insert(Lookup::Miss);
            *e = match *e {
                Lookup::Miss => Lookup::Field(id),
                Lookup::Prefix => Lookup::FieldAndPrefix(id),
                other => other,
            };
            for (k, _) in bytes.iter().enumerate().filter(|(_, &c)| c == b'.') {
                let e = map.entry(bytes[..k].into()).or_insert(Lookup::Miss);
                *e = match *e {
                    Lookup::Miss => Lookup::Prefix,
                    Lookup::Field(f) => Lookup::FieldAndPrefix(f),
                    other => other,
                };
            }
        }
        DynSchema { fields, map }
    }

    /// Marks fields whose explicit `null`s are indexed as a value (the mapping's `null_value`):
    /// their lookup becomes [`Lookup::FieldNull`], as a generated lookup's is. A field that is
    /// also a prefix of another stays [`Lookup::FieldAndPrefix`], as there.
    pub fn mark_null_values(&mut self, fields: &[FieldId]) {
        for v in self.map.values_mut() {
            if let Lookup::Field(f) = *v {
                if fields.contains(&f) {
                    *v = Lookup::FieldNull(f);
                }
            }
        }
    }

    /// The field names; the index is the [`FieldId`].
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// The id of a field by name.
    pub fn field(&self, name: &str) -> Option<FieldId> {
        match self.map.get(name.as_bytes()) {
            Some(Lookup::Field(f) | Lookup::FieldAndPrefix(f) | Lookup::FieldNull(f)) => Some(*f),
            _ => None,
        }
    }
}

impl Lookuper for DynSchema {
    #[inline]
    fn lookup(&self, path: &[u8]) -> Lookup {
        self.map.get(path).copied().unwrap_or(Lookup::Miss)
    }
    #[inline]
    fn field_count(&self) -> usize {
        self.fields.len().min(usize::from(FieldId::MAX) + 1)
    }
}

const NONE: u32 = u32::MAX;

/// One recorded value: where its text lives and the next value of the same field.
#[derive(Clone, Copy, Debug)]
struct Slot {
    start: u32,
    end: u32,
    next: u32,
    kind: Kind,
}

/// Reusable scratch space for decoding documents: value slots, per-field chains and an arena
/// for strings that had escapes. Keep one per thread and reuse it: after warm-up, decoding
/// allocates nothing.
#[derive(Debug, Default)]
pub struct Doc {
    slots: Vec<Slot>,
    heads: Vec<u32>,
    tails: Vec<u32>,
    pub(crate) arena: String,
    pub(crate) path: String,
    pub(crate) prefilter: crate::prefilter::Scratch,
    /// The detector's candidate rules for the line being decided (one bit per rule).
    pub(crate) rule_bits: Vec<u64>,
    /// The detector's selected rules within one group.
    pub(crate) rule_sel: Vec<u64>,
    /// The rules the event's categories select.
    pub(crate) rule_cat: Vec<u64>,
}

impl Doc {
    /// An empty scratch space.
    pub fn new() -> Doc {
        Doc::default()
    }

    /// Decodes the fields `schema` reads from one line (a [`Schema`] or a [`DynSchema`]).
    /// The [`Event`] borrows the line and this `Doc`.
    pub fn parse<'a, L: Lookuper + ?Sized>(
        &'a mut self,
        schema: &L,
        line: &'a [u8],
    ) -> Result<Event<'a>, LineError> {
        let n = schema.field_count().min(usize::from(FieldId::MAX) + 1);
        self.slots.clear();
        self.heads.clear();
        self.heads.resize(n, NONE);
        self.tails.clear();
        self.tails.resize(n, NONE);
        self.arena.clear();
        self.path.clear();
        let line = crate::json::scan(schema, line, self)?;
        Ok(Event { line, doc: self })
    }

    /// [`Doc::parse`] with a runtime-built schema.
    pub fn parse_dyn<'a>(
        &'a mut self,
        schema: &DynSchema,
        line: &'a [u8],
    ) -> Result<Event<'a>, LineError> {
        self.parse(schema, line)
    }

    /// Records a value of `field`; offsets are in the line or, for [`Kind::StrArena`], the arena.
    /// The scanner guarantees `field < field_count` and offsets below 4 GiB.
    #[inline]
    pub(crate) fn push(&mut self, field: FieldId, kind: Kind, start: usize, end: usize) {
        let f = usize::from(field);
        let (Ok(start), Ok(end), Ok(idx)) = (
            u32::try_from(start),
            u32::try_from(end),
            u32::try_from(self.slots.len()),
        ) else {
            return;
        };
        if idx == NONE || f >= self.heads.len() {
            return;
        }
        self.slots.push(Slot {
            start,
            end,
            next: NONE,
            kind,
        });
        match self.tails.get(f).copied() {
            Some(NONE) | None => {
                if let Some(h) = self.heads.get_mut(f) {
                    *h = idx;
                }
            }
            Some(t) => {
                if let Some(s) = self.slots.get_mut(t as usize) {
                    s.next = idx;
                }
            }
        }
        if let Some(t) = self.tails.get_mut(f) {
            *t = idx;
        }
    }
}

/// One value of a field, borrowed from the line or the [`Doc`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// A string, escapes decoded.
    Str(&'a str),
    /// A number, as written in the document (`42`, `-1.5e3`).
    Num(&'a str),
    /// `true` or `false`.
    Bool(bool),
}

impl<'a> Value<'a> {
    /// The keyword view of the value: strings as decoded, numbers as written, booleans as
    /// `true`/`false` (Elasticsearch indexes a JSON number in a keyword field as its text).
    #[inline]
    pub fn text(self) -> &'a str {
        match self {
            Value::Str(s) | Value::Num(s) => s,
            Value::Bool(true) => "true",
            Value::Bool(false) => "false",
        }
    }
}

/// One decoded document: the line and the values of the fields the schema reads.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    line: &'a str,
    doc: &'a Doc,
}

impl<'a> Event<'a> {
    /// The whole document text (a leading BOM excluded).
    #[inline]
    pub fn raw(&self) -> &'a str {
        self.line
    }

    #[inline]
    fn head(&self, f: FieldId) -> u32 {
        self.doc.heads.get(usize::from(f)).copied().unwrap_or(NONE)
    }

    #[inline]
    fn slot_text(&self, s: &Slot) -> &'a str {
        let r = s.start as usize..s.end as usize;
        let src = if s.kind == Kind::StrArena {
            self.doc.arena.as_str()
        } else {
            self.line
        };
        src.get(r).unwrap_or("")
    }

    #[inline]
    fn slot_value(&self, s: &Slot) -> Value<'a> {
        let t = self.slot_text(s);
        match s.kind {
            Kind::Str | Kind::StrArena => Value::Str(t),
            Kind::Num => Value::Num(t),
            Kind::Bool => Value::Bool(t == "true"),
        }
    }

    /// The values of `f`, in document order.
    #[inline]
    pub fn values(&self, f: FieldId) -> Values<'a> {
        Values {
            ev: *self,
            cur: self.head(f),
        }
    }

    /// True when some value of `f` satisfies `pred` (any-element semantics).
    #[inline]
    pub fn any_value(&self, f: FieldId, mut pred: impl FnMut(Value<'a>) -> bool) -> bool {
        self.values(f).any(&mut pred)
    }

    /// True when the keyword text of some value of `f` satisfies `pred`: strings as decoded,
    /// numbers as written, booleans `true`/`false` (ES indexes a JSON number in a keyword
    /// field as its text).
    #[inline]
    pub fn any_text(&self, f: FieldId, mut pred: impl FnMut(&'a str) -> bool) -> bool {
        self.texts(f).any(&mut pred)
    }

    /// The keyword texts of the values of `f`, in document order.
    #[inline]
    pub fn texts(&self, f: FieldId) -> Texts<'a> {
        Texts(self.values(f))
    }

    /// The keyword text of the first value of `f`.
    #[inline]
    pub fn first_text(&self, f: FieldId) -> Option<&'a str> {
        self.texts(f).next()
    }

    /// The first value of `f`.
    #[inline]
    pub fn first_value(&self, f: FieldId) -> Option<Value<'a>> {
        self.values(f).next()
    }

    /// True when `f` has at least one non-null value.
    #[inline]
    pub fn has(&self, f: FieldId) -> bool {
        self.head(f) != NONE
    }
}

/// The values of one field, in document order: see [`Event::values`].
#[derive(Clone, Debug)]
pub struct Values<'a> {
    ev: Event<'a>,
    cur: u32,
}

impl<'a> Iterator for Values<'a> {
    type Item = Value<'a>;
    #[inline]
    fn next(&mut self) -> Option<Value<'a>> {
        let s = self.ev.doc.slots.get(self.cur as usize)?;
        self.cur = s.next;
        Some(self.ev.slot_value(s))
    }
}

/// The keyword texts of one field, in document order: see [`Event::texts`].
#[derive(Clone, Debug)]
pub struct Texts<'a>(Values<'a>);

impl<'a> Iterator for Texts<'a> {
    type Item = &'a str;
    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let s = self.0.ev.doc.slots.get(self.0.cur as usize)?;
        self.0.cur = s.next;
        Some(self.0.ev.slot_text(s))
    }
}
