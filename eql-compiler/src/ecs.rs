//! Field types as comparisons care about them, from an index mapping; without one, from
//! `eql_syntax::mapping::FieldTypes::ecs` (the ECS fields Elastic Defend writes: `ip` fields
//! compare addresses, numeric fields numbers, dates instants, every other field is a `keyword`,
//! compared as its text, byte-wise). The interpreter reads the same table.

pub use eql_ir::FieldType;

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
