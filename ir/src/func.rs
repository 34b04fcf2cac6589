//! The EQL functions (function reference, eql-semantics.md §1.7): one enum, resolved when a
//! query is parsed, that the compiler lowers, generated code calls and the evaluators implement.

/// An Elasticsearch EQL function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    /// `add(a, b)`
    Add,
    /// `between(source, left, right[, greedy])`
    Between,
    /// `cidrMatch(ip, block, …)`
    CidrMatch,
    /// `concat(…)`
    Concat,
    /// `divide(a, b)`
    Divide,
    /// `endsWith(source, suffix)`
    EndsWith,
    /// `indexOf(source, sub[, start])`
    IndexOf,
    /// `length(source)`
    Length,
    /// `modulo(a, b)`
    Modulo,
    /// `multiply(a, b)`
    Multiply,
    /// `number(source[, base])`
    Number,
    /// `startsWith(source, prefix)`
    StartsWith,
    /// `string(v)`
    String,
    /// `stringContains(source, sub)`
    StringContains,
    /// `substring(source, start[, end])`
    Substring,
    /// `subtract(a, b)`
    Subtract,
}

impl Func {
    /// Every function, in alphabetical order.
    pub const ALL: [Func; 16] = [
        Func::Add,
        Func::Between,
        Func::CidrMatch,
        Func::Concat,
        Func::Divide,
        Func::EndsWith,
        Func::IndexOf,
        Func::Length,
        Func::Modulo,
        Func::Multiply,
        Func::Number,
        Func::StartsWith,
        Func::String,
        Func::StringContains,
        Func::Substring,
        Func::Subtract,
    ];

    /// The documented spelling (`startsWith`).
    pub const fn name(self) -> &'static str {
        match self {
            Func::Add => "add",
            Func::Between => "between",
            Func::CidrMatch => "cidrMatch",
            Func::Concat => "concat",
            Func::Divide => "divide",
            Func::EndsWith => "endsWith",
            Func::IndexOf => "indexOf",
            Func::Length => "length",
            Func::Modulo => "modulo",
            Func::Multiply => "multiply",
            Func::Number => "number",
            Func::StartsWith => "startsWith",
            Func::String => "string",
            Func::StringContains => "stringContains",
            Func::Substring => "substring",
            Func::Subtract => "subtract",
        }
    }

    /// By name, case-insensitively, as Elasticsearch's function registry resolves names (the
    /// rule corpus writes `cidrmatch`, `startswith~`, `endswith`). `name` is without `~`.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// Fewest and most arguments (`None`: variadic).
    pub const fn arity(self) -> (usize, Option<usize>) {
        match self {
            Func::Add | Func::Divide | Func::Modulo | Func::Multiply | Func::Subtract => {
                (2, Some(2))
            }
            Func::Between => (3, Some(4)),
            Func::CidrMatch => (2, None),
            Func::Concat => (1, None),
            Func::EndsWith | Func::StartsWith | Func::StringContains => (2, Some(2)),
            Func::IndexOf | Func::Substring => (2, Some(3)),
            Func::Length | Func::String => (1, Some(1)),
            Func::Number => (1, Some(2)),
        }
    }

    /// Whether a case-insensitive `name~(…)` form exists.
    pub const fn has_insensitive(self) -> bool {
        matches!(
            self,
            Func::Between
                | Func::EndsWith
                | Func::IndexOf
                | Func::StartsWith
                | Func::StringContains
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Func;

    #[test]
    fn names_round_trip_case_insensitively() {
        for f in Func::ALL {
            assert_eq!(Func::from_name(f.name()), Some(f));
            assert_eq!(Func::from_name(&f.name().to_ascii_uppercase()), Some(f));
        }
        assert_eq!(Func::from_name("cidrmatch"), Some(Func::CidrMatch));
        assert_eq!(Func::from_name("nope"), None);
    }
}
