//! One JSON document, decoded only as far as a rule needs.
//!
//! API CONTRACT (implementation pending): see the doc comments.

/// Index of a field in a [`Schema`].
pub type FieldId = u16;

/// The fields a rule reads, and how to find them while walking a document.
#[derive(Debug)]
pub struct Schema {
    /// Full dotted paths (`process.parent.entity_id`); the index is the [`FieldId`].
    pub fields: &'static [&'static str],
    /// Classifies a full dotted path met while walking the document (generated as a `match`).
    pub lookup: fn(&[u8]) -> Lookup,
    /// The timestamp field (`@timestamp`).
    pub timestamp: FieldId,
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
}
