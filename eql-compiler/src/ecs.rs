//! Field types as comparisons care about them, from an index mapping; without one, from
//! `eql_syntax::mapping::FieldTypes::ecs` (the ECS fields Elastic Defend writes: `ip` fields
//! compare addresses, numeric fields numbers, dates instants, every other field is a `keyword`,
//! compared as its text, byte-wise). The interpreter reads the same table.

/// How a field is mapped, as far as comparisons care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// `keyword` (and anything not listed): text equality and byte order.
    Keyword,
    /// `ip`: address equality (`::ffff:1.2.3.4` equals `1.2.3.4`), CIDR membership.
    Ip,
    /// `long` / `float` / `double` / `scaled_float`: numeric equality and order.
    Number,
    /// `date`: compared as instants (RFC 3339 text or epoch milliseconds).
    Date,
    /// `version`: equality on the text, order by version precedence (`1.11.3 > 1.5.0`).
    Version,
    /// Not in the index mapping: typed by its values, as dynamic mapping types them (a
    /// comparison with a number compares numbers, with a string compares text).
    Dynamic,
}

impl FieldType {
    /// The name shown in the plan.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Keyword => "keyword",
            FieldType::Ip => "ip",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Dynamic => "dynamic",
            FieldType::Version => "version",
        }
    }
}

/// The compiler's view of a type from an index mapping (`None`: the field is not mapped).
pub fn mapped_type(ty: Option<&eql_syntax::mapping::FieldType>) -> FieldType {
    use eql_syntax::mapping::FieldType as M;
    match ty {
        Some(M::Ip) => FieldType::Ip,
        Some(M::Number) => FieldType::Number,
        Some(M::Date) => FieldType::Date,
        Some(M::Version) => FieldType::Version,
        // Booleans compare as their text (`true`/`false`), as a keyword would; so does every
        // other mapped type here.
        Some(_) => FieldType::Keyword,
        None => FieldType::Dynamic,
    }
}
