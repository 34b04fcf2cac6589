fn main() {
    let _rule = eql_macro::eql_rule!("tests/ui/rules/no_such_rule.eql");
}
