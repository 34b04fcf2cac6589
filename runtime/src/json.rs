//! A validating, single-pass JSON scanner for one NDJSON line.
//!
//! The scanner walks the document once. It keeps the full dotted path of the value it is
//! looking at in a reusable buffer, asks a [`Lookuper`] what that path means, and records
//! the values of read fields in a [`Doc`]. Subtrees nobody reads are skipped without building
//! paths, but they are still validated: a line is accepted exactly when `serde_json` would
//! parse it into a `serde_json::Value`, and that value is an object.
//!
//! Field naming follows how Elasticsearch indexes a document:
//!
//! * nested objects and dotted keys name the same field: `{"process":{"name":"x"}}`,
//!   `{"process.name":"x"}` and `{"process":{"parent.entity_id":"x"}}` give full paths by
//!   joining keys with `.`;
//! * escapes are decoded in keys and values before the lookup;
//! * every element of an array is a value of the field, nested arrays are flattened, and keys
//!   inside objects in an array continue the array's path (`{"a":[{"b":1},{"b":2}]}` gives
//!   `a.b = [1, 2]`); an empty array is no value;
//! * `null` is no value (unless the mapping gives the field a `null_value`, which it then is), and
//!   an object met at a read field is no value of it;
//! * duplicate keys, and a field written both dotted and nested, keep **all** their values in
//!   document order, so any-element matching sees every one of them (ES would reject a
//!   duplicate key; a detector should rather see the values than drop the event).

use core::fmt;

use crate::event::{Doc, FieldId, Lookup};

/// Containers may nest this deep at most (the top-level object counts as one), as with
/// `serde_json`, whose recursion limit of 128 rejects the 128th nested container.
pub const MAX_DEPTH: u32 = 127;

/// Answers what a full dotted path means to a rule: implemented by the generated
/// [`crate::event::Schema`] and by the runtime-built [`crate::event::DynSchema`].
pub trait Lookuper {
    /// Classifies a full dotted path.
    fn lookup(&self, path: &[u8]) -> Lookup;
    /// How many fields there are; every [`FieldId`] the lookup returns is below this.
    fn field_count(&self) -> usize;
    /// What an explicit `null` of a [`Lookup::FieldNull`] field is indexed as.
    fn null_value(&self, _field: FieldId) -> Option<&'static str> {
        None
    }
}

/// Why a line was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineError {
    /// The line is not UTF-8; `offset` is the first byte that is not part of valid UTF-8.
    InvalidUtf8 {
        /// Byte offset in the line.
        offset: usize,
    },
    /// The line is not one JSON value.
    InvalidJson {
        /// Byte offset in the line where the problem was seen.
        offset: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// The line is a JSON value but not an object.
    NotAnObject,
    /// Containers nest deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl LineError {
    /// A short stable key, for counters and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            LineError::InvalidUtf8 { .. } => "invalid_utf8",
            LineError::InvalidJson { .. } => "invalid_json",
            LineError::NotAnObject => "not_an_object",
            LineError::TooDeep => "too_deep",
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::InvalidUtf8 { offset } => write!(f, "invalid UTF-8 at byte {offset}"),
            LineError::InvalidJson { offset, what } => {
                write!(f, "invalid JSON at byte {offset}: {what}")
            }
            LineError::NotAnObject => f.write_str("the document is not a JSON object"),
            LineError::TooDeep => write!(f, "containers nest deeper than {MAX_DEPTH}"),
        }
    }
}

impl std::error::Error for LineError {}

/// What a recorded value is and where its text lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    /// A string without escapes: its text is a slice of the line.
    Str,
    /// A string with escapes: its decoded text is a slice of the doc's arena.
    StrArena,
    /// A number, as written.
    Num,
    /// `true` or `false`, as written.
    Bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Validates `line` and records the values `lk` reads into `doc`, which the caller has reset.
/// Returns the text of the document (the line without a leading BOM).
pub(crate) fn scan<'l, L: Lookuper + ?Sized>(
    lk: &L,
    line: &'l [u8],
    doc: &mut Doc,
) -> Result<&'l str, LineError> {
    let text = match core::str::from_utf8(line) {
        Ok(t) => t,
        Err(e) => {
            return Err(LineError::InvalidUtf8 {
                offset: e.valid_up_to(),
            })
        }
    };
    let base = if line.starts_with(BOM) { BOM.len() } else { 0 };
    let text = text.get(base..).unwrap_or("");
    if u32::try_from(text.len()).is_err() {
        return Err(LineError::InvalidJson {
            offset: 0,
            what: "line longer than 4 GiB",
        });
    }
    let mut s = Scanner {
        text,
        b: text.as_bytes(),
        pos: 0,
        lk,
        nfields: lk.field_count().min(usize::from(FieldId::MAX) + 1),
        doc,
    };
    s.document().map_err(|e| match e {
        LineError::InvalidJson { offset, what } => LineError::InvalidJson {
            offset: offset + base,
            what,
        },
        e => e,
    })?;
    Ok(text)
}

struct Scanner<'t, 'd, L: ?Sized> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
    lk: &'d L,
    nfields: usize,
    doc: &'d mut Doc,
}

type R<T> = Result<T, LineError>;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A mask whose lowest set bit marks the first byte of `w` (little-endian) that is `"`, `\`
/// or below 0x20; zero when there is none. Bits above the lowest may be spurious (borrows).
#[inline(always)]
fn special_mask(w: u64) -> u64 {
    let q = w ^ (ONES * u64::from(b'"'));
    let bs = w ^ (ONES * u64::from(b'\\'));
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let ctl = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    zero(q) | zero(bs) | ctl
}

#[inline(always)]
fn hex_val(c: u8) -> Option<u16> {
    match c {
        b'0'..=b'9' => Some(u16::from(c - b'0')),
        b'a'..=b'f' => Some(u16::from(c - b'a' + 10)),
        b'A'..=b'F' => Some(u16::from(c - b'A' + 10)),
        _ => None,
    }
}

impl<L: Lookuper + ?Sized> Scanner<'_, '_, L> {
    #[cold]
    fn err(&self, offset: usize, what: &'static str) -> LineError {
        LineError::InvalidJson { offset, what }
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn document(&mut self) -> R<()> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.object(0, true)?,
            None => return Err(self.err(self.pos, "expected a JSON object")),
            Some(_) => {
                self.value(Lookup::Miss, 0)?;
                self.skip_ws();
                if self.pos != self.b.len() {
                    return Err(self.err(self.pos, "trailing characters"));
                }
                return Err(LineError::NotAnObject);
            }
        }
        self.skip_ws();
        if self.pos != self.b.len() {
            return Err(self.err(self.pos, "trailing characters"));
        }
        Ok(())
    }

    /// Maps a lookup result to one that is safe to use (field ids in range).
    #[inline(always)]
    fn classify(&self) -> Lookup {
        match self.lk.lookup(self.doc.path.as_bytes()) {
            Lookup::Field(f) | Lookup::FieldNull(f) if usize::from(f) >= self.nfields => {
                Lookup::Miss
            }
            Lookup::FieldAndPrefix(f) if usize::from(f) >= self.nfields => Lookup::Prefix,
            l => l,
        }
    }

    /// One value at a path classified as `lk`; `depth` containers are open around it.
    fn value(&mut self, lk: Lookup, depth: u32) -> R<()> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                let (s, e, esc) = self.string()?;
                if let Lookup::Field(f) | Lookup::FieldAndPrefix(f) | Lookup::FieldNull(f) = lk {
                    if esc {
                        let a = self.doc.arena.len();
                        decode_into(self.text.get(s..e).unwrap_or(""), &mut self.doc.arena);
                        let b = self.doc.arena.len();
                        self.doc.push(f, Kind::StrArena, a, b);
                    } else {
                        self.doc.push(f, Kind::Str, s, e);
                    }
                }
            }
            Some(b'{') => {
                let descend = matches!(lk, Lookup::Prefix | Lookup::FieldAndPrefix(_));
                self.object(depth, descend)?;
            }
            Some(b'[') => self.array(lk, depth)?,
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                if let Lookup::Field(f) | Lookup::FieldAndPrefix(f) | Lookup::FieldNull(f) = lk {
                    self.doc.push(f, Kind::Num, start, self.pos);
                }
            }
            Some(b't') => {
                self.literal(b"true")?;
                if let Lookup::Field(f) | Lookup::FieldAndPrefix(f) | Lookup::FieldNull(f) = lk {
                    self.doc.push(f, Kind::Bool, start, self.pos);
                }
            }
            Some(b'f') => {
                self.literal(b"false")?;
                if let Lookup::Field(f) | Lookup::FieldAndPrefix(f) | Lookup::FieldNull(f) = lk {
                    self.doc.push(f, Kind::Bool, start, self.pos);
                }
            }
            Some(b'n') => {
                self.literal(b"null")?;
                if let Some((f, text)) = match lk {
                    Lookup::FieldNull(f) => self.lk.null_value(f).map(|t| (f, t)),
                    _ => None,
                } {
                    let a = self.doc.arena.len();
                    self.doc.arena.push_str(text);
                    let b = self.doc.arena.len();
                    self.doc.push(f, Kind::StrArena, a, b);
                }
            }
            Some(_) => return Err(self.err(self.pos, "expected a value")),
            None => return Err(self.err(self.pos, "unexpected end of line")),
        }
        Ok(())
    }

    fn literal(&mut self, lit: &'static [u8]) -> R<()> {
        let end = self.pos + lit.len();
        if self.b.get(self.pos..end) == Some(lit) {
            self.pos = end;
            Ok(())
        } else {
            Err(self.err(self.pos, "invalid literal"))
        }
    }

    /// An object; `self.pos` is at `{`. When `descend`, keys extend the path and are looked up.
    fn object(&mut self, depth: u32, descend: bool) -> R<()> {
        if depth >= MAX_DEPTH {
            return Err(LineError::TooDeep);
        }
        let depth = depth + 1;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.err(self.pos, "expected a key"));
            }
            let (ks, ke, esc) = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err(self.pos, "expected `:`"));
            }
            self.pos += 1;
            self.skip_ws();
            if descend {
                let base = self.doc.path.len();
                // Keys of the top-level object start the path; deeper keys extend it
                // (even an empty one: `{"":{"":1}}` names the field `.`).
                if depth > 1 {
                    self.doc.path.push('.');
                }
                let key = self.text.get(ks..ke).unwrap_or("");
                if esc {
                    decode_into(key, &mut self.doc.path);
                } else {
                    self.doc.path.push_str(key);
                }
                let lk = self.classify();
                let r = self.value(lk, depth);
                self.doc.path.truncate(base);
                r?;
            } else {
                self.value(Lookup::Miss, depth)?;
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => return Err(self.err(self.pos, "expected `,` or `}`")),
                None => return Err(self.err(self.pos, "unexpected end of line")),
            }
        }
    }

    /// An array; every element is a value at the same path.
    fn array(&mut self, lk: Lookup, depth: u32) -> R<()> {
        if depth >= MAX_DEPTH {
            return Err(LineError::TooDeep);
        }
        let depth = depth + 1;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value(lk, depth)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => return Err(self.err(self.pos, "expected `,` or `]`")),
                None => return Err(self.err(self.pos, "unexpected end of line")),
            }
        }
    }

    /// A string; `self.pos` is at the opening quote. Returns the raw contents' bounds and
    /// whether there are escapes. Escapes are validated as `serde_json` does for `str`:
    /// a surrogate escape must be a high one followed by a low one.
    #[inline]
    fn string(&mut self) -> R<(usize, usize, bool)> {
        let b = self.b;
        let start = self.pos + 1;
        let mut i = start;
        let mut esc = false;
        loop {
            while let Some(chunk) = b.get(i..i + 8) {
                let mut w = [0u8; 8];
                w.copy_from_slice(chunk);
                let m = special_mask(u64::from_le_bytes(w));
                if m != 0 {
                    // Jump straight to the first special byte.
                    i += (m.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            match b.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok((start, i, esc));
                }
                Some(b'\\') => {
                    esc = true;
                    i = self.escape(i)?;
                }
                Some(0..=0x1f) => return Err(self.err(i, "control character in string")),
                Some(_) => i += 1,
                None => return Err(self.err(i, "unterminated string")),
            }
        }
    }

    #[inline]
    fn hex4(&self, i: usize) -> R<u16> {
        let mut n = 0u16;
        for k in 0..4 {
            match self.b.get(i + k) {
                Some(&c) => match hex_val(c) {
                    Some(v) => n = (n << 4) | v,
                    None => return Err(self.err(i + k, "invalid \\u escape")),
                },
                None => return Err(self.err(i + k, "unterminated string")),
            }
        }
        Ok(n)
    }

    /// Validates the escape at `i` (a backslash) and returns the index after it.
    fn escape(&self, i: usize) -> R<usize> {
        match self.b.get(i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
            Some(b'u') => {
                let n = self.hex4(i + 2)?;
                match n {
                    0xDC00..=0xDFFF => Err(self.err(i, "lone surrogate in \\u escape")),
                    0xD800..=0xDBFF => {
                        if self.b.get(i + 6) != Some(&b'\\') || self.b.get(i + 7) != Some(&b'u') {
                            return Err(self.err(i + 6, "lone surrogate in \\u escape"));
                        }
                        let n2 = self.hex4(i + 8)?;
                        if !(0xDC00..=0xDFFF).contains(&n2) {
                            return Err(self.err(i + 6, "lone surrogate in \\u escape"));
                        }
                        Ok(i + 12)
                    }
                    _ => Ok(i + 6),
                }
            }
            Some(_) => Err(self.err(i, "invalid escape")),
            None => Err(self.err(i + 1, "unterminated string")),
        }
    }

    /// A number per the JSON grammar. Numbers whose magnitude overflows an `f64` are
    /// rejected, as `serde_json` rejects them.
    fn number(&mut self) -> R<()> {
        let b = self.b;
        let start = self.pos;
        let mut i = start;
        let digits = |mut i: usize| {
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
            i
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(i + 1),
            _ => return Err(self.err(i, "invalid number")),
        }
        let int_end = i;
        if b.get(i) == Some(&b'.') {
            if !matches!(b.get(i + 1), Some(b'0'..=b'9')) {
                return Err(self.err(i + 1, "invalid number"));
            }
            i = digits(i + 1);
        }
        let mut exp = false;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return Err(self.err(i, "invalid number"));
            }
            i = digits(i);
            exp = true;
        }
        // Only an exponent or a very long integer part can overflow an f64.
        if exp || int_end - start > 300 {
            let finite = self
                .text
                .get(start..i)
                .and_then(|t| t.parse::<f64>().ok())
                .is_some_and(f64::is_finite);
            if !finite {
                return Err(self.err(start, "number out of range"));
            }
        }
        self.pos = i;
        Ok(())
    }
}

/// Decodes the (validated) contents of a JSON string into `out`.
fn decode_into(mut raw: &str, out: &mut String) {
    while let Some(k) = memchr::memchr(b'\\', raw.as_bytes()) {
        out.push_str(raw.get(..k).unwrap_or(""));
        let b = raw.as_bytes();
        let (ch, used) = match b.get(k + 1) {
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'n') => ('\n', 2),
            Some(b'r') => ('\r', 2),
            Some(b't') => ('\t', 2),
            Some(b'u') => {
                let hex = |at: usize| {
                    raw.get(at..at + 4)
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .unwrap_or(0xFFFD)
                };
                let n = hex(k + 2);
                if (0xD800..=0xDBFF).contains(&n) {
                    let n2 = hex(k + 8);
                    let c = 0x1_0000 + ((n - 0xD800) << 10) + (n2.wrapping_sub(0xDC00) & 0x3FF);
                    (char::from_u32(c).unwrap_or('\u{FFFD}'), 12)
                } else {
                    (char::from_u32(n).unwrap_or('\u{FFFD}'), 6)
                }
            }
            // `"`, `\` and `/` stand for themselves.
            Some(&c) => (char::from(c), 2),
            None => ('\u{FFFD}', 1),
        };
        out.push(ch);
        raw = raw.get(k + used..).unwrap_or("");
    }
    out.push_str(raw);
}
