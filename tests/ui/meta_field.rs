fn main() {
    let _rule = eql_macro::eql_rule!("tests/ui/rules/meta_field.eql");
}
