//! IP parsing, equality, CIDR and order as on Elasticsearch `ip` fields.

use std::cmp::Ordering;
use std::net::IpAddr;

use eql_runtime::matcher::ip::{self, Cidr};

fn addr(s: &str) -> IpAddr {
    ip::parse(s).unwrap_or_else(|| panic!("{s:?} should parse"))
}

#[test]
fn textual_variants_are_equal() {
    let imds = addr("169.254.169.254");
    for s in [
        "169.254.169.254",
        "::ffff:169.254.169.254",
        "::FFFF:a9fe:a9fe",
        "0:0:0:0:0:ffff:a9fe:a9fe",
    ] {
        assert!(ip::eq(s, &imds), "{s}");
    }
    let v6 = addr("fd00:ec2::254");
    assert!(ip::eq("FD00:EC2:0:0:0:0:0:254", &v6));
    assert!(ip::eq("fd00:0ec2::0254", &v6));
    assert!(!ip::eq("fd00:ec2::255", &v6));
}

#[test]
fn compatible_addresses_stay_ipv6() {
    // `::a.b.c.d` is IPv4-compatible, not mapped: a different address in Elasticsearch.
    assert!(!ip::eq("::169.254.169.254", &addr("169.254.169.254")));
}

#[test]
fn rejects_what_elasticsearch_rejects() {
    for s in [
        "",
        " 1.2.3.4",
        "1.2.3.4 ",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.2.3.256",
        "256.0.0.1",
        "1.2.3.-1",
        "[::1]",
        "fe80::1%eth0",
        "1:2:3:4:5:6:7:8:9",
        "12345::",
        ":::",
        "1::2::3",
        "::ffff:01.2.3.4",
        "localhost",
        "0x7f.0.0.1",
        "169.254.169.254/32",
        "é",
        "١.٢.٣.٤",
    ] {
        assert_eq!(ip::parse(s), None, "{s:?}");
    }
    for s in [
        "0.0.0.0",
        "255.255.255.255",
        "::",
        "::1",
        "1::",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:1.2.3.4",
    ] {
        assert!(ip::parse(s).is_some(), "{s:?}");
    }
}

#[test]
fn cidr_blocks() {
    let private: Vec<Cidr> = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
        .iter()
        .map(|c| Cidr::parse(c).unwrap_or_else(|| panic!("{c}")))
        .collect();
    for s in [
        "10.0.0.1",
        "10.255.255.255",
        "172.31.0.1",
        "192.168.1.1",
        "::ffff:10.1.1.1",
        "fd00::1",
    ] {
        assert!(ip::cidr_match(s, &private), "{s}");
    }
    for s in [
        "11.0.0.1",
        "172.32.0.1",
        "192.169.0.1",
        "fe80::1",
        "::10.1.1.1",
        "garbage",
        "",
    ] {
        assert!(!ip::cidr_match(s, &private), "{s}");
    }
    // Host bits are ignored; /0 covers its whole family only.
    assert!(ip::cidr_match(
        "10.9.9.9",
        &[Cidr::parse("10.1.2.3/8").unwrap()]
    ));
    let all_v4 = [Cidr::parse("0.0.0.0/0").unwrap()];
    assert!(ip::cidr_match("8.8.8.8", &all_v4));
    assert!(!ip::cidr_match("2001:db8::1", &all_v4));
    let all_v6 = [Cidr::parse("::/0").unwrap()];
    assert!(ip::cidr_match("2001:db8::1", &all_v6) && ip::cidr_match("8.8.8.8", &all_v6));
    let one = [Cidr::parse("169.254.169.254/32").unwrap()];
    assert!(ip::cidr_match("169.254.169.254", &one) && !ip::cidr_match("169.254.169.253", &one));
}

#[test]
fn a_bare_address_is_a_block_of_one() {
    // Elasticsearch's `CIDRUtils.isInRange` reads an entry without `/` as one address.
    assert_eq!(Cidr::parse("10.0.0.0"), Cidr::parse("10.0.0.0/32"));
    assert_eq!(Cidr::parse("::1"), Cidr::parse("::1/128"));
}

#[test]
fn bad_cidrs() {
    for c in [
        "10.0.0.0/33",
        "::/129",
        "10.0.0.0/",
        "10.0.0.0/x",
        "/8",
        "::ffff:10.0.0.0/104",
        "10.0.0.0/8/8",
    ] {
        assert_eq!(Cidr::parse(c), None, "{c}");
    }
}

#[test]
fn order_is_the_sixteen_byte_order() {
    let lit = addr("10.0.0.5");
    assert_eq!(ip::cmp("10.0.0.10", &lit), Some(Ordering::Greater));
    assert_eq!(ip::cmp("9.255.255.255", &lit), Some(Ordering::Less));
    assert_eq!(ip::cmp("::ffff:10.0.0.5", &lit), Some(Ordering::Equal));
    // IPv4 sits at ::ffff:0:0/96, above `::1` and below `2001::`.
    assert_eq!(ip::cmp("::1", &lit), Some(Ordering::Less));
    assert_eq!(ip::cmp("2001:db8::", &lit), Some(Ordering::Greater));
    assert_eq!(ip::cmp("nope", &lit), None);
}
