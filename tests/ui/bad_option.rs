fn main() {
    let _rule = eql_macro::eql_rule!("tests/ui/rules/ok.eql", mappings = "m.json");
}
