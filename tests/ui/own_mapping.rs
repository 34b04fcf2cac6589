// A rule for other data names its mapping: its fields are those in force, ECS's are not.
fn main() {
    let _rule = eql_macro::eql_rule!("tests/ui/rules/own_mapping.eql");
}
