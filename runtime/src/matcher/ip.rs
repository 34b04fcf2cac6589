//! IP addresses as Elasticsearch's `ip` field type compares them.
//!
//! Elasticsearch parses addresses with `InetAddresses.forString` (a copy of Guava's) and
//! indexes them as 16 bytes, IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`). So textual variants
//! of one address compare equal, `::ffff:169.254.169.254` equals `169.254.169.254`, and
//! ordering is that of the 16-byte form. Values that do not parse never match.
//!
//! ```
//! use eql_runtime::matcher::ip;
//! let imds = ip::parse("169.254.169.254").unwrap();
//! assert!(ip::eq("::ffff:169.254.169.254", &imds));
//! let private = [ip::Cidr::parse("10.0.0.0/8").unwrap()];
//! assert!(ip::cidr_match("10.1.2.3", &private));
//! assert!(!ip::cidr_match("not an ip", &private));
//! ```

use std::cmp::Ordering;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Parses an address as `InetAddresses.forString` does, normalising IPv4-mapped IPv6 to IPv4.
///
/// Accepted: dotted quads without leading zeros (`01.2.3.4` is rejected, as in Elasticsearch),
/// IPv6 in full, compressed (`::`) and mixed (`::ffff:1.2.3.4`) forms. Rejected: scope ids
/// (`%eth0`), brackets, surrounding spaces, and anything else.
pub fn parse(s: &str) -> Option<IpAddr> {
    // Cheap rejection before the std parsers: only hex digits, `.` and `:` can occur.
    if s.is_empty()
        || s.len() > 45
        || !s
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
    {
        return None;
    }
    if s.contains(':') {
        let v6: Ipv6Addr = s.parse().ok()?;
        Some(normalize(IpAddr::V6(v6)))
    } else {
        s.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
    }
}

/// IPv4-mapped IPv6 addresses become IPv4; everything else is unchanged. IPv4-compatible
/// addresses (`::1.2.3.4`) stay IPv6, as they are distinct in Elasticsearch.
pub fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// The 16-byte form Elasticsearch indexes, as a big-endian integer: its order is the order
/// of `<`, `<=`, `>`, `>=` on `ip` fields.
pub fn key(ip: &IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(*v6),
    }
}

/// Whether `s` parses to the address `lit` (which must already be normalised, as [`parse`]
/// returns it).
pub fn eq(s: &str, lit: &IpAddr) -> bool {
    parse(s).is_some_and(|ip| ip == *lit)
}

/// Compares value `s` with address `lit` in the 16-byte order; `None` if `s` does not parse.
pub fn cmp(s: &str, lit: &IpAddr) -> Option<Ordering> {
    parse(s).map(|ip| key(&ip).cmp(&key(lit)))
}

/// A CIDR block (`10.0.0.0/8`, `fe80::/10`) as `cidrMatch` uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// Network bits of the 16-byte form.
    net: u128,
    /// Prefix length in the 16-byte form (an IPv4 `/8` is `/104`).
    bits: u32,
}

impl Cidr {
    /// Parses `address/length` as Elasticsearch's `InetAddresses.parseCidr` does, or a bare
    /// address as the block of that one address (`cidrMatch(ip, "::1")`, as `CIDRUtils` reads it).
    ///
    /// The length must fit the address family (≤ 32 for IPv4, ≤ 128 for IPv6); host bits may
    /// be set and are ignored. IPv4-mapped IPv6 addresses are rejected, as in Elasticsearch.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, len) = match s.split_once('/') {
            Some((addr, len)) => (addr, len.parse::<u32>().ok()?),
            None => (s, if s.contains(':') { 128 } else { 32 }),
        };
        let ip = parse(addr)?;
        let bits = match ip {
            IpAddr::V4(_) if addr.contains(':') => return None,
            IpAddr::V4(_) if len <= 32 => len + 96,
            IpAddr::V6(_) if len <= 128 => len,
            _ => return None,
        };
        Some(Cidr {
            net: key(&ip) & mask(bits),
            bits,
        })
    }

    /// Whether `ip` (normalised) lies in the block.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        key(ip) & mask(self.bits) == self.net
    }
}

/// The netmask with `bits` leading ones.
fn mask(bits: u32) -> u128 {
    u128::MAX.checked_shl(128 - bits).unwrap_or(0)
}

/// Whether `s` parses to an address inside any of `cidrs`.
pub fn cidr_match(s: &str, cidrs: &[Cidr]) -> bool {
    parse(s).is_some_and(|ip| cidrs.iter().any(|c| c.contains(&ip)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_addresses_are_one_address_blocks() {
        let lo = [
            Cidr::parse("::1").unwrap(),
            Cidr::parse("127.0.0.1").unwrap(),
        ];
        assert!(cidr_match("::1", &lo));
        assert!(cidr_match("127.0.0.1", &lo));
        assert!(cidr_match("::ffff:127.0.0.1", &lo));
        assert!(!cidr_match("::2", &lo));
        assert!(!cidr_match("127.0.0.2", &lo));
        assert!(Cidr::parse("::ffff:127.0.0.1").is_none());
        assert!(Cidr::parse("127.0.0.1/").is_none());
    }

    #[test]
    fn mask_edges() {
        assert_eq!(mask(0), 0);
        assert_eq!(mask(128), u128::MAX);
        assert_eq!(mask(1), 1u128 << 127);
    }
}
