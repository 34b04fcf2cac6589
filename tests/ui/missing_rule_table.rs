fn main() {
    let _rule = eql_macro::eql_rule!("tests/ui/rules/missing_rule_table.eql");
}
