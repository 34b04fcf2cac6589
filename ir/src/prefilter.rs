//! What a rule's prefilter requires of a raw line: any of several terms, each needing one
//! literal of every group (the compiler derives it from the IR; the runtime searches for it).

/// The most terms a stage's requirement may have.
pub const MAX_TERMS: usize = 32;

/// One literal: text the raw line contains, inside a string value when `value` is set.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lit {
    /// The text.
    pub text: String,
    /// It lies inside a string value (not an object key).
    pub value: bool,
    /// For a value: the last segment of the field's path, the key it must sit under.
    pub key: Option<String>,
}

impl Lit {
    /// This literal, as a value of the field `path`.
    pub fn under(mut self, path: &str) -> Lit {
        if self.value {
            self.key = path.rsplit('.').next().map(str::to_string);
        }
        self
    }
}

/// Any one of these literals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The literals.
    pub lits: Vec<Lit>,
    /// Not an enumeration-like field (those are in nearly every event).
    pub specific: bool,
}

impl Group {
    /// A rough quality: specific first, then longer shortest literal.
    pub fn score(&self) -> (bool, usize) {
        let shortest = self
            .lits
            .iter()
            .map(|l| l.text.len())
            .min()
            .unwrap_or(usize::MAX);
        (self.specific, shortest)
    }
}

/// Every one of these groups.
pub type Term = Vec<Group>;

/// Any one of these terms (none: the condition never holds).
pub type Requirement = Vec<Term>;
