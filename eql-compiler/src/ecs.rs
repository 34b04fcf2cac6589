//! Field types as Elasticsearch maps the ECS fields Elastic Defend writes.
//!
//! Without an index mapping the compiler needs the type to pick the comparison: `ip` fields
//! compare addresses, numeric fields compare numbers, every other field is a `keyword`
//! (compared as its text, byte-wise).

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

/// ECS `ip` fields.
const IP_FIELDS: &[&str] = &[
    "client.ip",
    "client.nat.ip",
    "destination.ip",
    "destination.nat.ip",
    "host.ip",
    "observer.ip",
    "related.ip",
    "server.ip",
    "server.nat.ip",
    "source.ip",
    "source.nat.ip",
    "threat.indicator.ip",
];

/// ECS numeric fields (long, float, scaled_float) that endpoint and network data carry.
const NUMBER_FIELDS: &[&str] = &[
    "client.bytes",
    "client.packets",
    "client.port",
    "destination.bytes",
    "destination.packets",
    "destination.port",
    "dns.answers.ttl",
    "event.duration",
    "event.risk_score",
    "event.sequence",
    "event.severity",
    "file.size",
    "host.uptime",
    "http.request.bytes",
    "http.response.bytes",
    "http.response.status_code",
    "network.bytes",
    "network.packets",
    "problemchild.prediction_probability",
    "process.args_count",
    "process.exit_code",
    "process.parent.args_count",
    "process.parent.exit_code",
    "process.parent.pgid",
    "process.parent.pid",
    "process.parent.thread.id",
    "process.parent.uptime",
    "process.pgid",
    "process.pid",
    "process.thread.id",
    "process.uptime",
    "server.bytes",
    "server.packets",
    "server.port",
    "source.bytes",
    "source.packets",
    "source.port",
];

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

/// The mapped type of `field`; `keyword` for anything ECS does not map otherwise.
pub fn field_type(field: &str) -> FieldType {
    if field == "@timestamp" {
        FieldType::Date
    } else if IP_FIELDS.contains(&field) {
        FieldType::Ip
    } else if NUMBER_FIELDS.contains(&field) {
        FieldType::Number
    } else {
        FieldType::Keyword
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        assert_eq!(field_type("destination.ip"), FieldType::Ip);
        assert_eq!(field_type("process.pid"), FieldType::Number);
        assert_eq!(field_type("process.name"), FieldType::Keyword);
        assert_eq!(field_type("destination.ip.extra"), FieldType::Keyword);
        assert!(IP_FIELDS.windows(2).all(|w| w[0] < w[1]), "sorted");
        assert!(NUMBER_FIELDS.windows(2).all(|w| w[0] < w[1]), "sorted");
    }
}
