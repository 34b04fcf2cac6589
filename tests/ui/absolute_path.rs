fn main() {
    let _rule = eql_macro::eql_rule!("/etc/imds.eql");
}
