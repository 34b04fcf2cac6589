fn main() {
    let _rule = eql_macro::eql_rule!("tests/ui/rules/ok.eql", mapping = "tests/ui/rules/broken.mapping");
}
