//! Fields as the IR and the runtime name them.

/// Index of a field in a rule's (or a rule set's) schema.
pub type FieldId = u16;

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
